#!/usr/bin/env bash
# Regenerates tests/fixtures/sign: keys and an X.509 chain made with the
# openssl CLI, a small model folder, OMS bundles signed by an independent
# Python implementation (sign_fixtures.py, python3-cryptography) and one
# bundle whose signature is made by `openssl dgst` over PAE bytes built here
# with printf. All key material is test-only.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tests/fixtures/sign
rm -rf "$out"
mkdir -p "$out/keys" "$out/model/sub" "$out/bundles"
k=$out/keys

# Keys: P-256/384/521, an encrypted P-256 key, and wrong key types.
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out $k/p256.pem
openssl ecparam -name secp384r1 -genkey -noout -out $k/p384.pem          # SEC1 "EC PRIVATE KEY"
openssl ecparam -name secp521r1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out $k/p521.pem
openssl pkcs8 -topk8 -in $k/p256.pem -v2 aes-256-cbc -passout pass:mats-test-password -out $k/p256-encrypted.pem
openssl ecparam -name secp256k1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out $k/secp256k1.pem
openssl genpkey -algorithm ed25519 -out $k/ed25519.pem
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out $k/rsa.pem 2>/dev/null
for n in p256 p384 p521 secp256k1 ed25519 rsa; do openssl pkey -in $k/$n.pem -pubout -out $k/$n.pub.pem; done

# Certificate chain: root CA -> intermediate CA -> leaf (codeSigning).
cat > $k/ext.cnf <<'CNF'
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[leaf]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning
subjectAltName=email:signer@example.com,URI:https://example.com/ci
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[leafnoku]
basicConstraints=critical,CA:FALSE
keyUsage=critical,keyEncipherment
subjectAltName=email:signer@example.com
CNF
openssl ecparam -name prime256v1 -genkey -noout -out $k/root.key
openssl req -x509 -new -key $k/root.key -subj "/CN=MATS Test Root CA/O=mats" -days 36500 \
  -set_serial 1 -out $k/root.pem -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign
openssl ecparam -name prime256v1 -genkey -noout -out $k/inter.key
openssl req -new -key $k/inter.key -subj "/CN=MATS Test Intermediate CA/O=mats" -out $k/inter.csr
openssl x509 -req -in $k/inter.csr -CA $k/root.pem -CAkey $k/root.key -set_serial 2 -days 36000 \
  -extfile $k/ext.cnf -extensions ca -out $k/inter.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out $k/leaf.key
openssl req -new -key $k/leaf.key -subj "/CN=model-signer/O=mats" -out $k/leaf.csr
openssl x509 -req -in $k/leaf.csr -CA $k/inter.pem -CAkey $k/inter.key -set_serial 3 -days 35000 \
  -extfile $k/ext.cnf -extensions leaf -out $k/leaf.pem 2>/dev/null
openssl x509 -req -in $k/leaf.csr -CA $k/inter.pem -CAkey $k/inter.key -set_serial 4 -days 35000 \
  -extfile $k/ext.cnf -extensions leafnoku -out $k/leaf-noku.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out $k/other-root.key
openssl req -x509 -new -key $k/other-root.key -subj "/CN=Other Root/O=elsewhere" -days 36500 \
  -set_serial 9 -out $k/other-root.pem -addext basicConstraints=critical,CA:TRUE
cat $k/inter.pem > $k/chain.pem
rm -f $k/*.csr $k/ext.cnf $k/other-root.key

# The model (the upstream reference fixture's two files plus one more).
printf 'signme-1\n' > $out/model/signme-1
printf 'signme-2' > $out/model/signme-2
printf 'weights \000\001\002\003' > $out/model/sub/weights.bin

# Independent Python signer.
/usr/bin/python3 tools/gen/sign_fixtures.py "$out"

# OpenSSL-signed bundle: the statement comes from the Python generator
# (statement-openssl.json); PAE and signature are made here.
st=$out/bundles/statement-openssl.json
n=$(wc -c < "$st")
{ printf 'DSSEv1 28 application/vnd.in-toto+json %s ' "$n"; cat "$st"; } > $out/bundles/pae-openssl.bin
openssl dgst -sha384 -sign $k/p384.pem -out $out/bundles/sig-openssl.der $out/bundles/pae-openssl.bin
hint=$(openssl pkey -pubin -in $k/p384.pub.pem -pubout | sha256sum | cut -d' ' -f1)
cat > $out/bundles/openssl-p384.sig <<JSON
{
  "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
  "verificationMaterial": {"publicKey": {"hint": "$hint"}, "tlogEntries": []},
  "dsseEnvelope": {
    "payload": "$(base64 -w0 < "$st")",
    "payloadType": "application/vnd.in-toto+json",
    "signatures": [{"sig": "$(base64 -w0 < $out/bundles/sig-openssl.der)", "keyid": ""}]
  }
}
JSON
rm -f $out/bundles/pae-openssl.bin $out/bundles/sig-openssl.der
echo "fixtures written to $out"
