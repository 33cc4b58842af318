#!/usr/bin/env bash
# The main job from README.md: installs dependencies, builds, and scans the
# example models shipped in examples/ (benign and malicious), printing the
# verdict of every file; then signs and verifies a copy of the benign
# examples (and catches a tampered file) and verifies a real keyless Sigstore
# signature offline. Exit code is mats scan's (1: malicious files found,
# which is expected for these examples).
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh
./build/cli/mats scan examples/
code=$?
echo "mats scan exited with $code (1 = findings at or above --fail-on, expected here)"

# Integrity: sign a copy of the benign examples with a fresh key, verify it,
# tamper with one file and verify again (names the changed file); then verify
# a real keyless signature from the public Sigstore instance offline.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/model"
cp -r examples/benign/. "$tmp/model/"
./build/cli/mats keygen --private-key "$tmp/key.pem" --public-key "$tmp/key.pub" >/dev/null
./build/cli/mats sign key "$tmp/model" --private-key "$tmp/key.pem" --no-progress
./build/cli/mats verify key "$tmp/model" --public-key "$tmp/key.pub" --no-progress
first=$(cd "$tmp/model" && find . -type f ! -name model.sig | sort | head -1)
printf 'tampered' >> "$tmp/model/$first"
./build/cli/mats verify key "$tmp/model" --public-key "$tmp/key.pub" --no-progress
echo "mats verify exited with $? (1 = the tampered file was caught, expected here)"
kl=tests/fixtures/sign/keyless/public-good
./build/cli/mats verify sigstore "$kl/model" --signature "$kl/model.sig" \
  --identity stefanb@us.ibm.com --identity-provider https://sigstore.verify.ibm.com/oauth2 --no-progress
exit $code
