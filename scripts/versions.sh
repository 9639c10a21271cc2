#!/usr/bin/env bash
# Build and test relprefetch on PostgreSQL majors other than the host's, each
# in a Debian chroot: Debian 12 has only 15, and the other majors' binaries
# need a newer C library. For each major:
#   1. find at run time which Debian suite has postgresql-server-dev-NN
#      (--list shows it), looking in the suites named by RP_SUITES;
#   2. make (debootstrap) or reuse that suite's chroot, cached under
#      RP_CHROOT_CACHE and rebuilt when missing, older than
#      RP_CHROOT_MAX_AGE days, or made by an older recipe of this script;
#   3. copy the checkout into it, install the packages with
#      scripts/setup.sh --no-build and run scripts/test.sh --no-valgrind
#      --no-assert there (the servers run as the chroot's unprivileged
#      postgres user; the assert-enabled build is the host's only).
# The chroots come from the archive the host's own apt uses (read from
# /etc/apt/sources.list and /etc/apt/sources.list.d/ each run) and take its
# Acquire::Check-Valid-Until / Check-Date settings.
#
# Usage: scripts/versions.sh [--versions "17 18"] [--regress-only |
#                            --tap-only] [--refresh] [--list] [--shell NN]
#   --versions LIST  the majors to test (default: 17 18 19, 19 being
#                    Debian experimental's release candidate)
#   --regress-only   only the pg_regress suite
#   --tap-only       only the TAP suite
#   --refresh        rebuild the chroots even when they are fresh
#   --list           print each major's suite and exit
#   --shell NN       open a shell in NN's chroot, with the mounts, and exit
#
# Environment: RP_CHROOT_CACHE (default /var/cache/relprefetch/chroots),
# RP_CHROOT_MAX_AGE (days, default 7), RP_SUITES (where to look, in order;
# default "trixie sid experimental": sid before forky so that 18 and 19
# share one chroot; experimental is sid's chroot installing from
# experimental).
#
# Needs root (debootstrap, mount, chroot). The last line is
# "N passed, N failed" summed over the majors; exits non-zero when anything
# failed or a major could not be found.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

versions="17 18 19"
test_args=(--no-valgrind --no-format --no-assert)
refresh=0
list_only=0
shell_major=
while [ $# -gt 0 ]; do
	case $1 in
	--versions)
		[ $# -ge 2 ] || rp_die "--versions needs a list"
		versions=${2//,/ }
		shift
		;;
	--versions=*) versions=${1#--versions=} versions=${versions//,/ } ;;
	--regress-only | --tap-only) test_args+=("$1") ;;
	--refresh) refresh=1 ;;
	--list) list_only=1 ;;
	--shell)
		[ $# -ge 2 ] || rp_die "--shell needs a major"
		shell_major=$2 versions=$2
		shift
		;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $1 (try --help)" ;;
	esac
	shift
done

rp_is_root || rp_die "needs root (debootstrap, mount, chroot)"
# shellcheck source=chroot.sh source-path=SCRIPTDIR
source "$RP_ROOT/scripts/chroot.sh"
read -r -a suites <<<"${RP_SUITES:-trixie sid experimental}"

# A private apt state for the lookup: the host's own apt is left alone.
lookup_dir=$cache/lookup
apt_private() {
	apt-get -q -o Dir::Etc::SourceList="$lookup_dir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$lookup_dir/lists" \
		-o Dir::State::status="$lookup_dir/status" \
		-o Dir::Cache="$lookup_dir/cache" "$@"
}
apt_cache_private() {
	apt-cache -o Dir::Etc::SourceList="$lookup_dir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$lookup_dir/lists" \
		-o Dir::State::status="$lookup_dir/status" \
		-o Dir::Cache="$lookup_dir/cache" "$@"
}

lookup_ready=0
update_lookup() {
	local s
	[ "$lookup_ready" -eq 1 ] && return 0
	mkdir -p "$lookup_dir/lists/partial" "$lookup_dir/cache/archives/partial"
	: >"$lookup_dir/status"
	: >"$lookup_dir/sources.list"
	for s in "${suites[@]}"; do
		echo "deb [signed-by=$keyring] $archive $s main" >>"$lookup_dir/sources.list"
	done
	rp_say "looking up the suites ${suites[*]} in $archive" >&2
	apt_private update >"$lookup_dir/update.log" 2>&1 || {
		cat "$lookup_dir/update.log" >&2
		rp_die "apt-get update of the lookup failed"
	}
	lookup_ready=1
}

# suite_of MAJOR: the first suite of RP_SUITES with postgresql-server-dev-MAJOR.
suite_of() {
	local major=$1 s
	update_lookup
	for s in "${suites[@]}"; do
		if apt_cache_private madison "postgresql-server-dev-$major" 2>/dev/null |
			awk -F' [|] ' -v s="$s" '$3 ~ (" " s "/main ") { found = 1 } END { exit !found }'; then
			echo "$s"
			return 0
		fi
	done
	return 1
}

current=
on_exit() {
	if [ -n "$current" ]; then
		umount_all "$current"
	fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

update_lookup
if [ "$list_only" -eq 1 ]; then
	for major in $versions; do
		printf '%s\t%s\n' "$major" "$(suite_of "$major" || echo "(none of: ${suites[*]})")"
	done
	exit 0
fi

passed=0
failed=0
summary=()
declare -A made=()
for major in $versions; do
	start=$SECONDS
	suite=$(suite_of "$major") || {
		rp_warn "PostgreSQL $major: no postgresql-server-dev-$major in any of ${suites[*]} of $archive"
		failed=$((failed + 1))
		summary+=("$major: not found")
		continue
	}
	dir=$cache/$(base_of "$suite")
	rp_say "PostgreSQL $major: suite $suite, chroot $dir"
	if { [ "$refresh" -eq 1 ] && [ -z "${made[$dir]:-}" ]; } ||
		! fresh "$dir" "$(base_of "$suite")"; then
		make_chroot "$(base_of "$suite")" "$dir"
		made[$dir]=1
	fi
	current=$dir
	umount_all "$dir"
	mount_all "$dir"

	copy_checkout "$dir/build/relprefetch"

	in_chroot() {
		chroot "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			TERM="${TERM:-dumb}" LC_ALL=C.UTF-8 \
			PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" \
			RP_APT_RELEASE="$([ "$suite" = experimental ] && echo experimental)" \
			"$@"
	}
	if [ -n "$shell_major" ]; then
		in_chroot bash -c 'cd /build/relprefetch && exec bash -i' || true
		exit 0
	fi

	t0=$SECONDS
	in_chroot bash /build/relprefetch/scripts/setup.sh --no-build --no-format --no-corpus >"$cache/pg$major.setup.log" 2>&1 || {
		tail -n 40 "$cache/pg$major.setup.log" >&2
		rp_die "installing the packages for PostgreSQL $major failed (log: $cache/pg$major.setup.log)"
	}
	rp_say "PostgreSQL $major: packages ready in $((SECONDS - t0)) s"

	t0=$SECONDS
	rc=0
	in_chroot bash /build/relprefetch/scripts/test.sh "${test_args[@]}" \
		--versions="$major" --no-package --no-corpus 2>&1 |
		tee "$cache/pg$major.test.log" || rc=$?
	last=$(tail -n 1 "$cache/pg$major.test.log")
	ok=0 bad=1
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		ok=${BASH_REMATCH[1]} bad=${BASH_REMATCH[2]}
	else
		last="did not finish (status $rc)"
	fi
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	summary+=("$major ($suite): $last, tests $((SECONDS - t0)) s, all $((SECONDS - start)) s")

	umount_all "$dir"
	current=
	if [ "$rc" -gt 128 ]; then
		rp_die "interrupted (status $rc)"
	fi
done

for line in "${summary[@]}"; do
	rp_say "$line"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
