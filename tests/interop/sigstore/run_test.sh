#!/usr/bin/env bash
# ctest: mats-signed OMS bundles verify with the Sigstore JavaScript
# verifier (@sigstore/verify, pinned by package-lock.json); tampered ones
# must be rejected. If node or the npm packages are unavailable the test
# FAILS (it never passes silently).
#   run_test.sh MATS_BINARY SOURCE_DIR
set -euo pipefail
mats=$1
src=$2
here=$src/tests/interop/sigstore
fix=$src/tests/fixtures/sign
command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }
if [ ! -d "$here/node_modules/@sigstore/verify" ]; then
  echo "node_modules missing: running npm ci (needs the npm registry)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) ||
    { echo "FAIL: npm ci failed; cannot run the sigstore-js verifier" >&2; exit 1; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
js() { node "$here/verify.js" "$@"; }
expect_reject() {
  local what=$1; shift
  if js "$@" 2>"$tmp/err"; then
    echo "FAIL: sigstore-js accepted $what" >&2; exit 1
  fi
  echo "ok: rejected $what: $(head -c 200 "$tmp/err")"
}

# 1. A model signed by mats with a fresh P-256 key.
mkdir -p "$tmp/model/sub"
printf 'weights' > "$tmp/model/w.bin"
printf '{"a":1}\n' > "$tmp/model/sub/config.json"
"$mats" keygen --private-key "$tmp/k.pem" --public-key "$tmp/k.pub.pem" >/dev/null
"$mats" sign key "$tmp/model" --private-key "$tmp/k.pem" --signature "$tmp/model.sig" --no-progress >/dev/null
root=$("$mats" hash "$tmp/model" --format json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).root_digest))')
js "$tmp/model.sig" "$tmp/k.pub.pem" "$root"
"$mats" verify key "$tmp/model" --public-key "$tmp/k.pub.pem" --signature "$tmp/model.sig" >/dev/null

# 2. The independent Python fixture (P-256) verifies there too.
js "$fix/bundles/py-p256.sig" "$fix/keys/p256.pub.pem"

# 3. Tampering must be rejected.
node -e '
const fs=require("fs"); const [src,dir]=process.argv.slice(1);
const b=JSON.parse(fs.readFileSync(src,"utf8"));
const w=(n,o)=>fs.writeFileSync(dir+"/"+n,JSON.stringify(o));
let t=structuredClone(b); let s=Buffer.from(t.dsseEnvelope.signatures[0].sig,"base64"); s[s.length-1]^=1;
t.dsseEnvelope.signatures[0].sig=s.toString("base64"); w("bad-sig.sig",t);
t=structuredClone(b); let p=JSON.parse(Buffer.from(t.dsseEnvelope.payload,"base64"));
p.predicate.resources[0].digest="00".repeat(32);
t.dsseEnvelope.payload=Buffer.from(JSON.stringify(p)).toString("base64"); w("bad-payload.sig",t);
t=structuredClone(b); t.mediaType="application/vnd.dev.sigstore.bundle.v9+json"; w("bad-media.sig",t);
t=structuredClone(b); t.verificationMaterial.publicKey.hint="00".repeat(32); w("bad-hint.sig",t);
' "$tmp/model.sig" "$tmp"
expect_reject "a flipped signature bit" "$tmp/bad-sig.sig" "$tmp/k.pub.pem"
expect_reject "a changed payload" "$tmp/bad-payload.sig" "$tmp/k.pub.pem"
expect_reject "an unknown media type" "$tmp/bad-media.sig" "$tmp/k.pub.pem"
expect_reject "a wrong key hint" "$tmp/bad-hint.sig" "$tmp/k.pub.pem"
expect_reject "another public key" "$tmp/model.sig" "$fix/keys/p256.pub.pem"
expect_reject "an unexpected root digest" "$tmp/model.sig" "$tmp/k.pub.pem" "$(printf '0%.0s' {1..64})"
# mats rejects the same tampered bundles.
for b in bad-sig bad-payload bad-hint; do
  if "$mats" verify key "$tmp/model" --public-key "$tmp/k.pub.pem" --signature "$tmp/$b.sig" >/dev/null 2>&1; then
    echo "FAIL: mats accepted $b" >&2; exit 1
  fi
done
echo "PASS: sigstore-js interop"
