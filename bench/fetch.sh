#!/usr/bin/env bash
# Time relprefetch.fetch_json against the SQL one would write by hand and the
# SQL PostgREST writes, for the same JSON, on the demo blog schema.
#
# Usage: bash bench/fetch.sh [--scale N] [--runs N] [--out FILE] [--no-setup]
#   --scale N   posts to load with demo/blog.sql (default 10000: 1,000
#               authors, 50,000 comments, 30,000 post-tag links)
#   --runs N    measured rounds (default 7)
#   --out FILE  Markdown report (default bench/out/fetch.md)
#   --no-setup  measure the relprefetch already installed instead of running
#               scripts/setup.sh (build + install)
#
# Two workloads, each with three contenders that return the same JSON objects
# (checked before timing, as jsonb and as text with the whitespace removed,
# so key order counts too; the script fails when they differ):
#   A  the whole graph: every post with its author and the author's country,
#      its active tags in name order and its comments in id order
#   B  a page: the 20 newest posts of author 7, with the same includes
# The contenders: relprefetch.fetch_json; the best single hand-written
# statement (children aggregated per parent with GROUP BY, joined to the
# parents); the correlated-subquery shape PostgREST generates.
#
# Figures are server-side: "Execution Time" (and, separately, "Planning
# Time") of EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON), so no result is sent
# to the client. Everything runs in one session (the same warm caches for
# all: fetch_json caches its plans per session) after one warm-up execution
# of each contender; each round runs every contender once, in an order that
# rotates from round to round. Ratios are taken within each round.
#
# The throwaway cluster (relprefetch preloaded, jit = off, a free port on
# 127.0.0.1, a socket in the work folder) lives in tmp/fetch (or a /tmp
# folder) and is removed on exit; no server is left running.
set -euo pipefail

# shellcheck source=scripts/lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

scale=10000
runs=7
out="$RP_ROOT/bench/out/fetch.md"
setup=1
while [ $# -gt 0 ]; do
	case $1 in
	--scale | --runs | --out)
		[ $# -ge 2 ] || rp_die "$1 needs a value"
		printf -v "${1#--}" '%s' "$2"
		shift 2
		;;
	--scale=* | --runs=* | --out=*)
		opt=${1%%=*}
		printf -v "${opt#--}" '%s' "${1#*=}"
		shift
		;;
	--no-setup)
		setup=0
		shift
		;;
	-h | --help)
		sed -n '2,/^set -e/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $1 (try --help)" ;;
	esac
done
case $scale in
'' | *[!0-9]*) rp_die "--scale wants a positive integer, not '$scale'" ;;
esac
case $runs in
'' | *[!0-9]*) rp_die "--runs wants a positive integer, not '$runs'" ;;
esac
# The page is author 7's, and blog.sql makes scale / 10 authors.
[ "$scale" -ge 70 ] || rp_die "--scale must be at least 70 (the page needs author 7)"
[ "$runs" -ge 1 ] || rp_die "--runs must be at least 1"
# Resolve now: the report is written long after, and relative to the caller.
case $out in
/*) ;;
*) out="$PWD/$out" ;;
esac

if [ "$setup" -eq 1 ]; then
	bash "$RP_ROOT/scripts/setup.sh"
fi
bindir=$(rp_bindir)
libdir=$("$PG_CONFIG" --pkglibdir)
[ -f "$libdir/relprefetch.so" ] || rp_die "$libdir/relprefetch.so is not installed"
if [ -f "$RP_ROOT/relprefetch.so" ] &&
	! cmp -s "$RP_ROOT/relprefetch.so" "$libdir/relprefetch.so"; then
	rp_warn "the installed relprefetch.so differs from the one in $RP_ROOT; measuring the installed one"
fi

rp_workdir fetch
work=$RP_WORK
data=$work/data
rp_sockdir "$work"
sockdir=$RP_SOCKDIR
sock_temp=$RP_SOCKDIR_TEMP

cleanup() {
	rp_stop_server $? "$work" "$data" benchmark
	rp_stop_clusters "$work"
	# The cluster is rebuilt on every run; the SQL, the raw timings and the
	# logs are small and worth keeping, unless the folder is a /tmp fallback.
	rm -rf "$data"
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

rp_say "creating the cluster"
# Trust is limited to the socket, which only the cluster owner (and root) may
# use; TCP on 127.0.0.1 needs a password no role has.
rp_as_pg "$work" "$bindir/initdb" -D "$data" -U postgres --auth-local=trust \
	--auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync \
	--no-instructions >"$work/initdb.log" 2>&1 ||
	rp_die "initdb failed; see $work/initdb.log"
# jit = off: at the default scale only the PostgREST shape's cost estimate
# crosses jit_above_cost, and compiling would only add to its time. The data
# does not change after VACUUM ANALYZE, so autovacuum has nothing to do but
# could wake up during a round.
cat >>"$data/postgresql.conf" <<EOF

# added by bench/fetch.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
unix_socket_permissions = 0700
shared_preload_libraries = 'relprefetch'
lc_messages = 'C'
fsync = off
jit = off
autovacuum = off
EOF

# A free port: one nothing answers on, retried if the server still cannot
# bind it (another program may take it between the check and the start).
port=
for _ in $(seq 1 20); do
	candidate=$((20000 + RANDOM % 40000))
	if (: <"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
		continue
	fi
	: >"$work/server.log"
	rp_give_to_pg "$work/server.log"
	if rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" -l "$work/server.log" \
		-o "-p $candidate" -w start >/dev/null 2>&1; then
		port=$candidate
		break
	fi
	grep -q 'could not bind\|could not create any TCP/IP sockets' "$work/server.log" ||
		rp_die "the server did not start; see $work/server.log"
done
[ -n "$port" ] || rp_die "found no free port for the server; see $work/server.log"
rp_say "server on port $port (socket in $sockdir)"

# Clients may run as anyone; they connect through the socket as postgres.
psql() {
	"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" \
		-U postgres "$@"
}

psql -d postgres -c 'CREATE DATABASE bench'
psql -d bench -c 'CREATE EXTENSION relprefetch'
rp_say "loading demo/blog.sql at scale $scale"
psql -d bench -v scale="$scale" -f "$RP_ROOT/demo/blog.sql" >"$work/load.log" 2>&1 ||
	rp_die "loading demo/blog.sql failed; see $work/load.log"
psql -d bench -c 'VACUUM ANALYZE'

counts=$(psql -d bench -At -F ' ' -c "
SELECT (SELECT count(*) FROM blog_post), (SELECT count(*) FROM blog_author),
       (SELECT count(*) FROM blog_comment), (SELECT count(*) FROM blog_post_tags),
       (SELECT count(*) FROM blog_post_tags pt JOIN blog_tag t ON t.id = pt.tag_id WHERE t.active),
       (SELECT least(count(*), 20) FROM blog_post WHERE author_id = 7)") ||
	rp_die "counting the rows loaded failed"
read -r n_posts n_authors n_comments n_links n_active_links n_page <<<"$counts"
rp_say "loaded $n_posts posts, $n_authors authors, $n_comments comments, $n_links post-tag links ($n_active_links to active tags)"

# ---------------------------------------------------------------------------
# The contenders. Every statement returns one json column, one row per post.
mkdir -p "$work/sql"

# A1: relprefetch.
cat >"$work/sql/A-rp.sql" <<'EOF'
SELECT relprefetch.fetch_json('blog_post', '{"include": {
    "author": {"include": ["country"]},
    "active_tags": {"path": "tags", "where": "active", "order_by": "name"},
    "comments": {"path": "blog_comment", "order_by": "id"}}}')
EOF

# A2: hand-written. Each child table is aggregated once, grouped by the
# parent's key, and hash-joined to the parents. The fastest variant tried:
# json_agg over input sorted in a subquery (one sort for all groups; PG 15
# sorts each group on its own for json_agg(... ORDER BY ...)), and to_json
# of a row (cheaper than json_build_object, same keys in the same order).
# Authors are rendered once each (1 per 10 posts), not once per post.
cat >"$work/sql/A-hand.sql" <<'EOF'
WITH c AS (
    SELECT c.post_id, json_agg(c) AS comments
    FROM (SELECT * FROM blog_comment ORDER BY post_id, id) c
    GROUP BY c.post_id
), t AS (
    SELECT s.post_id, json_agg(s.t) AS active_tags
    FROM (SELECT pt.post_id, t
          FROM blog_post_tags pt JOIN blog_tag t ON t.id = pt.tag_id
          WHERE t.active
          ORDER BY pt.post_id, t.name) s
    GROUP BY s.post_id
), a AS (
    SELECT x.id, to_json(x) AS author
    FROM (SELECT a.id, a.name, a.country_id, to_json(co) AS country
          FROM blog_author a LEFT JOIN blog_country co ON co.id = a.country_id) x
)
SELECT to_json(x)
FROM (SELECT p.id, p.title, p.body, p.author_id, p.published, a.author,
             coalesce(c.comments, '[]') AS comments,
             coalesce(t.active_tags, '[]') AS active_tags
      FROM blog_post p
      LEFT JOIN a ON a.id = p.author_id
      LEFT JOIN c ON c.post_id = p.id
      LEFT JOIN t ON t.post_id = p.id) x
EOF

# A3: PostgREST's shape (GET /blog_post?select=*,author(*,country(*)),
# comments:blog_comment(*)&comments.order=id,active_tags:blog_tag(*)&...):
# one correlated scalar subquery per relationship per row, each related set
# ordered in its own subquery and aggregated with json_agg.
pgrst_select=$(cat <<'EOF'
SELECT to_json(x)
FROM (SELECT p.*,
             (SELECT to_json(a_1)
              FROM (SELECT a.*,
                           (SELECT to_json(co) FROM blog_country co
                            WHERE co.id = a.country_id) AS country
                    FROM blog_author a
                    WHERE a.id = p.author_id) a_1) AS author,
             coalesce((SELECT json_agg(c_1)
                       FROM (SELECT c.* FROM blog_comment c
                             WHERE c.post_id = p.id
                             ORDER BY c.id) c_1), '[]') AS comments,
             coalesce((SELECT json_agg(t_1)
                       FROM (SELECT t.* FROM blog_tag t
                             JOIN blog_post_tags pt ON pt.tag_id = t.id
                             WHERE pt.post_id = p.id AND t.active
                             ORDER BY t.name) t_1), '[]') AS active_tags
EOF
)
printf '%s\n%s\n' "$pgrst_select" '      FROM blog_post p) x' >"$work/sql/A-pgrst.sql"

# B1: relprefetch, one page.
cat >"$work/sql/B-rp.sql" <<'EOF'
SELECT relprefetch.fetch_json('blog_post', '{
    "where": "author_id = 7", "order_by": "published DESC, id DESC", "limit": 20,
    "include": {
        "author": {"include": ["country"]},
        "active_tags": {"path": "tags", "where": "active", "order_by": "name"},
        "comments": {"path": "blog_comment", "order_by": "id"}}}')
EOF

# B2: hand-written, the same shape restricted to the page's keys: the page
# once (MATERIALIZED), its children through the indexes, grouped per post;
# the one author per post joined directly (faster here than a CTE).
cat >"$work/sql/B-hand.sql" <<'EOF'
WITH p AS MATERIALIZED (
    SELECT * FROM blog_post
    WHERE author_id = 7
    ORDER BY published DESC, id DESC
    LIMIT 20
), c AS (
    SELECT c.post_id, json_agg(c) AS comments
    FROM (SELECT * FROM blog_comment
          WHERE post_id IN (SELECT id FROM p)
          ORDER BY post_id, id) c
    GROUP BY c.post_id
), t AS (
    SELECT s.post_id, json_agg(s.t) AS active_tags
    FROM (SELECT pt.post_id, t
          FROM blog_post_tags pt JOIN blog_tag t ON t.id = pt.tag_id
          WHERE pt.post_id IN (SELECT id FROM p) AND t.active
          ORDER BY pt.post_id, t.name) s
    GROUP BY s.post_id
)
SELECT to_json(x)
FROM (SELECT p.id, p.title, p.body, p.author_id, p.published,
             (SELECT to_json(y) FROM (SELECT a.id, a.name, a.country_id,
                                             to_json(co) AS country) y) AS author,
             coalesce(c.comments, '[]') AS comments,
             coalesce(t.active_tags, '[]') AS active_tags
      FROM p
      LEFT JOIN blog_author a ON a.id = p.author_id
      LEFT JOIN blog_country co ON co.id = a.country_id
      LEFT JOIN c ON c.post_id = p.id
      LEFT JOIN t ON t.post_id = p.id
      ORDER BY p.published DESC, p.id DESC) x
EOF

# B3: PostgREST's shape for the page.
{
	printf '%s\n' "$pgrst_select"
	cat <<'EOF'
      FROM blog_post p
      WHERE p.author_id = 7
      ORDER BY p.published DESC, p.id DESC
      LIMIT 20) x
EOF
} >"$work/sql/B-pgrst.sql"

workloads=(A B)
contenders=(rp hand pgrst)
declare -A wl_title=(
	[A]="A. whole graph ($n_posts posts)"
	[B]="B. page (author 7's newest, LIMIT 20: $n_page posts)"
)
declare -A ct_title=(
	[rp]="relprefetch.fetch_json"
	[hand]="hand-written (children grouped in CTEs, joined)"
	[pgrst]="PostgREST shape (correlated subqueries)"
)

# ---------------------------------------------------------------------------
# Verification: the three return the same objects. Each row is compared as
# jsonb (values) and as its text with all whitespace removed (the keys'
# order, and every value's rendering); for the page, with its position too.
# Strings that differ only in whitespace would pass the second test but not
# the first.
sq() { sed 's/^/    /' "$work/sql/$1.sql"; }
for w in "${workloads[@]}"; do
	rp_say "checking that the contenders of workload $w return the same JSON"
	key="jb, jt"
	[ "$w" = B ] && key="n, jb, jt"
	{
		printf 'WITH '
		sep=
		for c in "${contenders[@]}"; do
			printf '%s%s AS MATERIALIZED (\n  SELECT row_number() OVER () AS n, j::jsonb AS jb,\n' "$sep" "$c"
			printf "         regexp_replace(j::text, '\\\\s', '', 'g') AS jt\n  FROM (\n"
			sq "$w-$c"
			printf '  ) q(j))'
			sep=$',\n'
		done
		printf '\nSELECT (SELECT count(*) FROM rp), (SELECT count(*) FROM hand), (SELECT count(*) FROM pgrst)'
		for c in hand pgrst; do
			printf ',\n  (SELECT count(*) FROM (SELECT %s FROM rp EXCEPT ALL SELECT %s FROM %s) d)' "$key" "$key" "$c"
			printf ',\n  (SELECT count(*) FROM (SELECT %s FROM %s EXCEPT ALL SELECT %s FROM rp) d)' "$key" "$c" "$key"
		done
		printf ",\n  (SELECT sum(jsonb_array_length(jb -> 'comments')) FROM rp)"
		printf ",\n  (SELECT sum(jsonb_array_length(jb -> 'active_tags')) FROM rp)"
		printf ';\n'
	} >"$work/verify-$w.sql"
	res=$(psql -d bench -At -F ' ' -f "$work/verify-$w.sql") ||
		rp_die "the verification query of workload $w failed; see $work/verify-$w.sql"
	read -r n_rp n_hand n_pgrst only_rp_h only_h only_rp_g only_g n_c n_t <<<"$res"
	rp_say "  rows: relprefetch $n_rp, hand-written $n_hand, PostgREST shape $n_pgrst; relprefetch's objects hold $n_c comments and $n_t tags"
	if [ "$only_rp_h$only_h$only_rp_g$only_g" != 0000 ] ||
		[ "$n_rp" != "$n_hand" ] || [ "$n_rp" != "$n_pgrst" ]; then
		rp_die "workload $w: the contenders disagree: $only_rp_h rows only in relprefetch and $only_h only in hand-written; $only_rp_g only in relprefetch and $only_g only in the PostgREST shape (query: $work/verify-$w.sql)"
	fi
	case $w in
	A) expect="$n_posts $n_comments $n_active_links" ;;
	B) expect="$n_page $((5 * n_page))" ;;
	esac
	got="$n_rp $n_c"
	[ "$w" = A ] && got="$got $n_t"
	[ "$got" = "$expect" ] ||
		rp_die "workload $w: expected rows/comments/tags '$expect', got '$got'"
done

# ---------------------------------------------------------------------------
# Timing, all in one session: one warm-up execution of each contender, then
# rounds; in round r the contenders start at the (r mod 3)-th one.
explain_of() {
	printf '\\echo @@ %s %s %s\n' "$1" "$2" "$3"
	printf 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)\n'
	cat "$work/sql/$1-$2.sql"
	printf ';\n'
}
{
	for w in "${workloads[@]}"; do
		for c in "${contenders[@]}"; do
			explain_of "$w" "$c" 0
		done
	done
	for r in $(seq 1 "$runs"); do
		for w in "${workloads[@]}"; do
			for i in 0 1 2; do
				explain_of "$w" "${contenders[$(((r - 1 + i) % 3))]}" "$r"
			done
		done
	done
} >"$work/timing.sql"
rp_say "timing: 1 warm-up + $runs rounds of each contender, in one session"
psql -d bench -At -f "$work/timing.sql" >"$work/timing.out" 2>&1 ||
	rp_die "the timing session failed; see $work/timing.out"
# "W C R planning_ms execution_ms" per execution; round 0 is the warm-up.
awk '
	/^@@ / { w = $2; c = $3; r = $4; p = ""; next }
	/^Planning Time:/ { p = $3; next }
	/^Execution Time:/ { print w, c, r, p, $3 }
' "$work/timing.out" >"$work/timings.txt"
expected=$((3 * ${#workloads[@]} * (runs + 1)))
[ "$(wc -l <"$work/timings.txt")" -eq "$expected" ] ||
	rp_die "expected $expected timings in $work/timing.out, found $(wc -l <"$work/timings.txt")"

# stats: "min median max" of the numbers on stdin.
stats() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) exit 1
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print v[1], m, v[NR]
		}'
}
# col W C FIELD: one field (4 planning, 5 execution) of the measured rounds.
col() { awk -v w="$1" -v c="$2" -v f="$3" '$1 == w && $2 == c && $3 > 0 { print $f }' "$work/timings.txt"; }
# ratios W C: C's execution time over relprefetch's, round by round.
ratios() {
	awk -v w="$1" -v c="$2" '
		$1 == w && $3 > 0 && $2 == "rp" { rp[$3] = $5 }
		$1 == w && $3 > 0 && $2 == c { x[$3] = $5 }
		END { for (r in x) if (rp[r] > 0) print x[r] / rp[r] }
	' "$work/timings.txt"
}
fmt() { awk -v x="$1" 'BEGIN { printf((x < 10) ? "%.3f" : "%.1f", x) }'; }

declare -A med_ratio
table=$(
	printf '| workload | contender | execution ms: min | median | max | planning ms (median) | vs relprefetch: median of per-round ratios (min..max) |\n'
	printf '|---|---|---:|---:|---:|---:|---|\n'
	for w in "${workloads[@]}"; do
		for c in "${contenders[@]}"; do
			read -r lo mid hi <<<"$(col "$w" "$c" 5 | stats)"
			read -r _ pmid _ <<<"$(col "$w" "$c" 4 | stats)"
			if [ "$c" = rp ]; then
				vs=1
			else
				read -r rlo rmid rhi <<<"$(ratios "$w" "$c" | stats)"
				vs=$(printf '**%.2fx** (%.2f..%.2f)' "$rmid" "$rlo" "$rhi")
			fi
			printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${wl_title[$w]}" \
				"${ct_title[$c]}" "$(fmt "$lo")" "$(fmt "$mid")" "$(fmt "$hi")" \
				"$(fmt "$pmid")" "$vs"
		done
	done
)
for w in "${workloads[@]}"; do
	for c in hand pgrst; do
		read -r _ "med_ratio[$w.$c]" _ <<<"$(ratios "$w" "$c" | stats)"
	done
done

# target TEXT RATIO MIN: one line of the verdict.
target() {
	if awk -v r="$2" -v m="$3" 'BEGIN { exit !(r >= m) }'; then
		printf -- '- %s: %.2fx - holds\n' "$1" "$2"
	else
		printf -- '- %s: %.2fx - MISSED\n' "$1" "$2"
	fi
}
verdict=$(
	target "whole graph, relprefetch at least 3x faster than hand-written" "${med_ratio[A.hand]}" 3
	target "whole graph, relprefetch at least 7x faster than the PostgREST shape" "${med_ratio[A.pgrst]}" 7
	target "page, relprefetch no slower than hand-written (hand-written / relprefetch at least 1)" "${med_ratio[B.hand]}" 1
)

raw=$(
	printf '| round | workload |'
	for c in "${contenders[@]}"; do printf ' %s |' "${ct_title[$c]}"; done
	printf '\n|---:|---|---:|---:|---:|\n'
	awk '$3 > 0 { t[$3, $1, $2] = $5; if ($3 > n) n = $3 }
		END {
			split("A B", ws, " "); split("rp hand pgrst", cs, " ")
			for (r = 1; r <= n; r++)
				for (i = 1; i <= 2; i++)
					printf "| %d | %s | %s | %s | %s |\n", r, ws[i],
						t[r, ws[i], cs[1]], t[r, ws[i], cs[2]], t[r, ws[i], cs[3]]
		}' "$work/timings.txt"
)
warm=$(awk '$3 == 0 { printf "%s%s/%s %s ms", sep, $1, $2, $5; sep = ", " }' "$work/timings.txt")

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
machine=$(
	printf -- '- CPU: %s (%s logical CPUs)\n' "${cpu:-unknown}" "$(nproc)"
	printf -- '- memory: %s\n' "${mem:-unknown}"
	printf -- '- kernel: %s\n' "$(uname -srm)"
	printf -- '- PostgreSQL: %s\n' "$(psql -d bench -At -c 'SELECT version()')"
	printf -- '- relprefetch.so: %s (sha256 %s)\n' "$libdir/relprefetch.so" \
		"$(sha256sum "$libdir/relprefetch.so" | cut -c1-16)"
	printf -- '- settings: defaults (shared_buffers %s, work_mem %s) except jit = off, autovacuum = off, fsync = off\n' \
		"$(psql -d bench -At -c 'SHOW shared_buffers')" "$(psql -d bench -At -c 'SHOW work_mem')"
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

Generated by \`bash bench/fetch.sh --scale $scale --runs $runs\` on $(date -u '+%Y-%m-%d %H:%M UTC').

Data: \`demo/blog.sql\` at scale $scale: $n_posts posts, $n_authors authors,
50 countries, 200 tags (every 5th inactive), $n_links post-tag links
($n_active_links to active tags), $n_comments comments; then VACUUM ANALYZE.

Each contender returns one JSON object per post: the post's columns, its
\`author\` (with the author's \`country\`), its \`comments\` in id order and its
\`active_tags\` in name order, with the same keys in the same order. Before
timing, the script checks that the three return the same objects (compared
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

## Targets

$verdict

## Every round (execution ms)

$raw

## The SQL
$sql_section
EOF

printf '\n%s\n\n%s\n\nReport: %s\n' "$table" "$verdict" "$out"
