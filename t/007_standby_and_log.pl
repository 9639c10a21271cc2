# Tests detection on a hot standby, and relprefetch.on_detect = log:
#   - a streaming replica with relprefetch preloaded counts and records the
#     N+1 loops run by read-only sessions on it, in its own table (the
#     stats are per server, not replicated), with the relation and foreign
#     key read from the replicated catalogs;
#   - relprefetch.on_detect = log writes the detection (message, repeated
#     statement, statement before the loop, suggestion) to the server log,
#     once per shape per unit, and sends nothing to the client.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'relprefetch'
lc_messages = 'C'
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION relprefetch');
$primary->safe_psql('postgres', authors_posts_sql(20));

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');

# An N+1 loop on the standby: the posts, then one lookup per author
$standby->safe_psql('postgres', unit_sql(6, 'SELECT name FROM authors WHERE id'));
is( $standby->safe_psql(
		'postgres',
		'SELECT query, units, calls, max_repeats, source_query, relation, foreign_key
		 FROM relprefetch.stats'),
	'SELECT name FROM authors WHERE id = $1|1|6|6|'
	  . 'SELECT id, author_id FROM posts WHERE id <= $1|public.authors|posts_author_id_fkey',
	'the standby records the loop, with relation and foreign key');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM relprefetch.stats'),
	'0', 'the primary has its own table: nothing ran there');
is($standby->safe_psql('postgres', 'SELECT entries FROM relprefetch.info'),
	'1', 'relprefetch.info on the standby');

# on_detect = log: the server log, not the client
my $offset = -s $standby->logfile;
my ($ret, $stdout, $stderr) = $standby->psql('postgres',
	"SET relprefetch.on_detect = log;\n"
	  . unit_sql(7, 'SELECT name FROM authors WHERE id'));
is($ret, 0, 'on_detect = log: the loop succeeds');
is($stderr, '', 'on_detect = log: nothing is sent to the client');
my $log = slurp_file($standby->logfile, $offset);
my @detections =
  ($log =~ /LOG:  relprefetch: N\+1 query pattern: the same statement ran 5 times in one unit of work/g);
is(scalar @detections, 1, 'one LOG line per shape per unit, at the threshold');
like($log, qr/DETAIL:  Repeated statement: SELECT name FROM authors WHERE id = \$1/,
	'the LOG line names the repeated statement');
like($log, qr/Statement before the loop: SELECT id, author_id FROM posts WHERE id <= \$1/,
	'and the statement before the loop');
like($log, qr/HINT:  .*posts_author_id_fkey/, 'and the suggestion');

$standby->stop;
$primary->stop;
done_testing();
