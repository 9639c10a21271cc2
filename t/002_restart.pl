# Tests the persistence of relprefetch.stats across server restarts:
#   - a clean restart keeps every row and counter unchanged (the table is
#     written to $PGDATA/pg_stat/relprefetch.stat at shutdown, read back and
#     deleted at start), and the loaded rows keep counting;
#   - with relprefetch.save = off, at shutdown or at start, nothing is kept;
#   - a corrupted, truncated or empty file is ignored with a LOG line
#     ("ignoring relprefetch file ...") and the server starts and works;
#   - after a crash (a backend killed with SIGKILL, so that the postmaster
#     reinitialises shared memory) the table starts empty, as
#     pg_stat_statements does, and counting works again; what is counted
#     after the crash survives the next clean restart.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $node = start_relprefetch_node(restart_after_crash => 'on');

my $statfile = $node->data_dir . '/pg_stat/relprefetch.stat';

$node->safe_psql('postgres', authors_posts_sql(100));
$node->safe_psql('postgres', 'CREATE DATABASE db2');
$node->safe_psql('db2', authors_posts_sql(100));

# One unit of work: an explicit transaction running $n lookups of one shape
sub loop
{
	my ($db, $n, $query) = @_;
	$node->safe_psql($db, unit_sql($n, $query));
	return;
}

my $authors = 'SELECT name FROM authors WHERE id';
my $posts   = 'SELECT title FROM posts WHERE author_id';

# Everything the view and info show, timestamps and times included
sub snapshot
{
	return $node->safe_psql(
		'postgres', q{
SELECT s.*, d.datname FROM relprefetch.stats s JOIN pg_database d ON d.oid = s.dbid
ORDER BY d.datname, s.query;
SELECT * FROM relprefetch.info;});
}

# The counters only
sub counters
{
	return $node->safe_psql(
		'postgres', q{
SELECT d.datname, s.query, s.units, s.calls, s.max_repeats
FROM relprefetch.stats s JOIN pg_database d ON d.oid = s.dbid
ORDER BY d.datname, s.query});
}

sub entries
{
	return $node->safe_psql('postgres',
		'SELECT entries FROM relprefetch.info');
}

###########################################################################
# Clean restart
###########################################################################
loop('postgres', 7, $authors);
loop('postgres', 6, $authors);
loop('postgres', 5, $posts);
loop('db2',      8, $authors);

my $expected = join("\n",
	'db2|SELECT name FROM authors WHERE id = $1|1|8|8',
	'postgres|SELECT name FROM authors WHERE id = $1|2|13|7',
	'postgres|SELECT title FROM posts WHERE author_id = $1|1|5|5');
is(counters(), $expected, 'counters before the restart');

my $before = snapshot();
$node->restart;
is(snapshot(), $before,
	'clean restart: every row, counter, time and info field unchanged');
ok(!-e $statfile, 'the stats file is deleted once loaded');

# the loaded entries are live: they keep counting
loop('postgres', 9, $authors);
loop('db2',      5, $posts);
$expected = join("\n",
	'db2|SELECT name FROM authors WHERE id = $1|1|8|8',
	'db2|SELECT title FROM posts WHERE author_id = $1|1|5|5',
	'postgres|SELECT name FROM authors WHERE id = $1|3|22|9',
	'postgres|SELECT title FROM posts WHERE author_id = $1|1|5|5');
is(counters(), $expected, 'loaded entries keep counting after the restart');

# a second cycle, with a stop and a start
$before = snapshot();
$node->stop;
ok(-s $statfile, 'clean shutdown writes the stats file');
$node->start;
is(snapshot(), $before, 'stop and start: every row unchanged');
ok(!-e $statfile, 'the stats file is deleted once loaded');

###########################################################################
# relprefetch.save = off
###########################################################################

# off at shutdown: no file written, nothing loaded
$node->append_conf('postgresql.conf', 'relprefetch.save = off');
$node->reload;
$node->poll_query_until('postgres', 'SHOW relprefetch.save', 'off')
  or die 'relprefetch.save = off not picked up';
$node->stop;
ok(!-e $statfile, 'save = off: no stats file written at shutdown');
$node->start;
is(entries(), '0', 'save = off: stats empty after a restart');

# on at shutdown, off at start: the file is removed, not loaded
loop('postgres', 5, $authors);
$node->adjust_conf('postgresql.conf', 'relprefetch.save', 'on');
$node->reload;
$node->poll_query_until('postgres', 'SHOW relprefetch.save', 'on')
  or die 'relprefetch.save = on not picked up';
$node->stop;
ok(-s $statfile, 'save = on: stats file written at shutdown');
$node->adjust_conf('postgresql.conf', 'relprefetch.save', 'off');
$node->start;
is(entries(), '0', 'save = off at start: the file is not loaded');
ok(!-e $statfile, 'save = off at start: the file is removed');
$node->adjust_conf('postgresql.conf', 'relprefetch.save', 'on');
$node->restart;

###########################################################################
# Corrupted files
###########################################################################
sub corrupt_case
{
	my ($name, $mutate, $problem) = @_;

	$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
	loop('postgres', 6, $authors);
	loop('db2',      7, $posts);
	$node->stop;
	ok(-s $statfile, "$name: stats file written at shutdown");

	$mutate->();
	my $offset = -s $node->logfile;
	$node->start;
	ok( $node->log_contains(
			qr/LOG:  ignoring relprefetch file "pg_stat\/relprefetch\.stat": \Q$problem\E/,
			$offset),
		"$name: server log says the file is ignored: $problem");
	is(entries(), '0', "$name: the server starts with empty stats");
	ok(!-e $statfile, "$name: the file is removed");

	loop('postgres', 5, $authors);
	is( counters(),
		'postgres|SELECT name FROM authors WHERE id = $1|1|5|5',
		"$name: detection works after the start");
	return;
}

sub write_file
{
	my ($content) = @_;
	open my $fh, '>', $statfile or die "could not write $statfile: $!";
	binmode $fh;
	print $fh $content;
	close $fh;
	return;
}

corrupt_case('garbage',
	sub { write_file("this is not a relprefetch file\n" x 100) },
	'it is not a relprefetch statistics file');
corrupt_case('empty file', sub { write_file('') }, 'the file is too short');
corrupt_case(
	'truncated file',
	sub {
		truncate($statfile, int((-s $statfile) / 2))
		  or die "could not truncate $statfile: $!";
	},
	'its checksum does not match: the file is corrupted');
corrupt_case(
	'one byte changed',
	sub {
		my $content = slurp_file($statfile);
		my $pos     = length($content) - 10;
		substr($content, $pos, 1) = chr(ord(substr($content, $pos, 1)) ^ 0xff);
		write_file($content);
	},
	'its checksum does not match: the file is corrupted');
corrupt_case(
	'other format',
	sub {
		my $content = slurp_file($statfile);
		substr($content, 4, 4) = pack('L', 999);    # the format number
		write_file($content);
	},
	'it was written by another version of relprefetch');

###########################################################################
# Crash restart
###########################################################################
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
loop('postgres', 6, $authors);
is(entries(), '1', 'crash: one entry before the crash');

my $session = $node->background_psql('postgres');
my $pid     = $session->query_safe('SELECT pg_backend_pid()');
my $start_time =
  $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

crash_restart($node, $pid, 'crash: SIGKILL a backend');
$session->quit;

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$start_time, 'crash: the same postmaster went on (crash restart)');
is(entries(), '0',
	'crash: stats are empty after a crash restart (nothing is saved)');
ok(!-e $statfile, 'crash: no stats file');

loop('postgres', 7, $authors);
loop('postgres', 5, $authors);
is( counters(),
	'postgres|SELECT name FROM authors WHERE id = $1|2|12|7',
	'crash: counting works again after the crash restart');

$before = snapshot();
$node->restart;
is(snapshot(), $before,
	'crash: stats counted after the crash survive the next clean restart');
ok(!$node->log_contains(qr/could not (write|read) relprefetch file/, 0),
	'no file error in the server log');

$node->stop;

done_testing();
