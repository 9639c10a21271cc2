#!/usr/bin/env bash
# Show relprefetch catching an ORM's N+1 queries on a throwaway cluster.
#
# Usage: scripts/demo.sh
#
# Builds and installs the extension (setup.sh; its output goes to a log
# file, printed with its name only when it fails), starts a private server
# with relprefetch preloaded (127.0.0.1 and a socket in the work folder
# only), loads demo/blog.sql, replays the query sequences Django issues for
# a page that lists posts with their author and tags (the first statements
# of each loop are shown), and shows what relprefetch reports (one field
# per line, so that the suggested call can be copied), how
# relprefetch.on_detect reacts, and the suggested calls. The server and its
# data are removed on exit, failed or not.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case ${1:-} in
'') ;;
-h | --help)
	rp_help "${BASH_SOURCE[0]}"
	exit 0
	;;
*) rp_die "unknown option: $1 (try --help)" ;;
esac

setup_log=$(mktemp --suffix=.log /tmp/relprefetch-setup.XXXXXX)
rp_quietly "$setup_log" "installing packages, building and installing relprefetch" \
	bash "$RP_ROOT/scripts/setup.sh"
bindir=$(rp_bindir)

rp_workdir demo
work=$RP_WORK
data=$work/data
rp_sockdir "$work"
sockdir=$RP_SOCKDIR
sock_temp=$RP_SOCKDIR_TEMP

cleanup() {
	rp_stop_server $? "$work" "$data" demo
	# Everything under the checkout's tmp/demo or the fallback folder is ours.
	rm -rf "$work"
	if [ "$sock_temp" -eq 1 ]; then
		rm -rf "$sockdir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Ask the kernel for a free port; the tiny window before the server binds it
# is acceptable for a demo.
port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')

rp_say "creating a throwaway cluster in $data (port $port, socket in $sockdir)"
# Trust is limited to the socket, which only the cluster owner (and root) may
# use; TCP on 127.0.0.1 needs a password no role has.
rp_as_pg "$work" "$bindir/initdb" -D "$data" -U postgres --auth-local=trust \
	--auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
	--no-instructions >"$work/initdb.log" 2>&1 ||
	{
		rp_show_log "$work/initdb.log" 40
		rp_die "initdb failed"
	}
cat >>"$data/postgresql.conf" <<EOF

# added by scripts/demo.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
unix_socket_permissions = 0700
shared_preload_libraries = 'relprefetch'
lc_messages = 'C'
fsync = off
EOF

rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" -l "$work/server.log" -w start >/dev/null ||
	{
		rp_show_log "$work/server.log" 40
		RP_SERVER_LOG_SHOWN=1
		rp_die "the demo server did not start (its log is above)"
	}

# Clients may run as anyone; they connect through the socket as postgres.
# stdbuf keeps psql's results and its server messages (stderr) in order when
# the output is a pipe.
psql() {
	stdbuf -oL "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" \
		-U postgres "$@" 2>&1
}

psql -d postgres -c 'CREATE DATABASE blog'
psql -d blog -c 'CREATE EXTENSION relprefetch'
rp_say "loading demo/blog.sql (scale 1000: 1000 posts, 100 authors, 3000 post-tag links, 5000 comments)"
psql -d blog -v scale=1000 <"$RP_ROOT/demo/blog.sql"
psql -d blog -c 'SELECT relprefetch.reset()' >/dev/null

# An ORM loop is the parent query, then one statement per parent row, each
# sent on its own as an autocommit statement.  The keys the loop needs are
# read beforehand (in another session), so that what psql sends below is
# exactly the ORM's sequence. show_loop prints its first statements.
parent_authors='SELECT id, title, author_id FROM blog_post ORDER BY id LIMIT 20;'
parent_tags='SELECT id, title FROM blog_post ORDER BY id LIMIT 20;'
mapfile -t author_ids < <(psql -d blog -At -c 'SELECT author_id FROM blog_post ORDER BY id LIMIT 20')
mapfile -t post_ids < <(psql -d blog -At -c 'SELECT id FROM blog_post ORDER BY id LIMIT 20')

# post.author for each post
author_loop() {
	local id
	printf '%s\n' "$parent_authors"
	for id in "${author_ids[@]}"; do
		printf 'SELECT id, name, country_id FROM blog_author WHERE id = %s;\n' "$id"
	done
}

# post.tags.all() for each post, as Django writes it
tag_loop() {
	local id
	printf '%s\n' "$parent_tags"
	for id in "${post_ids[@]}"; do
		printf 'SELECT "blog_tag"."id", "blog_tag"."name", "blog_tag"."active" FROM "blog_tag" INNER JOIN "blog_post_tags" ON ("blog_tag"."id" = "blog_post_tags"."tag_id") WHERE "blog_post_tags"."post_id" = %s;\n' "$id"
	done
}

# show_loop FUNCTION: the first 4 statements FUNCTION sends, and how many
# more; then run them all, results discarded.
show_loop() {
	local n
	n=$("$1" | wc -l)
	"$1" | head -n 4
	echo "... and $((n - 4)) more like the last, one per post ($n statements in all)"
	{ echo '\o /dev/null'; "$1"; } | psql -d blog
}

echo
echo "### 1. for post in Post.objects.all()[:20]: post.author.name"
echo "###    One query for the posts, then one per post for its author: N+1."
echo
show_loop author_loop

echo
echo "### 2. for post in ...: post.tags.all()"
echo "###    One query per post through the many-to-many junction table."
echo
show_loop tag_loop

echo
echo "### 3. What relprefetch recorded (relprefetch.stats)"
echo "###    source_query is the statement run just before each loop: the"
echo "###    query that read the posts."
echo
# One field per line, never wrapped: the suggestion, one long line, ends
# with the call to copy. Fixed order: the author loop, then the tag loop.
psql -d blog <<'EOF'
\pset format unaligned
\pset expanded on
\pset fieldsep ': '
\pset footer off
SELECT query, units, calls, max_repeats, round(total_time::numeric, 2) AS total_ms,
       source_query, relation, foreign_key, suggestion
FROM relprefetch.stats
ORDER BY relation COLLATE "C", query COLLATE "C";
EOF

echo
echo "### 4. SET relprefetch.on_detect = warning: the same author loop warns"
echo
{ printf '%s\n' 'SET relprefetch.on_detect = warning;' '\o /dev/null'; author_loop; } | psql -d blog

echo
echo "### 5. SET relprefetch.on_detect = error, inside BEGIN ... COMMIT:"
echo "###    the repeated statement fails and psql stops there, as the"
echo "###    application would."
echo
rc=0
{
	printf '%s\n' 'BEGIN;' 'SET LOCAL relprefetch.on_detect = error;' '\set ECHO queries' '\o /dev/null'
	author_loop
	echo 'COMMIT;'
} | psql -d blog || rc=$?
echo
if [ "$rc" -eq 0 ]; then
	rp_warn "on_detect = error raised no error"
	exit 1
fi
echo "(psql exited with status $rc: the transaction was rolled back)"

echo
echo "### 6. The fix: the suggested calls fetch what the loops fetched, in one"
echo "###    call each: the first 3 posts with their author (and the author's"
echo "###    country), their active tags in name order and their first 2"
echo "###    comments, one JSON object per post; then the same posts with"
echo "###    their tags as typed rows."
echo
psql -d blog <<'EOF'
\set ECHO queries
\pset format unaligned
\pset tuples_only on
SELECT j
FROM relprefetch.fetch_json('blog_post', '{
  "columns": ["id", "title"],
  "order_by": "id",
  "limit": 3,
  "include": {
    "author": {"columns": ["name"], "include": ["country"]},
    "active_tags": {"path": "tags", "columns": ["name"], "where": "active", "order_by": "name"},
    "comments": {"path": "blog_comment", "columns": ["id", "body"], "order_by": "id", "limit": 2}
  }}') AS j;
\echo
\pset format aligned
\pset tuples_only off
SELECT (t.parent).id, (t.parent).title,
       array(SELECT tag.name FROM unnest(t.children) AS tag) AS tags
FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_tag[],
                                parent_where => 'id <= 3',
                                child_order_by => 'name') AS t
ORDER BY 1;
EOF
echo
rp_say "demo done; removing the cluster"
