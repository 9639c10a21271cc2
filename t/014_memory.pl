# Tests that one session can make a million calls of each of relprefetch's
# functions, and a million executions of N+1 loops under detection, without
# its memory growing.  A leak of a few bytes per call is invisible in the
# regression tests but takes a long-lived connection (a pooled ORM
# connection lives for days) to gigabytes.
#
# One session (one backend) runs each phase as one DO block looping over
# the calls (each PERFORM is an executor run of its own); a last phase runs
# top-level statements through pgbench in another session.  The backend
# measures itself at the same point of its loop at the first call, after a
# tenth of the calls (the warm-up: caches filled, plans prepared) and after
# the last call, all inside the phase's transaction, so that memory that
# would only be freed at commit counts as growth too.  Each measurement
# records
#   - the total of the backend's memory contexts
#     (pg_backend_memory_contexts), and each context's size, to name the one
#     that grows;
#   - RssAnon and VmRSS from the backend's own /proc/<pid>/status (read with
#     pg_read_file('/proc/self/status'), so at exactly that point of the
#     loop; a check makes sure that it is the backend's own file), which
#     would also show memory allocated outside the contexts.
# From the warm-up to the end the contexts must grow by less than 8 bytes
# per call (at least 64 kB, at most 1 MB), and RssAnon by less than 4 MB: a
# leak of 16 bytes per call would be 14 MB over the 900,000 calls measured
# in a phase of a million.  Nothing else may change the backend's memory
# between two measurements: no autovacuum (an ANALYZE makes plans be made
# again), no JIT, and measure() never extends a table (the extension lock,
# one lock more held at once, can grow the session's table of locks).
#
# The phases (calls for RELPREFETCH_MEMORY_CALLS = 1,000,000, the default):
#   - fetch_json without include (1,000,000; fetch_batch_size = 1, so each
#     call reads three batches and a call stopped early leaves its cursor
#     open);
#   - fetch_json with includes (1,000,000), in turn an array of a forward
#     and a reverse foreign key, and an object-form include of a
#     many-to-many relationship with where, order_by and limit;
#   - fetch_children with child_where, child_order_by and child_limit
#     (1,000,000);
#     each fetch phase calls its function in turn in the target list (rows
#     returned one at a time), in FROM (read to the end), and with LIMIT 1
#     (stopped before the end), and counts the rows returned;
#   - fetch_json and fetch_children called 100,000 times each by one
#     statement (a LATERAL join to generate_series), so in one run of the
#     executor;
#   - an N+1 loop detected in every unit of work, with the view, info,
#     unit_queries(), end_unit() and reset() (partial and full) called in
#     every unit: 1,000,000 units, 2,000,000 looped lookups, 1,000,000 calls
#     of each function (relprefetch.threshold = 2, track = all,
#     on_detect = warning, not sent anywhere);
#   - the same loop with on_detect = error, each error caught by a PL/pgSQL
#     exception block (1,000,000 errors, with their messages);
#   - on_detect = log (10,000 units: every detection is a line of the
#     server log, which must hold exactly that many; log_error_verbosity =
#     terse keeps the log small, the detail and hint are still formatted);
#   - one unit of work of 1,000,000 lookups (the repeat path: every
#     execution goes to the session's pending slot);
#   - a new shape repeated in every unit (20,000 units, dynamic SQL): the
#     unit's table of shapes is thrown away every 1,024 shapes, and the
#     shared table evicts;
#   - the fetch plan cache missing on every call: 80 specs in turn through
#     its 64 places, so that every call plans, prepares and evicts
#     (fetch_json 20,000 calls, fetch_children 10,000);
#   - fetch calls failing, caught by exception blocks: errors in the spec,
#     in the parent query, in an include's query, in the children's query,
#     and after rows have been returned (200,000);
#   - pgbench, one connection, 50,000 transactions of top-level statements
#     (a lookup, fetch_json, fetch_children and the view, and end_unit() in
#     every tenth), with prepared statements.
# Each phase also checks what the calls returned (row counts, caught
# errors, the view's counters, the plans cached), so that a phase cannot
# pass by doing nothing.  The figures (time per call, memory at the three
# points, the contexts that grew) are printed with note().  The whole test
# takes about 4 minutes on 2 CPUs, more when other work shares them (it is
# CPU-bound); RELPREFETCH_MEMORY_CALLS scales every phase (at least
# 100,000, about a tenth of the time) for a quicker run.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;
use Time::HiRes qw(gettimeofday tv_interval);

plan skip_all => 'the backend reads its memory from /proc/self/status'
  unless -r '/proc/self/status';

my $M = $ENV{RELPREFETCH_MEMORY_CALLS} // 1_000_000;
die "RELPREFETCH_MEMORY_CALLS must be an integer >= 100000"
  unless $M =~ /^\d+$/ && $M >= 100_000;

# Bounds of the growth from the warm-up to the end of a phase: contexts
# less than 8 bytes per call, but at least 64 kB (a block more here or
# there) and at most 1 MB; RssAnon less than 4 MB
my $max_context_growth   = 1024 * 1024;
my $min_context_growth   = 64 * 1024;
my $max_context_per_call = 8;
my $max_rss_growth       = 4 * 1024 * 1024;

# No autovacuum: an ANALYZE of a table that the session's plans read would
# make it plan them again between two measurements.  No JIT: loading LLVM
# for the first statement estimated costly enough adds some 10 MB to
# RssAnon at once.
my $node = start_relprefetch_node(autovacuum => 'off', jit => 'off');
my $started = [gettimeofday];

# The demo's blog schema, small: 20 posts, 2 authors, 100 comments, 60
# post-tag links, 200 tags.
$node->safe_psql('postgres',
	slurp_file("$FindBin::RealBin/../demo/blog.sql"),
	extra_params => [ '-v', 'scale=20' ]);

# measure(phase, point) records the backend's memory at this point
$node->safe_psql(
	'postgres', q{
CREATE TABLE mem (phase text, point text, contexts bigint, rss_anon bigint,
                  vm_rss bigint, status_pid int, backend_pid int);
CREATE TABLE mem_contexts (phase text, point text, name text, ident text,
                           n bigint, bytes bigint);
CREATE TABLE result (phase text, a bigint, b bigint, c bigint);
-- free space in every table measure() writes to, so that its inserts never
-- extend a table: the extension lock would be one lock more at once, and
-- that can grow the table of the session's locks between two measurements
INSERT INTO mem SELECT 'x', 'x', 0, 0, 0, 0, 0 FROM generate_series(1, 1000);
INSERT INTO mem_contexts
SELECT 'x', 'x', repeat('x', 100), repeat('x', 100), 0, 0
FROM generate_series(1, 20000);
DELETE FROM mem;
DELETE FROM mem_contexts;
VACUUM (TRUNCATE false) mem, mem_contexts;
CREATE FUNCTION measure(phase text, point text) RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO mem_contexts
	SELECT phase, point, name, coalesce(left(ident, 80), ''), count(*),
	       sum(total_bytes)
	FROM pg_backend_memory_contexts GROUP BY 3, 4;
	INSERT INTO mem
	SELECT phase, point,
	       (SELECT sum(bytes) FROM mem_contexts m
	        WHERE m.phase = measure.phase AND m.point = measure.point),
	       substring(s FROM 'RssAnon:\s+(\d+) kB')::bigint * 1024,
	       substring(s FROM 'VmRSS:\s+(\d+) kB')::bigint * 1024,
	       substring(s FROM '\nPid:\s+(\d+)')::int,
	       pg_backend_pid()
	FROM pg_read_file('/proc/self/status') AS s;
	RETURN 0;
END
$$;
});

# The session of every phase but the last one
my $s = $node->background_psql('postgres',
	timeout => 5 * $PostgreSQL::Test::Utils::timeout_default);
$s->set_query_timer_restart;
$s->query_safe(
	q{SET client_min_messages = error;
SET log_min_messages = error;});

# The growth of the backend's memory from the warm-up to the end of a
# phase, checked; $calls is the number of calls made between the two.
# Contexts named in $opts{sawtooth} are expected to grow and shrink by
# design: their growth is left out, and they must stay under 1 MB.
sub check_growth
{
	my ($phase, $calls, $seconds, $total_calls, %opts) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	my ($ctx_start, $ctx_warm, $ctx_end, $anon_start, $anon_warm, $anon_end,
		$rss_warm, $rss_end, $pid_ok)
	  = split /\|/, $s->query_safe(
		qq{SELECT s.contexts, w.contexts, e.contexts, s.rss_anon, w.rss_anon,
       e.rss_anon, w.vm_rss, e.vm_rss,
       bool_and(m.status_pid = m.backend_pid)
FROM mem s JOIN mem w USING (phase) JOIN mem e USING (phase)
     JOIN mem m USING (phase)
WHERE phase = '$phase' AND s.point = 'start' AND w.point = 'warm'
  AND e.point = 'end'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8});
	is($pid_ok, 't',
		"$phase: the memory was read from the backend's own /proc/<pid>/status"
	);

	my $ctx_growth  = $ctx_end - $ctx_warm;
	my $anon_growth = $anon_end - $anon_warm;
	if ($opts{sawtooth})
	{
		my $names = join(', ', map { "'$_'" } @{ $opts{sawtooth} });
		my ($saw_warm, $saw_end, $saw_max) = split /\|/, $s->query_safe(
			qq{SELECT sum(bytes) FILTER (WHERE point = 'warm'),
       sum(bytes) FILTER (WHERE point = 'end'), max(bytes)
FROM mem_contexts WHERE phase = '$phase' AND name IN ($names)});
		note "$phase: $names: $saw_warm -> $saw_end bytes, left out";
		$ctx_growth -= $saw_end - $saw_warm;
		cmp_ok($saw_max, '<', $max_context_growth,
			"$phase: $names stay under 1 MB");
	}
	note sprintf(
		"%s: %d calls in %.1f s (%.1f us per call); from the first call, "
		  . "after the warm-up, and %d calls later: contexts %d, %d, %d bytes "
		  . "(growth %+d, %+.3f bytes per call), RssAnon %d, %d, %d kB "
		  . "(%+d kB), VmRSS %d -> %d kB (%+d kB)",
		$phase, $total_calls, $seconds, 1e6 * $seconds / $total_calls,
		$calls, $ctx_start, $ctx_warm, $ctx_end, $ctx_growth,
		$ctx_growth / $calls, $anon_start / 1024, $anon_warm / 1024,
		$anon_end / 1024, $anon_growth / 1024,
		$rss_warm / 1024, $rss_end / 1024, ($rss_end - $rss_warm) / 1024);

	my $grows = $s->query_safe(
		qq{SELECT e.name || ' ' || e.ident || ': ' || coalesce(w.n, 0) || ' -> '
       || e.n || ' contexts, ' || coalesce(w.bytes, 0) || ' -> ' || e.bytes
       || ' bytes'
FROM mem_contexts e
LEFT JOIN mem_contexts w ON w.phase = e.phase AND w.point = 'warm'
                        AND w.name = e.name AND w.ident = e.ident
WHERE e.phase = '$phase' AND e.point = 'end'
  AND e.bytes > coalesce(w.bytes, 0)
ORDER BY e.bytes - coalesce(w.bytes, 0) DESC LIMIT 5});
	note "$phase: contexts that grew:\n$grows" if $grows ne '';

	my $bound = $max_context_per_call * $calls;
	$bound = $min_context_growth if $bound < $min_context_growth;
	$bound = $max_context_growth if $bound > $max_context_growth;
	cmp_ok($ctx_growth, '<', $bound,
		"$phase: memory contexts grow by less than $bound bytes over $calls calls"
	) or diag("contexts that grew most:\n$grows");
	cmp_ok($anon_growth, '<', $max_rss_growth,
		"$phase: RssAnon grows by less than 4 MB over $calls calls");
	return;
}

# Run a phase: $calls iterations of $body (PL/pgSQL; the iteration is i,
# and a, b, c are counters stored in the table result), in one DO block,
# measuring at the first iteration, after a tenth of them and after the
# last one; %opts go to check_growth.  Returns the counters a, b, c.
sub run_phase
{
	my ($phase, $calls, $body, %opts) = @_;
	my $warm = int($calls / 10);

	my $t0 = [gettimeofday];
	$s->query_safe(
		qq{DO \$do\$
DECLARE
	a bigint := 0;
	b bigint := 0;
	c bigint := 0;
	n bigint;
	fp bigint;
BEGIN
	FOR i IN 1 .. $calls LOOP
$body
		IF i = 1 OR i = $warm OR i = $calls THEN
			PERFORM measure('$phase', CASE i WHEN 1 THEN 'start'
			                                 WHEN $calls THEN 'end'
			                                 ELSE 'warm' END);
		END IF;
	END LOOP;
	INSERT INTO result VALUES ('$phase', a, b, c);
END
\$do\$});
	my $seconds = tv_interval($t0);
	check_growth($phase, $calls - $warm, $seconds, $calls, %opts);
	return split /\|/,
	  $s->query_safe("SELECT a, b, c FROM result WHERE phase = '$phase'");
}

# Run a phase as one statement: $calls rows of generate_series (g), each
# joined to the LATERAL subquery $lateral (which must depend on g, to be
# run again for each row, and return one row with a column n), measuring
# at the first row, after a tenth of them and at the last one.  Returns
# the sum of n.
sub run_statement_phase
{
	my ($phase, $calls, $lateral) = @_;
	my $warm = int($calls / 10);

	my $t0 = [gettimeofday];
	my ($sum, $measured) = split /\|/, $s->query_safe(
		qq{SELECT sum(f.n),
       count(CASE WHEN g IN (1, $warm, $calls) THEN
             measure('$phase', CASE g WHEN 1 THEN 'start'
                                      WHEN $calls THEN 'end'
                                      ELSE 'warm' END) END)
FROM generate_series(1, $calls) AS g,
     LATERAL ($lateral) AS f});
	my $seconds = tv_interval($t0);
	is($measured, 3, "$phase: measured at three rows");
	check_growth($phase, $calls - $warm, $seconds, $calls);
	return $sum;
}

# How many i in 1 .. $n have i % $m = $k
sub count_mod
{
	my ($n, $m, $k) = @_;
	return int($n / $m) + ($k > 0 && $n % $m >= $k ? 1 : 0);
}

# The body of a fetch phase: each call of the list in turn (by i % the
# number of calls), each one in turn in the target list, in FROM and with
# LIMIT 1 (by i % 3); a counts the rows returned.  Each call returns 2 rows.
sub fetch_body
{
	my (@calls) = @_;
	my $body = "\t\tCASE i % " . scalar(@calls) . "\n";
	for my $k (0 .. $#calls)
	{
		my $call = $calls[$k];
		$body .= qq{		WHEN $k THEN
			CASE i % 3
			WHEN 0 THEN
				PERFORM $call;
				GET DIAGNOSTICS n = ROW_COUNT;
			WHEN 1 THEN
				SELECT count(*) INTO n FROM $call;
			ELSE
				PERFORM $call LIMIT 1;
				GET DIAGNOSTICS n = ROW_COUNT;
			END CASE;
};
	}
	return $body . "\t\tEND CASE;\n\t\ta := a + n;";
}

# Rows fetch_body returns over $calls calls
sub fetch_rows
{
	my ($calls) = @_;
	return 2 * count_mod($calls, 3, 0) + 2 * count_mod($calls, 3, 1) +
	  count_mod($calls, 3, 2);
}

###########################################################################
# fetch_json without include (fetch_batch_size = 1: each call reads three
# batches, and a call stopped by LIMIT 1 leaves its cursor open), fetch_json
# with includes (an array of a forward and a reverse foreign key; an object
# with a many-to-many relationship and its where, order_by and limit), and
# fetch_children
###########################################################################
my @fetch_phases = (
	[
		'fetch_json without include', 1,
		q{relprefetch.fetch_json('blog_post', '{"columns": ["id", "title"], "where": "id <= 2", "order_by": "id"}')}
	],
	[
		'fetch_json with includes', undef,
		q{relprefetch.fetch_json('blog_post', '{"where": "id <= 2", "order_by": "id", "include": ["author", "blog_comment"]}')},
		q{relprefetch.fetch_json('blog_post', '{"where": "id <= 2", "order_by": "id", "include": {"active_tags": {"path": "tags", "where": "active", "order_by": "name", "limit": 2}}}')}
	],
	[
		'fetch_children', undef,
		q{relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[], parent_where => 'id <= 2', child_where => 'id % 2 = 1', child_order_by => 'id DESC', child_limit => 2)}
	]);

for my $p (@fetch_phases)
{
	my ($phase, $batch, @calls) = @$p;
	$s->query_safe("SET relprefetch.fetch_batch_size = $batch") if $batch;
	my ($rows) = run_phase($phase, $M, fetch_body(@calls));
	is($rows, fetch_rows($M), "$phase: every call returned its rows");
	$s->query_safe('RESET relprefetch.fetch_batch_size') if $batch;
}

###########################################################################
# Many calls in one statement, so in one run of the executor: fetch_json
# in the target list of a LATERAL subquery (run again for each row of the
# outer query, because it depends on it), and fetch_children in FROM,
# called again for each row because an argument depends on it (a function
# scan whose arguments do not change is only read again from its
# tuplestore)
###########################################################################
my $statement_calls = int($M / 10);
is( run_statement_phase(
		'one statement, fetch_json in the target list',
		$statement_calls,
		q{SELECT count(*) AS n
  FROM (SELECT relprefetch.fetch_json('blog_post', '{"where": "id <= 2", "order_by": "id", "include": ["author", "blog_comment"]}')
        WHERE g > 0) AS rows}),
	2 * $statement_calls,
	'one statement, fetch_json: every call returned its rows');
is( run_statement_phase(
		'one statement, fetch_children in FROM',
		$statement_calls,
		q{SELECT count(*) AS n
  FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[],
         parent_where => CASE WHEN g > 0 THEN 'id <= 2' END,
         child_order_by => 'id', child_limit => 3)}),
	2 * $statement_calls,
	'one statement, fetch_children: every call returned its rows');

###########################################################################
# Detection: an N+1 loop detected in every unit, with the view, info,
# unit_queries(), end_unit() and reset() in every unit
###########################################################################
$s->query_safe(
	q{SET relprefetch.track = 'all';
SET relprefetch.threshold = 2;
SET relprefetch.on_detect = warning;
SELECT relprefetch.reset();});

my $lookups = q{
		PERFORM name FROM blog_author WHERE id = 1;
		PERFORM name FROM blog_author WHERE id = 2;};
my ($seen_calls, $seen_repeated, $seen_entries) = run_phase(
	'detection with the view and functions',
	$M, $lookups . q{
		SELECT fingerprint, calls INTO STRICT fp, n FROM relprefetch.stats;
		a := a + n;
		SELECT count(*) INTO n FROM relprefetch.unit_queries() WHERE repeated;
		b := b + n;
		SELECT entries INTO STRICT n FROM relprefetch.info;
		c := c + n;
		PERFORM relprefetch.end_unit();
		IF i % 2 = 0 THEN
			PERFORM relprefetch.reset();
		ELSE
			PERFORM relprefetch.reset(0, 0, fp);
		END IF;});
is($seen_calls, 2 * $M,
	'detection: the view showed the loop, 2 calls, in every unit');
is($seen_repeated, $M,
	'detection: unit_queries() showed the repeated shape in every unit');
is($seen_entries, $M, 'detection: info showed one entry in every unit');
is($s->query_safe('SELECT count(*) FROM relprefetch.stats'),
	'0', 'detection: the resets left the view empty');

# The stats of the lookup: units, calls, max_repeats, relation, foreign key
my $lookup_stats = q{SELECT units, calls, max_repeats, relation, foreign_key
FROM relprefetch.stats WHERE query = 'SELECT name FROM blog_author WHERE id = $1'};

$s->query_safe(
	q{SET relprefetch.on_detect = error;
SELECT relprefetch.reset();});
my ($caught) = run_phase(
	'detection with on_detect = error', $M, qq{
		BEGIN$lookups
		EXCEPTION WHEN program_limit_exceeded THEN
			a := a + 1;
		END;
		PERFORM relprefetch.end_unit();});
is($caught, $M, 'on_detect = error: every unit raised the error, caught');
is( $s->query_safe($lookup_stats),
	"$M|" . 2 * $M . '|2|public.blog_author|blog_post_author_id_fkey',
	'on_detect = error: every unit counted, with relation and foreign key');

# on_detect = log: one line of the server log per unit
my $log_units = int($M / 100);
$s->query_safe(
	q{SET relprefetch.on_detect = log;
RESET log_min_messages;
SET log_min_error_statement = panic;
SET log_error_verbosity = terse;
SELECT relprefetch.reset();});
my $log_offset = -s $node->logfile;
run_phase('detection with on_detect = log',
	$log_units, $lookups . q{
		PERFORM relprefetch.end_unit();});
$s->query_safe(
	q{SET log_min_messages = error;
RESET log_min_error_statement;
RESET log_error_verbosity;});
my $log = slurp_file($node->logfile, $log_offset);
my $logged = () = $log =~
  /LOG:  N\+1 query pattern: the same statement ran 2 times in one unit of work\n/g;
is($logged, $log_units, "on_detect = log: $log_units detections logged");
note sprintf('on_detect = log: %d bytes of server log for %d detections',
	length($log), $log_units);
is( $s->query_safe($lookup_stats),
	"$log_units|"
	  . 2 * $log_units
	  . '|2|public.blog_author|blog_post_author_id_fkey',
	'on_detect = log: every unit counted');

# One unit of a million lookups: the repeat path
$s->query_safe(
	q{SET relprefetch.on_detect = warning;
RESET relprefetch.threshold;
SELECT relprefetch.reset();});
run_phase('one unit of a million lookups', $M, q{
		PERFORM name FROM blog_author WHERE id = i % 2 + 1;});
is( $s->query_safe(
		q{SELECT query, units, calls, max_repeats FROM relprefetch.stats}),
	"SELECT name FROM blog_author WHERE id = i % \$1 + \$2|1|$M|$M",
	'one unit: every lookup counted in one unit');

# A new shape repeated in every unit: the unit's table of shapes starts
# afresh past 1,024 shapes (so its contexts grow and shrink: left out of the
# growth, but bounded), and the shared table (1,000 entries) evicts
$s->query_safe(
	q{SET relprefetch.threshold = 2;
SELECT relprefetch.reset();});
my $shapes = int($M / 50);
run_phase(
	'a new shape in every unit',
	$shapes, q{
		EXECUTE format('SELECT name AS c%s FROM blog_author WHERE id = 1', i);
		EXECUTE format('SELECT name AS c%s FROM blog_author WHERE id = 2', i);
		PERFORM relprefetch.end_unit();},
	sawtooth => [ 'relprefetch unit of work', 'relprefetch unit texts' ]);
my ($entries, $evictions) = split /\|/,
  $s->query_safe('SELECT entries, evictions FROM relprefetch.info');
is($entries + $evictions,
	$shapes, 'new shapes: every shape in the table or counted as evicted');
cmp_ok($evictions, '>=', $shapes - 1000, 'new shapes: the table evicted');
$s->query_safe(
	q{RESET relprefetch.threshold;
RESET relprefetch.on_detect;
RESET relprefetch.track;});

###########################################################################
# The fetch plan cache missing on every call: 80 specs in turn
###########################################################################
# The cache then holds the last 64 of the 80 specs used.  Which ones
# changes the contexts' total: plans differ in size, and a plan near a
# block boundary takes one block more.  So both measuring points (a
# tenth of the calls and the last call) come at a multiple of 80 calls,
# when the cache holds the same 64 specs: the counts are multiples of 800.
# A plan of a given spec takes the same memory every time it is made (its
# context is of sizes that PostgreSQL does not recycle: see rp_plan_start),
# so the plans' total is the same at both points, on every major.
sub churn_calls
{
	my ($calls) = @_;
	return 800 * int($calls / 800);
}
my $churn_json = churn_calls($M / 50);
my ($churn_rows) = run_phase(
	'fetch_json planning every call',
	$churn_json, q{
		SELECT count(*) INTO n
		FROM relprefetch.fetch_json('blog_post',
			jsonb_build_object('where', 'id <= 2', 'limit', i % 80,
			                   'include', jsonb_build_array('author')));
		a := a + n;});
my $expected = 0;
$expected += ($_ % 80 < 2 ? $_ % 80 : 2) for 1 .. $churn_json;
is($churn_rows, $expected, 'fetch_json planning every call: the rows');

# The plans cached, at the end of a phase
sub cached_plans
{
	my ($phase) = @_;
	return $s->query_safe(
		qq{SELECT n FROM mem_contexts WHERE phase = '$phase' AND point = 'end'
  AND name = 'relprefetch fetch plan'});
}
is(cached_plans('fetch_json planning every call'),
	64, 'fetch_json planning every call: the cache holds its 64 plans');

my $churn_children = churn_calls($M / 100);
($churn_rows) = run_phase(
	'fetch_children planning every call',
	$churn_children, q{
		SELECT count(*) INTO n
		FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_tag[],
			parent_where => 'id <= 2', child_limit => i % 80);
		a := a + n;});
is($churn_rows, 2 * $churn_children,
	'fetch_children planning every call: the rows');
is(cached_plans('fetch_children planning every call'),
	64, 'fetch_children planning every call: the cache holds its 64 plans');

###########################################################################
# Fetch calls failing, caught: an unknown column (while planning), a
# division by zero in the parent query, in an include's query, in the
# children's query, and in the third batch of parent rows, after two rows
# were returned (fetch_batch_size = 1)
###########################################################################
my $errors = int($M / 5);
$s->query_safe('SET relprefetch.fetch_batch_size = 1');
my ($undefined, $by_zero) = run_phase(
	'fetch errors', $errors, q{
		BEGIN
			CASE i % 5
			WHEN 0 THEN
				PERFORM relprefetch.fetch_json('blog_post', '{"columns": ["nope"]}');
			WHEN 1 THEN
				PERFORM relprefetch.fetch_json('blog_post', '{"where": "1 / (id - id) = 0", "include": ["author"]}');
			WHEN 2 THEN
				PERFORM relprefetch.fetch_json('blog_post', '{"where": "id <= 2", "include": {"author": {"where": "1 / (id - id) = 0"}}}');
			WHEN 3 THEN
				PERFORM relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[], child_where => '1 / (id - id) = 0');
			ELSE
				PERFORM relprefetch.fetch_json('blog_post', '{"where": "1 / (3 - id) >= 0"}');
			END CASE;
		EXCEPTION
			WHEN undefined_column THEN
				a := a + 1;
			WHEN division_by_zero THEN
				b := b + 1;
		END;});
$s->query_safe('RESET relprefetch.fetch_batch_size');
is($undefined, count_mod($errors, 5, 0),
	'fetch errors: every unknown column raised 42703');
is($by_zero, $errors - count_mod($errors, 5, 0),
	'fetch errors: every division by zero raised 22012');

###########################################################################
# Top-level statements: pgbench, one connection, prepared statements
###########################################################################
my $txns   = 10 * int($M / 200);
my $warm   = int($txns / 10);
my $script = $node->basedir . '/memory.sql';
append_to_file(
	$script, qq{\\set i :i + 1
SELECT name FROM blog_author WHERE id = :i % 2 + 1;
SELECT relprefetch.fetch_json('blog_post', '{"where": "id <= 2", "include": ["author"]}');
SELECT parent FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[], parent_where => 'id <= 2', child_limit => 2);
SELECT count(*) FROM relprefetch.stats;
\\if :i % 10 = 0
SELECT relprefetch.end_unit();
\\endif
\\if :i = 1 or :i = $warm or :i = $txns
SELECT measure('pgbench', CASE :i::int WHEN 1 THEN 'start' WHEN $txns THEN 'end' ELSE 'warm' END);
\\endif
});
$s->query_safe('SELECT relprefetch.reset()');
my $t0 = [gettimeofday];
{
	# not every statement in the server log; units of work ended by
	# end_unit() only
	local $ENV{PGOPTIONS} =
	  '-c log_statement=none -c relprefetch.unit_gap=1h';
	$node->command_like(
		[
			'pgbench', '-n', '-c', '1', '-t', $txns, '-M', 'prepared', '-D',
			'i=0', '-f', $script, 'postgres'
		],
		qr/number of transactions actually processed: $txns\/$txns\n(?s:.*)number of failed transactions: 0 /,
		"pgbench: $txns transactions");
}
check_growth('pgbench', $txns - $warm, tv_interval($t0), $txns);
is( $s->query_safe(
		q{SELECT units, calls, max_repeats FROM relprefetch.stats
WHERE query LIKE 'SELECT name FROM blog_author WHERE id = $1 %'}),
	$txns / 10 . "|$txns|10",
	'pgbench: every unit of 10 transactions counted the loop');

$s->quit;
note sprintf('the whole test took %.0f s', tv_interval($started));
$node->stop;
done_testing();
