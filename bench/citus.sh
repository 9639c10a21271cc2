#!/usr/bin/env bash
# Time relprefetch.fetch_json against hand-written SQL on Citus: a
# coordinator and two workers on this machine, the demo blog schema as
# Citus tables (demo/blog.sql, then demo/blog_citus.sql).
#
# Usage: bash bench/citus.sh [--scale N] [--runs N] [--out FILE]
#   --scale N   posts to load (default 10000)
#   --runs N    executions of each contender per round, two rounds
#               (default 10)
#   --out FILE  Markdown report (default bench/out/citus.md)
#
# Needs Citus installed in the PostgreSQL that PG_CONFIG names (default
# Debian's 15), and relprefetch installed there (make install); exits 0
# with a message when Citus is not there. Builds nothing.
#
# The contenders are bench/fetch.sh's (bench_fetch_sql in bench/lib.sh):
#   A  the whole graph: every post with its author and the author's country,
#      its active tags in name order and its comments in id order
#   B  a page: the 20 newest posts of author 7, with the same includes
# each as relprefetch.fetch_json and as the hand-written statement. Times
# are client-side (pgbench's average latency over --runs executions in one
# session, after one warm-up execution), since EXPLAIN ANALYZE of a
# distributed query times the workers' work differently; each round runs
# the four contenders in turn, the second round in the reverse order.
# Beside each time, the CPU time the three nodes used per execution (from
# /proc: every process of each node, those that exited included), which
# depends much less than the time on what else the machine runs.
# The clusters live in tmp/citus (or a /tmp folder) and are removed on exit.
set -euo pipefail

# shellcheck source=bench/lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

scale=10000
runs=10
out="$RP_ROOT/bench/out/citus.md"
while [ $# -gt 0 ]; do
	case $1 in
	--scale | --runs | --out)
		[ $# -ge 2 ] || rp_die "$1 needs a value"
		printf -v "${1#--}" '%s' "$2"
		shift 2
		;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $1 (try --help)" ;;
	esac
done
bench_uint --scale "$scale" 70
bench_uint --runs "$runs" 1
out=$(bench_abspath "$out")

sharedir=$("$PG_CONFIG" --sharedir)
if [ ! -f "$sharedir/extension/citus.control" ]; then
	rp_say "Citus is not installed ($sharedir/extension/citus.control not found): nothing to measure"
	exit 0
fi
libdir=$("$PG_CONFIG" --pkglibdir)
[ -f "$libdir/relprefetch.so" ] || rp_die "$libdir/relprefetch.so is not installed"
bindir=$(rp_bindir)

rp_workdir citus
work=$RP_WORK
rp_sockdir "$work"
sockdir=$RP_SOCKDIR
nodes=(coordinator worker1 worker2)
declare -A port

cleanup() {
	local rc=$? n
	for n in "${nodes[@]}"; do
		if [ -f "$work/$n/postmaster.pid" ]; then
			rp_as_pg "$work" "$bindir/pg_ctl" -D "$work/$n" -m fast -w stop \
				>/dev/null 2>&1 || true
		fi
		rm -rf "${work:?}/$n"
	done
	rp_stop_clusters "$work"
	if [ "$RP_WORK_TEMP" -eq 1 ]; then
		rm -rf "$work"
	fi
	if [ "$RP_SOCKDIR_TEMP" -eq 1 ]; then
		rm -rf "$sockdir"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for n in "${nodes[@]}"; do
	rp_say "creating the $n"
	bench_initdb "$work" "$work/$n" "$sockdir/$n" bench/citus.sh
	mkdir -p "$sockdir/$n"
	rp_give_to_pg "$sockdir/$n"
	# Citus's nodes connect to each other over TCP, as postgres, on
	# 127.0.0.1 only; this throwaway cluster trusts that.
	printf '%s\n' "shared_preload_libraries = 'citus,relprefetch'" \
		"max_connections = 100" >>"$work/$n/postgresql.conf"
	rp_as_pg "$work" sed -i '1i host all all 127.0.0.1/32 trust' "$work/$n/pg_hba.conf"
	bench_start "$work" "$work/$n" "$sockdir/$n"
	port[$n]=$BENCH_PORT
	bench_psql -d postgres -c 'CREATE EXTENSION citus' -c 'CREATE EXTENSION relprefetch'
done
# From here on, psql and pgbench talk to the coordinator.
BENCH_SOCKDIR=$sockdir/coordinator
BENCH_PORT=${port[coordinator]}
bench_psql -d postgres -c "SELECT citus_set_coordinator_host('127.0.0.1', ${port[coordinator]})" \
	-c "SELECT citus_add_node('127.0.0.1', ${port[worker1]})" \
	-c "SELECT citus_add_node('127.0.0.1', ${port[worker2]})" >/dev/null

rp_say "loading demo/blog.sql at scale $scale, then demo/blog_citus.sql"
bench_psql -d postgres -v scale="$scale" -f "$RP_ROOT/demo/blog.sql" \
	-f "$RP_ROOT/demo/blog_citus.sql" >"$work/load.log" 2>&1 ||
	rp_die "loading failed; see $work/load.log"
version=$(bench_psql -d postgres -At -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'")

bench_fetch_sql "$work/sql"
rp_give_to_pg "$work/sql"

# time C: pgbench's average latency of contender C (A-rp, A-hand, ...), ms
time_of() {
	rp_as_pg "$work" "$bindir/pgbench" -n -h "$BENCH_SOCKDIR" -p "$BENCH_PORT" \
		-U postgres -t "$1" -f "$work/sql/$2.sql" postgres 2>&1 |
		awk '/latency average/ { print $4 }'
}
# cpu_ticks: CPU time the three nodes have used so far, in clock ticks:
# each postmaster's own and its exited children's (which the kernel adds
# to it as it reaps them), and its running children's (backends, Citus's
# connections between nodes, background processes).
cpu_ticks() {
	local n pm sum=0 t
	for n in "${nodes[@]}"; do
		pm=$(head -1 "$work/$n/postmaster.pid")
		t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$pm/stat")
		sum=$((sum + t))
		# fields after the command's name: 2 is the parent, 12 and 13 the times
		t=$(cat /proc/[0-9]*/stat 2>/dev/null |
			awk -v pm="$pm" '{ sub(/^.*\) /, "") } $2 == pm { t += $12 + $13 } END { print t + 0 }')
		sum=$((sum + t))
	done
	echo "$sum"
}
ticks_per_s=$(getconf CLK_TCK)
load_start=$(cut -d' ' -f1 /proc/loadavg)
contenders=(A-rp A-hand B-rp B-hand)
declare -A total cpu
for c in "${contenders[@]}"; do
	rp_say "warming up $c"
	time_of 1 "$c" >/dev/null
	total[$c]=0
	cpu[$c]=0
done
for round in 1 2; do
	order=("${contenders[@]}")
	if [ "$round" -eq 2 ]; then
		order=(B-hand B-rp A-hand A-rp)
	fi
	for c in "${order[@]}"; do
		before=$(cpu_ticks)
		t=$(time_of "$runs" "$c")
		[ -n "$t" ] || rp_die "pgbench failed on $c"
		sleep 1 # for the session's backend to exit and be reaped
		u=$(awk -v a="$before" -v b="$(cpu_ticks)" -v hz="$ticks_per_s" -v n="$runs" \
			'BEGIN { print (b - a) * 1000 / hz / n }')
		rp_say "round $round: $c $t ms, CPU $u ms"
		total[$c]=$(awk -v a="${total[$c]}" -v b="$t" 'BEGIN { print a + b / 2 }')
		cpu[$c]=$(awk -v a="${cpu[$c]}" -v b="$u" 'BEGIN { print a + b / 2 }')
	done
done

mkdir -p "$(dirname "$out")"
{
	printf '# relprefetch on Citus %s, PostgreSQL %s\n\n' "$version" \
		"$("$PG_CONFIG" --version | awk '{ print $2 }')"
	printf 'bench/citus.sh --scale %s --runs %s: a coordinator and two workers on one machine, %s, load average %s at the start, %s at the end\n\n' \
		"$scale" "$runs" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$load_start" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	printf 'Time: client-side, per execution. CPU: what the three nodes used per execution, all their processes.\n\n'
	printf '| workload | relprefetch ms | hand-written ms | hand-written / relprefetch | relprefetch CPU ms | hand-written CPU ms | hand-written / relprefetch CPU |\n'
	printf '|---|---:|---:|---:|---:|---:|---:|\n'
	for w in A B; do
		awk -v w="$w" -v rp="${total[$w-rp]}" -v hand="${total[$w-hand]}" \
			-v rpc="${cpu[$w-rp]}" -v handc="${cpu[$w-hand]}" 'BEGIN {
			printf("| %s | %.1f | %.1f | %.2fx | %.0f | %.0f | %.2fx |\n",
				w == "A" ? "A. whole graph" : "B. page", rp, hand, hand / rp,
				rpc, handc, rpc > 0 ? handc / rpc : 0) }'
	done
} >"$out"
cat "$out"
