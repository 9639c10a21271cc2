# Tests who sees what in relprefetch.stats, and who may reset it, with
# several roles connecting:
#   - alice and bob each run an N+1 loop of the same statement shape: two
#     rows, one per user, with the same fingerprint;
#   - bob (no pg_read_all_stats) sees alice's row with its counters, but
#     query = '<insufficient privilege>' and NULL fingerprint, source_query,
#     relid, relation, foreign_key and suggestion (nothing that identifies
#     or describes her query); he sees his own row in full; alice sees the
#     reverse;
#   - carol, granted pg_read_all_stats, sees every text, exactly as the
#     superuser does;
#   - relprefetch.reset() is denied to bob and carol ("permission denied
#     for function reset") until bob is granted EXECUTE on it; then bob may
#     reset alice's entries or all of them;
#   - relprefetch.info and relprefetch.unit_queries() are open to all.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $node = start_relprefetch_node('relprefetch.threshold' => 5);

$node->safe_psql(
	'postgres', authors_posts_sql(100) . q{
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE carol LOGIN;
GRANT pg_read_all_stats TO carol;
GRANT SELECT ON authors, posts TO alice, bob, carol;
});

# Run $sql as $role; returns (exit code, stdout, stderr)
sub psql_as
{
	my ($role, $sql) = @_;
	my ($ret, $stdout, $stderr) =
	  $node->psql('postgres', $sql, extra_params => [ '-U', $role ]);
	return ($ret, $stdout, $stderr);
}

sub safe_psql_as
{
	my ($role, $sql) = @_;
	return $node->safe_psql('postgres', $sql,
		extra_params => [ '-U', $role ]);
}

# One unit of work: a transaction with $n lookups after the posts query
sub loop_as
{
	my ($role, $n) = @_;
	safe_psql_as($role, unit_sql($n, 'SELECT name FROM authors WHERE id'));
	return;
}

loop_as('alice', 6);
loop_as('bob',   5);
loop_as('bob',   7);

# What a role sees of every row; NULL shown as <NULL>
my $view_query = q{
SELECT userid::regrole, fingerprint, query, units, calls, max_repeats,
       coalesce(source_query, '<NULL>'), relid::regclass,
       coalesce(relation, '<NULL>'), coalesce(foreign_key, '<NULL>'),
       coalesce(suggestion, '<NULL>')
FROM relprefetch.stats ORDER BY userid::regrole::text};

my $full = $node->safe_psql('postgres', $view_query);
my @rows = split /\n/, $full;
is(scalar(@rows), 2, 'two rows: one for alice, one for bob');

my ($alice_full) = grep { /^alice\|/ } @rows;
my ($bob_full)   = grep { /^bob\|/ } @rows;
my @a = split /\|/, $alice_full, -1;
my @b = split /\|/, $bob_full,   -1;
is($a[1], $b[1], 'alice and bob share the fingerprint');
is( join('|', @a[ 2 .. 9 ]),
	'SELECT name FROM authors WHERE id = $1|1|6|6|'
	  . 'SELECT id, author_id FROM posts WHERE id <= $1|authors|public.authors|posts_author_id_fkey',
	'superuser: alice\'s row');
is( join('|', @b[ 2 .. 9 ]),
	'SELECT name FROM authors WHERE id = $1|2|12|7|'
	  . 'SELECT id, author_id FROM posts WHERE id <= $1|authors|public.authors|posts_author_id_fkey',
	'superuser: bob\'s row');
like($a[10], qr/posts_author_id_fkey/, 'superuser: alice\'s suggestion');
is($b[10], $a[10], 'the same suggestion for both rows');

# alice's row as someone without the right to see her texts: the counters
my $alice_hidden = join('|',
	$a[0], '', '<insufficient privilege>',
	@a[ 3 .. 5 ], '<NULL>', '', '<NULL>', '<NULL>', '<NULL>');
my $bob_hidden = join('|',
	$b[0], '', '<insufficient privilege>',
	@b[ 3 .. 5 ], '<NULL>', '', '<NULL>', '<NULL>', '<NULL>');

is(safe_psql_as('bob', $view_query), "$alice_hidden\n$bob_full",
	'bob sees alice\'s counters but not her texts, and his own row in full');
is(safe_psql_as('alice', $view_query), "$alice_full\n$bob_hidden",
	'alice sees her own row in full, bob\'s without texts');
is(safe_psql_as('carol', $view_query), $full,
	'carol (pg_read_all_stats) sees every text, as the superuser does');

is( safe_psql_as(
		'bob',
		"SELECT count(*) FROM relprefetch.stats WHERE query = '<insufficient privilege>' AND source_query IS NULL AND suggestion IS NULL"
	),
	'1',
	'bob: the hidden source_query and suggestion are NULL');

# info and unit_queries are open to everybody
is(safe_psql_as('bob', 'SELECT entries, max_entries FROM relprefetch.info'),
	'2|1000', 'bob can read relprefetch.info');
is( safe_psql_as(
		'bob',
		"BEGIN;\nSELECT name FROM authors WHERE id = 1;\nSELECT name FROM authors WHERE id = 2;\n"
		  . "SELECT calls, repeated, query FROM relprefetch.unit_queries() ORDER BY query;\nCOMMIT;"
	),
	"author 1\nauthor 2\n"
	  . "1|f|SELECT calls, repeated, query FROM relprefetch.unit_queries() ORDER BY query\n"
	  . '2|f|SELECT name FROM authors WHERE id = $1',
	'bob can list his own unit\'s statements');

# reset() is for superusers, and for whom they grant it to
for my $role ('bob', 'carol')
{
	my ($ret, $stdout, $stderr) = psql_as($role, 'SELECT relprefetch.reset()');
	is($ret, 3, "$role: reset() fails");
	like(
		$stderr,
		qr/ERROR:  permission denied for function reset/,
		"$role: permission denied for function reset");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM relprefetch.stats'),
	'2', 'the denied resets removed nothing');

$node->safe_psql('postgres',
	'GRANT EXECUTE ON FUNCTION relprefetch.reset(oid, oid, bigint) TO bob');
safe_psql_as('bob', "SELECT relprefetch.reset(userid => 'alice'::regrole)");
is( $node->safe_psql(
		'postgres',
		'SELECT userid::regrole, calls FROM relprefetch.stats ORDER BY 1'),
	'bob|12',
	'bob, granted EXECUTE, resets alice\'s entries; his own stay');
safe_psql_as('bob', 'SELECT relprefetch.reset()');
is($node->safe_psql('postgres', 'SELECT count(*) FROM relprefetch.stats'),
	'0', 'bob resets everything');

my ($ret, $stdout, $stderr) = psql_as('carol', 'SELECT relprefetch.reset()');
like(
	$stderr,
	qr/ERROR:  permission denied for function reset/,
	'carol still may not reset');

$node->stop;

done_testing();
