#!/usr/bin/env bash
# Time relprefetch.fetch_json against the SQL one would write by hand and the
# SQL PostgREST writes, for the same JSON, on the demo blog schema.
#
# Usage: bash bench/fetch.sh [--scale N] [--runs N] [--first-runs N]
#                            [--set NAME=VALUE]... [--out FILE] [--no-setup]
#   --scale N   posts to load with demo/blog.sql (default 10000: 1,000
#               authors, 50,000 comments, 30,000 post-tag links)
#   --runs N    measured rounds (default 7)
#   --first-runs N
#               rounds of first calls: each contender in a new session of
#               its own per round (default 3; 0 leaves them out)
#   --set NAME=VALUE
#               a server setting for the cluster, e.g. shared_buffers=2GB
#               (repeatable; the report lists them)
#   --out FILE  Markdown report (default bench/out/fetch.md)
#   --no-setup  measure the relprefetch already installed instead of running
#               scripts/setup.sh (build + install)
#
# Two workloads, each with four contenders that return the same JSON objects
# (checked before timing, as jsonb and as text with the whitespace removed,
# so key order counts too; the script fails when they differ):
#   A  the whole graph: every post with its author and the author's country,
#      its active tags in name order and its comments in id order
#   B  a page: the 20 newest posts of author 7, with the same includes
# The contenders: relprefetch.fetch_json; the best single hand-written
# statement (children aggregated per parent with GROUP BY, joined to the
# parents); the correlated-subquery shape PostgREST generates; the LEFT JOIN
# LATERAL + json_agg shape of Prisma relationJoins and Hasura.
#
# Figures are server-side: "Execution Time" (and, separately, "Planning
# Time") of EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON), so no result is sent
# to the client. Everything runs in one session (the same warm caches for
# all: fetch_json caches its plans per session) after one warm-up execution
# of each contender; each round runs every contender once, in an order that
# rotates from round to round. Ratios are taken within each round.
# Then the first call of a new session (bench_first_rounds in bench/lib.sh):
# in each round every contender runs three times in a session of its own,
# in an order that rotates; its figure is psql's time for the whole first
# statement (parse analysis, planning and execution), beside the third's.
#
# The throwaway cluster (relprefetch preloaded, jit = off, a free port on
# 127.0.0.1, a socket in the work folder) lives in tmp/fetch (or a /tmp
# folder) and is removed on exit; no server is left running.
set -euo pipefail

# shellcheck source=bench/lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

scale=10000
runs=7
first_runs=3
out="$RP_ROOT/bench/out/fetch.md"
setup=1
settings=()
while [ $# -gt 0 ]; do
	case $1 in
	--scale | --runs | --first-runs | --out)
		[ $# -ge 2 ] || rp_die "$1 needs a value"
		opt=${1#--}
		printf -v "${opt//-/_}" '%s' "$2"
		shift 2
		;;
	--scale=* | --runs=* | --first-runs=* | --out=*)
		opt=${1%%=*}
		opt=${opt#--}
		printf -v "${opt//-/_}" '%s' "${1#*=}"
		shift
		;;
	--set)
		[ $# -ge 2 ] || rp_die "$1 needs a value"
		settings+=("$2")
		shift 2
		;;
	--set=*)
		settings+=("${1#--set=}")
		shift
		;;
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
bench_uint --scale "$scale" 1
bench_uint --runs "$runs" 1
bench_uint --first-runs "$first_runs" 0
# The page is author 7's, and blog.sql makes scale / 10 authors.
[ "$scale" -ge 70 ] || rp_die "--scale must be at least 70 (the page needs author 7)"
# Resolve now: the report is written long after, and relative to the caller.
out=$(bench_abspath "$out")
setting_re="^[a-z_.]+=[^'\\\\[:cntrl:]]+\$"
for setting in "${settings[@]}"; do
	[[ $setting =~ $setting_re ]] ||
		rp_die "--set wants NAME=VALUE (a setting's name, a value without quotes), not '$setting'"
done

if [ "$setup" -eq 1 ]; then
	bash "$RP_ROOT/scripts/setup.sh"
fi
libdir=$("$PG_CONFIG" --pkglibdir)
[ -f "$libdir/relprefetch.so" ] || rp_die "$libdir/relprefetch.so is not installed"
if [ -f "$RP_ROOT/relprefetch.so" ] &&
	! cmp -s "$RP_ROOT/relprefetch.so" "$libdir/relprefetch.so"; then
	rp_warn "the installed relprefetch.so differs from the one in $RP_ROOT; measuring the installed one"
fi

# The cluster is rebuilt on every run; the SQL, the raw timings and the
# logs are small and worth keeping, unless the folder is a /tmp fallback.
bench_workdir fetch
work=$BENCH_WORK
data=$BENCH_DATA
sockdir=$BENCH_SOCKDIR

rp_say "creating the cluster"
bench_initdb "$work" "$data" "$sockdir" bench/fetch.sh
for setting in "${settings[@]}"; do
	printf "%s = '%s'\n" "${setting%%=*}" "${setting#*=}" >>"$data/postgresql.conf"
done
bench_start "$work" "$data" "$sockdir"
psql() { bench_psql "$@"; }

bench_load_blog "$work" bench "$scale"
counts=$(bench_blog_counts bench)
read -r n_posts n_authors n_comments n_links n_active_links n_page <<<"$counts"
rp_say "loaded $n_posts posts, $n_authors authors, $n_comments comments, $n_links post-tag links ($n_active_links to active tags)"

# ---------------------------------------------------------------------------
# The contenders (bench_fetch_sql in bench/lib.sh): every statement returns
# one json column, one row per post.
bench_fetch_sql "$work/sql"

workloads=(A B)
contenders=(rp hand pgrst lat)
declare -A wl_title=(
	[A]="A. whole graph ($n_posts posts)"
	[B]="B. page (author 7's newest, LIMIT 20: $n_page posts)"
)
declare -A ct_title=(
	[rp]="relprefetch.fetch_json"
	[hand]="hand-written (children grouped in CTEs, joined)"
	[pgrst]="PostgREST shape (correlated subqueries)"
	[lat]="LEFT JOIN LATERAL + json_agg (Prisma relationJoins, Hasura)"
)

# Verification: the four return the same objects (bench_fetch_verify).
for w in "${workloads[@]}"; do
	rp_say "checking that the contenders of workload $w return the same JSON"
	case $w in
	A) expect="$n_posts $n_comments $n_active_links" ;;
	B) expect="$n_page $((5 * n_page))" ;;
	esac
	bench_fetch_verify "$work/sql" "$work" "$w" bench "$expect"
done

# ---------------------------------------------------------------------------
# Timing, all in one session: one warm-up execution of each contender, then
# rounds; in round r the contenders start at the (r mod 3)-th one.
rp_say "timing: 1 warm-up + $runs rounds of each contender, in one session"
bench_server_rounds "$work/sql" bench "$runs" "$work/timings.txt" \
	A:rp A:hand A:pgrst A:lat B:rp B:hand B:pgrst B:lat
if [ "$first_runs" -gt 0 ]; then
	rp_say "timing: first calls, $first_runs rounds of a new session per contender"
	bench_first_rounds "$work/sql" bench "$first_runs" "$work/first.txt" \
		A:rp A:hand A:pgrst A:lat B:rp B:hand B:pgrst B:lat
fi

stats() { bench_stats; }
# col W C FIELD: one field (4 planning, 5 execution) of the measured rounds.
col() { awk -v w="$1" -v c="$2" -v f="$3" '$1 == w && $2 == c && $3 > 0 { print $f }' "$work/timings.txt"; }
# ratios W C [first]: contender C's time over relprefetch's, round by
# round: of the warm rounds, or with "first" of the first calls (call 1 of
# each session, its statement time).
ratios() {
	local file=$work/timings.txt first=0
	if [ "${3:-}" = first ]; then
		file=$work/first.txt first=1
	fi
	awk -v w="$1" -v c="$2" -v first="$first" '
		(first ? $4 != 1 : $3 == 0) || $1 != w { next }
		{ v = first ? $7 : $5 }
		$2 == "rp" { rp[$3] = v }
		$2 == c { x[$3] = v }
		END { for (r in x) if (rp[r] > 0) print x[r] / rp[r] }
	' "$file"
}
# first_col W C N: the statement times of call N of contender C's sessions.
first_col() { awk -v w="$1" -v c="$2" -v n="$3" '$1 == w && $2 == c && $4 == n { print $7 }' "$work/first.txt"; }
fmt() { bench_fmt "$1"; }

# table_rows [first]: a row per workload and contender: min, median and max
# of its times, the median of a second figure (warm: the planning time;
# "first": the same sessions' third calls) and its ratio to relprefetch.
table_rows() {
	local kind=${1:-warm} w c lo mid hi second vs rlo rmid rhi
	for w in "${workloads[@]}"; do
		for c in "${contenders[@]}"; do
			if [ "$kind" = first ]; then
				read -r lo mid hi <<<"$(first_col "$w" "$c" 1 | stats)"
				read -r _ second _ <<<"$(first_col "$w" "$c" 3 | stats)"
			else
				read -r lo mid hi <<<"$(col "$w" "$c" 5 | stats)"
				read -r _ second _ <<<"$(col "$w" "$c" 4 | stats)"
			fi
			if [ "$c" = rp ]; then
				vs=1
			else
				read -r rlo rmid rhi <<<"$(ratios "$w" "$c" "$kind" | stats)"
				vs=$(printf '**%.2fx** (%.2f..%.2f)' "$rmid" "$rlo" "$rhi")
			fi
			printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${wl_title[$w]}" \
				"${ct_title[$c]}" "$(fmt "$lo")" "$(fmt "$mid")" "$(fmt "$hi")" \
				"$(fmt "$second")" "$vs"
		done
	done
}

table=$(
	printf '| workload | contender | execution ms: min | median | max | planning ms (median) | vs relprefetch: median of per-round ratios (min..max) |\n'
	printf '|---|---|---:|---:|---:|---:|---|\n'
	table_rows
)

# target TEXT RATIO MIN: one line of the verdict.
target() {
	if awk -v r="$2" -v m="$3" 'BEGIN { exit !(r >= m) }'; then
		printf -- '- %s: %.2fx - holds\n' "$1" "$2"
	else
		printf -- '- %s: %.2fx - MISSED\n' "$1" "$2"
	fi
}
# targets [first]: the verdict's lines, from the median ratio of each
# contender to relprefetch, in the warm rounds or on the first calls.
targets() {
	local kind=${1:-warm} when='' w c
	local -A median
	[ "$kind" = first ] && when='first call, '
	for w in "${workloads[@]}"; do
		for c in hand pgrst lat; do
			read -r _ "median[$w.$c]" _ <<<"$(ratios "$w" "$c" "$kind" | stats)"
		done
	done
	target "whole graph, ${when}relprefetch at least 3x faster than hand-written" "${median[A.hand]}" 3
	target "whole graph, ${when}relprefetch at least 7x faster than the PostgREST shape" "${median[A.pgrst]}" 7
	target "whole graph, ${when}relprefetch at least 7x faster than the LATERAL shape" "${median[A.lat]}" 7
	target "page, ${when}relprefetch no slower than hand-written (hand-written / relprefetch at least 1)" "${median[B.hand]}" 1
}
verdict=$(targets)

first_section=
if [ "$first_runs" -gt 0 ]; then
	first_table=$(
		printf '| workload | contender | first call, statement ms: min | median | max | third call, median | vs relprefetch, first calls: median of per-round ratios (min..max) |\n'
		printf '|---|---|---:|---:|---:|---:|---|\n'
		table_rows first
	)
	verdict+=$'\n'$(targets first)
	first_section="
## First call in a new session

$first_runs round$([ "$first_runs" -eq 1 ] || echo s); in each, every contender runs three times in a new
session of its own (the order rotates from round to round). The figure is
psql's \`\\timing\` of the whole first statement: parse analysis, where a new
session opens the tables and loads their catalog entries, planning and
execution; the third call of the same session is beside it.

$first_table
"
fi

raw=$(
	printf '| round | workload |'
	for c in "${contenders[@]}"; do printf ' %s |' "${ct_title[$c]}"; done
	printf '\n|---:|---|---:|---:|---:|---:|\n'
	awk '$3 > 0 { t[$3, $1, $2] = $5; if ($3 > n) n = $3 }
		END {
			split("A B", ws, " "); split("rp hand pgrst lat", cs, " ")
			for (r = 1; r <= n; r++)
				for (i = 1; i <= 2; i++)
					printf "| %d | %s | %s | %s | %s | %s |\n", r, ws[i],
						t[r, ws[i], cs[1]], t[r, ws[i], cs[2]], t[r, ws[i], cs[3]], t[r, ws[i], cs[4]]
		}' "$work/timings.txt"
)
warm=$(awk '$3 == 0 { printf "%s%s/%s %s ms", sep, $1, $2, $5; sep = ", " }' "$work/timings.txt")

machine=$(
	bench_machine
	printf -- '- settings: defaults (shared_buffers %s, work_mem %s) except jit = off, autovacuum = off, fsync = off%s\n' \
		"$(psql -d bench -At -c 'SHOW shared_buffers')" "$(psql -d bench -At -c 'SHOW work_mem')" \
		"$(for setting in "${settings[@]}"; do printf ', %s' "$setting"; done)"
)

sql_section=
for w in "${workloads[@]}"; do
	for c in "${contenders[@]}"; do
		sql_section+=$'\n'"### ${wl_title[$w]%% (*}: ${ct_title[$c]}"$'\n\n```sql\n'"$(cat "$work/sql/$w-$c.sql")"$'\n```\n'
	done
done

mkdir -p "$(dirname "$out")"
cat >"$out" <<EOF
# relprefetch.fetch_json against hand-written SQL and PostgREST's shape

Generated by \`bash bench/fetch.sh --scale $scale --runs $runs --first-runs $first_runs$(for setting in "${settings[@]}"; do printf ' --set %s' "$setting"; done)\` on $(date -u '+%Y-%m-%d %H:%M UTC').

Data: \`demo/blog.sql\` at scale $scale: $n_posts posts, $n_authors authors,
50 countries, 200 tags (every 5th inactive), $n_links post-tag links
($n_active_links to active tags), $n_comments comments; then VACUUM ANALYZE.

Each contender returns one JSON object per post: the post's columns, its
\`author\` (with the author's \`country\`), its \`comments\` in id order and its
\`active_tags\` in name order, with the same keys in the same order. Before
timing, the script checks that the four return the same objects (compared
as jsonb and as text with whitespace removed; for the page, in the same
order) and that relprefetch's objects hold every comment and active tag.

Times are the server's, in ms: "Execution Time" of
\`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)\` (the results are built but not
sent to the client), planning time separately. All executions run in one
session: first one warm-up execution of each contender (fetch_json caches its
catalog lookups and plans per session; its internal queries are planned then,
so its planning time here is only that of the calling SELECT), then $runs
rounds, each running every contender once, in an order rotated from round
to round. The ratios compare times taken in the same round.

## Machine

$machine

## Results

$table

Warm-up executions (not counted): $warm.
$first_section
## Targets

$verdict

## Every round (execution ms)

$raw

## The SQL
$sql_section
EOF

printf '\n%s\n\n%s\n\nReport: %s\n' "$table" "$verdict" "$out"
