# Tests detection on a hot standby, and relprefetch.on_detect = log:
#   - a streaming replica with relprefetch preloaded counts and records the
#     N+1 loops run by read-only sessions on it, in its own table (the
#     stats are per server, not replicated), with the relation and foreign
#     key read from the replicated catalogs;
#   - relprefetch.on_detect = log writes the detection (message, repeated
#     statement, statement before the loop, suggestion) to the server log,
#     once per shape per unit, and sends nothing to the client;
#   - fetch_json (forward, reverse and nested includes, columns, where,
#     order_by, limit, offset) and fetch_children return on the standby
#     exactly what they return on the primary;
#   - a standby session's fetch plan cache follows DDL replayed from the
#     primary (a column added, a column renamed, a new table with a foreign
#     key): the same calls in the same session show the new column, the new
#     name and the new relationship;
#   - relprefetch.end_unit(), relprefetch.unit_queries() and
#     relprefetch.reset() work on the standby, and on_detect = error raises
#     SQLSTATE 54000 there with the documented message;
#   - the standby's stats survive its clean restarts (relprefetch.save
#     writes pg_stat/relprefetch.stat at shutdown in recovery too, and the
#     standby reads it back and deletes it at start);
#   - the primary's stats are its own: nothing the standby counts, resets
#     or restarts changes them.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'relprefetch'
lc_messages = 'C'
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION relprefetch');
$primary->safe_psql('postgres', authors_posts_sql(20));

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');

# An N+1 loop on the standby: the posts, then one lookup per author
$standby->safe_psql('postgres', unit_sql(6, 'SELECT name FROM authors WHERE id'));
is( $standby->safe_psql(
		'postgres',
		'SELECT query, units, calls, max_repeats, source_query, relation, foreign_key
		 FROM relprefetch.stats'),
	'SELECT name FROM authors WHERE id = $1|1|6|6|'
	  . 'SELECT id, author_id FROM posts WHERE id <= $1|public.authors|posts_author_id_fkey',
	'the standby records the loop, with relation and foreign key');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM relprefetch.stats'),
	'0', 'the primary has its own table: nothing ran there');
is($standby->safe_psql('postgres', 'SELECT entries FROM relprefetch.info'),
	'1', 'relprefetch.info on the standby');

# on_detect = log: the server log, not the client
my $offset = -s $standby->logfile;
my ($ret, $stdout, $stderr) = $standby->psql('postgres',
	"SET relprefetch.on_detect = log;\n"
	  . unit_sql(7, 'SELECT name FROM authors WHERE id'));
is($ret, 0, 'on_detect = log: the loop succeeds');
is($stderr, '', 'on_detect = log: nothing is sent to the client');
my $log = slurp_file($standby->logfile, $offset);
my @detections =
  ($log =~ /LOG:  N\+1 query pattern: the same statement ran 5 times in one unit of work/g);
is(scalar @detections, 1, 'one LOG line per shape per unit, at the threshold');
like($log, qr/DETAIL:  The repeated statement is "SELECT name FROM authors WHERE id = \$1"/,
	'the LOG line names the repeated statement');
like($log, qr/, run after "SELECT id, author_id FROM posts WHERE id <= \$1"/,
	'and the statement before the loop');
like($log, qr/HINT:  .*posts_author_id_fkey/, 'and the suggestion');


###########################################################################
# fetch_json and fetch_children on the standby
###########################################################################

# Each author gets three posts: author a has posts a - 1, a + 19 and a + 39
# (author 1: posts 20, 40 and 60)
$primary->safe_psql('postgres',
	q{INSERT INTO posts SELECT g, (g % 20) + 1, 'post ' || g
	  FROM generate_series(21, 60) g});
$primary->wait_for_catchup($standby);

my %fetches = (
	'fetch_json, forward include, columns, where, order_by, limit' =>
	  q{SELECT relprefetch.fetch_json('posts', '{"columns": ["id", "title"],
		  "where": "author_id IN (2, 3)", "order_by": "id DESC", "limit": 4,
		  "include": ["author"]}')},
	'fetch_json, reverse include with its own where, order_by, limit' =>
	  q{SELECT relprefetch.fetch_json('authors', '{"where": "id <= 3",
		  "order_by": "id", "include": {"posts": {"columns": ["id", "title"],
		  "where": "id > 1", "order_by": "id DESC", "limit": 2}}}')},
	'fetch_json, nested include (forward then reverse), offset' =>
	  q{SELECT relprefetch.fetch_json('posts', '{"columns": ["id"],
		  "order_by": "id", "offset": 2, "limit": 2,
		  "include": {"author": {"columns": ["name"],
		  "include": {"posts": {"columns": ["id"], "order_by": "id"}}}}}')},
	'fetch_children with parent_where, child_where, order and limit' =>
	  q{SELECT to_json(t) FROM relprefetch.fetch_children(NULL::authors,
		  NULL::posts[], parent_where => 'id <= 4', child_where => 'id > 20',
		  child_order_by => 'id DESC', child_limit => 2) t
		ORDER BY (t.parent).id},
	'fetch_children without options' =>
	  q{SELECT (t.parent).id, array_agg(c.id ORDER BY c.id)
		FROM relprefetch.fetch_children(NULL::authors, NULL::posts[]) t,
		  unnest(t.children) c
		GROUP BY 1 ORDER BY 1},);

# What the primary returns, checked here for two of the calls
my %on_primary =
  map { $_ => $primary->safe_psql('postgres', $fetches{$_}) } keys %fetches;
is( $on_primary{'fetch_json, reverse include with its own where, order_by, limit'},
	join("\n",
		'{"id":1,"name":"author 1","posts":[{"id":60,"title":"post 60"},{"id":40,"title":"post 40"}]}',
		'{"id":2,"name":"author 2","posts":[{"id":41,"title":"post 41"},{"id":21,"title":"post 21"}]}',
		'{"id":3,"name":"author 3","posts":[{"id":42,"title":"post 42"},{"id":22,"title":"post 22"}]}'
	),
	'the primary: fetch_json with a reverse include');
is( $on_primary{'fetch_json, forward include, columns, where, order_by, limit'},
	join("\n",
		'{"id":42,"title":"post 42","author":{"id":3,"name":"author 3"}}',
		'{"id":41,"title":"post 41","author":{"id":2,"name":"author 2"}}',
		'{"id":22,"title":"post 22","author":{"id":3,"name":"author 3"}}',
		'{"id":21,"title":"post 21","author":{"id":2,"name":"author 2"}}'),
	'the primary: fetch_json with a forward include');

is( scalar(() =
		  $on_primary{'fetch_children without options'} =~ /^\d+\|\{\d+,\d+,\d+\}$/mg),
	20, 'the primary: fetch_children gives each of 20 authors its 3 posts');

# The same on the standby (read-only), and in one standby session whose
# plan cache already holds the calls (each call run twice)
foreach my $name (sort keys %fetches)
{
	is($standby->safe_psql('postgres', $fetches{$name}),
		$on_primary{$name}, "the standby returns what the primary does: $name");
}
my $session = $standby->background_psql('postgres', on_error_stop => 0);
is($session->query_safe('SHOW transaction_read_only'),
	'on', 'the standby session is read-only');
# its calls are separate units, however quickly they follow each other
$session->query_safe('SET relprefetch.unit_gap = 0');
foreach my $name (sort keys %fetches)
{
	$session->query_safe($fetches{$name});
	is($session->query_safe($fetches{$name}),
		$on_primary{$name}, "the standby, called again in one session: $name");
}

###########################################################################
# The standby's plan cache and DDL replayed from the primary
###########################################################################

# Calls without columns: they show what the table has
my $post_1 = q{SELECT relprefetch.fetch_json('posts', '{"where": "id = 1",
	"include": ["author"]}')};
my $author_2 = q{SELECT to_json(t.children)
	FROM relprefetch.fetch_children(NULL::authors, NULL::posts[],
	  parent_where => 'id = 2', child_order_by => 'id') t};
is( $session->query_safe($post_1),
	'{"id":1,"author_id":2,"title":"post 1","author":{"id":2,"name":"author 2"}}',
	'the standby session: a post before the DDL');
is( $session->query_safe($author_2),
	'[{"id":1,"author_id":2,"title":"post 1"},{"id":21,"author_id":2,"title":"post 21"},{"id":41,"author_id":2,"title":"post 41"}]',
	'the standby session: fetch_children before the DDL');

$primary->safe_psql('postgres',
	'ALTER TABLE posts ADD COLUMN likes int NOT NULL DEFAULT 7');
$primary->wait_for_catchup($standby);
is( $session->query_safe($post_1),
	'{"id":1,"author_id":2,"title":"post 1","likes":7,"author":{"id":2,"name":"author 2"}}',
	'a column added on the primary: the same call in the same standby session shows it'
);
is( $session->query_safe($author_2),
	'[{"id":1,"author_id":2,"title":"post 1","likes":7},{"id":21,"author_id":2,"title":"post 21","likes":7},{"id":41,"author_id":2,"title":"post 41","likes":7}]',
	'a column added on the primary: fetch_children in the same standby session shows it'
);

$primary->safe_psql('postgres',
	'ALTER TABLE authors RENAME COLUMN name TO full_name');
$primary->wait_for_catchup($standby);
is( $session->query_safe($post_1),
	'{"id":1,"author_id":2,"title":"post 1","likes":7,"author":{"id":2,"full_name":"author 2"}}',
	'a column renamed on the primary: the same standby session shows the new name'
);

my $with_comments = q{SELECT relprefetch.fetch_json('posts', '{"columns": ["id"],
	"where": "id <= 2", "order_by": "id",
	"include": {"comments": {"columns": ["body"], "order_by": "id"}}}')};
my ($out, $failed) = $session->query($with_comments);
ok($failed && $session->{stderr} =~ /ERROR:  .*comments/,
	'the standby session: no relationship "comments" yet');
$session->{stderr} = '';
$primary->safe_psql(
	'postgres', q{
CREATE TABLE comments (id int PRIMARY KEY,
                       post_id int NOT NULL REFERENCES posts (id),
                       body text NOT NULL);
INSERT INTO comments VALUES (1, 2, 'first'), (2, 2, 'second'), (3, 3, 'third');
});
$primary->wait_for_catchup($standby);
is( $session->query_safe($with_comments),
	join("\n",
		'{"id":1,"comments":[]}',
		'{"id":2,"comments":[{"body":"first"},{"body":"second"}]}'),
	'a table with a foreign key created on the primary: the standby session follows it'
);
is($session->query_safe($with_comments),
	$primary->safe_psql('postgres', $with_comments),
	'and returns what the primary does');
$session->quit;

###########################################################################
# end_unit(), unit_queries() and reset() on the standby
###########################################################################

# The primary's own loop, of another shape
$primary->safe_psql('postgres',
	unit_sql(5, 'SELECT title FROM posts WHERE author_id'));
my $primary_stats_query = q{
SELECT query, units, calls, max_repeats, source_query, relation, foreign_key,
       first_seen, last_seen
FROM relprefetch.stats};
my $primary_stats = $primary->safe_psql('postgres', $primary_stats_query);
is( $primary->safe_psql('postgres',
		'SELECT query, units, calls, max_repeats FROM relprefetch.stats'),
	'SELECT title FROM posts WHERE author_id = $1|1|5|5',
	'the primary records its own loop only');

my $lookup = 'SELECT full_name FROM authors WHERE id';
is( $standby->safe_psql(
		'postgres', qq{
BEGIN;
\\o /dev/null
SELECT id FROM posts WHERE id <= 3;
$lookup = 1;
$lookup = 2;
$lookup = 3;
\\o
SELECT query || ': ' || calls FROM relprefetch.unit_queries()
  WHERE query LIKE '%authors%';
\\o /dev/null
SELECT relprefetch.end_unit();
$lookup = 4;
$lookup = 5;
$lookup = 6;
\\o
SELECT query || ': ' || calls FROM relprefetch.unit_queries()
  WHERE query LIKE '%authors%';
COMMIT;}),
	"SELECT full_name FROM authors WHERE id = \$1: 3\n"
	  . "SELECT full_name FROM authors WHERE id = \$1: 3",
	'the standby: unit_queries() counts the unit, end_unit() ends it');
is( $standby->safe_psql(
		'postgres',
		"SELECT count(*) FROM relprefetch.stats WHERE query LIKE '%full_name%'"),
	'0',
	'the standby: two units of 3 lookups, split by end_unit(), are not a loop');

$standby->safe_psql('postgres',
	unit_sql(6, 'SELECT full_name FROM authors WHERE id'));
is( $standby->safe_psql(
		'postgres',
		'SELECT query, units, calls, max_repeats FROM relprefetch.stats ORDER BY query'
	),
	"SELECT full_name FROM authors WHERE id = \$1|1|6|6\n"
	  . 'SELECT name FROM authors WHERE id = $1|2|13|7',
	'the standby: its loops, and none of the primary\'s');
is($standby->safe_psql('postgres', 'SELECT relprefetch.reset() IS NOT NULL'),
	't', 'relprefetch.reset() on the standby');
is( $standby->safe_psql('postgres',
		'SELECT entries, evictions FROM relprefetch.info'),
	'0|0', 'the standby: reset empties its table');
is($primary->safe_psql('postgres', $primary_stats_query),
	$primary_stats, 'the primary: untouched by the standby\'s reset');

###########################################################################
# on_detect = error on the standby
###########################################################################
my $stderr_text;
($ret, $stdout, $stderr_text) = $standby->psql('postgres',
	"SET relprefetch.on_detect = error;\n\\set VERBOSITY verbose\n"
	  . unit_sql(6, 'SELECT full_name FROM authors WHERE id'));
is($ret, 3, 'on_detect = error on the standby: the script stops');
like(
	$stderr_text,
	qr/ERROR:  54000: N\+1 query pattern: the same statement ran 5 times in one unit of work\n.*DETAIL:  The repeated statement is "SELECT full_name FROM authors WHERE id = \$1", run after "SELECT id, author_id FROM posts WHERE id <= \$1"; it reads relation public\.authors\.\n.*HINT:  Each public\.posts row looks up its public\.authors row through foreign key posts_author_id_fkey/s,
	'on_detect = error on the standby: SQLSTATE 54000 with the documented message'
);
is( $standby->safe_psql(
		'postgres',
		'SELECT query, units, calls, max_repeats FROM relprefetch.stats'),
	'SELECT full_name FROM authors WHERE id = $1|1|5|5',
	'on_detect = error on the standby: the failing execution is counted');

###########################################################################
# The standby's stats across its clean restarts
###########################################################################
$standby->safe_psql('postgres',
	unit_sql(7, 'SELECT title FROM posts WHERE author_id'));

my $statfile = $standby->data_dir . '/pg_stat/relprefetch.stat';

# Everything the view and info show, timestamps and times included
sub snapshot
{
	my ($node) = @_;
	return $node->safe_psql(
		'postgres', q{
SELECT * FROM relprefetch.stats ORDER BY query;
SELECT * FROM relprefetch.info;});
}

my $standby_counters = join("\n",
	'SELECT full_name FROM authors WHERE id = $1|1|5|5',
	'SELECT title FROM posts WHERE author_id = $1|1|7|7');
is( $standby->safe_psql(
		'postgres',
		'SELECT query, units, calls, max_repeats FROM relprefetch.stats ORDER BY query'
	),
	$standby_counters,
	'the standby before its restart');

my $before = snapshot($standby);
$standby->stop;
ok(-s $statfile, 'the standby writes its stats file at a clean shutdown');
$standby->start;
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the restarted standby is in recovery');
is(snapshot($standby), $before,
	'the standby\'s stats survive its restart: every row, time and info field');
ok(!-e $statfile, 'the standby deletes the stats file once loaded');

# The loaded entries keep counting, and a second restart keeps them
$standby->safe_psql('postgres',
	unit_sql(8, 'SELECT title FROM posts WHERE author_id'));
is( $standby->safe_psql(
		'postgres',
		'SELECT query, units, calls, max_repeats FROM relprefetch.stats ORDER BY query'
	),
	join("\n",
		'SELECT full_name FROM authors WHERE id = $1|1|5|5',
		'SELECT title FROM posts WHERE author_id = $1|2|15|8'),
	'the standby\'s loaded entries keep counting');
$before = snapshot($standby);
$standby->restart;
is(snapshot($standby), $before, 'and survive a second restart');
ok(!$standby->log_contains(qr/(could not (write|read)|ignoring) relprefetch file/, 0),
	'no relprefetch file error in the standby\'s log');

# The primary's table is its own, and replication goes on
is($primary->safe_psql('postgres', $primary_stats_query),
	$primary_stats, 'the primary: untouched by the standby\'s loops and restarts');
$primary->safe_psql('postgres', 'INSERT INTO authors VALUES (21, \'author 21\')');
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', 'SELECT full_name FROM authors WHERE id = 21'),
	'author 21', 'the restarted standby replays the primary\'s changes');

$standby->stop;
$primary->stop;
done_testing();
