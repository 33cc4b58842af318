#!/usr/bin/python3
"""Independent OMS signer for test fixtures (tests/fixtures/sign/bundles).

Follows ../shared/reference/oms-signature.md without using mats code:
canonical order, root digest, in-toto statement, DSSE PAE, Sigstore bundle
v0.3. Uses python3-cryptography (Debian 12). Run via tools/gen/sign_fixtures.sh.
"""
import base64
import hashlib
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

OUT = sys.argv[1]
MODEL = os.path.join(OUT, "model")
KEYS = os.path.join(OUT, "keys")
BUNDLES = os.path.join(OUT, "bundles")
GIT = [".git", ".gitattributes", ".github", ".gitignore"]


def files(root):
    out = []
    for d, dirs, names in os.walk(root):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/")
            out.append(rel)
    return out


def key_of(rel):
    return [c.encode("utf-8") for c in rel.split("/")]


def manifest(method="files", hash_type="sha256", shard=None, ignore=()):
    res = []
    names = sorted((f for f in files(MODEL) if not any(
        f == i or f.startswith(i + "/") for i in ignore)), key=key_of)
    for rel in names:
        data = open(os.path.join(MODEL, rel), "rb").read()
        h = (lambda b: hashlib.sha256(b)) if hash_type == "sha256" else (
            lambda b: hashlib.blake2b(b))
        if method == "files":
            res.append((rel, hash_type, h(data).digest()))
        else:
            for s in range(0, len(data), shard):
                e = min(s + shard, len(data))
                res.append((f"{rel}:{s}:{e}", f"{hash_type}-sharded-{shard}", h(data[s:e]).digest()))
    root = hashlib.sha256(b"".join(d for _, _, d in res)).hexdigest()
    return res, root


def statement(method="files", hash_type="sha256", shard=None, ignore=GIT, extra=None,
              protobuf_style=False):
    res, root = manifest(method, hash_type, shard, ignore)
    ser = {"method": method, "hash_type": hash_type, "allow_symlinks": False}
    if shard:
        # model_signing writes numbers through protobuf Struct: doubles.
        ser["shard_size"] = float(shard) if protobuf_style else shard
    ser["ignore_paths"] = list(ignore)
    pred = {"resources": [{"digest": d.hex(), "algorithm": a, "name": n} for n, a, d in res],
            "serialization": ser}
    if extra:
        pred.update(extra)
    st = {"_type": "https://in-toto.io/Statement/v1",
          "subject": [{"name": "model", "digest": {"sha256": root}}],
          "predicateType": "https://model_signing/signature/v1.0",
          "predicate": pred}
    if protobuf_style:
        return json.dumps(st, indent=2, ensure_ascii=True).encode()
    return json.dumps(st, separators=(",", ":")).encode()


def pae(payload):
    t = b"application/vnd.in-toto+json"
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def load_key(name):
    return serialization.load_pem_private_key(open(os.path.join(KEYS, name), "rb").read(), None)


HASH_FOR = {"secp256r1": hashes.SHA256(), "secp384r1": hashes.SHA384(), "secp521r1": hashes.SHA512()}


def sign(key, payload):
    return key.sign(pae(payload), ec.ECDSA(HASH_FOR[key.curve.name]))


def hint(key):
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(pem).hexdigest()


def bundle(payload, sig, material):
    b = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
         "verificationMaterial": dict(material, tlogEntries=[]),
         "dsseEnvelope": {"payload": base64.b64encode(payload).decode(),
                          "payloadType": "application/vnd.in-toto+json",
                          "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": ""}]}}
    return json.dumps(b, indent=2) + "\n"


def write(name, text):
    with open(os.path.join(BUNDLES, name), "w") as f:
        f.write(text)


def key_bundle(keyname, payload):
    k = load_key(keyname)
    return bundle(payload, sign(k, payload), {"publicKey": {"hint": hint(k)}})


write("py-p256.sig", key_bundle("p256.pem", statement()))
write("py-p521.sig", key_bundle("p521.pem", statement()))
write("py-shards-protobuf.sig",
      key_bundle("p256.pem", statement("shards", shard=4096, protobuf_style=True)))
write("py-blake2b.sig", key_bundle("p256.pem", statement(hash_type="blake2b")))
write("py-unknown-field.sig",
      key_bundle("p256.pem", statement(extra={"model_card": {"license": "mit"}})))
write("py-ignore-sub.sig", key_bundle("p256.pem", statement(ignore=GIT + ["sub"])))

leaf = load_key("leaf.key")
chain = [x509.load_pem_x509_certificate(open(os.path.join(KEYS, n), "rb").read())
         for n in ("leaf.pem", "inter.pem")]
payload = statement()
write("py-cert.sig", bundle(payload, sign(leaf, payload), {"x509CertificateChain": {
    "certificates": [{"rawBytes": base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()}
                     for c in chain]}}))

with open(os.path.join(BUNDLES, "statement-openssl.json"), "wb") as f:
    f.write(statement())
_, root = manifest(ignore=GIT)
with open(os.path.join(BUNDLES, "expected-root.txt"), "w") as f:
    f.write(root + "\n")
