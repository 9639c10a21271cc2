#!/usr/bin/env bash
# Run the pg_regress suite (REGRESS in the Makefile) against a server whose
# every process runs under valgrind's memcheck, and fail on any invalid
# access, use of an uninitialised value or bad free that involves
# relprefetch.so.
#
# Usage: scripts/valgrind.sh [--no-setup] [--tests "NAME ..."]
#   --no-setup     do not run scripts/setup.sh --with-valgrind (which
#                  installs valgrind and the other packages and builds and
#                  installs relprefetch): check what is installed
#   --tests LIST   run only these pg_regress tests, space- or
#                  comma-separated (setup is added first when missing: the
#                  others need its tables)
#
# pg_regress's --temp-instance starts its server itself, with no way to put
# valgrind in front, so this script makes its own cluster (initdb, then
# regress.conf and what pg_regress adds to a temporary instance), starts the
# postmaster under valgrind, runs `make installcheck` against it (REGRESS_OPTS
# without --temp-instance), stops it cleanly (so relprefetch saves its
# statistics at shutdown), starts it again under valgrind to check that they
# are read back, stops it, and reads valgrind's logs, one per process
# (memcheck follows every fork: the postmaster, its auxiliary processes and
# every backend).
#
# PG_CONFIG chooses the server. scripts/test.sh runs this against the
# assert-enabled build of scripts/assert_build.sh, which has valgrind
# support (USE_VALGRIND): every palloc'd chunk is its own region for
# memcheck, with no-access red zones around it and its bytes undefined
# until written, and freed or reset memory becomes inaccessible, so
# memcheck sees chunk-level overruns, uses after pfree and uninitialised
# bytes. Debian's PostgreSQL is built without USE_VALGRIND: there memcheck
# sees overruns only past a malloc'd block (a memory context's block) and
# uninitialised bytes only in fresh blocks. Known-benign errors of
# PostgreSQL itself (padding bytes written to disk, ...) are suppressed by
# scripts/valgrind.supp, for both builds; nothing there mentions
# relprefetch.
#
# An error is counted as relprefetch's when one of relprefetch's frames is
# anywhere in its stacks: where it happened, a caller (its executor hooks
# are on the stack of most statements), or where the block or uninitialised
# value came from; every such error is printed with its stacks. Errors with
# no relprefetch frame are printed and counted apart. --error-exitcode makes
# a process with any unsuppressed error exit with 128, which the postmaster
# takes for a crash: so an error of PostgreSQL itself also fails the run
# (as a death, and usually failed tests), and must either be added to
# scripts/valgrind.supp, when it is a known-benign one, or be looked into.
#
# The last lines are a summary; the very last, "N passed, N failed", counts
# the pg_regress tests. Exits non-zero when a test failed, a process died
# abnormally, relprefetch had an error, or the statistics were not read back
# after the restart.
#
# A run takes 5 to 10 minutes on 2 CPUs on Debian's build (about 5
# minutes of CPU time), where the suite alone takes 6 to 15 s; on the
# assert-enabled build about 8 minutes of CPU time (27 minutes of wall time
# once, with the 2 CPUs shared with other work); memcheck's processes use
# up to 1.7 GB together. The work folder (tmp/valgrind, or a /tmp folder) keeps
# valgrind's logs (valgrind/PID.log), the server log, the pg_regress output
# and errors.txt; the cluster is removed and no server is left running.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

setup=1
tests=
while [ $# -gt 0 ]; do
	case $1 in
	--no-setup)
		setup=0
		shift
		;;
	--tests)
		[ $# -ge 2 ] || rp_die "--tests needs a value"
		tests=$2
		shift 2
		;;
	--tests=*)
		tests=${1#*=}
		shift
		;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $1 (try --help)" ;;
	esac
done

if [ "$setup" -eq 1 ]; then
	bash "$RP_ROOT/scripts/setup.sh" --with-valgrind
fi
command -v valgrind >/dev/null ||
	rp_die "valgrind not found (run without --no-setup, or: bash scripts/setup.sh --with-valgrind)"
bindir=$(rp_bindir)
libdir=$("$PG_CONFIG" --pkglibdir)
[ -f "$libdir/relprefetch.so" ] || rp_die "$libdir/relprefetch.so is not installed"
if [ -f "$RP_ROOT/relprefetch.so" ] &&
	! cmp -s "$RP_ROOT/relprefetch.so" "$libdir/relprefetch.so"; then
	rp_warn "the installed relprefetch.so differs from the one in $RP_ROOT; checking the installed one"
fi
# valgrind runs as the cluster owner, who may not be able to enter the
# checkout: it reads a copy in the work folder (made below).
supp_src=$RP_ROOT/scripts/valgrind.supp
[ -f "$supp_src" ] || rp_die "$supp_src not found"

# The tests to run: the Makefile's REGRESS, or --tests (setup first).
# shellcheck disable=SC2016 # $(REGRESS) is for make
all_tests=$(make -s --no-print-directory -C "$RP_ROOT" PG_CONFIG="$PG_CONFIG" \
	--eval 'rp-print-regress: ; @echo $(REGRESS)' rp-print-regress)
if [ -n "$tests" ]; then
	read -r -a wanted <<<"${tests//,/ }"
	[ ${#wanted[@]} -ge 1 ] || rp_die "--tests needs at least one test"
	for t in "${wanted[@]}"; do
		case " $all_tests " in
		*" $t "*) ;;
		*) rp_die "--tests: '$t' is not in REGRESS ($all_tests)" ;;
		esac
	done
	case " ${wanted[*]} " in
	*" setup "*) ;;
	*) wanted=(setup "${wanted[@]}") ;;
	esac
	tests=${wanted[*]}
else
	tests=$all_tests
fi
n_tests=$(wc -w <<<"$tests")

rp_workdir valgrind
work=$RP_WORK
data=$work/data
vglogs=$work/valgrind
rp_sockdir "$work"
sockdir=$RP_SOCKDIR
sock_temp=$RP_SOCKDIR_TEMP
# listen_addresses is empty and the socket is in a folder of our own: no
# other server can be on this port there.
port=54329
server_job=

# stop_server MODE: stop the server of $data (pg_ctl, waiting as long as
# valgrind needs), then wait for the valgrind process started in the
# background; sets server_rc to its exit status.
server_rc=0
stop_server() {
	local mode=$1
	server_rc=0
	if [ -f "$data/postmaster.pid" ]; then
		rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" stop -m "$mode" -w -t 600 \
			>>"$work/pg_ctl.log" 2>&1 ||
			rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" stop -m immediate -w -t 600 \
				>>"$work/pg_ctl.log" 2>&1 || true
	fi
	if [ -n "$server_job" ]; then
		wait "$server_job" || server_rc=$?
		server_job=
	fi
}

cleanup() {
	stop_server immediate
	rp_stop_clusters "$work"
	rm -rf "$data"
	if [ "$sock_temp" -eq 1 ]; then
		rm -rf "$sockdir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$vglogs"
supp=$work/valgrind.supp
cp -- "$supp_src" "$supp"
rp_copy_tests "$work"

# The same cluster as pg_regress's --temp-instance makes: initdb in the
# caller-independent C.UTF-8 locale, regress.conf appended, and the settings
# pg_regress adds itself (max_prepared_transactions, the log lines).
rp_say "creating the cluster in $data"
rp_as_pg "$work" env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$bindir/initdb" -D "$data" \
	-U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync \
	--no-instructions >"$work/initdb.log" 2>&1 ||
	{
		cat "$work/initdb.log"
		rp_die "initdb failed"
	}
{
	printf '\n# added by scripts/valgrind.sh: what pg_regress adds to a temporary instance\n'
	printf 'log_autovacuum_min_duration = 0\nlog_checkpoints = on\n'
	printf "log_line_prefix = '%%m %%b[%%p] %%q%%a '\n"
	printf 'log_lock_waits = on\nlog_temp_files = 128kB\nmax_prepared_transactions = 2\n'
	printf '\n# regress.conf (--temp-config)\n'
	cat "$RP_ROOT/regress.conf"
	# Socket only, in the work folder; every connection is logged (the
	# backends are counted from it). Fewer processes under valgrind: no
	# autovacuum (no test waits for it) and few connection slots; no JIT
	# (LLVM under memcheck would take minutes and is not relprefetch's).
	cat <<EOF

# valgrind run
listen_addresses = ''
port = $port
unix_socket_directories = '$sockdir'
unix_socket_permissions = 0700
max_connections = 10
autovacuum = off
jit = off
fsync = off
log_connections = on
EOF
} >>"$data/postgresql.conf"

# --error-exitcode: a backend with an error exits with 128, which the
# postmaster treats as a crash (every session is reset), so that the
# failing test also shows in pg_regress's results, as on the buildfarm's
# valgrind animal. --leak-check=no: backends exit without freeing their
# memory contexts, by design. --read-var-info names the variable an invalid
# address belongs to in relprefetch.so (the only object with debug
# information here). -v adds, at each process's exit, how often each
# suppression was used.
# shellcheck disable=SC2054 # the comma is valgrind's separator
vg=(valgrind -v --tool=memcheck --trace-children=yes --track-origins=yes
	--read-var-info=yes --leak-check=no --num-callers=40 --error-limit=no
	--error-exitcode=128 --gen-suppressions=all --suppressions="$supp"
	--error-markers=VGERROR-BEGIN,VGERROR-END
	--log-file="$vglogs/%p.log")

# ---------------------------------------------------------------------------
# Reading valgrind's logs, one per process. Each error is between the
# markers; its first line names the kind ("Invalid read of size 8",
# "Conditional jump or move depends on uninitialised value(s)", ...), then
# comes the stack, then where the block was allocated or, with
# --track-origins, where the uninitialised value came from. The suppression
# valgrind proposes for it (--gen-suppressions) follows inside the markers.

# relprefetch's functions, static ones included (relprefetch.so keeps its
# symbol table and debug information): a frame is relprefetch's when it
# names one of them with a file:line, or when it is "(in .../relprefetch.so)".
nm --defined-only "$libdir/relprefetch.so" 2>/dev/null |
	awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u >"$work/rp_functions.txt"
[ -s "$work/rp_functions.txt" ] ||
	rp_die "could not read the symbols of $libdir/relprefetch.so (nm)"

# parse_errors LOG...: one record per distinct error (same kind, same
# stacks), a header line "WHO<TAB>COUNT<TAB>FIRST LOG<TAB>WHERE<TAB>KIND"
# then the error as valgrind printed it, then a form feed. WHO is
# "relprefetch" when one of relprefetch's frames is in any of the error's
# stacks, else "other". WHERE says which stack: "in relprefetch code" (the
# innermost frame outside libc and valgrind's own is relprefetch's), "called
# through relprefetch" (a frame further out, e.g. one of its hooks), or
# "origin in relprefetch" (only in the stack that allocated the block or
# created the uninitialised value).
parse_errors() {
	awk -v fnlist="$work/rp_functions.txt" '
	BEGIN {
		while ((getline f <fnlist) > 0)
			rpfn[f] = 1
		close(fnlist)
	}
	function is_rp(line,   f, loc) {
		if (line ~ /\(in [^)]*\/relprefetch\.so\)$/)
			return 1
		f = line
		sub(/^ *(at|by) 0x[0-9A-Fa-f]+: /, "", f)
		loc = f
		sub(/ \(.*$/, "", f)
		sub(/^[^(]*\(/, "", loc)
		return (f in rpfn) && loc ~ /^[^ ]+:[0-9]+\)$/
	}
	function is_libc(line) {
		return line ~ /\(in [^)]*\/(vgpreload_[^)]*|libc[.-][^)]*)\)$/ ||
			line ~ /: (__)?(mem|str|wmem|stp)[a-z_]* \(/
	}
	function flush(   key) {
		if (!inerr)
			return
		inerr = 0
		if (rp_top)
			where = "in relprefetch code"
		else if (rp_stack)
			where = "called through relprefetch"
		else if (rp_origin)
			where = "origin in relprefetch"
		else
			where = "-"
		who = (where == "-") ? "other" : "relprefetch"
		key = who SUBSEP kind SUBSEP stack
		if (!(key in count)) {
			order[++n] = key
			first[key] = text
			file[key] = FILENAME
			wh[key] = where
		}
		count[key]++
	}
	/VGERROR-BEGIN/ {
		inerr = 1; kind = ""; stack = ""; text = ""; insupp = 0
		part = 0; seen_top = 0; rp_top = rp_stack = rp_origin = 0
		next
	}
	/VGERROR-END/ { flush(); next }
	inerr {
		line = $0
		sub(/^==[0-9]+== ?/, "", line)
		if (line ~ /^\{/) insupp = 1
		if (insupp) {
			if (line ~ /^\}/) insupp = 0
			next
		}
		if (line == "")
			next
		text = text "    " line "\n"
		if (kind == "") {
			kind = line
			next
		}
		if (line !~ /^ *(at|by) 0x/) {
			# "Address ... alloc'\''d", "Uninitialised value was created
			# by ...", "Block was alloc'\''d at": another stack follows.
			part++
			next
		}
		f = line
		sub(/^ *(at|by) 0x[0-9A-Fa-f]+: /, "", f)
		stack = stack "|" f
		if (part == 0) {
			if (is_rp(line)) {
				rp_stack = 1
				if (!seen_top)
					rp_top = 1
			}
			if (!is_libc(line))
				seen_top = 1
		} else if (is_rp(line))
			rp_origin = 1
	}
	END {
		for (i = 1; i <= n; i++) {
			key = order[i]
			split(key, p, SUBSEP)
			printf "%s\t%d\t%s\t%s\t%s\n", p[1], count[key], file[key], wh[key], p[2]
			printf "%s", first[key]
			printf "\f\n"
		}
	}' "$@"
}

# print_errors WHO: every distinct error of WHO, with its stacks.
print_errors() {
	awk -v who="$1" '
	BEGIN { RS = "\f\n" }
	{
		n = split($0, lines, "\n")
		split(lines[1], h, "\t")
		if (h[1] != who)
			next
		printf "--- %d x %s [%s] (first in %s)\n", h[2], h[5], h[4], h[3]
		for (i = 2; i <= n; i++)
			if (lines[i] != "")
				print lines[i]
	}' "$work/errors.txt"
}

# (exit code 1 is a FATAL error, or the logical replication launcher at
# shutdown: normal; 128 is valgrind's --error-exitcode.)
died='terminated by signal|exited with exit code ([2-9]|[1-9][0-9]+)|PANIC:|TRAP:'

# analyse_logs: count processes, backends, deaths and errors (the figures
# of the summary); the distinct errors go to $work/errors.txt.
analyse_logs() {
	local log who cnt n
	shopt -s nullglob
	logs=("$vglogs"/*.log)
	shopt -u nullglob
	n_procs=${#logs[@]}
	n_backends=$(grep -c 'connection authorized' "$work/server.log" || true)
	crashes=$(grep -cE "$died" "$work/server.log" || true)
	rp_error_kinds=0
	rp_errors=0
	other_kinds=0
	other_errors=0
	: >"$work/errors.txt"
	if [ "$n_procs" -gt 0 ]; then
		parse_errors "${logs[@]}" >"$work/errors.txt"
	fi
	while IFS=$'\t' read -r who cnt _; do
		if [ "$who" = relprefetch ]; then
			rp_error_kinds=$((rp_error_kinds + 1))
			rp_errors=$((rp_errors + cnt))
		else
			other_kinds=$((other_kinds + 1))
			other_errors=$((other_errors + cnt))
		fi
	done < <(grep -E '^(relprefetch|other)	[0-9]+	' "$work/errors.txt" || true)
	# Processes valgrind reported errors for, and errors the suppressions
	# hid, from its last line per process: "ERROR SUMMARY: N errors from N
	# contexts (suppressed: N from N)".
	procs_with_errors=0
	suppressed=0
	for log in "${logs[@]}"; do
		if grep -qE 'ERROR SUMMARY: [1-9]' "$log"; then
			procs_with_errors=$((procs_with_errors + 1))
		fi
		n=$(sed -n 's/.*ERROR SUMMARY:.*(suppressed: \([0-9]*\) from.*/\1/p' "$log" | tail -n 1)
		suppressed=$((suppressed + ${n:-0}))
	done
	# "--PID-- used_suppression:  N NAME FILE:LINE", per process (-v).
	supp_used=
	if [ "$n_procs" -gt 0 ]; then
		supp_used=$(awk '$2 == "used_suppression:" { c[$4] += $3 }
			END { for (k in c) printf "%s %d\n", k, c[k] }' "${logs[@]}" |
			sort | paste -s -d, - | sed 's/,/, /g')
	fi
}

# report_errors: print the errors and the deaths analyse_logs found.
report_errors() {
	if [ "$rp_errors" -gt 0 ]; then
		echo "----- valgrind errors involving relprefetch.so -----"
		print_errors relprefetch
	fi
	if [ "$other_errors" -gt 0 ]; then
		echo "----- valgrind errors in PostgreSQL itself (no relprefetch frame) -----"
		print_errors other | head -n 400
	fi
	if [ "$crashes" -gt 0 ]; then
		echo "----- server log: processes that died -----"
		grep -E "$died" "$work/server.log" | head -n 40
	fi
}

# did_not_start WHY: print why the server did not start, from the server
# log and from valgrind's own logs of this start (where valgrind reports a
# problem of its own, such as a suppressions file it cannot read, before
# the postmaster writes anything), then exit.
did_not_start() {
	local log n=0
	rp_show_log "$work/server.log" 40
	while IFS= read -r -d '' log; do
		n=$((n + 1))
		if [ "$n" -gt 5 ]; then
			echo "(more valgrind logs in $vglogs)"
			break
		fi
		# valgrind's messages ("==PID== ..."), without what -v adds
		# ("--PID-- ...") and its warnings about redirections.
		echo "----- $log (valgrind's messages, last 30) -----"
		grep -E '^==[0-9]+==' "$log" | grep -v 'new redirection conflicts' |
			tail -n 30
	done < <(find "$vglogs" -name '*.log' -newer "$work/start.stamp" -print0 2>/dev/null)
	if [ "$n" -eq 0 ]; then
		echo "----- no valgrind log in $vglogs for this start -----"
	fi
	analyse_logs
	report_errors
	rp_die "the server under valgrind $1; see $work/server.log and $vglogs"
}

# start_server: the postmaster under valgrind, in the background, and wait
# until it accepts connections (valgrind makes a start take tens of seconds).
start_server() {
	: >"$work/start.stamp"
	rp_as_pg "$work" "${vg[@]}" "$bindir/postgres" -D "$data" \
		>>"$work/server.log" 2>&1 &
	server_job=$!
	for _ in $(seq 1 600); do
		if rp_as_pg "$work" "$bindir/pg_isready" -q -h "$sockdir" -p "$port" \
			-d postgres -t 5; then
			return 0
		fi
		if ! kill -0 "$server_job" 2>/dev/null; then
			wait "$server_job" || true
			server_job=
			did_not_start "did not start"
		fi
		sleep 1
	done
	did_not_start "did not start in 600 s"
}

psql_pg() {
	rp_as_pg "$work" "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$sockdir" \
		-p "$port" -U postgres "$@"
}

t0=$(date +%s)
rp_say "starting the server under valgrind (port $port, socket in $sockdir)"
start_server
t_started=$(date +%s)
rp_say "server up after $((t_started - t0)) s"

# The suite, one test at a time (what installcheck does) against the server
# above: REGRESS_OPTS is the Makefile's without --temp-instance and
# --temp-config (already in postgresql.conf), with pgxs's --dbname.
rp_say "pg_regress tests under valgrind: $tests"
rc=0
rp_as_pg "$work" env -u PGHOSTADDR -u PGDATABASE -u PGUSER -u PGSERVICE \
	-u PGOPTIONS -u PGDATA PGHOST="$sockdir" PGPORT="$port" \
	PATH="$bindir:$PATH" LC_ALL=C.UTF-8 LANG=C.UTF-8 \
	make --no-print-directory PG_CONFIG="$PG_CONFIG" installcheck TAP_TESTS= \
	REGRESS="$tests" \
	REGRESS_OPTS="--load-extension=relprefetch --dbname=contrib_regression" \
	2>&1 | tee "$work/regress.log" || rc=$?
if [ "$rc" -gt 128 ]; then
	rp_die "interrupted (status $rc)"
fi
t_suite=$(date +%s)
read -r ok bad < <(awk '
	/ \.\.\. ok( |$)/ { ok++ }
	/ \.\.\. (FAILED|failed)/ { bad++ }
	END { print ok + 0, bad + 0 }' "$work/regress.log")
if [ "$rc" -ne 0 ] && [ $((ok + bad)) -lt "$n_tests" ]; then
	bad=$((n_tests - ok))
fi
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
	bad=1
fi
if [ "$rc" -ne 0 ] && [ -s "$work/regression.diffs" ]; then
	echo "----- regression.diffs -----"
	cat "$work/regression.diffs"
	echo "----- end of regression.diffs -----"
fi

# A clean shutdown writes pg_stat/relprefetch.stat; a second start under
# valgrind reads it back (relprefetch's load path): the same number of
# entries must be there.
restart_ok=1
entries_before=$(psql_pg -d contrib_regression -c 'SELECT entries FROM relprefetch.info' 2>&1) || true
case $entries_before in
'' | *[!0-9]*)
	rp_warn "could not read relprefetch.info before the restart: $entries_before"
	entries_before='?'
	restart_ok=0
	;;
esac
rp_say "stopping the server (relprefetch.info.entries = $entries_before)"
stop_server fast
rc_first=$server_rc
rp_say "restarting it under valgrind (loads pg_stat/relprefetch.stat)"
start_server
entries_after=$(psql_pg -d contrib_regression -c 'SELECT entries FROM relprefetch.info' 2>&1) || true
case $entries_after in
'' | *[!0-9]*)
	rp_warn "could not read relprefetch.info after the restart: $entries_after"
	entries_after='?'
	;;
esac
if [ "$entries_after" != "$entries_before" ] || [ "$entries_after" = '?' ]; then
	rp_warn "relprefetch.info.entries was '$entries_before' before the restart, '$entries_after' after"
	restart_ok=0
fi
stop_server fast
rc_second=$server_rc
t_end=$(date +%s)

analyse_logs
report_errors

echo "----- summary -----"
printf 'valgrind %s, memcheck; suppressions: %s\n' \
	"$(valgrind --version | sed 's/^valgrind-//')" "${supp_src#"$RP_ROOT"/}"
printf 'wall time: %d s in all (server start %d s, suite %d s, restart and stops %d s)\n' \
	$((t_end - t0)) $((t_started - t0)) $((t_suite - t_started)) $((t_end - t_suite))
printf 'processes run under valgrind: %d (of which client backends that logged in: %d)\n' \
	"$n_procs" "$n_backends"
printf 'processes valgrind reported errors for: %d\n' "$procs_with_errors"
printf 'errors involving relprefetch.so: %d (%d distinct)\n' "$rp_errors" "$rp_error_kinds"
printf 'other errors (PostgreSQL, libraries): %d (%d distinct)\n' "$other_errors" "$other_kinds"
printf 'errors suppressed as known-benign PostgreSQL ones: %d%s\n' "$suppressed" \
	"${supp_used:+ ($supp_used)}"
printf 'processes that died abnormally (server log): %d\n' "$crashes"
printf 'postmaster exit status: %d (first run), %d (restart)\n' "$rc_first" "$rc_second"
printf 'statistics across the restart: %s entries before, %s after\n' \
	"$entries_before" "$entries_after"
printf 'logs: %s\n' "$work"

failed=$bad
status=0
if [ "$bad" -gt 0 ] || [ "$rp_errors" -gt 0 ] || [ "$crashes" -gt 0 ] ||
	[ "$restart_ok" -eq 0 ] || [ "$rc_first" -ne 0 ] || [ "$rc_second" -ne 0 ]; then
	status=1
fi
# Only the cluster goes (in the EXIT trap); a /tmp fallback folder is removed
# when everything passed.
trap - EXIT
cleanup
if [ "$RP_WORK_TEMP" -eq 1 ] && [ "$status" -eq 0 ]; then
	rm -rf "$work"
fi
echo "$ok passed, $failed failed"
exit "$status"
