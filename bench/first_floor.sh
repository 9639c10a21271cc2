#!/usr/bin/env bash
# How much of a new session's first call is a floor that any statement over
# the blog tables pays (catalog caches, relcache entries, the backend's first
# touch of memory), and how much is the whole graph's own. Statements (F-*
# limited to post 1): one = SELECT 1; join = one post's rows joined from the
# six tables; scan = every row of the six tables read; rp, hand, lat = the
# whole graph's statements of bench/lib.sh (fetch_json, hand-written,
# LATERAL) limited to post 1; A-* the same unlimited.
#
# Usage: bash bench/first_floor.sh [--scales LIST] [--rounds N] [--no-callgrind]
#   --scales LIST   posts per scale, comma-separated (default 1000,10000)
#   --rounds N      new sessions per statement and scale (default 7)
#   --no-callgrind  skip the instruction counts
#
# Timing (bench_first_rounds in bench/lib.sh): per round each statement in
# a new session of its own, three calls, the order rotating from round to
# round; "F:join>A:rp" and "F:scan>A:rp" run F-join or F-scan first,
# untimed, so that the catalogs (and with scan the tables' pages) are
# already touched. Prints the median first call (min..max) and the median
# third call per statement, statement time at psql (ms).
# Instructions (at the first scale): a single-user backend under callgrind,
# the whole process counted, fed `SELECT 1` then the statement once or
# twice (under EXPLAIN ANALYZE, which runs it without printing its rows),
# less a run fed `SELECT 1` alone. The callgrind files stay in
# tmp/first_floor (callgrind_annotate --inclusive=yes FILE).
set -euo pipefail

# shellcheck source=bench/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

scales=1000,10000
rounds=7
callgrind=1
while [ $# -gt 0 ]; do
	case $1 in
	--scales | --rounds)
		[ $# -ge 2 ] || rp_die "$1 needs a value"
		if [ "$1" = --scales ]; then scales=$2; else rounds=$2; fi
		shift
		;;
	--no-callgrind) callgrind=0 ;;
	-h | --help)
		rp_help "$0"
		exit 0
		;;
	*) rp_die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done
bench_uint --rounds "$rounds" 1
IFS=, read -r -a scale_list <<<"$scales"
for s in "${scale_list[@]}"; do
	bench_uint "a scale of --scales" "$s" 70
done
if [ "$callgrind" -eq 1 ]; then
	command -v valgrind >/dev/null ||
		rp_die "valgrind not found (run: bash scripts/setup.sh --with-valgrind)"
fi

bindir=$(rp_bindir)
bench_workdir first_floor keep
work=$BENCH_WORK
data=$BENCH_DATA
sockdir=$BENCH_SOCKDIR
sqldir=$work/sql

bench_fetch_sql "$sqldir"
# F: the same statements limited to post 1, and a join of its rows.
sed 's/^SELECT relprefetch.fetch_json(.blog_post., .{/&"where": "id = 1", /' \
	"$sqldir/A-rp.sql" >"$sqldir/F-rp.sql"
sed 's/^      LEFT JOIN t ON t.post_id = p.id) x$/      LEFT JOIN t ON t.post_id = p.id\n      WHERE p.id = 1) x/' \
	"$sqldir/A-hand.sql" >"$sqldir/F-hand.sql"
sed 's/^     ) x$/      WHERE p.id = 1) x/' "$sqldir/A-lat.sql" >"$sqldir/F-lat.sql"
cat >"$sqldir/F-join.sql" <<'EOF'
SELECT p.id, a.id, co.id, t.id, c.id
FROM blog_post p
JOIN blog_author a ON a.id = p.author_id
LEFT JOIN blog_country co ON co.id = a.country_id
LEFT JOIN blog_post_tags pt ON pt.post_id = p.id
LEFT JOIN blog_tag t ON t.id = pt.tag_id AND t.active
LEFT JOIN blog_comment c ON c.post_id = p.id
WHERE p.id = 1
EOF
cat >"$sqldir/F-scan.sql" <<'EOF'
SELECT (SELECT sum(length(p::text)) FROM blog_post p),
       (SELECT sum(length(c::text)) FROM blog_comment c),
       (SELECT sum(length(pt::text)) FROM blog_post_tags pt),
       (SELECT sum(length(a::text)) FROM blog_author a),
       (SELECT sum(length(t::text)) FROM blog_tag t),
       (SELECT sum(length(co::text)) FROM blog_country co)
EOF
echo 'SELECT 1' >"$sqldir/F-one.sql"
for f in F-rp F-hand F-lat; do
	grep -q 'id = 1' "$sqldir/$f.sql" || rp_die "could not limit $f.sql to one post"
done

bench_initdb "$work" "$data" "$sockdir" bench/first_floor.sh
echo 'shared_buffers = 512MB' >>"$data/postgresql.conf"
bench_start "$work" "$data" "$sockdir"
for s in "${scale_list[@]}"; do
	bench_load_blog "$work" "s$s" "$s"
done

specs=(F:one F:join F:scan F:rp F:hand F:lat A:rp A:hand A:lat
	"F:join>A:rp" "F:join>A:hand" "F:scan>A:rp" "F:scan>A:hand")
for s in "${scale_list[@]}"; do
	rp_say "first calls at $s posts, $rounds rounds"
	bench_first_rounds "$sqldir" "s$s" "$rounds" "$work/first-$s.txt" "${specs[@]}"
	for spec in "${specs[@]}"; do
		first=$(awk -v p="$spec" '$8 == p && $4 == 1 { print $7 }' \
			"$work/first-$s.txt" | bench_stats)
		third=$(awk -v p="$spec" '$8 == p && $4 == 3 { print $7 }' \
			"$work/first-$s.txt" | bench_stats)
		read -r lo med hi <<<"$first"
		printf '%s posts  %-14s first call %s ms (%s..%s)  third %s ms\n' \
			"$s" "$spec" "$(bench_fmt "$med")" "$(bench_fmt "$lo")" \
			"$(bench_fmt "$hi")" "$(bench_fmt "$(echo "$third" | cut -d' ' -f2)")"
	done
done
rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" stop -m fast -w >/dev/null
[ "$callgrind" -eq 1 ] || exit 0

# run TAG FILE COUNT: instructions of a single-user backend fed SELECT 1
# and FILE's statement COUNT times (COUNT 0: SELECT 1 alone).
db=s${scale_list[0]}
run() {
	local tag=$1 file=$2 count=$3 i
	{
		echo 'SELECT 1;'
		for i in $(seq 1 "$count"); do
			printf 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) '
			tr '\n' ' ' <"$file"
			printf ';\n'
		done
	} >"$work/$tag.sql"
	rp_give_to_pg "$work/$tag.sql"
	rp_as_pg "$work" valgrind --tool=callgrind \
		--callgrind-out-file="$work/$tag.callgrind" \
		"$bindir/postgres" --single -D "$data" -c jit=off "$db" \
		<"$work/$tag.sql" >/dev/null 2>"$work/$tag.stderr" ||
		rp_die "backend $tag failed; see $work/$tag.stderr"
	if grep -Eq '(ERROR|FATAL|PANIC):' "$work/$tag.stderr"; then
		rp_die "backend $tag reported an error; see $work/$tag.stderr"
	fi
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/$tag.stderr"
}

base=$(run base "$sqldir/F-one.sql" 0)
for wc in F:join F:rp F:hand A:rp A:hand; do
	w=${wc%%:*} c=${wc#*:}
	one=$(run "$w-$c-1" "$sqldir/$w-$c.sql" 1)
	two=$(run "$w-$c-2" "$sqldir/$w-$c.sql" 2)
	printf '%s posts  %s-%-5s  first call %d instructions, second %d\n' \
		"${scale_list[0]}" "$w" "$c" $((one - base)) $((two - one))
done
