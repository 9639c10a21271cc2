# shellcheck shell=bash
# Helpers shared by scripts/*.sh. Source it; it does nothing on its own.
#
# PostgreSQL refuses to run as root, so when we are root every server-side
# command goes through rp_as_pg (runuser -u postgres). As any other user the
# commands run directly: that user then owns the throwaway clusters.

RP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RP_PG_USER=postgres
# Overridable so the scripts can be pointed at another (e.g. relocated) build.
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
# Where scripts/setup.sh installs the npm packages of the corpus's Node
# scenarios (corpus/package.json): outside the checkout, readable by the
# cluster owner; t/015_corpus.pl reads RP_CORPUS_NODE_MODULES.
RP_CORPUS_NPM_DIR=${RP_CORPUS_NPM_DIR:-/opt/relprefetch-corpus}

rp_say() { printf '==> %s\n' "$*"; }
rp_warn() { printf 'warning: %s\n' "$*" >&2; }
rp_die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

rp_is_root() { [ "$(id -u)" -eq 0 ]; }

# rp_pg_major: the PostgreSQL major PG_CONFIG belongs to: NN when it is
# .../postgresql/NN/bin/pg_config (Debian's layout, or a copy of it), else 15.
rp_pg_major() {
	if [[ $PG_CONFIG =~ /postgresql/([0-9]+)/bin/pg_config$ ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo 15
	fi
}

# Directory of the server binaries; only valid once setup.sh has installed them.
rp_bindir() { "$PG_CONFIG" --bindir; }

# rp_as_pg DIR CMD...: run CMD in DIR as the user that owns the clusters.
# The cd matters: the caller's cwd may be a checkout postgres cannot enter,
# and initdb/pg_ctl fail when they cannot resolve their working directory.
rp_as_pg() {
	local dir=$1
	shift
	if rp_is_root; then
		(cd "$dir" && runuser -u "$RP_PG_USER" -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

# True when the cluster owner can traverse the checkout, i.e. a folder inside
# it can hold clusters. A checkout under /root (mode 700) fails this.
rp_checkout_usable() {
	if rp_is_root; then
		runuser -u "$RP_PG_USER" -- test -x "$RP_ROOT"
	else
		test -x "$RP_ROOT"
	fi
}

# rp_workdir NAME: make an empty folder for throwaway clusters and set
# RP_WORK to it. Prefer <checkout>/tmp/NAME (git-ignored, easy to inspect);
# fall back to a fresh /tmp/relprefetch.XXXXXX when the cluster owner cannot
# reach or write the checkout. RP_WORK_TEMP is 1 for the fallback, so callers
# know to delete it. An old <checkout>/tmp/NAME is wiped (its servers stopped):
# each run starts clean.
# shellcheck disable=SC2034 # RP_WORK_TEMP is for the callers
rp_workdir() {
	local name=$1 base="$RP_ROOT/tmp"
	RP_WORK_TEMP=0
	if rp_checkout_usable && mkdir -p "$base" 2>/dev/null && [ -w "$base" ]; then
		RP_WORK="$base/$name"
		# A run killed with SIGKILL may have left its server behind.
		rp_stop_clusters "$RP_WORK"
		rm -rf "$RP_WORK"
		mkdir "$RP_WORK"
		if rp_is_root; then
			chown "$RP_PG_USER:" "$base" "$RP_WORK"
		fi
	else
		RP_WORK=$(mktemp -d /tmp/relprefetch.XXXXXX)
		RP_WORK_TEMP=1
		if rp_is_root; then
			chown "$RP_PG_USER:" "$RP_WORK"
		fi
		rp_say "$RP_ROOT is not usable by the cluster owner; using $RP_WORK"
	fi
	rp_say "work folder: $RP_WORK"
}

# rp_help SCRIPT: print SCRIPT's header comment (line 2 to "set -e"), its
# --help text.
rp_help() {
	sed -n '2,/^set -e/s/^# \{0,1\}//p' "$1"
}

# rp_copy_tests DIR: copy what `make installcheck` needs into DIR and give
# DIR to the cluster owner. It needs only pg_regress/prove and the installed
# extension, never the objects (PGXS: "installcheck: submake
# $(REGRESS_PREP)", both empty here), so src/ is not copied and nothing is
# rebuilt.
rp_copy_tests() {
	(
		cd "$RP_ROOT" || exit
		items=()
		for f in Makefile regress.conf relprefetch.control relprefetch--*.sql \
			corpus demo examples sql expected t input output data; do
			if [ -e "$f" ]; then
				items+=("$f")
			fi
		done
		cp -R -- "${items[@]}" "$1/"
	)
	rp_give_to_pg "$1"
}

# Hand files copied in by root over to the cluster owner.
rp_give_to_pg() {
	if rp_is_root; then
		chown -R "$RP_PG_USER:" "$@"
	fi
}

# rp_stop_clusters DIR: stop every server whose data directory lies under DIR.
# Only clusters this project's scripts created live there, so nothing else is
# touched. Used by EXIT traps; must never fail.
rp_stop_clusters() {
	local dir=$1 pidfile bindir
	[ -d "$dir" ] || return 0
	bindir=$(rp_bindir 2>/dev/null) || return 0
	while IFS= read -r -d '' pidfile; do
		rp_say "stopping leftover server in ${pidfile%/postmaster.pid}"
		rp_as_pg "$dir" "$bindir/pg_ctl" -D "${pidfile%/postmaster.pid}" \
			stop -m immediate -w >/dev/null 2>&1 || true
	done < <(find "$dir" -name postmaster.pid -print0 2>/dev/null)
}

# rp_sockdir DIR: set RP_SOCKDIR to the folder for a cluster's unix socket:
# DIR, or a fresh /tmp folder given to the cluster owner when DIR is too
# deep (a socket path is limited to 107 bytes); RP_SOCKDIR_TEMP is then 1,
# so that the caller removes it.
# shellcheck disable=SC2034 # both are for the callers
rp_sockdir() {
	RP_SOCKDIR=$1
	RP_SOCKDIR_TEMP=0
	if [ $((${#RP_SOCKDIR} + 20)) -gt 100 ]; then
		RP_SOCKDIR=$(mktemp -d /tmp/relprefetch-sock.XXXXXX)
		RP_SOCKDIR_TEMP=1
		rp_give_to_pg "$RP_SOCKDIR"
	fi
}

# rp_show_log FILE [LINES]: print the last LINES (default 40) lines of FILE
# under a header naming it, or say that it is missing or empty: a failure
# message must show the log that says why, or that there is none.
rp_show_log() {
	local file=$1 lines=${2:-40}
	if [ ! -e "$file" ]; then
		echo "----- $file: missing -----"
	elif [ ! -s "$file" ]; then
		echo "----- $file: empty -----"
	else
		echo "----- $file (last $lines lines) -----"
		tail -n "$lines" "$file"
		echo "----- end of $file -----"
	fi
}

# rp_quietly LOG WHAT CMD...: run CMD with its output (stdout and stderr) in
# LOG, after saying "WHAT (log: LOG)". On failure print the end of LOG and
# exit; on success remove LOG. For installs and builds whose output only
# matters when they fail.
rp_quietly() {
	local log=$1 what=$2 rc=0
	shift 2
	rp_say "$what (log: $log)"
	"$@" >"$log" 2>&1 </dev/null || rc=$?
	if [ "$rc" -ne 0 ]; then
		rp_show_log "$log" 40
		rp_die "$what failed (status $rc); the whole output is in $log"
	fi
	rm -f "$log"
}

# rp_stop_server RC WORK DATA WHAT: for an EXIT trap. When RC is not 0, show
# the end of WORK/server.log (unless RP_SERVER_LOG_SHOWN is 1); then stop the server of DATA if it runs (fast,
# else immediate). WHAT names it in the message ("demo", "benchmark").
rp_stop_server() {
	local rc=$1 work=$2 data=$3 what=$4 bindir
	# RP_SERVER_LOG_SHOWN=1: the caller has shown it already.
	if [ "$rc" -ne 0 ] && [ -f "$work/server.log" ] &&
		[ "${RP_SERVER_LOG_SHOWN:-0}" -ne 1 ]; then
		rp_show_log "$work/server.log" 40
	fi
	if [ -f "$data/postmaster.pid" ]; then
		rp_say "stopping the $what server"
		bindir=$(rp_bindir)
		rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" stop -m fast -w >/dev/null 2>&1 ||
			rp_as_pg "$work" "$bindir/pg_ctl" -D "$data" stop -m immediate -w >/dev/null 2>&1 ||
			true
	fi
}
