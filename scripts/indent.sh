#!/usr/bin/env bash
# Check (or fix) the formatting of src/*.c and src/*.h: PostgreSQL's, as
# pgindent gives it. Runs pg_bsd_indent (Debian package pg-bsd-indent,
# installed by setup.sh) with pgindent's options and the type names in
# typedefs.list, then the two fixes of pgindent's own post-processing that
# our code needs (a lone "*" of a function's return type, and comments run
# together on one line).
#
# Usage: scripts/indent.sh [--write] [FILE...]
#   --write   rewrite the files that differ, instead of showing the diff
#   FILE...   the files to look at (default: src/*.c src/*.h)
#
# Exits 1 when a file differs (without --write). typedefs.list must name
# every type of ours and every PostgreSQL type our declarations use: a
# missing one shows as "Type * name" in the diff.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

write=0
files=()
for arg in "$@"; do
	case $arg in
	--write) write=1 ;;
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	-*) rp_die "unknown option: $arg (try --help)" ;;
	*) files+=("$arg") ;;
	esac
done
if [ ${#files[@]} -eq 0 ]; then
	files=("$RP_ROOT"/src/*.c "$RP_ROOT"/src/*.h)
fi
command -v pg_bsd_indent >/dev/null ||
	rp_die "pg_bsd_indent not found: apt-get install pg-bsd-indent (or run scripts/setup.sh)"

# pgindent's options (src/tools/pgindent/pgindent)
opts=(-bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l79
	-lp -lpl -nip -npro -sac -tpg -ts4 "-U$RP_ROOT/typedefs.list")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

differ=0
for f in "${files[@]}"; do
	out="$tmp/${f##*/}"
	pg_bsd_indent "${opts[@]}" "$f" "$out.raw" 2>"$tmp/err" ||
		rp_die "pg_bsd_indent failed on $f: $(cat "$tmp/err")"
	perl -pe 's!^([A-Za-z_]\S*)[ \t]+\*$!$1 *!; s!\*/(/\*.*\*/)$!*/\t$1!' \
		"$out.raw" >"$out"
	if ! cmp -s "$f" "$out"; then
		differ=1
		if [ $write -eq 1 ]; then
			cp "$out" "$f"
			rp_say "reformatted $f"
		else
			diff -u "$f" "$out" | sed "s|$tmp/|formatted: |" || true
		fi
	fi
done
if [ $write -eq 0 ] && [ $differ -eq 1 ]; then
	echo "formatting differs: scripts/indent.sh --write fixes it" >&2
	exit 1
fi
