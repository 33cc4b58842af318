#!/usr/bin/env bash
# End-to-end test of `mats scan`: exit codes, report formats, schema
# validation (our JSON schema, the official SARIF 2.1.0 schema), and the
# example folder shipped in the repo.
set -uo pipefail
mats=$1 src=$2 shared=$3
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then passes=$((passes + 1)); else
    echo "FAIL: $1: expected $2, got $3"; fails=$((fails + 1)); fi
}

mkdir -p "$tmp/clean" "$tmp/mixed"
echo "# a model card" > "$tmp/clean/README.md"
printf '\x00\x01\x02\x03' > "$tmp/mixed/blob.bin"
echo "text" > "$tmp/mixed/notes.txt"

"$mats" scan "$tmp/clean" > "$tmp/out.txt"; check "clean folder exits 0" 0 $?
grep -q "^CLEAN .*README.md" "$tmp/out.txt"; check "clean verdict printed" 0 $?
"$mats" scan "$tmp/mixed" > "$tmp/out.txt"; check "unknown format exits 3" 3 $?
grep -q "^NOT ANALYSABLE .*blob.bin" "$tmp/out.txt"; check "unknown file listed" 0 $?
grep -q "unrecognised format" "$tmp/out.txt"; check "reason given" 0 $?
"$mats" scan --no-such-flag "$tmp/clean" 2>/dev/null; check "usage error exits 2" 2 $?
"$mats" scan --limit nonsense=1 "$tmp/clean" 2>/dev/null; check "bad limit exits 2" 2 $?
"$mats" scan --fail-on severe "$tmp/clean" 2>/dev/null; check "bad severity exits 2" 2 $?
"$mats" scan --policy "$tmp/missing.json" "$tmp/clean" 2>/dev/null; check "missing policy exits 2" 2 $?
"$mats" scan "$tmp/does-not-exist" >/dev/null; check "missing path exits 3" 3 $?

"$mats" scan "$tmp" --format json -o "$tmp/r.json"; check "json exit" 3 $?
"$mats" scan "$tmp" --format sarif -o "$tmp/r.sarif"; check "sarif exit" 3 $?
$py "$src/tools/validate_json.py" "$src/docs/schemas/scan-report-v1.schema.json" "$tmp/r.json" >/dev/null
check "json report validates against docs/schemas" 0 $?
$py "$src/tools/validate_json.py" "$shared/schemas/sarif-2.1.0/sarif-schema-2.1.0.json" "$tmp/r.sarif" >/dev/null
check "sarif validates against the official schema" 0 $?
# The validator must be able to fail: break the SARIF version.
sed 's/"version": "2.1.0"/"version": "9.9"/' "$tmp/r.sarif" > "$tmp/bad.sarif"
$py "$src/tools/validate_json.py" "$shared/schemas/sarif-2.1.0/sarif-schema-2.1.0.json" "$tmp/bad.sarif" 2>/dev/null
check "broken sarif rejected" 1 $?

# The examples shipped in the repo: every file gets a verdict, malicious ones are found.
if [ -d "$src/examples" ]; then
  "$mats" scan "$src/examples" --format json -o "$tmp/ex.json"; code=$?
  check "examples contain malicious files (exit 1)" 1 $code
  $py "$src/tools/validate_json.py" "$src/docs/schemas/scan-report-v1.schema.json" "$tmp/ex.json" >/dev/null
  check "examples report validates" 0 $?
  $py - "$tmp/ex.json" "$src/examples/EXPECTED" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
expected = {}
for line in open(sys.argv[2]):
    line = line.strip()
    if line and not line.startswith("#"):
        name, verdict = line.split()
        expected[name] = verdict
got = {}
for f in report["files"]:
    rel = f["path"].split("/examples/", 1)[1]
    got[rel] = f["verdict"]
bad = 0
for name, verdict in expected.items():
    if got.get(name) != verdict:
        print(f"FAIL: examples/{name}: expected {verdict}, got {got.get(name)}")
        bad += 1
for name in got:
    if name not in expected and name != "EXPECTED" and name != "README.md":
        print(f"FAIL: examples/{name} has no expected verdict in examples/EXPECTED")
        bad += 1
sys.exit(1 if bad else 0)
PY
  check "examples verdicts match examples/EXPECTED" 0 $?
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
