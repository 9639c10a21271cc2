# Tests relprefetch on Citus (distributed PostgreSQL): a coordinator and two
# workers, shared_preload_libraries = 'citus,relprefetch', the demo's blog
# schema as Citus tables (demo/blog_citus.sql: reference tables for
# countries, authors and tags; posts distributed by id, comments and
# post-tag links by post_id, colocated), and a plain PostgreSQL node with
# the same tables for comparison:
#   1. detection on the coordinator: a unit of work with two N+1 loops
#      (each post's comments, each post's author), require_proof on, gives
#      the same relprefetch.stats rows as on plain PostgreSQL (query,
#      calls, source query, relation, foreign key, suggestion, proof),
#      although the plans are one Custom Scan; also when the loop reads
#      its table through a view, a subquery or a CTE;
#   2. what Citus sends never counts: with on_detect = error on the
#      workers, create_distributed_table, DDL propagated to every shard,
#      EXPLAIN ANALYZE and repeated fetches from the coordinator all work,
#      and the workers record nothing; a client querying the distributed
#      tables on a worker (Citus MX) gets its loop reported under the
#      distributed table and its foreign key, never a shard's, and the
#      shard queries Citus sends for it over connections are not counted,
#      even with relprefetch.track = all; a table whose name is too long
#      for Citus to add "_<shardid>" to it has its shards (their names cut
#      and hashed) reported under its own name too, also the shard queries
#      Citus runs in the client's session with track = all;
#   3. keyed fetches work: fetch_json returns the same JSON as on plain
#      PostgreSQL for a page and for every post (its comments also in an
#      order no index gives), on the coordinator and on a worker, also
#      with plan_cache_mode = force_generic_plan;
#   4. a page's includes read only the shards that hold its keys (Citus's
#      remote commands, logged), the whole graph reads every shard, each
#      shard sorting its own comments (ordered by their own column or by
#      an expression); an author's posts, which are not all in one shard,
#      are read unsorted and put in order per author on the coordinator.
# Skipped, with the reason, when Citus is not installed (no citus.control
# in the server's extension folder).  Tested with Citus 13.2 on
# PostgreSQL 15.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $sharedir = PostgreSQL::Test::Cluster->new('probe')->config_data('--sharedir');
if (!-f "$sharedir/extension/citus.control")
{
	plan skip_all =>
	  "Citus is not installed ($sharedir/extension/citus.control not found)";
}

my $blog_sql = slurp_file("$FindBin::RealBin/../demo/blog.sql");
my $citus_sql = slurp_file("$FindBin::RealBin/../demo/blog_citus.sql");
(my $plain_sql = $citus_sql) =~ s/^.*-- citus\n//mg;

# A started node; Citus's nodes listen on 127.0.0.1 for each other.
sub make_node
{
	my ($name, $preload) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
	$node->append_conf('postgresql.conf', qq{
lc_messages = 'C'
shared_preload_libraries = '$preload'
listen_addresses = '127.0.0.1'
max_connections = 60
jit = off
});
	$node->append_conf('pg_hba.conf', "host all all 127.0.0.1/32 trust\n");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION relprefetch');
	return $node;
}

my $coord = make_node('coordinator', 'citus,relprefetch');
my @workers = map { make_node("worker$_", 'citus,relprefetch') } (1, 2);
my $plain = make_node('plain', 'relprefetch');

for my $node ($coord, @workers)
{
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
}
$coord->safe_psql('postgres',
	"SELECT citus_set_coordinator_host('127.0.0.1', " . $coord->port . ")");
$coord->safe_psql('postgres',
	"SELECT citus_add_node('127.0.0.1', " . $_->port . ")")
  for @workers;

# 200 posts, 20 authors, 1,000 comments, 600 post-tag links
$coord->safe_psql('postgres', $blog_sql . $citus_sql,
	extra_params => [ '-v', 'scale=200' ]);
$plain->safe_psql('postgres', $blog_sql . $plain_sql,
	extra_params => [ '-v', 'scale=200' ]);
is( $coord->safe_psql(
		'postgres',
		"SELECT string_agg(table_name || ':' || citus_table_type, ' ' ORDER BY table_name::text) FROM citus_tables"
	),
	'blog_author:reference blog_comment:distributed blog_country:reference '
	  . 'blog_post:distributed blog_post_tags:distributed blog_tag:reference',
	'the blog tables are Citus tables');

# ---------------------------------------------------------------------------
# 1. Detection on the coordinator, as on plain PostgreSQL
my $authors = $plain->safe_psql('postgres',
	'SELECT string_agg(author_id::text, \' \' ORDER BY id) FROM blog_post WHERE id <= 6');
my $unit = "SET relprefetch.require_proof = on;\nBEGIN;\n"
  . "SELECT id, title, author_id FROM blog_post WHERE id <= 6 ORDER BY id;\n";
$unit .= "SELECT id, body FROM blog_comment WHERE post_id = $_ ORDER BY id;\n"
  for 1 .. 6;
$unit .= "SELECT id, name FROM blog_author WHERE id = $_;\n"
  for split(/ /, $authors);
$unit .= "COMMIT;\n";
my $stats = q{SELECT query, calls, source_query, relation, foreign_key,
       suggestion, proof
FROM relprefetch.stats ORDER BY query COLLATE "C"};

for my $node ($coord, $plain)
{
	$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
	$node->safe_psql('postgres', $unit);
}
my $coord_stats = $coord->safe_psql('postgres', $stats);
is($coord_stats, $plain->safe_psql('postgres', $stats),
	'the coordinator records the same rows as plain PostgreSQL');
like(
	$coord_stats,
	qr/blog_comment WHERE post_id = \$1 ORDER BY id\|6\|.*\|public\.blog_comment\|blog_comment_post_id_fkey\|.*fetch_children\(NULL::public\.blog_post, NULL::public\.blog_comment\[\], parent_where => 'id <= 6'\) ORDER BY \(parent\)\.id .*\|5 of 5 values of \$1 came from public\.blog_post\.id/,
	'the comments loop: its foreign key, suggested call and proof');
like(
	$coord_stats,
	qr/blog_author WHERE id = \$1\|6\|.*\|public\.blog_author\|blog_post_author_id_fkey\|.*fetch_json\('public\.blog_post', '\{"where": "id <= 6", "order_by": "id", "include": \["author"\]\}'\).*\|5 of 5 values of \$1 came from public\.blog_post\.author_id/,
	'the authors loop: its foreign key, suggested call and proof');

# Loops that reach the tables through a view (nested, with a column
# renamed), a subquery or a CTE: the same rows as on plain PostgreSQL
my $views = q{
CREATE VIEW comment_v AS SELECT id, post_id, body FROM blog_comment;
CREATE VIEW author_v AS SELECT id AS author_key, name FROM blog_author;
CREATE VIEW author_vv AS SELECT * FROM author_v;
CREATE VIEW visible_comment AS SELECT * FROM blog_comment WHERE body <> '';
CREATE VIEW comment_post_v AS SELECT c.id, c.post_id, c.body, p.title
  FROM blog_comment c JOIN blog_post p ON p.id = c.post_id;
};
my @through = (
	[ 'a view', 'SELECT id, body FROM comment_v WHERE post_id = %s ORDER BY id', 'post' ],
	[ 'a view of a join', 'SELECT id, title FROM comment_post_v WHERE post_id = %s ORDER BY id', 'post' ],
	[ 'a view of a view, the key renamed', 'SELECT name FROM author_vv WHERE author_key = %s', 'author' ],
	[ 'a subquery, the key renamed', 'SELECT s.id FROM (SELECT c.id, c.post_id AS pid FROM blog_comment c) s WHERE s.pid = %s ORDER BY s.id', 'post' ],
	[ 'a CTE with column names', 'WITH c(cid, pid) AS (SELECT id, post_id FROM blog_comment) SELECT cid FROM c WHERE pid = %s ORDER BY cid', 'post' ],
	[ 'a CTE holding the key', 'WITH c AS (SELECT id, body FROM blog_comment WHERE post_id = %s) SELECT * FROM c ORDER BY id', 'post' ],
	[ 'a view with a condition', 'SELECT id FROM visible_comment WHERE post_id = %s ORDER BY id', 'post' ]);
my $through_units = "SET relprefetch.require_proof = on;\n";
for my $case (@through)
{
	my ($what, $loop, $keys) = @$case;
	$through_units .= "BEGIN;\n"
	  . "SELECT id, title, author_id FROM blog_post WHERE id <= 6 ORDER BY id;\n";
	$through_units .= sprintf("$loop;\n", $_)
	  for ($keys eq 'post' ? (1 .. 6) : split(/ /, $authors));
	$through_units .= "COMMIT;\n";
}
for my $node ($coord, $plain)
{
	$node->safe_psql('postgres', $views);
	$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
	$node->safe_psql('postgres', $through_units);
}
my $through_stats = q{SELECT query, relation, foreign_key, suggestion, proof
FROM relprefetch.stats WHERE query %s '%%visible_comment%%' ORDER BY query COLLATE "C"};
$coord_stats = $coord->safe_psql('postgres', sprintf($through_stats, 'NOT LIKE'));
is($coord_stats, $plain->safe_psql('postgres', sprintf($through_stats, 'NOT LIKE')),
	'through views, subqueries and CTEs: the rows of plain PostgreSQL');
is( $coord->safe_psql(
		'postgres', 'SELECT count(foreign_key) FROM relprefetch.stats'),
	scalar(@through),
	'through views, subqueries and CTEs: each loop has its foreign key');
like(
	$coord->safe_psql('postgres', sprintf($through_stats, 'LIKE')),
	qr/\|public\.blog_comment\|blog_comment_post_id_fkey\|.*fetch_children\(NULL::public\.blog_post, NULL::public\.blog_comment\[\], parent_where => 'id <= 6'\).* add them to the call by hand\./,
	"a view's own condition is left for the user to add");

# ---------------------------------------------------------------------------
# 2. What Citus sends to the workers never counts
for my $worker (@workers)
{
	$worker->safe_psql('postgres',
		"ALTER SYSTEM SET relprefetch.on_detect = 'error'");
	$worker->reload;
	$worker->safe_psql('postgres', 'SELECT relprefetch.reset()');
}
my $fetch_page = q{SELECT relprefetch.fetch_json('blog_post', '{"where": "author_id = 7", "order_by": "published DESC, id DESC", "limit": 20, "include": {"author": {"include": ["country"]}, "active_tags": {"path": "tags", "where": "active", "order_by": "name"}, "comments": {"path": "blog_comment", "order_by": "id"}}}')};
my $citus_work = q{
CREATE TABLE note (post_id bigint, id bigint, body text, PRIMARY KEY (post_id, id));
SELECT create_distributed_table('note', 'post_id', colocate_with => 'blog_post');
INSERT INTO note SELECT id, 1, title FROM blog_post;
CREATE INDEX ON note (body);
ALTER TABLE note ADD COLUMN extra int;
BEGIN;
};
$citus_work .=
  "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM blog_comment WHERE post_id = $_;\n"
  for 1 .. 6;
$citus_work .=
  "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM blog_comment;\n"
  for 1 .. 6;
$citus_work .= "SELECT count(*) FROM ($fetch_page) f;\n" for 1 .. 6;
$citus_work .= "COMMIT;\nDROP TABLE note;\n";
my ($ret, $stdout, $stderr) = $coord->psql('postgres', $citus_work,
	on_error_stop => 1);
is($ret, 0, 'Citus operations work with on_detect = error on the workers')
  or diag($stderr);
for my $i (0, 1)
{
	is($workers[$i]->safe_psql('postgres', 'SELECT count(*) FROM relprefetch.stats'),
		'0', 'worker ' . ($i + 1) . ' recorded nothing of what Citus sent');
}

# A client on a worker (Citus MX) querying the distributed tables
my $worker_unit = "SET relprefetch.on_detect = 'none';\nBEGIN;\n"
  . "SELECT id, title FROM blog_post WHERE id <= 6 ORDER BY id;\n";
$worker_unit .= "SELECT id, body FROM blog_comment WHERE post_id = $_ ORDER BY id;\n"
  for 1 .. 6;
$worker_unit .= "COMMIT;\n";
$workers[0]->safe_psql('postgres', $worker_unit);
is( $workers[0]->safe_psql(
		'postgres', 'SELECT calls, relation, foreign_key FROM relprefetch.stats'),
	'6|public.blog_comment|blog_comment_post_id_fkey',
	'a loop on a worker is reported under the distributed table');

# The shard queries Citus runs for them (on other nodes, or on this one
# through a connection of its own) are not counted, even with track = all
$workers[0]->safe_psql('postgres', 'SELECT relprefetch.reset()');
$worker_unit .=
  "SELECT count(*) FROM blog_comment WHERE body <> '';\n" for 1 .. 6;
# (require_proof off: the counts' ids are the application's own, and the
# test needs them recorded)
$workers[0]->safe_psql('postgres',
	"SET relprefetch.track = 'all';\nSET relprefetch.require_proof = off;\n"
	  . $worker_unit);
is( $workers[0]->safe_psql(
		'postgres', 'SELECT calls, relation, foreign_key FROM relprefetch.stats ORDER BY foreign_key NULLS FIRST'),
	"6|public.blog_comment|\n6|public.blog_comment|blog_comment_post_id_fkey",
	'with track = all, only the client\'s statements on a worker');

# A table whose name is too long for Citus to add "_<shardid>": its shards'
# names are cut (here in the middle of a two-byte character) and hashed.
# A loop over one of its shards, queried directly on a worker, is reported
# under the table and its foreign key; so are, with track = all, the
# shard queries Citus runs in the client's session for a loop over it.
my $long = q{U&"blog_comment_with_a_name_long_enough_for_citus\00e9_shard_names"};
my $long_like = q{'blog\_comment\_with\_a\_name\_long\_enough%'};
$coord->safe_psql(
	'postgres', qq{
CREATE TABLE $long (post_id bigint NOT NULL, id bigint NOT NULL, body text,
  PRIMARY KEY (post_id, id));
SELECT create_distributed_table(oid, 'post_id', colocate_with => 'blog_post')
  FROM pg_class WHERE relname LIKE $long_like AND relkind = 'r';
ALTER TABLE $long ADD CONSTRAINT long_comment_post_fkey
  FOREIGN KEY (post_id) REFERENCES blog_post (id);
INSERT INTO $long SELECT post_id, id, body FROM blog_comment;
});
my $shard = $workers[0]->safe_psql(
	'postgres', qq{SET citus.override_table_visibility = off;
SELECT format('%I', relname) FROM pg_class
WHERE relname LIKE $long_like AND relkind = 'r' AND relname ~ '_[0-9]+\$'
ORDER BY relname LIMIT 1});
is(length($shard), 62,
	"a shard's name is cut to 63 bytes, at a character boundary ($shard)");
my $long_unit = "SET relprefetch.on_detect = 'none';\n"
  . "SET relprefetch.require_proof = off;\nBEGIN;\n";
$long_unit .= "SELECT id, body FROM $shard WHERE post_id = $_ ORDER BY id;\n"
  for 1 .. 6;
$long_unit .= "COMMIT;\n";
$workers[0]->safe_psql('postgres', 'SELECT relprefetch.reset()');
$workers[0]->safe_psql('postgres', $long_unit);
my $long_stats = qq{SELECT s.calls,
  s.relation = format('%I.%I', 'public', c.relname), s.foreign_key
FROM relprefetch.stats s, pg_class c
WHERE c.relname LIKE $long_like AND c.relkind = 'r'};
is($workers[0]->safe_psql('postgres', $long_stats),
	'6|t|long_comment_post_fkey',
	'a loop over a shard with a cut name is reported under its table');

$workers[0]->safe_psql('postgres', 'SELECT relprefetch.reset()');
$long_unit = "SET relprefetch.on_detect = 'none';\nSET relprefetch.track = 'all';\n"
  . "SET relprefetch.require_proof = off;\nBEGIN;\n";
$long_unit .= "SELECT count(*) FROM $long WHERE body <> '';\n" for 1 .. 6;
$long_unit .= "COMMIT;\n";
$workers[0]->safe_psql('postgres', $long_unit);
is( $workers[0]->safe_psql(
		'postgres', qq{SELECT count(*) FILTER (WHERE s.query ~ '_[0-9a-f]{8}_[0-9]+ ') > 0,
  bool_and(s.relation = format('%I.%I', 'public', c.relname))
FROM relprefetch.stats s, pg_class c
WHERE c.relname LIKE $long_like AND c.relkind = 'r'}),
	't|t',
	'with track = all, no shard with a cut name is reported as itself');

# ---------------------------------------------------------------------------
# 3. Keyed fetches: the same JSON as on plain PostgreSQL
my $fetch_all = q{SELECT relprefetch.fetch_json('blog_post', '{"order_by": "id", "include": {"author": {"include": ["country"]}, "active_tags": {"path": "tags", "where": "active", "order_by": "name"}, "comments": {"path": "blog_comment", "order_by": "id"}}}')};
my $fetch_children = q{SELECT (t.parent).id, t.children FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[], parent_where => 'id <= 3', child_order_by => 'id') t ORDER BY 1};
# comments in an order no index gives, ties broken the other way round
my $fetch_all_by_body = q{SELECT relprefetch.fetch_json('blog_post', '{"order_by": "id", "include": {"comments": {"path": "blog_comment", "order_by": "length(body) DESC, id DESC"}}}')};
# an author's posts are in many shards: put in order on the coordinator
my $fetch_author_posts = q{SELECT relprefetch.fetch_json('blog_author', '{"where": "id <= 5", "order_by": "id", "include": {"posts": {"path": "blog_post", "columns": ["id", "published"], "order_by": "published DESC, id"}}}')};
for my $case (
	[ 'a page', $fetch_page ],
	[ "authors' posts, newest first", $fetch_author_posts ],
	[ 'every post', $fetch_all ],
	[ 'every post, comments by length', $fetch_all_by_body ],
	[ 'fetch_children', $fetch_children ])
{
	my ($what, $sql) = @$case;
	my $want = $plain->safe_psql('postgres', $sql);
	is($coord->safe_psql('postgres', $sql), $want,
		"$what: the coordinator's JSON is plain PostgreSQL's");
	is($workers[1]->safe_psql('postgres', "SET relprefetch.on_detect = 'none'; $sql"),
		$want, "$what: a worker's JSON is plain PostgreSQL's");
}
is( $coord->safe_psql(
		'postgres', "SET plan_cache_mode = force_generic_plan; $fetch_page"),
	$plain->safe_psql('postgres', $fetch_page),
	'a page with plan_cache_mode = force_generic_plan');
is( $coord->safe_psql(
		'postgres',
		"BEGIN; UPDATE blog_comment SET body = body WHERE id % 10 = 0; $fetch_page; COMMIT;"
	),
	$plain->safe_psql('postgres', $fetch_page),
	'a page after a write to every shard in the transaction');

# ---------------------------------------------------------------------------
# 4. A page reads the shards of its keys; the whole graph, every shard
sub comment_shards
{
	my ($sql) = @_;
	my ($r, $out, $err) = $coord->psql('postgres',
		"SET citus.log_remote_commands = on; SET client_min_messages = log; $sql");
	my %shards = map { $_ => 1 } ($err =~ /\bFROM public\.(blog_comment_\d+)/g);
	return scalar(keys %shards);
}
my $page_shards = comment_shards($fetch_page);
ok($page_shards >= 1 && $page_shards <= 10,
	"a page's comments are read from the shards of its posts only ($page_shards of 32)");
is(comment_shards($fetch_all), 32, 'every post: every shard is read');

# The shard reads of the whole graph's comments, and how many of them sort
sub comment_sorts
{
	my ($sql) = @_;
	my ($rc, $out, $err) = $coord->psql('postgres',
		"SET citus.log_remote_commands = on; SET client_min_messages = log; $sql");
	my @reads = ($err =~ /FROM public\.blog_comment_\d+ blog_comment\b/g);
	my @sorted = ($err =~ /FROM public\.blog_comment_\d+ blog_comment ORDER BY/g);
	return (scalar(@reads), scalar(@sorted));
}

# The whole graph's comments are sorted in each shard (their rows of a post
# are all in its shard), not all together on the coordinator, and not put
# in order per post there either: ordered by their own column or by an
# expression
is(join(' ', comment_sorts($fetch_all)), '32 32',
	'every post, comments by id: each shard sorts its comments');
is(join(' ', comment_sorts($fetch_all_by_body)), '32 32',
	'every post, comments by length: each shard sorts its comments');

# An author's posts: the query relprefetch writes for them (auto_explain's
# Query Text on the coordinator) has no ORDER BY and returns the order's
# columns, and no shard sorts them
my ($rc, $out, $err) = $coord->psql('postgres',
	"LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; "
	  . "SET auto_explain.log_nested_statements = on; "
	  . "SET citus.log_remote_commands = on; SET client_min_messages = log; "
	  . $fetch_author_posts);
my ($posts_query) =
  $err =~ /Query Text: (SELECT [^\n]*FROM public\.blog_post\b[^\n]*)/;
ok( defined $posts_query
	  && $posts_query =~ /"\?sort1\?"/
	  && $posts_query !~ /ORDER BY/,
	"authors' posts: relprefetch's query does not sort them, and returns the order's columns"
) or diag("query: " . ($posts_query // 'not found'));
my @post_reads = ($err =~ /FROM public\.blog_post_\d+ blog_post\b/g);
my @post_sorts = ($err =~ /FROM public\.blog_post_\d+ blog_post\b[^\n]*ORDER BY/g);
ok(@post_reads > 0 && @post_sorts == 0,
	"authors' posts: no shard sorts them ("
	  . scalar(@post_reads) . ' reads, '
	  . scalar(@post_sorts) . ' sorted)');

done_testing();
