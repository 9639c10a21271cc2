# What the TAP tests in t/ share: the test cluster, the authors/posts schema,
# the SQL of an N+1 unit of work, and a backend crash.
#
# Load it from a test with
#   use FindBin;
#   use lib $FindBin::RealBin;
#   use RelprefetchTest;
# so that it is found whatever the current directory (prove run from the
# checkout or PGXS's installcheck run from a copy of it).  Its name does not
# end in .pl: PGXS runs every t/*.pl file as a test.
package RelprefetchTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use Test::More;

our @EXPORT = qw(
  init_node
  start_node
  start_relprefetch_node
  authors_posts_sql
  unit_sql
  crash_restart
);

# A node named $name, initialized and not started, with lc_messages = 'C'
# (the tests match message texts) and then the given settings, a list of
# name => value pairs written as they are to postgresql.conf (quote string
# values yourself): for a test that puts files in its data directory before
# the first start.
sub init_node
{
	my ($name, @settings) = @_;
	my $conf = "\nlc_messages = 'C'\n";
	while (my ($setting, $value) = splice(@settings, 0, 2))
	{
		$conf .= "$setting = $value\n";
	}

	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', $conf);
	return $node;
}

# The same started, named 'main'
sub start_node
{
	my (@settings) = @_;
	my $node = init_node('main', @settings);
	$node->start;
	return $node;
}

# The same with relprefetch in shared_preload_libraries and the extension
# created in the database postgres.  relprefetch.require_proof is off, as
# in regress.conf: these tests are about counting and recording, with loops
# of their own making; a test of proofs, or of the defaults, says so in its
# settings (a later line of postgresql.conf wins).
sub start_relprefetch_node
{
	my (@settings) = @_;
	my $node = start_node(
		shared_preload_libraries => "'relprefetch'",
		'relprefetch.require_proof' => 'off',
		@settings);
	$node->safe_psql('postgres', 'CREATE EXTENSION relprefetch');
	return $node;
}

# SQL creating authors and posts (posts.author_id references authors), each
# with $rows rows: author g is 'author g', post g is 'post g' by author
# (g % $rows) + 1.
sub authors_posts_sql
{
	my ($rows) = @_;
	return qq{
CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE posts (id int PRIMARY KEY,
                    author_id int NOT NULL REFERENCES authors (id),
                    title text NOT NULL);
INSERT INTO authors SELECT g, 'author ' || g FROM generate_series(1, $rows) g;
INSERT INTO posts SELECT g, (g % $rows) + 1, 'post ' || g
  FROM generate_series(1, $rows) g;
};
}

# SQL of one unit of work with an N+1 loop: an explicit transaction running
# the posts query, then "$lookup = 1" .. "$lookup = $n" (e.g. $lookup =
# 'SELECT name FROM authors WHERE id').
sub unit_sql
{
	my ($n, $lookup) = @_;
	my $sql = "BEGIN;\nSELECT id, author_id FROM posts WHERE id <= $n;\n";
	$sql .= "$lookup = $_;\n" for 1 .. $n;
	return "$sql COMMIT;";
}

# Kill backend $pid with SIGKILL (one test, named $test_name: the kill
# succeeds), then wait until the postmaster has reinitialised shared memory
# (the node needs restart_after_crash = on) and accepts connections again.
sub crash_restart
{
	my ($node, $pid, $test_name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	my $offset = -s $node->logfile;
	ok(kill('KILL', $pid), $test_name);
	# "server process" up to PostgreSQL 17, "client backend" from 18
	$node->wait_for_log(
		qr/(?:server process|client backend) \(PID $pid\) was terminated by signal 9: Killed/,
		$offset);
	$node->wait_for_log(qr/all server processes terminated; reinitializing/,
		$offset);
	$node->poll_query_until('postgres', 'SELECT 1', '1')
	  or die 'the server did not come back after the crash';
	return;
}

1;
