# Tests relprefetch with a real Django project, examples/django (the
# article's blog models and functions), run by Debian's python3-django and
# python3-psycopg2 against a node with relprefetch preloaded:
#   - with Django in its default autocommit mode and inside
#     transaction.atomic(), each naive loop (post.author, post.tags.all(),
#     post.comments.all(), and filtering a prefetched relation) is in
#     relprefetch.stats, with relprefetch's defaults (proofs on), with the
#     statement Django repeated, the posts query whose rows held the loop's
#     keys as its source, the related table as its relation,
#     Django's foreign key and a suggestion naming the relprefetch call;
#   - the select_related / prefetch_related / Prefetch / only() versions are
#     not;
#   - the suggested relprefetch calls (and the equivalent fetch_json calls
#     of the fixes) return the same data as Django's prefetched objects;
#   - with relprefetch.on_detect = error (the example's settings under
#     `manage.py test`), the naive loops raise SQLSTATE 54000 inside Django
#     TestCases, and the fixed versions do not.
#
# The example lives in examples/django next to t/ (in the checkout, and in
# the work folder scripts/test.sh copies the tests to). It is skipped only
# when /usr/bin/python3 cannot import django and psycopg2.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

my $python = '/usr/bin/python3';
if (system("$python -c 'import django, psycopg2' >/dev/null 2>&1") != 0)
{
	plan skip_all =>
	  "$python cannot import django and psycopg2 (apt-get install python3-django python3-psycopg2)";
}

my $example = "$FindBin::RealBin/../examples/django";
# Not a skip: without the example this test must fail (and only this one).
if (!-f "$example/manage.py")
{
	fail("$example/manage.py exists (examples/ must sit next to t/)");
	done_testing();
	exit;
}

# relprefetch's defaults, proofs on: what a user of the README gets
my $node = start_relprefetch_node('relprefetch.require_proof' => 'on');
$node->safe_psql('postgres', 'CREATE DATABASE blog');

# Django connects through libpq's variables, as the project's settings read
# them; nothing from the caller's environment leaks into Python or libpq.
$ENV{PGHOST} = $node->host;
$ENV{PGPORT} = $node->port;
$ENV{PGDATABASE} = 'blog';
$ENV{PGUSER} = scalar getpwuid($<);
$ENV{PYTHONDONTWRITEBYTECODE} = '1';
delete @ENV{
	qw(PGOPTIONS PGSERVICE PGHOSTADDR PYTHONPATH PYTHONHOME PYTHONSTARTUP
	  DJANGO_SETTINGS_MODULE)
};

# manage.py with its arguments; returns (exit status, stdout, stderr)
sub manage
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $python, "$example/manage.py", @args ],
		'<', \undef, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	my $rc = $? >> 8;
	diag("manage.py @args: exit $rc\n$err") if $rc != 0;
	return ($rc, $out, $err);
}

my ($rc, $out, $err) = manage('migrate', '--noinput');
is($rc, 0, 'manage.py migrate creates the blog tables and the extension');
($rc, $out, $err) = manage('load_blog');
is($rc, 0, 'manage.py load_blog loads the data');
is( $node->safe_psql(
		'blog', q{SELECT (SELECT count(*) FROM blog_country),
		  (SELECT count(*) FROM blog_author), (SELECT count(*) FROM blog_post),
		  (SELECT count(*) FROM blog_tag), (SELECT count(*) FROM blog_post_tags),
		  (SELECT count(*) FROM blog_comment)}),
	'5|10|30|12|81|78',
	'the data: 5 countries, 10 authors, 30 posts, 12 tags, 81 post-tag links, 78 comments');

# --- What relprefetch.stats says about each of the article's functions ----

# The units are separated by explicit transactions (see the nplusone
# command); a unit_gap of a second, instead of 50 ms, keeps a loop one unit
# even when this machine stalls the Python process between two iterations.
($rc, $out, $err) = do
{
	local $ENV{PGOPTIONS} = '-c relprefetch.unit_gap=1s';
	manage('nplusone', '--json');
};
is($rc, 0, 'manage.py nplusone --json runs');
my $report = eval { decode_json($out) };
if (!$report)
{
	fail("manage.py nplusone prints JSON: $@\n$err");
	done_testing();
	exit;
}

# A statement as relprefetch.stats shows it: Django's inlined integers as
# $1, $2, ..., a list of them as one "$n /*, ... */" (Django's SQL here has
# no other constants, and no digits in its identifiers).
sub normalized
{
	my ($sql) = @_;
	my $n = 0;
	$sql =~ s{(IN \(\d+(?:, \d+)*\))|\b\d+\b}
	  {++$n; $1 ? "IN (\$$n /*, ... */)" : "\$$n"}ge;
	return $sql;
}

# The naive loops: the relation, Django's foreign key, the relprefetch call
# and Django fix the suggestion names, and how many of Django's queries
# came before the loop (the posts, and the prefetch the loop bypasses).
# The source query is the posts query each time: the loop's keys came from
# its rows, even when the prefetch ran in between (the article's
# filter-after-prefetch pitfall).
my $fk = '[0-9a-f]{8}_fk';
my %naive = (
	list_posts_naive => {
		what => 'post.author',
		relation => 'public.blog_author',
		foreign_key => qr/^blog_post_author_id_${fk}_blog_author_id$/,
		call =>
		  q{SELECT relprefetch.fetch_json('public.blog_post', '{"include": ["author"]}')},
		django => 'select_related("author")',
		before => 1,
	},
	list_posts_with_tags_naive => {
		what => 'post.tags.all()',
		relation => 'public.blog_tag',
		foreign_key => qr/^blog_post_tags_post_id_${fk}_blog_post_id$/,
		call =>
		  q{SELECT * FROM relprefetch.fetch_children(NULL::public.blog_post, NULL::public.blog_tag[])},
		django => 'prefetch_related()',
		before => 1,
	},
	list_posts_with_comments_naive => {
		what => 'post.comments.all()',
		relation => 'public.blog_comment',
		foreign_key => qr/^blog_comment_post_id_${fk}_blog_post_id$/,
		call =>
		  q{SELECT * FROM relprefetch.fetch_children(NULL::public.blog_post, NULL::public.blog_comment[])},
		django => 'prefetch_related()',
		before => 1,
	},
	list_posts_tags_filtered_naive => {
		what => 'post.tags.filter(active=True) after prefetch_related',
		relation => 'public.blog_tag',
		foreign_key => qr/^blog_post_tags_post_id_${fk}_blog_post_id$/,
		call =>
		  q{SELECT * FROM relprefetch.fetch_children(NULL::public.blog_post, NULL::public.blog_tag[])},
		django => 'prefetch_related()',
		before => 2,
	},);

# The fixes, and the queries Django sends for them
my %fixed = (
	list_posts_optimized => [ 'select_related("author")', 1 ],
	list_posts_with_country => [ 'select_related("author__country")', 1 ],
	list_posts_only => [ 'select_related("author").only(...)', 1 ],
	list_posts_with_tags_optimized => [ 'prefetch_related("tags")', 2 ],
	list_posts_active_tags =>
	  [ 'Prefetch("tags", active tags by name, to_attr)', 2 ],
	list_posts_with_comments_optimized => [ 'prefetch_related("comments")', 2 ],
	list_posts_full => [ 'select_related + Prefetch(only("name"))', 2 ],);

my %seen;
foreach my $s (@{ $report->{scenarios} })
{
	my ($fn, $mode, $sent, $stats) = @$s{qw(function mode queries stats)};
	my $name = "$mode: $fn";
	$seen{$name} = 1;

	if (my $e = $naive{$fn})
	{
		my $row = $stats->[0] // {};
		is_deeply(
			[
				scalar(@$stats), scalar(@$sent),
				@$row{qw(query source_query relation units calls max_repeats)}
			],
			[
				1, 30 + $e->{before},
				normalized($sent->[-1]), normalized($sent->[0]),
				$e->{relation}, 1, 30, 30
			],
			"$name ($e->{what}): in relprefetch.stats, relation $e->{relation}, "
			  . "source query: Django's posts query, 30 calls in 1 unit");
		like($row->{foreign_key} // '', $e->{foreign_key},
			"$name: foreign key $row->{foreign_key}");
		like(
			$row->{suggestion} // '',
			qr/ with \Q$e->{call}\E \(in Django: \Q$e->{django}\E\)\.$/,
			"$name: the suggestion names $e->{call}");
	}
	elsif (my $f = $fixed{$fn})
	{
		is_deeply(
			[ scalar(@$sent), $stats ],
			[ $f->[1], [] ],
			"$name ($f->[0]): $f->[1] "
			  . ($f->[1] == 1 ? 'query' : 'queries')
			  . ', nothing in relprefetch.stats');
	}
	else
	{
		fail("$name: a function this test does not know");
	}
}
is( scalar(keys %seen),
	2 * (keys(%naive) + keys(%fixed)),
	'every function ran in both modes');

# --- The suggested calls return what Django built -------------------------

my %suggested = (
	author => 'list_posts_naive',
	tags => 'list_posts_with_tags_naive',
	comments => 'list_posts_with_comments_naive',);
my %compared;
foreach my $c (@{ $report->{comparisons} })
{
	my $name = $c->{name};
	$compared{$name} = 1;
	if (my $from = $suggested{$name})
	{
		is($c->{sql}, $naive{$from}{call},
			"$name: the call run is the one $from\'s suggestion names");
	}
	is(scalar(keys %{ $c->{django} // {} }),
		30, "$name: Django's $c->{function} built 30 posts");
	is_deeply($c->{relprefetch}, $c->{django},
		"$name: $c->{sql} returns the same data as Django's $c->{function}");
}
is_deeply(
	[ sort keys %compared ],
	[qw(active_tags author author__country comments full only tags)],
	'every fix was compared');

# Spot checks of what is compared: a post without tags, an author without
# a country, the active tags in name order.
my %cmp = map { $_->{name} => $_ } @{ $report->{comparisons} };
is_deeply($cmp{tags}{relprefetch}{10}, [], 'post 10 has no tags: []');
is_deeply(
	$cmp{author__country}{relprefetch}{8},
	{ id => 10, name => 'Author 10', country_id => undef, country => undef },
	'post 8 is by author 10, who has no country: null');
is( join(',', map { $_->{name} } @{ $cmp{active_tags}{relprefetch}{1} }),
	'tag-02,tag-06', 'post 1: its active tags in name order');

# --- relprefetch.on_detect = error inside Django TestCases ---------------

my %django_tests = (
	'SettingsTests.test_on_detect_is_error' =>
	  'manage.py test connects with relprefetch.on_detect = error',
	'AuthorTests.test_naive_loop_raises' =>
	  'the naive post.author loop raises SQLSTATE 54000',
	'AuthorTests.test_select_related' => 'select_related("author") does not',
	'AuthorTests.test_select_related_nested' =>
	  'select_related("author__country") does not',
	'AuthorTests.test_only' => 'select_related("author").only() does not',
	'TagTests.test_naive_loop_raises' =>
	  'the naive post.tags.all() loop raises SQLSTATE 54000',
	'TagTests.test_prefetch_related' => 'prefetch_related("tags") does not',
	'TagTests.test_prefetch_filtered_to_attr' =>
	  'Prefetch("tags", filtered queryset, to_attr) does not',
	'FilterAfterPrefetchTests.test_filter_after_prefetch_raises' =>
	  'filtering prefetched tags in the loop raises SQLSTATE 54000',
	'FilterAfterPrefetchTests.test_select_and_prefetch_related' =>
	  'select_related + prefetch_related(Prefetch(...)) does not',
	'CommentTests.test_naive_loop_raises' =>
	  'the naive post.comments.all() loop raises SQLSTATE 54000',
	'CommentTests.test_prefetch_related' =>
	  'prefetch_related("comments") does not',);

($rc, $out, $err) = manage('test', 'blog', '--noinput', '-v', '2');
is($rc, 0, 'manage.py test passes');
note($err);
my %result;
# "test_x (blog.tests.Class.test_x) ... ok" (Python 3.11: the method is in
# the parentheses too; "(blog.tests.Class)" before)
while ($err =~ /^(test_\w+) \(blog\.tests\.(\w+)(?:\.\w+)?\) \.\.\. (.*)$/mg)
{
	$result{"$2.$1"} = $3;
}
foreach my $test (sort keys %django_tests)
{
	is($result{$test} // 'not run', 'ok',
		"Django TestCase $test: $django_tests{$test}");
}
like($err, qr/^Ran ${\ scalar(keys %django_tests)} tests in /m,
	'manage.py test ran every test');

done_testing();
