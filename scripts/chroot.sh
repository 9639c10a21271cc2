# shellcheck shell=bash
# Debian chroots for scripts/versions.sh and scripts/package.sh. Source it
# after lib.sh; it does nothing on its own but read the host's apt sources.
#
# A chroot is made by debootstrap (minbase) from the archive the host's own
# apt uses (the first deb source listing the host's codename, read from
# /etc/apt/sources.list and sources.list.d/ at run time), with the host's
# Acquire::Check-Valid-Until / Check-Date settings (a dated archive's
# Release files may look expired), a policy-rc.d that keeps installed
# services stopped, and no main cluster for the PostgreSQL packages. sid's
# chroot also lists experimental (apt takes from it only when asked).
#
# Chroots are cached in RP_CHROOT_CACHE (default
# /var/cache/relprefetch/chroots), one folder per suite, and rebuilt when
# missing, older than RP_CHROOT_MAX_AGE days (default 7) or made by an older
# recipe. Mounts (proc, /dev, a private /dev/shm, devpts) are undone by
# umount_all, which callers run from an EXIT trap.

# shellcheck disable=SC2034 # cache is for the callers
cache=${RP_CHROOT_CACHE:-/var/cache/relprefetch/chroots}
max_age=${RP_CHROOT_MAX_AGE:-7}
# Bump when what a chroot holds changes: older chroots are then rebuilt.
recipe=1
arch=$(dpkg --print-architecture)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# The archive of the host's own release: the first URI of a deb source
# whose suites include the host's codename.
host_archive() {
	local codename files=() f
	# shellcheck source=/dev/null
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	[ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && files+=("$f")
	done
	awk -v want="$codename" '
		# one-line style: deb [opts] URI SUITE COMPONENTS...
		FILENAME ~ /\.list$/ && $1 == "deb" {
			i = 2
			if ($i ~ /^\[/) while ($i !~ /\]$/) i++
			if ($i ~ /^\[/ || $i ~ /\]$/) i++
			if ($(i + 1) == want) { print $i; found = 1; exit }
			next
		}
		# deb822 style: stanzas of Types/URIs/Suites/Enabled
		FNR == 1 { check() }
		FILENAME ~ /\.sources$/ {
			if ($0 ~ /^[ \t]*$/) { check(); next }
			if ($1 == "Types:") types = $0
			if ($1 == "URIs:") uri = $2
			if ($1 == "Suites:") suites = " " $0 " "
			if ($1 == "Enabled:") enabled = $2
		}
		function check() {
			if (found) return
			if (types ~ /deb( |$)/ && enabled != "no" &&
			    index(suites, " " want " ") && uri != "") {
				print uri; found = 1; exit
			}
			types = uri = suites = enabled = ""
		}
		END { check() }
	' "${files[@]}"
}

archive=$(host_archive)
[ -n "$archive" ] || rp_die "no Debian archive found in the host's apt sources"

# apt settings that let an archive's Release files look expired (a dated
# archive) be used: copied from the host into the lookup and the chroots.
apt_date_settings() {
	apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date) ' || true
}

# The chroot of a suite: experimental is not a whole suite, so it is sid's
# chroot, which lists experimental too (apt takes from it only when asked).
base_of() {
	if [ "$1" = experimental ]; then echo sid; else echo "$1"; fi
}

# fresh DIR: true when DIR is a complete chroot of this recipe, younger than
# max_age days.
fresh() {
	local stamp=$1/.relprefetch-chroot
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "recipe=$recipe suite=$2" ] &&
		[ -z "$(find "$stamp" -mtime +"$max_age")" ]
}

# make_chroot SUITE DIR: debootstrap into DIR.new, set apt up, then move it
# into place, so that a half-made chroot is never taken for a cached one.
make_chroot() {
	local suite=$1 dir=$2 base new start
	base=$(base_of "$suite")
	new=$dir.new
	start=$SECONDS
	umount_all "$new"
	rm -rf "$new"
	mkdir -p "$(dirname "$dir")"
	if ! command -v debootstrap >/dev/null; then
		rp_say "installing debootstrap"
		apt-get -q update >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
	fi
	rp_say "debootstrap $base into $new"
	debootstrap --variant=minbase --keyring="$keyring" --arch="$arch" \
		"$base" "$new" "$archive" >"$dir.debootstrap.log" 2>&1 || {
		tail -n 30 "$dir.debootstrap.log" >&2
		rp_die "debootstrap of $base failed (log: $dir.debootstrap.log)"
	}
	{
		echo "deb $archive $base main"
		if [ "$base" = sid ]; then
			echo "deb $archive experimental main"
		fi
	} >"$new/etc/apt/sources.list"
	apt_date_settings | sed 's/$/;/' >"$new/etc/apt/apt.conf.d/99relprefetch"
	# Installed packages must not start services (the packaged clusters)
	printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
	chmod 755 "$new/usr/sbin/policy-rc.d"
	# nor make the main cluster at all.
	mkdir -p "$new/etc/postgresql-common/createcluster.d"
	echo 'create_main_cluster = false' \
		>"$new/etc/postgresql-common/createcluster.d/relprefetch-no-main.conf"
	chroot "$new" apt-get -q update >"$dir.update.log" 2>&1 || {
		cat "$dir.update.log" >&2
		rp_die "apt-get update in the $suite chroot failed"
	}
	echo "recipe=$recipe suite=$suite" >"$new/.relprefetch-chroot"
	rm -rf "$dir"
	mv "$new" "$dir"
	rp_say "chroot $dir made in $((SECONDS - start)) s"
}

# mount_all DIR: /proc, /dev (bound without its submounts, and made
# private so that nothing mounted under it reaches the host's /dev where
# mounts propagate), a private /dev/shm and a new devpts instance.
mount_all() {
	local dir=$1
	mount -t proc proc "$dir/proc"
	mount --bind /dev "$dir/dev"
	mount --make-private "$dir/dev"
	mount -t tmpfs -o mode=1777 shm "$dir/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$dir/dev/pts"
}
# umount_all DIR: unmount whatever is mounted under DIR, from /proc/mounts,
# deepest first. Never fails.
umount_all() {
	local dir=$1 m
	while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
}


# copy_checkout DEST: a fresh copy of the checkout in DEST, without git's
# folder and what builds and test runs leave in it.
copy_checkout() {
	rm -rf "$1"
	mkdir -p "$1"
	tar -C "$RP_ROOT" --exclude=./.git --exclude=./tmp --exclude='*.o' \
		--exclude='*.so' --exclude='*.bc' --exclude=./results \
		--exclude=./tmp_check --exclude=./log -cf - . | tar -C "$1" -xf -
}
