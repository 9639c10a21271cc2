# Tests the pending slots: executions of a repeated shape are counted, as
# each one finishes and with its time, in the session's own slot of shared
# memory, seen by the view at once.
#   - the time of a unit's last execution, a reset during the unit, and
#     several repeated shapes in one unit;
#   - a reset of the shape during a unit, then another session creating its
#     entry again: the first session's unit counts afresh in that entry (a
#     unit more, the calls since the reset), never with the calls from
#     before the reset;
#   - an immediate shutdown (backends stopped by SIGQUIT, so nothing folded
#     on their way out) keeps what the slots held: the postmaster folds them
#     before it saves the table.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $node = start_relprefetch_node();
$node->safe_psql('postgres', authors_posts_sql(60));

my $lookup = 'SELECT name FROM authors WHERE id = $1';
sub counters
{
	return $node->safe_psql('postgres',
		"SELECT units, calls, max_repeats FROM relprefetch.stats WHERE query = '$lookup'");
}

# session A: 50 lookups in one transaction
my $a = $node->background_psql('postgres');
$a->query_safe('BEGIN');
$a->query_safe("SELECT name FROM authors WHERE id = $_") for 1 .. 50;
is(counters(), '1|50|50', 'A\'s open unit is seen at once: 1 unit, 50 calls');

# the shape is reset, and session B creates its entry again
my $fp = $node->safe_psql('postgres',
	"SELECT fingerprint FROM relprefetch.stats WHERE query = '$lookup'");
$node->safe_psql('postgres', "SELECT relprefetch.reset(0, 0, $fp)");
is(counters(), '', 'the reset removed the entry');
$node->safe_psql('postgres', unit_sql(5, 'SELECT name FROM authors WHERE id'));
is(counters(), '1|5|5', 'B\'s unit created it again');

# A goes on: its unit counts afresh in B's entry
$a->query_safe('SELECT name FROM authors WHERE id = 51');
$a->query_safe('SELECT name FROM authors WHERE id = 52');
is(counters(), '2|7|5',
	'A\'s unit counts afresh: one unit more, its 2 calls since the reset');
$a->query_safe('COMMIT');
is(counters(), '2|7|5', 'and so after its unit ends');
$a->quit;

# immediate shutdown with a unit open
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
my $c = $node->background_psql('postgres');
$c->query_safe('BEGIN');
$c->query_safe("SELECT name FROM authors WHERE id = $_") for 1 .. 7;
is(counters(), '1|7|7', 'the open unit: 1 unit, 7 calls');
$node->stop('immediate');
$c->quit;
$node->start;
is(counters(), '1|7|7',
	'an immediate shutdown keeps the calls of the open unit');

# The time of a repeated shape's executions: each one's goes to the slot as
# it finishes
my $slow = 'SELECT name FROM authors, pg_sleep(%s) WHERE id = %d';
sub time_of
{
	my ($pattern) = @_;
	return $node->safe_psql('postgres',
		"SELECT units, calls, total_time >= 300 FROM relprefetch.stats WHERE query LIKE '$pattern'");
}
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
my $d = $node->background_psql('postgres');
$d->query_safe('BEGIN');
$d->query_safe(sprintf($slow, '0', $_)) for 1 .. 5;
$d->query_safe(sprintf($slow, '0.3', 6));
is(time_of('%pg_sleep%'), '1|6|t',
	'the last execution\'s time is in the view at once, its transaction still open');
$d->query_safe('COMMIT');
is(time_of('%pg_sleep%'), '1|6|t', 'and after it ends');

# a reset mid-unit: the time of executions before it went with the entry
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
$d->query_safe('BEGIN');
$d->query_safe(sprintf($slow, '0', $_)) for 1 .. 5;
$d->query_safe(sprintf($slow, '0.3', 6));
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
$d->query_safe(sprintf($slow, '0', 7));
$d->query_safe('COMMIT');
is(time_of('%pg_sleep%'), '1|1|f',
	'after a reset, the new entry has only the time of the executions since');

# six repeated shapes in one rolled-back unit: each one's time is kept
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
$d->query_safe('BEGIN');
for my $shape (1 .. 6)
{
	my $sql = "SELECT name, $shape AS shape_$shape FROM authors, pg_sleep(%s) WHERE id = %d";
	$d->query_safe(sprintf($sql, '0', $_)) for 1 .. 5;
	$d->query_safe(sprintf($sql, '0.3', 6));
}
$d->query_safe('ROLLBACK');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM relprefetch.stats WHERE query LIKE '%pg_sleep%' AND calls = 6 AND total_time >= 300"
	),
	'6',
	'six shapes in one rolled-back unit: each one\'s calls and time');
$d->quit;

$node->stop;
done_testing();
