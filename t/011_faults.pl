# Tests faults injected while relprefetch fetches related rows or counts a
# unit of work, and that after each one the extension keeps working: the
# same fetches return the same rows (md5 of their output), an N+1 unit run
# afterwards is counted exactly, and the rows of relprefetch.stats counted
# before the fault are unchanged or changed exactly as stated here.  The
# node runs relprefetch.threshold = 5 and relprefetch.unit_gap = 0 (every
# autocommit statement is a unit of its own, so only the explicit N+1
# transactions of the test ever repeat).  Data: demo/blog.sql at 40,000
# posts (200,000 comments, 120,000 post-tag links).  Long fetches are made
# long by a `where` calling pg_sleep(current_setting('rp.parent_sleep')) or
# rp.child_sleep per row: 0 normally, 0.01 s to make the same spec (same
# cached plan) last 20 s or more.
#
#   1. statement_timeout during a fetch: fetch_json while it reads its
#      parent rows, fetch_children while an include query reads children,
#      and both while the first call of a spec plans it, blocked by another
#      session's ACCESS EXCLUSIVE lock on a table of the spec.  The call
#      fails with 57014; the session goes on: the same spec gives the same
#      result as before the fault (its plan stays cached and serves again;
#      a plan whose building was interrupted is not cached half-built),
#      and its N+1 units are counted exactly.  The fetch statement that
#      failed counts as one execution of its shape in its unit (executions
#      count when they start: here a unit of its own, below the threshold,
#      so not in relprefetch.stats); relprefetch.stats is unchanged by the
#      fault.
#   2. pg_cancel_backend from another session during fetch_json (in an
#      include query) and fetch_children (reading its parent rows): 57014,
#      and
#      the same as 1 afterwards (relprefetch.stats unchanged, later units
#      counted exactly).
#   3. A timeout and a cancel during fetches inside an explicit transaction,
#      each in a savepoint: ROLLBACK TO SAVEPOINT, then the same fetches in
#      the same transaction return the same rows, also after a catalog
#      change has dropped the plan the failed fetch still had pinned (it is
#      freed at the end of the transaction: no plan is left after COMMIT).
#      The unit is the whole transaction: the N+1 lookups before and after
#      the savepoints count together (7 calls, one unit), each failed fetch
#      counts as one execution of its shape (3 fetch_json, 2
#      fetch_children: below the threshold, so not in relprefetch.stats),
#      and nothing is lost or counted twice.
#   4. work_mem = 64kB: the whole graph (every post with author, country,
#      tags in name order, comments in id order) and every post with its
#      comments (fetch_children) return the same md5 as with the default
#      work_mem, while the fetch's store of parent rows goes to a temporary
#      file (its include queries sort each parent's rows on their own, a
#      few kB, and no longer spill); a
#      statement_timeout at a quarter of that fetch's measured run time
#      (CPU-bound, at whatever point the fetch is) fails with 57014 and
#      leaves no temporary file behind.
#   5. Out of memory: the address-space limit of one backend lowered with
#      prlimit (its current VmSize + 200 MB for a fetch_json of 100 posts
#      with 3,000 comments of 100 kB each, which needs about 500 MB; + 24 MB
#      for a fetch_children of every post with its comments in one batch
#      of relprefetch.fetch_batch_size = 1,000,000, which needs about
#      60 MB, run first, before the big fetch_json fills the session's pool
#      of arena blocks, which counts in VmSize and would serve it).  Both fail with 53200 "out of memory" (twice in a row: the
#      first failure kept nothing), the server log shows no crash, the
#      session survives, runs smaller fetches with the right results and an
#      exactly counted N+1 unit, and once the limit is lifted runs the big
#      fetches to the end with the expected results.  relprefetch.stats is
#      unchanged by the failures.
#   6. SIGKILL of a backend in the middle of a long fetch_json: crash
#      restart; relprefetch.stats is empty afterwards (as after any crash:
#      only a clean shutdown saves it), and new sessions fetch the same
#      rows with both functions and detect an N+1 loop again, counted
#      exactly from zero.
#   7. relprefetch.on_detect = error (54000) raised in a transaction that
#      holds an open cursor over fetch_json (value per call, with
#      fetch_batch_size = 3, so that the fetch has batches left between
#      FETCHes): after ROLLBACK everything works,
#      and the unit that rolled back keeps its 5 calls (the failing 5th
#      included) in relprefetch.stats.  With the error in a savepoint set
#      after the cursor's first FETCH, the cursor goes on after ROLLBACK TO
#      SAVEPOINT with the remaining rows, and so does the loop (the shape
#      raised its error once in the unit): 8 calls, one unit.  With the
#      cursor's first FETCH inside the savepoint, the cursor must also go
#      on with the remaining rows after ROLLBACK TO SAVEPOINT (fetch_json
#      and fetch_children), as PostgreSQL's cursors do; and a WITH HOLD
#      cursor over fetch_json read before COMMIT must let COMMIT succeed and
#      return the remaining rows after it.  (The fetch reads its parent rows
#      into a tuplestore of its own at its first call; an SPI cursor over
#      them belonged to the savepoint or transaction of that call, and
#      ROLLBACK TO or COMMIT dropped it halfway.)
#   8. Errors from other sources inside a unit: division by zero in the
#      looped statement itself, after the threshold, in an explicit
#      transaction: the executions up to and including the failing one
#      count (7), the statements rejected afterwards by the aborted
#      transaction (25P02) do not; below the threshold (the 3rd execution
#      failing) nothing is recorded; inside savepoints, the loop goes on
#      after ROLLBACK TO and every execution counts, the failed ones
#      included (6, 2 of them failed); in autocommit mode (unit_gap = 1h,
#      ended by relprefetch.end_unit()) a failed statement does not end
#      the unit (9 calls, the 4th failed, one unit).  Each such unit adds
#      exactly one unit, its calls and its max_repeats to the shape's row.
#
# After each fault the session is also checked for leftovers: no fetch
# batch memory context, and once a constraint change has emptied the plan
# cache, no fetch plan, SPI plan or cached plan (source) left; and the
# server log has no WARNING (no leaked buffer, snapshot, relation, plan or
# tuple descriptor reported at the end of a transaction) until the crash.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;
use Time::HiRes qw(time);

my $node = start_relprefetch_node(
	'relprefetch.threshold' => 5,
	'relprefetch.unit_gap'  => 0,
	'rp.parent_sleep'       => 0,
	'rp.child_sleep'        => 0,
	log_temp_files          => 0,
	restart_after_crash     => 'on');

my $started = time();
$node->safe_psql('postgres',
	slurp_file("$FindBin::RealBin/../demo/blog.sql"),
	extra_params => [ '-v', 'scale=40000' ]);
$node->safe_psql(
	'postgres', q{
CREATE TABLE flush (id int);
CREATE TABLE audit (n int);
-- 100 posts with 30 comments of 100 kB each: about 2 MB on disk (lz4),
-- 300 MB once decompressed
CREATE TABLE big_post (id int PRIMARY KEY, title text NOT NULL);
CREATE TABLE big_comment (id int PRIMARY KEY,
                          post_id int NOT NULL REFERENCES big_post (id),
                          body text COMPRESSION lz4 NOT NULL);
CREATE INDEX ON big_comment (post_id);
INSERT INTO big_post SELECT g, 'big post ' || g FROM generate_series(1, 100) g;
INSERT INTO big_comment SELECT g, 1 + (g - 1) / 30, b
  FROM generate_series(1, 3000) g, (SELECT repeat('x', 100000) AS b) s;
ANALYZE big_post, big_comment;
});
note sprintf('data loaded in %.1f s', time() - $started);

###########################################################################
# Helpers
###########################################################################

# A session that goes on after errors, reporting them with their SQLSTATE
sub new_session
{
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	$s->query_safe('\set VERBOSITY verbose');
	return $s;
}

# Run $sql in $s, which must succeed; returns its output
sub q_ok
{
	my ($s, $sql) = @_;
	$s->{stderr} = '';
	return $s->query_safe($sql);
}

# The first error in $s->{stderr}, as "SQLSTATE: message"
sub first_error
{
	my ($s) = @_;
	return $s->{stderr} =~ /ERROR:  ([0-9A-Z]{5}: [^\n]*)/
	  ? $1
	  : "no error (stderr: $s->{stderr})";
}

# Run $sql in $s, which must fail; returns its error as "SQLSTATE: message"
sub q_err
{
	my ($s, $sql) = @_;
	$s->{stderr} = '';
	$s->query($sql);
	return first_error($s);
}

# Start $sql in $s, wait until its backend $pid sleeps in pg_sleep (called
# by a where fragment, so inside the fetch), cancel it from another session;
# returns the error of $sql
sub cancel_in_sleep
{
	my ($s, $pid, $sql) = @_;
	$s->{stderr} = '';
	$s->query_until(qr/started\n/, "\\echo started\n$sql;\n");
	$node->poll_query_until('postgres',
		"SELECT wait_event = 'PgSleep' FROM pg_stat_activity WHERE pid = $pid"
	) or die "backend $pid did not reach pg_sleep";
	$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
	$s->query('\echo after the cancel');
	return first_error($s);
}

# What relprefetch.stats should hold: query => [units, calls, max_repeats]
my %expected;

# A unit of work ran $calls executions of $query (threshold reached)
sub count_unit
{
	my ($query, $calls) = @_;
	my $e = $expected{$query} //= [ 0, 0, 0 ];
	$e->[0]++;
	$e->[1] += $calls;
	$e->[2] = $calls if $calls > $e->[2];
	return;
}

sub check_stats
{
	my ($name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	is( $node->safe_psql(
			'postgres',
			'SELECT query, units, calls, max_repeats FROM relprefetch.stats ORDER BY query COLLATE "C"'
		),
		join("\n",
			map { join('|', $_, @{ $expected{$_} }) } sort keys %expected),
		"$name: relprefetch.stats is exactly as expected");
	return;
}

my $lookup = 'SELECT name FROM blog_author WHERE id = $1';

# An N+1 unit in $s: the posts, then their authors one by one
sub n1_unit
{
	my ($s, $n) = @_;
	q_ok($s, 'BEGIN');
	q_ok($s, "SELECT id, author_id FROM blog_post WHERE id <= $n ORDER BY id");
	q_ok($s, "SELECT name FROM blog_author WHERE id = $_") for 1 .. $n;
	q_ok($s, 'COMMIT');
	count_unit($lookup, $n);
	return;
}

# Nothing of a fetch is left in the session $s: no batch memory; and once
# a constraint change has emptied the plan cache, no plan of any kind
sub check_no_leftovers
{
	my ($s, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	is( q_ok(
			$s,
			"SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'relprefetch fetch batch'"
		),
		'0',
		"$name: no fetch batch memory left");
	isnt(
		q_ok(
			$s,
			"SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'relprefetch fetch plan'"
		),
		'0',
		"$name: fetch plans are cached");
	q_ok($s, 'ALTER TABLE flush ADD CONSTRAINT flush_check CHECK (id > 0)');
	q_ok($s, 'ALTER TABLE flush DROP CONSTRAINT flush_check');
	is( q_ok(
			$s, q{
SELECT count(*) FROM pg_backend_memory_contexts
WHERE name IN ('relprefetch fetch plan', 'relprefetch fetch batch',
               'SPI Plan', 'CachedPlanSource', 'CachedPlan')}),
		'0',
		"$name: no plan left once the cache is emptied");
	return;
}

# An SQL literal
sub lit
{
	my ($text) = @_;
	$text =~ s/'/''/g;
	return "'$text'";
}

my $parent_sleep =
  q{pg_sleep(current_setting('rp.parent_sleep')::float8) IS NOT NULL};
my $child_sleep =
  q{pg_sleep(current_setting('rp.child_sleep')::float8) IS NOT NULL};

# 2,000 posts with their graph; long when a sleep is set
my $json_sql =
    "SELECT md5(string_agg(j::text, E'\\n')), count(*) FROM "
  . "(SELECT relprefetch.fetch_json('blog_post', "
  . lit(
	    qq({"where": "id <= 2000 AND $parent_sleep", "order_by": "id", )
	  . q("include": {"author": {"include": ["country"]}, "tags": {"order_by": "name"}, )
	  . qq("comments": {"path": "blog_comment", "order_by": "id", "where": "$child_sleep"}}}))
  . ') AS j) s';

# the same posts with their comments, newest first
my $children_sql =
    "SELECT md5(string_agg(t::text, E'\\n')), count(*) FROM "
  . 'relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[], '
  . 'parent_where => '
  . lit("id <= 2000 AND $parent_sleep")
  . ', child_where => '
  . lit($child_sleep)
  . ", child_order_by => 'id DESC') t";

my $s   = new_session();
my $pid = q_ok($s, 'SELECT pg_backend_pid()');

my $want_json = q_ok($s, $json_sql);
like($want_json, qr/^[0-9a-f]{32}\|2000$/, 'fetch_json: 2000 posts');
my $want_children = q_ok($s, $children_sql);
like($want_children, qr/^[0-9a-f]{32}\|2000$/,
	'fetch_children: 2000 posts');
isnt($want_json, $want_children, 'two different results');

n1_unit($s, 6);
check_stats('before any fault');

###########################################################################
# 1. statement_timeout
###########################################################################

# fetch_json, while its first call reads its parent rows into its tuplestore
q_ok($s, 'SET statement_timeout = 200');
q_ok($s, 'SET rp.parent_sleep = 0.01');
is( q_err($s, $json_sql),
	'57014: canceling statement due to statement timeout',
	'timeout: fetch_json fails with 57014');
q_ok($s, 'RESET rp.parent_sleep');
q_ok($s, 'RESET statement_timeout');
is(q_ok($s, $json_sql), $want_json,
	'timeout: the same fetch_json returns the same rows afterwards');

# fetch_children, in the query of its children
q_ok($s, 'SET statement_timeout = 200');
q_ok($s, 'SET rp.child_sleep = 0.01');
is( q_err($s, $children_sql),
	'57014: canceling statement due to statement timeout',
	'timeout: fetch_children fails with 57014');
q_ok($s, 'RESET rp.child_sleep');
q_ok($s, 'RESET statement_timeout');
is(q_ok($s, $children_sql), $want_children,
	'timeout: the same fetch_children returns the same rows afterwards');

n1_unit($s, 7);
check_stats('timeout');

# while planning: the first call of a spec waits for a lock on blog_tag
my $tags_json = q{SELECT md5(string_agg(j::text, E'\n')) FROM
 (SELECT relprefetch.fetch_json('blog_post', '{"where": "id <= 50", "order_by": "id", "include": {"tags": {"order_by": "name"}}}') AS j) s};
my $tags_children = q{SELECT md5(string_agg(t::text, E'\n')) FROM
 relprefetch.fetch_children(NULL::blog_post, NULL::blog_tag[], parent_where => 'id <= 50') t};
# the same rows through specs that are not cached yet
my $same_tags_json = $tags_json =~ s/id <= 50/50 >= id/r;
my $same_tags_children = $tags_children =~ s/id <= 50/50 >= id/r;
my $want_tags_json     = q_ok($s, $tags_json);
my $want_tags_children = q_ok($s, $tags_children);

my $locker = new_session();
q_ok($locker, 'BEGIN');
q_ok($locker, 'LOCK TABLE blog_tag IN ACCESS EXCLUSIVE MODE');
q_ok($s,      'SET statement_timeout = 200');
is( q_err($s, $same_tags_json),
	'57014: canceling statement due to statement timeout',
	'timeout while planning: fetch_json fails with 57014');
is( q_err($s, $same_tags_children),
	'57014: canceling statement due to statement timeout',
	'timeout while planning: fetch_children fails with 57014');
q_ok($s,      'RESET statement_timeout');
q_ok($locker, 'COMMIT');
$locker->quit;
is(q_ok($s, $same_tags_json), $want_tags_json,
	'timeout while planning: fetch_json plans again and returns the same rows'
);
is(q_ok($s, $same_tags_children),
	$want_tags_children,
	'timeout while planning: fetch_children plans again and returns the same rows'
);
n1_unit($s, 5);
check_stats('timeout while planning');
check_no_leftovers($s, 'timeout');

###########################################################################
# 2. pg_cancel_backend
###########################################################################
q_ok($s, 'SET rp.child_sleep = 0.01');
is( cancel_in_sleep($s, $pid, $json_sql),
	'57014: canceling statement due to user request',
	'cancel: fetch_json cancelled in the query of an include');
q_ok($s, 'RESET rp.child_sleep');
is(q_ok($s, $json_sql), $want_json,
	'cancel: the same fetch_json returns the same rows afterwards');

q_ok($s, 'SET rp.parent_sleep = 0.01');
is( cancel_in_sleep($s, $pid, $children_sql),
	'57014: canceling statement due to user request',
	'cancel: fetch_children cancelled reading its parent rows');
q_ok($s, 'RESET rp.parent_sleep');
is(q_ok($s, $children_sql), $want_children,
	'cancel: the same fetch_children returns the same rows afterwards');

n1_unit($s, 8);
check_stats('cancel');
check_no_leftovers($s, 'cancel');

###########################################################################
# 3. Timeout and cancel in savepoints of one transaction
###########################################################################
q_ok($s, 'BEGIN');
q_ok($s, 'SELECT id, author_id FROM blog_post WHERE id <= 7 ORDER BY id');
q_ok($s, "SELECT name FROM blog_author WHERE id = $_") for 1 .. 3;

q_ok($s, 'SAVEPOINT a');
q_ok($s, 'SET LOCAL statement_timeout = 200');
q_ok($s, 'SET LOCAL rp.parent_sleep = 0.01');
is( q_err($s, $json_sql),
	'57014: canceling statement due to statement timeout',
	'savepoint: fetch_json times out');
q_ok($s, 'ROLLBACK TO SAVEPOINT a');
is(q_ok($s, $json_sql), $want_json,
	'savepoint: after ROLLBACK TO, the same fetch_json returns the same rows'
);
# the plan the failed fetch pinned is dropped from the cache while pinned
q_ok($s, 'ALTER TABLE flush ADD CONSTRAINT flush_check CHECK (id > 0)');
q_ok($s, 'ALTER TABLE flush DROP CONSTRAINT flush_check');
is(q_ok($s, $json_sql), $want_json,
	'savepoint: planned again after a catalog change, the same rows');

q_ok($s, 'SAVEPOINT b');
q_ok($s, 'SET LOCAL rp.child_sleep = 0.01');
is( cancel_in_sleep($s, $pid, $children_sql),
	'57014: canceling statement due to user request',
	'savepoint: fetch_children cancelled');
q_ok($s, 'ROLLBACK TO SAVEPOINT b');
is(q_ok($s, $children_sql), $want_children,
	'savepoint: after ROLLBACK TO, the same fetch_children returns the same rows'
);

q_ok($s, "SELECT name FROM blog_author WHERE id = $_") for 4 .. 7;
is( q_ok(
		$s, q{
SELECT calls, repeated, what FROM
 (SELECT calls, repeated,
         CASE WHEN query LIKE '%fetch_json%' THEN 'fetch_json'
              WHEN query LIKE '%fetch_children%' THEN 'fetch_children'
              ELSE query END AS what
  FROM relprefetch.unit_queries()
  WHERE query LIKE 'SELECT md5%'
     OR query = 'SELECT name FROM blog_author WHERE id = $1') q
ORDER BY what COLLATE "C"}),
	join("\n",
		"7|t|$lookup", '2|f|fetch_children', '3|f|fetch_json'),
	'savepoint: the unit holds the 7 lookups and each fetch once per execution, the failed ones included'
);
q_ok($s, 'COMMIT');
is( q_ok(
		$s,
		"SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'relprefetch fetch plan'"
	),
	'0',
	'savepoint: after COMMIT (whose catalog change empties the cache again), no plan is left, the one the failed fetch had pinned included'
);
count_unit($lookup, 7);
check_stats('savepoints');
is(q_ok($s, $json_sql), $want_json, 'savepoint: fetch_json after COMMIT');
n1_unit($s, 5);
check_stats('after the savepoint transaction');
check_no_leftovers($s, 'savepoint');

###########################################################################
# 4. Tiny work_mem, and a CPU-bound timeout while spilling
###########################################################################
my $graph_sql = q{SELECT md5(string_agg(j::text, E'\n')), count(*) FROM
 (SELECT relprefetch.fetch_json('blog_post', '{"order_by": "id", "include": {"author": {"include": ["country"]}, "tags": {"order_by": "name"}, "comments": {"path": "blog_comment", "order_by": "id"}}}') AS j) s};
my $all_children_sql = q{SELECT md5(string_agg(t::text, E'\n')), count(*) FROM
 relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[], child_order_by => 'created DESC, id') t};

my $want_graph = q_ok($s, $graph_sql);
like($want_graph, qr/^[0-9a-f]{32}\|40000$/, 'the whole graph: 40000 posts');
my $want_all_children = q_ok($s, $all_children_sql);
like($want_all_children, qr/^[0-9a-f]{32}\|40000$/,
	'every post with its comments: 40000 posts');

my $offset = -s $node->logfile;
q_ok($s, q{SET work_mem = '64kB'});
my $t0 = time();
is(q_ok($s, $graph_sql), $want_graph,
	'work_mem = 64kB: the whole graph is the same');
my $elapsed = time() - $t0;
is(q_ok($s, $all_children_sql),
	$want_all_children,
	'work_mem = 64kB: fetch_children of every post is the same');
ok( $node->log_contains(
		qr/LOG:  temporary file: .*\n.*STATEMENT:  SELECT md5\(string_agg\(j::text/,
		$offset),
	'work_mem = 64kB: fetch_json\'s store of parent rows went to a temporary file'
);

# a timeout at a quarter of the time the same fetch took
my $timeout = int($elapsed * 1000 / 4) || 1;
note sprintf('whole graph with work_mem = 64kB: %.0f ms; timeout %d ms',
	$elapsed * 1000, $timeout);
q_ok($s, "SET statement_timeout = $timeout");
is( q_err($s, $graph_sql),
	'57014: canceling statement due to statement timeout',
	'work_mem = 64kB: the whole graph times out part way');
q_ok($s, 'RESET statement_timeout');
my @temp_files = glob($node->data_dir . '/base/pgsql_tmp/*');
is(scalar(@temp_files), 0, 'no temporary file is left behind');
is(q_ok($s, $graph_sql), $want_graph,
	'work_mem = 64kB: the whole graph again, the same');
q_ok($s, 'RESET work_mem');
n1_unit($s, 6);
check_stats('work_mem');
check_no_leftovers($s, 'work_mem');

###########################################################################
# 5. Out of memory
###########################################################################
SKIP:
{
	skip 'prlimit (util-linux) is not available', 14
	  if system('prlimit --version >/dev/null 2>&1') != 0;

	my $m    = new_session();
	my $mpid = q_ok($m, 'SELECT pg_backend_pid()');

	# VmSize of backend $mpid, in bytes
	my $vmsize = sub {
		my ($kb) = slurp_file("/proc/$mpid/status") =~ /^VmSize:\s+(\d+) kB/m
		  or die "no VmSize for $mpid";
		return $kb * 1024;
	};
	my $original =
	  `prlimit --pid $mpid --as --raw --noheadings --output SOFT`;
	chomp $original;
	my $set_limit = sub {
		my ($soft) = @_;
		system('prlimit', '--pid', $mpid, "--as=$soft:") == 0
		  or die "prlimit --pid $mpid --as=$soft: failed";
		return;
	};

	my $big_json = q{SELECT count(*), sum(length(j::text)) FROM
 (SELECT relprefetch.fetch_json('big_post', '{"include": ["big_comment"]}') AS j) s};
	my $small_json = q{SELECT md5(string_agg(j::text, E'\n')) FROM
 (SELECT relprefetch.fetch_json('big_post', '{"where": "id <= 2", "include": ["big_comment"]}') AS j) s};
	my $big_children = q{SELECT count(*), sum(cardinality(t.children)) FROM
 relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[]) t};
	my $small_children = q{SELECT md5(string_agg(t::text, E'\n')) FROM
 relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[], parent_where => 'id <= 100') t};

	# the length of the JSON of every big post
	my $big_length = 0;
	for my $post (1 .. 100)
	{
		$big_length += length(qq({"id":$post,"title":"big post $post","big_comment":[]}));
		for my $comment (($post - 1) * 30 + 1 .. $post * 30)
		{
			$big_length +=
			  length(qq({"id":$comment,"post_id":$post,"body":""})) + 100000;
		}
		$big_length += 29;    # the commas between the comments
	}

	# the results of the small fetches without a limit
	my $want_small_json = q_ok($m, $small_json);
	q_ok($m, 'SET relprefetch.fetch_batch_size = 1000000');
	my $want_small_children = q_ok($m, $small_children);

	my $offset = -s $node->logfile;
	$set_limit->($vmsize->() + 24 * 1024 * 1024);
	is( q_err($m, $big_children),
		'53200: out of memory',
		'VmSize + 24 MB: fetch_children of every post in one batch fails with 53200'
	);
	is(q_err($m, $big_children),
		'53200: out of memory', 'and again, the same');
	is(q_ok($m, $small_children), $want_small_children,
		'a smaller fetch_children works under the limit');

	$set_limit->($vmsize->() + 200 * 1024 * 1024);
	is( q_err($m, $big_json),
		'53200: out of memory',
		'VmSize + 200 MB: fetch_json of 300 MB fails with 53200');
	is(q_err($m, $big_json),
		'53200: out of memory', 'and again, the same');
	is(q_ok($m, $small_json), $want_small_json,
		'a smaller fetch_json works under the limit');
	n1_unit($m, 7);
	check_stats('out of memory');
	ok( $node->log_contains(
			qr/ERROR:  out of memory\n.*DETAIL:  Failed on request of size \d+ in memory context/,
			$offset),
		'the server log has the out of memory errors');
	ok(!$node->log_contains(qr/terminated by signal|reinitializing/, $offset),
		'no backend crashed');

	$set_limit->($original);
	is(q_ok($m, $big_json), "100|$big_length",
		'limit lifted: the big fetch_json returns 100 posts, 300 MB of JSON');
	is(q_ok($m, $big_children), '40000|200000',
		'limit lifted: the big fetch_children returns 40000 posts, 200000 comments'
	);
	check_no_leftovers($m, 'out of memory');
	$m->quit;
}

###########################################################################
# 7. on_detect = error with a cursor over fetch_json open
###########################################################################
my $cursor_spec =
  q{'{"where": "id <= 12", "order_by": "id", "columns": ["id", "title"], "include": {"comments": {"path": "blog_comment", "columns": ["id"], "order_by": "id"}}}'};
my $declare =
  "DECLARE c CURSOR FOR SELECT relprefetch.fetch_json('blog_post', $cursor_spec)::text";
my @rows =
  split /\n/, q_ok($s, "SELECT relprefetch.fetch_json('blog_post', $cursor_spec)");
is(scalar(@rows), 12, 'cursor: 12 posts');
my $rows = sub { join("\n", @rows[ $_[0] - 1 .. $_[1] - 1 ]) };

my $detected =
  '54000: N+1 query pattern: the same statement ran 5 times in one unit of work';

q_ok($s, 'SET relprefetch.fetch_batch_size = 3');
q_ok($s, 'SET relprefetch.on_detect = error');

# the error aborts the transaction
q_ok($s, 'BEGIN');
q_ok($s, $declare);
is(q_ok($s, 'FETCH 4 FROM c'), $rows->(1, 4), 'cursor: the first 4 rows');
q_ok($s, 'SELECT id, author_id FROM blog_post WHERE id <= 5 ORDER BY id');
q_ok($s, "SELECT name FROM blog_author WHERE id = $_") for 1 .. 4;
is(q_err($s, 'SELECT name FROM blog_author WHERE id = 5'),
	$detected, 'cursor open: on_detect = error at the 5th lookup');
is( q_err($s, 'FETCH 1 FROM c'),
	'25P02: current transaction is aborted, commands ignored until end of transaction block',
	'cursor: the transaction is aborted');
q_ok($s, 'ROLLBACK');
count_unit($lookup, 5);
check_stats('on_detect = error with a cursor open');

q_ok($s, 'BEGIN');
q_ok($s, $declare);
is(q_ok($s, 'FETCH ALL FROM c'), $rows->(1, 12),
	'cursor: after ROLLBACK, a new cursor returns every row');
q_ok($s, 'COMMIT');

# the error in a savepoint set after the cursor's first FETCH
q_ok($s, 'BEGIN');
q_ok($s, $declare);
is(q_ok($s, 'FETCH 4 FROM c'), $rows->(1, 4), 'cursor: the first 4 rows');
q_ok($s, 'SAVEPOINT s');
q_ok($s, 'SELECT id, author_id FROM blog_post WHERE id <= 7 ORDER BY id');
q_ok($s, "SELECT name FROM blog_author WHERE id = $_") for 1 .. 4;
is(q_err($s, 'SELECT name FROM blog_author WHERE id = 5'),
	$detected, 'savepoint: on_detect = error at the 5th lookup');
q_ok($s, 'ROLLBACK TO SAVEPOINT s');
is(q_ok($s, 'FETCH ALL FROM c'), $rows->(5, 12),
	'savepoint: after ROLLBACK TO, the cursor returns the remaining rows');
q_ok($s, "SELECT name FROM blog_author WHERE id = $_") for 5 .. 7;
q_ok($s, 'COMMIT');
count_unit($lookup, 8);
check_stats('on_detect = error in a savepoint with a cursor open');

# the cursor's first FETCH inside the savepoint
q_ok($s, 'BEGIN');
q_ok($s, $declare);
q_ok($s, 'SAVEPOINT s');
is(q_ok($s, 'FETCH 2 FROM c'), $rows->(1, 2),
	'first FETCH in a savepoint: the first 2 rows');
q_ok($s, 'SELECT id, author_id FROM blog_post WHERE id <= 5 ORDER BY id');
q_ok($s, "SELECT name FROM blog_author WHERE id = $_") for 1 .. 4;
is(q_err($s, 'SELECT name FROM blog_author WHERE id = 5'),
	$detected, 'first FETCH in a savepoint: on_detect = error');
q_ok($s, 'ROLLBACK TO SAVEPOINT s');
$s->{stderr} = '';
is($s->query('FETCH ALL FROM c') . $s->{stderr},
	$rows->(3, 12),
	'first FETCH in a savepoint: after ROLLBACK TO, fetch_json returns the remaining rows'
);
q_ok($s, 'ROLLBACK');
count_unit($lookup, 5);
check_stats('on_detect = error after the first FETCH in a savepoint');

my $children_cursor = q{SELECT md5(relprefetch.fetch_children(NULL::blog_post,
 NULL::blog_comment[], parent_where => 'id <= 12', child_order_by => 'id')::text)};
my @child_rows = split /\n/, q_ok($s, $children_cursor);
is(scalar(@child_rows), 12, 'fetch_children cursor: 12 posts');
q_ok($s, 'BEGIN');
q_ok($s, "DECLARE d CURSOR FOR $children_cursor");
q_ok($s, 'SAVEPOINT s');
is(q_ok($s, 'FETCH 2 FROM d'), join("\n", @child_rows[ 0 .. 1 ]),
	'fetch_children, first FETCH in a savepoint: the first 2 rows');
is(q_err($s, 'SELECT 1 / 0'), '22012: division by zero', 'an error');
q_ok($s, 'ROLLBACK TO SAVEPOINT s');
$s->{stderr} = '';
is($s->query('FETCH ALL FROM d') . $s->{stderr},
	join("\n", @child_rows[ 2 .. 11 ]),
	'first FETCH in a savepoint: after ROLLBACK TO, fetch_children returns the remaining rows'
);
q_ok($s, 'ROLLBACK');

# a WITH HOLD cursor read once before COMMIT: COMMIT runs it to the end
q_ok($s, 'BEGIN');
q_ok($s, 'INSERT INTO audit VALUES (1)');
q_ok($s,
	"DECLARE h CURSOR WITH HOLD FOR SELECT relprefetch.fetch_json('blog_post', $cursor_spec)::text"
);
is(q_ok($s, 'FETCH 2 FROM h'), $rows->(1, 2), 'WITH HOLD: the first 2 rows');
$s->{stderr} = '';
$s->query('COMMIT');
is($s->{stderr}, '', 'WITH HOLD: COMMIT succeeds');
is(q_ok($s, 'SELECT count(*) FROM audit'), '1',
	'WITH HOLD: the transaction is committed');
$s->{stderr} = '';
is($s->query('FETCH ALL FROM h') . $s->{stderr},
	$rows->(3, 12),
	'WITH HOLD: the cursor returns the remaining rows after COMMIT');
$s->query('CLOSE h');

q_ok($s, 'RESET relprefetch.on_detect');
q_ok($s, 'RESET relprefetch.fetch_batch_size');
is(q_ok($s, $json_sql), $want_json, 'cursor: fetch_json afterwards');
n1_unit($s, 6);
check_stats('after the cursors');
check_no_leftovers($s, 'cursor');

###########################################################################
# 8. Errors from other sources inside a unit
###########################################################################
my $div = 'SELECT name, $1 / (id - $2) AS x FROM blog_author WHERE id = $3';
# the author $_[0], dividing by zero when $_[0] = $_[1]
my $divide_by = sub {
	return "SELECT name, 100 / (id - $_[1]) AS x FROM blog_author WHERE id = $_[0]";
};

# after the threshold, in a transaction
q_ok($s, 'BEGIN');
q_ok($s, 'SELECT id, author_id FROM blog_post WHERE id <= 9 ORDER BY id');
q_ok($s, $divide_by->($_, 7)) for 1 .. 6;
is( q_err($s, $divide_by->(7, 7)),
	'22012: division by zero',
	'division by zero at the 7th execution');
is( q_err($s, $divide_by->(8, 7)),
	'25P02: current transaction is aborted, commands ignored until end of transaction block',
	'the next one is rejected');
q_err($s, $divide_by->(9, 7));
q_ok($s, 'ROLLBACK');
count_unit($div, 7);
check_stats('division by zero after the threshold');

# below the threshold
q_ok($s, 'BEGIN');
q_ok($s, $divide_by->($_, 3)) for 1 .. 2;
is(q_err($s, $divide_by->(3, 3)),
	'22012: division by zero', 'division by zero at the 3rd execution');
q_err($s, $divide_by->($_, 3)) for 4 .. 6;
q_ok($s, 'ROLLBACK');
check_stats('division by zero below the threshold: nothing recorded');

# in savepoints: the loop goes on
q_ok($s, 'BEGIN');
for my $i (1 .. 6)
{
	q_ok($s, 'SAVEPOINT row');
	if ($i == 2 || $i == 5)
	{
		is(q_err($s, $divide_by->($i, $i)),
			'22012: division by zero', "savepoint: division by zero at $i");
		q_ok($s, 'ROLLBACK TO SAVEPOINT row');
	}
	else
	{
		q_ok($s, $divide_by->($i, 0));
		q_ok($s, 'RELEASE SAVEPOINT row');
	}
}
q_ok($s, 'COMMIT');
count_unit($div, 6);
check_stats('division by zero in savepoints');

# autocommit: the unit goes on after a failed statement
q_ok($s, q{SET relprefetch.unit_gap = '1h'});
q_ok($s, 'SELECT relprefetch.end_unit()');
q_ok($s, $divide_by->($_, 0)) for 1 .. 3;
is(q_err($s, $divide_by->(4, 4)),
	'22012: division by zero', 'autocommit: division by zero at the 4th');
q_ok($s, $divide_by->($_, 0)) for 5 .. 9;
q_ok($s, 'SELECT relprefetch.end_unit()');
q_ok($s, 'RESET relprefetch.unit_gap');
count_unit($div, 9);
check_stats('division by zero in autocommit');

is(q_ok($s, $json_sql), $want_json, 'errors: fetch_json afterwards');
n1_unit($s, 5);
check_stats('after the errors');
check_no_leftovers($s, 'errors');
$s->quit;

###########################################################################
# 6. SIGKILL during a fetch
###########################################################################
my $victim     = new_session();
my $victim_pid = q_ok($victim, 'SELECT pg_backend_pid()');
q_ok($victim, 'SET rp.child_sleep = 0.01');
$victim->query_until(qr/started\n/, "\\echo started\n$json_sql;\n");
$node->poll_query_until('postgres',
	"SELECT wait_event = 'PgSleep' FROM pg_stat_activity WHERE pid = $victim_pid"
) or die "backend $victim_pid did not reach pg_sleep";
is($node->safe_psql('postgres', 'SELECT entries FROM relprefetch.info'),
	scalar(keys %expected), 'SIGKILL: the entries before the crash');
is( join("\n", grep { /WARNING/ } split /\n/, slurp_file($node->logfile)),
	'',
	'no WARNING in the server log (no leaked resource reported at the end of a transaction)'
);
crash_restart($node, $victim_pid, 'SIGKILL during fetch_json');
eval { $victim->quit };

%expected = ();
check_stats('after the crash restart: empty');
my $after = new_session();
is(q_ok($after, $json_sql), $want_json,
	'after the crash restart: fetch_json returns the same rows');
is(q_ok($after, $children_sql), $want_children,
	'after the crash restart: fetch_children returns the same rows');
n1_unit($after, 6);
check_stats('after the crash restart: detection works');
$after->quit;

note sprintf('test ran in %.1f s', time() - $started);
$node->stop;

done_testing();
