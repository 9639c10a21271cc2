#!/usr/bin/env bash
# The instructions the first fetch_json that needs a reverse relationship
# takes in a new session, on a database with few constraints and on one
# with many: the foreign keys that reference a table are looked up when the
# fetch is planned (through pg_depend's index now; by a scan of the whole
# of pg_constraint before).
#
# Usage: bash bench/reverse_fk.sh [--tables N]
#   --tables N  extra tables in the second database, each with a primary
#               key and a foreign key to the one before (default 5000)
#
# Measures the relprefetch installed for PG_CONFIG. Two databases in a
# throwaway cluster: "few" holds author (10 rows) and post (100 rows, a
# foreign key to author); "many" is a copy with the extra tables. Each
# figure is a single-user backend under callgrind, the whole process
# counted, fed `SELECT 1` then the statements measured, less a run fed
# `SELECT 1` and `SELECT count(*) FROM author` (same catalog entries for
# author, no fetch):
#   first   fetch_json('author', '{"include": ["post"]}'), the session's
#           first fetch
#   second  a second fetch with another spec after it (planned anew: its
#           own lookup of the relationships)
# Prints one line per database. No server is left running; the callgrind
# files stay in tmp/reverse_fk.
set -euo pipefail

# shellcheck source=bench/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tables=5000
while [ $# -gt 0 ]; do
	case $1 in
	--tables)
		[ $# -ge 2 ] || rp_die "--tables needs a number"
		tables=$2
		shift
		;;
	-h | --help)
		rp_help "$0"
		exit 0
		;;
	*) rp_die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done
bench_uint --tables "$tables" 0
command -v valgrind >/dev/null ||
	rp_die "valgrind not found (run: bash scripts/setup.sh --with-valgrind)"

bindir=$(rp_bindir)
# the callgrind files stay, in a /tmp fallback too
bench_workdir reverse_fk keep
work=$BENCH_WORK
data=$BENCH_DATA
sockdir=$BENCH_SOCKDIR

bench_initdb "$work" "$data" "$sockdir" bench/reverse_fk.sh
bench_start "$work" "$data" "$sockdir"
bench_psql -d postgres -c 'CREATE DATABASE few'
bench_psql -d few <<'EOF'
CREATE EXTENSION relprefetch;
CREATE TABLE author (id int PRIMARY KEY, name text);
CREATE TABLE post (id int PRIMARY KEY, author_id int REFERENCES author, title text);
INSERT INTO author SELECT g, 'author ' || g FROM generate_series(1, 10) g;
INSERT INTO post SELECT g, g % 10 + 1, 'post ' || g FROM generate_series(1, 100) g;
EOF
bench_psql -d postgres -c 'CREATE DATABASE many TEMPLATE few'
rp_say "creating $tables tables with a foreign key each"
bench_psql -d many >/dev/null <<EOF
CREATE TABLE extra_0 (id int PRIMARY KEY);
SELECT format('CREATE TABLE extra_%s (id int PRIMARY KEY, prev int REFERENCES extra_%s)', i, i - 1)
FROM generate_series(1, $tables) i \gexec
EOF
for db in few many; do
	bench_psql -d "$db" -c 'VACUUM ANALYZE'
	printf '%s: %s constraints\n' "$db" \
		"$(bench_psql -d "$db" -At -c 'SELECT count(*) FROM pg_constraint')"
done
rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" stop -m fast -w >/dev/null

fetch1="SELECT count(*) FROM relprefetch.fetch_json('author', '{\"include\": [\"post\"]}');"
fetch2="SELECT count(*) FROM relprefetch.fetch_json('author', '{\"columns\": [\"id\"], \"include\": [\"post\"]}');"

# run DB TAG STATEMENT...: instructions of a single-user backend fed
# SELECT 1 and the statements
run() {
	local db=$1 tag=$2
	shift 2
	printf 'SELECT 1;\n%s\n' "$@" >"$work/$db-$tag.sql"
	rp_give_to_pg "$work/$db-$tag.sql"
	rp_as_pg "$work" valgrind --tool=callgrind \
		--callgrind-out-file="$work/$db-$tag.callgrind" \
		"$bindir/postgres" --single -D "$data" -c jit=off "$db" \
		<"$work/$db-$tag.sql" >"$work/$db-$tag.stdout" 2>"$work/$db-$tag.stderr" ||
		rp_die "backend $db-$tag failed; see $work/$db-$tag.stderr"
	if grep -Eq '(ERROR|FATAL|PANIC):' "$work/$db-$tag.stdout" "$work/$db-$tag.stderr"; then
		rp_die "backend $db-$tag reported an error; see $work/$db-$tag.stdout"
	fi
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/$db-$tag.stderr"
}

for db in few many; do
	base=$(run "$db" base 'SELECT count(*) FROM author;')
	first=$(run "$db" first "$fetch1")
	second=$(run "$db" second "$fetch1" "$fetch2")
	printf '%s: first fetch_json %d instructions, second spec %d\n' \
		"$db" $((first - base)) $((second - first))
done
