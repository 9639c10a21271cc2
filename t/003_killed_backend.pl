# Tests backends that die in the middle of a unit of work (an explicit
# transaction running an N+1 loop):
#   - killed with SIGKILL after 7 executions of the looped statement (past
#     relprefetch.threshold = 5): the postmaster treats it as a crash and
#     reinitialises shared memory.  The stats are empty after that crash
#     restart (documented behaviour: only a clean shutdown saves them), the
#     server works, and detection works again for new sessions.
#   - terminated with pg_terminate_backend (an orderly FATAL exit, not a
#     crash): the executions it counted once the statement reached the
#     threshold are already in relprefetch.stats and stay there, although
#     its transaction is rolled back; a statement it ran fewer than
#     threshold times is not recorded; other sessions are not disturbed.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $node = start_relprefetch_node(
	'relprefetch.threshold' => 5,
	restart_after_crash     => 'on');
$node->safe_psql('postgres',
	authors_posts_sql(100) . "CREATE TABLE audit (n int);\n");

my $lookup       = 'SELECT name FROM authors WHERE id = $1';
my $other_lookup = 'SELECT title FROM posts WHERE id = $1';

sub counters
{
	return $node->safe_psql('postgres',
		'SELECT query, units, calls, max_repeats FROM relprefetch.stats ORDER BY query'
	);
}

# Open a session, start a transaction and run $n author lookups (and
# $others lookups of a second shape) in it; returns the session and its pid.
sub open_unit
{
	my ($n, $others) = @_;
	my $session = $node->background_psql('postgres');
	my $pid     = $session->query_safe('SELECT pg_backend_pid()');
	$session->query_safe('BEGIN');
	$session->query_safe('INSERT INTO audit VALUES (pg_backend_pid())');
	$session->query_safe('SELECT id, author_id FROM posts WHERE id <= 10');
	$session->query_safe("SELECT name FROM authors WHERE id = $_")
	  for 1 .. $n;
	$session->query_safe("SELECT title FROM posts WHERE id = $_")
	  for 1 .. $others;
	is( $session->query_safe(
			'SELECT calls, repeated, query FROM relprefetch.unit_queries() '
			  . "WHERE query IN ('$lookup', '$other_lookup') ORDER BY query"),
		join("\n",
			"$n|" . ($n >= 5 ? 't' : 'f') . "|$lookup",
			($others ? "$others|" . ($others >= 5 ? 't' : 'f') . "|$other_lookup" : ())),
		"session $pid counted $n lookups in its open unit");
	return ($session, $pid);
}

###########################################################################
# SIGKILL mid-unit: crash restart
###########################################################################
my ($victim, $pid) = open_unit(7, 0);
is(counters(), "$lookup|1|7|7",
	'the open unit is visible before the kill: 1 unit, 7 calls');

my $start_time =
  $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
crash_restart($node, $pid, "SIGKILL backend $pid in the middle of its unit");
$victim->quit;

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$start_time, 'crash restart by the same postmaster');
is( $node->safe_psql('postgres', "SELECT count(*) FROM audit WHERE n = $pid"),
	'0', 'the killed transaction did not commit');
is(counters(), '', 'stats are empty after the crash restart');
is($node->safe_psql('postgres', 'SELECT entries FROM relprefetch.info'),
	'0', 'info: no entries after the crash restart');

# a new session detects again, from a clean slate
my ($session, $pid2) = open_unit(6, 0);
$session->query_safe('COMMIT');
$session->quit;
is(counters(), "$lookup|1|6|6", 'detection works for a new session');

$node->safe_psql(
	'postgres', q{
BEGIN;
SELECT name FROM authors WHERE id = 1;
SELECT name FROM authors WHERE id = 2;
SELECT name FROM authors WHERE id = 3;
SELECT name FROM authors WHERE id = 4;
SELECT name FROM authors WHERE id = 5;
COMMIT;
});
is(counters(), "$lookup|2|11|6", 'and for another one');

###########################################################################
# pg_terminate_backend mid-unit: no crash, counted calls are kept
###########################################################################
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');

my $bystander = $node->background_psql('postgres');
my $bystander_pid = $bystander->query_safe('SELECT pg_backend_pid()');

($victim, $pid) = open_unit(7, 4);
is(counters(), "$lookup|1|7|7",
	'before pg_terminate_backend: 1 unit, 7 calls; 4 lookups of another shape not recorded'
);

my $offset = -s $node->logfile;
is( $node->safe_psql(
		'postgres', "SELECT pg_terminate_backend($pid, 60000)"),
	't',
	"pg_terminate_backend($pid) mid-unit");
$victim->quit;

is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid"),
	'0',
	'the terminated backend is gone');
is(counters(), "$lookup|1|7|7",
	'after pg_terminate_backend: the 7 counted calls are kept');
is($node->safe_psql('postgres', "SELECT count(*) FROM audit WHERE n = $pid"),
	'0', 'its transaction was rolled back');
is($node->safe_psql('postgres', "SELECT count(*) FROM audit WHERE n = $pid2"),
	'1', 'while that of the committed session is there');
ok(!$node->log_contains(qr/terminated by signal|reinitializing/, $offset),
	'pg_terminate_backend is not a crash');
is($bystander->query_safe('SELECT pg_backend_pid()'),
	$bystander_pid, 'another session is still connected');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$start_time, 'no restart');

# below the threshold when terminated: nothing recorded
($victim, $pid) = open_unit(4, 0);
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid, 60000)");
$victim->quit;
is(counters(), "$lookup|1|7|7",
	'a unit terminated below the threshold adds nothing');

# the bystander's units count normally
$bystander->query_safe('BEGIN');
$bystander->query_safe("SELECT name FROM authors WHERE id = $_") for 1 .. 5;
$bystander->query_safe('COMMIT');
$bystander->quit;
is(counters(), "$lookup|2|12|7", 'counting goes on in other sessions');

$node->stop;

done_testing();
