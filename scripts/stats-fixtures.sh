#!/usr/bin/env bash
# Make again the stats files of older versions that t/018_stats_formats.pl
# loads: t/data/stats-format1.bin (written by version 0.2.0) and
# t/data/stats-format2.bin (written by the 0.3.0 code before format 3),
# each with t/data/stats-formatN.rows, what that version's relprefetch.stats
# (a JSON object per row) and relprefetch.info (the last line) showed just
# before it saved the file.
#
# Usage: scripts/stats-fixtures.sh --pg-config PATH [--out DIR]
#                                  [FORMAT1_COMMIT [FORMAT2_COMMIT]]
#   --pg-config PATH  pg_config of a private PostgreSQL 15 copy (such as
#                     /opt/pg-NAME/lib/postgresql/15/bin/pg_config): each
#                     commit's relprefetch is installed into it, replacing
#                     what it had (install the current code again after)
#   --out DIR         where to write the files (default: t/data of this
#                     checkout)
#   FORMAT1_COMMIT    a commit whose code writes format 1 (default 7e50d88,
#                     the last before "Version 0.3.0", 2abd721)
#   FORMAT2_COMMIT    a commit whose code writes format 2 (default 064f0a2,
#                     the last before format 3 came in, 24cca74)
#
# For each commit: its tree (git archive) is built in a temporary folder
# under /var/tmp and installed with `make PG_CONFIG=PATH install`; the
# script checks that its RP_FILE_FORMAT is the expected one. A throwaway
# cluster (shared_preload_libraries = relprefetch, compute_query_id = on,
# lc_messages = C) runs as the cluster owner: the extension is created,
# with two tables, fixture_author and fixture_post (foreign key
# fixture_post_author_fk), then two loops, each in one transaction, are
# recorded:
#   - forward: the posts query, then each post's author (6 lookups);
#   - backward: the authors query, then each author's posts (5 lookups).
# With format 2 the forward loop runs with relprefetch.require_proof on,
# so it has a proof, the backward one with it off, so it has none, and a
# repeat whose keys came from no row (left out: the unproven count) runs
# too. Then `pg_ctl stop -m fast` saves the table, and
# pg_stat/relprefetch.stat is copied to DIR. The files are the x86_64
# (little-endian) bytes of the structs: made on another architecture, they
# would not match what the test expects.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_config=
out=$RP_ROOT/t/data
commits=()
while [ $# -gt 0 ]; do
	case $1 in
	--pg-config)
		[ $# -ge 2 ] || rp_die "--pg-config needs a path"
		pg_config=$2
		shift
		;;
	--out)
		[ $# -ge 2 ] || rp_die "--out needs a folder"
		out=$2
		shift
		;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	-*) rp_die "unknown option: $1 (try --help)" ;;
	*) commits+=("$1") ;;
	esac
	shift
done
[ ${#commits[@]} -le 2 ] || rp_die "at most two commits (try --help)"
[ -n "$pg_config" ] || rp_die "--pg-config is required: the old versions are installed into it (try --help)"
[ -x "$pg_config" ] || rp_die "no pg_config at $pg_config"
case $(readlink -f "$pg_config") in
/usr/lib/postgresql/*) rp_die "$pg_config is the system's PostgreSQL: use a private copy" ;;
esac
[ "$(uname -m)" = x86_64 ] || rp_die "the fixtures are x86_64 files; this is $(uname -m)"
PG_CONFIG=$pg_config
format1=${commits[0]:-7e50d88}
format2=${commits[1]:-064f0a2}
bindir=$("$PG_CONFIG" --bindir)
mkdir -p "$out"

work=$(mktemp -d /var/tmp/relprefetch-fixtures.XXXXXX)
chmod 755 "$work"
rp_give_to_pg "$work"
cleanup() {
	rp_stop_clusters "$work"
	rm -rf "$work"
}
trap cleanup EXIT

# psql as the cluster owner on the cluster of $work/$1
fixture_psql() {
	local name=$1
	shift
	rp_as_pg "$work" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 \
		-h "$work/$name" -p 5432 -d postgres "$@"
}

# make_fixture FORMAT COMMIT: build COMMIT, record the loops, keep the file
make_fixture() {
	local format=$1 commit=$2 src=$work/src$1 data=$work/fmt$1/data
	local written sql

	rp_say "format $format: building $commit"
	mkdir -p "$src"
	git -C "$RP_ROOT" archive "$commit" | tar -x -C "$src"
	written=$(sed -n 's/^#define RP_FILE_FORMAT[[:space:]]*\([0-9]*\).*/\1/p' "$src"/src/*.c)
	[ "$written" = "$format" ] ||
		rp_die "$commit writes format ${written:-unknown}, not $format"
	make -C "$src" -s -j2 PG_CONFIG="$PG_CONFIG" >/dev/null
	make -C "$src" -s PG_CONFIG="$PG_CONFIG" install >/dev/null

	mkdir -p "$work/fmt$format"
	rp_give_to_pg "$work/fmt$format"
	rp_as_pg "$work" "$bindir/initdb" -D "$data" -U postgres \
		--no-sync >/dev/null
	cat >>"$data/postgresql.conf" <<-EOF
		shared_preload_libraries = 'relprefetch'
		lc_messages = 'C'
		compute_query_id = on
		listen_addresses = ''
		port = 5432
		unix_socket_directories = '$work/fmt$format'
	EOF
	rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" -l "$work/fmt$format/log" \
		-w start >/dev/null

	sql="CREATE EXTENSION relprefetch;
CREATE TABLE fixture_author (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE fixture_post (id int PRIMARY KEY, author_id int NOT NULL
  CONSTRAINT fixture_post_author_fk REFERENCES fixture_author (id),
  title text NOT NULL);
INSERT INTO fixture_author SELECT g, 'fixture author ' || g
  FROM generate_series(1, 10) g;
INSERT INTO fixture_post SELECT g, g % 10 + 1, 'fixture post ' || g
  FROM generate_series(1, 10) g;"
	fixture_psql "fmt$format" -c "$sql"

	# forward: each post's author (posts 1 to 6 are by authors 2 to 7)
	sql="BEGIN;
SELECT id, author_id, title FROM fixture_post WHERE id <= 6 ORDER BY id;"
	if [ "$format" -ge 2 ]; then
		sql="SET relprefetch.require_proof = on;
$sql"
	fi
	for id in 2 3 4 5 6 7; do
		sql="$sql
SELECT name FROM fixture_author WHERE id = $id;"
	done
	fixture_psql "fmt$format" -c "$sql
COMMIT;" >/dev/null

	# backward: each author's posts, recorded without a proof
	sql="BEGIN;"
	if [ "$format" -ge 2 ]; then
		sql="SET relprefetch.require_proof = off;
$sql"
	fi
	sql="$sql
SELECT id, name FROM fixture_author WHERE id <= 5 ORDER BY id;"
	for id in 1 2 3 4 5; do
		sql="$sql
SELECT id, title FROM fixture_post WHERE author_id = $id;"
	done
	fixture_psql "fmt$format" -c "$sql
COMMIT;" >/dev/null

	# keys from no row read: left out with require_proof, and counted
	if [ "$format" -ge 2 ]; then
		sql="SET relprefetch.require_proof = on;
BEGIN;"
		for id in 1 2 3 4 5; do
			sql="$sql
SELECT title FROM fixture_post WHERE id = $id;"
		done
		fixture_psql "fmt$format" -c "$sql
COMMIT;" >/dev/null
	fi

	# what the views show, one JSON object a line: the columns every format
	# has (and the proof from format 2 on)
	sql="SELECT userid, dbid, fingerprint, queryid, query, source_query, relid,
  relation, foreign_key,
  units, calls, max_repeats, total_time, suggestion,
  extract(epoch FROM first_seen) AS first_seen,
  extract(epoch FROM last_seen) AS last_seen"
	if [ "$format" -ge 2 ]; then
		sql="$sql, proof"
	fi
	sql="SELECT row_to_json(r) FROM ($sql FROM relprefetch.stats) r
ORDER BY r.query COLLATE \"C\""
	fixture_psql "fmt$format" -At -c "$sql" >"$out/stats-format$format.rows"
	sql="SELECT evictions, extract(epoch FROM stats_reset) AS stats_reset"
	if [ "$format" -ge 2 ]; then
		sql="$sql, unproven"
	fi
	fixture_psql "fmt$format" -At \
		-c "SELECT row_to_json(r) FROM ($sql FROM relprefetch.info) r" \
		>>"$out/stats-format$format.rows"

	rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	[ -f "$data/pg_stat/relprefetch.stat" ] ||
		rp_die "format $format: no pg_stat/relprefetch.stat after the stop (see $work/fmt$format/log)"
	cp "$data/pg_stat/relprefetch.stat" "$out/stats-format$format.bin"
	rp_say "format $format: $out/stats-format$format.bin ($(wc -c <"$out/stats-format$format.bin") bytes), $out/stats-format$format.rows"
	cat "$out/stats-format$format.rows"
}

make_fixture 1 "$format1"
make_fixture 2 "$format2"
rp_say "done; $format2's relprefetch is left installed in $("$PG_CONFIG" --bindir)/..: install the current code there again before testing it"
