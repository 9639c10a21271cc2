#!/usr/bin/env bash
# Build an assert-enabled PostgreSQL from Debian's source package and cache
# it, for scripts/test.sh: assertions (--enable-cassert) make PostgreSQL's
# own Asserts fire on relprefetch's misuse of its APIs, and valgrind
# support (USE_VALGRIND) makes memcheck see every palloc'd chunk, so that
# scripts/valgrind.sh catches overruns and uninitialised bytes chunk by
# chunk rather than only past a whole memory-context block.
#
# Usage: scripts/assert_build.sh [--print-pg-config] [--force]
#   --print-pg-config  print the build's pg_config (and build nothing)
#   --force            rebuild even when the cached build is current
#
# The source is Debian's postgresql-15 source package, fetched with apt-get's
# source mode through a private apt set-up (its own sources and lists in a
# temporary folder): the deb-src lines are derived at run time from the
# host's own apt sources (every enabled deb entry, same archive, suites and
# keys), so the host's apt is left alone. The version is the one of the
# host's installed postgresql-15 (the Debian build the other runs use), or
# the archive's newest when it is not installed or no longer in the
# archive. Debian's patches are applied (dpkg-source), then
#   configure --enable-cassert --enable-debug --enable-tap-tests --with-icu
#             --with-lz4 --with-zstd CFLAGS="-Og -g" CPPFLAGS=-DUSE_VALGRIND
# (ICU, lz4 and zstd as in Debian's build: the tests use ICU collations and
# lz4 compression; no readline or LLVM: nothing here needs them), make,
# make install:
# the server and its tools, the headers and PGXS, pg_regress and the TAP
# modules (PostgreSQL::Test::Cluster) in PGXS's src/test, as Debian's
# postgresql-server-dev-15 installs them.
#
# The build is cached in RP_ASSERT_DIR (default
# /var/cache/relprefetch/pg-assert-15), laid out like Debian's
# (RP_ASSERT_DIR/lib/postgresql/15/bin/pg_config), and rebuilt when missing,
# when the wanted source version changed or when this recipe changed.
# Building needs root (the build packages are installed with apt-get) and
# took 10 to 23 minutes on 2 shared CPUs (see the README's Development
# section).
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

major=15
root=${RP_ASSERT_DIR:-/var/cache/relprefetch/pg-assert-$major}
prefix=$root/lib/postgresql/$major
pg_config=$prefix/bin/pg_config
stamp=$root/.relprefetch-assert
# Bump when the configure options or the layout change: older builds are
# then rebuilt.
recipe=3

force=0
for arg in "$@"; do
	case $arg in
	--print-pg-config)
		echo "$pg_config"
		exit 0
		;;
	--force) force=1 ;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $arg (try --help)" ;;
	esac
done

# The version wanted: the installed Debian build's.
installed=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "postgresql-$major" 2>/dev/null || true)
want=
if [[ $installed == "installed "* ]]; then
	want=${installed#installed }
fi
if [ $force -eq 0 ] && [ -n "$want" ] && [ -x "$pg_config" ] && [ -f "$stamp" ] &&
	[ "$(cat "$stamp")" = "recipe=$recipe version=$want" ]; then
	rp_say "assert-enabled PostgreSQL $want is current in $root"
	exit 0
fi

rp_is_root || rp_die "building the assert-enabled PostgreSQL needs root (apt-get); run as root"

start=$SECONDS
umask 022
tmp=$(mktemp -d /var/tmp/relprefetch-assert.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# What the build needs: dpkg-source (dpkg-dev), the compiler, zlib, ICU,
# lz4, zstd, valgrind's headers (valgrind/memcheck.h), Perl with IPC::Run
# for the TAP modules.
packages=(dpkg-dev gcc make pkg-config perl libipc-run-perl zlib1g-dev libicu-dev
	liblz4-dev libzstd-dev
	valgrind)
missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	if [ "$status" != installed ]; then
		missing+=("$pkg")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	rp_say "installing: ${missing[*]}"
	apt-get -q update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

# A private apt: deb-src twins of the host's enabled deb entries.
apt_dir=$tmp/apt
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" \
	"$apt_dir/cache/archives/partial"
: >"$apt_dir/sources.list"
if [ -f /etc/apt/sources.list ]; then
	awk '$1 == "deb" { $1 = "deb-src"; print }' /etc/apt/sources.list \
		>>"$apt_dir/sources.list"
fi
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.list; do
	awk '$1 == "deb" { $1 = "deb-src"; print }' "$f" >>"$apt_dir/sources.list"
done
for f in /etc/apt/sources.list.d/*.sources; do
	# deb822: each stanza whose Types include deb and that is not
	# disabled, with Types: deb-src.
	awk 'BEGIN { RS = ""; ORS = "\n\n" }
		{
			n = split($0, lines, "\n"); keep = 0; out = ""
			for (i = 1; i <= n; i++) {
				if (lines[i] ~ /^Types:/) {
					if (lines[i] ~ /[: ]deb( |$)/) keep = 1
					lines[i] = "Types: deb-src"
				}
				if (lines[i] ~ /^Enabled:[ \t]*no/) keep = 0
				out = out lines[i] "\n"
			}
			if (keep) printf "%s\n", out
		}' "$f" >"$apt_dir/sources.list.d/${f##*/}"
done
shopt -u nullglob
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=")
rp_say "reading the source index of the host's apt sources"
apt-get -q "${apt_opts[@]}" update >"$tmp/update.log" 2>&1 || {
	cat "$tmp/update.log" >&2
	rp_die "apt-get update (deb-src twins of the host's sources) failed"
}

# The versions the archive has, newest first.
mapfile -t versions < <(apt-cache "${apt_opts[@]}" showsrc "postgresql-$major" 2>/dev/null |
	awk -v p="postgresql-$major" '$1 == "Package:" { ok = ($2 == p) }
		ok && $1 == "Version:" { print $2 }' | sort -u -r -V)
[ ${#versions[@]} -gt 0 ] ||
	rp_die "no source package postgresql-$major in the host's apt sources"
# The installed version first, then the others, newest first: the first
# whose files the archive still serves (an index may list a version whose
# files a dated or partial archive does not have).
candidates=()
if [ -n "$want" ]; then
	case " ${versions[*]} " in
	*" $want "*) candidates+=("$want") ;;
	esac
fi
for v in "${versions[@]}"; do
	[ "$v" = "$want" ] || candidates+=("$v")
done
mkdir "$tmp/src"
version=
for v in "${candidates[@]}"; do
	if [ $force -eq 0 ] && [ -x "$pg_config" ] && [ -f "$stamp" ] &&
		[ "$(cat "$stamp")" = "recipe=$recipe version=$v" ]; then
		rp_say "assert-enabled PostgreSQL $v is current in $root"
		exit 0
	fi
	rp_say "fetching the source of postgresql-$major $v"
	if (cd "$tmp/src" && apt-get -q "${apt_opts[@]}" source "postgresql-$major=$v") \
		>"$tmp/source.log" 2>&1; then
		version=$v
		break
	fi
	grep -E '^(E|Err):' "$tmp/source.log" | head -n 3 >&2 || true
	rp_warn "could not fetch the source of postgresql-$major $v"
	rm -rf "${tmp:?}/src" && mkdir "$tmp/src"
done
[ -n "$version" ] ||
	rp_die "none of the source versions of postgresql-$major could be fetched: ${candidates[*]}"
if [ -n "$want" ] && [ "$version" != "$want" ]; then
	rp_warn "building postgresql-$major $version, not the installed $want (its source could not be fetched)"
fi
srcdir=$(find "$tmp/src" -mindepth 1 -maxdepth 1 -type d -name "postgresql-$major-*" | head -n 1)
[ -n "$srcdir" ] || rp_die "apt-get source left no source tree in $tmp/src"

rp_say "configuring (log: $root.build.log)"
mkdir -p "$(dirname "$root")"
log=$root.build.log
: >"$log"
(cd "$srcdir" && ./configure --prefix="$prefix" --enable-cassert --enable-debug \
	--enable-tap-tests --with-icu --with-lz4 --with-zstd --without-readline --without-llvm \
	CFLAGS="-Og -g" CPPFLAGS="-DUSE_VALGRIND") >>"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	rp_die "configure failed (log: $log)"
}
rp_say "building with $(nproc) jobs"
make -C "$srcdir" -s -j"$(nproc)" >>"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	rp_die "the build failed (log: $log)"
}
# Installed in a staging folder, then moved into place: a half-installed
# build is never taken for a cached one.
make -C "$srcdir" -s install DESTDIR="$tmp/dest" >>"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	rp_die "make install failed (log: $log)"
}
[ -x "$tmp/dest$pg_config" ] || rp_die "the install has no $pg_config"
find "$tmp/dest" -path '*pgxs/src/test/regress/pg_regress' | grep -q . ||
	rp_die "the install has no pg_regress in PGXS"
find "$tmp/dest" -path '*pgxs/src/test/perl/PostgreSQL/Test/Cluster.pm' | grep -q . ||
	rp_die "the install has no TAP modules (PostgreSQL::Test::Cluster) in PGXS"

rm -rf "$root"
mv "$tmp/dest$root" "$root"
echo "recipe=$recipe version=$version" >"$stamp"
rp_say "assert-enabled PostgreSQL $version built into $root in $((SECONDS - start)) s"
