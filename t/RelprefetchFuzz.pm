# The input generator of the fuzz test (t/013_fuzz.pl, and scripts/fuzz.sh
# for longer runs): a schema with every kind of relationship the fetch
# functions follow (t/fuzz_schema.sql), and streams of random SQL inputs,
# each a list of statements, in seven families:
#   json      relprefetch.fetch_json with random specs, valid ones from a
#             corpus (t/fuzz_corpus.txt) mutated as text (byte flips,
#             truncation, duplication, deep nesting, huge numbers,
#             unicode, \u0000, very long strings), wrong types for
#             every key, unknown keys, include paths with __, via names,
#             column aliases, includes as arrays of one-key objects, inner,
#             spread and "order" items (related columns, "!" vias, wrong
#             words),
#             limits and offsets at the integer boundaries, odd parent
#             relations, several call forms (materialized, streaming,
#             LIMIT, correlated, EXPLAIN ANALYZE);
#   children  relprefetch.fetch_children with random row and array types
#             (tables, views, partitions, composite types that are not a
#             table's, scalars, wrong arrays, NULLs), via names, fragments
#             and limits;
#   fragment  where / order_by fragments: grammar-generated expressions,
#             mutations, injection attempts (semicolons, comments,
#             unbalanced quotes, dollar quotes and parentheses, UNION,
#             subqueries with DML, FOR UPDATE, set-returning, window and
#             aggregate functions, deep nesting) and calls of functions
#             with side effects (DDL, set_config, reset(), end_unit(),
#             errors, nested fetches, a cancel of the query itself);
#   guc       SET / SET LOCAL / RESET / set_config / ALTER ROLE / ALTER
#             DATABASE / ALTER SYSTEM of every relprefetch setting to valid
#             and invalid values, with workloads in between;
#   sequence  random interleavings of BEGIN, COMMIT, ROLLBACK, SAVEPOINT,
#             ROLLBACK TO, RELEASE, PREPARE TRANSACTION, cursors over the
#             fetch functions (FETCH, MOVE, CLOSE, WITH HOLD), DISCARD ALL,
#             end_unit(), reset(), the views, EXPLAIN ANALYZE, PREPARE /
#             EXECUTE, DO blocks and procedures with loops, errors in the
#             middle, on_detect levels, repeated lookups crossing the
#             threshold, DDL on the session's own tables, reconnections;
#   detect    units of work repeating statements with odd lexical forms
#             (every kind of constant, comments, case, long and multibyte
#             texts, multi-statement strings), so that the shared table
#             fills up and evicts;
#   oracle    fetch_json / fetch_children calls with deterministic
#             fragments (inner includes and "order" too), compared with the
#             same data built in plain SQL:
#             a difference raises SQLSTATE FZ001.
#
# Each session gets its own stream: RelprefetchFuzz->new(seed => S,
# session => N) draws from its own xorshift generator seeded from (S, N),
# so a stream depends only on the seed and the session number (and on the
# input from which avoid_known was set, which the test notes), never on how
# the sessions' statements interleave or on the time given to the run.
# Session N works in schema fzN (a copy of the schema it may alter, rebuilt
# every 150 inputs) and reads the shared schema fz, which nothing alters.
# Two PostgreSQL 15 behaviours that raise SQLSTATE XX000 without
# relprefetch are left out: ALTER DOMAIN ... DROP CONSTRAINT inside a
# transaction block (DDL in a later savepoint then fails with "cannot start
# a subtransaction when there are unprocessed inval messages"), and two
# sessions altering the same role's or database's settings at once ("tuple
# concurrently updated").
#
# fixed_cases() is the corpus of fixed inputs (t/fuzz_fixed_cases.sql):
# cases found by fuzzing that crashed the server or failed with an internal
# error, kept so that they run in every fuzz test whatever the seed.
#
# The three data files are read from the folder of this module.
#
# Its name does not end in .pl: PGXS runs every t/*.pl file as a test.
package RelprefetchFuzz;

use strict;
use warnings;
use utf8;

use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;

our @EXPORT_OK = qw(schema_sql fixed_cases families quote_literal);

# The families and their weights (out of 100)
my @FAMILIES = (
	[ json     => 30 ],
	[ children => 12 ],
	[ fragment => 14 ],
	[ guc      => 8 ],
	[ sequence => 22 ],
	[ detect   => 6 ],
	[ oracle   => 8 ]);

sub families
{
	return map { $_->[0] } @FAMILIES;
}

###########################################################################
# The schema
###########################################################################

# SQL creating schema $schema with the fuzz tables, data and helper
# functions (it sets search_path), encoded in UTF-8.
sub schema_sql
{
	my ($schema) = @_;
	my $sql = schema_text($schema);
	utf8::encode($sql);
	return $sql;
}

# The same as a character string: t/fuzz_schema.sql without its header,
# after CREATE SCHEMA and SET search_path
sub schema_text
{
	my ($schema) = @_;
	(my $sql = data_file('fuzz_schema.sql')) =~ s/\A(?:--[^\n]*\n)*\n//;
	return "CREATE SCHEMA $schema;\nSET search_path = $schema, public;\n$sql";
}

# The folder of this module: its data files lie beside it (in t/, or in the
# copy of t/ that the test commands run from)
my $DIR = dirname(File::Spec->rel2abs(__FILE__));
my %DATA_FILES;

# The text of data file $name of that folder (UTF-8), read once
sub data_file
{
	my ($name) = @_;
	return $DATA_FILES{$name} //= do
	{
		my $path = "$DIR/$name";
		open my $fh, '<:encoding(UTF-8)', $path
		  or die "cannot open $path: $!\n";
		local $/;
		my $text = <$fh>;
		close $fh;
		$text;
	};
}

# Tables of the schema: columns (bare, as written in SQL), and the names
# that may name a relationship from them (columns, constraints, tables).
my %COLUMNS = (
	country => [qw(id name code)],
	author  => [qw(id name country_id mentor_id)],
	post    => [qw(id title author_id editor_id published score meta flags)],
	tag     => [qw(id name active color)],
	post_tags        => [qw(post_id tag_id)],
	comment          => [qw(id post_id parent_id body created)],
	tag_links        => [qw(from_id to_id)],
	region           => [qw(cc code name)],
	office           => [qw(id cc code label)],
	big              => [qw(id v)],
	small_ref        => [qw(id big_id)],
	ukeys            => [qw(u t m p)],
	uref             => [qw(id u t d)],
	wallet           => [qw(m)],
	purse            => [qw(id m)],
	fl               => [qw(id)],
	flref            => [qw(id f)],
	event            => [qw(id post_id kind)],
	ev_a             => [qw(id post_id kind)],
	'"Odd ""Name"""' => [ '"Id"', '"sp ace"', '"ünï"', '"?key1?"', 'gen' ],
	odd_child        => [ 'id',   'odd_id',   '"?key1?"' ],
	empty_t          => [qw(id post_id)],
	nokey            => [qw(a b)],
	post_v           => [qw(id title author_id)],
	post_mv          => [qw(id author_id)],);

my %RELS = (
	country => [qw(author author_country_id_fkey region id code)],
	author  => [
		qw(country country_id author_country_id_fkey mentor mentor_id
		  author_mentor_id_fkey author post post_author_id_fkey
		  post_editor_id_fkey id post_v)
	],
	post => [
		qw(author author_id editor editor_id post_author_id_fkey
		  post_editor_id_fkey comment tags tag post_tags
		  post_tags_post_id_fkey post_tags_tag_id_fkey tag_id event
		  event_post_id_fkey empty_t comment_post_id_fkey id)
	],
	tag => [
		qw(post post_tags tags tag_links links tag tag_links_from_id_fkey
		  tag_links_to_id_fkey from_id to_id from to id)
	],
	post_tags => [
		qw(post tag post_id tag_id post_tags_post_id_fkey
		  post_tags_tag_id_fkey)
	],
	comment => [
		qw(post post_id parent parent_id comment comment_parent_id_fkey
		  comment_post_id_fkey)
	],
	tag_links        => [qw(from to from_id to_id tag)],
	region           => [qw(office office_cc_code_fkey country)],
	office           => [qw(region office_cc_code_fkey cc code cc_code)],
	big              => [qw(small_ref small_ref_big_id_fkey)],
	small_ref        => [qw(big big_id small_ref_big_id_fkey)],
	ukeys            => [qw(uref uref_u_fkey uref_t_fkey)],
	uref             => [qw(ukeys u t uref_u_fkey uref_t_fkey)],
	wallet           => [qw(purse purse_m_fkey)],
	purse            => [qw(wallet m purse_m_fkey)],
	fl               => [qw(flref flref_f_fkey)],
	flref            => [qw(fl f flref_f_fkey)],
	event            => [qw(post post_id event_post_id_fkey)],
	ev_a             => [qw(post post_id event_post_id_fkey)],
	'"Odd ""Name"""' =>
	  [ 'odd_child', 'odd_child_odd_id_fkey', 'Odd "Name"' ],
	odd_child => [ 'odd', 'odd_id', 'Odd "Name"', 'odd_child_odd_id_fkey' ],
	empty_t   => [qw(post post_id)],
	nokey     => [qw(a b)],
	post_v    => [qw(author author_id comment tags post_tags id)],
	post_mv   => [qw(author author_id)],);

my @TABLES = sort keys %COLUMNS;

# Tables most inputs use: those with relationships worth following
my @MAIN_TABLES = qw(post author comment tag post_tags country office region
  ukeys uref small_ref big event odd_child fl flref purse wallet);

###########################################################################
# The random generator
###########################################################################

sub new
{
	my ($class, %args) = @_;
	my $self = bless {
		seed        => $args{seed}    // 1,
		session     => $args{session} // 1,
		schema      => 'fz' . ($args{session} // 1),
		avoid_known => $args{avoid_known} // 0,
		families    => $args{families},
		n           => 0,
		gid         => 0,
		gids        => [],
		cursor_no   => 0,
		stmt_no     => 0,
	}, $class;
	# xorshift32, seeded by mixing the seed and the session number
	my $x = 2463534242;
	for my $v ($self->{seed}, $self->{session}, 0x9e3779b9)
	{
		$x ^= ($v & 0xffffffff);
		$x = $self->_mix($x);
	}
	$x = 1 if $x == 0;
	$self->{x} = $x;
	$self->_next for 1 .. 10;
	return $self;
}

sub _mix
{
	my ($self, $x) = @_;
	for (1 .. 4)
	{
		$x ^= ($x << 13) & 0xffffffff;
		$x ^= $x >> 17;
		$x ^= ($x << 5) & 0xffffffff;
	}
	return $x || 1;
}

sub _next
{
	my ($self) = @_;
	my $x = $self->{x};
	$x ^= ($x << 13) & 0xffffffff;
	$x ^= $x >> 17;
	$x ^= ($x << 5) & 0xffffffff;
	$self->{x} = $x;
	return $x;
}

# an integer in [0, n)
sub int_below
{
	my ($self, $n) = @_;
	return 0 if $n <= 1;
	return $self->_next % $n;
}

# a number in [0, 1)
sub rnd { my ($self) = @_; return $self->_next / 4294967296; }

sub chance { my ($self, $p) = @_; return $self->rnd < $p; }

sub pick
{
	my ($self, @items) = @_;
	return $items[ $self->int_below(scalar @items) ];
}

# an integer in [lo, hi]
sub between
{
	my ($self, $lo, $hi) = @_;
	return $lo + $self->int_below($hi - $lo + 1);
}

# pick by weight: list of [value, weight]
sub weighted
{
	my ($self, @choices) = @_;
	my $total = 0;
	$total += $_->[1] for @choices;
	my $r = $self->rnd * $total;
	for my $c (@choices)
	{
		return $c->[0] if ($r -= $c->[1]) < 0;
	}
	return $choices[-1][0];
}

###########################################################################
# Quoting
###########################################################################

# An SQL string literal (standard_conforming_strings is never changed)
sub quote_literal
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

sub ql { my ($self, $s) = @_; return quote_literal($s); }

# A JSON string
sub json_string
{
	my ($s) = @_;
	$s =~ s/(["\\])/\\$1/g;
	$s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord($1))/ge;
	return "\"$s\"";
}

###########################################################################
# Inputs
###########################################################################

# The next input: { id, family, stmts => [statement, ...] }; a statement is
# SQL without its final semicolon, or a psql meta-command (starting with a
# backslash).  $only, when given, restricts the family; so does the
# families argument of new (a list of names).
sub next_input
{
	my ($self, $only) = @_;
	my @choices = @FAMILIES;
	if ($self->{families})
	{
		my %want = map { $_ => 1 } @{ $self->{families} };
		@choices = grep { $want{ $_->[0] } } @FAMILIES;
		die "no such fuzz family: @{ $self->{families} }\n" unless @choices;
	}
	my $family = $only // $self->weighted(@choices);
	my $n      = ++$self->{n};
	my @stmts;

	# now and then the session's own schema is rebuilt, undoing its DDL
	if (!$only && $n % 150 == 0)
	{
		$family = 'rebuild';
		@stmts  = $self->gen_rebuild;
	}
	else
	{
		my $method = "gen_$family";
		@stmts = $self->$method();
	}
	return {
		id     => "s$self->{session}.$n",
		family => $family,
		stmts  => \@stmts
	};
}

# The statements that set a session up (also after a reconnection, DISCARD
# ALL and RESET ALL)
sub session_setup
{
	my ($self) = @_;
	return (
		"SET search_path = $self->{schema}, public",
		"SET lock_timeout = '500ms'",
		"SET statement_timeout = '30s'");
}

sub gen_rebuild
{
	my ($self) = @_;
	my @stmts = ('ROLLBACK', 'CLOSE ALL');
	push @stmts, "ROLLBACK PREPARED " . $self->ql($_) for @{ $self->{gids} };
	$self->{gids} = [];
	push @stmts, "DROP SCHEMA IF EXISTS $self->{schema} CASCADE";
	push @stmts, schema_text($self->{schema}) =~ s/;\n\z//r;
	push @stmts, $self->session_setup;
	return @stmts;
}

###########################################################################
# Names and values
###########################################################################

sub table
{
	my ($self) = @_;
	return $self->chance(0.8)
	  ? $self->pick(@MAIN_TABLES)
	  : $self->pick(@TABLES);
}

# A table reference: bare (the session's schema), in the shared schema, or
# qualified with the session's schema
sub qualified
{
	my ($self, $table) = @_;
	my $r = $self->rnd;
	return $table      if $r < 0.6;
	return "fz.$table" if $r < 0.9;
	return "$self->{schema}.$table";
}

# A regclass argument for fetch_json
sub parent_arg
{
	my ($self, $table) = @_;
	my $r = $self->rnd;
	if ($r < 0.9)
	{
		return $self->ql($self->qualified($table));
	}
	return $self->pick(
		'NULL', "'pg_class'", "'pg_catalog.pg_class'", '0', '1', '4294967295',
		"'nope'",    "'fz.nope'", "'post_pkey'",       "'posint'", "'pair'",
		"'post_mv'", "'post_v'",  "'ev_b'",            "'event'",
		"'pg_toast.pg_toast_1255'",
		"'fz.post'::regclass::oid", "'relprefetch.stats'", "'nokey'",
		"'empty_t'", "'comment_id_seq'", "'\"POST\"'", "'POST'", "''",
		"'information_schema.tables'", "'" . ('x' x 70) . "'",
		"(SELECT oid FROM pg_class WHERE relname = 'post' LIMIT 1)");
}

sub column
{
	my ($self, $table) = @_;
	my $cols = $COLUMNS{$table} // $COLUMNS{post};
	return $self->pick(@$cols) if $self->chance(0.85);
	return $self->pick(
		'nope', 'ctid',    'xmin', 'tableoid', '""',     'ID',
		'"ID"', 'post.id', 'p.id', '*',        'id + 1', '1',
		'Id',   'body',    'name');
}

sub rel_name
{
	my ($self, $table) = @_;
	my $rels = $RELS{$table} // [];
	my $r    = $self->rnd;
	return $self->pick(@$rels)          if @$rels && $r < 0.75;
	return $self->pick(sort keys %RELS) if $r < 0.85;
	return $self->pick(
		'',                  '_',
		'__',                'nope',
		'fz.post',           'fz.comment',
		'public.post',       "$self->{schema}.comment",
		'POST',              'Comment',
		'comment ',          ' comment',
		'post_tags_pkey',    'pg_class',
		'relprefetch.stats', 'x' x 80,
		'ünïcødé',           'a"b',
		'a.b.c',             '__comment',
		'comment__',         'id',
		'author_id_id',      'mentor_id_fkey',
		'tags__post__tags');
}

# A path of relationship names joined by __, following the tables when it can
sub rel_path
{
	my ($self, $table) = @_;
	my $len =
	  $self->weighted([ 1, 60 ], [ 2, 25 ], [ 3, 10 ], [ 9, 3 ], [ 12, 2 ]);
	my @parts;
	my %next = (
		post    => 'author',
		author  => 'country',
		comment => 'comment',
		tag     => 'tag',
		country => 'author',
		region  => 'office',
		office  => 'region',
		uref    => 'ukeys',
		ukeys   => 'uref');
	for (1 .. $len)
	{
		push @parts, $self->rel_name($table);
		my $p = $parts[-1];
		$table = exists $COLUMNS{$p} ? $p : ($next{$table} // $table);
	}
	my $path = join('__', @parts);
	$path =
	  $self->pick("__$path", "${path}__", "${path}____x", $path,
		"$path\__$path")
	  if $self->chance(0.05);
	return $path;
}

my @INTS = (
	0,                       1,
	2,                       3,
	5,                       10,
	-1,                      -2,
	2147483647,              2147483648,
	-2147483648,             -2147483649,
	4294967296,              9223372036854775807,
	'9223372036854775808',   '-9223372036854775808',
	'-9223372036854775809',  '123456789012345678901234567890',
	'1e3',                   '1.5',
	'0.0',                   '-0',
	'1e-7',                  '1e308',
	'-1e308',                '1E400',
	'0.9999999999999999999', '2.0');

sub json_int
{
	my ($self) = @_;
	return $self->chance(0.6) ? $self->between(0, 12) : $self->pick(@INTS);
}

# A random string, sometimes odd
sub odd_string
{
	my ($self) = @_;
	return $self->pick(
		'',                                       ' ',
		'x',                                      'é',
		'日本語',                                    "😀",
		"a\tb",                                   "a\nb",
		"\x{202e}rtl",                            "e\x{301}",
		'\\',                                     '"',
		"'",                                      "''",
		'$$',                                     '$a$',
		'/*',                                     '*/',
		'--',                                     ';',
		'%s',                                     '%n',
		('y' x $self->pick(63, 64, 1000, 20000)), "\x{1}",
		"\x{7f}",                                 "\x{fffd}",
		"\x{10ffff}");
}

# A JSON value of a wrong type for any key
sub json_wrong
{
	my ($self) = @_;
	return $self->pick(
		'null',      'true',
		'false',     '[]',
		'{}',        '[1, "a"]',
		'{"a": 1}',  '"x"',
		'1',         '-1',
		'1.5',       '[[]]',
		'[null]',    '[""]',
		'"\u0000"',  '"\ud800"',
		'[1, 2, 3]', '{"": ""}',
		json_string($self->odd_string));
}

###########################################################################
# Family: json
###########################################################################

# A JSON text of a fetch_json spec for $table
sub gen_spec
{
	my ($self, $table, $depth, $is_root) = @_;
	my @pairs;
	my @keys =
	  qw(columns where order_by order limit offset include path via inner spread bogus);
	for my $k (@keys)
	{
		my $p =
			$k eq 'include'               ? ($depth < 3 ? 0.55 : 0.15)
		  : $k eq 'bogus'                 ? 0.04
		  : ($k eq 'path' || $k eq 'via') ? ($is_root ? 0.03 : 0.25)
		  : ($k eq 'inner' || $k eq 'spread') ? ($is_root ? 0.03 : 0.2)
		  : $k eq 'order'                     ? 0.15
		  : ($k eq 'offset' && !$is_root) ? 0.04
		  :                                 0.25;
		next unless $self->chance($p);
		my $v;
		if ($self->chance(0.07))
		{
			$v = $self->json_wrong;
		}
		elsif ($k eq 'columns')
		{
			my $n = $self->weighted(
				[ 0,  10 ],
				[ 1,  30 ],
				[ 2,  30 ],
				[ 4,  20 ],
				[ 40, 2 ]);
			$v = '[' . join(
				', ',
				map {
					my $c = json_string(
						$self->column($table) =~ s/^"(.*)"$/$1/r =~ s/""/"/gr);
					# renamed: {"output key": "column"}
					$self->chance(0.2)
					  ? '{'
					  . json_string(
						$self->pick(
							'x', 'id', 'name', 'author', '', 'a b',
							$self->odd_string))
					  . ": $c}"
					  : $c
				} 1 .. $n) . ']';
		}
		elsif ($k eq 'order')
		{
			$v = $self->gen_order($table);
		}
		elsif ($k eq 'inner' || $k eq 'spread')
		{
			$v = $self->pick('true', 'true', 'false', 'null', '1', '"true"');
		}
		elsif ($k eq 'where')
		{
			$v = json_string($self->where_fragment($table));
		}
		elsif ($k eq 'order_by')
		{
			$v = json_string($self->order_fragment($table));
		}
		elsif ($k eq 'limit' || $k eq 'offset')
		{
			$v = $self->json_int;
		}
		elsif ($k eq 'include')
		{
			$v = $self->gen_include($table, $depth);
		}
		elsif ($k eq 'path')
		{
			$v = json_string($self->rel_path($table));
		}
		elsif ($k eq 'via')
		{
			$v = json_string($self->rel_name($table));
		}
		else
		{
			$k = $self->pick(
				'bogus', 'Columns', 'includes', 'where ',
				'',      'LIMIT',   'order');
			$v = $self->json_wrong;
		}
		push @pairs, json_string($k) . ': ' . $v;
	}
	# a duplicate key now and then (jsonb keeps the last)
	push @pairs, $pairs[0] if @pairs && $self->chance(0.03);
	return '{' . join(', ', @pairs) . '}';
}

sub gen_include
{
	my ($self, $table, $depth) = @_;
	my $n = $self->weighted(
		[ 0,  5 ],
		[ 1,  45 ],
		[ 2,  25 ],
		[ 4,  15 ],
		[ 33, 2 ],
		[ 40, 1 ]);
	if ($self->chance(0.45))
	{
		# paths, and now and then {"key": sub-spec} objects, in order
		return '[' . join(
			', ',
			map {
				if ($self->chance(0.25))
				{
					my $key = $self->rel_name($table);
					my $sub =
					  $depth >= 9
					  ? '{}'
					  : $self->gen_spec($self->guess_target($table, $key),
						$depth + 1, 0);
					$self->chance(0.05)
					  ? "{\"$key\": $sub, \"x\": {}}"
					  : '{' . json_string($key) . ": $sub}";
				}
				else
				{
					json_string($self->rel_path($table));
				}
			} 1 .. $n) . ']';
	}
	my @pairs;
	for (1 .. $n)
	{
		my $key =
			$self->chance(0.6)
		  ? $self->rel_name($table)
		  : $self->pick('x', 'a', 'c', 'id', 'name', 'author', '',
			'k' . $self->int_below(5),
			$self->odd_string);
		my $child = $self->guess_target($table, $key);
		my $sub = $depth >= 9 ? '{}' : $self->gen_spec($child, $depth + 1, 0);
		push @pairs, json_string($key) . ': ' . $sub;
	}
	return '{' . join(', ', @pairs) . '}';
}

# An "order" value: items of [path.]column [asc|desc] [nulls first|last]
sub gen_order
{
	my ($self, $table) = @_;
	my @items;
	for (1 .. $self->pick(1, 1, 2, 3))
	{
		my $item = $self->column($table) =~ s/^"(.*)"$/$1/r =~ s/""/"/gr;
		if ($self->chance(0.4))
		{
			my $name = $self->chance(0.8) ? $self->rel_name($table) : $self->rel_path($table);
			# a relationship chosen with "!" and a via, now and then
			my $via =
			  $self->chance(0.15)
			  ? '!' . $self->pick($self->rel_name($table), '', '!', '"x y"')
			  : '';
			$item =
			  $name . $via . '.'
			  . ($self->column($self->guess_target($table, $name)) =~
				  s/^"(.*)"$/$1/r =~ s/""/"/gr);
		}
		$item .= $self->pick('', '', ' desc', ' ASC', ' up', ' desc nulls last',
			' nulls first', ' nulls');
		# a quoted name, as in SQL, or a broken one
		$item = '"' . ($item =~ s/"/""/gr) . '"' if $self->chance(0.1);
		$item = $self->pick('', ',', 'a b c d e f', '.x', 'x.', 'author..id',
			'"x', '"".id', 'id"x"', '"a""b"."c', 'author!', '!author.id', 'a!b!c.id')
		  if $self->chance(0.05);
		push @items, $item;
	}
	return json_string(join(', ', @items)) if $self->chance(0.6);
	return '[' . join(', ', map { json_string($_) } @items) . ']';
}

# The table a relationship name probably leads to
sub guess_target
{
	my ($self, $table, $name) = @_;
	return $name if exists $COLUMNS{$name};
	my %map = (
		author     => 'author',
		mentor     => 'author',
		mentor_id  => 'author',
		editor     => 'author',
		editor_id  => 'author',
		author_id  => 'author',
		country    => 'country',
		country_id => 'country',
		tags       => 'tag',
		parent     => 'comment',
		parent_id  => 'comment',
		region     => 'region',
		ukeys      => 'ukeys',
		u          => 'ukeys',
		t          => 'ukeys',
		big_id     => 'big',
		post_id    => 'post',
		from       => 'tag',
		to         => 'tag',
		links      => 'tag');
	return $map{$name} // $self->pick(@MAIN_TABLES);
}

# Deeply nested includes, past the limit of 8 levels or near it
sub deep_spec
{
	my ($self) = @_;
	my $levels = $self->pick(7, 8, 9, 12, 30);
	my ($table, $name) = @{
		$self->pick(
			[ "comment", "comment" ],
			[ "author",  "mentor" ],
			[ "comment", "parent" ],
			[ "author",  "author" ])
	};
	my $spec = '{}';
	for (1 .. $levels)
	{
		$spec =
		  $self->chance(0.5)
		  ? "{\"include\": {\"$name\": $spec}}"
		  : "{\"limit\": 3, \"include\": {\"x\": {\"path\": \"$name\", \"include\": "
		  . ($spec eq '{}' ? '[]' : "{\"y\": $spec}") . "}}}";
	}
	return ($table, $spec);
}

# Valid specs, mutated as text: [table, spec], from t/fuzz_corpus.txt
my @CORPUS =
  map { [ split / /, $_, 2 ] }
  grep { /\S/ && !/^#/ } split /\n/, data_file('fuzz_corpus.txt');

sub mutate
{
	my ($self, $text) = @_;
	my $n = $self->weighted([ 1, 50 ], [ 2, 25 ], [ 4, 15 ], [ 10, 10 ]);
	for (1 .. $n)
	{
		my $len = length $text;
		my $p   = $self->int_below($len + 1);
		my $op  = $self->int_below(11);
		if ($op == 0)
		{
			substr($text, $p, 1, '') if $p < $len;
		}
		elsif ($op == 1)
		{
			my $l = $self->between(1, 12);
			substr($text, $p, 0, substr($text, $p, $l));
		}
		elsif ($op == 2)
		{
			substr(
				$text, $p,
				$p < $len ? 1 : 0,
				$self->pick(
					'"',    '{',  '}',       '[',
					']',    ',',  ':',       '_',
					'x',    '0',  ';',       ')',
					"'",    '\\', '\\u0000', '\\ud83d',
					'9e99', '-',  ' ',       '__',
					'é',    "\n"));
		}
		elsif ($op == 3)
		{
			$text = substr($text, 0, $p);
		}
		elsif ($op == 4)
		{
			my $c = $p < $len ? ord(substr($text, $p, 1)) : 32;
			substr($text, $p, 1, chr(($c ^ (1 << $self->int_below(7))) || 32))
			  if $p < $len;
		}
		elsif ($op == 5)
		{
			$text = $self->pick(
				"[$text]",
				"{\"include\": $text}",
				"{\"a\": $text}",
				"$text$text",
				"{\"include\": {\"x\": $text}}");
		}
		elsif ($op == 6)
		{
			$text =~ s/\b\d+\b/$self->pick(@INTS)/e;
		}
		elsif ($op == 7)
		{
			my $s = json_string($self->odd_string);
			$text =~ s/"[^"]*"/$s/ if $self->chance(0.5);
		}
		elsif ($op == 8)
		{
			$text =~
s/"(where|order_by)": "[^"]*"/"$1": @{[json_string($self->where_fragment('post'))]}/;
		}
		elsif ($op == 9)
		{
			$text =~ s/"([a-z_]+)"(?=[,\]])/"$1__$1"/;
		}
		else
		{
			# swap two characters
			if ($p + 1 < $len)
			{
				my $a = substr($text, $p, 1);
				substr($text, $p,     1, substr($text, $p + 1, 1));
				substr($text, $p + 1, 1, $a);
			}
		}
	}
	return $text;
}

# A fetch_json call in one of its forms
sub fetch_json_stmt
{
	my ($self, $parent, $spec) = @_;
	my $call = "relprefetch.fetch_json($parent, $spec)";
	my $form = $self->weighted(
		[ 'count',   30 ],
		[ 'stream',  25 ],
		[ 'limit',   10 ],
		[ 'twice',   5 ],
		[ 'explain', 5 ],
		[ 'where',   5 ],
		[ 'named',   5 ],
		[ 'lateral', 5 ],
		[ 'cte',     5 ],
		[ 'plain',   5 ]);
	return "SELECT count(*) FROM $call"   if $form eq 'count';
	return "SELECT length(${call}::text)" if $form eq 'stream';
	return "SELECT $call LIMIT " . $self->pick(0, 1, 2, 5)
	  if $form eq 'limit';
	return "SELECT length(${call}::text) FROM generate_series(1, 2)"
	  if $form eq 'twice';
	return
	  "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT $call"
	  if $form eq 'explain';
	return "SELECT count(*) FROM $call AS x WHERE x::text LIKE '%1%'"
	  if $form eq 'where';
	return
"SELECT count(*) FROM relprefetch.fetch_json(spec => $spec, parent => $parent)"
	  if $form eq 'named';
	return
"SELECT a.id, (SELECT count(*) FROM relprefetch.fetch_json($parent, $spec || jsonb_build_object('limit', a.id))) FROM fz.author a WHERE a.id <= 3"
	  if $form eq 'lateral';
	return
"WITH f AS MATERIALIZED (SELECT $call AS j) SELECT count(*), sum(length(j::text)) FROM f"
	  if $form eq 'cte';
	return "SELECT $call";
}

sub gen_json
{
	my ($self) = @_;
	my $r = $self->rnd;
	my ($table, $spec);
	if ($r < 0.45)
	{
		$table = $self->table;
		$spec  = $self->gen_spec($table, 0, 1);
	}
	elsif ($r < 0.8)
	{
		my $c = $self->pick(@CORPUS);
		$table = $c->[0];
		$spec  = $self->mutate($c->[1]);
	}
	elsif ($r < 0.88)
	{
		($table, $spec) = $self->deep_spec;
	}
	elsif ($r < 0.94)
	{
		$table = $self->table;
		$spec  = $self->pick(
			'{}',
			'[]',
			'null',
			'""',
			'1',
			'"{}"',
			'{"include": []}',
			'{"include": {}}',
			'{"include": [""]}',
			'{"include": null}',
			'{"columns": []}',
			'{"include": ["\u0000"]}',
			'{"where": "\u0000"}',
'{"include": {"a": {"path": "comment", "limit": 9223372036854775807}}}',
			'{"limit": 9223372036854775807, "offset": 9223372036854775807}',
			'{"limit": -9223372036854775808}',
			'{"offset": 1e19}',
			'{"where": "' . ('(' x 3000) . 'true' . (')' x 3000) . '"}',
			'{"include": [' . join(',', map { '"comment"' } 1 .. 40) . ']}',
			'{"columns": [' . join(',', map { '"id"' } 1 .. 3) . ']}',
			'{"include": {"' . ('k' x 200) . '": {"path": "comment"}}}',
			'{"order_by": "' . join(', ', map { 'id' } 1 .. 200) . '"}',
			'{"where": "' . ('x' x 100000) . '"}');
	}
	else
	{
		# built in SQL
		$table = $self->table;
		my $p = $self->parent_arg($table);
		return (
			$self->fetch_json_stmt(
				$p,
				$self->pick(
					"NULL",
					"NULL::jsonb",
					"'null'",
"jsonb_build_object('include', jsonb_build_array('comment'))",
"(SELECT jsonb_object_agg('k' || i, '{}'::jsonb) FROM generate_series(1, 40) i)",
					"jsonb_build_object('limit', 2147483648::bigint * 2)",
					"to_jsonb(now())",
					"'{\"include\": [\"author\"]}'::json::jsonb",
"jsonb_build_object('where', repeat('NOT ', 5000) || 'true')"
				)));
	}
	my $parent =
		$self->chance(0.93)
	  ? $self->ql($self->qualified($table))
	  : $self->parent_arg($table);
	my $lit = $self->ql($spec);
	$lit .= '::jsonb' if $self->chance(0.5);
	my @stmts;
	push @stmts,
	  'SET relprefetch.fetch_batch_size = ' . $self->pick(1, 2, 3, 7, 10000)
	  if $self->chance(0.15);
	push @stmts, $self->fetch_json_stmt($parent, $lit);
	return @stmts;
}

###########################################################################
# Family: fragment
###########################################################################

my @INJECTIONS = (
	'id; DROP TABLE fz.post',
	'true) OR (true',
	'id) --',
	'1',
	'2 DESC',
	'id LIMIT 1',
	'true UNION SELECT 1',
	'(SELECT 1 FOR UPDATE) = 1',
	'id IN (WITH d AS (DELETE FROM fz.tag RETURNING id) SELECT id FROM d)',
	"'",
	'/*',
	'$$',
	'"',
	'pg_sleep(0) IS NOT NULL',
	'nope = 1',
	"id = 'x'",
	'random() < 2',
	'author',
	'author_id',
	'post_tags',
	'tag_id',
	'blog',
	'',
	' ',
	'id COLLATE "C"',
	'name NULLS FIRST',
	"E'\\x00'",
	('(' x 50) . 'true' . (')' x 50),
	'true;',
	'true;;',
	'true ; ',
	';',
	'true -- comment',
	'true /* comment */',
	'true /* unterminated',
	'*/ true',
	'true) UNION (SELECT 1',
	"true' OR '1'='1",
	'$a$ x',
	'$a$x$a$',
	'$$x$$ = $$x$$',
	'true ORDER BY 1',
	'true GROUP BY id',
	'true HAVING true',
	'true WINDOW w AS ()',
	'true FOR UPDATE',
	'true FOR SHARE',
	'true FETCH FIRST 1 ROW ONLY',
	'true OFFSET 1',
	'id = ANY (SELECT id FROM fz.post FOR UPDATE)',
	'(SELECT count(*) FROM fz.post FOR KEY SHARE) > 0',
'EXISTS (WITH u AS (UPDATE fz.tag SET active = active RETURNING 1) SELECT 1 FROM u)',
'EXISTS (WITH i AS (INSERT INTO fz.nokey VALUES (9) RETURNING 1) SELECT 1 FROM i)',
'EXISTS (WITH m AS (MERGE INTO fz.nokey USING fz.tag ON false WHEN NOT MATCHED THEN DO NOTHING) SELECT 1)',
	'generate_series(1, 2) > 0',
	'count(*) > 0',
	'row_number() OVER () > 0',
	'sum(id) OVER (ORDER BY id) > 0',
	'unnest(ARRAY[true, false])',
	'(SELECT generate_series(1, 3)) > 0',
	'id = $1',
	'$1',
	'?',
	':x',
	':"x"',
	'\\gexec',
	"\\\\",
	'true \\g',
	'DEFAULT',
	'NULL',
	'null',
	'*',
	'id = (SELECT id FROM fz.post)',
	'pg_cancel_backend(pg_backend_pid())',
	"current_setting('relprefetch.threshold')::int > 0",
	"set_config('relprefetch.on_detect', 'error', true) IS NOT NULL",
	"set_config('relprefetch.fetch_batch_size', '1', true) IS NOT NULL",
	"set_config('relprefetch.fetch_batch_size', '1000000', true) IS NOT NULL",
	"set_config('search_path', 'pg_catalog', true) IS NOT NULL",
	'relprefetch.end_unit() IS NULL',
	'relprefetch.reset() IS NOT NULL',
	'(SELECT count(*) FROM relprefetch.stats) >= 0',
	'(SELECT count(*) FROM relprefetch.unit_queries()) >= 0',
"(SELECT count(*) FROM relprefetch.fetch_json('fz.post', '{\"include\": [\"comment\"]}')) > 0",
"(SELECT count(*) FROM relprefetch.fetch_children(NULL::fz.post, NULL::fz.tag[])) > 0",
	'pg_advisory_xact_lock(1) IS NULL',
	"txid_current() > 0",
	"nextval('comment_id_seq') > 0",
	"pg_notify('fz', 'x') IS NULL",
	"lo_create(0) > 0",
	"pg_read_file('/etc/hostname') IS NOT NULL",
	"(SELECT true FROM pg_stat_activity LIMIT 1)",
	'now() > now() - interval \'1 day\'',
	"'a' COLLATE \"nope\" = 'a'",
	"'a' = 'a' COLLATE \"C\"",
	'id::text ~ \'(\'',
	"jsonb_path_query_first('{}', '\$') IS NULL",
	'repeat(\'x\', 100000000) IS NOT NULL',
	"(SELECT 1 UNION ALL SELECT 2 LIMIT 1) = 1",
	'ROW(1, 2) = ROW(1, 2)',
	'id = ANY (\'{1,2,3}\')',
	'id IN (1, 2, 3)',
	'id BETWEEN SYMMETRIC 5 AND 1',
	'CASE WHEN id > 3 THEN true END',
	"xmin::text::bigint > 0",
	'ctid > \'(0,1)\'',
	'tableoid > 0',
	'fz.post.id > 0',
	'p.id > 0',
	"1 = 1 OR 1/0 = 1",
	'1/0 = 1',
	'0.1::float8 / 0 > 0',
	'id::smallint * 100000::smallint > 0',
	"E'\\\\' = '\\'",
	"U&'\\0041' = 'A'",
	"B'101' = B'101'",
	"X'ff'::int > 0",
	"'\x{1F600}' > ''",
	"\x{1F600} > ''",
	'true' . (' AND true' x 2000),
	'NOT ' x 3000 . 'true',
	('-' x 1000) . '1 > 0');

my @SIDE_EFFECTS = (
	'noisy(id)',
	'batch(1)',
	'batch(2)',
	'batch(100000)',
	'analyze_comment()',
	"fail('22012')",
	"fail('P0001')",
	"fail('54000')",
	"fail('40001')",
	'nested_fetch()',
	"recurse('{\"where\": \"recurse(''{}'')\"}')",
"recurse('{\"include\": {\"x\": {\"path\": \"post\", \"via\": \"post_author_id_fkey\", \"where\": \"recurse(''{}'')\"}}}')",
	'do_end_unit()',
	'add_comment()',
	'del_comments()',
	'lookups(6) > 0',
	'add_column()',
	'toggle_fk()',
	'rename_tag_name()');

# Side effects that hit a bug found earlier (see fixed_cases): left out with
# avoid_known
my @KNOWN_BAD_SIDE_EFFECTS = ('flip_body()', 'flip_name()');

sub side_effect
{
	my ($self) = @_;
	return $self->pick(@SIDE_EFFECTS)
	  if $self->{avoid_known} || $self->chance(0.85);
	return $self->pick(@KNOWN_BAD_SIDE_EFFECTS);
}

# A constant in any of its forms
sub constant
{
	my ($self) = @_;
	return $self->pick(
		$self->between(-3, 70),  $self->pick(@INTS),
		"'x'",                   "'post 1 é'",
		'NULL',                  'true',
		'false',                 "E'a\\nb'",
		'$$q$$',                 '$t$x$t$',
		"U&'d\\0061t\\+000061'", "B'1010'",
		"X'1F'",                 '1.5e3',
		'.5',                    '5.',
		"'2024-01-05'::date",    "now()",
		"'{1,2}'::int[]",        "'{\"n\": 1}'::jsonb",
		"'NaN'::float8",         "interval '1 day'",
		"'\x{65e5}\x{672c}'",    "''",
		"'" . ('z' x 300) . "'");
}

# A random expression over the columns of $table
sub expr
{
	my ($self, $table, $depth) = @_;
	my $r = $self->rnd;
	if ($depth > 4 || $r < 0.3)
	{
		return $self->chance(0.6) ? $self->column($table) : $self->constant;
	}
	my $a = $self->expr($table, $depth + 1);
	my $b = $self->expr($table, $depth + 1);
	return $self->pick(
		"$a = $b",
		"$a < $b",
		"$a <> $b",
		"($a) IS NULL",
		"$a IS NOT DISTINCT FROM $b",
		"NOT ($a)",
		"($a) AND ($b)",
		"($a) OR ($b)",
		"$a + $b",
		"$a || $b",
		"${a}::text",
		"lower(${a}::text)",
		"length(${a}::text) > 2",
		"coalesce($a, $b)",
		"CASE WHEN $a THEN $b ELSE $a END",
		"$a IN ($b, $a)",
		"$a LIKE '%1%'",
		"$a ~ '^p'",
		"$a BETWEEN $b AND $a",
		"($a)::int",
		"$a COLLATE \"C\"",
		"EXISTS (SELECT 1 FROM fz.comment c WHERE c.post_id = $a)",
		"(SELECT max(id) FROM fz.tag) > $a",
		"$a = ANY (ARRAY[$b])",
		"ARRAY[$a] && ARRAY[$b]",
		"greatest($a, $b)",
		"nullif($a, $b)",
		"($a, $b) = ($b, $a)",
		"row($a) IS NOT NULL",
		"$a IS TRUE",
		"${a}::jsonb ? 'n'",
		"num_nonnulls($a, $b) > 0",
		"$a->>'n'",
		"$a @> $b",
		"$a % 3 = 0");
}

sub where_fragment
{
	my ($self, $table) = @_;
	my $r = $self->rnd;
	return $self->expr($table, 0)                    if $r < 0.4;
	return $self->pick(@INJECTIONS)                  if $r < 0.65;
	return $self->mutate_sql($self->expr($table, 1)) if $r < 0.8;
	if ($r < 0.88)
	{
		my $d = $self->pick(10, 100, 1000, 10000);
		return
			('(' x $d)
		  . $self->column($table)
		  . ' IS NOT NULL'
		  . (')' x $d);
	}
	return $self->side_effect
	  . ($self->chance(0.5) ? '' : ' AND ' . $self->expr($table, 2));
}

# Mutations at the SQL level: delete, duplicate, insert tokens
sub mutate_sql
{
	my ($self, $s) = @_;
	for (1 .. $self->between(1, 3))
	{
		my $p  = $self->int_below(length($s) + 1);
		my $op = $self->int_below(4);
		if ($op == 0)
		{
			substr($s, $p, 1, '') if $p < length $s;
		}
		elsif ($op == 1)
		{
			substr(
				$s, $p, 0,
				$self->pick(
					'(',                    ')',
					"'",                    '"',
					';',                    ' --',
					'/*',                   '*/',
					'$$',                   ',',
					' AND ',                ' OR ',
					' UNION SELECT 1 ',     ' ORDER BY 1 ',
					' LIMIT 1 ',            ' FOR UPDATE ',
					'::',                   '[',
					']',                    ' SELECT ',
					' FROM ',               ' WHERE ',
					'\\',                   "\n",
					' DELETE FROM fz.tag ', ' INSERT ',
					'$1',                   'é'));
		}
		elsif ($op == 2)
		{
			substr($s, $p, 0, substr($s, $p, $self->between(1, 10)));
		}
		else
		{
			$s = substr($s, 0, $p);
		}
	}
	return $s;
}

sub order_fragment
{
	my ($self, $table) = @_;
	my $r = $self->rnd;
	if ($r < 0.55)
	{
		my $n = $self->weighted([ 1, 60 ], [ 2, 30 ], [ 3, 10 ]);
		return join(
			', ',
			map {
				$self->column($table)
				  . $self->pick(
					'',
					'',
					' ASC',
					' DESC',
					' DESC NULLS LAST',
					' NULLS FIRST',
					' USING <',
					' USING >',
					' USING ~<~',
					' COLLATE "C"',
					' COLLATE "POSIX" DESC')
			} 1 .. $n);
	}
	return $self->pick(
		'1',
		'2 DESC',
		'1 + 0',
		'(1)',
		'-1',
		'random()',
		'id, 1',
		'count(*)',
		'row_number() OVER ()',
		'generate_series(1, 2)',
		'(SELECT 1)',
		'(SELECT id FROM fz.post)',
		'id; SELECT 1',
		'id LIMIT 1',
		'id) --',
		'id OFFSET 1',
		'id FOR UPDATE',
		"id USING",
		'NULL',
		"'x'",
		'$1',
		'id DESC, id ASC',
		'id COLLATE "nope"',
		'name COLLATE "C" DESC',
		'lower(name::text)',
		'id::text',
		'length(title)',
		'-id',
		'NOT active',
		'meta',
		'flags',
		'p',
		'ARRAY[id]',
		'ROW(id, id)',
		'id NULLS',
		'') if $r < 0.85;
	return $self->mutate_sql($self->order_fragment($table)) if $r < 0.93;
	return $self->side_effect;
}

sub gen_fragment
{
	my ($self) = @_;
	my $table = $self->pick(qw(post post author comment tag office));
	my $spec;
	my $where = json_string($self->where_fragment($table));
	my $child =
	  $self->pick(qw(comment tags author_id editor country tag post));
	my $inner = $self->where_fragment($self->guess_target($table, $child));
	if ($self->chance(0.5))
	{
		$spec = "{\"where\": $where"
		  . (
			$self->chance(0.4)
			? ', "order_by": ' . json_string($self->order_fragment($table))
			: '') . '}';
	}
	else
	{
		$spec =
			'{"include": {'
		  . json_string($child)
		  . ': {"where": '
		  . json_string($inner)
		  . (
			$self->chance(0.5)
			? ', "order_by": ' . json_string($self->order_fragment('comment'))
			: '') . '}}}';
	}
	my @stmts;
	push @stmts,
	  'SET relprefetch.fetch_batch_size = ' . $self->pick(1, 2, 10000)
	  if $self->chance(0.15);
	if ($self->chance(0.2))
	{
		# a function with side effects called while the parent rows are
		# read, before the includes' queries run
		$table = $self->pick(qw(post post author comment tag));
		my %hot = (
			post    => [qw(comment author_id editor tags comment__comment)],
			author  => [qw(mentor country post_author_id_fkey author)],
			comment => [qw(post parent comment post__author_id)],
			tag     => [qw(post tags from)]);
		$spec =
			'{"where": '
		  . json_string($self->side_effect)
		  . ', "include": ['
		  . join(
			', ',
			map {
				json_string(
					  $self->chance(0.6)
					? $self->pick(@{ $hot{$table} })
					: $self->rel_path($table))
			} 1 .. $self->between(1, 3)) . ']}';
		if (!$self->{avoid_known} && $self->chance(0.35))
		{
			# a type change of a column that an include renders (the
			# fixed case ddl_in_where_fragment)
			my ($t, $fx, $inc) = @{
				$self->pick(
					[ 'post', 'flip_body()', '["comment"]' ],
					[ 'post', 'flip_name()', '{"a": {"path": "author_id"}}' ],
					[
						'tag', 'flip_body()',
						'{"p": {"path": "post", "include": ["comment"]}}'
					],
					[ 'country', 'flip_name()', '["author"]' ])
			};
			$table = $t;
			$spec  = "{\"where\": \"$fx\", \"include\": $inc}";
		}
		push @stmts,
		  $self->fetch_json_stmt($self->ql($table), $self->ql($spec));
	}
	elsif ($self->chance(0.25))
	{
		push @stmts,
		  $self->children_stmt(
			'post',
			'comment',
			undef,
			$self->ql($self->where_fragment('post')),
			$self->ql($self->where_fragment('comment')),
			$self->ql($self->order_fragment('comment')),
			'NULL');
	}
	else
	{
		push @stmts,
		  $self->fetch_json_stmt($self->ql($self->qualified($table)),
			$self->ql($spec));
	}
	return @stmts;
}

###########################################################################
# Family: children
###########################################################################

sub row_type
{
	my ($self, $table) = @_;
	my $r = $self->rnd;
	return 'NULL::' . $self->qualified($table) if $r < 0.75;
	return $self->pick(
		'NULL::pair',                        'ROW(1, \'x\')::pair',
		'NULL::int',                         'NULL::text',
		"'x'",                               'NULL',
		'NULL::post_v',                      'NULL::post_mv',
		'NULL::ev_a',                        'NULL::event',
		'NULL::posint',                      'NULL::mood',
		'NULL::pg_class',                    'NULL::record',
		'(SELECT p FROM fz.post p LIMIT 1)', 'ROW(1, 2)',
		'NULL::"Odd ""Name"""',              'NULL::nokey',
		'NULL::relprefetch.stats',           'NULL::fz.post[]',
		'NULL::jsonb',                       '1');
}

sub array_type
{
	my ($self, $table) = @_;
	my $r = $self->rnd;
	return 'NULL::' . $self->qualified($table) . '[]' if $r < 0.75;
	return $self->pick(
		'NULL::pair[]',            'NULL::int[]',
		'NULL::text[]',            'ARRAY[]::fz.comment[]',
		"'{}'::fz.tag[]",          'NULL::fz.comment[][]',
		'NULL::fz.comment',        'NULL',
		'NULL::post_v[]',          'NULL::ev_a[]',
		'NULL::event[]',           'NULL::posint[]',
		'NULL::odd_child[]',       'NULL::anyarray',
		"ARRAY[NULL::fz.comment]", 'NULL::nokey[]',
		'NULL::fz.post[]',         'NULL::mood[]',
		"'{}'");
}

sub children_stmt
{
	my ($self, $ptable, $ctable, $via, $pw, $cw, $co, $lim) = @_;
	my $args = join(
		', ',
		$self->row_type($ptable),
		$self->array_type($ctable),
		map { defined $_->[1] ? "$_->[0] => $_->[1]" : () } (
			[ via            => $via ],
			[ parent_where   => $pw ],
			[ child_where    => $cw ],
			[ child_order_by => $co ],
			[ child_limit    => $lim ]));
	my $call = "relprefetch.fetch_children($args)";
	my $form = $self->weighted(
		[ 'count',   40 ],
		[ 'stream',  25 ],
		[ 'card',    15 ],
		[ 'limit',   10 ],
		[ 'explain', 5 ],
		[ 'plain',   5 ]);
	return "SELECT count(*) FROM $call"   if $form eq 'count';
	return "SELECT length(${call}::text)" if $form eq 'stream';
	return "SELECT sum(cardinality(children)), count(parent) FROM $call"
	  if $form eq 'card';
	return "SELECT $call LIMIT 1" if $form eq 'limit';
	return
"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM $call"
	  if $form eq 'explain';
	return "SELECT (t.parent IS NULL), t.children FROM $call t";
}

sub gen_children
{
	my ($self) = @_;
	my ($p, $c) = @{
		$self->pick(
			[qw(post comment)],   [qw(post tag)],
			[qw(post post_tags)], [qw(author post)],
			[qw(author author)],  [qw(comment comment)],
			[qw(tag tag)],        [qw(country author)],
			[qw(region office)],  [qw(ukeys uref)],
			[qw(big small_ref)],  [qw(post event)],
			[qw(post ev_a)],      [qw(wallet purse)],
			[qw(fl flref)],       [qw(post empty_t)],
			[qw(post author)],    [qw(tag post)],
			[qw(author comment)], [qw(nokey nokey)],
			[qw(post_v comment)], [qw(post_v tag)],
			[qw(author post_v)])
	};
	($p, $c) = ($self->table, $self->table) if $self->chance(0.1);
	my $opt = sub { my ($p, $v) = @_; return $self->chance($p) ? $v : undef };
	my @stmts;
	push @stmts,
	  'SET relprefetch.fetch_batch_size = ' . $self->pick(1, 2, 3, 10000)
	  if $self->chance(0.15);
	push @stmts,
	  $self->children_stmt(
		$p, $c,
		$opt->(
			0.3,
			$self->chance(0.8)
			? $self->ql($self->rel_name($p))
			: $self->pick('NULL', "''", 'NULL::text', '1')),
		$opt->(0.3, $self->ql($self->where_fragment($p))),
		$opt->(0.3, $self->ql($self->where_fragment($c))),
		$opt->(0.3, $self->ql($self->order_fragment($c))),
		$opt->(
			0.3,
			$self->pick(
				0,            1,          2,             -1,
				'NULL',       2147483647, '-2147483648', "'3'",
				'2147483648', '1.5',      '2::smallint', '2::bigint',
				"'x'")));
	return @stmts;
}

###########################################################################
# Family: guc
###########################################################################

my %GUC_VALUES = (
	'relprefetch.enabled' =>
	  [qw(on off true false yes no 1 0 2 t f of 'maybe' '' 'ON' -1)],
	'relprefetch.threshold' => [
		qw(2 3 5 10 1 0 -1 2147483647 2147483648 '5' 1e3 0x10 '' 'on' 'abc' 5.5 2.4999 '100ms'),
		"' 5 '"
	],
	'relprefetch.track'     => [ qw(top all none TOP '' 1 on), "'all '" ],
	'relprefetch.on_detect' => [
		qw(none log notice warning error panic ERROR info debug '' 'Warning' 0 off)
	],
	'relprefetch.unit_gap' => [
		"'1 min'",
		qw('50ms' '1h' 0 -1 2147483647 2147483648 '1d' '10s' '1us' '1000000h'
		  '0.5' '1.5ms' '' 'forever' 'h' 100 '-1ms' 1e12)
	],
	'relprefetch.fetch_batch_size' => [
		qw(1 2 3 10 10000 1000000 1000001 0 -5 '10kB' '' 'lots' 1e6 999999.5 2147483648)
	],
	'relprefetch.save'  => [qw(on off)],
	'relprefetch.max'   => [qw(100 99 1000 0)],
	'relprefetch.bogus' => [qw(1 'x')],);

sub guc_name
{
	my ($self) = @_;
	return $self->weighted(
		[ 'relprefetch.enabled',          12 ],
		[ 'relprefetch.threshold',        15 ],
		[ 'relprefetch.track',            12 ],
		[ 'relprefetch.on_detect',        18 ],
		[ 'relprefetch.unit_gap',         15 ],
		[ 'relprefetch.fetch_batch_size', 15 ],
		[ 'relprefetch.save',             4 ],
		[ 'relprefetch.max',              4 ],
		[ 'relprefetch.bogus',            3 ],
		[ 'RELPREFETCH.THRESHOLD',        2 ]);
}

sub guc_value
{
	my ($self, $name) = @_;
	return $self->pick(@{ $GUC_VALUES{ lc $name } });
}

# A statement setting a relprefetch setting
sub guc_stmt
{
	my ($self, $in_xact) = @_;
	my $name  = $self->guc_name;
	my $value = $self->guc_value($name);
	my $form  = $self->weighted(
		[ 'set',        40 ],
		[ 'local',      $in_xact ? 15 : 3 ],
		[ 'reset',      8 ],
		[ 'show',       5 ],
		[ 'set_config', 10 ],
		[ 'role',       4 ],
		[ 'database',   4 ],
		[ 'system',     2 ],
		[ 'default',    4 ],
		[ 'resetall',   1 ],
		[ 'current',    2 ]);
	my $v = $value =~ /^'/ ? $value : "'$value'";
	return "SET $name = $value"       if $form eq 'set';
	return "SET LOCAL $name = $value" if $form eq 'local';
	return "RESET $name"              if $form eq 'reset';
	return "SHOW $name"               if $form eq 'show';
	return
	  "SELECT set_config('$name', $v, "
	  . $self->pick('true', 'false') . ')'
	  if $form eq 'set_config';
	# (each session has a role of its own, and only session 1 alters the
	# database: two sessions altering the same pg_db_role_setting row at
	# once get PostgreSQL's "tuple concurrently updated", SQLSTATE XX000)
	return "ALTER ROLE CURRENT_USER SET $name = $value"
	  if $form eq 'role' || ($form eq 'database' && $self->{session} != 1);
	return "ALTER DATABASE postgres SET $name = $value"
	  if $form eq 'database';
	return "ALTER SYSTEM SET $name = $value" if $form eq 'system';
	return "SET $name TO DEFAULT"            if $form eq 'default';
	return
	  "SELECT current_setting('$name', "
	  . $self->pick('true', 'false') . ')'
	  if $form eq 'current';
	return 'RESET ALL';
}

# A short workload: a loop of lookups, a fetch, or nothing
sub workload
{
	my ($self) = @_;
	my $r = $self->rnd;
	if ($r < 0.5)
	{
		my $n = $self->between(1, 8);
		my $q = $self->pick(
			'SELECT name FROM author WHERE id = %d',
			'SELECT id, title FROM post WHERE author_id = %d',
			'SELECT * FROM comment WHERE post_id = %d',
			'SELECT name FROM fz.tag WHERE id = %d');
		return map { sprintf($q, $self->between(1, 20)) } 1 .. $n;
	}
	return (
"SELECT count(*) FROM relprefetch.fetch_json('post', '{\"include\": [\"comment\"], \"limit\": 5}')"
	) if $r < 0.65;
	return ('SELECT lookups(' . $self->between(1, 8) . ')') if $r < 0.75;
	return ('SELECT relprefetch.end_unit()')                if $r < 0.8;
	return ('SELECT count(*) FROM relprefetch.stats')       if $r < 0.85;
	return ('SELECT pg_sleep(0.06)')                        if $r < 0.88;
	return ();
}

sub gen_guc
{
	my ($self) = @_;
	my @stmts;
	my $in = 0;
	for (1 .. $self->between(1, 5))
	{
		if (!$in && $self->chance(0.25))
		{
			push @stmts, 'BEGIN';
			$in = 1;
		}
		push @stmts, $self->guc_stmt($in);
		push @stmts, 'RESET ALL', $self->session_setup
		  if $stmts[-1] eq 'RESET ALL';
		push @stmts, $self->workload;
		if ($in && $self->chance(0.4))
		{
			push @stmts, $self->pick('COMMIT', 'ROLLBACK');
			$in = 0;
		}
	}
	push @stmts, $self->pick('COMMIT', 'ROLLBACK') if $in;
	return @stmts;
}

###########################################################################
# Family: sequence
###########################################################################

sub lookup
{
	my ($self) = @_;
	my $k = $self->between(1, 20);
	return $self->pick(
		"SELECT name FROM author WHERE id = $k",
		"SELECT id, name FROM author WHERE id = $k",
		"SELECT * FROM tag WHERE id = " . (1 + $k % 10),
		"SELECT body FROM comment WHERE post_id = $k",
		"SELECT name FROM fz.author WHERE id = $k");
}

# A cursor query over a fetch function, streaming (in the target list) or
# materialized (in FROM)
sub cursor_query
{
	my ($self) = @_;
	my $spec = $self->pick(
		'{"include": ["comment"]}',
		'{"include": ["comment", "tags", "author_id"], "order_by": "id"}',
'{"include": {"c": {"path": "comment", "limit": 2, "include": ["comment"]}}}',
		'{"where": "id > 10", "include": ["tags"]}',
		'{}',
		'{"include": ["event"], "order_by": "id DESC"}');
	return $self->pick(
		"SELECT relprefetch.fetch_json('post', '$spec')",
		"SELECT * FROM relprefetch.fetch_json('post', '$spec')",
		"SELECT relprefetch.fetch_json('fz.post', '$spec')",
"SELECT relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id')",
		"SELECT relprefetch.fetch_children(NULL::fz.post, NULL::fz.tag[])",
"SELECT relprefetch.fetch_json('author', '{\"include\": [\"post\"]}')",
"SELECT relprefetch.fetch_json('comment', '{\"include\": [\"parent\", \"post\"], \"order_by\": \"id\"}')"
	);
}

# DDL on the session's own schema
sub ddl
{
	my ($self) = @_;
	my @ddl = (
		'ALTER TABLE comment ADD COLUMN extra int',
		'ALTER TABLE comment DROP COLUMN extra',
		'ALTER TABLE comment ADD COLUMN extra2 text DEFAULT \'d\'',
		'ALTER TABLE comment DROP COLUMN IF EXISTS extra2',
		'ALTER TABLE comment DROP CONSTRAINT comment_post_id_fkey',
'ALTER TABLE comment ADD CONSTRAINT comment_post_id_fkey FOREIGN KEY (post_id) REFERENCES post',
'ALTER TABLE comment ADD CONSTRAINT comment_post_id_fkey2 FOREIGN KEY (post_id) REFERENCES post',
		'ALTER TABLE comment DROP CONSTRAINT IF EXISTS comment_post_id_fkey2',
		'ALTER TABLE tag RENAME COLUMN name TO label',
		'ALTER TABLE tag RENAME COLUMN label TO name',
		'ALTER TABLE author ALTER COLUMN name TYPE varchar(50)',
		'ALTER TABLE author ALTER COLUMN name TYPE text',
		'ALTER TABLE comment ALTER COLUMN post_id TYPE bigint',
		'ALTER TABLE comment ALTER COLUMN post_id TYPE int',
		'CREATE INDEX IF NOT EXISTS comment_post ON comment (post_id)',
		'DROP INDEX IF EXISTS comment_post',
		'ANALYZE comment',
		'ANALYZE post',
		'VACUUM comment',
		'CLUSTER comment USING comment_pkey',
		'TRUNCATE empty_t',
		'REFRESH MATERIALIZED VIEW post_mv',
		'RENAME',
		'ALTER TABLE post ENABLE ROW LEVEL SECURITY',
		'ALTER TABLE post DISABLE ROW LEVEL SECURITY',
		'CREATE TEMP TABLE IF NOT EXISTS tmp_fz AS SELECT * FROM post',
		'DROP TABLE IF EXISTS tmp_fz',
		'CREATE TYPE tmp_t AS (a int)',
		'DROP TYPE IF EXISTS tmp_t',
		'ALTER DOMAIN posint DROP CONSTRAINT posint_check',
		'COMMENT ON TABLE post IS \'x\'',
		'SELECT flip_body()',
		'SELECT flip_name()',
		'SELECT add_column()',
		'SELECT toggle_fk()',
		'SELECT rename_tag_name()',
		'DROP TABLE IF EXISTS tag_links',
		'GRANT SELECT ON post TO PUBLIC',
		'REVOKE SELECT (title) ON post FROM PUBLIC',
		'DISCARD PLANS');
	my $d = $self->pick(@ddl);
	return $d unless $d eq 'RENAME';
	# a rename, a fetch, and the rename undone
	my $s = $self->{schema};
	my ($away, $back, $table) = @{
		$self->pick(
			[
				"ALTER SCHEMA $s RENAME TO ${s}x",
				"ALTER SCHEMA ${s}x RENAME TO $s",
				"${s}x.post"
			],
			[
				'ALTER TABLE post_tags RENAME TO post_tags2',
				'ALTER TABLE post_tags2 RENAME TO post_tags',
				'post'
			],
			[
				'ALTER TABLE comment RENAME TO comments',
				'ALTER TABLE comments RENAME TO comment',
				'post'
			])
	};
	return (
		$away,
"SELECT count(*) FROM relprefetch.fetch_json('$table', '{\"include\": [\"tags\", \"comments\", \"comment\"]}')",
		$back);
}

# Sequence statements: relprefetch.end_unit() called in several ways
my @END_UNIT_CALLS = (
	'SELECT relprefetch.end_unit()',
	'SELECT relprefetch.end_unit(), relprefetch.end_unit()',
	'SELECT * FROM relprefetch.end_unit()',
	'SELECT relprefetch.end_unit() FROM generate_series(1, 3)');

# Sequence statements: the views and functions that report
my @VIEW_READS = (
	'SELECT * FROM relprefetch.stats',
	'SELECT * FROM relprefetch.info',
	'SELECT * FROM relprefetch.unit_queries()',
	'SELECT count(*), sum(calls), max(max_repeats) FROM relprefetch.stats',
'SELECT query, suggestion FROM relprefetch.stats WHERE relation IS NOT NULL',
'SELECT * FROM relprefetch.stats() s JOIN relprefetch.unit_queries() u USING (fingerprint)',
	'SELECT relprefetch.info()');

# Sequence statements that fail
my @ERRORS = (
	'SELECT 1/0',
	'SELECT nope',
	'SELEC 1',
	"SELECT 'x'::int",
	'SELECT * FROM nope',
	"SELECT fail('40P01')",
	'SELECT pg_cancel_backend(pg_backend_pid())',
	"SELECT fail('53100')",
	'RAISE',
	'SELECT 1 FROM post WHERE 1/0 = 1');

# Sequence statements: the fetch functions feeding COPY and CREATE TABLE AS
my @COPIES = (
"COPY (SELECT relprefetch.fetch_json('post', '{\"include\": [\"comment\"], \"limit\": 3}')) TO STDOUT",
"COPY (SELECT * FROM relprefetch.fetch_children(NULL::author, NULL::post[])) TO STDOUT",
"CREATE TEMP TABLE IF NOT EXISTS fz_out AS SELECT relprefetch.fetch_json('tag', '{\"include\": [\"post\"]}') AS j",
	"DROP TABLE IF EXISTS fz_out");

# A generator adding one of @stmts
sub one_of
{
	my @stmts = @_;
	return sub {
		my ($self, $st) = @_;
		push @{ $st->{stmts} }, $self->pick(@stmts);
		return;
	};
}

# The operations of a sequence, drawn one after the other: name, weight and
# the sub that adds the operation's statements.  A weight is a number, or a
# sub of ($self, $st) for those that depend on where the sequence stands.
# The order of the list and the weights decide what a seed draws: add new
# operations at the end.  $st is the state of the sequence being written:
#   stmts       its statements so far
#   in          1 in a transaction block
#   savepoints  names of the savepoints set in that block
#   cursors     open cursors: [name, holdable]
#   held        WITH HOLD cursors that survive the transaction
#   prepared    SQL-level prepared statements
#   known       0 when the inputs of known bugs are left out
my @SEQUENCE_OPS = (
	[ begin => sub { $_[1]{in} ? 0 : 12 }, \&seq_begin ],
	[ commit      => sub { $_[1]{in} ? 8 : 1 }, \&seq_end_xact ],
	[ rollback    => sub { $_[1]{in} ? 5 : 1 }, \&seq_end_xact ],
	[ savepoint   => sub { $_[1]{in} ? 6 : 1 }, \&seq_savepoint ],
	[ rollback_to => sub { @{ $_[1]{savepoints} } ? 5 : 1 }, \&seq_to_savepoint ],
	[ release     => sub { @{ $_[1]{savepoints} } ? 3 : 0 }, \&seq_to_savepoint ],
	[ prepare_xact    => sub { $_[1]{in} ? 2 : 0 }, \&seq_prepare_xact ],
	[ finish_prepared => sub { @{ $_[0]{gids} } ? 3 : 0.2 }, \&seq_finish_prepared ],
	[ declare   => sub { $_[1]{in} ? 8 : 2 }, \&seq_declare ],
	[ fetch     => sub { open_cursors($_[1]) ? 12 : 0.3 }, \&seq_fetch ],
	[ close     => sub { open_cursors($_[1]) ? 3 : 0 }, \&seq_close ],
	[ discard   => 2,   \&seq_discard ],
	[ end_unit  => 4,   one_of(@END_UNIT_CALLS) ],
	[ reset     => 0.1, \&seq_reset ],
	[ views     => 4,   one_of(@VIEW_READS) ],
	[ explain   => 3,   \&seq_explain ],
	[ prepare   => 3,   \&seq_prepare ],
	[ execute   => sub { @{ $_[1]{prepared} } ? 5 : 0 }, \&seq_execute ],
	[ do        => 3,   \&seq_do ],
	[ error     => 4,   one_of(@ERRORS) ],
	[ on_detect => 4,   \&seq_on_detect ],
	[ lookups   => 12,  \&seq_lookups ],
	[ guc       => 4,   \&seq_guc ],
	[ ddl       => 5,   \&seq_ddl ],
	[ call      => 1,   \&seq_call ],
	[ copy      => 1,   one_of(@COPIES) ],
	[ reconnect => 0.3, \&seq_reconnect ],
	[ fetchcall => 4,   \&seq_fetchcall ],
	[ sleep     => 0.5, one_of('SELECT pg_sleep(0.06)') ],
	[ multi     => 2,   \&seq_multi ]);

sub gen_sequence
{
	my ($self) = @_;
	my $st = {
		stmts      => [],
		in         => 0,
		savepoints => [],
		cursors    => [],
		held       => [],
		prepared   => [],
		known      => !$self->{avoid_known},
	};
	my $n = $self->between(3, 25);

	for (1 .. $n)
	{
		my $op = $self->weighted(
			map {
				my $w = $_->[1];
				[ $_, ref $w ? $w->($self, $st) : $w ]
			} @SEQUENCE_OPS);
		$op->[2]->($self, $st, $op->[0]);
	}
	my $stmts = $st->{stmts};
	if ($st->{in})
	{
		push @$stmts,
		  $self->weighted(
			[ 'COMMIT',   48 ],
			[ 'ROLLBACK', 49 ],
			[ 'LEAVE',    3 ]);
		pop @$stmts if $stmts->[-1] eq 'LEAVE';
	}
	return @$stmts;
}

# The cursors a FETCH or CLOSE may name (in scalar context, how many)
sub open_cursors
{
	my ($st) = @_;
	my @all = (@{ $st->{cursors} }, @{ $st->{held} });
	return @all;
}

sub seq_begin
{
	my ($self, $st) = @_;
	push @{ $st->{stmts} },
	  $self->pick(
		'BEGIN',
		'START TRANSACTION',
		'BEGIN ISOLATION LEVEL REPEATABLE READ',
		'BEGIN ISOLATION LEVEL SERIALIZABLE',
		'BEGIN READ ONLY');
	$st->{in} = 1;
	return;
}

# commit or rollback
sub seq_end_xact
{
	my ($self, $st, $op) = @_;
	my $chain = $st->{in} && $self->chance(0.1) ? ' AND CHAIN' : '';
	push @{ $st->{stmts} },
	  ($op eq 'commit' ? $self->pick('COMMIT', 'END') : 'ROLLBACK') . $chain;
	if (!$chain)
	{
		$st->{in} = 0;
		push @{ $st->{held} }, grep { $_->[1] } @{ $st->{cursors} }
		  if $op eq 'commit';
		@{ $st->{cursors} }    = ();
		@{ $st->{savepoints} } = ();
	}
	return;
}

sub seq_savepoint
{
	my ($self, $st) = @_;
	my $s = 'sp' . $self->int_below(4);
	push @{ $st->{stmts} },      "SAVEPOINT $s";
	push @{ $st->{savepoints} }, $s;
	return;
}

# rollback_to or release
sub seq_to_savepoint
{
	my ($self, $st, $op) = @_;
	my $s = @{ $st->{savepoints} } ? $self->pick(@{ $st->{savepoints} }) : 'sp9';
	push @{ $st->{stmts} },
	  ( $op eq 'release'
		? 'RELEASE SAVEPOINT '
		: 'ROLLBACK TO SAVEPOINT ') . $s;
	if ($op eq 'rollback_to' && !$st->{known})
	{
		# a cursor first read inside the savepoint lost its parent rows
		# before they were read into a tuplestore (the fixed case
		# cursor_gone_after_rollback_to): close them
		push @{ $st->{stmts} }, 'CLOSE ALL';
		@{ $st->{cursors} } = ();
		@{ $st->{held} }    = ();
	}
	return;
}

sub seq_prepare_xact
{
	my ($self, $st) = @_;
	my $stmts = $st->{stmts};
	my $gid   = "fz$self->{session}_" . ++$self->{gid};
	push @$stmts, "PREPARE TRANSACTION '$gid'";
	# finished in the same input: a prepared transaction keeps its locks,
	# and the session's next statements would wait for them
	push @{ $self->{gids} }, $gid;
	push @$stmts, $self->lookup if $self->chance(0.3);
	push @$stmts, $self->pick('COMMIT', 'ROLLBACK') . " PREPARED '$gid'";
	shift @{ $self->{gids} };
	$st->{in}              = 0;
	@{ $st->{cursors} }    = ();
	@{ $st->{savepoints} } = ();
	return;
}

sub seq_finish_prepared
{
	my ($self, $st) = @_;
	my $gid = shift @{ $self->{gids} } // "fz$self->{session}_0";
	push @{ $st->{stmts} },
	  $self->pick('COMMIT', 'ROLLBACK') . " PREPARED '$gid'";
	return;
}

sub seq_declare
{
	my ($self, $st) = @_;
	my $c    = 'c' . ++$self->{cursor_no};
	my $hold = $self->chance(0.3);
	push @{ $st->{stmts} },
		"DECLARE $c "
	  . $self->pick('', 'SCROLL ', 'NO SCROLL ', 'BINARY ')
	  . 'CURSOR '
	  . ($hold ? 'WITH HOLD ' : '') . 'FOR '
	  . $self->cursor_query;
	push @{ $st->{cursors} }, [ $c, $hold ];
	push @{ $st->{held} }, [ $c, 1 ] if !$st->{in} && $hold;
	return;
}

sub seq_fetch
{
	my ($self, $st) = @_;
	my @all = open_cursors($st);
	my $c   = @all ? $self->pick(@all)->[0] : 'nope';
	push @{ $st->{stmts} },
	  $self->pick(
		"FETCH 1 FROM $c",
		"FETCH 2 FROM $c",
		"FETCH ALL FROM $c",
		"FETCH NEXT FROM $c",
		"FETCH BACKWARD 1 FROM $c",
		"FETCH ABSOLUTE 3 FROM $c",
		"FETCH FIRST FROM $c",
		"MOVE 2 IN $c",
		"MOVE ALL IN $c",
		"FETCH RELATIVE -1 FROM $c",
		"FETCH LAST FROM $c",
		"FETCH PRIOR FROM $c",
		"FETCH 0 FROM $c");
	return;
}

sub seq_close
{
	my ($self, $st) = @_;
	my @all = open_cursors($st);
	my $c   = $self->pick(@all)->[0];
	if ($self->chance(0.2))
	{
		push @{ $st->{stmts} }, 'CLOSE ALL';
		@{ $st->{cursors} } = ();
		@{ $st->{held} }    = ();
	}
	else
	{
		push @{ $st->{stmts} }, "CLOSE $c";
		@{ $st->{cursors} } = grep { $_->[0] ne $c } @{ $st->{cursors} };
		@{ $st->{held} }    = grep { $_->[0] ne $c } @{ $st->{held} };
	}
	return;
}

sub seq_discard
{
	my ($self, $st) = @_;
	my $stmts = $st->{stmts};
	push @$stmts,
	  $self->pick('DISCARD ALL', 'RESET ALL', 'DISCARD PLANS', 'DISCARD TEMP');
	if ($stmts->[-1] =~ /ALL/ && !$st->{in})
	{
		push @$stmts, $self->session_setup;
		@{ $st->{held} } = ();
		@{ $st->{prepared} } = () if $stmts->[-4] eq 'DISCARD ALL';
	}
	return;
}

sub seq_reset
{
	my ($self, $st) = @_;
	# (mostly one shape at a time: the shared table should fill up and
	# evict)
	push @{ $st->{stmts} },
	  $self->chance(0.03)
	  ? $self->pick(
		'SELECT relprefetch.reset()',
		'SELECT relprefetch.reset(0, 0, 0)',
		"SELECT relprefetch.reset(current_user::regrole::oid)",
"SELECT relprefetch.reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()))"
	  )
	  : $self->pick(
'SELECT relprefetch.reset(0, 0, fingerprint) FROM relprefetch.stats LIMIT 3',
		'SELECT relprefetch.reset(NULL, 0, 0)',
		'SELECT relprefetch.reset(1, 1, 1)',
'SELECT relprefetch.reset(0, 0, fingerprint) FROM relprefetch.stats ORDER BY calls LIMIT 1'
	  );
	return;
}

sub seq_explain
{
	my ($self, $st) = @_;
	push @{ $st->{stmts} },
	  $self->pick('EXPLAIN ANALYZE ', 'EXPLAIN ', 'EXPLAIN (ANALYZE, BUFFERS) ')
	  . $self->lookup;
	return;
}

sub seq_prepare
{
	my ($self, $st) = @_;
	my $p = 'p' . $self->int_below(3);
	push @{ $st->{stmts} }, "DEALLOCATE $p"
	  if grep { $_ eq $p } @{ $st->{prepared} };
	push @{ $st->{stmts} },
	  $self->pick(
		"PREPARE $p AS SELECT name FROM author WHERE id = \$1",
		"PREPARE $p(int) AS SELECT * FROM comment WHERE post_id = \$1",
"PREPARE $p(text) AS SELECT count(*) FROM relprefetch.fetch_json('post', jsonb_build_object('where', \$1))",
"PREPARE $p(int) AS SELECT relprefetch.fetch_children(NULL::post, NULL::comment[], child_limit => \$1)"
	  );
	@{ $st->{prepared} } = ((grep { $_ ne $p } @{ $st->{prepared} }), $p);
	return;
}

sub seq_execute
{
	my ($self, $st) = @_;
	my $p   = $self->pick(@{ $st->{prepared} });
	my $arg = $self->pick(1, 2, 3, "'id > 3'", "'nope'", -1, 'NULL');
	my $k   = $self->between(1, 7);
	push @{ $st->{stmts} }, "EXECUTE $p($arg)" for 1 .. $k;
	push @{ $st->{stmts} }, "EXPLAIN ANALYZE EXECUTE $p($arg)"
	  if $self->chance(0.2);
	return;
}

sub seq_do
{
	my ($self, $st) = @_;
	my $k = $self->between(1, 9);
	push @{ $st->{stmts} },
	  $self->pick(
"DO \$do\$ BEGIN FOR i IN 1..$k LOOP PERFORM name FROM author WHERE id = i; END LOOP; END \$do\$",
"DO \$do\$ BEGIN FOR i IN 1..$k LOOP BEGIN PERFORM 1/(i % 3); EXCEPTION WHEN division_by_zero THEN PERFORM relprefetch.end_unit(); END; END LOOP; END \$do\$",
"DO \$do\$ DECLARE r record; BEGIN FOR r IN SELECT * FROM relprefetch.fetch_json('post', '{\"include\": [\"comment\"]}') LOOP PERFORM name FROM author WHERE id = 1; EXIT WHEN random() < 0.2; END LOOP; END \$do\$",
"DO \$do\$ BEGIN FOR i IN 1..$k LOOP PERFORM count(*) FROM relprefetch.fetch_json('author', jsonb_build_object('where', 'id = ' || i)); END LOOP; END \$do\$",
"DO \$do\$ BEGIN PERFORM lookups($k); RAISE EXCEPTION 'boom' USING ERRCODE = 'P0001'; END \$do\$",
"DO \$do\$ BEGIN FOR i IN 1..$k LOOP PERFORM relprefetch.reset(0, 0, i); PERFORM name FROM author WHERE id = i; END LOOP; END \$do\$",
"DO \$do\$ DECLARE c refcursor; r record; BEGIN OPEN c FOR SELECT relprefetch.fetch_json('post', '{\"include\": [\"tags\"]}'); FETCH c INTO r; BEGIN FETCH c INTO r; PERFORM 1/0; EXCEPTION WHEN OTHERS THEN NULL; END; FETCH c INTO r; CLOSE c; END \$do\$"
	  );
	return;
}

sub seq_on_detect
{
	my ($self, $st) = @_;
	push @{ $st->{stmts} },
		($st->{in} ? $self->pick('SET LOCAL', 'SET') : 'SET')
	  . ' relprefetch.on_detect = '
	  . $self->pick(qw(error warning log notice none));
	return;
}

sub seq_lookups
{
	my ($self, $st) = @_;
	my $k = $self->weighted([ 3, 20 ], [ 5, 30 ], [ 6, 20 ], [ 12, 10 ]);
	my $q = $self->lookup;
	$q =~ s/= \d+$//;
	push @{ $st->{stmts} },
	  $q =~ /WHERE/
	  ? map { "$q= " . $self->between(1, 20) } 1 .. $k
	  : ($q) x $k;
	return;
}

sub seq_guc
{
	my ($self, $st) = @_;
	my $stmts = $st->{stmts};
	push @$stmts, $self->guc_stmt($st->{in});
	push @$stmts, $self->session_setup if $stmts->[-1] eq 'RESET ALL';
	return;
}

sub seq_ddl
{
	my ($self, $st) = @_;
	my @d = $self->ddl;
	my $d = @d > 1 ? [@d] : $d[0];
	# ALTER DOMAIN ... DROP CONSTRAINT in a transaction block makes DDL in a
	# later savepoint fail with SQLSTATE XX000 ("cannot start a
	# subtransaction when there are unprocessed inval messages"): a
	# PostgreSQL 15 bug, with or without relprefetch
	$d = "COMMENT ON DOMAIN posint IS 'p'"
	  if $st->{in} && !ref $d && $d =~ /^ALTER DOMAIN/;
	# a column's type changed under an open cursor over the fetch
	# functions: the fixed case ddl_under_cursor
	$d = 'ANALYZE comment'
	  if !$st->{known}
	  && open_cursors($st)
	  && !ref $d
	  && $d =~ /flip|ALTER COLUMN|ADD COLUMN/;
	push @{ $st->{stmts} }, ref $d ? @$d : $d;
	return;
}

sub seq_call
{
	my ($self, $st) = @_;
	push @{ $st->{stmts} }, 'CALL commit_loop(' . $self->between(1, 9) . ')';
	return;
}

sub seq_reconnect
{
	my ($self, $st) = @_;
	push @{ $st->{stmts} }, '\\connect', $self->session_setup;
	$st->{in} = 0;
	@{ $st->{$_} } = () for qw(cursors held savepoints prepared);
	return;
}

sub seq_fetchcall
{
	my ($self, $st) = @_;
	push @{ $st->{stmts} },
	  $self->fetch_json_stmt(
		$self->ql($self->pick(qw(post author comment tag))),
		$self->ql($self->pick(map { $_->[1] } @CORPUS)));
	return;
}

sub seq_multi
{
	my ($self, $st) = @_;
	# one query string of several statements (psql's \;)
	my $q = $self->lookup;
	push @{ $st->{stmts} },
	  join(
		' \\; ',
		($q) x $self->between(2, 6),
		$self->pick(
			'SELECT 1', 'SELECT 1/0', 'COMMIT', 'BEGIN',
			'SELECT relprefetch.end_unit()'));
	return;
}

###########################################################################
# Family: detect
###########################################################################

sub gen_detect
{
	my ($self) = @_;
	my $k      = $self->pick(2, 4, 5, 6, 9);
	my $tag    = $self->int_below(2000);
	my $form   = $self->int_below(14);
	my @stmts  = ($self->chance(0.8) ? 'BEGIN' : ());
	# mostly with detection on, whatever the settings inputs left behind,
	# so that many shapes repeat and the shared table evicts
	push @stmts, 'SET LOCAL relprefetch.enabled = on',
	  'SET LOCAL relprefetch.threshold = ' . $self->pick(2, 3, 5),
	  'SET LOCAL relprefetch.on_detect = ' . $self->pick('none', 'log', 'notice')
	  if @stmts && $self->chance(0.85);
	push @stmts, "SELECT id FROM post WHERE id < $tag" if $self->chance(0.5);
	for my $i (1 .. $k)
	{
		my $v = $self->between(1, 60);
		my $s =
		  $form == 0
		  ? "SELECT \$\$a$v\$\$ || 'b''$v' || E'\\n$v' || U&'\\0041' || B'1'::text || X'1F'::text AS x$tag /* c /* nested */ */"
		  : $form == 1
		  ? "SELECT 1e$i, .5, $v., 1.5e-3, -$v, +$v, 0x1F AS q$tag"
		  : $form == 2 ? "SELECT * FROM author WHERE id IN ("
		  . join(', ', 1 .. $i)
		  . ") AND $tag > 0"
		  : $form == 3
		  ? "SELECT \"Id\" FROM \"Odd \"\"Name\"\"\" WHERE \"Id\" = $v AND \"ünï\" > -$tag"
		  : $form == 4
		  ? "SELECT 'ünïcødé $v' || \$tag\$x\$tag\$ AS \"日本$tag\""
		  : $form == 5 ? "SELECT '"
		  . ('é' x (500 + $tag))
		  . "$v' AS long$tag, "
		  . ('1 + ' x 200) . '1'
		  : $form == 6
		  ? "select   NAME  from AUTHOR where ID=$v and $tag=$tag"
		  : $form == 7  ? "WITH x AS (SELECT $v AS v) SELECT v, $tag FROM x"
		  : $form == 8  ? "VALUES ($v, $tag)"
		  : $form == 9  ? "SELECT name FROM author WHERE id = $v FOR UPDATE"
		  : $form == 10 ? "SELECT $v -- trailing comment $tag\n"
		  : $form == 11
		  ? "SELECT name FROM author WHERE id = $v \\; SELECT title FROM post WHERE id = $v + $tag"
		  : $form == 12
		  ? "SELECT ARRAY[$v, $tag]::int[], '{$v}'::int[], ROW($v, 'x')"
		  : "TABLE author LIMIT $v OFFSET $tag";
		push @stmts, $s;
	}
	push @stmts,
	  $self->pick(
'SELECT query, calls FROM relprefetch.stats ORDER BY last_seen DESC LIMIT 3',
		'SELECT * FROM relprefetch.unit_queries()',
		'SELECT * FROM relprefetch.info',
		'SELECT 1');
	push @stmts, $self->pick('COMMIT', 'ROLLBACK') if $stmts[0] eq 'BEGIN';
	return @stmts;
}

###########################################################################
# Family: oracle
###########################################################################

# Deterministic filters of the shared tables, as SQL over alias-free
# columns
my %ORACLE_WHERE = (
	post => [
		'id > 3',
		'id % 3 = 0',
		"title LIKE '%1%'",
		'editor_id IS NULL',
		'score > 2',
		'true',
		'false'
	],
	author => [
		'id > 10',
		'country_id IS NULL',
		'mentor_id IS NOT NULL',
		"name <> 'author 3'"
	],
	comment =>
	  [ 'id % 2 = 0', 'parent_id IS NULL', 'id > 150', "body LIKE '%7%'" ],
	tag => [ 'active', 'NOT active', 'color IS NULL', 'id < 6' ],);

sub gen_oracle
{
	my ($self) = @_;
	my @stmts = ('SET relprefetch.fetch_batch_size = '
		  . $self->pick(1, 2, 3, 5, 7, 10000));
	if ($self->chance(0.25))
	{
		# fetch_children against the same arrays built in SQL
		my ($p, $c, $fk) = @{
			$self->pick(
				[qw(post comment post_id)], [qw(author post author_id)],
				[qw(tag post_tags tag_id)])
		};
		my $cw     = $self->pick(@{ $ORACLE_WHERE{$c} // ['true'] });
		my $pw     = $self->pick(@{ $ORACLE_WHERE{$p} // ['true'] });
		my $lim    = $self->pick('NULL', 0, 1, 2, 5);
		my $corder = $c eq 'post_tags' ? 'post_id'                     : 'id';
		my $via    = $p eq 'author' ? ", via => 'post_author_id_fkey'" : '';
		push @stmts, "SELECT fz.fz_check(
  (SELECT coalesce(jsonb_agg(jsonb_build_object('p', to_jsonb(t.parent), 'c', to_jsonb(t.children)) ORDER BY (t.parent).id), '[]')
   FROM relprefetch.fetch_children(NULL::fz.$p, NULL::fz.${c}[]$via, parent_where => "
		  . $self->ql($pw)
		  . ", child_where => "
		  . $self->ql($cw)
		  . ", child_order_by => '$corder', child_limit => $lim) t) =
  (SELECT coalesce(jsonb_agg(jsonb_build_object('p', to_jsonb(p), 'c',
     (SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.$corder), '[]') FROM (SELECT * FROM fz.$c c WHERE c.$fk = p.id AND ($cw) ORDER BY c.$corder LIMIT $lim) c)) ORDER BY p.id), '[]')
   FROM fz.$p p WHERE $pw),
  'fetch_children $p/$c')";
		return @stmts;
	}
	my $table  = $self->pick(qw(post post author));
	my $w      = $self->pick(@{ $ORACLE_WHERE{$table} });
	my $desc   = $self->chance(0.3) ? ' DESC' : '';
	my $limit  = $self->pick(undef, 0,     1, 5, 100);
	my $offset = $self->pick(undef, undef, 0, 2, 59);
	my @inc;
	my @sql;
	my @inner;    # the inner includes' conditions on the parent rows
	my @incs =
	  $table eq 'post'
	  ? (
		[
			'a',
			'{"path": "author_id"}',
			'(SELECT to_jsonb(a) FROM fz.author a WHERE a.id = p.author_id)'
		],
		[
			'e',
			'{"path": "editor_id", "include": {"co": {"path": "country"}}}',
'(SELECT to_jsonb(a) || jsonb_build_object(\'co\', (SELECT to_jsonb(co) FROM fz.country co WHERE co.id = a.country_id)) FROM fz.author a WHERE a.id = p.editor_id)'
		],
		[ 'c', 'COMMENT', 'COMMENT' ],
		[
			't',
			'{"path": "tags", "order_by": "id", "where": "TAGWHERE"}',
"coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM fz.tag t JOIN fz.post_tags pt ON pt.tag_id = t.id WHERE pt.post_id = p.id AND (TAGWHERE)), '[]')"
		],
		# a spread of several rows: a key per column, arrays of values
		[
			'...ts',
			'{"path": "tags", "spread": true, "columns": [{"tag_ids": "id"}, {"tag_names": "name"}], "order_by": "name DESC, id", "where": "TAGWHERE", "include": [{"tag_posts": {"path": "post", "columns": ["id"], "order_by": "id", "limit": 2}}]}',
"'tag_ids', coalesce((SELECT jsonb_agg(t.id ORDER BY t.name DESC, t.id) FROM fz.tag t JOIN fz.post_tags pt ON pt.tag_id = t.id WHERE pt.post_id = p.id AND (TAGWHERE)), '[]'), "
			  . "'tag_names', coalesce((SELECT jsonb_agg(t.name ORDER BY t.name DESC, t.id) FROM fz.tag t JOIN fz.post_tags pt ON pt.tag_id = t.id WHERE pt.post_id = p.id AND (TAGWHERE)), '[]'), "
			  . "'tag_posts', coalesce((SELECT jsonb_agg((SELECT coalesce(jsonb_agg(jsonb_build_object('id', q.id) ORDER BY q.id), '[]') FROM (SELECT q.id FROM fz.post_tags qt JOIN fz.post q ON q.id = qt.post_id WHERE qt.tag_id = t.id ORDER BY q.id LIMIT 2) q) ORDER BY t.name DESC, t.id) FROM fz.tag t JOIN fz.post_tags pt ON pt.tag_id = t.id WHERE pt.post_id = p.id AND (TAGWHERE)), '[]')"
		])
	  : (
		[
			'po',
'{"path": "post", "via": "post_author_id_fkey", "order_by": "id DESC", "limit": 2}',
"coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id DESC) FROM (SELECT * FROM fz.post x WHERE x.author_id = p.id ORDER BY x.id DESC LIMIT 2) x), '[]')"
		],
		[
			'm',
			'{"path": "mentor_id"}',
			'(SELECT to_jsonb(m) FROM fz.author m WHERE m.id = p.mentor_id)'
		],
		[
			'pupils',
			'{"path": "author", "order_by": "id"}',
"coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM fz.author x WHERE x.mentor_id = p.id), '[]')"
		],
		[
			'...ps',
'{"path": "post", "via": "post_author_id_fkey", "spread": true, "columns": [{"post_ids": "id"}], "order_by": "id DESC", "limit": 2, "include": [{"editor_id": {"spread": true, "columns": [{"editors": "name"}]}}]}',
"'post_ids', coalesce((SELECT jsonb_agg(x.id ORDER BY x.id DESC) FROM (SELECT * FROM fz.post x WHERE x.author_id = p.id ORDER BY x.id DESC LIMIT 2) x), '[]'), "
			  . "'editors', coalesce((SELECT jsonb_agg((SELECT e.name FROM fz.author e WHERE e.id = x.editor_id) ORDER BY x.id DESC) FROM (SELECT * FROM fz.post x WHERE x.author_id = p.id ORDER BY x.id DESC LIMIT 2) x), '[]')"
		]);

	for my $i (@incs)
	{
		next unless $self->chance(0.5);
		my ($key, $spec, $sql) = @$i;
		if ($spec eq 'COMMENT')
		{
			my $cw      = $self->pick(@{ $ORACLE_WHERE{comment} });
			my $cl      = $self->pick(undef, 0, 1, 3);
			my $replies = $self->chance(0.5);
			$spec =
				'{"path": "comment", "order_by": "id", "where": '
			  . json_string($cw)
			  . (defined $cl ? ", \"limit\": $cl" : '')
			  . (
				$replies
				? ', "include": {"r": {"path": "comment", "order_by": "id DESC"}}'
				: '') . '}';
			my $row =
			  $replies
			  ? "to_jsonb(c) || jsonb_build_object('r', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.id DESC) FROM fz.comment r WHERE r.parent_id = c.id), '[]'))"
			  : 'to_jsonb(c)';
			$sql =
"coalesce((SELECT jsonb_agg($row ORDER BY c.id) FROM (SELECT * FROM fz.comment c WHERE c.post_id = p.id AND ($cw) ORDER BY c.id"
			  . (defined $cl ? " LIMIT $cl" : '')
			  . ") c), '[]')";
		}
		if ($spec =~ /TAGWHERE/)
		{
			my $tw = $self->pick(@{ $ORACLE_WHERE{tag} });
			$spec =~ s/TAGWHERE/$tw/;
			$sql  =~ s/TAGWHERE/$tw/g;
		}
		# a spread: its keys are the SQL's own pairs
		if ($key =~ s/^\.\.\.//)
		{
			push @inc, "\"$key\": $spec";
			push @sql, $sql;
			next;
		}
		# inner: only the parent rows that have one of its rows
		if (($key eq 'a' || $key eq 'c' || $key eq 't') && $self->chance(0.3))
		{
			$spec =~ s/^\{/{"inner": true, /;
			push @inner,
			  $key eq 'a'
			  ? "p.author_id IN (SELECT id FROM fz.author)"
			  : "$sql NOT IN ('[]'::jsonb)";
		}
		push @inc, "\"$key\": $spec";
		push @sql, "'$key', $sql";
	}
	# "order" by a column of a to-one related row, now and then
	my $byrel = $self->chance(0.3) ? $self->pick(
		$table eq 'post'
		? (
			[ 'author_id.name desc nulls last', '(SELECT a.name FROM fz.author a WHERE a.id = p.author_id)', 'fz_rel DESC NULLS LAST' ],
			[ 'editor__country.code', '(SELECT c.code FROM fz.author a JOIN fz.country c ON c.id = a.country_id WHERE a.id = p.editor_id)', 'fz_rel' ],
			# "author" fits two foreign keys: "!" and a via choose
			[ 'author!post_editor_id_fkey.name desc', '(SELECT a.name FROM fz.author a WHERE a.id = p.editor_id)', 'fz_rel DESC' ])
		: ([ 'mentor.name nulls first', '(SELECT m.name FROM fz.author m WHERE m.id = p.mentor_id)', 'fz_rel NULLS FIRST' ])) : undef;
	my $sqlrel   = $byrel ? $byrel->[1] : 'NULL::text';
	my $sqlorder = ($byrel ? "$byrel->[2], " : '') . "p.id$desc";
	my $spec =
		'{"where": '
	  . json_string($w)
	  . (
		  $byrel ? ", \"order\": \"$byrel->[0], id$desc\""
		: $self->chance(0.5) ? ", \"order_by\": \"id$desc\""
		:                      ", \"order\": \"id$desc\"")
	  . (defined $limit  ? ", \"limit\": $limit"          : '')
	  . (defined $offset ? ", \"offset\": $offset"        : '')
	  . (@inc ? ', "include": {' . join(', ', @inc) . '}' : '') . '}';
	my $obj =
	  @sql
	  ? "(to_jsonb(p) - 'fz_rel') || jsonb_build_object(" . join(', ', @sql) . ')'
	  : "(to_jsonb(p) - 'fz_rel')";
	my $form = $self->pick('from', 'tlist');
	my $got =
	  $form eq 'from'
	  ? "(SELECT coalesce(jsonb_agg(x::jsonb ORDER BY n), '[]') FROM relprefetch.fetch_json('fz.$table', "
	  . $self->ql($spec)
	  . ") WITH ORDINALITY AS f(x, n))"
	  : "(SELECT coalesce(jsonb_agg(x), '[]') FROM (SELECT relprefetch.fetch_json('fz.$table', "
	  . $self->ql($spec)
	  . ")::jsonb AS x) f)";
	push @stmts, "SELECT fz.fz_check($got =
  (SELECT coalesce(jsonb_agg($obj ORDER BY $sqlorder), '[]') FROM (SELECT *, $sqlrel AS fz_rel FROM fz.$table p WHERE ($w)"
	  . join('', map { " AND $_" } @inner)
	  . " ORDER BY $sqlorder"
	  . (defined $limit  ? " LIMIT $limit"   : '')
	  . (defined $offset ? " OFFSET $offset" : '') . ") p),
  " . $self->ql("fetch_json $table $spec") . ')';
	return @stmts;
}

###########################################################################
# Fixed cases
###########################################################################

# Inputs found by fuzzing that crashed the server or failed with an
# internal error, run by every fuzz test: a list of { name, what, sql }
# (sql: statements separated by ";\n", run by psql in one session, in a
# schema of its own), read from t/fuzz_fixed_cases.sql (its header tells
# the format).
sub fixed_cases
{
	my ($setup, @cases) = ('');
	# the file cut at its "-- @@" lines: what comes before, then head and
	# body of each section
	my (undef, @parts) = split /^-- \@\@ (setup|case \S+)\n/m,
	  data_file('fuzz_fixed_cases.sql');
	while (my ($head, $body) = splice @parts, 0, 2)
	{
		$body =~ s/\n+\z/\n/;    # the blank lines between sections
		if ($head eq 'setup')
		{
			$setup = $body;
			next;
		}
		my ($what, $sql) = $body =~ /\A((?:-- [^\n]*\n)*)(.*)\z/s;
		push @cases,
		  {
			name => $head =~ s/^case //r,
			what => join(' ', $what =~ /^-- (.*)$/mg),
			sql  => $setup . $sql
		  };
	}
	return @cases;
}

1;
