#!/usr/bin/env bash
# Check the release metadata: META.json against PGXN's meta spec 1.0.0
# (required keys, their types, semantic versions, a known licence string,
# files that exist), and that the version stated in relprefetch.control
# (default_version: the one source of the version) is the one META.json,
# debian/changelog and the newest upgrade script give, and that the oldest
# PostgreSQL of META.json is the one debian/pgversions names.
#
# Usage: scripts/meta.sh
#
# Prints each problem and exits 1 when there is one; needs python3.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for arg in "$@"; do
	case $arg in
	-h | --help)
		rp_help "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) rp_die "unknown option: $arg (try --help)" ;;
	esac
done

cd "$RP_ROOT"
python3 - <<'PY'
import json, os, re, sys

problems = []
def bad(msg):
    problems.append(msg)

SEMVER = re.compile(r'^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)'
                    r'(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$')
LICENSES = {'agpl_3', 'apache_1_1', 'apache_2_0', 'artistic_1', 'artistic_2',
            'bsd', 'freebsd', 'gfdl_1_2', 'gfdl_1_3', 'gpl_1', 'gpl_2',
            'gpl_3', 'lgpl_2_1', 'lgpl_3_0', 'mit', 'mozilla_1_0',
            'mozilla_1_1', 'openssl', 'perl_5', 'postgresql', 'qpl_1_0',
            'ssleay', 'sun', 'zlib', 'open_source', 'restricted',
            'unrestricted', 'unknown'}

try:
    meta = json.load(open('META.json'))
except (OSError, ValueError) as e:
    sys.exit(f'META.json: {e}')

for key, kind in (('name', str), ('abstract', str), ('version', str),
                  ('maintainer', (str, list)), ('license', (str, list, dict)),
                  ('provides', dict), ('meta-spec', dict)):
    if key not in meta:
        bad(f'META.json: "{key}" is required')
    elif not isinstance(meta[key], kind):
        bad(f'META.json: "{key}" has the wrong type')
if meta.get('meta-spec', {}).get('version') != '1.0.0':
    bad('META.json: meta-spec version must be 1.0.0')
if not SEMVER.match(str(meta.get('version', ''))):
    bad(f'META.json: version {meta.get("version")!r} is not a semantic version')
lic = meta.get('license')
if isinstance(lic, str) and lic not in LICENSES:
    bad(f'META.json: license {lic!r} is not one the spec names')
if meta.get('release_status', 'stable') not in ('stable', 'testing', 'unstable'):
    bad('META.json: release_status must be stable, testing or unstable')
for ext, p in meta.get('provides', {}).items():
    for key in ('file', 'version'):
        if key not in p:
            bad(f'META.json: provides.{ext}: "{key}" is required')
    if not SEMVER.match(str(p.get('version', ''))):
        bad(f'META.json: provides.{ext}.version is not a semantic version')
    for key in ('file', 'docfile'):
        if key in p and not os.path.isfile(p[key]):
            bad(f'META.json: provides.{ext}.{key}: no file {p[key]}')
for phase, rel in meta.get('prereqs', {}).items():
    if phase not in ('configure', 'build', 'test', 'runtime', 'develop'):
        bad(f'META.json: prereqs phase {phase!r} unknown')
    for r, mods in rel.items():
        if r not in ('requires', 'recommends', 'suggests', 'conflicts'):
            bad(f'META.json: prereqs.{phase}: relationship {r!r} unknown')
        for mod, v in mods.items():
            if not SEMVER.match(str(v)) and str(v) != '0':
                bad(f'META.json: prereqs {mod} {v!r} is not a semantic version')

# The version: stated in relprefetch.control, repeated where a format
# requires it.
control = open('relprefetch.control').read()
m = re.search(r"^default_version = '([^']*)'$", control, re.M)
version = m.group(1) if m else None
if version is None:
    bad('relprefetch.control: no default_version')
else:
    for where, v in (('META.json version', meta.get('version')),
                     ('META.json provides.relprefetch.version',
                      meta.get('provides', {}).get('relprefetch', {}).get('version'))):
        if v != version:
            bad(f'{where} is {v}, relprefetch.control says {version}')
    first = open('debian/changelog').readline()
    m = re.match(r'^relprefetch \(([^)]*)\)', first)
    if not m or m.group(1) != version:
        bad(f'debian/changelog: first entry {first.strip()!r} is not version {version}')
    ups = [f for f in os.listdir('.') if re.match(r'relprefetch--[\d.]+--' + re.escape(version) + r'\.sql$', f)]
    if not ups and not os.path.isfile(f'relprefetch--{version}.sql'):
        bad(f'no install or upgrade script reaches version {version}')

# The oldest PostgreSQL: META.json and debian/pgversions agree.
pg = meta.get('prereqs', {}).get('runtime', {}).get('requires', {}).get('PostgreSQL')
oldest = open('debian/pgversions').read().split()[0].rstrip('+')
if pg is None or pg.split('.')[0] != oldest:
    bad(f'META.json requires PostgreSQL {pg}, debian/pgversions says {oldest}+')

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f'META.json valid; version {version} everywhere')
PY
