#!/usr/bin/env bash
# ctest: `mats hash|sign|verify|keygen` end to end, exit codes (0 verified,
# 1 failed, 2 usage, 3 unreadable input) and dataset record proofs.
#   cli_test.sh MATS_BINARY SOURCE_DIR
set -uo pipefail
mats=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fix=$(cd "$2" && pwd)/tests/fixtures/sign
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
expect() {  # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL ($what): exit $got, want $want: $*"; cat "$tmp/out" "$tmp/err"; fails=$((fails + 1))
  else
    echo "ok: $what"
  fi
}
lacks() {
  if grep -q -- "$1" "$tmp/out"; then echo "FAIL: output has '$1'"; cat "$tmp/out"; fails=$((fails + 1)); fi
}
contains() {
  if ! grep -q -- "$1" "$tmp/out"; then echo "FAIL: output lacks '$1'"; cat "$tmp/out"; fails=$((fails + 1)); fi
}

cp -r "$fix/model" "$tmp/model"
expect 0 "hash" -- "$mats" hash "$tmp/model"
contains "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc  signme-1"
expect 0 "hash json shards" -- "$mats" hash "$tmp/model" --format json --hashing shards --shard-size 4096
contains '"signme-1:0:9"'
expect 2 "bad shard size" -- "$mats" hash "$tmp/model" --hashing shards --shard-size 1
expect 2 "unknown flag" -- "$mats" hash "$tmp/model" --no-such-flag
expect 3 "missing model" -- "$mats" hash "$tmp/nope"

expect 0 "keygen" -- "$mats" keygen --curve P-384 --private-key "$tmp/k.pem" --public-key "$tmp/k.pub" --format json
contains '"curve": "P-384"'
contains '"hint": "'

printf '\n' > "$tmp/empty-pass"
expect 2 "keygen with an empty passphrase file" -- "$mats" keygen --private-key "$tmp/e.pem" --public-key "$tmp/e.pub" --password-file "$tmp/empty-pass"
[ ! -e "$tmp/e.pem" ] || { echo "FAIL: key written despite an empty passphrase file"; fails=$((fails + 1)); }

expect 0 "sign key" -- "$mats" sign key "$tmp/model" --private-key "$tmp/k.pem"
[ -f "$tmp/model/model.sig" ] || { echo "FAIL: model.sig not written inside the model"; fails=$((fails + 1)); }
expect 0 "verify key" -- "$mats" verify key "$tmp/model" --public-key "$tmp/k.pub"
contains "VERIFIED"
expect 0 "verify json" -- "$mats" verify key "$tmp/model" --public-key "$tmp/k.pub" --format json
contains '"verified": true'
expect 1 "wrong key" -- "$mats" verify key "$tmp/model" --public-key "$fix/keys/p256.pub.pem"
contains "untrusted key"
printf 'tampered' > "$tmp/model/signme-2"
expect 1 "tampered file" -- "$mats" verify key "$tmp/model" --public-key "$tmp/k.pub"
contains "changed: signme-2"
expect 3 "malformed signature" -- "$mats" verify key "$tmp/model" --public-key "$tmp/k.pub" --signature "$fix/keys/p256.pem"
expect 2 "wrong key type" -- "$mats" sign key "$tmp/model" --private-key "$fix/keys/p256-encrypted.pem"
expect 3 "rsa key" -- "$mats" sign key "$tmp/model" --private-key "$fix/keys/rsa.pem" --signature "$tmp/x.sig"
expect 0 "encrypted key" -- "$mats" sign key "$tmp/model" --private-key "$fix/keys/p256-encrypted.pem" --password mats-test-password --signature "$tmp/enc.sig"
expect 0 "verify encrypted-key signature" -- "$mats" verify key "$tmp/model" --public-key "$fix/keys/p256.pub.pem" --signature "$tmp/enc.sig"

# Certificate mode, reference-style flag spellings.
expect 0 "sign certificate" -- "$mats" sign certificate "$tmp/model" --private_key "$fix/keys/leaf.key" \
  --signing_certificate "$fix/keys/leaf.pem" --certificate_chain "$fix/keys/chain.pem" --signature "$tmp/cert.sig"
expect 2 "no identity policy" -- "$mats" verify certificate "$tmp/model" --signature "$tmp/cert.sig" --certificate-chain "$fix/keys/root.pem"
expect 0 "verify certificate" -- "$mats" verify certificate "$tmp/model" --signature "$tmp/cert.sig" \
  --certificate-chain "$fix/keys/root.pem" --identity signer@example.com
expect 1 "identity mismatch" -- "$mats" verify certificate "$tmp/model" --signature "$tmp/cert.sig" \
  --certificate-chain "$fix/keys/root.pem" --identity evil@example.com
expect 1 "untrusted root" -- "$mats" verify certificate "$tmp/model" --signature "$tmp/cert.sig" \
  --certificate-chain "$fix/keys/other-root.pem" --any-identity

# Datasets: record manifest, signature, record-level diff and proofs.
mkdir -p "$tmp/ds"
for i in $(seq 0 99); do printf '{"id":%d,"text":"sample %d"}\n' "$i" "$i"; done > "$tmp/ds/train.jsonl"
printf 'id,text\n1,"multi\nline"\n2,plain\n' > "$tmp/ds/eval.csv"
expect 0 "hash records" -- "$mats" hash records "$tmp/ds"
contains "100 records  train.jsonl"
contains "3 records  eval.csv"
expect 0 "hash records json" -- "$mats" hash records "$tmp/ds" --format json
contains '"records": 100'
expect 0 "sign dataset" -- "$mats" sign key "$tmp/ds" --private-key "$fix/keys/p256.pem"
expect 0 "record proof" -- "$mats" hash record-proof "$tmp/ds" train.jsonl 42 -o "$tmp/proof.json"
expect 0 "verify record" -- "$mats" verify record "$tmp/proof.json" --records "$tmp/ds/mats-records.json" \
  --signature "$tmp/ds/model.sig" --public-key "$fix/keys/p256.pub.pem"
contains 'sample 42'
sed -i 's/"id":42,"text":"sample 42"/"id":42,"text":"POISONED"/' "$tmp/ds/train.jsonl"
printf '{"id":1000}\n' >> "$tmp/ds/train.jsonl"
expect 1 "poisoned dataset" -- "$mats" verify key "$tmp/ds" --public-key "$fix/keys/p256.pub.pem"
contains "changed records: 1 \[42\]"
contains "added records:   1 \[100\]"
expect 1 "proof for a changed record" -- "$mats" hash record-proof "$tmp/ds" train.jsonl 42
cp "$tmp/ds/mats-records.json" "$tmp/records-copy.json"
sed -i 's/"records": 100/"records": 101/' "$tmp/records-copy.json"
expect 1 "forged record manifest" -- "$mats" verify record "$tmp/proof.json" --records "$tmp/records-copy.json" \
  --signature "$tmp/ds/model.sig" --public-key "$fix/keys/p256.pub.pem"

# Record indices only come from a signed record manifest: one written after
# signing is not trusted for the record-level report.
mkdir -p "$tmp/ds2"
for i in $(seq 0 9); do printf '{"id":%d}\n' "$i"; done > "$tmp/ds2/train.jsonl"
expect 0 "sign dataset without records" -- "$mats" sign key "$tmp/ds2" --private-key "$fix/keys/p256.pem"
sed -i 's/"id":3}/"id":33}/' "$tmp/ds2/train.jsonl"
expect 0 "records written after signing" -- "$mats" hash records "$tmp/ds2"
expect 1 "unsigned record manifest" -- "$mats" verify key "$tmp/ds2" --public-key "$fix/keys/p256.pub.pem"
contains "changed: train.jsonl"
contains "extra:   mats-records.json"
contains "records not compared: mats-records.json is not covered by the signature"
lacks "changed records"

# Content the signed options refuse is a verification failure (1), not a
# usage error; a bad --ignore-paths of ours still is one (2).
cp -r "$fix/model" "$tmp/m3"
expect 0 "sign m3" -- "$mats" sign key "$tmp/m3" --private-key "$fix/keys/p256.pem"
ln -s signme-1 "$tmp/m3/planted-link"
expect 1 "planted symlink" -- "$mats" verify key "$tmp/m3" --public-key "$fix/keys/p256.pub.pem"
contains "manifest mismatch"
contains "planted-link"
rm "$tmp/m3/planted-link"
mkfifo "$tmp/m3/planted-fifo"
expect 1 "planted fifo" -- "$mats" verify key "$tmp/m3" --public-key "$fix/keys/p256.pub.pem"
contains "planted-fifo"
rm "$tmp/m3/planted-fifo"
expect 2 "escaping ignore path" -- "$mats" verify key "$tmp/m3" --public-key "$fix/keys/p256.pub.pem" --ignore-paths ../x
expect 0 "m3 verifies again" -- "$mats" verify key "$tmp/m3" --public-key "$fix/keys/p256.pub.pem"

# The incremental cache lives outside the model, and is not a signed ignore path.
expect 2 "cache inside the model" -- "$mats" sign key "$tmp/m3" --private-key "$fix/keys/p256.pem" --cache "$tmp/m3/c.json"
[ ! -e "$tmp/m3/c.json" ] || { echo "FAIL: cache written inside the model"; fails=$((fails + 1)); }
(cd "$tmp/m3" && "$mats" sign key . --private-key "$fix/keys/p256.pem" --cache ../c.json --format json >"$tmp/out" 2>"$tmp/err")
[ $? -eq 0 ] && [ -s "$tmp/c.json" ] || { echo "FAIL: sign with --cache ../c.json"; cat "$tmp/err"; fails=$((fails + 1)); }
expect 0 "verify after cached sign" -- "$mats" verify key "$tmp/m3" --public-key "$fix/keys/p256.pub.pem" --refuse-ignore-paths --format json
lacks "c.json"

# Keyless: a real public-good bundle verifies offline with the built-in
# trusted root and with an explicit one; identity, issuer, files checked.
kl=$2/tests/fixtures/sign/keyless/public-good
cp -r "$kl/model" "$tmp/kl"
id=(--identity stefanb@us.ibm.com --identity-provider https://sigstore.verify.ibm.com/oauth2)
expect 0 "verify sigstore (built-in root)" -- "$mats" verify sigstore "$tmp/kl" --signature "$kl/model.sig" "${id[@]}"
contains "VERIFIED"
contains "built-in public-good"
contains "inclusion proof at index 476246824"
expect 0 "verify sigstore json" -- "$mats" verify sigstore "$tmp/kl" --signature "$kl/model.sig" "${id[@]}" \
  --trust-config "$kl/trusted_root.json" --format json
contains '"verified": true'
contains '"evidence": \['
expect 1 "verify sigstore wrong identity" -- "$mats" verify sigstore "$tmp/kl" --signature "$kl/model.sig" \
  --identity someone@example.com --identity-provider https://sigstore.verify.ibm.com/oauth2
contains "identity mismatch"
expect 1 "verify sigstore wrong issuer" -- "$mats" verify sigstore "$tmp/kl" --signature "$kl/model.sig" \
  --identity stefanb@us.ibm.com --identity-provider https://accounts.google.com
contains "identity mismatch"
expect 2 "verify sigstore without identity" -- "$mats" verify sigstore "$tmp/kl" --signature "$kl/model.sig"
expect 3 "verify sigstore missing trust config" -- "$mats" verify sigstore "$tmp/kl" --signature "$kl/model.sig" \
  "${id[@]}" --trust-config "$tmp/none.json"
expect 2 "keyless bundle in key mode" -- "$mats" verify key "$tmp/kl" --signature "$kl/model.sig" \
  --public-key "$fix/keys/p256.pub.pem"
# verify record, keyless: the signature and identity are checked before the
# record manifest (this dataset has none).
expect 1 "verify record keyless, no record manifest" -- "$mats" verify record "$tmp/proof.json" \
  --records "$tmp/ds/mats-records.json" --signature "$kl/model.sig" "${id[@]}"
contains "does not cover a mats-records.json"
expect 1 "verify record keyless, wrong identity" -- "$mats" verify record "$tmp/proof.json" \
  --records "$tmp/ds/mats-records.json" --signature "$kl/model.sig" \
  --identity someone@example.com --identity-provider https://sigstore.verify.ibm.com/oauth2
contains "identity mismatch"
expect 2 "verify record keyless with a public key" -- "$mats" verify record "$tmp/proof.json" \
  --records "$tmp/ds/mats-records.json" --signature "$kl/model.sig" "${id[@]}" --public-key "$fix/keys/p256.pub.pem"
printf 'signme-2 poisoned' > "$tmp/kl/signme-2"
expect 1 "verify sigstore changed file" -- "$mats" verify sigstore "$tmp/kl" --signature "$kl/model.sig" "${id[@]}"
contains "changed: signme-2"

if [ "$fails" -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "PASS"
