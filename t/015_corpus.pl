# Detection quality, measured on a labelled corpus of ORM traffic
# (corpus/, described in the README's "Detection quality"): each scenario
# is a small program run by a real ORM or driver (Django, SQLAlchemy,
# ActiveRecord, node-postgres, Sequelize, knex) against the blog schema of
# examples/django; corpus/labels.json says which loops relprefetch.stats
# must show after it, and that nothing else may be there.
#
# Each scenario runs in a process of its own against a fresh statistics
# state (relprefetch.reset()); then every stats row is matched to the
# scenario's labels: a row no label matches is a false positive; a label no
# row matches is a missed loop; a matched row whose source query or foreign
# key differs from the label's is a wrong source or a wrong foreign key.
#
# Which labels are asserted depends on the server:
#   - when the setting relprefetch.require_proof exists (proven loops), the
#     corpus runs with it on and every label is asserted (no false
#     positive, every loop found with its source and foreign key), then
#     again with it off, reported only;
#   - before that, only today's detector runs: every labelled loop must be
#     found (recall), and the false positives, wrong sources and wrong
#     foreign keys are printed, not failed on (today's detector flags some
#     clean runs: what proven loops are for).
# With require_proof on, every suggested_call of the stats rows is run as it
# is and must not fail. The report, one table per mode and the suggested
# calls with the rows each returned, is printed and written to
# tmp_check/corpus_report.md.
#
# The servers' relprefetch.unit_gap is 200 ms rather than 50 ms, so that a
# stall of this (shared, 2-core) machine does not split a loop in two; the
# hot-pool scenarios' requests, 0 to 20 ms apart, merge all the same.
#
# The runtimes come from Debian (python3-django, python3-psycopg2,
# python3-sqlalchemy, ruby-activerecord, ruby-pg, nodejs) and npm (pg,
# sequelize, knex, installed by scripts/setup.sh into the folder named by
# RP_CORPUS_NODE_MODULES, /opt/relprefetch-corpus/node_modules by default);
# the scenarios of a missing runtime are skipped and the report says so.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

# The chroots of scripts/versions.sh test the other majors: detection's
# quality is measured on the host's (scripts/test.sh --no-corpus).
plan skip_all => 'the corpus runs on the host\'s major only (--no-corpus)'
  if ($ENV{RP_NO_CORPUS} // '') eq '1';

my $corpus = "$FindBin::RealBin/../corpus";
my $example = "$FindBin::RealBin/../examples/django";
foreach my $f ("$corpus/labels.json", "$example/manage.py")
{
	# Not a skip: without the corpus this test must fail.
	if (!-f $f)
	{
		fail("$f exists (corpus/ and examples/ must sit next to t/)");
		done_testing();
		exit;
	}
}

my $labels = do
{
	local $/;
	open(my $fh, '<', "$corpus/labels.json") or die "labels.json: $!";
	decode_json(<$fh>);
};

# --- Runtimes ---------------------------------------------------------------

my $node_modules = $ENV{RP_CORPUS_NODE_MODULES}
  // '/opt/relprefetch-corpus/node_modules';
my %interpreter = (
	python => [ '/usr/bin/python3', '-c', 'import django, psycopg2, sqlalchemy' ],
	ruby => [ 'ruby', '-e', 'require "active_record"; require "pg"' ],
	node => [ 'node', '-e', 'require("pg"); require("sequelize"); require("knex")' ],);
my %program = (python => '/usr/bin/python3', ruby => 'ruby', node => 'node');
my %missing;

$ENV{NODE_PATH} = $node_modules;
$ENV{PYTHONDONTWRITEBYTECODE} = '1';
delete @ENV{
	qw(PGOPTIONS PGSERVICE PGHOSTADDR PYTHONPATH PYTHONHOME PYTHONSTARTUP
	  DJANGO_SETTINGS_MODULE RUBYOPT RUBYLIB NODE_OPTIONS)
};
foreach my $lang (sort keys %interpreter)
{
	my ($out, $err) = ('', '');
	my $ok = eval {
		IPC::Run::run($interpreter{$lang}, '<', \undef, '>', \$out, '2>',
			\$err, IPC::Run::timeout(60));
	};
	$missing{$lang} = 1 if !$ok;
}
if (%missing)
{
	diag('runtimes missing (their scenarios are skipped; scripts/setup.sh installs them): '
		  . join(', ', sort keys %missing));
}

# --- The server and the blog ------------------------------------------------

my $node = start_relprefetch_node("relprefetch.unit_gap" => "'200ms'");
$node->safe_psql('postgres', 'CREATE DATABASE corpus');

$ENV{PGHOST} = $node->host;
$ENV{PGPORT} = $node->port;
$ENV{PGDATABASE} = 'corpus';
$ENV{PGUSER} = scalar getpwuid($<);

# run one program from the corpus folder: (exit status, stdout, stderr)
sub run_program
{
	my ($argv, $options) = @_;
	my ($out, $err) = ('', '');
	local $ENV{PGOPTIONS} = $options if defined $options;
	# the Django test settings live in the corpus folder
	local $ENV{PYTHONPATH} = $corpus;
	my $rc = eval {
		IPC::Run::run($argv, init => sub { chdir($corpus) or die },
			'<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(180));
		$? >> 8;
	};
	if (!defined $rc)
	{
		$err .= "\n$@";
		$rc = -1;
	}
	return ($rc, $out, $err);
}

if (!$missing{python})
{
	foreach my $step ([ 'migrate', '--noinput' ], ['load_blog'])
	{
		my ($rc, $out, $err) =
		  run_program([ $program{python}, "$example/manage.py", @$step ]);
		is($rc, 0, "manage.py @$step") or diag($err);
	}
	$node->safe_psql('corpus', slurp_file("$corpus/schema.sql"));
}
else
{
	plan skip_all => 'the blog is made by Django: /usr/bin/python3 cannot import django';
}

# Foreign keys as table(columns), by constraint name
my %fk_columns;
foreach my $line (
	split /\n/,
	$node->safe_psql(
		'corpus', q{
	SELECT c.conname, c.conrelid::regclass::text || '(' ||
	       string_agg(a.attname, ',' ORDER BY k.ord) || ')'
	FROM pg_constraint c
	CROSS JOIN unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
	JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
	WHERE c.contype = 'f'
	GROUP BY c.oid, c.conname, c.conrelid}))
{
	my ($name, $cols) = split /\|/, $line;
	$fk_columns{$name} = $cols;
}

# --- Modes ------------------------------------------------------------------

my ($show_rc) = $node->psql('postgres', 'SHOW relprefetch.require_proof');
my $has_proof = $show_rc == 0;
my @modes =
  $has_proof
  ? ([ 'require_proof = on', 'on', 1 ], [ 'require_proof = off', 'off', 0 ])
  : ([ "today's detector", undef, 0 ]);
note(
	$has_proof
	? 'relprefetch.require_proof exists: every label asserted with it on; '
	  . 'with it off, reported only'
	: 'relprefetch.require_proof does not exist yet: today\'s detector, '
	  . 'recall asserted; false positives, wrong sources and wrong foreign '
	  . 'keys reported, not asserted');

my $stats_sql = q{
	SELECT json_agg(json_build_object('query', query, 'source', source_query,
		'relation', relation, 'foreign_key', foreign_key, 'calls', calls,
		'call', suggested_call)
		ORDER BY query COLLATE "C")
	FROM relprefetch.stats};

# the suggested calls of proven loops, each run once (in the report)
my @calls;

my @report;
foreach my $mode (@modes)
{
	my ($mode_name, $proof, $strict) = @$mode;
	if (defined $proof)
	{
		$node->safe_psql('postgres',
			"ALTER SYSTEM SET relprefetch.require_proof = $proof");
		$node->reload;
		$node->poll_query_until('postgres',
			'SHOW relprefetch.require_proof', $proof);
	}
	my @rows;
	foreach my $s (@{ $labels->{scenarios} })
	{
		my $row = run_scenario($s, $mode_name, $strict);
		push @rows, $row if $row;
	}
	push @report, [ $mode_name, \@rows, $strict ];
}

# run one scenario, compare, assert; returns its report row
sub run_scenario
{
	my ($s, $mode_name, $strict) = @_;
	my $name = "$mode_name: $s->{name}";
	my ($lang, @args) = @{ $s->{run} };
	my @loops = @{ $s->{loops} };
	my %row = (
		name => $s->{name},
		orm => $s->{orm},
		expected => scalar(@loops),
		map { $_ => 0 } qw(found missed fp wrong_source wrong_fk));
	if ($missing{$lang})
	{
	  SKIP:
		{
			skip("$name: $lang is missing", 1);
		}
		$row{skipped} = 1;
		return \%row;
	}

	$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
	my ($rc, $out, $err) =
	  run_program([ $program{$lang}, @args ], $s->{options});
	my $stats = decode_json(
		$node->safe_psql('postgres', $stats_sql) || '[]') // [];

	# The run itself: 0, or for a run with on_detect = error, 0 exactly
	# when nothing is detected (its failure is a detection outcome).
	if ($s->{on_detect_error} && !$strict)
	{
		$row{note} = "exit $rc" if $rc != 0;
	}
	else
	{
		is($rc, 0, "$name: the program runs") or diag($err);
	}

	my @found = (0) x @loops;
	my @problems;
	foreach my $r (@$stats)
	{
		my $i = first_match(\@loops, \@found, $r->{query});
		if (!defined $i)
		{
			$row{fp}++;
			push @problems, "false positive: $r->{calls} x " . short($r->{query});
			next;
		}
		$found[$i] = 1;
		my $l = $loops[$i];
		my $src_ok =
		  defined $l->{source}
		  ? (defined $r->{source} && $r->{source} =~ /$l->{source}/s)
		  : !defined $r->{source};
		if (!$src_ok)
		{
			$row{wrong_source}++;
			push @problems,
			  'wrong source: ' . short($r->{query}) . ' after '
			  . short($r->{source} // 'NULL');
		}
		if (exists $l->{foreign_key})
		{
			my $fk =
			  defined $r->{foreign_key}
			  ? ($fk_columns{ $r->{foreign_key} } // $r->{foreign_key})
			  : undef;
			my $want = $l->{foreign_key};
			if (($fk // 'NULL') ne ($want // 'NULL')
				|| ($r->{relation} // '') ne $l->{relation})
			{
				$row{wrong_fk}++;
				push @problems,
				  'wrong foreign key: ' . short($r->{query}) . ': '
				  . ($r->{relation} // 'NULL') . ' via ' . ($fk // 'NULL');
			}
		}
		elsif (($r->{relation} // '') ne $l->{relation})
		{
			$row{wrong_fk}++;
			push @problems, 'wrong relation: ' . short($r->{query}) . ': '
			  . ($r->{relation} // 'NULL');
		}
	}
	# Every suggested call of a proven loop runs as it is.
	if ($strict)
	{
		foreach my $r (grep { defined $_->{call} } @$stats)
		{
			my ($crc, $cout, $cerr) = $node->psql('corpus',
				"SELECT count(*) FROM ($r->{call}) s");
			is($crc, 0, "$name: the suggested call runs: $r->{call}")
			  or diag($cerr);
			push @calls, "| $s->{name} | `$r->{call}` | $cout |";
		}
	}

	$row{found} = grep { $_ } @found;
	$row{missed} = @loops - $row{found};
	for my $i (0 .. $#loops)
	{
		push @problems, "missed: $loops[$i]{query}" if !$found[$i];
	}

	# Recall is asserted in every mode, the rest where the labels must hold.
	is($row{missed}, 0,
		"$name ($s->{orm}, $s->{what}): all $row{expected} labelled loops found")
	  or diag(join("\n", @problems));
	if ($strict)
	{
		is_deeply([ @row{qw(fp wrong_source wrong_fk)} ], [ 0, 0, 0 ],
			"$name: no false positive, wrong source or wrong foreign key")
		  or diag(join("\n", @problems));
	}
	elsif (@problems)
	{
		note("$name: $_") foreach @problems;
	}
	return \%row;
}

# the first label not yet matched whose query matches, else the first one
# matched already (a second row of one loop is a false positive)
sub first_match
{
	my ($loops, $found, $query) = @_;
	for my $i (0 .. $#$loops)
	{
		return $i if !$found->[$i] && $query =~ /$loops->[$i]{query}/s;
	}
	return undef;
}

sub short
{
	my ($sql) = @_;
	$sql =~ s/\s+/ /g;
	return length($sql) > 90 ? substr($sql, 0, 87) . '...' : $sql;
}

# --- The report ---------------------------------------------------------------

my $text = '';
foreach my $r (@report)
{
	my ($mode_name, $rows, $strict) = @$r;
	$text .= "### $mode_name" . ($strict ? ' (asserted)' : '') . "\n\n";
	$text .= "| scenario | ORM | expected loops | found | missed | false positives | wrong source | wrong FK |\n";
	$text .= "|---|---|---|---|---|---|---|---|\n";
	my %t = map { $_ => 0 } qw(expected found missed fp wrong_source wrong_fk);
	my ($clean, $clean_flagged, $runs) = (0, 0, 0);
	foreach my $row (@$rows)
	{
		if ($row->{skipped})
		{
			$text .= "| $row->{name} | $row->{orm} | $row->{expected} | skipped: runtime missing |||||\n";
			next;
		}
		$runs++;
		$text .= sprintf("| %s | %s | %d | %d | %d | %d | %d | %d |\n",
			$row->{name} . ($row->{note} ? " ($row->{note})" : ''),
			$row->{orm}, @$row{qw(expected found missed fp wrong_source wrong_fk)});
		$t{$_} += $row->{$_} foreach keys %t;
		if ($row->{expected} == 0)
		{
			$clean++;
			$clean_flagged++ if $row->{fp};
		}
	}
	$text .= sprintf("| **total** (%d runs) | | %d | %d | %d | %d | %d | %d |\n\n",
		$runs, @t{qw(expected found missed fp wrong_source wrong_fk)});
	$text .= orm_table($rows);
	$text .= sprintf(
		"recall %d/%d = %.0f%%; false positives: %d rows in %d runs (%.2f per run); "
		  . "clean runs flagged: %d of %d (%.2f false positives per clean run); "
		  . "of the loops found, wrong source %d, wrong foreign key %d\n\n",
		$t{found}, $t{expected},
		$t{expected} ? 100 * $t{found} / $t{expected} : 100,
		$t{fp}, $runs, $runs ? $t{fp} / $runs : 0,
		$clean_flagged, $clean,
		$clean ? (sum_fp_clean($rows) / $clean) : 0,
		$t{wrong_source}, $t{wrong_fk});
}

# the same figures by ORM, in the order the ORMs first appear
sub orm_table
{
	my ($rows) = @_;
	my (@orms, %t);
	foreach my $row (grep { !$_->{skipped} } @$rows)
	{
		my $o = $row->{orm};
		if (!$t{$o})
		{
			push @orms, $o;
			$t{$o} = { map { $_ => 0 }
				  qw(runs expected found missed fp clean flagged wrong_source wrong_fk) };
		}
		my $t = $t{$o};
		$t->{runs}++;
		$t->{$_} += $row->{$_} foreach qw(expected found missed fp wrong_source wrong_fk);
		if (!$row->{expected})
		{
			$t->{clean}++;
			$t->{flagged}++ if $row->{fp};
		}
	}
	my $text =
	    "| ORM | scenarios | expected loops | found | missed | false positives | clean runs flagged | wrong source | wrong FK |\n"
	  . "|---|---|---|---|---|---|---|---|---|\n";
	my %sum;
	foreach my $o (@orms, undef)
	{
		my $t = defined $o ? $t{$o} : \%sum;
		$text .= sprintf("| %s | %d | %d | %d | %d | %d | %d of %d | %d | %d |\n",
			$o // '**total**',
			@$t{qw(runs expected found missed fp flagged clean wrong_source wrong_fk)});
		next if !defined $o;
		$sum{$_} += $t->{$_} foreach keys %$t;
	}
	return "$text\n";
}

sub sum_fp_clean
{
	my ($rows) = @_;
	my $n = 0;
	$n += $_->{fp} foreach grep { !$_->{skipped} && !$_->{expected} } @$rows;
	return $n;
}

$text .= "Suggested calls of the proven loops (each run; rows it returns):\n\n"
  . "| scenario | suggested_call | rows |\n|---|---|---|\n"
  . join("\n", @calls) . "\n"
  if @calls;
my $file = "$PostgreSQL::Test::Utils::tmp_check/corpus_report.md";
open(my $fh, '>', $file) or die "$file: $!";
print $fh $text;
close($fh);
diag("detection quality (also in $file):\n\n$text");

done_testing();
