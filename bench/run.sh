#!/usr/bin/env bash
# Every benchmark of relprefetch in one command: installs what it needs,
# starts a throwaway cluster, loads demo/blog.sql at several scales, runs
# the three benchmarks below, prints the tables and writes them, with a
# description of the machine, to BENCHMARKS.md.
#
# Usage: bash bench/run.sh [options]
#   --scales LIST      posts per scale, comma-separated, each at least 70
#                      (default 1000,10000,100000; every scale has the same
#                      ratios: 1 author per 10 posts, 3 tag links and 5
#                      comments per post, 50 countries, 200 tags)
#   --runs N           measured rounds of each fetch contender on the whole
#                      graph at every scale (default 11 below 50,000 posts,
#                      7 from 50,000 on); the page gets three times as many
#   --n1-runs N        rounds of the N+1 client on the whole graph at scales
#                      of 50,000 posts or more, where it makes about four
#                      round trips per post (default 2)
#   --pgbench-runs N   pgbench pairs (without, with relprefetch), alternating
#                      (default 5)
#   --pgbench-time S   seconds of each pgbench run (default 10)
#   --mem-runs N       memory measurements of each contender (default 5)
#   --statements N     point SELECTs per callgrind run (default 2000)
#   --only LIST        run only these sections, comma-separated, of
#                      overhead (callgrind), pgbench, fetch, memory
#   --quick            a smoke test of about a minute: --scales 100,300,1000
#                      --runs 2 --n1-runs 1 --pgbench-runs 1 --pgbench-time 3
#                      --mem-runs 2 --statements 200, report in
#                      bench/out/BENCHMARKS-quick.md; options given as well
#                      take precedence
#   --out FILE         the report (default BENCHMARKS.md at the top of the
#                      checkout)
#   --no-setup         do not run scripts/setup.sh --with-valgrind (which
#                      installs the packages and builds and installs
#                      relprefetch): measure what is installed
#
# The sections:
#   1. the per-statement cost of detection: instructions per primary-key
#      point SELECT under callgrind (bench/overhead.sh), and pgbench over
#      TCP loopback, select-only and an N+1-shaped script, with and without
#      relprefetch in shared_preload_libraries (restarted between)
#   2. fetching the blog graph, the whole of it and a page, by
#      fetch_json, fetch_children, hand-written SQL, PostgREST's SQL, an N+1
#      client and a prefetch_related-style client: server-side execution
#      (EXPLAIN ANALYZE) and end to end at a C client (bench/client.c,
#      built here against libpq)
#   3. the backend's peak memory while it streams every post at the
#      largest scale, fetch_json against the hand-written SQL
#      (bench/memsample.c, built here against libpq)
#
# Noisy machines: the contenders are alternated round by round (the order
# rotates), ratios are taken within a round, and figures are min / median /
# max of the rounds. The work folder is tmp/run (or a /tmp folder): the raw
# figures, SQL and logs stay there; the cluster is removed and no server is
# left running.
set -euo pipefail

# shellcheck source=bench/lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command_line="bash bench/run.sh${*:+ $*}"
t_start=$(date +%s)

quick=0
for arg in "$@"; do
	[ "$arg" = --quick ] && quick=1
done
if [ "$quick" -eq 1 ]; then
	scales=100,300,1000
	runs=2
	n1_runs=1
	pg_runs=1
	pg_time=3
	mem_runs=2
	statements=200
	out="$RP_ROOT/bench/out/BENCHMARKS-quick.md"
else
	scales=1000,10000,100000
	runs=
	n1_runs=2
	pg_runs=5
	pg_time=10
	mem_runs=5
	statements=2000
	out="$RP_ROOT/BENCHMARKS.md"
fi
only=overhead,pgbench,fetch,memory
setup=1

while [ $# -gt 0 ]; do
	case $1 in
	--scales | --runs | --n1-runs | --pgbench-runs | --pgbench-time | --mem-runs | --statements | --only | --out)
		[ $# -ge 2 ] || rp_die "$1 needs a value"
		opt=${1#--}
		opt=${opt//-/_}
		opt=${opt/pgbench_/pg_}
		printf -v "$opt" '%s' "$2"
		shift 2
		;;
	--scales=* | --runs=* | --n1-runs=* | --pgbench-runs=* | --pgbench-time=* | --mem-runs=* | --statements=* | --only=* | --out=*)
		opt=${1%%=*}
		opt=${opt#--}
		opt=${opt//-/_}
		opt=${opt/pgbench_/pg_}
		printf -v "$opt" '%s' "${1#*=}"
		shift
		;;
	--quick) shift ;;
	--no-setup)
		setup=0
		shift
		;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $1 (try --help)" ;;
	esac
done

IFS=, read -r -a scale_list <<<"$scales"
[ ${#scale_list[@]} -ge 1 ] || rp_die "--scales needs at least one scale"
for s in "${scale_list[@]}"; do
	bench_uint "a scale of --scales" "$s" 70
done
# Sorted and without repeats: growth is read from one scale to the next.
mapfile -t scale_list < <(printf '%s\n' "${scale_list[@]}" | sort -n -u)
max_scale=${scale_list[-1]}
[ -z "$runs" ] || bench_uint --runs "$runs" 1
bench_uint --n1-runs "$n1_runs" 1
bench_uint --pgbench-runs "$pg_runs" 1
bench_uint --pgbench-time "$pg_time" 1
bench_uint --mem-runs "$mem_runs" 1
bench_uint --statements "$statements" 100
declare -A want=()
IFS=, read -r -a only_list <<<"$only"
for s in "${only_list[@]}"; do
	case $s in
	overhead | pgbench | fetch | memory) want[$s]=1 ;;
	*) rp_die "--only: unknown section '$s' (overhead, pgbench, fetch, memory)" ;;
	esac
done
[ ${#want[@]} -ge 1 ] || rp_die "--only needs at least one section"
out=$(bench_abspath "$out")
wants() { [ -n "${want[$1]+x}" ]; }

# rounds_for SCALE: measured rounds of the whole graph at SCALE.
rounds_for() {
	if [ -n "$runs" ]; then
		echo "$runs"
	elif [ "$1" -ge 50000 ]; then
		echo 7
	else
		echo 11
	fi
}
# n1_rounds_for SCALE: rounds of the N+1 client on the whole graph.
n1_rounds_for() {
	local r
	r=$(rounds_for "$1")
	if [ "$1" -ge 50000 ] && [ "$n1_runs" -lt "$r" ]; then
		echo "$n1_runs"
	else
		echo "$r"
	fi
}

# ---------------------------------------------------------------------------
# What it needs.
if [ "$setup" -eq 1 ]; then
	bash "$RP_ROOT/scripts/setup.sh" --with-valgrind
	# libpq's header (for bench/client.c and bench/memsample.c) and pgbench
	# come with the server packages on Debian; install them should that
	# ever change.
	extra=()
	[ -f "$("$PG_CONFIG" --includedir)/libpq-fe.h" ] || extra+=(libpq-dev)
	command -v pgbench >/dev/null || [ -x "$(rp_bindir)/pgbench" ] || extra+=(postgresql-client-15)
	if [ ${#extra[@]} -gt 0 ]; then
		rp_is_root || rp_die "missing packages: ${extra[*]} (run as root, or: sudo apt-get install ${extra[*]})"
		rp_say "installing: ${extra[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${extra[@]}"
	fi
fi
bindir=$(rp_bindir)
libdir=$("$PG_CONFIG" --pkglibdir)
includedir=$("$PG_CONFIG" --includedir)
pgbench=$bindir/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench || true)
[ -n "$pgbench" ] || rp_die "pgbench not found (run without --no-setup)"
command -v gcc >/dev/null || rp_die "gcc not found (run without --no-setup)"
[ -f "$includedir/libpq-fe.h" ] || rp_die "libpq-fe.h not found in $includedir (run without --no-setup)"
if wants overhead; then
	command -v valgrind >/dev/null || rp_die "valgrind not found (run without --no-setup)"
fi
[ -f "$libdir/relprefetch.so" ] || rp_die "$libdir/relprefetch.so is not installed"
if [ -f "$RP_ROOT/relprefetch.so" ] &&
	! cmp -s "$RP_ROOT/relprefetch.so" "$libdir/relprefetch.so"; then
	rp_warn "the installed relprefetch.so differs from the one in $RP_ROOT; measuring the installed one"
fi

rp_workdir run
work=$RP_WORK
# The load average when each section starts: a busy machine shows up here
# (this benchmark alone keeps at most about two processes running).
: >"$work/load.txt"
load_mark() { printf '%s|%s\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/load.txt"; }
load_mark "start"
so_sum() { sha256sum "$libdir/relprefetch.so" | cut -c1-16; }
so_start=$(so_sum)
data=$work/data
sqldir=$work/sql
rp_sockdir "$work"
sockdir=$RP_SOCKDIR
sock_temp=$RP_SOCKDIR_TEMP

cleanup() {
	rp_stop_server $? "$work" "$data" benchmark
	rp_stop_clusters "$work"
	rm -rf "$data" "$work/pgpass"
	if [ "$RP_WORK_TEMP" -eq 1 ]; then
		rm -rf "$work"
	fi
	if [ "$sock_temp" -eq 1 ]; then
		rm -rf "$sockdir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# build_c NAME [GCC OPTION]...: bench/NAME.c built against libpq as $work/NAME
build_c() {
	local name=$1
	shift
	rp_say "building bench/$name.c"
	gcc -O2 -Wall "$@" -I"$includedir" -o "$work/$name" "$RP_ROOT/bench/$name.c" \
		-L"$("$PG_CONFIG" --libdir)" -lpq ||
		rp_die "building bench/$name.c failed"
}
build_c client
client=$work/client
build_c memsample -pthread
memsample=$work/memsample

bench_fetch_sql "$sqldir"

# ---------------------------------------------------------------------------
# 1a. Instructions per statement: bench/overhead.sh, unchanged. Instruction
# counts do not depend on the machine's load and repeat exactly (its run 1b
# repeats run 1 to show it), so one run of each configuration is enough.
if wants overhead; then
	load_mark "1a. callgrind"
	rp_say "1a. callgrind: $statements point SELECTs per configuration (bench/overhead.sh)"
	bash "$RP_ROOT/bench/overhead.sh" --no-setup --statements "$statements" --loop 10 \
		--out "$work/overhead.md" --tsv "$work/overhead.tsv" >"$work/overhead.log" 2>&1 ||
		rp_die "bench/overhead.sh failed; see $work/overhead.log"
	overhead_repeat=$(sed -n 's/^Repeatability: //p' "$work/overhead.log" | head -n 1)
fi

# ---------------------------------------------------------------------------
# The cluster for everything else: TCP on 127.0.0.1 with a password (the
# clients connect as the application would), shared buffers big enough for
# every table of the largest scale, temporary files logged (section 3).
if wants pgbench || wants fetch || wants memory; then
	rp_say "creating the cluster"
	bench_initdb "$work" "$data" "$sockdir" bench/run.sh
	cat >>"$data/postgresql.conf" <<EOF
shared_buffers = 512MB
log_temp_files = 0
# section 1b switches shared_preload_libraries here
include_if_exists = 'preload.conf'
EOF
	bench_start "$work" "$data" "$sockdir"
	port=$BENCH_PORT
	password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	bench_psql -d postgres -c "ALTER ROLE postgres PASSWORD '$password'" >/dev/null
	(umask 077 && printf '127.0.0.1:%s:*:postgres:%s\n' "$port" "$password" >"$work/pgpass")
	export PGPASSFILE=$work/pgpass
	conninfo() { printf 'host=127.0.0.1 port=%s dbname=%s user=postgres' "$port" "$1"; }
	settings=$(bench_psql -d postgres -At -F ' = ' -c "
		SELECT name, current_setting(name) FROM pg_settings
		WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'autovacuum', 'fsync',
		               'max_connections', 'log_temp_files', 'relprefetch.fetch_batch_size')
		ORDER BY name")
fi

declare -A counts=()
if wants fetch || wants memory; then
	for s in "${scale_list[@]}"; do
		if wants fetch || [ "$s" = "$max_scale" ]; then
			bench_load_blog "$work" "blog_$s" "$s"
			counts[$s]=$(bench_blog_counts "blog_$s")
		fi
	done
fi

# ---------------------------------------------------------------------------
# 2. Fetch. Per scale: the single statements checked equal
# (bench_fetch_verify), the server-side rounds (bench_server_rounds), then
# the client's rounds; the client's checksums must agree across strategies.
strategies=(fetch_json fetch_children hand postgrest prefetch n_plus_1)
# fetch.tsv: KIND SCALE W STRATEGY ROUND MS QUERIES BYTES (KIND srv or e2e)
: >"$work/fetch.tsv"
if wants fetch; then
	for s in "${scale_list[@]}"; do
		db=blog_$s
		read -r n_posts _ n_comments _ n_active_links n_page <<<"${counts[$s]}"
		ra=$(rounds_for "$s")
		rb=$((3 * ra))
		rp_say "2. fetch at $s posts: checking that the single statements agree"
		bench_fetch_verify "$sqldir" "$work" A "$db" "$n_posts $n_comments $n_active_links"
		bench_fetch_verify "$sqldir" "$work" B "$db" "$n_page $((5 * n_page))"

		load_mark "2. fetch, $s posts, server-side"
		rp_say "2. fetch at $s posts: server-side, 1 warm-up + $ra rounds (page: $rb)"
		bench_server_rounds "$sqldir" "$db" "$ra" "$work/srv-$s-A.txt" A:rp A:fc A:hand A:pgrst
		bench_server_rounds "$sqldir" "$db" "$rb" "$work/srv-$s-B.txt" B:rp B:fc B:hand B:pgrst
		awk -v s="$s" '
			BEGIN { n["rp"] = "fetch_json"; n["fc"] = "fetch_children"; n["hand"] = "hand"; n["pgrst"] = "postgrest" }
			{ print "srv", s, $1, n[$2], $3, $5, "-", "-" }
		' "$work/srv-$s-A.txt" "$work/srv-$s-B.txt" >>"$work/fetch.tsv"

		n1=$(n1_rounds_for "$s")
		load_mark "2. fetch, $s posts, end to end"
		rp_say "2. fetch at $s posts: end to end, 1 warm-up + $ra rounds (N+1 client: $n1; page: $rb)"
		"$client" -d "$(conninfo "$db")" -s "$sqldir" -w A -r "$ra" -c n_plus_1="$n1" \
			"${strategies[@]}" >"$work/e2e-$s-A.txt" ||
			rp_die "the client failed on the whole graph at $s posts"
		"$client" -d "$(conninfo "$db")" -s "$sqldir" -w B -r "$rb" \
			"${strategies[@]}" >"$work/e2e-$s-B.txt" ||
			rp_die "the client failed on the page at $s posts"
		for w in A B; do
			case $w in
			A) expect="$n_posts $((5 * n_posts)) $n_active_links" ;;
			B) expect="$n_page $((5 * n_page))" ;;
			esac
			# Every measured execution (and every full warm-up) built the
			# same structure, with the expected numbers of rows.
			sums=$(awk '$1 > 0 || $2 != "n_plus_1" { print $4, $5, $6, $7, $8, $9 }' \
				"$work/e2e-$s-$w.txt" | sort -u)
			[ "$(printf '%s\n' "$sums" | wc -l)" -eq 1 ] ||
				rp_die "the strategies disagree on workload $w at $s posts: $(printf '%s; ' "$sums") (see $work/e2e-$s-$w.txt)"
			read -r g_posts g_comments g_tags _ <<<"$sums"
			got="$g_posts $g_comments"
			[ "$w" = A ] && got="$got $g_tags"
			[ "$got" = "$expect" ] ||
				rp_die "workload $w at $s posts: expected posts/comments/tags '$expect', the client built '$got'"
			awk -v s="$s" -v w="$w" '{ print "e2e", s, w, $2, $1, $3, $10, $11 }' \
				"$work/e2e-$s-$w.txt" >>"$work/fetch.tsv"
		done
	done
fi

# ---------------------------------------------------------------------------
# 3. Memory, at the largest scale: each contender in a new connection
# (bench/memsample.c), contenders rotated from one round to the next.
# memory.txt: CONTENDER ROUND PID ROWS BYTES MS ANON_BEFORE ANON_PEAK
#             HWM_BEFORE HWM_AFTER RSS_BEFORE RSS_PEAK TEMP_BYTES
mem_contenders=(fetch_json fetch_json_b1000 fetch_children hand postgrest)
: >"$work/memory.txt"
if wants memory; then
	db=blog_$max_scale
	read -r mem_posts _ <<<"${counts[$max_scale]}"
	load_mark "3. memory"
	rp_say "3. memory at $max_scale posts: $mem_runs rounds of ${mem_contenders[*]}"
	for r in $(seq 1 "$mem_runs"); do
		k=${#mem_contenders[@]}
		for i in $(seq 0 $((k - 1))); do
			c=${mem_contenders[$(((r - 1 + i) % k))]}
			ci=$(conninfo "$db")
			case $c in
			fetch_json) f=A-rp.sql ;;
			fetch_json_b1000)
				f=A-rp.sql
				ci="$ci options='-c relprefetch.fetch_batch_size=1000'"
				;;
			fetch_children) f=A-fc.1-comments.sql ;;
			hand) f=A-hand.sql ;;
			postgrest) f=A-pgrst.sql ;;
			esac
			line=$("$memsample" -d "$ci" -f "$sqldir/$f") ||
				rp_die "the memory measurement of $c failed"
			read -r _ rows _ <<<"$line"
			[ "$rows" = "$mem_posts" ] ||
				rp_die "the memory measurement of $c returned $rows rows, not $mem_posts"
			echo "$c $r $line" >>"$work/memory.txt"
		done
	done
	# Temporary files, from the log lines of each backend (log_temp_files = 0).
	sleep 0.5
	awk '
		NR == FNR {
			if (match($0, /\[[0-9]+\] LOG:  temporary file: .*size [0-9]+/)) {
				s = substr($0, RSTART + 1)
				pid = s + 0
				n = split($0, f, " ")
				t[pid] += f[n]
			}
			next
		}
		{ print $0, t[$3] + 0 }
	' "$work/server.log" "$work/memory.txt" >"$work/memory.tmp"
	mv "$work/memory.tmp" "$work/memory.txt"
fi

# ---------------------------------------------------------------------------
# 1b. pgbench over TCP loopback, -M prepared, -c 4 -j 2, in a database of its
# own: pgbench's tables and the blog at 10,000 posts (1,000 with --quick).
# Each run measures each workload as a pair: the server restarted without
# relprefetch in shared_preload_libraries, then with it (the other way round
# every other run); after each restart the workload runs 2 s untimed.
# Besides tps, the server's CPU time per transaction: the backends' user +
# system time, which the postmaster collects as they exit (cutime + cstime
# of /proc/<postmaster>/stat, in clock ticks). Other work on the machine
# lowers tps but hardly changes the CPU time a transaction takes.
# pgbench.txt: RUN CONFIG WORKLOAD TPS TRANSACTIONS SERVER_CPU_TICKS
: >"$work/pgbench.txt"
if wants pgbench; then
	if [ "$quick" -eq 1 ]; then
		pgb_scale=1 pgb_blog=1000
	else
		pgb_scale=10 pgb_blog=10000
	fi
	rp_say "1b. pgbench: loading (pgbench -i -s $pgb_scale, blog at $pgb_blog posts)"
	bench_load_blog "$work" pgb "$pgb_blog"
	"$pgbench" -h "$sockdir" -p "$port" -U postgres -i -s "$pgb_scale" -q pgb \
		>"$work/pgbench-init.log" 2>&1 ||
		rp_die "pgbench -i failed; see $work/pgbench-init.log"
	bench_psql -d pgb -c 'VACUUM ANALYZE'
	# Only what the runs below do should show in relprefetch.stats.
	bench_psql -d pgb -c "SELECT relprefetch.reset(0, oid) FROM pg_database WHERE datname = 'pgb'" >/dev/null
	read -r pgb_posts pgb_authors _ <<<"$(bench_blog_counts pgb)"
	# The N+1 shape: a page of 10 posts, then each post's author, one
	# statement each, in one transaction. Post i's author is
	# 1 + ((i - 1) * 7919) % authors (demo/blog.sql), so these are the
	# authors of those very posts.
	{
		printf '\\set p random(1, %d)\n' "$((pgb_posts - 9))"
		printf 'BEGIN;\n'
		printf 'SELECT id, title, author_id FROM blog_post WHERE id BETWEEN :p AND :p + 9 ORDER BY id;\n'
		for k in $(seq 0 9); do
			printf '\\set a 1 + ((:p + %d - 1) * 7919) %% %d\n' "$k" "$pgb_authors"
			printf 'SELECT id, name, country_id FROM blog_author WHERE id = :a;\n'
		done
		printf 'END;\n'
	} >"$work/n_plus_1.pgbench"
	pgb() {
		"$pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -M prepared -c 4 -j 2 "$@" pgb
	}
	pgb_workload() {
		case $1 in
		select_only) pgb -S -T "$2" ;;
		n_plus_1) pgb -f "$work/n_plus_1.pgbench" -T "$2" ;;
		esac
	}
	server_cpu() {
		awk '{ print $16 + $17 }' "/proc/$(head -n 1 "$data/postmaster.pid")/stat"
	}
	restart_with() {
		if [ "$1" = with ]; then
			echo "shared_preload_libraries = 'relprefetch'" >"$data/preload.conf"
		else
			echo "shared_preload_libraries = ''" >"$data/preload.conf"
		fi
		rp_give_to_pg "$data/preload.conf"
		rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" -l "$work/server.log" -m fast \
			-w restart >/dev/null 2>&1 ||
			rp_die "restarting the server failed; see $work/server.log"
		[ "$(bench_psql -d pgb -At -c 'SHOW shared_preload_libraries')" = "$([ "$1" = with ] && echo relprefetch)" ] ||
			rp_die "shared_preload_libraries is not what was set after the restart"
	}
	pgb_units=
	load_mark "1b. pgbench"
	for r in $(seq 1 "$pg_runs"); do
		if [ $((r % 2)) -eq 1 ]; then
			configs=(without with)
		else
			configs=(with without)
		fi
		for wl in select_only n_plus_1; do
			for cfg in "${configs[@]}"; do
				restart_with "$cfg"
				pgb_workload "$wl" 2 >/dev/null 2>&1 ||
					rp_die "pgbench ($wl, warm-up) failed"
				rp_say "1b. pgbench run $r/$pg_runs, $cfg relprefetch: $wl for $pg_time s"
				sleep 0.5
				cpu0=$(server_cpu)
				pgb_workload "$wl" "$pg_time" >"$work/pgbench-$r-$cfg-$wl.log" 2>&1 ||
					rp_die "pgbench failed; see $work/pgbench-$r-$cfg-$wl.log"
				# the backends have exited once pg_stat_activity shows none
				for _ in $(seq 1 50); do
					[ "$(bench_psql -d postgres -At -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'pgb'")" = 0 ] && break
					sleep 0.1
				done
				sleep 0.2
				cpu1=$(server_cpu)
				log=$work/pgbench-$r-$cfg-$wl.log
				tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log" | tail -n 1)
				txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
				if [ -z "$tps" ] || [ -z "$txns" ]; then
					rp_die "no tps in $log"
				fi
				echo "$r $cfg $wl $tps $txns $((cpu1 - cpu0))" >>"$work/pgbench.txt"
			done
		done
		if [ "$r" -eq 1 ]; then
			# What detection saw in this database during the first run
			# (warm-ups included); the statistics survive the restarts.
			restart_with with
			pgb_units=$(bench_psql -d pgb -At -F ' | ' -c "
				SELECT '| \`' || left(query, 90) || '\`', units, calls, max_repeats || ' |'
				FROM relprefetch.stats
				WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'pgb')
				ORDER BY calls DESC")
			[ -n "$pgb_units" ] || pgb_units="| (none) | | | |"
		fi
	done
	# Leave the server as the other sections expect it.
	restart_with with
fi

# ---------------------------------------------------------------------------
# The report.
load_mark "end"
so_note=
if [ "$(so_sum)" != "$so_start" ]; then
	so_note="- **warning**: $libdir/relprefetch.so changed during the run (sha256 $so_start at the start); the figures may mix two builds"
	rp_warn "relprefetch.so changed during the run"
fi
# fmt_num N: N with thousands separators.
fmt_num() { printf '%s\n' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# awk functions shared by the tables: median/min/max of v[1..n], number
# formats, and a "median (min–max)" cell.
awk_lib='
	function sortn(v, n,   i, j, x) {
		for (i = 2; i <= n; i++) {
			x = v[i]
			for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]
			v[j + 1] = x
		}
	}
	function med(v, n) { sortn(v, n); return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
	function f(x) {
		if (x < 1) return sprintf("%.3f", x)
		if (x < 10) return sprintf("%.2f", x)
		if (x < 100) return sprintf("%.1f", x)
		return sprintf("%.0f", x)
	}
	function cell(v, n,   m) {
		if (n == 0) return "-"
		m = med(v, n)
		return sprintf("%s (%s–%s)", f(m), f(v[1]), f(v[n]))
	}
	function rcell(v, n,   m) {
		if (n == 0) return "-"
		m = med(v, n)
		return sprintf("**%.2f×** (%.2f–%.2f)", m, v[1], v[n])
	}
'

declare -A ct_label=(
	[fetch_json]="relprefetch.fetch_json (1 statement)"
	[fetch_children]="relprefetch.fetch_children: comments, tags + 1 join for author/country (3 statements)"
	[hand]="hand-written SQL (GROUP BY pre-aggregation, hash joins)"
	[postgrest]="PostgREST's SQL (correlated json_agg subqueries)"
	[prefetch]="client: 1 query per relation, merged in memory (prefetch_related)"
	[n_plus_1]="client: N+1 loop (prepared statements)"
)
labels_awk=$(for c in "${strategies[@]}"; do printf '%s\t%s\n' "$c" "${ct_label[$c]}"; done)

# fetch_table KIND W: one row per contender, per scale "median (min–max)"
# and the median of the per-round ratios to fetch_json.
fetch_table() {
	local kind=$1 w=$2 header sep s
	header="| contender |"
	sep="|---|"
	for s in "${scale_list[@]}"; do
		header+=" $(fmt_num "$s") posts: ms, median (min–max) | ÷ fetch_json, per round |"
		sep+="---:|---:|"
	done
	printf '%s\n%s\n' "$header" "$sep"
	awk -v kind="$kind" -v w="$w" -v scales="${scale_list[*]}" \
		-v order="${strategies[*]}" -v labels="$labels_awk" "$awk_lib"'
		BEGIN {
			ns = split(scales, S, " "); nc = split(order, C, " ")
			nl = split(labels, L, "\n")
			for (i = 1; i <= nl; i++) { split(L[i], kv, "\t"); lab[kv[1]] = kv[2] }
		}
		$1 == kind && $3 == w && $5 > 0 { t[$2, $4, $5] = $6; if ($5 > R[$2]) R[$2] = $5; seen[$4] = 1 }
		END {
			for (ci = 1; ci <= nc; ci++) {
				c = C[ci]
				if (!(c in seen)) continue
				line = "| " lab[c] " |"
				for (si = 1; si <= ns; si++) {
					s = S[si]; n = 0; m = 0
					delete v; delete q
					for (r = 1; r <= R[s]; r++) {
						if ((s, c, r) in t) {
							v[++n] = t[s, c, r]
							if ((s, "fetch_json", r) in t && t[s, "fetch_json", r] > 0)
								q[++m] = t[s, c, r] / t[s, "fetch_json", r]
						}
					}
					sortn(q, m)
					line = line " " cell(v, n) " | " ((c == "fetch_json") ? "1" : rcell(q, m)) " |"
				}
				print line
			}
		}' "$work/fetch.tsv"
}

# growth_table W: median at each scale over the median at the scale before.
growth_table() {
	local w=$1 header sep i
	header="| contender |"
	sep="|---|"
	for ((i = 1; i < ${#scale_list[@]}; i++)); do
		header+=" server-side, $(fmt_num "${scale_list[i - 1]}") → $(fmt_num "${scale_list[i]}") posts | end to end |"
		sep+="---:|---:|"
	done
	printf '%s\n%s\n' "$header" "$sep"
	awk -v w="$w" -v scales="${scale_list[*]}" -v order="${strategies[*]}" \
		-v labels="$labels_awk" "$awk_lib"'
		BEGIN {
			ns = split(scales, S, " "); nc = split(order, C, " ")
			nl = split(labels, L, "\n")
			for (i = 1; i <= nl; i++) { split(L[i], kv, "\t"); lab[kv[1]] = kv[2] }
		}
		$3 == w && $5 > 0 { n[$1, $2, $4]++; v[$1, $2, $4, n[$1, $2, $4]] = $6; seen[$4] = 1 }
		END {
			for (ci = 1; ci <= nc; ci++) {
				c = C[ci]
				if (!(c in seen)) continue
				line = "| " lab[c] " |"
				for (si = 2; si <= ns; si++) {
					for (ki = 1; ki <= 2; ki++) {
						k = (ki == 1) ? "srv" : "e2e"
						g = "-"
						if (n[k, S[si - 1], c] > 0 && n[k, S[si], c] > 0) {
							delete a; delete b
							for (j = 1; j <= n[k, S[si - 1], c]; j++) a[j] = v[k, S[si - 1], c, j]
							for (j = 1; j <= n[k, S[si], c]; j++) b[j] = v[k, S[si], c, j]
							g = sprintf("×%.1f", med(b, n[k, S[si], c]) / med(a, n[k, S[si - 1], c]))
						}
						line = line " " g " |"
					}
				}
				print line
			}
		}' "$work/fetch.tsv"
}

# queries_table: queries per fetch and MB received, end to end.
queries_table() {
	local header sep s
	header="| contender |"
	sep="|---|"
	for s in "${scale_list[@]}"; do
		header+=" $(fmt_num "$s"): queries, whole graph | MB received | queries, page |"
		sep+="---:|---:|---:|"
	done
	printf '%s\n%s\n' "$header" "$sep"
	awk -v scales="${scale_list[*]}" -v order="${strategies[*]}" -v labels="$labels_awk" '
		BEGIN {
			ns = split(scales, S, " "); nc = split(order, C, " ")
			nl = split(labels, L, "\n")
			for (i = 1; i <= nl; i++) { split(L[i], kv, "\t"); lab[kv[1]] = kv[2] }
		}
		$1 == "e2e" && $5 > 0 { q[$2, $3, $4] = $7; b[$2, $3, $4] = $8; seen[$4] = 1 }
		END {
			for (ci = 1; ci <= nc; ci++) {
				c = C[ci]
				if (!(c in seen)) continue
				line = "| " lab[c] " |"
				for (si = 1; si <= ns; si++)
					line = sprintf("%s %s | %.1f | %s |", line, q[S[si], "A", c],
						b[S[si], "A", c] / 1e6, q[S[si], "B", c])
				print line
			}
		}' "$work/fetch.tsv"
}

# raw_rounds KIND W SCALE: every round, one column per contender.
raw_rounds() {
	awk -v kind="$1" -v w="$2" -v s="$3" -v order="${strategies[*]}" '
		BEGIN { nc = split(order, C, " ") }
		$1 == kind && $2 == s && $3 == w { t[$5, $4] = $6; if ($5 > R) R = $5; seen[$4] = 1 }
		END {
			line = "| round |"; sep = "|---:|"
			for (ci = 1; ci <= nc; ci++) if (C[ci] in seen) { line = line " " C[ci] " |"; sep = sep "---:|" }
			print line; print sep
			for (r = 0; r <= R; r++) {
				line = "| " ((r == 0) ? "warm-up" : r) " |"
				for (ci = 1; ci <= nc; ci++)
					if (C[ci] in seen) line = line " " (((r, C[ci]) in t) ? t[r, C[ci]] : "") " |"
				print line
			}
		}' "$work/fetch.tsv"
}

overhead_section="(not run: --only)"
if wants overhead; then
	overhead_section=$(
		printf '| configuration | instructions per statement | extra | extra %% | what the run exercised |\n'
		printf '|---|---:|---:|---:|---|\n'
		awk -F '\t' '
			function g(x,   s) {
				s = sprintf("%.0f", (x < 0) ? -x : x)
				while (match(s, /[0-9][0-9][0-9][0-9]($|,)/))
					s = substr(s, 1, RSTART) "," substr(s, RSTART + 1)
				return ((x < 0) ? "-" : "") s
			}
			{
				base = ($1 == "1" || $1 == "8")
				extra = base ? "" : (($4 < 0) ? "" : "+") g($4)
				pct = base ? "" : sprintf("%+.2f%%", $5)
				if ($1 == "2" || $1 == "4" || $1 == "5" || $1 == "6" || $1 == "9") { extra = "**" extra "**"; pct = "**" pct "**" }
				if ($1 == "8")
					print "| *short N+1 loops, the second line against the first:* | | | | |"
				printf "| %s | %s | %s | %s | %s |\n", $2, g($3), extra, pct, $6
			}' "$work/overhead.tsv"
	)
fi

pgbench_section="(not run: --only)"
if wants pgbench; then
	tick_us=$((1000000 / $(getconf CLK_TCK)))
	pgbench_section=$(
		printf '| workload | measure | without relprefetch: median (min–max) | with relprefetch: median (min–max) | with ÷ without, per run: median (min–max) |\n'
		printf '|---|---|---:|---:|---:|\n'
		awk -v tick="$tick_us" "$awk_lib"'
			{
				t[$1, $2, $3] = $4
				u[$1, $2, $3] = $6 * tick / $5
				if ($1 > R) R = $1
			}
			function row(w, label, what, x,   na, nb, nr, a, b, q, r) {
				for (r = 1; r <= R; r++) {
					if ((r, "without", w) in t) a[++na] = x[r, "without", w]
					if ((r, "with", w) in t) b[++nb] = x[r, "with", w]
					if ((r, "without", w) in t && (r, "with", w) in t && x[r, "without", w] > 0)
						q[++nr] = x[r, "with", w] / x[r, "without", w]
				}
				sortn(q, nr)
				printf "| %s | %s | %s | %s | %s |\n", label, what, cell(a, na), cell(b, nb),
					(nr ? sprintf("**%.3f** (%.3f–%.3f)", med(q, nr), q[1], q[nr]) : "-")
			}
			END {
				row("select_only", "select-only (`pgbench -S`)", "tps", t)
				row("select_only", "", "server CPU µs per transaction", u)
				row("n_plus_1", "N+1 script (1 page query + 10 author lookups per transaction)", "tps", t)
				row("n_plus_1", "", "server CPU µs per transaction", u)
			}' "$work/pgbench.txt"
		printf '\nEvery run ("order": which configuration ran first in each pair; CPU: server CPU µs per transaction):\n\n'
		printf '| run | order | select-only tps without | with | ratio | CPU without | with | ratio | N+1 tps without | with | ratio | CPU without | with | ratio |\n'
		printf '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
		awk -v tick="$tick_us" '
			{ t[$1, $2, $3] = $4; u[$1, $2, $3] = $6 * tick / $5; if ($1 > R) R = $1 }
			END {
				for (r = 1; r <= R; r++) {
					line = sprintf("| %d | %s |", r, (r % 2) ? "without, with" : "with, without")
					for (wi = 1; wi <= 2; wi++) {
						w = (wi == 1) ? "select_only" : "n_plus_1"
						line = line sprintf(" %.0f | %.0f | %.3f | %.1f | %.1f | %.3f |",
							t[r, "without", w], t[r, "with", w], t[r, "with", w] / t[r, "without", w],
							u[r, "without", w], u[r, "with", w],
							(u[r, "without", w] > 0) ? u[r, "with", w] / u[r, "without", w] : 0)
					}
					print line
				}
			}' "$work/pgbench.txt"
	)
fi

fetch_section="(not run: --only)"
if wants fetch; then
	data_table=$(
		printf '| posts | authors | comments | post-tag links (to active tags) | page posts |\n'
		printf '|---:|---:|---:|---:|---:|\n'
		for s in "${scale_list[@]}"; do
			read -r a b c d e f <<<"${counts[$s]}"
			printf '| %s | %s | %s | %s (%s) | %s |\n' "$(fmt_num "$a")" "$(fmt_num "$b")" \
				"$(fmt_num "$c")" "$(fmt_num "$d")" "$(fmt_num "$e")" "$f"
		done
	)
	rounds_note=$(
		for s in "${scale_list[@]}"; do
			ra=$(rounds_for "$s")
			printf -- '- %s posts: %s rounds on the whole graph (the N+1 client: %s), %s on the page\n' \
				"$(fmt_num "$s")" "$ra" "$(n1_rounds_for "$s")" "$((3 * ra))"
		done
	)
	raw_section=
	for s in "${scale_list[@]}"; do
		for w in A B; do
			for kind in srv e2e; do
				raw_section+=$'\n'"#### $(fmt_num "$s") posts, $([ "$w" = A ] && echo "whole graph" || echo page), $([ "$kind" = srv ] && echo "server-side" || echo "end to end") (ms)"$'\n\n'"$(raw_rounds "$kind" "$w" "$s")"$'\n'
			done
		done
	done
	fetch_section=$(
		cat <<EOF
Data (\`demo/blog.sql\`, then VACUUM ANALYZE):

$data_table

Each contender builds, for every post, its columns, its \`author\` with the
author's \`country\`, its \`comments\` in id order and its active tags
(\`active_tags\`) in name order.

- **A, the whole graph**: every post.
- **B, a page**: author 7's newest posts (\`ORDER BY published DESC, id DESC
  LIMIT 20\`). demo/blog.sql gives every author exactly 10 posts at every
  scale (1 author per 10 posts), so the page holds 10 posts, not 20.

The contenders (their SQL is at the end):

- **fetch_json**: \`relprefetch.fetch_json('blog_post', spec)\`, one row of
  JSON per post.
- **fetch_children**: it returns the parent rows with *one* to-many
  relation as an array of the child table's rows, so it applies to the
  comments (reverse foreign key) and the tags (many-to-many), one call
  each; it does not do to-one relations (the author, the author's
  country), which one plain join fetches here. Three independent
  statements, merged by key in the client; it has no parent order or
  limit, so the page's posts are chosen by a subquery in \`parent_where\`
  and sorted by the client.
- **hand**: the best single hand-written statement we found: children
  pre-aggregated with \`GROUP BY\` (\`json_agg\` over pre-sorted rows),
  hash-joined to the posts.
- **postgrest**: the statement PostgREST generates: one correlated
  \`json_agg\` subquery per relation per row.
- **prefetch** (client only): what Django's \`prefetch_related\` does: the
  posts, then one query per relation (authors, countries, tags through the
  junction, comments) with the keys gathered from the rows before as an
  array parameter, merged into the structure by key: 5 queries.
- **n_plus_1** (client only): an ORM's lazy loading: the posts, then for
  each post its author, the author's country (each post gets its own
  author object, as in Django; not for authors without one), its tags and
  its comments, each a prepared statement sent on its own: about 4 round
  trips per post.

Before timing, at every scale, the three single statements are checked to
return the same JSON objects (as jsonb and as whitespace-free text, so
key order counts; for the page, in the same order), and the client checks
that every strategy built the same structure: the same posts, authors,
countries, comments and tags, the same keys and the bytes of every text
value (a checksum that leaves out only the timestamps, whose text differs
between JSON and PostgreSQL's output; for the page, in the same order).

**Server-side** times are \`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)\`
"Execution Time": the rows are built but not sent. All in one session,
after one warm-up execution of each (fetch_json caches its plans per
session, as a pooled connection would); fetch_children is the sum of its
three statements. The two client-side strategies have no single statement
to explain: prefetch's queries take the keys the previous ones returned,
and the N+1 loop's cost is its round trips, so adding up its statements'
server times would leave out what makes it slow. They are measured end to
end only.

**End to end** is \`bench/client.c\` over TCP on 127.0.0.1, from sending
the first statement to having the structure built: every value received
(JSON parsed, arrays of records parsed from their text form, typed
columns read), results buffered whole as most drivers do
(\`PQexec\`), one connection per strategy, each warmed up with one untimed
execution (the N+1 client: its first 100 posts); planning is included.

Rounds: each round runs every contender once, in an order that rotates
from round to round; "÷ fetch_json" is the median (min–max) of the
contender's time divided by fetch_json's *in the same round* (above 1:
slower than fetch_json).

$rounds_note

### A. The whole graph, server-side (ms)

$(fetch_table srv A)

### A. The whole graph, end to end at the client (ms)

$(fetch_table e2e A)

### B. A page, server-side (ms)

$(fetch_table srv B)

### B. A page, end to end at the client (ms)

$(fetch_table e2e B)

### Growth across scales

Median time at a scale divided by the median at the scale before (the
posts grow by the factor of the column); 1.0 is flat.

Whole graph:

$(growth_table A)

Page:

$(growth_table B)

### Queries sent and data received by the client

$(queries_table)
EOF
	)
fi

memory_section="(not run: --only)"
if wants memory; then
	memory_section=$(
		printf 'At %s posts (%s), the whole graph, each run in a new connection.\n\n' \
			"$(fmt_num "$max_scale")" "database blog_$max_scale"
		printf '| contender | peak RssAnon growth, MB: median (min–max) | VmHWM growth, MB: median (min–max) | temporary files, MB | end to end, ms (streamed, single-row mode) |\n'
		printf '|---|---:|---:|---:|---:|\n'
		awk "$awk_lib"'
			{
				c = $1; n[c]++
				anon[c, n[c]] = ($8 - $7) / 1024
				hwm[c, n[c]] = ($10 - $9) / 1024
				tmp[c, n[c]] = $13 / 1048576
				ms[c, n[c]] = $6
			}
			END {
				nc = split("fetch_json fetch_json_b1000 fetch_children hand postgrest", C, " ")
				lab["fetch_json"] = "relprefetch.fetch_json (fetch_batch_size 10000, the default)"
				lab["fetch_json_b1000"] = "relprefetch.fetch_json, fetch_batch_size = 1000"
				lab["fetch_children"] = "relprefetch.fetch_children, its biggest call (the posts with their comment arrays)"
				lab["hand"] = "hand-written SQL"
				lab["postgrest"] = "PostgREST'"'"'s SQL"
				for (ci = 1; ci <= nc; ci++) {
					c = C[ci]
					if (!(c in n)) continue
					k = n[c]
					delete a; delete b; delete t; delete m
					for (i = 1; i <= k; i++) { a[i] = anon[c, i]; b[i] = hwm[c, i]; t[i] = tmp[c, i]; m[i] = ms[c, i] }
					printf "| %s | %s | %s | %s | %s |\n", lab[c], cell(a, k), cell(b, k), f(med(t, k)), cell(m, k)
				}
			}' "$work/memory.txt"
		printf '\nIdle new backend (before the query), median: RssAnon %s MB, VmHWM %s MB.\n' \
			"$(awk '{ print $7 / 1024 }' "$work/memory.txt" | bench_stats | awk '{ printf "%.1f", $2 }')" \
			"$(awk '{ print $9 / 1024 }' "$work/memory.txt" | bench_stats | awk '{ printf "%.1f", $2 }')"
	)
fi

machine=$(
	bench_machine
	printf -- '- client: %s, libpq %s\n' "$(gcc --version | head -n 1)" \
		"$(dpkg-query -W -f='${Version}' libpq5 2>/dev/null || echo '(version unknown)')"
	if wants overhead; then
		printf -- '- valgrind: %s\n' "$(valgrind --version)"
	fi
	printf -- '- load averages (1, 5, 15 min, /proc/loadavg) as each section started; this benchmark alone keeps one or two processes busy, more means other work on the machine:\n'
	awk -F'|' '{ printf "  - %s: %s\n", $1, $2 }' "$work/load.txt"
	[ -z "$so_note" ] || printf '%s\n' "$so_note"
	if [ -n "${settings:-}" ]; then
		printf -- '- cluster settings (all others are the defaults): listen_addresses = 127.0.0.1, fsync = off, jit = off, autovacuum = off, shared_buffers = 512MB, log_temp_files = 0; as seen by the server:\n'
		printf '%s\n' "$settings" | sed 's/^/  - /'
	fi
)

t_end=$(date +%s)
elapsed=$(((t_end - t_start) / 60))m$(((t_end - t_start) % 60))s

sql_section=
for w in A B; do
	for c in rp fc hand pgrst; do
		for f in "$sqldir/$w-$c".sql "$sqldir/$w-$c".*.sql; do
			[ -f "$f" ] || continue
			sql_section+=$'\n'"#### ${f##*/}"$'\n\n```sql\n'"$(cat "$f")"$'\n```\n'
		done
	done
done
for f in "$sqldir"/A-posts.sql "$sqldir"/B-posts.sql "$sqldir"/pf-*.sql "$sqldir"/n1-*.sql; do
	sql_section+=$'\n'"#### ${f##*/}"$'\n\n```sql\n'"$(cat "$f")"$'\n```\n'
done
if wants pgbench; then
	sql_section+=$'\n'"#### n_plus_1.pgbench (section 1)"$'\n\n```\n'"$(cat "$work/n_plus_1.pgbench")"$'\n```\n'
fi

mkdir -p "$(dirname "$out")"
cat >"$out" <<EOF
# relprefetch benchmarks

Generated by \`$command_line\` on $(date -u '+%Y-%m-%d %H:%M UTC') (took $elapsed).
\`bash bench/run.sh --help\` lists the options; the raw figures, SQL and logs
are in \`${work#"$RP_ROOT"/}/\` until the next run.

How to read the figures: the machine is shared and noisy, so every timed
comparison alternates its contenders run by run (the order rotates), gives
min / median / max over the runs, and takes ratios only between figures
of the same run (the median, min and max of those per-run ratios), never
between figures of different runs. Instruction counts (1a) do not need
this: they repeat exactly. The load averages under "Machine" show whether
other work shared the machine while the timings were taken.

## Machine

$machine

## 1. Per-statement cost of detection

### 1a. Instructions per primary-key point SELECT

\`bench/overhead.sh --statements $statements\`: the same $statements statements
\`SELECT v FROM t WHERE id = <k>\` (10,000-row table, index scan) through a
single-user backend under callgrind, counting only inside
\`exec_simple_query\` (start-up excluded). "relprefetch, defaults" runs the
$statements identical lookups as one unit of work, so they are a detected
N+1 loop (relprefetch's repeat path); with \`unit_gap = 0\` every statement is
its own unit, the common path of an ordinary statement. The last two
lines run the same SELECTs in transactions of 10 (BEGIN, 10 SELECTs,
COMMIT), each transaction a unit of work in which relprefetch detects a
loop, as in the N+1 pgbench script of 1b; their "extra" is relative to
the same transactions without the library, per SELECT (BEGIN and COMMIT
included). \`bench/overhead.sh\`'s own report, with a per-function
breakdown, is \`${work#"$RP_ROOT"/}/overhead.md\`. ${overhead_repeat:+Repeatability: $overhead_repeat.}

$overhead_section

### 1b. Throughput, pgbench over TCP loopback

pgbench \`-M prepared -c 4 -j 2 -T $pg_time\` against 127.0.0.1, client and
server on the same $(nproc) CPUs, in a database with pgbench's tables
(\`-s ${pgb_scale:-10}\`) and the blog schema at $(fmt_num "${pgb_blog:-10000}") posts. Each run measures
each workload twice in a row, the server restarted without and then with
relprefetch in \`shared_preload_libraries\` (default settings; the other
order every other run), each time after 2 s of the workload untimed;
$pg_runs run(s). A tps ratio below 1, or a CPU ratio above 1, means
relprefetch costs something. tps suffers from any other work on the
machine; the server's CPU time per transaction (the backends' user +
system time, collected by the postmaster as they exit, divided by the
transactions) much less so. In select-only, each client sends the
same statement back to back (no idle gap of \`unit_gap\`), so relprefetch
sees one long unit and takes its repeat path, as in 1a's "defaults"; the
N+1 script is the shape relprefetch is for (threshold 5, so every
transaction is a detected loop).

$pgbench_section
${pgb_units:+
What relprefetch recorded in that database during the first run (warm-ups
included), from \`relprefetch.stats\`:

| repeated statement | units | calls | max repeats in a unit |
|---|---:|---:|---:|
$pgb_units
}
## 2. Fetching related rows

$fetch_section

## 3. Memory: streaming every post

The backend's memory while it runs the whole-graph statement and streams
its rows (the client reads them one at a time, in single-row mode, and
keeps none), in a new connection each time, the contenders rotated from
run to run; $mem_runs runs each.

Method: \`bench/memsample.c\` reads the backend's \`/proc/<pid>/status\`
before the query and every 10 ms during it. **RssAnon** is the backend's
private (anonymous) resident memory: its memory contexts, hash tables and
sort memory, not shared buffers; the column is its peak while sampled minus
its value in the idle new backend. **VmHWM** is the kernel's exact peak of
the whole resident set, but it counts every page of shared buffers the
backend touched (the tables are in shared buffers here), so it mostly
measures how much data was read; it is shown for completeness. Temporary
files (sorts or hashes spilled past \`work_mem\`) are not memory: they are
summed from the server log (\`log_temp_files = 0\`). Memory contexts cannot
be read from another session at their peak
(\`pg_log_backend_memory_contexts\` gives one moment), hence sampling.

$memory_section

## Every round
${raw_section:-
(not run)}

## The SQL
$sql_section
EOF

rp_say "report: $out ($elapsed)"
if wants overhead; then
	printf '\n1a. instructions per point SELECT\n\n%s\n' "$overhead_section"
fi
if wants pgbench; then
	printf '\n1b. pgbench\n\n%s\n' "$pgbench_section"
fi
if wants fetch; then
	printf '\n2. fetch, whole graph, server-side (ms)\n\n%s\n' "$(fetch_table srv A)"
	printf '\n2. fetch, whole graph, end to end (ms)\n\n%s\n' "$(fetch_table e2e A)"
	printf '\n2. fetch, page, server-side (ms)\n\n%s\n' "$(fetch_table srv B)"
	printf '\n2. fetch, page, end to end (ms)\n\n%s\n' "$(fetch_table e2e B)"
fi
if wants memory; then
	printf '\n3. memory\n\n%s\n' "$memory_section"
fi
