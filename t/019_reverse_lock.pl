# Tests that planning a fetch never waits for a lock on pg_depend: the
# foreign keys that reference a table are found through pg_depend's index,
# and while another session holds a lock on pg_depend that conflicts with
# reading it, by a scan of pg_constraint instead, with the same result.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $node = start_relprefetch_node();
$node->safe_psql('postgres', authors_posts_sql(10));

# each author with its posts (a reverse relationship), and plain SQL's
my $fetch = q{SELECT jsonb_agg(j::jsonb ORDER BY n)
	FROM relprefetch.fetch_json('authors', '{"order_by": "id", "include": {"posts": {"order_by": "id"}}}')
	WITH ORDINALITY f(j, n)};
my $plain = q{SELECT jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name, 'posts',
		coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.id) FROM posts p
		          WHERE p.author_id = a.id), '[]')) ORDER BY a.id)
	FROM authors a};
my $want = $node->safe_psql('postgres', $plain);
like($want, qr/^\[\{"id": 1, "name": "author 1", "posts": \[\{"id": 10, /,
	'plain SQL: each author with its posts');
# in a new session, so that the plan is made anew
sub fetched
{
	return $node->safe_psql('postgres', "SET lock_timeout = '10s';\n$fetch");
}

is(fetched(), $want, 'through pg_depend: the posts of each author');

my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN');
$locker->query_safe('LOCK pg_depend IN ACCESS EXCLUSIVE MODE');
my $start = time;
is(fetched(), $want,
	'pg_depend locked by another session: the same posts, by a scan of pg_constraint');
cmp_ok(time - $start, '<', 10, 'without waiting for the lock');
$locker->query_safe('COMMIT');
$locker->quit;

is(fetched(), $want, 'the lock released: through pg_depend again');

$node->stop;
done_testing();
