#!/usr/bin/env bash
# Install what building and testing relprefetch needs, then build and install
# the extension into the PostgreSQL found through PG_CONFIG (15 unless
# PG_CONFIG is /usr/lib/postgresql/NN/bin/pg_config or a copy of that tree:
# the packages are then NN's).
#
# Usage: scripts/setup.sh [--with-valgrind] [--no-build] [--no-format]
#                         [--no-corpus]
#   --with-valgrind  also install valgrind (scripts/test.sh and the benchmarks)
#   --no-build       install packages only
#   --no-format      leave out pg-bsd-indent (Debian 12 has it, not later)
#   --no-corpus      leave out the corpus's runtimes but Django (t/015_corpus.pl
#                    then skips those scenarios; scripts/versions.sh's chroots)
#
# RP_APT_RELEASE, when set, is apt's target release (-t) for the packages:
# scripts/versions.sh sets it to experimental for the major only there.
#
# Idempotent and quick on a second run: apt runs only when a package is
# missing, npm only when the corpus's npm packages (corpus/package.json) are
# not installed at their versions in $RP_CORPUS_NPM_DIR (default
# /opt/relprefetch-corpus), and make rebuilds only what changed.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_valgrind=0
with_format=1
with_corpus=1
build=1
for arg in "$@"; do
	case $arg in
	--with-valgrind) with_valgrind=1 ;;
	--no-build) build=0 ;;
	--no-format) with_format=0 ;;
	--no-corpus) with_corpus=0 ;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $arg (try --help)" ;;
	esac
done

major=$(rp_pg_major)

# pg_stat_statements ships in postgresql-NN itself (postgresql-contrib is
# only a name for the distribution's default major, kept for 15);
# libipc-run-perl is what the TAP tests (PostgreSQL::Test::Cluster) need;
# Debian's Django and psycopg2 (for /usr/bin/python3) run the Django example;
# pgbouncer is the pooler the transaction-pooling test puts in front;
# pg-bsd-indent checks the formatting (scripts/indent.sh); SQLAlchemy,
# ActiveRecord with ruby-pg, and Node (with npm, for pg, sequelize and knex)
# run the detection-quality corpus (corpus/, t/015_corpus.pl), whose other
# scenarios need only Django.
packages=("postgresql-$major" "postgresql-server-dev-$major"
	libipc-run-perl perl make gcc python3 python3-django python3-psycopg2
	pgbouncer)
if [ "$major" = 15 ]; then
	packages+=(postgresql-contrib)
fi
if [ "$with_format" -eq 1 ]; then
	packages+=(pg-bsd-indent)
fi
if [ "$with_corpus" -eq 1 ]; then
	packages+=(python3-sqlalchemy ruby-activerecord ruby-pg nodejs)
fi
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

# A Node from elsewhere may bring npm with it; Debian's nodejs does not.
if [ "$with_corpus" -eq 1 ] && ! command -v npm >/dev/null 2>&1; then
	missing+=(npm)
fi

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
		${RP_APT_RELEASE:+-t "$RP_APT_RELEASE"} "${missing[@]}"
fi

# The corpus's npm packages, at the versions corpus/package.json pins,
# into a folder outside the checkout (no lock file: the versions are
# pinned, and the folder is a cache, not part of the project).
npm_current() {
	local pkg want have
	cmp -s "$RP_ROOT/corpus/package.json" "$RP_CORPUS_NPM_DIR/package.json" ||
		return 1
	while read -r pkg want; do
		have=$(node -p "require('$RP_CORPUS_NPM_DIR/node_modules/$pkg/package.json').version" \
			2>/dev/null) || return 1
		[ "$have" = "$want" ] || return 1
	done < <(node -e '
		const d = require(process.argv[1]).dependencies;
		for (const [k, v] of Object.entries(d)) console.log(k, v);' \
		"$RP_ROOT/corpus/package.json")
}
if [ "$with_corpus" -eq 1 ] && ! npm_current; then
	if ! rp_is_root; then
		rp_warn "the corpus's npm packages are not installed in $RP_CORPUS_NPM_DIR (run this script as root): t/015_corpus.pl skips the Node scenarios"
	else
		rp_say "installing the corpus's npm packages into $RP_CORPUS_NPM_DIR"
		mkdir -p "$RP_CORPUS_NPM_DIR"
		cp "$RP_ROOT/corpus/package.json" "$RP_CORPUS_NPM_DIR/package.json"
		(cd "$RP_CORPUS_NPM_DIR" && umask 022 &&
			npm install --no-audit --no-fund --no-package-lock \
				--no-update-notifier --loglevel=error >/dev/null)
	fi
fi

[ -x "$PG_CONFIG" ] || rp_die "pg_config not found at $PG_CONFIG"

if [ "$build" -eq 0 ]; then
	exit 0
fi

# The objects are built for one PostgreSQL; make does not see that
# PG_CONFIG now names another (scripts/test.sh goes from Debian's build to
# the assert-enabled one, whose headers turn assertions on): then they are
# rebuilt from clean. .rp-built-for names the server they were built for.
built_for="$PG_CONFIG $("$PG_CONFIG" --version) $("$PG_CONFIG" --cppflags --cflags | tr '\n' ' ')"
if [ "$(cat "$RP_ROOT/.rp-built-for" 2>/dev/null)" != "$built_for" ]; then
	make -C "$RP_ROOT" PG_CONFIG="$PG_CONFIG" clean >/dev/null
fi
rp_say "building relprefetch"
make -C "$RP_ROOT" PG_CONFIG="$PG_CONFIG" -j"$(nproc)"
echo "$built_for" >"$RP_ROOT/.rp-built-for"

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
