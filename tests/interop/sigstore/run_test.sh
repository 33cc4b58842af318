#!/usr/bin/env bash
# ctest: mats-signed OMS bundles verify with the Sigstore JavaScript
# verifier (@sigstore/verify, pinned by package-lock.json); tampered ones
# must be rejected. Keyless bundles (the real public-good one and the
# private-instance fixtures of tools/gen/gen_keyless_fixtures.py) verify
# there with their trusted roots and identities; the bad variants must be
# rejected. If node or the npm packages are unavailable the test
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

# 4. Keyless bundles (Fulcio certificate, SCT, Rekor entry, RFC 3161
# timestamp) verified offline against a trusted root, with an identity
# policy (SAN + OIDC issuer). See docs/formats/sigstore-keyless-fixtures.md.
kjs() { node "$here/verify_keyless.js" "$@"; }
kexpect_reject() {
  local what=$1; shift
  if kjs "$@" 2>"$tmp/err"; then
    echo "FAIL: sigstore-js accepted $what" >&2; exit 1
  fi
  echo "ok: rejected $what: $(head -c 200 "$tmp/err")"
}
pg=$fix/keyless/public-good
pv=$fix/keyless/private
pg_id=stefanb@us.ibm.com
pg_iss=https://sigstore.verify.ibm.com/oauth2
pv_id=$(node -e 'console.log(require(process.argv[1]).identity)' "$pv/identity.json")
pv_iss=$(node -e 'console.log(require(process.argv[1]).issuer)' "$pv/identity.json")
[ "$pv_id" = mats-test@example.com ] && [ "$pv_iss" = https://issuer.mats.test ] ||
  { echo "FAIL: unexpected identity.json: $pv_id $pv_iss" >&2; exit 1; }
# 4a. The real public-good bundle and the private-instance bundle verify.
kjs "$pg/model.sig" "$pg/trusted_root.json" "$pg_id" "$pg_iss"
kjs "$pv/model.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
# The statement's root digest is the one mats computes for the fixture model.
want=$("$mats" hash "$pv/model" --format json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).root_digest))')
got=$(node -e '
const b=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
console.log(JSON.parse(Buffer.from(b.dsseEnvelope.payload,"base64")).subject[0].digest.sha256)' "$pv/model.sig")
[ "$want" = "$got" ] || { echo "FAIL: private model root digest: mats $want, bundle $got" >&2; exit 1; }
# 4b. Identity policy.
kexpect_reject "a wrong identity (public-good)" "$pg/model.sig" "$pg/trusted_root.json" "someone@us.ibm.com" "$pg_iss"
kexpect_reject "a wrong issuer (public-good)" "$pg/model.sig" "$pg/trusted_root.json" "$pg_id" "https://accounts.google.com"
kexpect_reject "a wrong identity (private)" "$pv/model.sig" "$pv/trusted_root.json" "other@example.com" "$pv_iss"
kexpect_reject "an identity prefix (private)" "$pv/model.sig" "$pv/trusted_root.json" "mats-test@example.co" "$pv_iss"
kexpect_reject "a wrong issuer (private)" "$pv/model.sig" "$pv/trusted_root.json" "$pv_id" "https://issuer.mats.test/"
# 4c. The wrong trusted root.
kexpect_reject "the private bundle against the public-good root" "$pv/model.sig" "$pg/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "the public-good bundle against the private root" "$pg/model.sig" "$pv/trusted_root.json" "$pg_id" "$pg_iss"
# 4d. The generated variants, each wrong in one way.
kexpect_reject "a leaf without an SCT (no-sct.sig)" "$pv/no-sct.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a log entry integrated after the leaf expired (expired.sig)" "$pv/expired.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a log entry for another signature (other-body.sig)" "$pv/other-body.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a leaf from an untrusted look-alike CA (other-ca.sig)" "$pv/other-ca.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a checkpoint not signed by the log (bad-checkpoint.sig)" "$pv/bad-checkpoint.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
# 4e. Tampering with the valid private bundle.
node -e '
const fs=require("fs"); const [src,dir]=process.argv.slice(1);
const b=JSON.parse(fs.readFileSync(src,"utf8"));
const w=(n,o)=>fs.writeFileSync(dir+"/"+n,JSON.stringify(o));
const flip=(s)=>{const x=Buffer.from(s,"base64"); x[x.length-1]^=1; return x.toString("base64");};
let t=structuredClone(b); t.dsseEnvelope.signatures[0].sig=flip(t.dsseEnvelope.signatures[0].sig); w("k-sig.sig",t);
t=structuredClone(b); let e=t.verificationMaterial.tlogEntries[0];
e.inclusionPromise.signedEntryTimestamp=flip(e.inclusionPromise.signedEntryTimestamp); w("k-set.sig",t);
t=structuredClone(b); e=t.verificationMaterial.tlogEntries[0];
e.inclusionProof.hashes[1]=flip(e.inclusionProof.hashes[1]); w("k-proof.sig",t);
t=structuredClone(b); e=t.verificationMaterial.tlogEntries[0]; e.integratedTime=String(Number(e.integratedTime)+1); w("k-time.sig",t);
t=structuredClone(b); let ts=t.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0];
ts.signedTimestamp=flip(ts.signedTimestamp); w("k-tsa.sig",t);
t=structuredClone(b); let c=Buffer.from(t.verificationMaterial.certificate.rawBytes,"base64");
c[c.length-1]^=1; t.verificationMaterial.certificate.rawBytes=c.toString("base64"); w("k-cert.sig",t);
' "$pv/model.sig" "$tmp"
kexpect_reject "a flipped DSSE signature bit" "$tmp/k-sig.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a flipped SET bit" "$tmp/k-set.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a changed inclusion-proof hash" "$tmp/k-proof.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a changed integratedTime" "$tmp/k-time.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a flipped RFC 3161 signature bit" "$tmp/k-tsa.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
kexpect_reject "a flipped certificate signature bit" "$tmp/k-cert.sig" "$pv/trusted_root.json" "$pv_id" "$pv_iss"
echo "PASS: sigstore-js interop"
