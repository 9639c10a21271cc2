#!/usr/bin/env bash
# Install what building and testing relprefetch needs, then build and install
# the extension into the PostgreSQL 15 found through PG_CONFIG.
#
# Usage: scripts/setup.sh [--with-valgrind] [--no-build]
#   --with-valgrind  also install valgrind (scripts/test.sh and the benchmarks)
#   --no-build       install packages only
#
# Idempotent and quick on a second run: apt runs only when a package is
# missing, and make rebuilds only what changed.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_valgrind=0
build=1
for arg in "$@"; do
	case $arg in
	--with-valgrind) with_valgrind=1 ;;
	--no-build) build=0 ;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $arg (try --help)" ;;
	esac
done

# pg_stat_statements ships in postgresql-15 itself on Debian 12;
# libipc-run-perl is what the TAP tests (PostgreSQL::Test::Cluster) need;
# Debian's Django and psycopg2 (for /usr/bin/python3) run the Django example;
# pgbouncer is the pooler the transaction-pooling test puts in front;
# pg-bsd-indent checks the formatting (scripts/indent.sh).
packages=(postgresql-15 postgresql-server-dev-15 postgresql-contrib
	libipc-run-perl perl make gcc python3 python3-django python3-psycopg2
	pgbouncer pg-bsd-indent)
if [ "$with_valgrind" -eq 1 ]; then
	packages+=(valgrind)
fi

missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	if [ "$status" != installed ]; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	if ! rp_is_root; then
		rp_die "missing packages: ${missing[*]}
  run this script as root, or: sudo apt-get install ${missing[*]}"
	fi
	# Debian's postgresql-15 creates and starts its 15/main cluster on
	# port 5432, as on any Debian machine (the README's Installation uses
	# it). The tests and the demo never use it: they make throwaway
	# clusters on free ports, with sockets in folders of their own.
	rp_say "installing: ${missing[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}"
fi

[ -x "$PG_CONFIG" ] || rp_die "pg_config not found at $PG_CONFIG"

if [ "$build" -eq 0 ]; then
	exit 0
fi

rp_say "building relprefetch"
make -C "$RP_ROOT" PG_CONFIG="$PG_CONFIG" -j"$(nproc)"

if rp_is_root; then
	rp_say "installing relprefetch into $("$PG_CONFIG" --pkglibdir)"
	make -C "$RP_ROOT" PG_CONFIG="$PG_CONFIG" install
else
	# Without root the install directories are read-only: fine as long as
	# what is installed already matches what was just built.
	libdir=$("$PG_CONFIG" --pkglibdir)
	extdir=$("$PG_CONFIG" --sharedir)/extension
	stale=()
	cmp -s "$RP_ROOT/relprefetch.so" "$libdir/relprefetch.so" ||
		stale+=("$libdir/relprefetch.so")
	for f in "$RP_ROOT"/relprefetch.control "$RP_ROOT"/relprefetch--*.sql; do
		cmp -s "$f" "$extdir/${f##*/}" || stale+=("$extdir/${f##*/}")
	done
	if [ ${#stale[@]} -gt 0 ]; then
		rp_die "not root, cannot install; out of date: ${stale[*]}
  run: sudo make -C $RP_ROOT PG_CONFIG=$PG_CONFIG install"
	fi
	rp_say "installed relprefetch is up to date"
fi
