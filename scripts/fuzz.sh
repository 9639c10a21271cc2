#!/usr/bin/env bash
# Run the fuzz test (t/013_fuzz.pl) for longer than the test suite does,
# against the installed extension, as the cluster owner, in a copy of the
# test material inside a work folder (see rp_workdir in lib.sh).
#
# Usage: scripts/fuzz.sh [--seconds N] [--seed S] [--avoid-known]
#                        [--families LIST] [--log-all] [--keep] [--no-setup]
#
#   --seconds N     time given to the random inputs (default 600)
#   --seed S        seed of the input streams (default: the test's, 20241125);
#                   a run is repeated by giving the same seed
#   --avoid-known   leave out the inputs that hit the bugs of the fixed cases
#                   (t/RelprefetchFuzz.pm, fixed_cases), to look for others
#   --families LIST only these input families, comma-separated (json,
#                   children, fragment, guc, sequence, detect, oracle)
#   --log-all       log every statement (log_statement = all), so that what
#                   a session ran before a failure can be replayed
#   --keep          keep the work folder (the server log and the TAP log)
#                   even when the run passes and it is a temporary one (a
#                   work folder in the checkout's tmp/ is always kept)
#   --no-setup      fuzz the installed build: do not run scripts/setup.sh
#                   (which installs packages, builds and installs the
#                   extension)
#
# The figures (inputs by family, outcomes by SQLSTATE) and every failure
# are printed at the end. Exits non-zero when an input crashed the server,
# failed with an internal error, or the extension misbehaved afterwards.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds=600
seed=
avoid_known=0
families=
log_all=0
keep=0
setup=1
while [ $# -gt 0 ]; do
	case $1 in
	--seconds)
		[ $# -ge 2 ] || rp_die "--seconds needs a value"
		seconds=$2
		shift
		;;
	--seed)
		[ $# -ge 2 ] || rp_die "--seed needs a value"
		seed=$2
		shift
		;;
	--avoid-known) avoid_known=1 ;;
	--families)
		[ $# -ge 2 ] || rp_die "--families needs a value"
		families=$2
		shift
		;;
	--log-all) log_all=1 ;;
	--keep) keep=1 ;;
	--no-setup) setup=0 ;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $1 (try --help)" ;;
	esac
	shift
done
case $seconds in
'' | *[!0-9]*) rp_die "--seconds must be a whole number of seconds: $seconds" ;;
esac
case $seed in
*[!0-9]*) rp_die "--seed must be a whole number: $seed" ;;
esac
case $families in
*[!a-z,]*) rp_die "--families must be a comma-separated list of names: $families" ;;
esac

if [ "$setup" -eq 1 ]; then
	bash "$RP_ROOT/scripts/setup.sh"
fi
bindir=$(rp_bindir)

rp_workdir fuzz
work=$RP_WORK

# The TAP framework stops its server itself, except when killed halfway;
# then the leftover is in $work and is stopped here.
on_exit() {
	rp_stop_clusters "$work"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rp_copy_tests "$work"

rp_say "fuzzing for $seconds s${seed:+ with seed $seed}"
env_vars=(RP_FUZZ_SECONDS="$seconds" RP_FUZZ_AVOID_KNOWN="$avoid_known"
	RP_FUZZ_FAMILIES="$families" RP_FUZZ_LOG_ALL="$log_all")
if [ -n "$seed" ]; then
	env_vars+=(RP_FUZZ_SEED="$seed")
fi
rc=0
rp_as_pg "$work" env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGDATABASE \
	-u PGUSER -u PGSERVICE -u PGOPTIONS -u PGDATA \
	PATH="$bindir:$PATH" LC_ALL=C.UTF-8 LANG=C.UTF-8 "${env_vars[@]}" \
	make --no-print-directory PG_CONFIG="$PG_CONFIG" installcheck \
	REGRESS= PROVE_TESTS=t/013_fuzz.pl 2>&1 | tee "$work/fuzz.log" || rc=$?

# The figures and the failures are in the TAP log (prove shows only the
# failures)
tap_log="$work/tmp_check/log/regress_log_013_fuzz"
if [ -f "$tap_log" ]; then
	echo "----- figures -----"
	sed -n 's/^\[[^]]*\]([^)]*) # \(fuzz: .*\)$/\1/p;
		s/^\[[^]]*\]([^)]*) # \(\(json\|children\|fragment\|guc\|sequence\|detect\|oracle\|rebuild\|total\|evictions:\|statements after\) .*\)$/\1/p;
		s/^\[[^]]*\]([^)]*) # \(outcomes by SQLSTATE: .*\)$/\1/p;
		s/^\[[^]]*\]([^)]*) # \(three crashes.*\)$/\1/p' "$tap_log"
fi
if [ "$rc" -ne 0 ] || [ "$keep" -eq 1 ]; then
	rp_say "kept $work (server log: tmp_check/log/013_fuzz_main.log, TAP log: tmp_check/log/regress_log_013_fuzz)"
elif [ "$RP_WORK_TEMP" -eq 1 ]; then
	trap - EXIT
	on_exit
	rm -rf "$work"
fi
if [ "$rc" -gt 128 ]; then
	rp_die "interrupted (status $rc)"
fi
if [ "$rc" -ne 0 ]; then
	rp_die "the fuzz run failed (see above)"
fi
rp_say "the fuzz run passed"
