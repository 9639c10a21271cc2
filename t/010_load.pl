# Load test: 32 concurrent sessions for a bounded time (pgbench -T), on the
# demo's blog schema (demo/blog.sql).
#
# 1. A mix of N+1 loops and clean workloads.  Three pgbench processes run at
#    once (32 sessions in all): -M simple and -M extended with every script,
#    and -M prepared with the explicit transactions only (prepared
#    statements would not survive DISCARD ALL).  The scripts:
#      - txn_author: an explicit transaction, Django's post.author loop
#        (6 lookups of blog_author by primary key);
#      - txn_comments: an explicit transaction whose loop body holds two
#        statements per post (its comments, its tags): 8 iterations;
#      - burst_author: autocommit statements (7 author lookups) ended by
#        DISCARD ALL, with unit_gap = 1h through PGOPTIONS (as in
#        t/001_concurrent.pl), so each burst is exactly one unit;
#      - clean_txn and clean_burst: the same shapes fewer than
#        relprefetch.threshold times per unit, a join, fetch_json and
#        fetch_children: nothing of them may ever show in the view, and the
#        looped shapes' counters must not include their executions.
#    Each script logs its run in an unlogged table in the same transaction
#    (or burst), so the view's units, calls and max_repeats are known
#    exactly afterwards: every row must equal them, with the right query,
#    source query, relation and foreign key, and the same suggestion as a
#    quiet single-session run.  pgbench must exit 0 with no failed
#    transaction, the server log must hold no ERROR, FATAL or PANIC, no
#    client may vanish in the middle of a transaction, and afterwards no
#    lock is left: no session waits on relprefetch's LWLock, pg_locks holds
#    nothing but the querying session's locks, the view can be read and
#    reset() works.  While pgbench runs, another session polls the view:
#    every poll must succeed and be consistent (only the expected shapes;
#    units and calls never decrease; between threshold and the loop's
#    length calls per unit), and no backend may wait on relprefetch's
#    LWLock in a statement older than 5 s.
#
# 2. relprefetch.max = 100 (the smallest allowed) and 400 shapes picked at
#    random by 32 sessions (-M simple, where pgbench writes the shape's
#    number into the alias of the selected column), so the table is full
#    and entries are evicted all the time:
#      - "a" shapes (300): shape k reads blog_author, blog_comment or
#        blog_country (by k % 3) r(k) = 5 + k % 4 times per unit, with
#        SET LOCAL relprefetch.threshold = r(k): the unit is recorded
#        whole, at its last execution, so an eviction can never split it,
#        and every row must show calls = units * r(k) and max_repeats =
#        r(k), in every poll during the run as well as at the end;
#      - "b" shapes (100): the same with the default threshold (5), so the
#        executions past the threshold go through the pending slots; a
#        unit whose entry is evicted in its middle counts afresh
#        (documented), so the row is only bounded: units <= calls <=
#        units * r(k), max_repeats <= r(k).
#    For every row, its relation and foreign key are those of its own
#    table, its units do not exceed the runs logged for its shape, no shape
#    has two rows, the table never holds more than 100 entries, evictions
#    are counted, and the server never crashed (same postmaster start
#    time, nothing in the log).
#
# pgbench -T lets each client finish the script it is running when the time
# is up, so every run of a script is whole: a client leaving in the middle
# of a transaction would leave "unexpected EOF on client connection with an
# open transaction" in the server log, which the test rejects, and a burst
# cut short would break the exact totals.
#
# Every figure measured (sessions, transactions, statements, units,
# evictions, duration, shared memory) is printed with note().  The run
# lasts about 2 x $duration seconds plus a few for setup.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;
use Time::HiRes qw(time sleep);

my $duration  = 15;    # seconds of each pgbench run (-T)
my $threshold = 5;     # relprefetch.threshold, the default

my $blog_sql = "$FindBin::RealBin/../demo/blog.sql";
# Not a skip: without the demo schema this test must fail.
if (!-f $blog_sql)
{
	fail("$blog_sql exists (demo/ must sit next to t/)");
	done_testing();
	exit;
}

my $node = start_relprefetch_node(
	'relprefetch.threshold' => $threshold,
	max_connections         => 45,
	# the test framework's log_statement = all would log every statement
	log_statement => 'none',
	# autovacuum would show in pg_locks and in pg_stat_activity
	autovacuum => 'off');
$node->safe_psql('postgres',
	"\\set scale 1000\n" . slurp_file($blog_sql));    # 100 authors, 1000 posts
$node->safe_psql('postgres',
	'CREATE UNLOGGED TABLE script_runs (script text NOT NULL)');

my $superuser_oid =
  $node->safe_psql('postgres', 'SELECT current_user::regrole::oid');
my $postgres_dboid = $node->safe_psql('postgres',
	"SELECT oid FROM pg_database WHERE datname = 'postgres'");

# Shared memory: bytes of relprefetch's named structures (its state, the
# pending slots, the hash table's header), and of all the anonymous
# allocations (where the hash table's entries are, all allocated at start)
sub shmem_size
{
	return split /\|/, $node->safe_psql(
		'postgres', q{
SELECT sum(size) FILTER (WHERE name LIKE 'relprefetch%'),
       sum(size) FILTER (WHERE name = '<anonymous>')
FROM pg_shmem_allocations});
}

###########################################################################
# pgbench, started in the background
###########################################################################
my $script_no = 0;

# Start pgbench with the given options and scripts (a list of [text,
# weight]), PGOPTIONS when given; returns a handle for finish_pgbench.
sub start_pgbench
{
	my ($name, $opts, $pgoptions, @scripts) = @_;
	my @files;

	for my $script (@scripts)
	{
		my ($text, $weight) = @$script;
		my $file = $node->basedir . '/script_' . ++$script_no . '.sql';
		PostgreSQL::Test::Utils::append_to_file($file, $text);
		push @files, '-f', "$file\@$weight";
	}

	local %ENV = %ENV;
	delete $ENV{PGOPTIONS};
	$ENV{PGOPTIONS} = $pgoptions if defined $pgoptions;
	my @cmd = (
		'pgbench', '-n', '-h', $node->host, '-p', $node->port,
		split(/\s+/, $opts), @files, 'postgres');
	note "$name: @cmd" . (defined $pgoptions ? " (PGOPTIONS=$pgoptions)" : '');
	my %run = (name => $name, stdout => '', stderr => '');
	$run{handle} = IPC::Run::start(\@cmd, '>', \$run{stdout}, '2>',
		\$run{stderr});
	return \%run;
}

# Wait for a pgbench started by start_pgbench: it exits with status 0, with
# no failed transaction.  Returns the number of transactions it processed.
sub finish_pgbench
{
	my ($run) = @_;
	my $name = $run->{name};

	my $ok = $run->{handle}->finish;
	ok($ok, "$name: pgbench exits with status 0")
	  or diag("stdout:\n$run->{stdout}\nstderr:\n$run->{stderr}");
	like($run->{stdout}, qr/number of failed transactions: 0 \(/,
		"$name: no failed transaction");
	my ($processed) =
	  $run->{stdout} =~ /number of transactions actually processed: (\d+)/;
	my ($tps) = $run->{stdout} =~ /tps = ([\d.]+)/;
	note "$name: "
	  . ($processed // '?')
	  . ' transactions, '
	  . ($tps // '?') . ' tps';
	return $processed // 0;
}

# Number of SQL statements in a script without \if (lines not starting with
# a backslash)
sub statements_in
{
	my ($text) = @_;
	return scalar grep { /\S/ && !/^\\/ } split /\n/, $text;
}

# Poll once a second until 2 s before the end of the run: one psql reads
# pg_stat_activity, relprefetch.info and the view ($view_query), whose rows
# go to $check, which returns the problems it finds.  Returns counts: polls,
# polls that saw all $sessions sessions connected, rows of the view read,
# backends seen waiting on relprefetch's LWLock and those of them waiting
# in a statement started more than 5 s before (stuck); the most entries
# seen; the problems.
sub poll_during_run
{
	my ($started, $sessions, $view_query, $check) = @_;
	my %poll =
	  (polls => 0, full => 0, waits => 0, stuck => 0, entries => 0, rows => 0);
	my @problems;

	while (time < $started + $duration - 2)
	{
		sleep 1;
		my ($activity, @rows) = split /\n/, $node->safe_psql(
			'postgres', q{
SELECT count(*) FILTER (WHERE backend_type = 'client backend'
                          AND pid <> pg_backend_pid()),
       count(*) FILTER (WHERE wait_event_type = 'LWLock'
                          AND wait_event = 'relprefetch'),
       count(*) FILTER (WHERE wait_event_type = 'LWLock'
                          AND wait_event = 'relprefetch'
                          AND query_start < now() - interval '5 s'),
       (SELECT entries FROM relprefetch.info)
FROM pg_stat_activity;
} . $view_query);
		my ($connected, $waiting, $old, $entries) = split /\|/, $activity;
		$poll{polls}++;
		$poll{full}++ if $connected == $sessions;
		$poll{waits} += $waiting;
		$poll{stuck} += $old;
		$poll{entries} = $entries if $entries > $poll{entries};
		$poll{rows} += @rows;
		push @problems, $check->(join("\n", @rows));
	}
	$poll{problems} = join("\n", @problems);
	return \%poll;
}

# Checks on the polls of a run
sub check_polls
{
	my ($phase, $poll) = @_;
	is($poll->{problems}, '',
		"$phase: $poll->{polls} polls of the view during the run, all consistent");
	cmp_ok($poll->{polls}, '>=', 3, "$phase: at least 3 polls during the run");
	cmp_ok($poll->{rows}, '>', 0,
		"$phase: the polls saw rows of the view ($poll->{rows})");
	cmp_ok($poll->{full}, '>=', 1,
		"$phase: polls ran while all the sessions were connected ($poll->{full})");
	is($poll->{stuck}, 0,
		"$phase: no backend waited on relprefetch's LWLock for more than 5 s");
	note "$phase: $poll->{waits} momentary waits on relprefetch's LWLock seen in $poll->{polls} polls";
	return;
}

# After a run: the pgbench sessions are gone, nobody waits on relprefetch's
# LWLock, and pg_locks holds no lock but this session's.
sub check_nothing_left
{
	my ($phase) = @_;

	ok( $node->poll_query_until(
			'postgres', q{
SELECT count(*) FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()},
			'0'),
		"$phase: every session has exited");
	is( $node->safe_psql(
			'postgres', q{
SELECT count(*) FROM pg_stat_activity
WHERE wait_event_type = 'LWLock' AND wait_event = 'relprefetch'}),
		'0',
		"$phase: no backend waits on relprefetch's LWLock");
	is( $node->safe_psql(
			'postgres', q{
SELECT string_agg(format('%s %s %s %s', locktype, relation::regclass, mode, pid), ', ')
FROM pg_locks WHERE pid IS DISTINCT FROM pg_backend_pid()}),
		'',
		"$phase: pg_locks holds no lock of another session");
	return;
}

# The server log since $offset holds no error, no crash, and no client
# that left in the middle of a transaction.
sub check_log
{
	my ($phase, $offset) = @_;
	my $log = slurp_file($node->logfile, $offset);
	my @bad =
	  grep {
		/\b(ERROR|FATAL|PANIC)\b|terminated by signal|unexpected EOF|deadlock/
	  } split /\n/, $log;
	is(join("\n", @bad), '', "$phase: no error, crash or lost client in the server log");
	return;
}

###########################################################################
# 1. N+1 loops and clean workloads
###########################################################################

# A script line for each of $n iterations, with variable v<i> set by
# \set to $random (a pgbench expression); $body is a list of statements
# with :v for the variable.
sub loop_lines
{
	my ($n, $random, @body) = @_;
	my $s = '';
	for my $i (1 .. $n)
	{
		$s .= "\\set v$i $random\n" if defined $random;
		for my $stmt (@body)
		{
			(my $line = $stmt) =~ s/:v\b/:v$i/g;
			$s .= "$line;\n";
		}
	}
	return $s;
}

# Django's post.author loop: the author by primary key, LIMIT 21 as Django
# writes it
my $author_stmt =
  'SELECT "blog_author"."id", "blog_author"."name", "blog_author"."country_id" '
  . 'FROM "blog_author" WHERE "blog_author"."id" = :v LIMIT 21';
my $author_source =
  'SELECT "blog_post"."id", "blog_post"."title", "blog_post"."author_id" '
  . 'FROM "blog_post" ORDER BY "blog_post"."id" ASC LIMIT 6 OFFSET :o';
my $comments_stmt =
  'SELECT id, author_name, body FROM blog_comment WHERE post_id = :v ORDER BY id';
my $tags_stmt =
  'SELECT t.id, t.name FROM blog_tag t JOIN blog_post_tags pt ON pt.tag_id = t.id '
  . 'WHERE pt.post_id = :v';
my $posts_source = 'SELECT id, title FROM blog_post WHERE id > :o ORDER BY id LIMIT 8';
my $burst_stmt   = 'SELECT id, name FROM blog_author WHERE id = :v';
my $burst_source = 'SELECT id, author_id FROM blog_post ORDER BY id LIMIT 7 OFFSET :o';

my %loops = (txn_author => 6, txn_comments => 8, burst_author => 7);
my $clean = $threshold - 1;    # runs of a shape per clean unit

my %script = (
	txn_author => "\\set o random(0, 990)\n"
	  . "BEGIN;\n"
	  . "$author_source;\n"
	  . loop_lines($loops{txn_author}, 'random(1, 100)', $author_stmt)
	  . "INSERT INTO script_runs VALUES ('txn_author');\n"
	  . "COMMIT;\n",
	txn_comments => "\\set o random(0, 990)\n"
	  . "BEGIN;\n"
	  . "$posts_source;\n"
	  . loop_lines($loops{txn_comments}, ':o + 1', $comments_stmt, $tags_stmt)
	  . "INSERT INTO script_runs VALUES ('txn_comments');\n"
	  . "COMMIT;\n",
	burst_author => "\\set o random(0, 990)\n"
	  . "$burst_source;\n"
	  . loop_lines($loops{burst_author}, 'random(1, 100)', $burst_stmt)
	  . "INSERT INTO script_runs VALUES ('burst_author');\n"
	  . "DISCARD ALL;\n",
	# the fixed versions: a join, fetch_json; the looped shapes fewer than
	# threshold times
	clean_txn => "\\set o random(0, 990)\n"
	  . "BEGIN;\n"
	  . "SELECT p.id, p.title, a.name FROM blog_post p JOIN blog_author a ON a.id = p.author_id ORDER BY p.id LIMIT 4 OFFSET :o;\n"
	  . loop_lines($clean, 'random(1, 100)', $author_stmt)
	  . loop_lines($clean, ':o + 1', $comments_stmt, $tags_stmt)
	  . "SELECT relprefetch.fetch_json('blog_post', jsonb_build_object('where', format('id > %s', :o::int), 'order_by', 'id', 'limit', 4, 'include', jsonb_build_array('author', 'tags', 'blog_comment')));\n"
	  . "INSERT INTO script_runs VALUES ('clean_txn');\n"
	  . "COMMIT;\n",
	clean_burst => "\\set o random(0, 990)\n"
	  . loop_lines($clean, 'random(1, 100)', $burst_stmt)
	  . loop_lines($clean, ':o + 1', $comments_stmt)
	  . "SELECT (t.parent).id, cardinality(t.children) FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[], parent_where => format('id BETWEEN %s AND %s', :o::int, :o::int + 4), child_order_by => 'id') t;\n"
	  . "INSERT INTO script_runs VALUES ('clean_burst');\n"
	  . "DISCARD ALL;\n");
my %weight = (
	txn_author   => 3,
	txn_comments => 2,
	burst_author => 2,
	clean_txn    => 2,
	clean_burst  => 1);
my @all_scripts = sort keys %script;
my @txn_scripts = qw(clean_txn txn_author txn_comments);

sub scripts
{
	return map { [ $script{$_}, $weight{$_} ] } @_;
}

# Normalized texts, as the view shows them
my %query = (
	txn_author =>
	  'SELECT "blog_author"."id", "blog_author"."name", "blog_author"."country_id" FROM "blog_author" WHERE "blog_author"."id" = $1 LIMIT $2',
	comments =>
	  'SELECT id, author_name, body FROM blog_comment WHERE post_id = $1 ORDER BY id',
	tags =>
	  'SELECT t.id, t.name FROM blog_tag t JOIN blog_post_tags pt ON pt.tag_id = t.id WHERE pt.post_id = $1',
	burst_author => 'SELECT id, name FROM blog_author WHERE id = $1');
my %source = (
	txn_author =>
	  'SELECT "blog_post"."id", "blog_post"."title", "blog_post"."author_id" FROM "blog_post" ORDER BY "blog_post"."id" ASC LIMIT $1 OFFSET $2',
	txn_comments => 'SELECT id, title FROM blog_post WHERE id > $1 ORDER BY id LIMIT $2',
	burst_author => 'SELECT id, author_id FROM blog_post ORDER BY id LIMIT $1 OFFSET $2');
# Iterations of each looped shape per unit
my %per_unit = (
	$query{txn_author}   => $loops{txn_author},
	$query{comments}     => $loops{txn_comments},
	$query{tags}         => $loops{txn_comments},
	$query{burst_author} => $loops{burst_author});

# The view during the run, as polled: consistent with itself and with the
# previous poll.  Returns the problems found.
my %last_seen;

sub check_view_phase1
{
	my ($out) = @_;
	my @problems;
	for my $row (split /\n/, $out)
	{
		my ($q, $units, $calls, $max) = split /\|/, $row;
		my $n = $per_unit{$q};
		if (!defined $n)
		{
			push @problems, "unexpected row: $row";
			next;
		}
		push @problems, "calls out of [$threshold, $n] per unit: $row"
		  unless $calls >= $threshold * $units && $calls <= $n * $units;
		push @problems, "max_repeats out of [$threshold, $n]: $row"
		  unless $max >= $threshold && $max <= $n;
		my $prev = $last_seen{$q};
		push @problems, "counters went down: $prev->[0]|$prev->[1] then $row"
		  if $prev && ($units < $prev->[0] || $calls < $prev->[1]);
		$last_seen{$q} = [ $units, $calls ];
	}
	return @problems;
}

my ($shmem_named, $shmem_anon) = shmem_size();
my $log_offset = -s $node->logfile;
my $started = time;
my @runs = (
	start_pgbench(
		'simple', "-c 12 -j 2 -T $duration -M simple",
		'-c relprefetch.unit_gap=1h', scripts(@all_scripts)),
	start_pgbench(
		'extended', "-c 12 -j 2 -T $duration -M extended",
		'-c relprefetch.unit_gap=1h', scripts(@all_scripts)),
	start_pgbench(
		'prepared', "-c 8 -j 1 -T $duration -M prepared",
		undef, scripts(@txn_scripts)));
my $sessions = 32;

my $poll = poll_during_run(
	$started, $sessions,
	'SELECT query, units, calls, max_repeats FROM relprefetch.stats',
	\&check_view_phase1);

my $processed = 0;
$processed += finish_pgbench($_) for @runs;
my $elapsed = time - $started;

check_polls('phase 1', $poll);

# What ran, from the log table
my %runs = map { split /\|/ } split /\n/,
  $node->safe_psql('postgres',
	'SELECT script, count(*) FROM script_runs GROUP BY script');
$runs{$_} //= 0 for @all_scripts;
my $logged = 0;
$logged += $runs{$_} for @all_scripts;
is($logged, $processed,
	'every transaction pgbench counted is logged in script_runs');
cmp_ok($runs{$_}, '>', 0, "$_ ran ($runs{$_} times)") for @all_scripts;

# Every row, exactly
sub stats_row
{
	my ($query, $units, $per, $source, $relation, $fk) = @_;
	return join('|',
		$superuser_oid, $postgres_dboid, $query, $units, $units * $per, $per,
		$source, $relation, $fk);
}
my @expected = (
	stats_row(
		$query{txn_author},  $runs{txn_author},
		$loops{txn_author},  $source{txn_author},
		'public.blog_author', 'blog_post_author_id_fkey'),
	stats_row(
		$query{comments},     $runs{txn_comments},
		$loops{txn_comments}, $source{txn_comments},
		'public.blog_comment', 'blog_comment_post_id_fkey'),
	stats_row(
		$query{tags},         $runs{txn_comments},
		$loops{txn_comments}, $source{txn_comments},
		'public.blog_tag',    'blog_post_tags_post_id_fkey'),
	stats_row(
		$query{burst_author}, $runs{burst_author},
		$loops{burst_author}, $source{burst_author},
		'public.blog_author', 'blog_post_author_id_fkey'));
@expected = sort @expected;
is( $node->safe_psql(
		'postgres', q{
SELECT userid, dbid, query, units, calls, max_repeats, source_query,
       relation, foreign_key
FROM relprefetch.stats ORDER BY query COLLATE "C"}),
	join("\n", @expected),
	'the view holds exactly the 4 looped shapes, with the units, calls and max_repeats the clients ran'
);
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM relprefetch.stats
WHERE total_time > 0 AND first_seen <= last_seen AND suggestion <> ''
  AND relid = relation::regclass}),
	'4',
	'every row has its time, timestamps, relid and suggestion');
my ($calls, $units, $time_ms) = split /\|/,
  $node->safe_psql('postgres',
	'SELECT sum(calls), sum(units), round(sum(total_time)::numeric, 1) FROM relprefetch.stats'
  );
is( $node->safe_psql(
		'postgres', 'SELECT entries, evictions FROM relprefetch.info'),
	'4|0',
	'info: 4 entries, no eviction');

my $statements = 0;
$statements += $runs{$_} * statements_in($script{$_}) for @all_scripts;
note sprintf(
	'phase 1: %d sessions (12 simple, 12 extended, 8 prepared) for %.1f s: '
	  . '%d transactions (scripts), %d statements; '
	  . 'in the view: %d units, %d calls, %s ms; shared memory: '
	  . 'relprefetch.max = 1000, named structures %d bytes, anonymous %d bytes',
	$sessions, $elapsed, $processed, $statements, $units, $calls, $time_ms,
	$shmem_named, $shmem_anon);
note join(', ', map { "$_ $runs{$_}" } @all_scripts);

check_nothing_left('phase 1');
check_log('phase 1', $log_offset);

# The descriptions under load are those of a quiet run: one run of each
# looped script by one session.
my $described = q{
SELECT query, source_query, relid::regclass, relation, foreign_key, suggestion
FROM relprefetch.stats ORDER BY query COLLATE "C"};
my $under_load = $node->safe_psql('postgres', $described);
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
is($node->safe_psql('postgres', 'SELECT count(*) FROM relprefetch.stats'),
	'0', 'phase 1: reset() works after the run');
for my $name (qw(txn_author txn_comments burst_author))
{
	finish_pgbench(
		start_pgbench(
			"quiet $name", '-c 1 -t 1 -M simple',
			'-c relprefetch.unit_gap=1h', scripts($name)));
}
is($node->safe_psql('postgres', $described),
	$under_load,
	'phase 1: queries, sources, relations, foreign keys and suggestions are those of a quiet run'
);

###########################################################################
# 2. A full table: relprefetch.max = 100, 400 shapes
###########################################################################
$node->append_conf('postgresql.conf', "relprefetch.max = 100\n");
$node->restart;
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
$node->safe_psql('postgres',
	'CREATE UNLOGGED TABLE shape_runs (kind text NOT NULL, k int NOT NULL, r int NOT NULL)'
);
is( $node->safe_psql(
		'postgres', 'SELECT entries, max_entries, evictions FROM relprefetch.info'),
	'0|100|0',
	'phase 2: restarted with relprefetch.max = 100, empty table');
my ($shmem_named2, $shmem_anon2) = shmem_size();
note sprintf(
	'shared memory: relprefetch.max = 100, named structures %d bytes, '
	  . 'anonymous %d bytes: %d bytes less for 900 entries less, %.0f per entry',
	$shmem_named2, $shmem_anon2, $shmem_anon - $shmem_anon2,
	($shmem_anon - $shmem_anon2) / 900);

# Shape k's statement: reads one of three tables, by k % 3; the shape's
# number is the alias of a selected column.
my @tables = (
	[ 'SELECT id, name AS KIND:k FROM blog_author WHERE id = :x',
		'public.blog_author', 'blog_post_author_id_fkey' ],
	[ 'SELECT id, body AS KIND:k FROM blog_comment WHERE post_id = :x',
		'public.blog_comment', 'blog_comment_post_id_fkey' ],
	[ 'SELECT id, name AS KIND:k FROM blog_country WHERE id = :x',
		'public.blog_country', 'blog_author_country_id_fkey' ]);

# The statement run r = 5 + k % 4 times
sub shape_lines
{
	my ($stmt) = @_;
	return "$stmt;\n" x 5
	  . join('', map { "\\if :r >= $_\n$stmt;\n\\endif\n" } 6 .. 8);
}

# "a" shapes: k = 3 .. 302, each table's third of them in its own script;
# the threshold is r for the unit.
my @phase2 = map {
	my $c = $_;
	(my $stmt = $tables[$c][0]) =~ s/KIND/a/;
	[
		"\\set k 3 * random(1, 100) + $c\n"
		  . "\\set r 5 + :k % 4\n"
		  . "\\set x random(1, 50)\n"
		  . "BEGIN;\n"
		  . "SET LOCAL relprefetch.threshold = :r;\n"
		  . shape_lines($stmt)
		  . "INSERT INTO shape_runs VALUES ('a', :k, :r);\n"
		  . "COMMIT;\n",
		1
	]
} 0 .. 2;
# "b" shapes: k = 1 .. 100, blog_author, the default threshold
(my $b_stmt = $tables[0][0]) =~ s/KIND/b/;
push @phase2,
  [
	"\\set k random(1, 100)\n"
	  . "\\set r 5 + :k % 4\n"
	  . "\\set x random(1, 50)\n"
	  . "BEGIN;\n"
	  . shape_lines($b_stmt)
	  . "INSERT INTO shape_runs VALUES ('b', :k, :r);\n"
	  . "COMMIT;\n",
	1
  ];

# Check rows of the view: returns the problems found and the number of "b"
# rows whose counters are those of whole units.
sub check_shapes
{
	my ($rows, $logged) = @_;
	my (@problems, %seen);
	my $whole = 0;
	for my $row (split /\n/, $rows)
	{
		my ($q, $units, $calls, $max, $relation, $fk) = split /\|/, $row;
		my ($kind, $k) = $q =~ /^SELECT id, (?:name|body) AS ([ab])(\d+) FROM /;
		if (!defined $k)
		{
			push @problems, "unexpected row: $row";
			next;
		}
		my $r = 5 + $k % 4;
		my $t = $kind eq 'a' ? $tables[ $k % 3 ] : $tables[0];
		(my $text = $t->[0]) =~ s/KIND:k/$kind$k/;
		$text =~ s/:x/\$1/;
		push @problems, "text, relation or foreign key of another shape: $row"
		  unless $q eq $text && $relation eq $t->[1] && $fk eq $t->[2];
		push @problems, "two rows for $kind$k" if $seen{"$kind$k"}++;
		if ($kind eq 'a')
		{
			push @problems, "not whole units of $r: $row"
			  unless $units >= 1 && $calls == $units * $r && $max == $r;
		}
		else
		{
			push @problems, "counters out of bounds for $r per unit: $row"
			  unless $units >= 1
			  && $calls >= $units
			  && $calls <= $units * $r
			  && $max >= 1
			  && $max <= $r;
			$whole++ if $calls == $units * $r && $max == $r;
		}
		push @problems,
		  "more units than runs logged ($logged->{\"$kind$k\"}): $row"
		  if $logged && $units > ($logged->{"$kind$k"} // 0);
	}
	return (\@problems, $whole);
}

my $shapes_query = q{
SELECT query, units, calls, max_repeats, relation, foreign_key
FROM relprefetch.stats ORDER BY query COLLATE "C"};
my $start_time =
  $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$log_offset = -s $node->logfile;
$started    = time;
my $run = start_pgbench('full table', "-c 32 -j 2 -T $duration -M simple",
	undef, @phase2);

$poll = poll_during_run($started, $sessions, $shapes_query,
	sub { my ($p) = check_shapes(@_); return @$p; });
$processed = finish_pgbench($run);
$elapsed   = time - $started;

check_polls('phase 2', $poll);
cmp_ok($poll->{entries}, '<=', 100,
	"phase 2: during the run, the table never held more than 100 entries (at most $poll->{entries})"
);

my %logged = map { split /\|/ } split /\n/,
  $node->safe_psql('postgres',
	"SELECT kind || k, count(*) FROM shape_runs GROUP BY kind, k");
my ($units_a, $units_b, $repeats, $shapes_run) = split /\|/,
  $node->safe_psql(
	'postgres', q{
SELECT count(*) FILTER (WHERE kind = 'a'), count(*) FILTER (WHERE kind = 'b'),
       sum(r), count(DISTINCT kind || k)
FROM shape_runs});
is($units_a + $units_b, $processed,
	'phase 2: every transaction pgbench counted is logged in shape_runs');

my $rows = $node->safe_psql('postgres', $shapes_query);
my ($p, $whole) = check_shapes($rows, \%logged);
is(join("\n", @$p), '',
	'phase 2: every row shows its own text, relation and foreign key, counters of its own shape, and no more units than were run'
);
my ($entries, $evictions) = split /\|/,
  $node->safe_psql('postgres', 'SELECT entries, evictions FROM relprefetch.info');
my @rows = split /\n/, $rows;
is($entries, scalar @rows, 'phase 2: info counts the rows of the view');
cmp_ok($entries, '<=', 100, "phase 2: at most 100 entries ($entries)");
cmp_ok($evictions, '>', 0, "phase 2: evictions are counted ($evictions)");
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$start_time, 'phase 2: the server did not crash');

my $b_rows = () = $rows =~ /^SELECT id, name AS b\d+ /mg;
note sprintf(
	'phase 2: %d sessions for %.1f s: %d transactions (units), %d statements, '
	  . '%d distinct shapes run (%d "a" units, %d "b" units); '
	  . 'at the end %d entries, %d evictions; %d of %d "b" rows whole units',
	$sessions, $elapsed, $processed,
	$repeats + 4 * $units_a + 3 * $units_b,
	$shapes_run, $units_a, $units_b, $entries, $evictions, $whole, $b_rows);

check_nothing_left('phase 2');
check_log('phase 2', $log_offset);
$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
is( $node->safe_psql(
		'postgres', 'SELECT entries, evictions FROM relprefetch.info'),
	'0|0',
	'phase 2: reset() empties the table and clears the eviction count');

$node->stop;
done_testing();
