# Tests relprefetch behind PgBouncer (the Debian package's
# /usr/sbin/pgbouncer, started here on its own socket with its own files),
# and what its pooling modes do to units of work.  Every pool has
# pool_size 1 or 2, so that clients share server connections, and the
# node's relprefetch.unit_gap is one hour, so that autocommit units end only
# when something ends them (not by timing):
#   - transaction pooling, N+1 loops in explicit transactions (pgbench, 8
#     clients through 2 server connections): counted exactly, one unit per
#     transaction;
#   - transaction pooling, autocommit: units are the server connection's,
#     not the client's: the 3-lookup loops of two clients sharing one server
#     connection merge into one unit of 6 (a loop no client ran), and a
#     client's 6-lookup loop spread over two server connections is counted
#     as two units of 3 (a loop missed); the same loop in a transaction is
#     counted exactly;
#   - SET in a client session does not follow the client behind transaction
#     pooling: it stays on the server connection, where another client's
#     transaction then fails with on_detect = error, while the client that
#     ran it gets a server connection without it; SET LOCAL inside the
#     transaction works and does not leak;
#   - relprefetch.end_unit() at the start of each request ends the unit on
#     the server connection the request runs on: requests back to back on
#     one server connection, and requests sharing one transaction (a test
#     framework's), are then units of their own;
#   - session pooling: server_reset_query (DISCARD ALL, PgBouncer's default,
#     run only in session pooling as server_reset_query_always = 0) ends the
#     unit when a client disconnects, so clients never merge; it is sent
#     exactly once per client disconnecting from the session pool, and
#     never in transaction pooling;
#   - transaction pooling with server_reset_query_always = 1: DISCARD ALL
#     after every transaction makes each autocommit statement a unit (a
#     client's autocommit loop is never detected), while a loop in a
#     transaction still is.
# Skipped only when there is no pgbouncer executable.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;
use Time::HiRes qw(usleep);

my ($pgbouncer) =
  grep { -x $_ } ('/usr/sbin/pgbouncer',
	map { "$_/pgbouncer" } split(/:/, $ENV{PATH} // ''));
if (!$pgbouncer)
{
	plan skip_all =>
	  'no pgbouncer executable in /usr/sbin or PATH (apt-get install pgbouncer)';
}

my $node = start_relprefetch_node(
	'relprefetch.unit_gap' => "'1h'",
	log_statement => "'all'");
$node->safe_psql('postgres', authors_posts_sql(20));

###########################################################################
# PgBouncer
###########################################################################

# A short directory: PgBouncer's and the node's Unix sockets
my $dir = PostgreSQL::Test::Utils::tempdir_short();
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $user = scalar getpwuid($<);
my $server = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres';

# One pool per scenario (each pool has its own server connections), all to
# the database postgres; transaction pooling and pool_size 2 unless said
my %pools = (
	bench => '',
	merge => ' pool_size=1',
	split => '',
	settings => '',
	local => ' pool_size=1',
	endunit => ' pool_size=1',
	testcase => '',
	session => ' pool_size=1 pool_mode=session',
	always => ' pool_size=1',);

my $ini = "[databases]\n";
$ini .= "$_ = $server$pools{$_}\n" foreach sort keys %pools;
$ini .= qq{
[pgbouncer]
unix_socket_dir = $dir
listen_port = $port
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = $user
pool_mode = transaction
default_pool_size = 2
min_pool_size = 0
reserve_pool_size = 0
server_round_robin = 0
server_check_query =
ignore_startup_parameters = extra_float_digits
};
PostgreSQL::Test::Utils::append_to_file("$dir/pgbouncer.ini", $ini);
PostgreSQL::Test::Utils::append_to_file("$dir/userlist.txt",
	qq{"$user" ""\n});

my $bouncer_log =
  "$PostgreSQL::Test::Utils::log_path/012_pgbouncer_pgbouncer.log";
my $bouncer = IPC::Run::start([ $pgbouncer, "$dir/pgbouncer.ini" ],
	'<', \undef, '>>', $bouncer_log, '2>>', $bouncer_log);

END
{
	# stop PgBouncer even when the test dies
	$bouncer->kill_kill(grace => 5) if $bouncer && $bouncer->pumpable;
}

sub bouncer_connstr
{
	my ($db) = @_;
	return "host=$dir port=$port dbname=$db";
}

# psql through PgBouncer, one client session running $sql statement by
# statement; returns (exit status, stdout, stderr)
sub bouncer_psql
{
	my ($db, $sql, @options) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run(
		[
			$node->installed_command('psql'), '-XAq', @options,
			'-v', 'ON_ERROR_STOP=1', '-d', bouncer_connstr($db), '-f', '-'
		],
		'<', \$sql, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	chomp $out;
	return ($? >> 8, $out, $err);
}

sub bouncer_psql_safe
{
	my ($db, $sql) = @_;
	my ($rc, $out, $err) = bouncer_psql($db, $sql, '-t');
	die "psql through pgbouncer ($db) failed: $err" if $rc != 0;
	return $out;
}

# A SHOW command of PgBouncer's console: one hash per row
sub bouncer_show
{
	my ($what) = @_;
	my ($rc, $out, $err) = bouncer_psql('pgbouncer', "SHOW $what");
	die "SHOW $what failed: $err" if $rc != 0;
	my ($header, @lines) = split /\n/, $out;
	my @columns = split /\|/, $header, -1;
	my @rows;
	foreach my $line (@lines)
	{
		next if $line =~ /^\(\d+ rows?\)$/;
		my %row;
		@row{@columns} = split /\|/, $line, -1;
		push @rows, \%row;
	}
	return @rows;
}

# A psql session through PgBouncer that stays connected (a client holding
# its connection to the pooler), reporting errors with their SQLSTATE
sub bouncer_session
{
	my ($db) = @_;
	return $node->background_psql(
		'postgres',
		on_error_stop => 0,
		extra_params =>
		  [ '-d', bouncer_connstr($db), '-v', 'VERBOSITY=verbose' ]);
}

my $ready = 0;
foreach (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
{
	# until pgbouncer listens, psql may exit before it reads its input,
	# and IPC::Run then dies of the broken pipe: not ready yet
	my $rc = eval { (bouncer_psql('pgbouncer', 'SHOW VERSION'))[0] };
	if (defined $rc && $rc == 0)
	{
		$ready = 1;
		last;
	}
	usleep(100_000);
}
ok($ready, 'pgbouncer accepts connections') or BAIL_OUT('pgbouncer did not start');

my %config = map { $_->{key} => $_->{value} } bouncer_show('CONFIG');
is( join(', ', map { "$_ = '$config{$_}'" }
		qw(pool_mode default_pool_size server_reset_query
		  server_reset_query_always server_check_query)),
	"pool_mode = 'transaction', default_pool_size = '2', "
	  . "server_reset_query = 'DISCARD ALL', server_reset_query_always = '0', "
	  . "server_check_query = ''",
	'pgbouncer: transaction pooling; DISCARD ALL as the reset query, for session pools only');

# What relprefetch.stats holds for the lookups of one scenario, whose
# statements carry its name as a column alias (a shape of their own)
sub stats
{
	my ($tag) = @_;
	return $node->safe_psql(
		'postgres', qq{
SELECT query, units, calls, max_repeats, coalesce(source_query, '<none>'),
       relation, foreign_key
FROM relprefetch.stats WHERE query LIKE '% AS $tag %'});
}

# The lookup of author $id in scenario $tag, and the row it gives: the
# author's name and the server process it ran on
sub lookup
{
	my ($tag, $id) = @_;
	return "SELECT name, pg_backend_pid() AS $tag FROM authors WHERE id = $id";
}

my $posts = 'SELECT id, author_id FROM posts WHERE id <= 6';

sub detected
{
	my ($tag, $units, $calls, $max) = @_;
	return "SELECT name, pg_backend_pid() AS $tag FROM authors WHERE id = \$1"
	  . "|$units|$calls|$max|SELECT id, author_id FROM posts WHERE id <= \$1"
	  . '|public.authors|posts_author_id_fkey';
}

# The server process that ran a statement whose last column is
# pg_backend_pid()
sub pid_of
{
	my ($row) = @_;
	$row =~ /\|?(\d+)$/ or die "no pid in \"$row\"";
	return $1;
}

my $n1_error =
  qr/ERROR:  54000: N\+1 query pattern: the same statement ran 5 times in one unit of work/;

###########################################################################
# Transaction pooling, explicit transactions: exact counts
###########################################################################
my $script = "$dir/unit.sql";
PostgreSQL::Test::Utils::append_to_file($script,
	join('', map { "$_;\n" } 'BEGIN', $posts,
		(map { lookup('bench', $_) } 1 .. 6), 'COMMIT'));

my ($out, $err) = ('', '');
my $bench_ok = IPC::Run::run(
	[
		$node->installed_command('pgbench'), '-n', '-M', 'simple',
		'-c', '8', '-t', '10', '-f', $script,
		'-h', $dir, '-p', $port, 'bench'
	],
	'<', \undef, '>', \$out, '2>', \$err,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
ok($bench_ok, 'pgbench: 8 clients through pgbouncer') or diag($err);
like($out, qr/number of transactions actually processed: 80\/80/,
	'pgbench: 80 transactions');
my ($bench_db) = grep { $_->{name} eq 'bench' } bouncer_show('DATABASES');
my ($bench_pool) = grep { $_->{database} eq 'bench' } bouncer_show('POOLS');
ok( $bench_pool->{pool_mode} eq 'transaction'
	  && $bench_db->{pool_size} == 2
	  && $bench_db->{current_connections} >= 1
	  && $bench_db->{current_connections} <= 2,
	"pgbench: the 8 clients shared $bench_db->{current_connections} server connections (transaction pooling, pool_size 2)"
);
is(stats('bench'), detected('bench', 80, 480, 6),
	'explicit transactions: each is one unit (80 units, 480 calls, 6 at most)');

###########################################################################
# Transaction pooling, autocommit: the server connection's units
###########################################################################

# Two clients alternate on one server connection, each running 3 lookups
my $alice = bouncer_session('merge');
my $bob = bouncer_session('merge');
$alice->query_safe($posts);
my %pids;
foreach my $i (1 .. 3)
{
	$pids{ pid_of($alice->query_safe(lookup('merge', $i))) }++;
	$pids{ pid_of($bob->query_safe(lookup('merge', 10 + $i))) }++;
}
is(scalar(keys %pids), 1, 'autocommit: both clients ran on one server connection');
is( $alice->query_safe(
		q{SELECT calls FROM relprefetch.unit_queries() WHERE query LIKE '% AS merge %'}),
	'6',
	'autocommit: client A\'s unit holds client B\'s lookups too');
is(stats('merge'), detected('merge', 1, 6, 6),
	'autocommit: two clients\' loops of 3 merge into one unit of 6');
$alice->quit;
$bob->quit;

# One client's 6 lookups, while another client takes the server connection
# it was on (PgBouncer reuses the last released server connection first)
$alice = bouncer_session('split');
my $carol = bouncer_session('split');
$alice->query_safe($posts);
my @first = map { pid_of($alice->query_safe(lookup('split', $_))) } 1 .. 3;
$carol->query_safe('BEGIN');
my $c_pid = $carol->query_safe('SELECT pg_backend_pid()');
my @second = map { pid_of($alice->query_safe(lookup('split', $_))) } 4 .. 6;
$carol->query_safe('COMMIT');
ok( $first[0] == $c_pid
	  && (grep { $_ == $first[0] } @first) == 3
	  && (grep { $_ == $second[0] } @second) == 3
	  && $second[0] != $first[0],
	'autocommit: client A\'s lookups ran 3 on one server connection, 3 on the other'
);
is(stats('split'), '',
	'autocommit: a loop of 6 spread over two server connections is not detected');

# The remedy: the request in a transaction
$alice->query_safe(join(";\n", 'BEGIN', $posts, map { lookup('split', $_) } 1 .. 6)
	  . ";\nCOMMIT");
is(stats('split'), detected('split', 1, 6, 6),
	'in a transaction, the same loop is one unit of 6');
$alice->quit;
$carol->quit;

###########################################################################
# Per-request settings: SET does not stick, SET LOCAL does
###########################################################################
$alice = bouncer_session('settings');
$bob = bouncer_session('settings');
$carol = bouncer_session('settings');
my $show = q{SELECT pg_backend_pid() || ' ' || current_setting('relprefetch.on_detect')};

# A holds server connection X; B's SET runs on Y, the other one
$alice->query_safe('BEGIN');
my $x = $alice->query_safe('SELECT pg_backend_pid()');
$bob->query_safe('SET relprefetch.on_detect = error');
my ($y, $b_setting) = split / /, $bob->query_safe($show);
isnt($y, $x, 'SET: B ran it on the server connection A does not hold');
is($b_setting, 'error', 'SET: B sees it while it has that server connection');

# C's transaction gets Y, with B's setting; B then gets X, without it
$carol->query_safe('BEGIN');
is($carol->query_safe($show), "$y error",
	'SET: C, which never ran it, gets B\'s setting with the server connection');
$alice->query_safe('COMMIT');
is($bob->query_safe($show), "$x none", 'SET: B\'s next statement runs without it');

# B's loop is not stopped; C's is
$bob->query_safe($posts);
$bob->query_safe(lookup('settings', $_)) foreach 1 .. 5;
pass('SET: B\'s own loop of 5 runs without error');
$carol->query_safe($posts);
$carol->query_safe(lookup('settings', $_)) foreach 1 .. 4;
my ($res, $failed) = $carol->query(lookup('settings', 5));
ok($failed && $carol->{stderr} =~ $n1_error,
	'SET: C\'s transaction fails on B\'s setting (54000)');
$carol->{stderr} = '';
$carol->query_safe('ROLLBACK');
is(stats('settings'), detected('settings', 2, 10, 5),
	'SET: both loops are counted');
$alice->quit;
$bob->quit;
$carol->quit;

# SET LOCAL inside the transaction: for that transaction only
$alice = bouncer_session('local');
$bob = bouncer_session('local');
$alice->query_safe('BEGIN');
$alice->query_safe('SET LOCAL relprefetch.on_detect = error');
$alice->query_safe($posts);
$alice->query_safe(lookup('local', $_)) foreach 1 .. 4;
($res, $failed) = $alice->query(lookup('local', 5));
ok($failed && $alice->{stderr} =~ $n1_error,
	'SET LOCAL relprefetch.on_detect = error: the loop fails with 54000 through pgbouncer');
like(
	$alice->{stderr},
	qr/DETAIL:  The repeated statement is "SELECT name, pg_backend_pid\(\) AS local FROM authors WHERE id = \$1", run after "SELECT id, author_id FROM posts WHERE id <= \$1"; it reads relation public\.authors\./,
	'SET LOCAL: with the repeated statement, the source and the relation');
$alice->{stderr} = '';
$alice->query_safe('ROLLBACK');
my ($z, $a_setting) = split / /, $alice->query_safe($show);
is($a_setting, 'none', 'SET LOCAL: gone after the transaction');
$bob->query_safe('BEGIN');
is($bob->query_safe($show), "$z none",
	'SET LOCAL: the next client on the same server connection does not get it');
$bob->query_safe($posts);
$bob->query_safe(lookup('local', $_)) foreach 1 .. 5;
$bob->query_safe('COMMIT');
pass('SET LOCAL: the other client\'s loop runs without error');
is(stats('local'), detected('local', 2, 10, 5), 'SET LOCAL: both loops are counted');
$alice->quit;
$bob->quit;

###########################################################################
# relprefetch.end_unit() at the start of each request
###########################################################################

# Autocommit requests back to back on one server connection (pool_size 1)
$alice = bouncer_session('endunit');
$bob = bouncer_session('endunit');
$alice->query_safe($posts);
$alice->query_safe(lookup('backtoback', $_)) foreach 1 .. 3;
$bob->query_safe($posts);
$bob->query_safe(lookup('backtoback', $_)) foreach 4 .. 6;
is(stats('backtoback'), detected('backtoback', 1, 6, 6),
	'autocommit: two requests of 3 lookups back to back are one unit of 6');

foreach my $session ($alice, $bob)
{
	$session->query_safe('SELECT relprefetch.end_unit()');
	$session->query_safe($posts);
	$session->query_safe(lookup('endunit', $_)) foreach 1 .. 3;
}
is(stats('endunit'), '',
	'autocommit: with end_unit() at the start of each, two units of 3');
$alice->quit;
$bob->quit;

# Two requests in one transaction (a test framework's test case)
$alice = bouncer_session('testcase');
my $request = join(";\n", $posts, map { lookup('onetx', $_) } 1 .. 3);
$alice->query_safe("BEGIN;\n$request;\n$request;\nCOMMIT");
is(stats('onetx'), detected('onetx', 1, 6, 6),
	'two requests of 3 lookups in one transaction are one unit of 6');
$request = join(";\n", $posts, map { lookup('testcase', $_) } 1 .. 3);
$alice->query_safe(
	"BEGIN;\nSELECT relprefetch.end_unit();\n$request;\n"
	  . "SELECT relprefetch.end_unit();\n$request;\nCOMMIT");
is(stats('testcase'), '',
	'with end_unit() at the start of each request, two units of 3');
$alice->quit;

###########################################################################
# Session pooling: DISCARD ALL at each client's release ends the unit
###########################################################################
my @session_pids;
foreach my $ids ([ 1 .. 3 ], [ 4 .. 6 ])
{
	my $out = bouncer_psql_safe('session',
		join(";\n", $posts, map { lookup('session', $_) } @$ids) . ";\n");
	push @session_pids, map { pid_of($_) } grep { /^author / } split /\n/, $out;
}
is(stats('session'), '',
	'session pooling: two clients of 3 lookups each, one after the other, are two units');
my $out3 = bouncer_psql_safe('session',
	join(";\n", $posts, map { lookup('session', $_) } 1 .. 6) . ";\n");
push @session_pids, map { pid_of($_) } grep { /^author / } split /\n/, $out3;
is(stats('session'), detected('session', 1, 6, 6),
	'session pooling: one client\'s loop of 6 is one unit');
my %session_pid = map { $_ => 1 } @session_pids;
is(scalar(keys %session_pid), 1,
	'session pooling: the three clients ran on one server connection');
my ($spid) = keys %session_pid;
my ($session_pool) =
  grep { $_->{database} eq 'session' } bouncer_show('POOLS');
is($session_pool->{pool_mode}, 'session', 'the pool "session" is in session pooling');

# Each client disconnecting made PgBouncer send DISCARD ALL (the last one
# possibly after psql returned): three in all, none from the other pools
my $discards = 0;
foreach (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
{
	my @all = (slurp_file($node->logfile) =~ /statement: DISCARD ALL$/mg);
	$discards = scalar @all;
	last if $discards >= 3;
	usleep(100_000);
}
my @session_discards =
  (slurp_file($node->logfile) =~ /\[$spid\] [^\n]*statement: DISCARD ALL$/mg);
is("$discards " . scalar(@session_discards), '3 3',
	'DISCARD ALL: once per client released by the session pool, never in transaction pooling'
);

###########################################################################
# Transaction pooling with server_reset_query_always = 1
###########################################################################

# DISCARD ALL after every transaction: each autocommit statement is a unit
my ($rc) = bouncer_psql('pgbouncer', 'SET server_reset_query_always = 1');
is($rc, 0, 'server_reset_query_always = 1 on the console');
$alice = bouncer_session('always');
$alice->query_safe($posts);
$alice->query_safe(lookup('always', $_)) foreach 1 .. 6;
is(stats('always'), '',
	'server_reset_query_always = 1: a client\'s autocommit loop of 6 is not detected');
$alice->query_safe(join(";\n", 'BEGIN', $posts, map { lookup('always', $_) } 1 .. 6)
	  . ";\nCOMMIT");
is(stats('always'), detected('always', 1, 6, 6),
	'server_reset_query_always = 1: the loop in a transaction is');
$alice->quit;

$bouncer->kill_kill(grace => 5);
$node->stop;
done_testing();
