# Tests relprefetch's counters under concurrency: 8 pgbench clients run N+1
# loops at the same time, in explicit transaction blocks and in autocommit
# bursts, and relprefetch.stats must show exactly the units, calls and
# max_repeats that the workload implies, while a statement run fewer than
# relprefetch.threshold times per unit of work never shows up.
#
# pgbench runs with -t (a fixed number of transactions per client), never
# -T, so that every total is known in advance.
#
# Units of autocommit statements depend on relprefetch.unit_gap (the idle
# time that ends a unit), and pgbench sends a client's statements back to
# back.  To keep the expectations exact, the autocommit runs set unit_gap
# through PGOPTIONS (a connection-level default, which DISCARD ALL keeps):
#   - unit_gap = 1h, with DISCARD ALL closing each burst: one unit per burst;
#   - unit_gap = 1h, nothing closing the bursts: one unit per connection;
#   - unit_gap = 1s, with a 2 s \sleep between bursts: one unit per burst.
#     This run relies on no statement of a burst waiting more than 1 s for a
#     CPU, which is safe for these microsecond lookups.
use strict;
use warnings;

use IPC::Run;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $clients   = 8;
my $jobs      = 2;
my $threshold = 5;    # relprefetch.threshold, the default
my $K         = 7;    # iterations of every N+1 loop, >= $threshold
my $clean     = $threshold - 1;    # runs of the clean statement per unit

my $node = start_relprefetch_node(
	'relprefetch.threshold' => $threshold,
	max_connections         => 30);
$node->safe_psql('postgres', authors_posts_sql(1000));
$node->safe_psql('postgres', 'CREATE UNLOGGED TABLE script_runs (script text NOT NULL)');

my $superuser_oid =
  $node->safe_psql('postgres', 'SELECT current_user::regrole::oid');
my $postgres_dboid = $node->safe_psql('postgres',
	"SELECT oid FROM pg_database WHERE datname = 'postgres'");

# Script text: the N+1 loop, $K lookups of one author each, with random ids
sub lookup_loop
{
	my ($query) = @_;
	my $s = '';
	for my $i (1 .. $K)
	{
		$s .= "\\set a$i random(1, 1000)\n$query = :a$i;\n";
	}
	return $s;
}

# Script text: a statement run fewer than threshold times: never an N+1
my $clean_stmt = "SELECT title FROM posts WHERE id = :p;\n" x $clean;

# An explicit transaction: the "1" (the posts), the N+1 loop, then the clean
# statement.
my $txn_script =
    "\\set p random(1, 990)\n"
  . "BEGIN;\n"
  . "SELECT id, author_id FROM posts WHERE id BETWEEN :p AND :p + 6;\n"
  . lookup_loop('SELECT name FROM authors WHERE id')
  . $clean_stmt
  . "INSERT INTO script_runs VALUES ('txn');\n"
  . "COMMIT;\n";

# The same in autocommit mode, with another lookup shape, ended by DISCARD
# ALL (what a connection pooler sends when it hands the session over).
my $burst_script =
    "\\set p random(1, 990)\n"
  . "SELECT id, author_id FROM posts ORDER BY id LIMIT 7 OFFSET :p;\n"
  . lookup_loop('SELECT id, name FROM authors WHERE id')
  . $clean_stmt
  . "INSERT INTO script_runs VALUES ('burst');\n"
  . "DISCARD ALL;\n";

my $script_no = 0;

# Run pgbench with the given scripts (a list of script texts) and options;
# returns its standard output.  PGOPTIONS, when given, is passed to every
# connection.
sub run_pgbench
{
	my ($name, $opts, $pgoptions, @scripts) = @_;
	my @files;

	for my $text (@scripts)
	{
		my $file = $node->basedir . '/script_' . ++$script_no . '.sql';
		PostgreSQL::Test::Utils::append_to_file($file, $text);
		push @files, '-f', $file;
	}

	local %ENV = %ENV;
	$ENV{PGOPTIONS} = $pgoptions if defined $pgoptions;
	my @cmd = (
		'pgbench', '-n', '-h', $node->host, '-p', $node->port,
		split(/\s+/, $opts), @files, 'postgres');
	note "running: @cmd" . (defined $pgoptions ? " (PGOPTIONS=$pgoptions)" : '');
	my ($stdout, $stderr);
	my $ok = IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr);
	ok($ok, "$name: pgbench exits with status 0")
	  or diag("stdout:\n$stdout\nstderr:\n$stderr");
	my ($t) = $opts =~ /-t\s*(\d+)/;
	my $total = $clients * $t;
	like(
		$stdout,
		qr/number of transactions actually processed: $total\/$total\n/,
		"$name: all $total transactions processed");
	like($stdout, qr/number of failed transactions: 0 /,
		"$name: no failed transaction");
	return $stdout;
}

# The whole view, one line per row, sorted by query text
sub stats
{
	return $node->safe_psql(
		'postgres', q{
SELECT userid, dbid, query, units, calls, max_repeats, source_query,
       relation, foreign_key
FROM relprefetch.stats ORDER BY query});
}

sub stats_row
{
	my ($query, $units, $calls, $max_repeats, $source_query) = @_;
	return join('|',
		$superuser_oid, $postgres_dboid, $query, $units, $calls, $max_repeats,
		$source_query // '', 'public.authors', 'posts_author_id_fkey');
}

my $txn_lookup   = 'SELECT name FROM authors WHERE id = $1';
my $txn_source   = 'SELECT id, author_id FROM posts WHERE id BETWEEN $1 AND $2 + $3';
my $burst_lookup = 'SELECT id, name FROM authors WHERE id = $1';
my $burst_source = 'SELECT id, author_id FROM posts ORDER BY id LIMIT $1 OFFSET $2';

sub reset_stats
{
	$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM relprefetch.stats'),
		'0', 'reset() empties the view');
}

###########################################################################
# 1. Explicit transactions only, prepared statements.  Each transaction is
#    one unit: units = clients * t, calls = clients * t * K, max_repeats = K.
###########################################################################
my $t = 100;
run_pgbench('explicit transactions',
	"-c $clients -j $jobs -t $t -M prepared", undef, $txn_script);

is( stats(),
	stats_row($txn_lookup, $clients * $t, $clients * $t * $K, $K, $txn_source),
	'explicit transactions: exact units, calls and max_repeats; clean statement absent'
);
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM relprefetch.stats WHERE query LIKE '%title%'"),
	'0',
	'explicit transactions: the statement run fewer than threshold times per unit is not recorded'
);
is( $node->safe_psql(
		'postgres',
		'SELECT total_time > 0, first_seen <= last_seen, relid = \'authors\'::regclass FROM relprefetch.stats'
	),
	't|t|t',
	'explicit transactions: total_time, first_seen/last_seen and relid are set');
is($node->safe_psql('postgres', 'SELECT entries, evictions FROM relprefetch.info'),
	'1|0', 'explicit transactions: info shows one entry, no eviction');

reset_stats();

###########################################################################
# 2. Explicit transactions and DISCARD ALL-terminated autocommit bursts
#    mixed at random in every session (extended protocol; prepared
#    statements would not survive DISCARD ALL).  Each run of a script logs
#    itself in script_runs, and each run is exactly one unit.  The clean
#    statement runs $clean times in each unit of both kinds: had a burst and
#    a transaction block merged into one unit, it would have reached the
#    threshold.
###########################################################################
$node->safe_psql('postgres', 'TRUNCATE script_runs');
my $out = run_pgbench('mixed transactions and bursts',
	"-c $clients -j $jobs -t $t -M extended", '-c relprefetch.unit_gap=1h',
	$txn_script, $burst_script);

# Each run of a script leaves a row in script_runs (pgbench's own
# per-script counts can miss a transaction).
my ($n_txn, $n_burst) = split /\|/,
  $node->safe_psql('postgres',
	"SELECT count(*) FILTER (WHERE script = 'txn'), count(*) FILTER (WHERE script = 'burst') FROM script_runs"
  );
ok($n_txn + $n_burst == $clients * $t,
	'mixed: every run of a script is logged')
  or diag($out);
note "mixed: $n_txn explicit transactions, $n_burst autocommit bursts";

my @expected;
push @expected,
  stats_row($burst_lookup, $n_burst, $n_burst * $K, $K, $burst_source)
  if $n_burst > 0;
push @expected, stats_row($txn_lookup, $n_txn, $n_txn * $K, $K, $txn_source)
  if $n_txn > 0;
is(stats(), join("\n", @expected),
	'mixed: exact counters for both shapes; clean statement absent');

reset_stats();

###########################################################################
# 3. Autocommit statements with unit_gap = 1h and nothing ending the unit:
#    a client's whole connection is one unit.  units = clients,
#    calls = clients * t * K, max_repeats = t * K.  The clean statement runs
#    once per transaction, t = $clean times per connection: still below the
#    threshold.
###########################################################################
my $t3 = $clean;
run_pgbench('one unit per connection',
	"-c $clients -j $jobs -t $t3 -M simple", '-c relprefetch.unit_gap=1h',
	"\\set p random(1, 990)\n"
	  . lookup_loop('SELECT id, name FROM authors WHERE id')
	  . "SELECT title FROM posts WHERE id = :p;\n");

is( stats(),
	stats_row(
		$burst_lookup, $clients, $clients * $t3 * $K, $t3 * $K, undef
	),
	'one unit per connection: units = clients, max_repeats = t * K');

reset_stats();

###########################################################################
# 4. Autocommit bursts separated by idle time: unit_gap = 1s, 2 s of
#    \sleep before each burst.  units = clients * t, calls = clients * t * K.
###########################################################################
my $t4 = 2;
run_pgbench('bursts separated by idle time',
	"-c $clients -j $jobs -t $t4 -M simple", '-c relprefetch.unit_gap=1s',
	"\\sleep 2 s\n"
	  . "\\set p random(1, 990)\n"
	  . "SELECT id, author_id FROM posts ORDER BY id LIMIT 7 OFFSET :p;\n"
	  . lookup_loop('SELECT id, name FROM authors WHERE id')
	  . $clean_stmt);

is( stats(),
	stats_row(
		$burst_lookup,       $clients * $t4,
		$clients * $t4 * $K, $K,
		$burst_source
	),
	'bursts separated by idle time: one unit per burst');

$node->stop;

done_testing();
