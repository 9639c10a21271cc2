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
#   --first-runs N     new sessions per contender and scale for the first
#                      call (default 7 below 50,000 posts, 3 from 50,000 on)
#   --n1-runs N        rounds of the N+1 client on the whole graph at scales
#                      of 50,000 posts or more, where it makes about four
#                      round trips per post (default 2)
#   --pgbench-runs N   pgbench pairs (without, with relprefetch), alternating
#                      (default 5)
#   --pgbench-time S   seconds of each pgbench run (default 10)
#   --mem-runs N       memory measurements of each contender (default 5)
#   --statements N     point SELECTs in the short callgrind runs of section
#                      1a; the long runs have 3 x N (default 2000)
#   --only LIST        run only these sections, comma-separated, of
#                      overhead (callgrind), pgbench, fetch, memory
#   --quick            a smoke test of a few minutes: --scales 100,300,1000
#                      --runs 2 --n1-runs 1 --pgbench-runs 1 --pgbench-time 3
#                      --mem-runs 2 --statements 200 (and 2 and 6 10,000-row
#                      SELECTs), report in bench/out/BENCHMARKS-quick.md;
#                      options given as well take precedence
#   --out FILE         the report (default BENCHMARKS.md at the top of the
#                      checkout)
#   --no-setup         do not run scripts/setup.sh --with-valgrind (which
#                      installs the packages and builds and installs
#                      relprefetch): measure what is installed
#
# The sections:
#   1. the per-statement cost of detection: instructions per statement
#      under callgrind (bench/overhead.sh: a point SELECT on relprefetch's
#      common and repeat paths, a 10,000-row SELECT), and pgbench over
#      TCP loopback, select-only and an N+1-shaped script, with and without
#      relprefetch in shared_preload_libraries (restarted between)
#   2. fetching the blog graph, the whole of it and a page, by
#      fetch_json, fetch_children, hand-written SQL, PostgREST's SQL, the
#      LEFT JOIN LATERAL shape of Prisma and Hasura, an N+1 client and a
#      prefetch_related-style client: server-side execution (EXPLAIN
#      ANALYZE), in a warm session and at the first call of a new session,
#      and end to end at a C client (bench/client.c, built here against
#      libpq)
#   3. the backend's peak memory while it streams every post at the
#      largest scale, fetch_json against the hand-written SQL
#      (bench/memsample.c, built here against libpq)
#
# Noisy machines: the contenders are alternated round by round (the order
# rotates), ratios are taken within a round, and figures are min / median /
# max of the rounds. The work folder is tmp/run (or a /tmp folder, which is
# kept as well): the raw figures, SQL and logs stay there, until the next
# run for tmp/run; the cluster is removed and no server is left running.
# bench/report.py writes the report from them; `python3 bench/report.py
# DIR --out FILE` writes it again.
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
	first_runs=2
	n1_runs=1
	pg_runs=1
	pg_time=3
	mem_runs=2
	statements=200
	rows_statements=2
	out="$RP_ROOT/bench/out/BENCHMARKS-quick.md"
else
	scales=1000,10000,100000
	runs=
	first_runs=
	n1_runs=2
	pg_runs=5
	pg_time=10
	mem_runs=5
	statements=2000
	rows_statements=10
	out="$RP_ROOT/BENCHMARKS.md"
fi
only=overhead,pgbench,fetch,memory
setup=1

while [ $# -gt 0 ]; do
	case $1 in
	--scales | --runs | --first-runs | --n1-runs | --pgbench-runs | --pgbench-time | --mem-runs | --statements | --only | --out)
		[ $# -ge 2 ] || rp_die "$1 needs a value"
		opt=${1#--}
		opt=${opt//-/_}
		opt=${opt/pgbench_/pg_}
		printf -v "$opt" '%s' "$2"
		shift 2
		;;
	--scales=* | --runs=* | --first-runs=* | --n1-runs=* | --pgbench-runs=* | --pgbench-time=* | --mem-runs=* | --statements=* | --only=* | --out=*)
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
[ -z "$first_runs" ] || bench_uint --first-runs "$first_runs" 1
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
# first_rounds_for SCALE: new sessions per contender for the first call.
first_rounds_for() {
	if [ -n "$first_runs" ]; then
		echo "$first_runs"
	elif [ "$1" -ge 50000 ]; then
		echo 3
	else
		echo 7
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
printf 'section|load\n' >"$work/load.txt"
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
# counts do not depend on the machine's load and repeat exactly (it runs
# one configuration again at the end to show it), so one run of each
# configuration is enough.
if wants overhead; then
	load_mark "1a. callgrind"
	rp_say "1a. callgrind: $statements and $((3 * statements)) point SELECTs, $rows_statements and $((3 * rows_statements)) 10,000-row SELECTs per configuration (bench/overhead.sh)"
	bash "$RP_ROOT/bench/overhead.sh" --no-setup --statements "$statements,$((3 * statements))" \
		--rows-statements "$rows_statements,$((3 * rows_statements))" --loop 10 \
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
# fetch.tsv: one line per execution (kind: srv or e2e; round 0: warm-up)
echo 'kind scale workload strategy round ms queries bytes' >"$work/fetch.tsv"
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
		bench_server_rounds "$sqldir" "$db" "$ra" "$work/srv-$s-A.txt" A:rp A:fc A:hand A:pgrst A:lat
		bench_server_rounds "$sqldir" "$db" "$rb" "$work/srv-$s-B.txt" B:rp B:fc B:hand B:pgrst B:lat
		awk -v s="$s" '
			BEGIN { n["rp"] = "fetch_json"; n["fc"] = "fetch_children"; n["hand"] = "hand"; n["pgrst"] = "postgrest"; n["lat"] = "lateral" }
			{ print "srv", s, $1, n[$2], $3, $5, "-", "-" }
		' "$work/srv-$s-A.txt" "$work/srv-$s-B.txt" >>"$work/fetch.tsv"

		# The first call of a new session (kind first: the whole statement's
		# time at psql, parse analysis included) against the third call of
		# that session (kind third).
		rf=$(first_rounds_for "$s")
		load_mark "2. fetch, $s posts, first call"
		rp_say "2. fetch at $s posts: first call in a new session, $rf rounds"
		bench_first_rounds "$sqldir" "$db" "$rf" "$work/first-$s.txt" \
			A:rp A:hand A:pgrst A:lat B:rp B:hand B:pgrst B:lat
		awk -v s="$s" '
			BEGIN { n["rp"] = "fetch_json"; n["hand"] = "hand"; n["pgrst"] = "postgrest"; n["lat"] = "lateral" }
			$4 == 1 { print "first", s, $1, n[$2], $3, $7, "-", "-" }
			$4 == 3 { print "third", s, $1, n[$2], $3, $7, "-", "-" }
		' "$work/first-$s.txt" >>"$work/fetch.tsv"

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
# memory.txt: one line per measurement, bench/memsample.c's (in kB), then
# the bytes of temporary files the backend wrote
mem_contenders=(fetch_json fetch_json_b1000 fetch_children hand postgrest)
echo 'contender round pid rows bytes ms anon_before anon_peak hwm_before hwm_after rss_before rss_peak' >"$work/memory.txt"
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
		FNR == 1 { print $0, "temp_bytes"; next }
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
# pgbench.txt: one line per pgbench run
echo 'run config workload tps transactions server_cpu_ticks' >"$work/pgbench.txt"
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
			bench_psql -d pgb -A -P footer=off -F $'\t' -c "
				SELECT left(query, 90) AS query, units, calls, max_repeats
				FROM relprefetch.stats
				WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'pgb')
				ORDER BY calls DESC" >"$work/pgbench-units.tsv"
		fi
	done
	# Leave the server as the other sections expect it.
	restart_with with
fi

# ---------------------------------------------------------------------------
# The report: bench/report.py writes it from what the run left in $work,
# which stays there (python3 bench/report.py DIR writes it again).
load_mark "end"
if [ "$(so_sum)" != "$so_start" ]; then
	rp_warn "relprefetch.so changed during the run"
fi
{
	bench_machine
	printf -- '- client: %s, libpq %s\n' "$(gcc --version | head -n 1)" \
		"$(dpkg-query -W -f='${Version}' libpq5 2>/dev/null || echo '(version unknown)')"
	if wants overhead; then
		printf -- '- valgrind: %s\n' "$(valgrind --version)"
	fi
} >"$work/machine.txt"
if [ -n "${settings:-}" ]; then
	printf '%s\n' "$settings" >"$work/settings.txt"
fi
# scales.tsv: the rows loaded at each scale and the rounds run there
{
	printf 'scale\tposts\tauthors\tcomments\tpost_tags\tactive_post_tags\tpage_posts\twhole_graph_rounds\tn_plus_1_rounds\tpage_rounds\n'
	for s in "${scale_list[@]}"; do
		[ -n "${counts[$s]+x}" ] || continue
		read -r -a c <<<"${counts[$s]}"
		ra=$(rounds_for "$s")
		printf '%s\t' "$s" "${c[@]}" "$ra" "$(n1_rounds_for "$s")"
		printf '%s\n' "$((3 * ra))"
	done
} >"$work/scales.tsv"

t_end=$(date +%s)
elapsed=$(((t_end - t_start) / 60))m$(((t_end - t_start) % 60))s
sections=
for s in overhead pgbench fetch memory; do
	if wants "$s"; then
		sections+=${sections:+,}$s
	fi
done
cat >"$work/meta.txt" <<EOF
command=$command_line
date=$(date -u '+%Y-%m-%d %H:%M UTC')
elapsed=$elapsed
sections=$sections
scales=$(IFS=, && echo "${scale_list[*]}")
statements=$statements,$((3 * statements))
rows_statements=$rows_statements,$((3 * rows_statements))
overhead_repeat=${overhead_repeat:-}
pgbench_time=$pg_time
pgbench_runs=$pg_runs
pgbench_scale=${pgb_scale:-10}
pgbench_blog=${pgb_blog:-10000}
mem_runs=$mem_runs
cpus=$(nproc)
clock_ticks=$(getconf CLK_TCK)
so_path=$libdir/relprefetch.so
so_start=$so_start
so_end=$(so_sum)
work=${work#"$RP_ROOT"/}
work_temp=$RP_WORK_TEMP
EOF

python3 "$RP_ROOT/bench/report.py" --out "$out" "$work" ||
	rp_die "bench/report.py failed on $work"
rp_say "report: $out ($elapsed)"
python3 "$RP_ROOT/bench/report.py" --summary "$work"
rp_say "raw figures, SQL and logs: $work (python3 bench/report.py $work writes the report again)"
