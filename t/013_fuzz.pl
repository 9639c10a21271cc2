# Fuzzes relprefetch for a bounded time with a fixed seed: every input must
# end in a result or a clean error, never a crash or an internal error.
#
# The inputs come from t/RelprefetchFuzz.pm (its header lists the seven
# families: fetch_json specs, fetch_children calls, where / order_by
# fragments, settings, odd statement sequences, detection of odd statements,
# and oracle comparisons with plain SQL).  Three long-lived psql sessions
# (ON_ERROR_STOP off; each as a role of its own, the second one without
# superuser) each run their own stream of inputs, sent in batches of 10;
# after every statement psql echoes its SQLSTATE, so each statement's
# outcome is counted by family and SQLSTATE.  relprefetch.max = 100 makes
# the shared table evict, and max_prepared_transactions lets PREPARE
# TRANSACTION run.  A crash does not end the run: the sessions wait for the
# server to come back and go on (after three crashes, without the inputs of
# the known bugs, so that the rest of the run can find others).
#
# Settings (environment):
#   RP_FUZZ_SECONDS      time given to the random inputs (default 60)
#   RP_FUZZ_SEED         seed of the streams (default 20241125)
#   RP_FUZZ_AVOID_KNOWN  1: the generator leaves out the inputs that hit
#                        the bugs of the fixed cases, to look for others
#   RP_FUZZ_FAMILIES     only these families (comma-separated names)
#   RP_FUZZ_LOG_ALL      1: log every statement (log_statement = all), to
#                        replay what a session ran before a failure
#
# Asserted, for the random inputs:
#   - no server process was terminated by a signal or exited abnormally,
#     and the postmaster is the same (same PID and start time);
#   - no statement failed with an internal error (SQLSTATE XX000-XX002),
#     neither as psql saw it nor in the server log (log_line_prefix has
#     %e), and no "cache lookup failed" anywhere in the log;
#   - no PANIC and no FATAL in the log;
#   - no oracle input found a difference (SQLSTATE FZ001);
#   - every statement sent reported its outcome.
# Then the fixed cases of RelprefetchFuzz::fixed_cases (inputs that crashed
# the server or raised an internal error), each in a session of its own.
# Afterwards the extension still works: after relprefetch.reset() an N+1
# unit of 7 lookups is counted exactly, a known fetch_json and
# fetch_children call give the known results, and the shared tables were
# not written by any fragment.
#
# The figures (inputs and statements by family, outcomes by SQLSTATE) are
# printed with note(): run with prove -v, or read the test's log.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Utils;
use RelprefetchFuzz qw(schema_sql fixed_cases);
use RelprefetchTest;
use Test::More;
use Time::HiRes qw(time usleep);

# a psql that has exited must not kill the test when it is written to
$SIG{PIPE} = 'IGNORE';

my $seconds     = $ENV{RP_FUZZ_SECONDS}     // 60;
my $seed        = $ENV{RP_FUZZ_SEED}        // 20241125;
my $avoid_known = $ENV{RP_FUZZ_AVOID_KNOWN} // 0;
my @families    = split /,/, ($ENV{RP_FUZZ_FAMILIES} // '');
my $log_all     = $ENV{RP_FUZZ_LOG_ALL} // 0;
my $nsessions   = 3;
my $batch_size  = 10;     # inputs sent to a session at a time
my $batch_limit = 120;    # seconds a batch may take before the test gives up
my $max_crashes = 25;     # past this, stop sending random inputs

note "fuzz: seed $seed, $seconds s, $nsessions sessions"
  . ($avoid_known ? ', known bugs avoided' : '')
  . (@families    ? ", families @families" : '');

my $node = start_relprefetch_node(
	'relprefetch.max'         => 100,
	max_prepared_transactions => 10,
	max_connections           => 30,
	restart_after_crash       => 'on',
	log_line_prefix           => "'%m [%p] %e %a '",
	log_min_messages          => 'warning',
	log_min_error_statement   => 'error',
	log_error_verbosity       => 'default',
	log_statement             => $log_all ? 'all' : 'none');

my $superuser = $node->safe_psql('postgres', 'SELECT current_user');
$node->safe_psql(
	'postgres', qq{
CREATE ROLE fuzz_user LOGIN;
GRANT CREATE ON DATABASE postgres TO fuzz_user;
CREATE ROLE fuzz_admin LOGIN SUPERUSER;
});

# The shared schema fz, which no input alters, and one per session
$node->safe_psql('postgres', schema_sql('fz'));
$node->safe_psql('postgres',
'GRANT USAGE ON SCHEMA fz TO fuzz_user; GRANT SELECT ON ALL TABLES IN SCHEMA fz TO fuzz_user'
);
for my $s (1 .. $nsessions)
{
	$node->safe_psql('postgres', schema_sql("fz$s"),
		extra_params => [ '-U', session_user($s) ]);
}

# Session 1 runs as the bootstrap superuser, 2 as a role without superuser,
# 3 as another superuser: each alters the settings of its own role only
sub session_user
{
	my ($s) = @_;
	return ($superuser, 'fuzz_user', 'fuzz_admin')[ $s - 1 ];
}

my $start_time =
  $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $postmaster_pid = postmaster_pid();

sub postmaster_pid
{
	my $pidfile = slurp_file($node->data_dir . '/postmaster.pid');
	return (split /\n/, $pidfile)[0];
}

###########################################################################
# The sessions
###########################################################################

my @sessions;
my %inputs_by_family;
my %stmts_by_family;
my %outcomes;             # family => sqlstate => count
my @internal;             # statements that failed with XX000-XX002
my @oracle_failures;      # statements that failed with FZ001
my @crashes;              # { pid, statement, input }
my @lost;                 # sessions that lost their connection
my $unaccounted  = 0;     # statements sent whose outcome never came
my $cut_by_crash = 0;     # the same, in batches that a crash cut short
my @no_state;             # statements after which psql had no SQLSTATE
my $max_evictions = 0;    # the most relprefetch.info showed during the run
my $log_offset    = -s $node->logfile;

sub start_session
{
	my ($s)  = @_;
	my $sess = $sessions[$s] //= {
		no  => $s,
		gen => RelprefetchFuzz->new(
			seed        => $seed,
			session     => $s,
			avoid_known => $avoid_known,
			families    => (@families ? \@families : undef)),
		batch => 0,
	};
	@$sess{qw(in out pending pid)} = ('', '', 0, 0);
	# psql's errors go to a file: a pipe would fill up with the long
	# messages of long inputs and stop psql (and the server) while this
	# script writes psql's input
	$sess->{errfile} = $node->basedir . "/fuzz_session$s.err";
	$sess->{h}       = IPC::Run::start(
		[
			'psql',
			'-X',
			'-q',
			'-v',
			'ON_ERROR_STOP=0',
			'-d',
			$node->connstr('postgres')
			  . ' user='
			  . session_user($s)
			  . " application_name=fuzz$s"
		],
		'<',
		\$sess->{in},
		'>',
		\$sess->{out},
		'2>>',
		$sess->{errfile});
	$sess->{in} .=
		"\\o /dev/null\n\\set SHOW_CONTEXT never\n"
	  . pid_echo()
	  . join('', map { "$_;\n" } $sess->{gen}->session_setup);
	return $sess;
}

# psql lines that echo the backend's PID
sub pid_echo
{
	return
"SELECT pg_backend_pid() AS fuzz_pid \\gset\n\\echo \@\@PID :fuzz_pid\n";
}

sub send_batch
{
	my ($sess) = @_;
	my $text = '';
	my %batch;
	my @order;
	for (1 .. $batch_size)
	{
		my $input = $sess->{gen}->next_input;
		$batch{ $input->{id} } = $input;
		push @order, $input->{id};
		$input->{done} = 0;
		$inputs_by_family{ $input->{family} }++;
		my $j = 0;
		for my $stmt (@{ $input->{stmts} })
		{
			$text .= $stmt =~ /^\\/ ? "$stmt\n" . pid_echo() : "$stmt;\n";
			$text .= "\\echo \@\@ $input->{id} $j :SQLSTATE\n";
			$j++;
		}
	}
	$sess->{batch}++;
	$text .= "\\echo \@\@END $sess->{batch}\n";
	utf8::encode($text);
	$sess->{in} .= $text;
	$sess->{inputs}  = \%batch;
	$sess->{order}   = \@order;
	$sess->{pending} = 1;
	$sess->{sent_at} = time;
	return;
}

# Read what a session echoed: outcomes, PIDs, the end of its batch
sub collect
{
	my ($sess) = @_;
	my $pos = 0;
	while ((my $nl = index($sess->{out}, "\n", $pos)) >= 0)
	{
		my $line = substr($sess->{out}, $pos, $nl - $pos);
		$pos = $nl + 1;
		if ($line =~ /^\@\@ (\S+) (\d+) (\S*)$/)
		{
			my ($id, $j, $state) = ($1, $2, $3);
			my $input = $sess->{inputs}{$id} or next;
			my $stmt  = $input->{stmts}[$j];
			$state = 'meta' if $stmt =~ /^\\/;
			$outcomes{ $input->{family} }{$state}++;
			$stmts_by_family{ $input->{family} }++;
			$input->{done} = $j + 1;
			if ($state =~ /^XX00[0-2]$/)
			{
				push @internal,
				  "$state in input $id ($input->{family}), statement $j: "
				  . substr($stmt, 0, 2000);
			}
			elsif ($state eq '')
			{
				push @no_state,
				  "input $id, statement $j: " . substr($stmt, 0, 300);
			}
			elsif ($state eq 'FZ001')
			{
				push @oracle_failures, "input $id: " . substr($stmt, 0, 4000);
			}
		}
		elsif ($line =~ /^\@\@PID (\d+)$/)
		{
			$sess->{pid} = $1;
		}
		elsif ($line =~ /^\@\@END (\d+)$/ && $1 == $sess->{batch})
		{
			$sess->{pending} = 0;
		}
	}
	substr($sess->{out}, 0, $pos, '');
	return;
}

# The end of what a session's psql wrote to stderr
sub psql_said
{
	my ($sess) = @_;
	my $size   = -s $sess->{errfile} // 0;
	my $said = slurp_file($sess->{errfile}, $size > 2000 ? $size - 2000 : 0);
	return $said eq '' ? '(nothing)' : $said;
}

# The statements of a batch that reported no outcome: how many, and the
# first input not finished
sub unfinished
{
	my ($sess) = @_;
	my ($first, $left) = (undef, 0);
	return (undef, 0) unless $sess->{pending};
	for my $id (@{ $sess->{order} })
	{
		my $input = $sess->{inputs}{$id};
		my $n     = @{ $input->{stmts} } - $input->{done};
		next unless $n > 0;
		$left += $n;
		$first //= $input;
	}
	return ($first, $left);
}

# New lines of the server log since the last look
sub new_log
{
	my $log = slurp_file($node->logfile, $log_offset);
	$log_offset += length $log;
	return $log;
}

# A session's psql has exited: the connection was lost.  Find out whether
# the server crashed, wait for it to come back, and start the session again.
sub session_died
{
	my ($sess) = @_;
	$sess->{h}->finish;
	collect($sess);
	my ($input, $left) = unfinished($sess);
	my $what =
	  $input
	  ? "input $input->{id} ($input->{family}): "
	  . join(";\n",
		@{ $input->{stmts} }[ $input->{done} .. $#{ $input->{stmts} } ])
	  : 'between batches';
	# the postmaster notices a crash at once; give the log a moment
	usleep(300_000);
	my $log     = new_log();
	my $crashed = 0;
	while ($log =~
/(?:server process|client backend) \(PID (\d+)\) (?:was terminated by (?:signal|exception) [^\n]*|exited with exit code [1-9][^\n]*)\n(?:[^\n]*DETAIL:  Failed process was running: ([^\n]*))?/g
	  )
	{
		my ($pid, $stmt) = ($1, $2 // '?');
		my ($owner) = grep { $_->{pid} == $pid } @sessions[ 1 .. $nsessions ];
		push @crashes,
		  {
			pid       => $pid,
			statement => $stmt,
			input     => $owner && $owner == $sess ? $what        : undef,
			session   => $owner                    ? $owner->{no} : '?',
		  };
		$crashed = 1;
	}
	if (!$crashed)
	{
		# unless a crash of another session's process ended it
		if ($sess->{crash_seen} == @crashes)
		{
			$unaccounted += $left;
			push @lost,
			  "session $sess->{no} lost its connection ($what); psql said: "
			  . psql_said($sess);
		}
	}
	$cut_by_crash += $left if $sess->{crash_seen} != @crashes;
	for my $c (grep { !defined $_->{input} && $_->{session} eq $sess->{no} }
		@crashes)
	{
		$c->{input} = $what;
	}
	$node->poll_query_until('postgres', 'SELECT 1', '1')
	  or die 'the server did not come back';
	my $fresh = start_session($sess->{no});
	$fresh->{crash_seen} = scalar @crashes;
	if (@crashes >= 3 && !$fresh->{gen}{avoid_known})
	{
		note
'three crashes: the rest of the run leaves out the inputs of known bugs (from input '
		  . join(', ',
			map { "s$_->{no}." . ($_->{gen}{n} + 1) }
			  @sessions[ 1 .. $nsessions ])
		  . ')';
		$_->{gen}{avoid_known} = 1 for @sessions[ 1 .. $nsessions ];
	}
	return;
}

###########################################################################
# The run
###########################################################################

my $t0 = time;
start_session($_)->{crash_seen} = 0 for 1 .. $nsessions;
my $deadline   = $t0 + $seconds;
my $next_probe = $t0 + 5;
my $stopped    = 0;
while (1)
{
	my $busy = 0;
	my $now  = time;
	$stopped = 1 if $now >= $deadline || @crashes >= $max_crashes;
	for my $sess (@sessions[ 1 .. $nsessions ])
	{
		next if $sess->{hung};
		if (!$sess->{h}->pumpable)
		{
			session_died($sess);
			$sess = $sessions[ $sess->{no} ];
		}
		send_batch($sess) if !$sess->{pending} && !$stopped;
		# (an error here shows as a session that stops answering)
		eval { $sess->{h}->pump_nb; 1 };
		collect($sess);
		if ($sess->{pending})
		{
			$busy = 1;
			if (time - $sess->{sent_at} > $batch_limit)
			{
				# a session that hangs ends the run (and fails the test)
				my ($input, $left) = unfinished($sess);
				push @lost,
"session $sess->{no}: no answer for $batch_limit s, at input "
				  . (
					$input
					? "$input->{id}: " . join(";\n", @{ $input->{stmts} })
					: '?')
				  . "\npsql said: "
				  . psql_said($sess);
				$unaccounted += $left;
				$sess->{h}->kill_kill;
				$sess->{pending} = 0;
				$sess->{hung}    = 1;
				$stopped         = 1;
			}
		}
	}
	last if $stopped && !$busy;
	if (time >= $next_probe)
	{
		# how full the shared table gets (not while the server restarts)
		my ($rc, $evictions) =
		  $node->psql('postgres', 'SELECT evictions FROM relprefetch.info');
		$max_evictions = $evictions
		  if $rc == 0 && $evictions =~ /^\d+$/ && $evictions > $max_evictions;
		$next_probe = time + 5;
	}
	usleep(1000);
}
for my $sess (grep { !$_->{hung} } @sessions[ 1 .. $nsessions ])
{
	$sess->{in} .= "\\q\n";
	$sess->{h}->finish;
}
my $elapsed = time - $t0;

###########################################################################
# Figures
###########################################################################

my ($total_inputs, $total_stmts) = (0, 0);
my %by_state;
for my $f (sort keys %inputs_by_family)
{
	$total_inputs += $inputs_by_family{$f};
	$total_stmts += $stmts_by_family{$f} // 0;
	my $o = $outcomes{$f} // {};
	$by_state{$_} += $o->{$_} for keys %$o;
	note sprintf(
		'%-9s %7d inputs %8d statements: %s',
		$f,
		$inputs_by_family{$f},
		$stmts_by_family{$f} // 0,
		join(', ',
			map  { "$_ $o->{$_}" }
			sort { $o->{$b} <=> $o->{$a} || $a cmp $b } keys %$o));
}
note sprintf(
'total     %7d inputs %8d statements in %.1f s (%.0f statements/s); crashes %d'
	  . ' (%d statements of the batches they cut short not run)',
	$total_inputs, $total_stmts, $elapsed,
	$total_stmts / ($elapsed || 1),
	scalar @crashes,
	$cut_by_crash);
note
"evictions: at most $max_evictions between two full resets (relprefetch.info, "
  . 'every 5 s); after the run (entries, max_entries, evictions): '
  . $node->safe_psql('postgres',
	'SELECT entries, max_entries, evictions FROM relprefetch.info');
note 'statements after which psql had no SQLSTATE: ' . join('; ', @no_state)
  if @no_state;
note 'outcomes by SQLSTATE: '
  . join(', ',
	map { "$_ $by_state{$_}" }
	sort { $by_state{$b} <=> $by_state{$a} || $a cmp $b } keys %by_state);

###########################################################################
# Assertions on the random inputs
###########################################################################

# The log, line by line: crashes, internal errors, PANIC and FATAL
my (@crash_lines, @internal_log, @lookup_failed, @panic);
for my $line (split /\n/, slurp_file($node->logfile))
{
	next if length($line) > 10000;  # an input's text, never a message of ours
	push @crash_lines, $line
	  if $line =~ /(?:server process|client backend) \(PID/
	  && $line =~
/terminated by signal|terminated by exception|exited with exit code [1-9]/;
	push @internal_log, $line
	  if index($line, ' XX00') >= 0
	  && $line =~ /^\S+ \S+ \S+ \[\d+\] XX00[0-2] /;
	push @lookup_failed, $line if index($line, 'cache lookup failed') >= 0;
	# (but not the connections refused while the server restarts after a
	# crash, which the crash assertions report)
	push @panic, $line
	  if (index($line, 'FATAL:  ') >= 0 || index($line, 'PANIC:  ') >= 0)
	  && $line =~ /^\S+ \S+ \S+ \[\d+\] \S+ (?:\S+)? ?(?:PANIC|FATAL):  /
	  && $line !~
	  /not yet accepting connections|is in recovery mode|is starting up/;
}

sub first_lines
{
	my @l = @_;
	return join("\n", @l[ 0 .. ($#l > 20 ? 20 : $#l) ]);
}

ok($total_stmts > 0, "statements were run ($total_stmts)");
is(scalar @crashes, 0, 'no input crashed the server')
  or diag join(
	"\n\n",
	map {
"server process $_->{pid} (session $_->{session}) crashed running: $_->{statement}\n  input: "
		  . substr($_->{input} // '?', 0, 3000)
	} @crashes);
is(scalar @crash_lines,
	0, 'the log shows no server process terminated abnormally')
  or diag first_lines(@crash_lines);
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$start_time, 'the postmaster was not restarted');
is(postmaster_pid(), $postmaster_pid, 'the postmaster is the same process');
is(scalar @internal,
	0, 'no statement failed with an internal error (XX000-XX002)')
  or diag first_lines(@internal);
is(scalar @internal_log,
	0, 'the log shows no internal error (SQLSTATE XX000-XX002)')
  or diag first_lines(@internal_log);
is(scalar @lookup_failed, 0, 'the log shows no "cache lookup failed"')
  or diag first_lines(@lookup_failed);
is(scalar @panic, 0, 'the log shows no PANIC or FATAL')
  or diag first_lines(@panic);
is(scalar @oracle_failures,
	0, 'every oracle input got the same data as plain SQL')
  or diag join("\n\n",
	@oracle_failures[ 0 .. ($#oracle_failures > 5 ? 5 : $#oracle_failures) ]);
is(scalar @lost, 0,
	'no session hung or lost its connection other than by a crash')
  or diag join("\n", @lost);
is($unaccounted, 0,
	'every statement sent reported its outcome (but those a crash cut short)'
);

###########################################################################
# Clean up what the inputs left behind
###########################################################################

for my $gid (split /\n/,
	$node->safe_psql('postgres', 'SELECT gid FROM pg_prepared_xacts'))
{
	$node->safe_psql('postgres', "ROLLBACK PREPARED '$gid'");
}
$node->safe_psql(
	'postgres', qq{
ALTER ROLE $superuser RESET ALL;
ALTER ROLE fuzz_user RESET ALL;
ALTER ROLE fuzz_admin RESET ALL;
ALTER DATABASE postgres RESET ALL;
ALTER SYSTEM RESET ALL;
SELECT pg_reload_conf();
});

###########################################################################
# The fixed cases
###########################################################################

my $case_no = 0;
for my $case (fixed_cases())
{
	$case_no++;
	my $schema = "fixed$case_no";
	my $offset = -s $node->logfile;
	my ($ret, $stdout, $stderr) = $node->psql(
		'postgres',
"CREATE SCHEMA $schema;\nSET search_path = $schema, public;\n$case->{sql}",
		on_error_stop => 0);
	note "fixed case $case->{name}: psql said: "
	  . ($stderr eq '' ? '(nothing)' : $stderr);
	usleep(300_000);
	my $case_log = slurp_file($node->logfile, $offset);
	my @bad      = $case_log =~
/^(.*(?:terminated by signal|terminated by exception|exited with exit code [1-9]| XX00[0-2] |cache lookup failed|PANIC:).*)$/mg;
	is(scalar @bad, 0, "fixed case $case->{name}: a result or a clean error")
	  or diag "$case->{what}\n" . join("\n", @bad) . "\npsql said: $stderr";

	if ($case_log =~ /terminated by signal|terminated by exception/)
	{
		$node->poll_query_until('postgres', 'SELECT 1', '1')
		  or die 'the server did not come back after a fixed case';
	}
}

###########################################################################
# The extension still works
###########################################################################

$node->safe_psql('postgres', 'SELECT relprefetch.reset()');
my $unit = "BEGIN;\nSELECT id, author_id FROM fz.post WHERE id <= 7;\n";
$unit .= "SELECT name FROM fz.author WHERE id = $_;\n" for 1 .. 7;
$unit .= "COMMIT;\n";
$node->safe_psql('postgres', $unit);
is( $node->safe_psql(
		'postgres',
q{SELECT units, calls, max_repeats, relation, source_query FROM relprefetch.stats
		  WHERE query = 'SELECT name FROM fz.author WHERE id = $1'}),
	'1|7|7|fz.author|SELECT id, author_id FROM fz.post WHERE id <= $1',
	'after reset(), an N+1 unit of 7 lookups is counted exactly');
is( $node->safe_psql(
		'postgres', 'SELECT entries, evictions FROM relprefetch.info'),
	'1|0',
	'and it is the only entry');

is( $node->safe_psql(
		'postgres',
q{SELECT relprefetch.fetch_json('fz.post', '{"columns": ["id", "title"], "where": "id <= 2", "order_by": "id",
  "include": {"a": {"path": "author_id", "columns": ["id", "name"]},
              "c": {"path": "comment", "columns": ["id"], "order_by": "id", "limit": 2},
              "t": {"path": "tags", "columns": ["id"], "order_by": "id"}}}')}
	),
qq{{"id":1,"title":"post 1 é","a":{"id":2,"name":"author 2"},"c":[{"id":60},{"id":120}],"t":[{"id":2},{"id":3},{"id":4}]}
{"id":2,"title":"post 2 é","a":{"id":3,"name":"author 3"},"c":[{"id":1},{"id":61}],"t":[{"id":3},{"id":5},{"id":7}]}},
	'a known fetch_json call gives the known result');
is( $node->safe_psql(
		'postgres',
q{SELECT (t.parent).code, array(SELECT c.id FROM unnest(t.children) c ORDER BY c.id)
		  FROM relprefetch.fetch_children(NULL::fz.region, NULL::fz.office[]) t
		  WHERE (t.parent).cc = 'BC' ORDER BY 1}),
	"1|{}\n2|{1,7}",
	'a known fetch_children call (composite key) gives the known result');
is( $node->safe_psql(
		'postgres',
'SELECT (SELECT count(*) FROM fz.post), (SELECT count(*) FROM fz.comment), '
		  . '(SELECT count(*) FROM fz.tag), (SELECT count(*) FROM fz.nokey), '
		  . '(SELECT count(*) FROM fz.post_tags)'),
	'60|200|10|2|'
	  . $node->safe_psql(
		'postgres',
'SELECT count(*) FROM (SELECT DISTINCT p, 1 + (p * k) % 10 FROM generate_series(1, 60) p, generate_series(1, 3) k) s'
	  ),
	'no fragment wrote to the shared tables');

$node->stop;
done_testing();
