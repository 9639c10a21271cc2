# Tests relprefetch in a cluster WITHOUT shared_preload_libraries:
#   - CREATE EXTENSION works (it loads the library, which then only defines
#     its settings);
#   - relprefetch.stats (view and function), relprefetch.reset(),
#     relprefetch.unit_queries() and relprefetch.info (view and function)
#     each fail with ERROR 55000 "relprefetch must be loaded via
#     shared_preload_libraries" and a hint, and the session goes on;
#   - once the library is loaded in a session (LOAD, CREATE EXTENSION or a
#     call of one of its functions), its settings are validated: SET
#     relprefetch.threshold = 1 is rejected with the valid range (2 ..),
#     SET relprefetch.on_detect = 'bogus' lists the valid values, and so
#     does ALTER DATABASE ... SET;
#   - before the library is loaded in a session, SET relprefetch.threshold
#     = 1 only creates a placeholder (core PostgreSQL behaviour for custom
#     settings); loading the library then warns and keeps the default;
#   - fetch_json and fetch_children work (they need no shared memory);
#   - after adding relprefetch to shared_preload_libraries and restarting,
#     the extension created earlier works.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $node = start_node();

is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'', 'relprefetch is not preloaded');

# The version a plain CREATE EXTENSION installs, from the control file.
open(my $control, '<', "$FindBin::RealBin/../relprefetch.control")
  or die "relprefetch.control: $!";
my ($default_version) =
  map { /^default_version = '(.*)'$/ ? $1 : () } <$control>;
close($control);

my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE EXTENSION relprefetch');
is($ret, 0, 'CREATE EXTENSION works without shared_preload_libraries')
  or diag($stderr);
is($stderr, '', 'CREATE EXTENSION: no message');
is( $node->safe_psql(
		'postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'relprefetch'"),
	$default_version,
	'the extension is installed');

# The fetch functions need no shared memory: they work without preloading.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE np_parent (id int PRIMARY KEY);
	CREATE TABLE np_child (id int PRIMARY KEY, parent_id int REFERENCES np_parent);
	INSERT INTO np_parent VALUES (1), (2);
	INSERT INTO np_child VALUES (10, 1), (11, 1);
});
is( $node->safe_psql(
		'postgres',
		q{SELECT string_agg(j::text, ' ') FROM relprefetch.fetch_json('np_parent',
		  '{"order_by": "id", "include": {"np_child": {"columns": ["id"], "order_by": "id"}}}') j}
	),
	'{"id":1,"np_child":[{"id":10},{"id":11}]} {"id":2,"np_child":[]}',
	'fetch_json works without shared_preload_libraries');
is( $node->safe_psql(
		'postgres',
		q{SELECT string_agg((parent).id || ':' || cardinality(children), ' ' ORDER BY (parent).id)
		  FROM relprefetch.fetch_children(NULL::np_parent, NULL::np_child[])}),
	'1:2 2:0',
	'fetch_children works without shared_preload_libraries');

# Every entry point, in one session that goes on after each error
my @calls = (
	'SELECT * FROM relprefetch.stats',
	'SELECT * FROM relprefetch.stats()',
	'SELECT relprefetch.reset()',
	'SELECT * FROM relprefetch.unit_queries()',
	'SELECT * FROM relprefetch.info',
	'SELECT * FROM relprefetch.info()');
my $sql = "\\set VERBOSITY verbose\n";
$sql .= "$_;\nSELECT 'after: $_';\n" for @calls;
($ret, $stdout, $stderr) =
  $node->psql('postgres', $sql, on_error_stop => 0);
is($stdout, join("\n", map { "after: $_" } @calls),
	'the session goes on after each error');
my @errors = split /(?=^psql:<stdin>:\d+: ERROR:)/m, $stderr;
is(scalar(@errors), scalar(@calls), 'one error per call')
  or diag($stderr);
for my $i (0 .. $#calls)
{
	like(
		$errors[$i] // '',
		qr/^psql:<stdin>:\d+: ERROR:  55000: relprefetch must be loaded via shared_preload_libraries\n/,
		"$calls[$i]: ERROR 55000 relprefetch must be loaded via shared_preload_libraries"
	);
	like(
		$errors[$i] // '',
		qr/^HINT:  Add relprefetch to shared_preload_libraries in postgresql.conf and restart the server.$/m,
		"$calls[$i]: hint");
}

# Settings, in a session that loaded the library
sub psql_error
{
	my ($sql) = @_;
	my ($ret, $stdout, $stderr) =
	  $node->psql('postgres', $sql, on_error_stop => 0);
	return $stderr;
}

is( psql_error("LOAD 'relprefetch';\nSET relprefetch.threshold = 1;"),
	'psql:<stdin>:2: ERROR:  1 is outside the valid range for parameter "relprefetch.threshold" (2 .. 2147483647)',
	'SET relprefetch.threshold = 1 is rejected with the valid range');
is( psql_error(
		"LOAD 'relprefetch';\nSET relprefetch.on_detect = 'bogus';"),
	qq{psql:<stdin>:2: ERROR:  invalid value for parameter "relprefetch.on_detect": "bogus"\n}
	  . 'HINT:  Available values: none, log, notice, warning, error.',
	'SET relprefetch.on_detect = bogus lists the valid values');
is( psql_error(
		"LOAD 'relprefetch';\nALTER DATABASE postgres SET relprefetch.threshold = 1;"
	),
	'psql:<stdin>:2: ERROR:  1 is outside the valid range for parameter "relprefetch.threshold" (2 .. 2147483647)',
	'ALTER DATABASE SET relprefetch.threshold = 1 is rejected');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"LOAD 'relprefetch';\nSET relprefetch.threshold = 2;\nSET relprefetch.on_detect = 'warning';\n"
	  . "SHOW relprefetch.threshold;\nSHOW relprefetch.on_detect;");
is("$stdout$stderr", "2\nwarning", 'valid values are accepted');

# calling one of its functions loads the library too, even though it fails
is( psql_error(
		"SELECT * FROM relprefetch.info;\nSET relprefetch.threshold = 1;"),
	"psql:<stdin>:1: ERROR:  relprefetch must be loaded via shared_preload_libraries\n"
	  . "HINT:  Add relprefetch to shared_preload_libraries in postgresql.conf and restart the server.\n"
	  . 'psql:<stdin>:2: ERROR:  1 is outside the valid range for parameter "relprefetch.threshold" (2 .. 2147483647)',
	'after a failed call, SET relprefetch.threshold = 1 is rejected');

# before the library is loaded in a session, SET makes a placeholder
($ret, $stdout, $stderr) = $node->psql(
	'postgres', "SET relprefetch.threshold = 1;
SHOW relprefetch.threshold;
LOAD 'relprefetch';
SHOW relprefetch.threshold;");
is($ret, 0, 'placeholder: no error');
is($stdout, "1\n5",
	'placeholder: accepted before LOAD, back to the default after it');
is( $stderr,
	'psql:<stdin>:3: WARNING:  1 is outside the valid range for parameter "relprefetch.threshold" (2 .. 2147483647)',
	'placeholder: LOAD warns about the invalid value');

ok(!$node->log_contains(qr/FATAL|PANIC|terminated by signal/),
	'no session died');

# the advice of the hint works
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'relprefetch'");
$node->restart;
($ret, $stdout, $stderr) = $node->psql('postgres',
	'SELECT count(*) FROM relprefetch.stats; SELECT entries FROM relprefetch.info'
);
is("$stdout$stderr", "0\n0",
	'once preloaded, the extension created earlier works');

$node->stop;

done_testing();
