#!/usr/bin/env bash
# Measure the instructions relprefetch adds to a statement: callgrind over a
# whole single-user backend, per statement as the difference between two
# run lengths (issue 11's method).
#
# Usage: bash bench/overhead.sh [--statements N1[,N2]] [--rows-statements N1[,N2]]
#                               [--loop N] [--out FILE] [--tsv FILE] [--no-setup] [--check]
#   --statements N1[,N2]       point SELECTs in the short and the long run of
#                              the common path and of the repeat path
#                              (default 2000,6000; N2 defaults to 3 x N1;
#                              the autoloop input runs a tenth of them)
#   --rows-statements N1[,N2]  10,000-row SELECTs in the short and the long
#                              run, of the rows and the copy inputs
#                              (default 10,30; N2 defaults to 3 x N1)
#   --loop N        the repeat path's loops: N point SELECTs whose keys a
#                   SELECT before them in the same transaction returned,
#                   each transaction a unit of work in which relprefetch
#                   detects (and with require_proof, proves) a loop (N at
#                   least relprefetch.threshold, 5; default 10)
#   --out FILE      Markdown report (default bench/out/overhead.md)
#   --tsv FILE      also write the results as tab-separated values, under a
#                   header line naming the columns: id, configuration,
#                   input (point, fresh, loop, autoloop, rows or copy),
#                   input_label,
#                   ir_per_statement, extra_ir, extra_pct, compared_with
#                   (the id of the configuration the extra is over), target
#                   (met, MISSED, or empty when the configuration has no
#                   target), exercised, n_short, n_long, ir_short, ir_long
#                   (bench/report.py reads it)
#   --no-setup      measure the relprefetch.so already installed instead of
#                   running scripts/setup.sh --with-valgrind (build + install)
#   --check         exit with status 3 when relprefetch (require_proof off
#                   or on) misses a target of issue 11: at most +1.00%
#                   instructions per point SELECT on the common path and on
#                   the repeat path, at most +1% per 10,000-row SELECT
#                   (rows and copy)
#
# Six inputs, each run with the same configurations (no library;
# relprefetch with require_proof = off; relprefetch with its defaults,
# require_proof on; pg_stat_statements; relprefetch and
# pg_stat_statements):
#   point  SELECT v FROM t WHERE id = <k> (10,000-row table, index scan on
#          t_pkey), every statement its own autocommit unit of work
#          (relprefetch.unit_gap = 0): relprefetch's common path
#   fresh  the same, its keywords spelled 256 ways in turn (sElEcT ...), so
#          that no statement's text is one the backend keeps: the common
#          path of a text relprefetch has not seen, lexed and then kept
#   loop   point SELECTs as short N+1 loops: BEGIN, SELECT id FROM t WHERE
#          id BETWEEN <k> AND <k + 9> ORDER BY id, a point SELECT for each id
#          returned, COMMIT (with --loop 10); per point SELECT, the source,
#          BEGIN and COMMIT counted too: relprefetch's repeat path, a loop
#          detected (and with require_proof, proven) in every transaction
#   autoloop  the same loops in autocommit, as an application's requests:
#          no BEGIN and COMMIT, and a pg_sleep of 300 ms (over unit_gap,
#          250 ms here) after each request: the repeat path when every
#          statement is its own transaction (a tenth of N1 and N2)
#   rows   SELECT id, v FROM t, 10,000 rows each (unit_gap = 0 too); the
#          single-user backend prints every row (debugtup, printf), which
#          costs several times what sending it to a client does, so the
#          percentage is smaller than it would be over a connection
#   copy   the same SELECT as COPY (SELECT id, v FROM t) TO '/dev/null': its
#          rows go through the output functions and a buffer, much as they
#          would to a client, without the debug printing
# Each configuration runs each input twice, N1 and N2 statements, through a
# single-user backend under callgrind, counting the whole process (no
# --toggle-collect). Ir per statement = (Ir(N2) - Ir(N1)) / (N2 - N1): the
# start-up and shut-down cancel out, and nothing on a statement's own path
# (reading and parsing it, the executor, the output, the commit) is left
# out. The figures are instruction counts (Ir), not timings: they do not
# depend on machine load and repeat exactly. The throwaway cluster lives in
# tmp/bench (or a /tmp folder); the callgrind files are kept there for
# callgrind_annotate. No server is left running.
set -euo pipefail

# shellcheck source=scripts/lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

statements=2000,6000
rows_statements=10,30
loop=10
out="$RP_ROOT/bench/out/overhead.md"
tsv=
setup=1
check=0
while [ $# -gt 0 ]; do
	case $1 in
	--statements | --rows-statements | --loop | --out | --tsv)
		[ $# -ge 2 ] || rp_die "$1 needs a value"
		opt=${1#--}
		printf -v "${opt//-/_}" '%s' "$2"
		shift 2
		;;
	--statements=* | --rows-statements=* | --loop=* | --out=* | --tsv=*)
		opt=${1%%=*}
		opt=${opt#--}
		printf -v "${opt//-/_}" '%s' "${1#*=}"
		shift
		;;
	--no-setup)
		setup=0
		shift
		;;
	--check)
		check=1
		shift
		;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $1 (try --help)" ;;
	esac
done

# run_lengths OPTION VALUE MIN: set RUN_N1 and RUN_N2 from "N1" or
# "N1,N2", N2 defaulting to 3 x N1, with MIN <= N1 < N2. Not in a
# subshell: rp_die must stop the script.
run_lengths() {
	local opt=$1 value=$2 min=$3
	RUN_N1=${value%%,*}
	RUN_N2=${value#*,}
	case $RUN_N1 in
	'' | *[!0-9]*) rp_die "$opt wants N1 or N1,N2 (positive integers), not '$value'" ;;
	esac
	[ "$RUN_N2" != "$value" ] || RUN_N2=$((3 * RUN_N1))
	case $RUN_N2 in
	'' | *[!0-9]*) rp_die "$opt wants N1 or N1,N2 (positive integers), not '$value'" ;;
	esac
	[ "$RUN_N1" -ge "$min" ] || rp_die "$opt: N1 must be at least $min"
	[ "$RUN_N2" -gt "$RUN_N1" ] || rp_die "$opt: N2 must be greater than N1"
}
# The difference between the runs is what is measured: the longer apart,
# the less a few instructions of noise weigh per statement.
run_lengths --statements "$statements" 100
point_n1=$RUN_N1
point_n2=$RUN_N2
run_lengths --rows-statements "$rows_statements" 1
rows_n1=$RUN_N1
rows_n2=$RUN_N2
case $loop in
'' | *[!0-9]*) rp_die "--loop wants an integer, not '$loop'" ;;
esac
# Below relprefetch.threshold (5) a transaction would hold no loop.
[ "$loop" -ge 5 ] || rp_die "--loop must be at least 5 (relprefetch.threshold)"
[ $((point_n2 / loop - point_n1 / loop)) -ge 1 ] ||
	rp_die "--statements: N2 - N1 must hold at least one transaction of --loop $loop"
[ $((point_n2 / 10 / loop - point_n1 / 10 / loop)) -ge 1 ] ||
	rp_die "--statements: a tenth of N2 - N1 (the autoloop input) must hold at least one request of --loop $loop"
# Resolve now: the report is written long after, and relative to the caller.
case $out in
/*) ;;
*) out="$PWD/$out" ;;
esac
case $tsv in
'' | /*) ;;
*) tsv="$PWD/$tsv" ;;
esac

if [ "$setup" -eq 1 ]; then
	bash "$RP_ROOT/scripts/setup.sh" --with-valgrind
fi
for tool in valgrind callgrind_annotate; do
	command -v "$tool" >/dev/null ||
		rp_die "$tool not found (run: bash scripts/setup.sh --with-valgrind)"
done
bindir=$(rp_bindir)
libdir=$("$PG_CONFIG" --pkglibdir)
for lib in relprefetch pg_stat_statements; do
	[ -f "$libdir/$lib.so" ] || rp_die "$libdir/$lib.so is not installed"
done
if [ -f "$RP_ROOT/relprefetch.so" ] &&
	! cmp -s "$RP_ROOT/relprefetch.so" "$libdir/relprefetch.so"; then
	rp_warn "the installed relprefetch.so differs from the one in $RP_ROOT; measuring the installed one"
fi

rp_workdir bench
work=$RP_WORK
template=$work/template
data=$work/data
backend_job=

# A single-user backend ignores SIGINT (it only cancels the statement) and
# would carry on through its whole input; stop the one we started, by the
# PID it wrote to its lock file (negative for a single-user backend).
stop_backend() {
	local pid
	[ -n "$backend_job" ] || return 0
	for _ in $(seq 1 150); do
		kill -0 "$backend_job" 2>/dev/null || break
		if [ -f "$data/postmaster.pid" ]; then
			pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
			pid=${pid#-}
			case $pid in
			'' | *[!0-9]*) ;;
			*) kill -TERM "$pid" 2>/dev/null || true ;;
			esac
		fi
		sleep 0.2
	done
	wait "$backend_job" 2>/dev/null || true
	backend_job=
}

cleanup() {
	stop_backend
	rp_stop_clusters "$work"
	if [ "${sock_temp:-0}" -eq 1 ]; then
		rm -rf "$sockdir"
	fi
	# The clusters are big and rebuilt on every run; the callgrind files and
	# logs are small and worth keeping, unless the folder is a /tmp fallback.
	rm -rf "$template" "$data"
	if [ "$RP_WORK_TEMP" -eq 1 ]; then
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The table is loaded through a server (no TCP, a socket of its own), not
# a single-user backend: in single-user mode new objects get OIDs below
# FirstNormalObjectId, and relprefetch counts only statements that read a
# table of the user's (OID at or above it), so it would count nothing. The
# measured runs are single-user: no port, no socket, no server left behind.
# A C locale keeps the cluster identical from one machine to the next.
rp_say "creating the cluster"
rp_as_pg "$work" "$bindir/initdb" -D "$template" -U postgres -A trust \
	-E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 ||
	rp_die "initdb failed; see $work/initdb.log"
cat >"$work/load.sql" <<'SQL'
CREATE TABLE t (id int primary key, v text);
INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 10000) g;
VACUUM ANALYZE t;
SELECT 'user table: ' || ('t'::regclass::oid >= 16384);
EXPLAIN (COSTS OFF) SELECT v FROM t WHERE id = 42;
SQL
rp_sockdir "$work"
sockdir=$RP_SOCKDIR
sock_temp=$RP_SOCKDIR_TEMP
rp_as_pg "$work" "$bindir/pg_ctl" -D "$template" -l "$work/load-server.log" -w \
	-o "-c listen_addresses='' -c unix_socket_directories='$sockdir' -c fsync=off -c autovacuum=off" \
	start >/dev/null 2>&1 || {
	rp_show_log "$work/load-server.log"
	rp_die "starting the server to load the table failed"
}
load_rc=0
rp_as_pg "$work" "$bindir/psql" -X -At -v ON_ERROR_STOP=1 -h "$sockdir" -U postgres \
	-d postgres -f "$work/load.sql" >"$work/load.log" 2>&1 || load_rc=$?
rp_as_pg "$work" "$bindir/pg_ctl" -D "$template" -m fast -w stop >/dev/null 2>&1 ||
	rp_die "stopping the server that loaded the table failed; see $work/load-server.log"
[ "$load_rc" -eq 0 ] || rp_die "loading the table failed; see $work/load.log"
grep -qx 'user table: true' "$work/load.log" ||
	rp_die "table t has an OID below 16384, relprefetch would not count it; see $work/load.log"
# The figure is meant for an index lookup, not a sequential scan.
grep -q 'Index Scan using t_pkey' "$work/load.log" ||
	rp_die "the point SELECT does not use t_pkey; see $work/load.log"

# The inputs, each for its two run lengths. Keys spread over the whole
# table (7919 is prime, so no key repeats within 10,000 statements) and the
# same in every run; the long run starts with the short run's statements.
# point_input N: N point SELECTs, each its own statement.
point_input() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "SELECT v FROM t WHERE id = %d;\n", (i * 7919) % 10000 + 1
	}'
}
# fresh_input N: the same point SELECTs, their keywords spelled in 256
# ways in turn (select, SELECT, sElEcT...), so that no text is one a
# backend keeps (it keeps 64): every statement is lexed, and kept.
fresh_input() {
	awk -v n="$1" '
	function spell(word, bits,   out, i, c) {
		out = ""
		for (i = 1; i <= length(word); i++) {
			c = substr(word, i, 1)
			out = out ((int(bits / 2 ^ (i - 1)) % 2) ? toupper(c) : c)
		}
		return out
	}
	BEGIN {
		for (i = 1; i <= n; i++) {
			v = i % 256
			printf "%s v %s t %s id = %d;\n", spell("select", v % 64),
				spell("from", int(v / 64)), spell("where", int(v / 16)),
				(i * 7919) % 10000 + 1
		}
	}'
}
# loop_input N: N point SELECTs as short N+1 loops of $loop lookups, each in
# a transaction with its source: BEGIN, the SELECT that reads the $loop keys,
# a lookup for each of them in the order it returned them, COMMIT (the
# statements that do not fill a last transaction are left out). The keys
# come from rows the unit read, so the loop is proven with require_proof.
loop_input() {
	awk -v n="$(($1 / loop))" -v l="$loop" 'BEGIN {
		for (u = 0; u < n; u++) {
			s = (u * 7919) % (10001 - l) + 1
			print "BEGIN;"
			printf "SELECT id FROM t WHERE id BETWEEN %d AND %d ORDER BY id;\n", s, s + l - 1
			for (i = 0; i < l; i++)
				printf "SELECT v FROM t WHERE id = %d;\n", s + i
			print "COMMIT;"
		}
	}'
}
# autoloop_input N: the same loops in autocommit, as an application's
# requests on a pooled connection: no BEGIN and COMMIT (each statement is
# its own transaction), and between requests a pg_sleep of 300 ms, longer
# than the relprefetch.unit_gap these runs get (250 ms: a statement under
# valgrind on a loaded machine can start more than the default 50 ms after
# the one before, which would cut a request in two), so that each request
# is a unit of its own. The pg_sleep reads no table: relprefetch never
# counts it. A tenth of the other inputs' statements, for the sleeps' sake.
autoloop_input() {
	awk -v n="$(($1 / loop))" -v l="$loop" 'BEGIN {
		for (u = 0; u < n; u++) {
			s = (u * 7919) % (10001 - l) + 1
			printf "SELECT id FROM t WHERE id BETWEEN %d AND %d ORDER BY id;\n", s, s + l - 1
			for (i = 0; i < l; i++)
				printf "SELECT v FROM t WHERE id = %d;\n", s + i
			print "SELECT pg_sleep(0.3);"
		}
	}'
}
# rows_input N: N SELECTs of the whole table.
rows_input() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) print "SELECT id, v FROM t;" }'
}
# copy_input N: the same, their rows written to /dev/null by COPY.
copy_input() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) print "COPY (SELECT id, v FROM t) TO '"'"'/dev/null'"'"';"
	}'
}

inputs=(point fresh loop autoloop rows copy)
declare -A input_label n_short n_long
input_label[point]="point SELECT, common path (every statement its own unit)"
input_label[fresh]="the same point SELECT, its text not kept (keywords spelled 256 ways in turn: every statement lexed)"
input_label[loop]="point SELECT, repeat path (an N+1 loop of $loop lookups in each transaction)"
input_label[autoloop]="point SELECT, repeat path in autocommit (the same loops as requests 300 ms apart, every statement its own transaction)"
input_label[rows]="SELECT of 10,000 rows, printed by the single-user backend (every statement its own unit)"
input_label[copy]="the same SELECT in COPY ... TO '/dev/null' (every statement its own unit)"
n_short[point]=$point_n1
n_long[point]=$point_n2
n_short[fresh]=$point_n1
n_long[fresh]=$point_n2
n_short[loop]=$((point_n1 / loop * loop))
n_long[loop]=$((point_n2 / loop * loop))
n_short[autoloop]=$((point_n1 / 10 / loop * loop))
n_long[autoloop]=$((point_n2 / 10 / loop * loop))
n_short[rows]=$rows_n1
n_long[rows]=$rows_n2
n_short[copy]=$rows_n1
n_long[copy]=$rows_n2
for in in "${inputs[@]}"; do
	"${in}_input" "${n_short[$in]}" >"$work/input-$in-short.sql"
	"${in}_input" "${n_long[$in]}" >"$work/input-$in-long.sql"
done

# run_backend TAG INPUT PRELOAD [GUC=VALUE...]: run INPUT through a
# single-user backend under callgrind, the whole process counted, on a fresh
# copy of the template, so that nothing one run leaves behind (stats files,
# WAL position, relprefetch.stat) can change the next one's path.
run_backend() {
	local tag=$1 input=$2 preload=$3 guc rc=0
	local -a gucs=()
	shift 3
	for guc in "$@"; do
		gucs+=(-c "$guc")
	done
	rm -rf "$data"
	cp -a "$template" "$data"
	rp_as_pg "$work" valgrind --tool=callgrind --compress-strings=no \
		--callgrind-out-file="$work/$tag.callgrind" \
		"$bindir/postgres" --single -D "$data" \
		-c shared_preload_libraries="$preload" "${gucs[@]}" postgres \
		<"$input" >"$work/$tag.stdout" 2>"$work/$tag.stderr" &
	backend_job=$!
	wait "$backend_job" || rc=$?
	backend_job=
	rm -rf "$data"
	[ "$rc" -eq 0 ] || rp_die "backend $tag exited with status $rc; see $work/$tag.stderr"
	if grep -Eq '(ERROR|FATAL|PANIC):' "$work/$tag.stdout" "$work/$tag.stderr"; then
		rp_die "backend $tag reported an error; see $work/$tag.stderr"
	fi
}

# The awk function every callgrind parser below starts with: nm(FIELD) is
# the name in an ob=, fl=, fn= or cfn= field, plain or compressed. A
# compressed field "(id) name" defines id, and a later "(id)" alone stands
# for that name. Ids are per file: a parser reading two files resets
# names[] when the second starts.
cg_nm_awk='
	function nm(s,   id, rest) {
		if (match(s, /^\([0-9]+\)/)) {
			id = substr(s, 2, RLENGTH - 2)
			rest = substr(s, RLENGTH + 1)
			sub(/^ /, "", rest)
			if (rest != "")
				names[id] = rest
			return names[id]
		}
		return s
	}
'

# cg_calls FILE: "CALLS NAME" for every function called in the run.
cg_calls() {
	awk "$cg_nm_awk"'
	/^fn=/ { nm(substr($0, 4)); next }
	/^cfn=/ { callee = nm(substr($0, 5)); next }
	/^calls=/ { split(substr($0, 7), a, " "); n[callee] += a[1]; next }
	END { for (f in n) printf "%.0f %s\n", n[f], f }
	' "$1"
}

# calls_to FILE NAME: how often NAME was called (0 if never).
calls_to() {
	cg_calls "$1" | awk -v f="$2" '$2 == f { c = $1 } END { printf "%.0f\n", c }'
}

# cg_total FILE: the Ir total. "totals:" is what callgrind counted;
# "summary:" is the older spelling of the same line.
cg_total() {
	awk '/^totals:/ { t = $2 } /^summary:/ { s = $2 }
		END { if (t != "") print t; else if (s != "") print s; else exit 1 }' "$1"
}

# annotate_total FILE: the total as callgrind_annotate reads it, to check
# that cg_total parses the file the way valgrind's own tool does. It sums
# the cost lines, which can miss a few hundred instructions of the whole
# process's "totals:" (counted at exit), so the two must agree to 0.001%.
annotate_total() {
	callgrind_annotate "$1" 2>/dev/null |
		awk '/PROGRAM TOTALS/ && t == "" { t = $1; gsub(",", "", t) } END { print t }'
}

# cg_breakdown SHORT LONG N: relprefetch.so's functions, per statement of
# the difference between the runs (LONG minus SHORT, divided by N), one per
# line: NAME FILE CALLS/STMT SELF/STMT INCL/STMT OWN/STMT, sorted by INCL.
# FILE is the source file the function is in (inlined static functions
# count in their caller). INCL is the function's inclusive cost minus the
# hook it chains to (standard_Executor*, pg_stat_statements' hooks) or the
# receiver it passes rows on to (debugtup, printtup): for rp_ExecutorStart
# that is what relprefetch adds around the executor, not the executor
# itself. OWN counts only work not done inside other
# relprefetch functions, so the OWN column adds up to everything
# relprefetch's code costs directly (the "(direct)" line).
cg_breakdown() {
	awk -v n="$3" -v short="$1" "$cg_nm_awk"'
	function chained(f) {
		return f ~ /^standard_(Executor(Start|Run|Finish|End)|ProcessUtility)$/ ||
			f ~ /^pgss_/ || f ~ /^(debugtup|debugStartup|printtup)/
	}
	FNR == 1 {
		sign = (FILENAME == short) ? -1 : 1
		delete names
		ob = fl = fn = ""
		pending = 0
	}
	/^ob=/ { ob = nm(substr($0, 4)); next }
	/^fl=/ { fl = nm(substr($0, 4)); next }
	/^fn=/ {
		fn = nm(substr($0, 4))
		ours = (ob ~ /\/relprefetch\.so$/)
		if (ours) {
			rp[fn] = 1
			if (!(fn in file)) {
				file[fn] = fl
				sub(/.*\//, "", file[fn])
			}
		}
		next
	}
	/^cfn=/ { callee = nm(substr($0, 5)); next }
	/^calls=/ {
		split(substr($0, 7), a, " ")
		ncalls[callee] += sign * a[1]
		pending = 1
		next
	}
	/^[0-9+*-]/ {
		cost = sign * (($2 == "") ? 0 : $2)
		if (pending) {
			pending = 0
			# The receiver relprefetch passes rows on to may be static in
			# the stripped server (COPY'"'"'s): named by its address.
			if (ours && !chained(callee) &&
				!(fn ~ /^rp_capture_/ && callee ~ /^0x/)) {
				incl[fn] += cost
				callcost[fn, callee] += cost
			}
		} else if (ours) {
			self[fn] += cost
			incl[fn] += cost
		}
		next
	}
	END {
		for (k in callcost) {
			split(k, p, SUBSEP)
			if (!(p[2] in rp))
				ext[p[1]] += callcost[k]
		}
		for (f in rp) {
			own = self[f] + ext[f]
			direct += own
			printf "%.3f\t%s %s %.2f %.1f %.1f %.1f\n", incl[f] / n, f,
				(file[f] == "") ? "?" : file[f], ncalls[f] / n, self[f] / n,
				incl[f] / n, own / n
		}
		printf "-1e99\t(direct) - - - - %.1f\n", direct / n
	}
	' "$1" "$2" | sort -t "$(printf '\t')" -k1,1gr -k2,2 | cut -f2-
}

# Which function runs one simple-protocol query. It is exec_simple_query,
# but that is static, and Debian strips the server binary: callgrind then
# names it by its address (e.g. 0x000000000047c300). Find it as the one
# function that calls both pg_parse_query and PortalRun (exec_parse_message
# calls only the first, exec_execute_message only the second), in a short
# run; its calls then tell that every run ran all its statements.
rp_say "calibrating: finding exec_simple_query"
head -n 3 "$work/input-point-short.sql" >"$work/calibrate.sql"
run_backend calibrate "$work/calibrate.sql" ""
esq=$(
	awk "$cg_nm_awk"'
	/^fn=/ { fn = nm(substr($0, 4)); next }
	/^cfn=/ {
		c = nm(substr($0, 5))
		if (c == "pg_parse_query") parse[fn] = 1
		if (c == "PortalRun") run[fn] = 1
		next
	}
	END { for (f in parse) if (f in run) print f }
	' "$work/calibrate.callgrind"
)
if [ -z "$esq" ] || [ "$(printf '%s\n' "$esq" | wc -l)" -ne 1 ]; then
	rp_die "cannot tell which function is exec_simple_query (candidates: ${esq:-none})"
fi
rp_say "exec_simple_query is '$esq' to callgrind"

# id|label|shared_preload_libraries|GUCs (space-separated). With the point,
# rows and copy inputs, relprefetch also gets relprefetch.unit_gap = 0, so that
# every statement is a unit of its own (single-user mode reads its input
# back to back, which would otherwise make one long unit).
configs=(
	"1|no library||"
	"2|relprefetch, require_proof = off|relprefetch|relprefetch.require_proof=off"
	"3|relprefetch, defaults (require_proof on)|relprefetch|relprefetch.require_proof=on"
	"4|pg_stat_statements|pg_stat_statements|"
	"5|relprefetch + pg_stat_statements|relprefetch,pg_stat_statements|"
)
# The configurations held to issue 11's targets.
target_ids=(2 3)

# per NAME: calls to NAME in the long run beyond the short one
# ($file_l, $file_s), per statement ($dn statements between them).
per() {
	awk -v a="$(calls_to "$file_s" "$1")" -v b="$(calls_to "$file_l" "$1")" \
		-v n="$dn" 'BEGIN { printf "%.6g", (b - a) / n }'
}

declare -A label total perstmt notes
ids=()
for cfg in "${configs[@]}"; do
	IFS='|' read -r id lab preload gucs <<<"$cfg"
	ids+=("$id")
	label[$id]=$lab
	for in in "${inputs[@]}"; do
		run_gucs=$gucs
		case ",$preload,:$in" in
		*,relprefetch,*:point | *,relprefetch,*:fresh | *,relprefetch,*:rows | *,relprefetch,*:copy)
			run_gucs="relprefetch.unit_gap=0${gucs:+ $gucs}"
			;;
		*,relprefetch,*:autoloop)
			run_gucs="relprefetch.unit_gap=250${gucs:+ $gucs}"
			;;
		esac
		for len in short long; do
			tag=run$id-$in-$len
			n=${n_short[$in]}
			[ "$len" = short ] || n=${n_long[$in]}
			rp_say "run $id, $in, $n statements: $lab${run_gucs:+ ($run_gucs)}"
			# shellcheck disable=SC2086 # run_gucs is a space-separated list on purpose
			run_backend "$tag" "$work/input-$in-$len.sql" "$preload" $run_gucs
			file=$work/$tag.callgrind
			t=$(cg_total "$file") || rp_die "no totals in $file"
			at=$(annotate_total "$file")
			awk -v a="${at:-0}" -v t="$t" 'BEGIN { d = a - t; exit !(d * d <= (t / 1e5) ^ 2) }' ||
				rp_die "$file: totals line says $t, callgrind_annotate says ${at:-nothing}"
			total[$id,$in,$len]=$t
			# Every statement ran and returned its rows.
			expect=$n
			[ "$in" != loop ] || expect=$((n + 3 * n / loop))
			[ "$in" != autoloop ] || expect=$((n + 2 * n / loop))
			ran=$(calls_to "$file" "$esq")
			[ "$ran" -eq "$expect" ] ||
				rp_die "run $tag: exec_simple_query ran $ran times for $expect statements"
			# Rows with a v (point SELECTs, the rows input) and with an id
			# (the rows input, the loops' sources; after a sort, the
			# single-user backend prints the id column without its name).
			case $in in
			point | fresh) expect="$n 0" ;;
			loop | autoloop) expect="$n $n" ;;
			rows) expect="$((n * 10000)) $((n * 10000))" ;;
			copy) expect="0 0" ;;
			esac
			rows=$(awk '/^[[:space:]]*[12]: v = / { v++ } /^[[:space:]]*1: (id)? = / { i++ }
				END { print v + 0, i + 0 }' "$work/$tag.stdout")
			[ "$rows" = "$expect" ] ||
				rp_die "run $tag: rows returned (with v, with id): $rows, expected $expect"
			# The rows are checked; the 10,000-row runs' output is big.
			rm -f "$work/$tag.stdout"
		done
		file_s=$work/run$id-$in-short.callgrind
		file_l=$work/run$id-$in-long.callgrind
		dn=$((n_long[$in] - n_short[$in]))
		perstmt[$id,$in]=$(awk -v a="${total[$id,$in,short]}" -v b="${total[$id,$in,long]}" \
			-v n="$dn" 'BEGIN { printf "%.1f", (b - a) / n }')

		# What the long run exercised beyond the short one, per statement,
		# from call counts: units of work (rp_unit_end runs once as each
		# unit starts), updates of shared memory (pending slot or table),
		# rows whose values were kept for a proof, proofs looked for,
		# repeats left out for lack of proof, queries jumbled, N+1
		# notifications logged.
		note=
		case ",$preload," in
		*,relprefetch,*)
			# (a repeated execution's update not where the slot has its
			# entry goes on to rp_stats_count: counted once)
			shared=0
			for f in rp_stats_add rp_stats_count rp_stats_record_repeat \
				rp_stats_count_execution; do
				shared=$(awk -v a="$shared" -v b="$(per "$f")" 'BEGIN { printf "%.6g", a + b }')
			done
			shared=$(awk -v a="$shared" -v b="$(per rp_stats_count_execution_elsewhere)" \
				'BEGIN { printf "%.6g", a - b }')
			units=$(per rp_unit_end)
			note="units=$units shared-updates=$shared"
			case " $gucs " in
			*require_proof=on*)
				unproven=$(per rp_stats_count_unproven)
				kept=$(awk -v a="$(per rp_capture_receive)" -v b="$(per rp_capture_receive_int)" 'BEGIN { printf "%.6g", a + b }')
				note+=" rows-kept=$kept proofs=$(per rp_proof_find) unproven=$unproven"
				;;
			*) unproven=0 ;;
			esac
			# The figures mean something only if relprefetch took the path
			# they are given for.
			[ "$units" != 0 ] ||
				rp_die "run $id, $in: relprefetch counted no statement ($note)"
			if [[ $in == *loop ]] && { [ "$shared" = 0 ] || [ "$unproven" != 0 ]; }; then
				rp_die "run $id, $in: relprefetch did not record every loop ($note)"
			fi
			if [[ $in != *loop ]] && [ "$shared" != 0 ]; then
				rp_die "run $id, $in: relprefetch took its repeat path ($note)"
			fi
			;;
		esac
		jumbled=$(per JumbleQuery)
		if [ "$jumbled" != 0 ]; then
			note="${note:+$note }jumbled=$jumbled"
		fi
		logged=$(grep -c 'N+1 query pattern: ' "$work/run$id-$in-long.stderr" || true)
		if [ "$logged" -gt 0 ]; then
			note="${note:+$note }logged=$logged"
		fi
		notes[$id,$in]=$note
	done
done

# Repeatability: the no-library point run again, after all the others.
rp_say "run 1 again (point, ${n_long[point]} statements): repeatability"
run_backend run1b-point-long "$work/input-point-long.sql" ""
rm -f "$work/run1b-point-long.stdout"
again=$(cg_total "$work/run1b-point-long.callgrind") ||
	rp_die "no totals in $work/run1b-point-long.callgrind"
repeat=$(awk -v a="${total[1,point,long]}" -v b="$again" -v n="${n_long[point]}" 'BEGIN {
	d = b - a
	printf "no library, point, %d statements: %.0f Ir, then %.0f Ir at the end; difference %.0f Ir (%.4f%%)",
		n, a, b, d, 100 * d / a
}')

# extra ID INPUT: "IR PERCENT" per statement over no library, same input.
extra() {
	awk -v t="${perstmt[$1,$2]}" -v b="${perstmt[1,$2]}" \
		'BEGIN { printf "%.1f %.2f", t - b, 100 * (t - b) / b }'
}
# target_of INPUT: issue 11's budget, in percent.
target_of() { case $1 in rows | copy) echo 1 ;; *) echo 1.00 ;; esac; }
# verdict ID INPUT: met or MISSED for the configurations held to a target,
# nothing for the others. The percentage is compared as printed (2 decimals).
verdict_of() {
	local id=$1 in=$2 t pct
	case " ${target_ids[*]} " in
	*" $id "*) ;;
	*) return 0 ;;
	esac
	read -r _ pct <<<"$(extra "$id" "$in")"
	t=$(target_of "$in")
	if awk -v p="$pct" -v t="$t" 'BEGIN { exit !(p <= t) }'; then
		echo met
	else
		echo MISSED
	fi
}
# fmt_ir X: X rounded, with thousands separators (bash printf has no ').
fmt_ir() {
	awk -v x="$1" 'BEGIN {
		s = sprintf("%.0f", x < 0 ? -x : x)
		o = ""
		while (length(s) > 3) {
			o = "," substr(s, length(s) - 2) o
			s = substr(s, 1, length(s) - 3)
		}
		printf "%s%s%s", (x < 0 ? "-" : ""), s, o
	}'
}

# The summary: one row per configuration, one column per input.
summary=$(
	printf '| configuration |'
	for in in "${inputs[@]}"; do
		printf ' %s |' "${input_label[$in]}"
	done
	printf '\n|---|'
	for in in "${inputs[@]}"; do
		printf -- '---:|'
	done
	printf '\n'
	for id in "${ids[@]}"; do
		printf '| %s |' "${label[$id]}"
		for in in "${inputs[@]}"; do
			if [ "$id" = 1 ]; then
				printf ' %s Ir |' "$(fmt_ir "${perstmt[$id,$in]}")"
			else
				read -r abs pct <<<"$(extra "$id" "$in")"
				v=$(verdict_of "$id" "$in")
				printf ' %s%s (%+.2f%%)%s |' "$([ "${abs#-}" = "$abs" ] && echo +)" \
					"$(fmt_ir "$abs")" "$pct" "${v:+, $v}"
			fi
		done
		printf '\n'
	done
)

# The details: every run's total.
details=$(
	printf '| # | configuration | input | N1 | Ir(N1) | N2 | Ir(N2) | Ir/statement | extra Ir | extra %% | exercised, per statement |\n'
	printf '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n'
	for in in "${inputs[@]}"; do
		for id in "${ids[@]}"; do
			read -r abs pct <<<"$(extra "$id" "$in")"
			if [ "$id" = 1 ]; then
				abs=-
				pct=-
			fi
			printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
				"$id" "${label[$id]}" "$in" "${n_short[$in]}" "${total[$id,$in,short]}" \
				"${n_long[$in]}" "${total[$id,$in,long]}" "${perstmt[$id,$in]}" \
				"$abs" "$pct" "${notes[$id,$in]}"
		done
	done
)

if [ -n "$tsv" ]; then
	mkdir -p "$(dirname "$tsv")"
	{
		printf 'id\tconfiguration\tinput\tinput_label\tir_per_statement\textra_ir\textra_pct\tcompared_with\ttarget\texercised\tn_short\tn_long\tir_short\tir_long\n'
		for in in "${inputs[@]}"; do
			for id in "${ids[@]}"; do
				read -r abs pct <<<"$(extra "$id" "$in")"
				printf '%s\t' "$id" "${label[$id]}" "$in" "${input_label[$in]}" \
					"${perstmt[$id,$in]}" "$abs" "$pct" 1 "$(verdict_of "$id" "$in")" \
					"${notes[$id,$in]}" "${n_short[$in]}" "${n_long[$in]}" \
					"${total[$id,$in,short]}"
				printf '%s\n' "${total[$id,$in,long]}"
			done
		done
	} >"$tsv"
fi

# The targets of issue 11, for relprefetch alone with require_proof off
# and on; pg_stat_statements alongside, measured on the same runs.
verdict=
failed=0
for in in "${inputs[@]}"; do
	t=$(target_of "$in")
	verdict+="- ${input_label[$in]} (target: at most +$t%):"$'\n'
	for id in "${target_ids[@]}" 4; do
		read -r abs pct <<<"$(extra "$id" "$in")"
		v=$(verdict_of "$id" "$in")
		case $v in
		met) v=" - meets the target" ;;
		MISSED)
			v=$(awk -v p="$pct" -v t="$t" -v a="$abs" -v b="${perstmt[1,$in]}" 'BEGIN {
				printf " - MISSES the target by %.2f points (%.0f Ir/statement too many)",
					p - t, a - t * b / 100 }')
			failed=1
			;;
		esac
		verdict+="  - ${label[$id]}: +$pct% (+$abs Ir)$v"$'\n'
	done
done

# Per function: relprefetch with require_proof off (2) and on (3), side by
# side, and what the proof adds.
breakdowns=
for in in "${inputs[@]}"; do
	dn=$((n_long[$in] - n_short[$in]))
	for id in 2 3; do
		cg_breakdown "$work/run$id-$in-short.callgrind" "$work/run$id-$in-long.callgrind" "$dn" \
			>"$work/breakdown$id-$in.txt"
	done
	read -r abs2 pct2 <<<"$(extra 2 "$in")"
	read -r abs3 pct3 <<<"$(extra 3 "$in")"
	breakdowns+=$'\n'"### ${input_label[$in]}"$'\n\n'
	breakdowns+="Extra per statement: require_proof off +$abs2 Ir (+$pct2%), on +$abs3 Ir (+$pct3%)."$'\n\n'
	breakdowns+="| function | file | off: calls | off: inclusive | off: own | on: calls | on: inclusive | on: own | own, on - off |"$'\n'
	breakdowns+="|---|---|---:|---:|---:|---:|---:|---:|---:|"$'\n'
	# Read with require_proof on first, so that its order (by inclusive
	# cost) is the table's; cfg 1 is off, cfg 2 on.
	breakdowns+=$(awk -v x2="$abs2" -v x3="$abs3" '
		FNR == 1 { cfg = (NR == 1) ? 2 : 1 }
		{
			key = $1
			if (!(key in seen)) { seen[key] = 1; order[++n] = key; file[key] = $2 }
			calls[key, cfg] = $3; incl[key, cfg] = $5; own[key, cfg] = $6
		}
		function v(x) { return (x == "") ? "0.0" : x }
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]
				if (k == "(direct)")
					continue
				if (v(incl[k, 1]) == "0.0" && v(incl[k, 2]) == "0.0" &&
					v(own[k, 1]) == "0.0" && v(own[k, 2]) == "0.0")
					continue
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %+.1f |\n", k, file[k],
					v(calls[k, 1]), v(incl[k, 1]), v(own[k, 1]),
					v(calls[k, 2]), v(incl[k, 2]), v(own[k, 2]),
					own[k, 2] - own[k, 1]
			}
			k = "(direct)"
			printf "| (direct: sum of own) | | | | %s | | | %s | %+.1f |\n",
				own[k, 1], own[k, 2], own[k, 2] - own[k, 1]
			printf "| (indirect: extra - direct) | | | | %.1f | | | %.1f | %+.1f |\n",
				x2 - own[k, 1], x3 - own[k, 2], (x3 - own[k, 2]) - (x2 - own[k, 1])
		}' "$work/breakdown3-$in.txt" "$work/breakdown2-$in.txt")
	breakdowns+=$'\n'
done

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
machine=$(
	printf -- '- CPU: %s (%s logical CPUs)\n' "${cpu:-unknown}" "$(nproc)"
	printf -- '- kernel: %s\n' "$(uname -srm)"
	printf -- '- PostgreSQL: %s\n' "$("$bindir/postgres" --version)"
	printf -- '- valgrind: %s\n' "$(valgrind --version)"
	printf -- '- relprefetch.so: %s (sha256 %s)\n' "$libdir/relprefetch.so" \
		"$(sha256sum "$libdir/relprefetch.so" | cut -c1-16)"
)
if [ "$RP_WORK_TEMP" -eq 1 ]; then
	kept="removed (temporary folder)"
else
	kept="\`$work/run<id>-<input>-<short|long>.callgrind\` (e.g. \`callgrind_annotate --inclusive=yes $work/run3-rows-long.callgrind\`)"
fi

mkdir -p "$(dirname "$out")"
cat >"$out" <<REPORT
# relprefetch overhead per statement

Generated by \`bash bench/overhead.sh --statements $point_n1,$point_n2 --rows-statements $rows_n1,$rows_n2 --loop $loop\` on $(date -u '+%Y-%m-%d %H:%M UTC').

Method (issue 11): every configuration runs each input twice, N1 and N2
statements, through a single-user backend under \`valgrind --tool=callgrind\`
counting the whole process (no \`--toggle-collect\`). Ir = instructions
executed; Ir/statement = (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and
shut-down cancel out and everything on a statement's own path counts:
reading and parsing it, planning, the executor, sending the rows (to the
single-user backend's debug output), the commit. Extra = Ir/statement minus
no library's, with the same input.

Inputs:
- **point**: $point_n1 and $point_n2 statements \`SELECT v FROM t WHERE id = <k>;\`
  (10,000-row table, index scan on \`t_pkey\`), each its own autocommit unit of
  work (relprefetch runs with \`relprefetch.unit_gap = 0\`): the common path.
- **fresh**: the same statements, their keywords spelled 256 ways in turn
  (\`sElEcT v FrOm t wHeRe id = <k>;\`), so that no text is one the backend
  keeps (it keeps 64): every statement is lexed and then kept, the cost of a
  text relprefetch has not seen (on \`point\`, the text matches a kept one).
- **loop**: ${n_short[loop]} and ${n_long[loop]} point SELECTs as short N+1 loops of $loop, each
  transaction \`BEGIN; SELECT id FROM t WHERE id BETWEEN <k> AND <k + $((loop - 1))> ORDER BY id;\`,
  \`SELECT v FROM t WHERE id = <id>;\` for each id returned in that order,
  \`COMMIT;\` (the source, BEGIN and COMMIT are counted too, per point SELECT):
  a loop detected in every transaction, and with require_proof proven from
  the source's rows: relprefetch's repeat path.
- **autoloop**: ${n_short[autoloop]} and ${n_long[autoloop]} lookups, the same loops in autocommit, as
  requests on a pooled connection: no \`BEGIN\` and \`COMMIT\`, every statement
  its own transaction, and \`SELECT pg_sleep(0.3);\` after each request,
  longer than \`relprefetch.unit_gap\` (250 ms here: under valgrind on a
  loaded machine a statement can start more than the default 50 ms after
  the one before), so that each request is a unit of its own (the pg_sleep
  reads no table: never counted). The repeat path when every statement is
  its own transaction.
- **rows**: $rows_n1 and $rows_n2 statements \`SELECT id, v FROM t;\`, 10,000 rows each
  (\`unit_gap = 0\` too). The single-user backend prints every row
  (\`debugtup\`, \`printf\`: over 90% of this statement's instructions), which
  costs several times what sending it to a client does, so the percentage
  is much smaller here than it would be over a connection.
- **copy**: the same statements as \`COPY (SELECT id, v FROM t) TO '/dev/null';\`:
  the rows go through the output functions into a buffer, as they would to
  a client, without the debug printing; relprefetch counts the statement
  and, with require_proof, keeps its rows' values all the same.

## Machine

$machine

## Results

Ir per statement without a library; for the others, extra Ir per statement
and percent over no library (issue 11's targets: relprefetch at most +1.00%
per point SELECT on the common and the repeat path, at most +1% per
10,000-row SELECT).

$summary

## Targets

$verdict
## Every run

$details

"exercised" counts calls in the long run beyond the short one, per
statement: \`units\` = units of work started, \`shared-updates\` = updates of
shared memory (pending slot or table), \`rows-kept\` = rows passed through the
receiver that keeps their values for a proof, \`proofs\` = proofs looked for,
\`unproven\` = repeats left out for lack of proof, \`jumbled\` = queries given a
query id, \`logged\` = N+1 LOG messages (in the long run).

Repeatability: $repeat.

## Where relprefetch's instructions go

Per statement (long run minus short run), functions of relprefetch.so, with
require_proof off (configuration 2) and on (3). *inclusive* leaves out the
hook it chains to (standard_Executor*) and the receiver it passes rows on to
(debugtup), so it is what relprefetch adds there; *own* leaves out the other relprefetch functions too (static
functions inlined by the compiler count in their caller), so the *own*
column adds up to the \`(direct)\` line. Extra minus direct is the indirect
cost: what relprefetch's presence changes in the server's own work (memory
contexts, clock reads, a longer hook chain) plus memory layout effects, which
shift any configuration by a few tens of Ir per statement.
$breakdowns
Valgrind counts each iteration of a \`rep stos\`/\`rep movs\` instruction as one
instruction, so large memset/memcpy calls (glibc uses \`rep stosb\` above about
2 KB) weigh more here than in CPU time.

Callgrind files: $kept.
REPORT

printf '\n%s\n\nRepeatability: %s\n\n%s\nReport: %s\n' "$summary" "$repeat" "$verdict" "$out"
if [ "$check" -eq 1 ] && [ "$failed" -eq 1 ]; then
	exit 3
fi
