#!/usr/bin/env bash
# Measure the instructions relprefetch adds to a primary-key point SELECT.
#
# Usage: bash bench/overhead.sh [--statements N] [--loop N] [--out FILE] [--tsv FILE] [--no-setup] [--check]
#   --statements N  SELECTs per measured run (default 2000)
#   --loop N        also measure short N+1 loops: the same SELECTs in
#                   transactions of N (BEGIN, N SELECTs, COMMIT), each a
#                   unit of work in which relprefetch detects a loop once N
#                   reaches relprefetch.threshold (5), with no library
#                   (config 8) and with relprefetch (config 9); default 0:
#                   not measured
#   --out FILE      Markdown report (default bench/out/overhead.md)
#   --tsv FILE      also write the results table as tab-separated values,
#                   under a header line naming the columns: id,
#                   configuration, ir_per_statement, extra_ir, extra_pct,
#                   exercised, compared_with (the id of the configuration
#                   the extra is over), input (plain, or loop for the short
#                   N+1 loops) (bench/report.py reads it)
#   --no-setup      measure the relprefetch.so already installed instead of
#                   running scripts/setup.sh --with-valgrind (build + install)
#   --check         exit with status 3 when relprefetch misses its target
#                   (at most 1% over no library, below pg_stat_statements)
#
# Every configuration runs the same N statements in a single-user backend
# under callgrind, counting only inside exec_simple_query, so the figures are
# instruction counts (Ir), not timings: they do not depend on machine load
# and repeat to within a few instructions per statement. The throwaway
# cluster lives in tmp/bench (or a /tmp folder); the callgrind files are
# kept there for callgrind_annotate. No server is left running.
set -euo pipefail

# shellcheck source=scripts/lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

statements=2000
loop=0
out="$RP_ROOT/bench/out/overhead.md"
tsv=
setup=1
check=0
while [ $# -gt 0 ]; do
	case $1 in
	--statements)
		[ $# -ge 2 ] || rp_die "--statements needs a number"
		statements=$2
		shift 2
		;;
	--statements=*)
		statements=${1#*=}
		shift
		;;
	--loop)
		[ $# -ge 2 ] || rp_die "--loop needs a number"
		loop=$2
		shift 2
		;;
	--loop=*)
		loop=${1#*=}
		shift
		;;
	--out)
		[ $# -ge 2 ] || rp_die "--out needs a file name"
		out=$2
		shift 2
		;;
	--out=*)
		out=${1#*=}
		shift
		;;
	--tsv)
		[ $# -ge 2 ] || rp_die "--tsv needs a file name"
		tsv=$2
		shift 2
		;;
	--tsv=*)
		tsv=${1#*=}
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
case $statements in
'' | *[!0-9]*) rp_die "--statements wants a positive integer, not '$statements'" ;;
esac
# Fewer statements would let the first one (relcache and catcache loads,
# the same in every configuration) dominate the per-statement figure.
[ "$statements" -ge 100 ] || rp_die "--statements must be at least 100"
case $loop in
'' | *[!0-9]*) rp_die "--loop wants an integer, not '$loop'" ;;
esac
[ "$loop" -eq 0 ] || [ "$loop" -ge 2 ] || rp_die "--loop must be 0 (off) or at least 2"
[ "$loop" -le "$statements" ] || rp_die "--loop must not exceed --statements"
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

# Single-user mode needs no port or socket and leaves no server behind; a C
# locale keeps the cluster identical from one machine to the next.
rp_say "creating the cluster"
rp_as_pg "$work" "$bindir/initdb" -D "$template" -U postgres -A trust \
	-E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 ||
	rp_die "initdb failed; see $work/initdb.log"
cat >"$work/load.sql" <<'EOF'
CREATE TABLE t (id int primary key, v text);
INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 10000) g;
VACUUM ANALYZE t;
EXPLAIN (COSTS OFF) SELECT v FROM t WHERE id = 42;
EOF
rp_as_pg "$work" "$bindir/postgres" --single -D "$template" postgres \
	<"$work/load.sql" >"$work/load.log" 2>&1 ||
	rp_die "loading the table failed; see $work/load.log"
if grep -q 'ERROR:' "$work/load.log"; then
	rp_die "loading the table failed; see $work/load.log"
fi
# The figure is meant for an index lookup, not a sequential scan.
grep -q 'Index Scan using t_pkey' "$work/load.log" ||
	rp_die "the point SELECT does not use t_pkey; see $work/load.log"

# Keys spread over the whole table (7919 is prime, so no key repeats within
# 10,000 statements) but the same in every run.
awk -v n="$statements" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "SELECT v FROM t WHERE id = %d;\n", (i * 7919) % 10000 + 1
}' >"$work/input.sql"
head -n 3 "$work/input.sql" >"$work/calibrate.sql"
# The same keys in transactions of $loop (the statements that do not fill a
# last transaction are left out).
loop_units=0
loop_statements=0
if [ "$loop" -gt 0 ]; then
	loop_units=$((statements / loop))
	loop_statements=$((loop_units * loop))
	awk -v n="$loop_statements" -v l="$loop" 'BEGIN {
		for (i = 1; i <= n; i++) {
			if ((i - 1) % l == 0) print "BEGIN;"
			printf "SELECT v FROM t WHERE id = %d;\n", (i * 7919) % 10000 + 1
			if (i % l == 0) print "COMMIT;"
		}
	}' >"$work/input-loop.sql"
fi

# run_backend TAG INPUT TOGGLE PRELOAD [GUC=VALUE...]: run INPUT through a
# single-user backend under callgrind on a fresh copy of the template, so
# that nothing one configuration leaves behind (stats files, WAL position,
# relprefetch.stat) can change the next one's path.
run_backend() {
	local tag=$1 input=$2 toggle=$3 preload=$4 guc rc=0
	local -a gucs=() vg
	shift 4
	for guc in "$@"; do
		gucs+=(-c "$guc")
	done
	rm -rf "$data"
	cp -a "$template" "$data"
	vg=(valgrind --tool=callgrind --compress-strings=no
		--callgrind-out-file="$work/$tag.callgrind")
	if [ -n "$toggle" ]; then
		vg+=(--toggle-collect="$toggle")
	fi
	rp_as_pg "$work" "${vg[@]}" "$bindir/postgres" --single -D "$data" \
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
# the name in an ob=, fn= or cfn= field, plain or compressed. A compressed
# field "(id) name" defines id, and a later "(id)" alone stands for that name.
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

# cg_calls FILE: "CALLS NAME" for every function called while collecting.
cg_calls() {
	awk "$cg_nm_awk"'
	/^fn=/ { nm(substr($0, 4)); next }
	/^cfn=/ { callee = nm(substr($0, 5)); next }
	/^calls=/ { split(substr($0, 7), a, " "); n[callee] += a[1]; next }
	END { for (f in n) print n[f], f }
	' "$1"
}

# calls_to FILE NAME: how often NAME was called (0 if never).
calls_to() {
	cg_calls "$1" | awk -v f="$2" '$2 == f { c = $1 } END { print c + 0 }'
}

# cg_total FILE: the Ir total. "totals:" is what callgrind counted while
# collection was on; "summary:" is the older spelling of the same line.
cg_total() {
	awk '/^totals:/ { t = $2 } /^summary:/ { s = $2 }
		END { if (t != "") print t; else if (s != "") print s; else exit 1 }' "$1"
}

# annotate_total FILE: the same total as callgrind_annotate reads it, to
# check that cg_total parses the file the way valgrind's own tool does.
annotate_total() {
	callgrind_annotate "$1" 2>/dev/null |
		awk '/PROGRAM TOTALS/ && t == "" { t = $1; gsub(",", "", t) } END { print t }'
}

# cg_breakdown FILE N: relprefetch.so's functions, one per line:
# NAME CALLS/STMT SELF/STMT INCL/STMT OWN/STMT, sorted by INCL. INCL is the
# function's inclusive cost minus the hook it chains to (standard_Executor*,
# pg_stat_statements' hooks): for rp_ExecutorStart that is what relprefetch
# adds around the executor, not the executor itself. OWN counts only work
# not done inside other relprefetch functions, so the OWN column adds up to
# everything relprefetch's code costs directly (the "direct" line).
cg_breakdown() {
	awk -v n="$2" "$cg_nm_awk"'
	function chained(f) {
		return f ~ /^standard_(Executor(Start|Run|Finish|End)|ProcessUtility)$/ ||
			f ~ /^pgss_/
	}
	/^ob=/ { ob = nm(substr($0, 4)); next }
	/^fn=/ {
		fn = nm(substr($0, 4))
		ours = (ob ~ /\/relprefetch\.so$/)
		if (ours)
			rp[fn] = 1
		next
	}
	/^cfn=/ { callee = nm(substr($0, 5)); next }
	/^calls=/ {
		split(substr($0, 7), a, " ")
		ncalls[callee] += a[1]
		pending = 1
		next
	}
	/^[0-9+*-]/ {
		cost = ($2 == "") ? 0 : $2
		if (pending) {
			pending = 0
			if (ours && !chained(callee)) {
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
			printf "%.3f\t%s %.2f %.1f %.1f %.1f\n", incl[f] / n, f,
				ncalls[f] / n, self[f] / n, incl[f] / n, own / n
		}
		printf "-1\t(direct) - - - %.1f\n", direct / n
	}
	' "$1" | sort -t "$(printf '\t')" -k1,1gr -k2,2 | cut -f2-
}

# Which function runs one simple-protocol query. It is exec_simple_query,
# but that is static, and Debian strips the server binary: callgrind then
# names it by its address (e.g. 0x000000000047c300). Find it as the one
# function that calls both pg_parse_query and PortalRun (exec_parse_message
# calls only the first, exec_execute_message only the second), in a short
# run that collects everything.
rp_say "calibrating: finding exec_simple_query"
run_backend calibrate "$work/calibrate.sql" "" ""
toggle=$(
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
if [ -z "$toggle" ] || [ "$(printf '%s\n' "$toggle" | wc -l)" -ne 1 ]; then
	rp_die "cannot tell which function is exec_simple_query (candidates: ${toggle:-none})"
fi
rp_say "exec_simple_query is '$toggle' to callgrind"

# id|label|shared_preload_libraries|GUCs. 1b repeats 1 last, so that any
# drift over the whole run shows up in the repeatability check.
configs=(
	"1|no library||"
	"2|relprefetch, defaults (repeat path)|relprefetch|"
	"3|relprefetch, unit_gap = 0 (common path)|relprefetch|relprefetch.unit_gap=0"
	"4|relprefetch, on_detect = log|relprefetch|relprefetch.on_detect=log"
	"5|pg_stat_statements|pg_stat_statements|"
	"6|relprefetch + pg_stat_statements|relprefetch,pg_stat_statements|"
	"7|no library, compute_query_id = on||compute_query_id=on"
	"1b|no library (again)||"
)
if [ "$loop" -gt 0 ]; then
	configs+=(
		"8|no library, transactions of $loop lookups||||loop"
		"9|relprefetch, defaults, transactions of $loop lookups (a detected loop per transaction)|relprefetch|||loop"
	)
fi

# nsel ID: the SELECTs of config ID's run; base_of ID: the config it is
# compared with.
nsel() { case $1 in 8 | 9) echo "$loop_statements" ;; *) echo "$statements" ;; esac; }
base_of() { case $1 in 8 | 9) echo 8 ;; *) echo 1 ;; esac; }

declare -A label total perstmt notes inputs
order=()
for cfg in "${configs[@]}"; do
	IFS='|' read -r id lab preload gucs _ input <<<"$cfg"
	order+=("$id")
	label[$id]=$lab
	inputs[$id]=${input:-plain}
	rp_say "run $id: $lab"
	n=$(nsel "$id")
	expect_runs=$n
	infile=$work/input.sql
	if [ "$input" = loop ]; then
		infile=$work/input-loop.sql
		expect_runs=$((n + 2 * loop_units))
	fi
	# shellcheck disable=SC2086 # gucs is a space-separated list on purpose
	run_backend "run$id" "$infile" "$toggle" "$preload" $gucs
	file=$work/run$id.callgrind

	total[$id]=$(cg_total "$file") || rp_die "no totals in $file"
	atotal=$(annotate_total "$file")
	[ "$atotal" = "${total[$id]}" ] ||
		rp_die "$file: totals line says ${total[$id]}, callgrind_annotate says ${atotal:-nothing}"
	ran=$(calls_to "$file" "$toggle")
	[ "$ran" -eq "$expect_runs" ] ||
		rp_die "run $id: $toggle ran $ran times for $expect_runs statements"
	rows=$(grep -c '^[[:space:]]*1: v = ' "$work/run$id.stdout" || true)
	[ "$rows" -eq "$n" ] ||
		rp_die "run $id: $rows rows returned for $n statements"
	perstmt[$id]=$(awk -v t="${total[$id]}" -v n="$n" 'BEGIN { printf "%.1f", t / n }')

	# What the run actually exercised, from call counts: units of work
	# (rp_unit_end runs once as each unit starts), executions that took the
	# shared-memory path, queries jumbled, N+1 notifications logged.
	note=
	case ",$preload," in
	*,relprefetch,*)
		units=$(calls_to "$file" rp_unit_end)
		shared=$(($(calls_to "$file" rp_stats_add) + $(calls_to "$file" rp_stats_pending_add) + $(calls_to "$file" rp_stats_record_repeat)))
		note="units=$units shared-updates=$shared"
		;;
	esac
	jumbled=$(calls_to "$file" JumbleQuery)
	if [ "$jumbled" -gt 0 ]; then
		note="${note:+$note }jumbled=$jumbled"
	fi
	logged=$(grep -c 'N+1 query pattern: ' "$work/run$id.stderr" || true)
	if [ "$logged" -gt 0 ]; then
		note="${note:+$note }logged=$logged"
	fi
	notes[$id]=$note
done

# extra ID: "absolute percent" over the no-library run with the same input.
extra() {
	awk -v t="${total[$1]}" -v b="${total[$(base_of "$1")]}" -v n="$(nsel "$1")" \
		'BEGIN { printf "%.1f %.2f", (t - b) / n, 100 * (t - b) / b }'
}

table=$(
	printf '| # | configuration | Ir/statement | extra Ir/statement | extra %% | exercised |\n'
	printf '|---|---|---:|---:|---:|---|\n'
	for id in "${order[@]}"; do
		read -r abs pct <<<"$(extra "$id")"
		if [ "$id" = 1 ] || [ "$id" = 8 ]; then
			abs=-
			pct=-
		fi
		printf '| %s | %s | %s | %s | %s | %s |\n' "$id" "${label[$id]}" \
			"${perstmt[$id]}" "$abs" "$pct" "${notes[$id]}"
	done
)

if [ -n "$tsv" ]; then
	mkdir -p "$(dirname "$tsv")"
	{
		printf 'id\tconfiguration\tir_per_statement\textra_ir\textra_pct\texercised\tcompared_with\tinput\n'
		for id in "${order[@]}"; do
			read -r abs pct <<<"$(extra "$id")"
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "${label[$id]}" "${perstmt[$id]}" \
				"$abs" "$pct" "${notes[$id]}" "$(base_of "$id")" "${inputs[$id]}"
		done
	} >"$tsv"
fi

repeat=$(awk -v a="${total[1]}" -v b="${total[1b]}" -v n="$statements" 'BEGIN {
	d = b - a
	printf "run 1: %d Ir, run 1b: %d Ir; difference %d Ir (%.2f Ir/statement, %.4f%%)",
		a, b, d, d / n, 100 * d / a
}')

# The target: each relprefetch configuration at most 1% over no library and
# below pg_stat_statements alone.
read -r pgss_abs pgss_pct <<<"$(extra 5)"
verdict=
failed=0
for id in 2 3 4; do
	read -r abs pct <<<"$(extra "$id")"
	if awk -v p="$pct" -v a="$abs" -v q="$pgss_abs" 'BEGIN { exit !(p <= 1.0 && a < q) }'; then
		verdict+="- config $id (${label[$id]}): +$pct% (+$abs Ir) - meets the target"$'\n'
	else
		verdict+="- config $id (${label[$id]}): +$pct% (+$abs Ir) - MISSES the target"$'\n'
		failed=1
	fi
done
verdict+="- pg_stat_statements alone: +$pgss_pct% (+$pgss_abs Ir)"

breakdown_ids=(2 3 4)
[ "$loop" -eq 0 ] || breakdown_ids+=(9)
breakdowns=
for id in "${breakdown_ids[@]}"; do
	breakdowns+=$'\n'"### Config $id: ${label[$id]} (total extra $(extra "$id" | awk '{ print "+" $1 " Ir, +" $2 "%" }'))"$'\n\n'
	breakdowns+="| function | calls/stmt | self Ir/stmt | inclusive Ir/stmt | own Ir/stmt |"$'\n'
	breakdowns+="|---|---:|---:|---:|---:|"$'\n'
	read -r abs _ <<<"$(extra "$id")"
	breakdowns+=$(cg_breakdown "$work/run$id.callgrind" "$(nsel "$id")" |
		awk -v extra="$abs" '
		$4 != "0.0" || $1 == "(direct)" {
			printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5
		}
		$1 == "(direct)" {
			printf "| (indirect: extra - direct) | - | - | - | %.1f |\n", extra - $5
		}')
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

mkdir -p "$(dirname "$out")"
cat >"$out" <<EOF
# relprefetch overhead per primary-key point SELECT

Generated by \`bash bench/overhead.sh --statements $statements$([ "$loop" -eq 0 ] || echo " --loop $loop")\` on $(date -u '+%Y-%m-%d %H:%M UTC').

Each configuration runs the same $statements statements \`SELECT v FROM t WHERE id = <k>;\`
(10,000-row table, index scan on \`t_pkey\`) through a single-user backend under
\`valgrind --tool=callgrind --toggle-collect='$toggle'\` (that is
\`exec_simple_query\`), so only statement processing is counted, not start-up or
shutdown. Ir = instructions executed; Ir/statement = total / $statements.
$([ "$loop" -eq 0 ] || printf '\nConfigs 8 and 9 run the first %s of those SELECTs in transactions of %s\n(BEGIN, %s SELECTs, COMMIT: %s units of work, BEGIN and COMMIT counted too);\ntheir Ir/statement is total / %s SELECTs, and config 9 is compared with\nconfig 8, not config 1.\n' "$loop_statements" "$loop" "$loop" "$loop_units" "$loop_statements")

## Machine

$machine

## Results

$table

"exercised" comes from call counts in the callgrind output: \`units\` = units of
work started, \`shared-updates\` = updates of shared memory (pending slot or table),
\`jumbled\` = queries given a query id, \`logged\` = N+1 LOG messages.

Repeatability: $repeat.

## Target (relprefetch at most +1% and below pg_stat_statements)

$verdict

## Where relprefetch's instructions go

Per statement, functions of relprefetch.so. *inclusive* leaves out the hook it
chains to (standard_Executor*), so it is what relprefetch adds there; *own*
leaves out the other relprefetch functions too, so the *own* column adds up to
the \`(direct)\` line. Total extra minus direct is the indirect cost: the
clock reads and memory-context calls relprefetch makes, plus memory layout
effects. The latter shift any configuration by a few tens of Ir/statement
(e.g. glibc's strcmp in scanRTEForColumn is faster or slower depending on where
the strings lie relative to a page end), so differences that small between
configurations mean nothing, even though each configuration repeats exactly.
$breakdowns
Valgrind counts each iteration of a \`rep stos\`/\`rep movs\` instruction as one
instruction, so large memset/memcpy calls (glibc uses \`rep stosb\` above about
2 KB) weigh more here than in CPU time.

Callgrind files: $([ "$RP_WORK_TEMP" -eq 1 ] && echo "removed (temporary folder)" || echo "\`$work/run<id>.callgrind\`").
EOF

printf '\n%s\n\nRepeatability: %s\n\n%s\n\nReport: %s\n' "$table" "$repeat" "$verdict" "$out"
if [ "$check" -eq 1 ] && [ "$failed" -eq 1 ]; then
	exit 3
fi
