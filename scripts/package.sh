#!/usr/bin/env bash
# Build the Debian package postgresql-15-relprefetch from debian/ and test
# it, in a clean chroot of the host's Debian release (never on the host,
# whose PostgreSQL has the extension installed from source):
#   1. make or reuse the chroot (scripts/chroot.sh: cached, rebuilt when
#      stale), copy the checkout in, install the build dependencies and
#      build the binary package with dpkg-buildpackage;
#   2. install the .deb with apt and run the pg_regress suite against the
#      installed package through `pg_buildext installcheck`, as the
#      chroot's unprivileged postgres user (pg_regress makes its own
#      cluster, with shared_preload_libraries, from regress.conf).
# The .deb is left in RP_CHROOT_CACHE/<codename>/build/.
#
# Usage: scripts/package.sh [--refresh]
#   --refresh   rebuild the chroot even when it is fresh
#
# Needs root (debootstrap, mount, chroot). The last line is
# "N passed, N failed": the build and each pg_regress test.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

refresh=0
for arg in "$@"; do
	case $arg in
	--refresh) refresh=1 ;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $arg (try --help)" ;;
	esac
done

rp_is_root || rp_die "needs root (debootstrap, mount, chroot)"
# shellcheck source=chroot.sh source-path=SCRIPTDIR
source "$RP_ROOT/scripts/chroot.sh"

# shellcheck source=/dev/null
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
dir=$cache/$suite
if [ "$refresh" -eq 1 ] || ! fresh "$dir" "$suite"; then
	make_chroot "$suite" "$dir"
fi

on_exit() {
	umount_all "$dir"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
umount_all "$dir"
mount_all "$dir"

# LANG as well as LC_ALL: pg_regress drops LC_ALL, and the temporary
# cluster takes its locale (UTF-8, as the tests need) from what is left.
in_chroot() {
	chroot "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

passed=0
failed=0
log=$dir.package.log
: >"$log"

# 1. Build. A copy of the source and nothing of earlier builds.
t0=$SECONDS
rm -rf "$dir/build"
copy_checkout "$dir/build/relprefetch"
rp_say "build dependencies"
in_chroot apt-get -q install -y --no-install-recommends \
	build-essential dpkg-dev fakeroot >>"$log" 2>&1 ||
	rp_die "apt-get install in the chroot failed (log: $log)"
in_chroot bash -c 'cd /build/relprefetch && apt-get -q build-dep -y ./' \
	>>"$log" 2>&1 || rp_die "apt-get build-dep failed (log: $log)"
rp_say "dpkg-buildpackage (after $((SECONDS - t0)) s)"
if in_chroot bash -c 'cd /build/relprefetch && dpkg-buildpackage -us -uc -b' \
	>>"$log" 2>&1; then
	passed=$((passed + 1))
else
	tail -n 40 "$log"
	rp_die "the package did not build (log: $log)"
fi
deb=$(cd "$dir/build" && ls postgresql-*-relprefetch_*.deb)
rp_say "built $deb in $((SECONDS - t0)) s"

# 2. Install it and run the regression suite against the installed files.
t0=$SECONDS
in_chroot apt-get -q install -y "/build/$deb" >>"$log" 2>&1 ||
	rp_die "installing $deb failed (log: $log)"
in_chroot dpkg -L "${deb%%_*}" | grep -E '\.(so|control)$'

# The tests from a clean copy owned by the cluster owner (initdb refuses
# root); the TAP suite is left to scripts/test.sh (its tools are not
# package dependencies).
copy_checkout "$dir/build/check"
rm -rf "$dir/build/check/src"
in_chroot chown -R postgres: /build/check
rc=0
in_chroot runuser -u postgres -- \
	bash -c 'cd /build/check && pg_buildext -m TAP_TESTS= installcheck' 2>&1 |
	tee -a "$log" | grep -E '^(ok|not ok|#|###)|\.\.\. ' || rc=$?
ok=$(grep -c -E '^ok [0-9]+|\.\.\. ok' "$log" || true)
bad=$(grep -c -E '^not ok [0-9]+|\.\.\. FAILED' "$log" || true)
if grep -q 'FAILED with exit code' "$log" && [ "$bad" -eq 0 ]; then
	bad=1
fi
if [ "$bad" -gt 0 ] && [ -f "$dir/build/check/regression.diffs" ]; then
	cat "$dir/build/check/regression.diffs"
fi
rp_say "installcheck of the package in $((SECONDS - t0)) s"
passed=$((passed + ok))
failed=$((failed + bad))
if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then
	rp_warn "no test ran (log: $log)"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
