# Tests that a proof only ever uses rows its own unit of work read, with 8
# pgbench clients at once and relprefetch.require_proof = on.  Each
# transaction is a unit, and each client runs, in random order, three
# scripts:
#   - "reader": reads the posts whose author ids the loops below use;
#   - "looper": the author lookups alone, keyed by those ids, with no read
#     of its own: another session (or its own previous unit) read the rows,
#     so it proves nothing and is never recorded; each such unit counts
#     once in relprefetch.info.unproven;
#   - "proven": the read and the lookups in one unit: recorded, with
#     exactly its units and calls, and the posts query as its source.
use strict;
use warnings;

use IPC::Run;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $clients = 8;
my $per_client = 60;
my $K = 7;    # lookups per loop, >= relprefetch.threshold (5)

my $node = start_relprefetch_node(
	'relprefetch.require_proof' => 'on',
	max_connections => 30);
$node->safe_psql('postgres', authors_posts_sql(1000));

# posts 1 .. $K are by authors 2 .. $K + 1 (post g is by author g % 1000 + 1)
my $read = "SELECT id, author_id FROM posts WHERE id <= $K ORDER BY id;\n";
my $lookups = join '', map { "SELECT name FROM authors WHERE id = @{[$_ + 1]};\n" } 1 .. $K;
my $proven_lookups =
  join '', map { "SELECT name AS n FROM authors WHERE id = @{[$_ + 1]};\n" } 1 .. $K;
my %scripts = (
	reader => "BEGIN;\n$read" . "COMMIT;\n",
	looper => "BEGIN;\n$lookups" . "COMMIT;\n",
	proven => "BEGIN;\n$read$proven_lookups" . "COMMIT;\n");

my @files;
my @names = sort keys %scripts;
for my $name (@names)
{
	my $file = $node->basedir . "/$name.sql";
	PostgreSQL::Test::Utils::append_to_file($file, $scripts{$name});
	push @files, '-f', $file;
}
# One pgbench thread (-j 1) drives all the clients: the backends still run
# at once, and the per-script counts below are exact.  pgbench's threads add
# to those counts without a lock, so with -j 2 a run can report one script
# run fewer than it made (once in CI: 140 lookup units reported, 141 run
# and counted).
my @cmd = (
	'pgbench', '-n', '-h', $node->host, '-p', $node->port,
	'-c', $clients, '-j', 1, '-t', $per_client, @files, 'postgres');
my ($stdout, $stderr);
ok(IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr),
	'pgbench exits with status 0')
  or diag("stdout:\n$stdout\nstderr:\n$stderr");
my $total = $clients * $per_client;
like($stdout, qr/number of transactions actually processed: $total\/$total\n/,
	"all $total transactions processed");

# pgbench reports, per script, " - N transactions (x% of total ..."
my %ran;
for my $i (0 .. $#names)
{
	($ran{ $names[$i] }) =
	  $stdout =~ /SQL script @{[$i + 1]}: \S*$names[$i]\.sql\n - weight: \d+ \([^)]*\)\n - (\d+) transactions/;
	ok(defined $ran{ $names[$i] } && $ran{ $names[$i] } > 0,
		"script $names[$i] ran (" . ($ran{ $names[$i] } // 'unknown') . ' times)');
}

my $rows = $node->safe_psql('postgres',
	q{SELECT query, units, calls, source_query, proof IS NOT NULL
	  FROM relprefetch.stats ORDER BY query});
is( $rows,
	"SELECT name AS n FROM authors WHERE id = \$1|$ran{proven}|"
	  . $ran{proven} * $K
	  . "|SELECT id, author_id FROM posts WHERE id <= \$1 ORDER BY id|t",
	'only the loop of the units that read the rows themselves is recorded, with exactly its units and calls'
);
is($node->safe_psql('postgres', 'SELECT unproven FROM relprefetch.info'),
	$ran{looper}, 'every unit of the lookups alone counts once as unproven');

$node->stop;
done_testing();
