# shellcheck shell=bash
# Helpers shared by the bench/*.sh scripts. Source it; it does
# nothing on its own. It sources scripts/lib.sh (rp_* helpers).
#
# After bench_start, bench_psql talks to the cluster through its socket as
# postgres; BENCH_PORT is its TCP port on 127.0.0.1.

# shellcheck source=scripts/lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# bench_uint NAME VALUE MIN: die unless VALUE is an integer >= MIN.
bench_uint() {
	case $2 in
	'' | *[!0-9]*) rp_die "$1 wants a positive integer, not '$2'" ;;
	esac
	[ "$2" -ge "$3" ] || rp_die "$1 must be at least $3"
}

# bench_abspath PATH: PATH made absolute (relative to the caller's cwd).
bench_abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

# bench_workdir NAME [keep]: the folders of a benchmark's throwaway
# cluster, and the trap that cleans them up. Sets BENCH_WORK (rp_workdir
# NAME: tmp/NAME, or a /tmp fallback), BENCH_DATA (BENCH_WORK/data, for
# bench_initdb) and BENCH_SOCKDIR (rp_sockdir BENCH_WORK). On exit (INT and
# TERM exit with 130 and 143) bench_cleanup stops the server, showing the
# end of its log if the script failed, and any other cluster left under
# BENCH_WORK, and removes BENCH_DATA and a /tmp socket folder; the rest of
# BENCH_WORK (SQL, logs, raw figures) stays, but a /tmp fallback is removed
# too, unless the second argument is "keep".
bench_workdir() {
	rp_workdir "$1"
	BENCH_WORK=$RP_WORK
	BENCH_WORK_TEMP=$RP_WORK_TEMP
	if [ "${2:-}" = keep ]; then
		BENCH_WORK_TEMP=0
	fi
	BENCH_DATA=$BENCH_WORK/data
	rp_sockdir "$BENCH_WORK"
	BENCH_SOCKDIR=$RP_SOCKDIR
	BENCH_SOCKDIR_TEMP=$RP_SOCKDIR_TEMP
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# bench_cleanup: bench_workdir's EXIT trap; must never fail.
bench_cleanup() {
	local rc=$?
	rp_stop_server "$rc" "$BENCH_WORK" "$BENCH_DATA" benchmark
	rp_stop_clusters "$BENCH_WORK"
	rm -rf "$BENCH_DATA"
	if [ "$BENCH_WORK_TEMP" -eq 1 ]; then
		rm -rf "$BENCH_WORK"
	fi
	if [ "$BENCH_SOCKDIR_TEMP" -eq 1 ]; then
		rm -rf "$BENCH_SOCKDIR"
	fi
}

# bench_initdb WORK DATA SOCKDIR TAG: a throwaway cluster for a benchmark.
# Trust is limited to the socket, which only the cluster owner (and root)
# may use; TCP on 127.0.0.1 needs a password (none is set here). jit = off:
# on the blog data only the PostgREST shape's cost estimate crosses
# jit_above_cost, and compiling would only add to its time. The data does
# not change after VACUUM ANALYZE, so autovacuum has nothing to do but could
# wake up during a round. TAG (the calling script) names the settings block;
# callers append their own settings after it.
bench_initdb() {
	local work=$1 data=$2 sockdir=$3 tag=$4 bindir
	bindir=$(rp_bindir)
	rp_as_pg "$work" "$bindir/initdb" -D "$data" -U postgres --auth-local=trust \
		--auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync \
		--no-instructions >"$work/initdb.log" 2>&1 ||
		rp_die "initdb failed; see $work/initdb.log"
	cat >>"$data/postgresql.conf" <<EOF

# added by $tag
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
unix_socket_permissions = 0700
shared_preload_libraries = 'relprefetch'
lc_messages = 'C'
fsync = off
jit = off
autovacuum = off
EOF
}

# bench_start WORK DATA SOCKDIR: start the cluster of DATA, logging to
# WORK/server.log, on a free port: one nothing answers on, retried if the
# server still cannot bind it (another program may take it between the
# check and the start). Sets BENCH_PORT and BENCH_SOCKDIR. pg_ctl restart
# keeps the port (postmaster.opts).
bench_start() {
	local work=$1 data=$2 candidate bindir
	BENCH_SOCKDIR=$3
	BENCH_PORT=
	bindir=$(rp_bindir)
	for _ in $(seq 1 20); do
		candidate=$((20000 + RANDOM % 40000))
		if (: <"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
			continue
		fi
		: >"$work/server.log"
		rp_give_to_pg "$work/server.log"
		if rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" -l "$work/server.log" \
			-o "-p $candidate" -w start >/dev/null 2>&1; then
			BENCH_PORT=$candidate
			break
		fi
		grep -q 'could not bind\|could not create any TCP/IP sockets' "$work/server.log" ||
			rp_die "the server did not start; see $work/server.log"
	done
	[ -n "$BENCH_PORT" ] || rp_die "found no free port for the server; see $work/server.log"
	rp_say "server on port $BENCH_PORT (socket in $BENCH_SOCKDIR)"
}

# bench_psql ARGS...: psql as postgres through the socket. Clients may run
# as anyone.
bench_psql() {
	"$(rp_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_SOCKDIR" \
		-p "$BENCH_PORT" -U postgres "$@"
}

# bench_load_blog WORK DB SCALE: create DB with the extension and the demo
# blog schema at SCALE posts, vacuumed and analyzed.
bench_load_blog() {
	local work=$1 db=$2 scale=$3
	bench_psql -d postgres -c "CREATE DATABASE $db"
	bench_psql -d "$db" -c 'CREATE EXTENSION relprefetch'
	rp_say "loading demo/blog.sql at scale $scale into $db"
	bench_psql -d "$db" -v scale="$scale" -f "$RP_ROOT/demo/blog.sql" \
		>"$work/load-$db.log" 2>&1 ||
		rp_die "loading demo/blog.sql failed; see $work/load-$db.log"
	bench_psql -d "$db" -c 'VACUUM ANALYZE'
}

# bench_blog_counts DB: "posts authors comments links active_links page"
# (page: the posts of the page workload, author 7's newest, at most 20).
bench_blog_counts() {
	bench_psql -d "$1" -At -F ' ' -c "
SELECT (SELECT count(*) FROM blog_post), (SELECT count(*) FROM blog_author),
       (SELECT count(*) FROM blog_comment), (SELECT count(*) FROM blog_post_tags),
       (SELECT count(*) FROM blog_post_tags pt JOIN blog_tag t ON t.id = pt.tag_id WHERE t.active),
       (SELECT least(count(*), 20) FROM blog_post WHERE author_id = 7)" ||
		rp_die "counting the rows loaded failed"
}

# ---------------------------------------------------------------------------
# The fetch workloads on the blog schema:
#   A  the whole graph: every post with its author and the author's country,
#      its active tags in name order and its comments in id order
#   B  a page: the 20 newest posts of author 7, with the same includes
#
# bench_fetch_sql DIR writes every statement of every contender into DIR:
#   W-rp.sql, W-hand.sql, W-pgrst.sql, W-lat.sql
#                                       one json column, one row per post
#   W-fc.1-comments.sql, W-fc.2-tags.sql, W-fc.3-authors.sql
#                                       the fetch_children strategy
#   W-posts.sql                         the posts alone (N+1 and prefetch)
#   pf-*.sql                            prefetch: one query per relation,
#                                       keys in an array ($1)
#   n1-*.sql                            N+1: one query per post (or author)
# bench/client.c reads them by these names and relies on their columns.
bench_fetch_sql() {
	local dir=$1 pgrst_select
	mkdir -p "$dir"

	# A1: relprefetch.
	cat >"$dir/A-rp.sql" <<'EOF'
SELECT relprefetch.fetch_json('blog_post', '{"include": {
    "author": {"include": ["country"]},
    "active_tags": {"path": "tags", "where": "active", "order_by": "name"},
    "comments": {"path": "blog_comment", "order_by": "id"}}}')
EOF

	# A2: hand-written. Each child table is aggregated once, grouped by the
	# parent's key, and hash-joined to the parents. The fastest variant
	# tried: json_agg over input sorted in a subquery (one sort for all
	# groups; PG 15 sorts each group on its own for json_agg(... ORDER BY
	# ...)), and to_json of a row (cheaper than json_build_object, same keys
	# in the same order). Authors are rendered once each (1 per 10 posts),
	# not once per post.
	cat >"$dir/A-hand.sql" <<'EOF'
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
	# one correlated scalar subquery per relationship per row, each related
	# set ordered in its own subquery and aggregated with json_agg.
	pgrst_select=$(
		cat <<'EOF'
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
	printf '%s\n%s\n' "$pgrst_select" '      FROM blog_post p) x' >"$dir/A-pgrst.sql"

	# A4: the LEFT JOIN LATERAL + json_agg shape that Prisma's relationJoins
	# and Hasura generate: one lateral subquery per relationship per row,
	# each related set ordered in its own subquery and aggregated there,
	# nested for the author's country. (Prisma aggregates jsonb; json here,
	# so that the keys come out in the same order as the others'.)
	local lateral_from
	lateral_from=$(
		cat <<'EOF2'
SELECT to_json(x)
FROM (SELECT p.id, p.title, p.body, p.author_id, p.published,
             a_1.author, coalesce(c_1.comments, '[]') AS comments,
             coalesce(t_1.active_tags, '[]') AS active_tags
      FROM blog_post p
      LEFT JOIN LATERAL (
          SELECT to_json(y) AS author
          FROM (SELECT a.id, a.name, a.country_id, co_1.country
                FROM blog_author a
                LEFT JOIN LATERAL (SELECT to_json(co) AS country
                                   FROM blog_country co
                                   WHERE co.id = a.country_id) co_1 ON true
                WHERE a.id = p.author_id) y) a_1 ON true
      LEFT JOIN LATERAL (
          SELECT json_agg(c) AS comments
          FROM (SELECT c.* FROM blog_comment c
                WHERE c.post_id = p.id ORDER BY c.id) c) c_1 ON true
      LEFT JOIN LATERAL (
          SELECT json_agg(t) AS active_tags
          FROM (SELECT t.* FROM blog_tag t
                JOIN blog_post_tags pt ON pt.tag_id = t.id
                WHERE pt.post_id = p.id AND t.active
                ORDER BY t.name) t) t_1 ON true
EOF2
	)
	printf '%s\n%s\n' "$lateral_from" '     ) x' >"$dir/A-lat.sql"
	{
		printf '%s\n' "$lateral_from"
		cat <<'EOF2'
      WHERE p.author_id = 7
      ORDER BY p.published DESC, p.id DESC
      LIMIT 20) x
EOF2
	} >"$dir/B-lat.sql"

	# B1: relprefetch, one page.
	cat >"$dir/B-rp.sql" <<'EOF'
SELECT relprefetch.fetch_json('blog_post', '{
    "where": "author_id = 7", "order_by": "published DESC, id DESC", "limit": 20,
    "include": {
        "author": {"include": ["country"]},
        "active_tags": {"path": "tags", "where": "active", "order_by": "name"},
        "comments": {"path": "blog_comment", "order_by": "id"}}}')
EOF

	# B2: hand-written, the same shape restricted to the page's keys: the
	# page once (MATERIALIZED), its children through the indexes, grouped
	# per post; the one author per post joined directly (faster here than a
	# CTE).
	cat >"$dir/B-hand.sql" <<'EOF'
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
	} >"$dir/B-pgrst.sql"

	# fetch_children gives one relation per call, and only to-many ones
	# (a reverse foreign key, or many-to-many): one call for the comments
	# (the post's columns come with it), one for the active tags. The
	# to-one relations (author, the author's country) are not what it does:
	# one plain join fetches the authors of those posts with their
	# countries. The client merges the three by key. fetch_children has no
	# parent order or limit: the page's posts are chosen by a subquery in
	# parent_where and the client sorts them.
	local w pw
	for w in A B; do
		pw=
		if [ "$w" = B ]; then
			pw="parent_where => 'id IN (SELECT id FROM blog_post WHERE author_id = 7 ORDER BY published DESC, id DESC LIMIT 20)',
                                "
		fi
		cat >"$dir/$w-fc.1-comments.sql" <<EOF
SELECT (t.parent).id, (t.parent).title, (t.parent).body, (t.parent).author_id,
       (t.parent).published, t.children
FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[],
                                ${pw}child_order_by => 'id') t
EOF
		cat >"$dir/$w-fc.2-tags.sql" <<EOF
SELECT (t.parent).id, t.children
FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_tag[],
                                ${pw}child_where => 'active', child_order_by => 'name') t
EOF
	done
	cat >"$dir/A-fc.3-authors.sql" <<'EOF'
SELECT a.id, a.name, a.country_id, co.id, co.name, co.code
FROM blog_author a LEFT JOIN blog_country co ON co.id = a.country_id
WHERE a.id IN (SELECT author_id FROM blog_post)
EOF
	cat >"$dir/B-fc.3-authors.sql" <<'EOF'
SELECT a.id, a.name, a.country_id, co.id, co.name, co.code
FROM blog_author a LEFT JOIN blog_country co ON co.id = a.country_id
WHERE a.id IN (SELECT author_id FROM blog_post WHERE author_id = 7
               ORDER BY published DESC, id DESC LIMIT 20)
EOF

	# The posts alone, for the clients that fetch each relation themselves.
	cat >"$dir/A-posts.sql" <<'EOF'
SELECT id, title, body, author_id, published FROM blog_post
EOF
	cat >"$dir/B-posts.sql" <<'EOF'
SELECT id, title, body, author_id, published FROM blog_post
WHERE author_id = 7 ORDER BY published DESC, id DESC LIMIT 20
EOF

	# prefetch: what Django's prefetch_related("author__country",
	# Prefetch("tags", Tag.objects.filter(active=True).order_by("name")),
	# Prefetch("blog_comment_set", Comment.objects.order_by("id"))) sends
	# after the posts: one query per relation with the keys gathered from
	# the rows before (Django writes IN (...) with one literal per key; an
	# array parameter is the same filter in one bind).
	cat >"$dir/pf-authors.sql" <<'EOF'
SELECT id, name, country_id FROM blog_author WHERE id = ANY ($1::bigint[])
EOF
	cat >"$dir/pf-countries.sql" <<'EOF'
SELECT id, name, code FROM blog_country WHERE id = ANY ($1::bigint[])
EOF
	cat >"$dir/pf-tags.sql" <<'EOF'
SELECT pt.post_id, t.id, t.name, t.active
FROM blog_tag t JOIN blog_post_tags pt ON pt.tag_id = t.id
WHERE t.active AND pt.post_id = ANY ($1::bigint[])
ORDER BY t.name
EOF
	cat >"$dir/pf-comments.sql" <<'EOF'
SELECT id, post_id, parent_id, author_name, body, created
FROM blog_comment WHERE post_id = ANY ($1::bigint[])
ORDER BY id
EOF

	# n_plus_1: what an ORM's lazy loading sends per post, each a prepared
	# statement executed on its own (autocommit): post.author,
	# post.author.country (each post gets its own author object, as in
	# Django, so the country is looked up once per post whose author has
	# one), post.tags.filter(active=True).order_by("name"),
	# post.blog_comment_set.order_by("id").
	cat >"$dir/n1-author.sql" <<'EOF'
SELECT id, name, country_id FROM blog_author WHERE id = $1
EOF
	cat >"$dir/n1-country.sql" <<'EOF'
SELECT id, name, code FROM blog_country WHERE id = $1
EOF
	cat >"$dir/n1-tags.sql" <<'EOF'
SELECT t.id, t.name, t.active
FROM blog_tag t JOIN blog_post_tags pt ON pt.tag_id = t.id
WHERE pt.post_id = $1 AND t.active
ORDER BY t.name
EOF
	cat >"$dir/n1-comments.sql" <<'EOF'
SELECT id, post_id, parent_id, author_name, body, created
FROM blog_comment WHERE post_id = $1
ORDER BY id
EOF
}

# bench_fetch_verify SQLDIR WORK W DB EXPECT: check that the four
# single-statement contenders of workload W (rp, hand, pgrst, lat) return the
# same objects in DB, dying when they do not. Each row is compared as jsonb
# (values) and as its text with all whitespace removed (the keys' order,
# and every value's rendering); for the page, with its position too.
# Strings that differ only in whitespace would pass the second test but not
# the first. Rows are compared by the md5 of each form, so that the sets
# compared stay small at any scale (a million posts' objects, compared
# whole, took more memory than the machine had, and the kernel killed the
# server). EXPECT is "rows comments" for B, "rows comments tags" for A,
# checked against relprefetch's objects.
bench_fetch_verify() {
	local sqldir=$1 work=$2 w=$3 db=$4 expect=$5 key="jb, jt" sep c res got
	local n_rp n_hand n_pgrst n_lat only_rp_h only_h only_rp_g only_g only_rp_l only_l n_c n_t
	[ "$w" = B ] && key="n, jb, jt"
	{
		printf 'WITH '
		sep=
		for c in rp hand pgrst lat; do
			printf '%s%s AS MATERIALIZED (\n  SELECT row_number() OVER () AS n, md5(b::text) AS jb,\n' "$sep" "$c"
			printf "         md5(regexp_replace(j::text, '\\\\s', '', 'g')) AS jt,\n"
			printf "         jsonb_array_length(b -> 'comments') AS nc,\n"
			printf "         jsonb_array_length(b -> 'active_tags') AS nt\n"
			printf '  FROM (SELECT j, j::jsonb AS b FROM (\n'
			sed 's/^/    /' "$sqldir/$w-$c.sql"
			printf '  ) q(j) OFFSET 0) q)'
			sep=$',\n'
		done
		printf '\nSELECT (SELECT count(*) FROM rp), (SELECT count(*) FROM hand), (SELECT count(*) FROM pgrst), (SELECT count(*) FROM lat)'
		for c in hand pgrst lat; do
			printf ',\n  (SELECT count(*) FROM (SELECT %s FROM rp EXCEPT ALL SELECT %s FROM %s) d)' "$key" "$key" "$c"
			printf ',\n  (SELECT count(*) FROM (SELECT %s FROM %s EXCEPT ALL SELECT %s FROM rp) d)' "$key" "$c" "$key"
		done
		printf ",\n  (SELECT sum(nc) FROM rp)"
		printf ",\n  (SELECT sum(nt) FROM rp)"
		printf ';\n'
	} >"$work/verify-$db-$w.sql"
	res=$(bench_psql -d "$db" -At -F ' ' -f "$work/verify-$db-$w.sql") ||
		rp_die "the verification query of workload $w failed; see $work/verify-$db-$w.sql"
	read -r n_rp n_hand n_pgrst n_lat only_rp_h only_h only_rp_g only_g only_rp_l only_l n_c n_t <<<"$res"
	rp_say "  $db/$w rows: relprefetch $n_rp, hand-written $n_hand, PostgREST shape $n_pgrst, LATERAL shape $n_lat; relprefetch's objects hold $n_c comments and $n_t tags"
	if [ "$only_rp_h$only_h$only_rp_g$only_g$only_rp_l$only_l" != 000000 ] ||
		[ "$n_rp" != "$n_hand" ] || [ "$n_rp" != "$n_pgrst" ] || [ "$n_rp" != "$n_lat" ]; then
		rp_die "workload $w: the contenders disagree: $only_rp_h rows only in relprefetch and $only_h only in hand-written; $only_rp_g only in relprefetch and $only_g only in the PostgREST shape; $only_rp_l only in relprefetch and $only_l only in the LATERAL shape (query: $work/verify-$db-$w.sql)"
	fi
	got="$n_rp $n_c"
	[ "$w" = A ] && got="$got $n_t"
	[ "$got" = "$expect" ] ||
		rp_die "workload $w: expected rows/comments/tags '$expect', got '$got'"
}

# bench_server_rounds SQLDIR DB RUNS OUT W:C... : server-side timings, all
# in one session. A contender C of workload W is the statement W-C.sql, or
# the statements W-C.*.sql run one after the other (their times add up).
# First one warm-up execution of each, then RUNS rounds; in round r the
# contenders of each workload start at the ((r - 1) mod k)-th one. Writes
# "W C R planning_ms execution_ms" per execution to OUT (round 0 is the
# warm-up), from EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON): the results are
# built but not sent to the client.
bench_server_rounds() {
	local sqldir=$1 db=$2 runs=$3 out=$4 p r w c i k n=0
	shift 4
	local -a ws=() list
	local -A cts=()
	for p in "$@"; do
		w=${p%%:*}
		[ -n "${cts[$w]+x}" ] || ws+=("$w")
		cts[$w]="${cts[$w]:-} ${p#*:}"
	done
	{
		for w in "${ws[@]}"; do
			for c in ${cts[$w]}; do
				bench_explain_of "$sqldir" "$w" "$c" 0
				n=$((n + 1))
			done
		done
		for r in $(seq 1 "$runs"); do
			for w in "${ws[@]}"; do
				read -r -a list <<<"${cts[$w]}"
				k=${#list[@]}
				for i in $(seq 0 $((k - 1))); do
					bench_explain_of "$sqldir" "$w" "${list[$(((r - 1 + i) % k))]}" "$r"
					n=$((n + 1))
				done
			done
		done
	} >"$out.sql"
	bench_psql -d "$db" -At -f "$out.sql" >"$out.log" 2>&1 ||
		rp_die "the timing session failed; see $out.log"
	awk '
		function flush() { if (w != "") print w, c, r, p, e }
		/^@@ / { flush(); w = $2; c = $3; r = $4; p = 0; e = 0; next }
		/^Planning Time:/ { p += $3; next }
		/^Execution Time:/ { e += $3; next }
		END { flush() }
	' "$out.log" >"$out"
	[ "$(wc -l <"$out")" -eq "$n" ] ||
		rp_die "expected $n timings in $out.log, found $(wc -l <"$out")"
}

# bench_first_rounds SQLDIR DB RUNS OUT W:C... : the first call in a new
# session against the calls after it. In each of RUNS rounds, each
# contender (in an order that rotates from round to round) runs in a new
# session of its own, three times: the first call pays for loading the
# session's catalog caches, parsing and planning (fetch_json: planning and
# preparing its queries) and faulting in its memory; the third is warm.
# A contender given as P:Q>W:C runs statement Q of workload P once first,
# untimed (so that what it touches is touched already). Writes "W C R call
# planning_ms execution_ms statement_ms SPEC" per execution to OUT, SPEC
# being the contender as given. statement_ms is psql's \timing of the whole
# EXPLAIN statement over the socket: it counts parse analysis as well, which
# EXPLAIN's own Planning Time leaves out, and which is where a new session
# opens a statement's tables and loads their catalog entries (for fetch_json
# that happens during its execution, so planning + execution alone would
# charge it to fetch_json only).
bench_first_rounds() {
	local sqldir=$1 db=$2 runs=$3 out=$4 r i k c p pre t
	shift 4
	local -a list=("$@")
	k=${#list[@]}
	: >"$out"
	for r in $(seq 1 "$runs"); do
		for i in $(seq 0 $((k - 1))); do
			p=${list[$(((r - 1 + i) % k))]}
			pre='' t=$p
			if [[ $p == *">"* ]]; then
				pre=${p%%>*} t=${p#*>}
			fi
			{
				if [ -n "$pre" ]; then
					cat "$sqldir/${pre%%:*}-${pre#*:}.sql"
					printf ';\n'
				fi
				printf '\\timing on\n'
				for c in 1 2 3; do
					bench_explain_of "$sqldir" "${t%%:*}" "${t#*:}" "$r"
				done
			} >"$out.sql"
			bench_psql -d "$db" -At -f "$out.sql" >"$out.log" 2>&1 ||
				rp_die "a first-call session failed; see $out.log"
			awk -v w="${t%%:*}" -v c="${t#*:}" -v r="$r" -v spec="$p" '
				/^Planning Time:/ { pl = $3; next }
				/^Execution Time:/ { ex = $3; next }
				/^Time:/ && ex != "" { n++; print w, c, r, n, pl, ex, $2, spec; ex = "" }
			' "$out.log" >>"$out"
		done
	done
	[ "$(wc -l <"$out")" -eq $((3 * runs * k)) ] ||
		rp_die "expected $((3 * runs * k)) timings in $out, found $(wc -l <"$out")"
}

# bench_explain_of SQLDIR W C R: the psql script of one timed execution of
# contender C of workload W in round R (see bench_server_rounds).
bench_explain_of() {
	local sqldir=$1 w=$2 c=$3 r=$4 f
	local -a files
	if [ -f "$sqldir/$w-$c.sql" ]; then
		files=("$sqldir/$w-$c.sql")
	else
		files=("$sqldir/$w-$c".*.sql)
	fi
	printf '\\echo @@ %s %s %s\n' "$w" "$c" "$r"
	for f in "${files[@]}"; do
		[ -f "$f" ] || rp_die "no SQL for contender $c of workload $w in $sqldir"
		printf 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)\n'
		cat "$f"
		printf ';\n'
	done
}

# bench_stats: "min median max" of the numbers on stdin (fails on none).
bench_stats() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) exit 1
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print v[1], m, v[NR]
		}'
}

# bench_fmt X: a time in ms, 3 decimals below 10, else 1.
bench_fmt() { awk -v x="$1" 'BEGIN { printf((x < 10) ? "%.3f" : "%.1f", x) }'; }

# bench_machine: Markdown list items describing this machine.
bench_machine() {
	local cpu mem libdir
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
	libdir=$("$PG_CONFIG" --pkglibdir)
	printf -- '- CPU: %s (%s logical CPUs)\n' "${cpu:-unknown}" "$(nproc)"
	printf -- '- memory: %s\n' "${mem:-unknown}"
	printf -- '- kernel: %s\n' "$(uname -srm)"
	printf -- '- PostgreSQL: %s\n' "$("$(rp_bindir)/postgres" --version)"
	printf -- '- relprefetch.so: %s (sha256 %s)\n' "$libdir/relprefetch.so" \
		"$(sha256sum "$libdir/relprefetch.so" | cut -c1-16)"
}
