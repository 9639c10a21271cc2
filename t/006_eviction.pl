# Tests what happens when the shared table is full (relprefetch.max = 100,
# the smallest allowed): 150 distinct shapes each repeat in their own unit.
#   - the table never holds more than relprefetch.max entries;
#   - each eviction round drops the least used 5% and relprefetch.info
#     counts every evicted entry: entries + evictions = shapes recorded;
#   - no entry is attributed to another query: every row left still shows
#     its own text with exactly its own counters;
#   - a loop a session runs in every unit, counted in its slot, is not
#     evicted as unused;
#   - a full reset clears the eviction count.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $node = start_relprefetch_node('relprefetch.max' => 100);

# Shape k is "SELECT $1 AS ck FROM ev" (a statement that reads no table
# is never counted): run 5 times in one transaction (a unit),
# k times 5 + (k % 3) so that each shape has counts of its own.
my $shapes = 150;
my $script = "CREATE TABLE ev (id int);\n";
for my $k (1 .. $shapes)
{
	my $runs = 5 + $k % 3;
	$script .= "BEGIN;\n";
	$script .= "SELECT $_ AS c$k FROM ev;\n" for 1 .. $runs;
	$script .= "COMMIT;\n";
}
$node->safe_psql('postgres', $script);

my ($entries, $max, $evictions) = split /\|/,
  $node->safe_psql('postgres',
	'SELECT entries, max_entries, evictions FROM relprefetch.info');
cmp_ok($entries, '<=', 100, "the table holds at most relprefetch.max entries ($entries)");
is($max, 100, 'max_entries shows relprefetch.max');
cmp_ok($evictions, '>=', $shapes - 100, "evictions are counted ($evictions)");
is($entries + $evictions, $shapes,
	'every shape recorded is either in the table or counted as evicted');

# Every row left carries its own counters.
my $rows = $node->safe_psql('postgres',
	q{SELECT query, units, calls, max_repeats FROM relprefetch.stats
	  WHERE query ~ '^SELECT \$1 AS c[0-9]+ FROM ev$' ORDER BY query});
my @rows = split /\n/, $rows;
is(scalar @rows, $entries, 'every entry is one of the shapes run');
my $wrong = 0;
for my $row (@rows)
{
	my ($query, $units, $calls, $max_repeats) = split /\|/, $row;
	my ($k) = $query =~ /c(\d+) FROM ev$/;
	my $runs = 5 + $k % 3;
	$wrong++ unless $units == 1 && $calls == $runs && $max_repeats == $runs;
}
is($wrong, 0, 'no row shows counters of another shape');

# The most recent shapes are kept: they were used last.
my $newest = $node->safe_psql('postgres',
	"SELECT count(*) FROM relprefetch.stats WHERE query = 'SELECT \$1 AS c$shapes FROM ev'");
is($newest, 1, 'the newest shape is kept');

# A loop that a session runs in every unit is counted, after its first
# unit, in the session's slot: its units still there count when eviction
# ranks the entries, so that it is not dropped as unused while the table
# fills with shapes that repeated once.
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
my $hot = $node->background_psql('postgres');
my $hot_unit = "BEGIN;\n";
$hot_unit .= "SELECT $_ AS hot FROM ev;\n" for 1 .. 5;
$hot_unit .= "COMMIT;\n";
$hot->query_safe($hot_unit) for 1 .. 20;
# each of the other shapes repeats in two units: more than the loop has
# folded in the table (its first unit)
(my $shapes_again = $script) =~ s/^CREATE TABLE ev \(id int\);\n//;
$node->safe_psql('postgres', $shapes_again) for 1 .. 2;
cmp_ok(
	$node->safe_psql('postgres', 'SELECT evictions FROM relprefetch.info'),
	'>=', $shapes + 1 - 100, 'the shapes filled the table again');
is( $node->safe_psql('postgres',
		q{SELECT units, calls FROM relprefetch.stats WHERE query = 'SELECT $1 AS hot FROM ev'}
	),
	'20|100',
	'the loop run in every unit is kept, with all its units');
$hot->quit;

$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
is( $node->safe_psql('postgres',
		'SELECT entries, evictions FROM relprefetch.info'),
	'0|0',
	'a full reset empties the table and clears the eviction count');

$node->stop;
done_testing();
