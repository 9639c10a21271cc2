#!/usr/bin/env bash
# Every test, on every PostgreSQL major we test. On the host's own major
# (15 on Debian 12; the one PG_CONFIG points to), with Debian's build: the
# release metadata (scripts/meta.sh), the formatting of src/
# (scripts/indent.sh), the pg_regress suite (REGRESS in the Makefile) and
# the TAP suite (t/*.pl) against the installed extension, as the cluster
# owner, in a copy of the test material inside a work folder (see
# rp_workdir in lib.sh). Then the same major built with assertions and
# valgrind support (scripts/assert_build.sh: built once, 10 to 23 minutes,
# then cached): relprefetch built and installed into it, the pg_regress and
# TAP suites again (the detection-quality corpus, t/015_corpus.pl, skips:
# it ran on Debian's build; t/014_memory.pl makes 100,000 calls per phase,
# not a million) and the pg_regress suite with the server under valgrind
# (scripts/valgrind.sh). On the other majors, each in a Debian
# chroot (scripts/versions.sh): the pg_regress and TAP suites. Then the
# Debian package, built and tested in a clean chroot (scripts/package.sh).
#
# Usage: scripts/test.sh [--regress-only | --tap-only] [--no-valgrind]
#                        [--no-assert] [--no-format] [--versions=LIST]
#                        [--no-package] [--no-corpus]
#   --regress-only    only the pg_regress suite (and the package)
#   --tap-only        only the TAP suite (no package)
#   --no-valgrind     skip the run under valgrind
#   --no-assert       skip the assert-enabled build; valgrind then runs
#                     on Debian's build (which has no valgrind support)
#   --no-format       skip the formatting check
#   --versions=LIST   the majors to test, e.g. --versions=15,17
#                     (default: 15 17 18 19, 19 being Debian
#                     experimental's release candidate); the host's runs
#                     here, the others in chroots (needs root)
#   --no-package      skip the Debian package
#   --no-corpus       leave out the detection-quality corpus (t/015_corpus.pl
#                     skips, and setup.sh installs only Django of its
#                     runtimes): scripts/versions.sh's chroots, where
#                     detection is the host's and npm's registry may not be
#                     reachable
#
# RP_ASSERT_DIR chooses where the assert-enabled build is cached (default
# /var/cache/relprefetch/pg-assert-15); building it needs root.
#
# On failure prints regression.diffs and the server/TAP logs of what failed.
# The last line is "N passed, N failed" (the metadata and formatting checks,
# pg_regress tests, TAP files and the valgrind run, as one each, on every
# major and build, and the package build); exits non-zero when anything
# failed.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

run_regress=1
run_tap=1
run_valgrind=1
run_assert=1
run_format=1
run_package=1
no_corpus=0
versions="15 17 18 19"
for arg in "$@"; do
	case $arg in
	--regress-only) run_tap=0 run_valgrind=0 ;;
	--tap-only) run_regress=0 run_valgrind=0 ;;
	--no-valgrind) run_valgrind=0 ;;
	--no-assert) run_assert=0 ;;
	--no-format) run_format=0 ;;
	--no-package) run_package=0 ;;
	--no-corpus) no_corpus=1 ;;
	--versions=*) versions=${arg#--versions=} versions=${versions//,/ } ;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $arg (try --help)" ;;
	esac
done
if [ $run_regress -eq 0 ] && [ $run_tap -eq 0 ]; then
	rp_die "--regress-only and --tap-only exclude each other"
fi
if [ $run_regress -eq 0 ]; then
	run_package=0
fi

# The host's major here; the others in chroots, after it.
host_major=$(rp_pg_major)
others=()
run_host=0
for v in $versions; do
	case $v in
	"$host_major") run_host=1 ;;
	[0-9]*) others+=("$v") ;;
	*) rp_die "--versions: not a major: $v" ;;
	esac
done
want_regress=$run_regress want_tap=$run_tap
if [ $run_host -eq 0 ]; then
	run_regress=0 run_tap=0 run_valgrind=0 run_format=0 run_assert=0
fi

setup_args=()
if [ $run_valgrind -eq 1 ]; then
	setup_args+=(--with-valgrind)
fi
if [ $run_format -eq 0 ]; then
	setup_args+=(--no-format)
fi
if [ $no_corpus -eq 1 ]; then
	setup_args+=(--no-corpus)
fi
if [ $run_host -eq 1 ]; then
	bash "$RP_ROOT/scripts/setup.sh" ${setup_args[@]+"${setup_args[@]}"}
fi
bindir=$(rp_bindir)

rp_workdir test
work=$RP_WORK

# pg_regress and the TAP framework stop their servers themselves, except
# when killed halfway; then the leftovers are in $work and are stopped here.
on_exit() {
	rp_stop_clusters "$work"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rp_copy_tests "$work"

# A fixed locale makes expected output the same on every machine: the
# temporary clusters inherit it. Stray PG* variables must not redirect
# pg_regress or the TAP tests to some other server. memory_calls, when
# set, scales t/014_memory.pl (RELPREFETCH_MEMORY_CALLS).
memory_calls=
run_make() {
	rp_as_pg "$work" env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGDATABASE \
		-u PGUSER -u PGSERVICE -u PGOPTIONS -u PGDATA \
		PATH="$bindir:$PATH" LC_ALL=C.UTF-8 LANG=C.UTF-8 \
		RP_CORPUS_NODE_MODULES="$RP_CORPUS_NPM_DIR/node_modules" \
		RP_NO_CORPUS="$no_corpus" \
		${memory_calls:+RELPREFETCH_MEMORY_CALLS="$memory_calls"} \
		make --no-print-directory PG_CONFIG="$PG_CONFIG" "$@"
}

# make itself killed by a signal (Ctrl-C, a CI timeout) means stop here.
# Bash would not run its INT trap: the children die of the signal, but
# runuser exits normally with 128+N, and bash then ignores its own SIGINT.
interrupted() {
	if [ "$1" -gt 128 ]; then
		rp_die "interrupted (status $1)"
	fi
}

passed=0
failed=0

# The metadata and the formatting first: quick, and a reformatted file
# must not hide behind a long run.
# quick_check WHAT CMD...: a check that counts as one, passed or failed.
quick_check() {
	rp_say "$1"
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}
if [ $run_host -eq 1 ]; then
	quick_check "release metadata (scripts/meta.sh)" bash "$RP_ROOT/scripts/meta.sh"
fi
if [ $run_format -eq 1 ]; then
	quick_check "formatting (scripts/indent.sh)" bash "$RP_ROOT/scripts/indent.sh"
fi

# regress_suite DIR LABEL: the pg_regress suite against the PostgreSQL of
# PG_CONFIG, in DIR (a copy of the test material); LABEL names the build.
regress_suite() {
	local work=$1 label=$2 expected rc ok bad
	rp_say "pg_regress tests$label"
	# shellcheck disable=SC2016 # $(REGRESS) is for make
	expected=$(make -s --no-print-directory -C "$work" PG_CONFIG="$PG_CONFIG" \
		--eval 'rp-print-regress: ; @echo $(REGRESS)' rp-print-regress | wc -w)
	# TAP_TESTS emptied: the TAP run below must happen even when this fails,
	# and make would stop at the first failing recipe line.
	rc=0
	run_make installcheck TAP_TESTS= 2>&1 | tee "$work/regress.log" || rc=$?
	interrupted "$rc"
	# pg_regress up to 15 prints "test x ... ok", from 16 "ok 1 - x".
	read -r ok bad < <(awk '
		/ \.\.\. ok( |$)/ || /^ok [0-9]+ / { ok++ }
		/ \.\.\. (FAILED|failed)/ || /^not ok [0-9]+ / { bad++ }
		END { print ok + 0, bad + 0 }' "$work/regress.log")
	# Tests pg_regress never got to (it could not start its server, ...)
	# count as failed.
	if [ "$rc" -ne 0 ] && [ $((ok + bad)) -lt "$expected" ]; then
		bad=$((expected - ok))
	fi
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
	if [ "$rc" -ne 0 ]; then
		if [ -s "$work/regression.diffs" ]; then
			echo "----- regression.diffs -----"
			cat "$work/regression.diffs"
		fi
		# initdb.log only matters when initdb itself failed.
		if [ ! -f "$work/log/postmaster.log" ] && [ -f "$work/log/initdb.log" ]; then
			rp_show_log "$work/log/initdb.log" 50
		fi
		if [ -f "$work/log/postmaster.log" ]; then
			echo "----- log/postmaster.log: crashes -----"
			grep -E 'terminated by signal|TRAP:|PANIC:' \
				"$work/log/postmaster.log" || echo "(none)"
			# Also when the server did not start: the reason is there.
			rp_show_log "$work/log/postmaster.log" 60
		fi
		echo "----- end of pg_regress failure output -----"
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

# tap_suite DIR LABEL: the TAP suite, as regress_suite.
tap_suite() {
	local work=$1 label=$2 tap_files total bad_files rc ok bad logdir f name log
	shopt -s nullglob
	tap_files=("$work"/t/*.pl)
	shopt -u nullglob
	if [ ${#tap_files[@]} -eq 0 ]; then
		rp_say "no TAP tests (t/*.pl), skipping"
	else
		rp_say "TAP tests$label"
		rc=0
		run_make installcheck REGRESS= 2>&1 | tee "$work/tap.log" || rc=$?
		interrupted "$rc"
		# prove's closing lines: "Files=N, Tests=..." and, when something
		# failed, a "Test Summary Report" naming each failed file
		# ("t/x.pl (Wstat: 256 ...)").
		total=$(sed -n 's/^Files=\([0-9]*\),.*/\1/p' "$work/tap.log" | tail -n 1)
		mapfile -t bad_files < <(sed -n 's/^\([^ ]*\.pl\) *(Wstat:.*/\1/p' "$work/tap.log")
		if [ -z "$total" ]; then
			# prove never finished: every file counts as failed.
			ok=0
			bad=${#tap_files[@]}
		else
			bad=${#bad_files[@]}
			ok=$((total - bad))
		fi
		if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
			bad=1
		fi
		if [ "$rc" -ne 0 ]; then
			logdir="$work/tmp_check/log"
			if [ ${#bad_files[@]} -eq 0 ]; then
				bad_files=("${tap_files[@]}")
			fi
			for f in "${bad_files[@]}"; do
				name=$(basename "$f" .pl)
				if [ -f "$logdir/regress_log_$name" ]; then
					echo "----- tmp_check/log/regress_log_$name (last 300 lines) -----"
					tail -n 300 "$logdir/regress_log_$name"
				fi
				for log in "$logdir/${name}"_*.log; do
					[ -f "$log" ] || continue
					echo "----- tmp_check/log/${log##*/} (last 60 lines) -----"
					tail -n 60 "$log"
				done
			done
			echo "----- end of TAP failure output -----"
		fi
		passed=$((passed + ok))
		failed=$((failed + bad))
	fi
}

# valgrind_run: the pg_regress suite under valgrind (scripts/valgrind.sh)
# against the PostgreSQL of PG_CONFIG, counted as one.
valgrind_run() {
	local rc
	rp_say "pg_regress tests under valgrind$1"
	rc=0
	bash "$RP_ROOT/scripts/valgrind.sh" --no-setup 2>&1 |
		tee "$work/valgrind.log" || rc=$?
	interrupted "$rc"
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}

if [ $run_regress -eq 1 ]; then
	regress_suite "$work" ""
fi
if [ $run_tap -eq 1 ]; then
	tap_suite "$work" ""
fi
if [ $run_valgrind -eq 1 ] && [ $run_assert -eq 0 ]; then
	valgrind_run " (Debian's build)"
fi

# The same major built with assertions and valgrind support: the suites
# again, in a copy of their own, and valgrind; the corpus ran above.
if [ $run_assert -eq 1 ]; then
	rp_say "the assert-enabled PostgreSQL (scripts/assert_build.sh)"
	t_assert=$SECONDS
	if bash "$RP_ROOT/scripts/assert_build.sh"; then
		rp_say "assert-enabled build ready in $((SECONDS - t_assert)) s"
		debian_pg_config=$PG_CONFIG
		PG_CONFIG=$(bash "$RP_ROOT/scripts/assert_build.sh" --print-pg-config)
		export PG_CONFIG
		bindir=$(rp_bindir)
		bash "$RP_ROOT/scripts/setup.sh" --no-format --no-corpus
		assert_work=$work/assert
		mkdir "$assert_work"
		rp_copy_tests "$assert_work"
		# The corpus ran on Debian's build; the memory test's million
		# calls per phase, three times slower with assertions, are cut
		# to its smallest run (100,000): its bounds hold there too.
		saved_no_corpus=$no_corpus
		no_corpus=1
		memory_calls=100000
		if [ $run_regress -eq 1 ]; then
			regress_suite "$assert_work" " (assert-enabled build)"
		fi
		if [ $run_tap -eq 1 ]; then
			tap_suite "$assert_work" " (assert-enabled build)"
		fi
		no_corpus=$saved_no_corpus
		memory_calls=
		if [ $run_valgrind -eq 1 ]; then
			valgrind_run " (assert-enabled build)"
		fi
		# The chroots and the package below go by the host's own build.
		PG_CONFIG=$debian_pg_config
		bindir=$(rp_bindir)
	else
		rp_warn "the assert-enabled PostgreSQL could not be built: its runs count as one failure"
		failed=$((failed + 1))
	fi
fi

# run_counted WHAT CMD...: run a script whose last line is "N passed, N
# failed" and add its counts (one failure when it printed none).
run_counted() {
	local what=$1 rc=0 last
	shift
	rp_say "$what"
	"$@" 2>&1 | tee "$work/counted.log" || rc=$?
	interrupted "$rc"
	last=$(tail -n 1 "$work/counted.log")
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
			failed=$((failed + 1))
		fi
	else
		failed=$((failed + 1))
	fi
}

if [ ${#others[@]} -gt 0 ]; then
	version_args=(--versions "${others[*]}")
	if [ $want_regress -eq 0 ]; then
		version_args+=(--tap-only)
	elif [ $want_tap -eq 0 ]; then
		version_args+=(--regress-only)
	fi
	run_counted "PostgreSQL ${others[*]} in chroots (scripts/versions.sh)" \
		bash "$RP_ROOT/scripts/versions.sh" "${version_args[@]}"
fi
if [ $run_package -eq 1 ]; then
	run_counted "the Debian package (scripts/package.sh)" \
		bash "$RP_ROOT/scripts/package.sh"
fi

# Stop leftovers before the summary so the summary is the last line.
trap - EXIT
on_exit
if [ "$RP_WORK_TEMP" -eq 1 ]; then
	if [ "$failed" -eq 0 ]; then
		rm -rf "$work"
	else
		rp_say "kept $work for inspection"
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
