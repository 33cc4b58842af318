#!/usr/bin/python3
"""A private Sigstore instance for keyless OMS test fixtures.

Writes tests/fixtures/sign/keyless/private/ (see
docs/formats/sigstore-keyless-fixtures.md): a model folder, a trusted root
(Fulcio-like CA, Rekor-like log, CT log, RFC 3161 TSA), a valid keyless OMS
bundle (Sigstore bundle v0.3, DSSE, Rekor v1 dsse 0.0.1 entry with SET,
RFC 6962 inclusion proof and signed checkpoint, embedded SCT, RFC 3161
timestamp) and variants that a correct verifier must reject.

Built from the specs, without mats code and without any Sigstore client:
../shared/reference/oms-signature.md (statement, DSSE PAE), RFC 6962 (SCT
§3.2/§3.3, Merkle tree §2.1), the transparency-dev signed-note checkpoint
format, the Rekor dsse 0.0.1 canonical body. Keys are derived from fixed
labels; ECDSA signatures are random and the times come from the clock of
the generating run (openssl ts stamps the current time), so every run gives
different bytes: the committed output is the fixture.

Needs Debian's /usr/bin/python3 with python3-cryptography and the openssl CLI.
  /usr/bin/python3 tools/gen/gen_keyless_fixtures.py [OUT_DIR]
"""
import base64
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    REPO, "tests", "fixtures", "sign", "keyless", "private")

IDENTITY = "mats-test@example.com"
ISSUER = "https://issuer.mats.test"
REKOR_NAME = "rekor.mats.test"           # signer name in the checkpoint signature line
REKOR_ORIGIN = "rekor.mats.test - 1234"  # checkpoint origin line
REKOR_URL = "https://rekor.mats.test"
GLOBAL_LOG_INDEX = 1234567               # tlogEntries[0].logIndex
SHARD_LOG_INDEX = 5                      # inclusionProof.logIndex
TREE_SIZE = 13
PAYLOAD_TYPE = "application/vnd.in-toto+json"
GIT_IGNORES = [".git", ".gitattributes", ".github", ".gitignore"]

OID_FULCIO_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_FULCIO_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")

CURVE_ORDER = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
                     "581A0DB248B0A77AECEC196ACCC52973", 16),
}

CA_NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
CA_NOT_AFTER = datetime.datetime(2035, 1, 1, tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------- helpers

def b64(b):
    return base64.b64encode(b).decode("ascii")


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def fixed_key(label, curve):
    """A private key derived from a label, so the instance's keys are stable."""
    n = CURVE_ORDER[curve.name]
    seed = hashlib.sha512(b"mats-keyless-fixture:" + label.encode()).digest()
    return ec.derive_private_key(int.from_bytes(seed, "big") % (n - 1) + 1, curve)


def spki_der(key):
    pub = key.public_key() if hasattr(key, "public_key") else key
    return pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def ecdsa_sha256(key, data):
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def canonical_json(obj):
    """Sorted keys, no spaces: what Rekor and sigstore-js canonicalize to."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rfc3339(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def name(cn, org="mats.test"):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


# ---------------------------------------------------------------- model + statement

def write_model(model_dir):
    os.makedirs(os.path.join(model_dir, "sub"), exist_ok=True)
    weights = b"".join(sha256(b"mats-test-weights", i.to_bytes(4, "big")) for i in range(12))
    files = {
        "weights.bin": weights,                    # 384 bytes of fixed pseudo-random data
        "config.json": b'{"model_type":"test"}\n',
        "sub/tokenizer.json": b"{}\n",
    }
    for rel, data in files.items():
        with open(os.path.join(model_dir, rel), "wb") as f:
            f.write(data)
    return files


def component_key(rel):
    # OMS canonical order: compare '/'-separated components by their UTF-8 bytes.
    return [c.encode("utf-8") for c in rel.split("/")]


def oms_statement(subject_name, files):
    resources = []
    for rel in sorted(files, key=component_key):
        resources.append({"name": rel, "algorithm": "sha256",
                          "digest": hashlib.sha256(files[rel]).hexdigest()})
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in resources)).hexdigest()
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": subject_name, "digest": {"sha256": root}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {
            "serialization": {"method": "files", "hash_type": "sha256",
                              "allow_symlinks": False, "ignore_paths": GIT_IGNORES},
            "resources": resources,
        },
    }
    # model_signing style: 2-space indented JSON (nothing compares payload bytes).
    return json.dumps(statement, indent=2).encode(), root


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def dsse_envelope(key, payload):
    sig = ecdsa_sha256(key, pae(PAYLOAD_TYPE, payload))
    return {"payload": b64(payload), "payloadType": PAYLOAD_TYPE, "signatures": [{"sig": b64(sig)}]}


# ---------------------------------------------------------------- certificates

def make_ca(label, cn, issuer=None, path_len=1, intermediate=False):
    """Root (issuer None) or intermediate CA: P-384, ECDSA-SHA384."""
    key = fixed_key(label, ec.SECP384R1())
    issuer_key, issuer_name = (key, name(cn)) if issuer is None else (issuer[0], issuer[1].subject)
    b = (x509.CertificateBuilder()
         .subject_name(name(cn)).issuer_name(issuer_name)
         .public_key(key.public_key())
         .serial_number(int.from_bytes(sha256(b"serial:" + label.encode())[:16], "big") >> 1)
         .not_valid_before(CA_NOT_BEFORE).not_valid_after(CA_NOT_AFTER)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                        critical=True)
         .add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if intermediate:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    if issuer is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    return key, b.sign(issuer_key, hashes.SHA384())


def sct_list(ct_key, issuer_cert, pre_tbs, timestamp_ms):
    """RFC 6962 §3.2/§3.3: one precert SCT, serialized as a SignedCertificateTimestampList."""
    issuer_key_hash = sha256(spki_der(issuer_cert.public_key()))
    ts = timestamp_ms.to_bytes(8, "big")
    signed = (b"\x00"                       # sct_version v1
              + b"\x00"                     # signature_type certificate_timestamp
              + ts
              + b"\x00\x01"                 # entry_type precert_entry
              + issuer_key_hash
              + len(pre_tbs).to_bytes(3, "big") + pre_tbs
              + b"\x00\x00")                # no CtExtensions
    sig = ecdsa_sha256(ct_key, signed)
    log_id = sha256(spki_der(ct_key))
    sct = (b"\x00" + log_id + ts + b"\x00\x00"
           + b"\x04\x03"                    # hash sha256, signature ecdsa
           + len(sig).to_bytes(2, "big") + sig)
    one = len(sct).to_bytes(2, "big") + sct
    return len(one).to_bytes(2, "big") + one


def make_leaf(leaf_key, issuer_key, issuer_cert, not_before, serial, ct_key=None, sct_ms=None):
    """Fulcio-like leaf; with ct_key, an embedded SCT over the precert TBS."""
    def builder():
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([]))        # Fulcio leaves have an empty subject
                .issuer_name(issuer_cert.subject)
                .public_key(leaf_key.public_key())
                .serial_number(serial)
                .not_valid_before(not_before)
                .not_valid_after(not_before + datetime.timedelta(minutes=10))
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                             False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]),
                               critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer_cert.public_key()), critical=False)
                .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(IDENTITY)]),
                               critical=True)
                .add_extension(x509.UnrecognizedExtension(OID_FULCIO_ISSUER_V1, ISSUER.encode()),
                               critical=False)
                .add_extension(x509.UnrecognizedExtension(
                    OID_FULCIO_ISSUER_V2, der(0x0C, ISSUER.encode())), critical=False))

    pre = builder().sign(issuer_key, hashes.SHA384())
    if ct_key is None:
        return pre
    scts = sct_list(ct_key, issuer_cert, pre.tbs_certificate_bytes, sct_ms)
    cert = builder().add_extension(
        x509.UnrecognizedExtension(OID_SCT_LIST, der(0x04, scts)), critical=False
    ).sign(issuer_key, hashes.SHA384())
    # The precertificate TBS must be the final TBS minus the SCT extension.
    assert len(cert.tbs_certificate_bytes) > len(pre.tbs_certificate_bytes)
    return cert


def make_tsa(root_key, root_cert):
    key = fixed_key("tsa-leaf", ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(name("mats-test-tsa")).issuer_name(root_cert.subject)
            .public_key(key.public_key())
            .serial_number(0x7547)
            .not_valid_before(CA_NOT_BEFORE).not_valid_after(CA_NOT_AFTER)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                         False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root_cert.public_key()), critical=False)
            .sign(root_key, hashes.SHA384()))
    return key, cert


def rfc3161_timestamp(tsa_key, tsa_cert, tsa_root, data):
    """TimeStampResp over SHA-256(data) from `openssl ts -reply` (the current time)."""
    tmp = tempfile.mkdtemp(prefix="mats-kfix-")
    try:
        def w(n, b):
            p = os.path.join(tmp, n)
            with open(p, "wb") as f:
                f.write(b)
            return p
        w("data.bin", data)
        w("tsa.key", tsa_key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        w("tsa.pem", tsa_cert.public_bytes(serialization.Encoding.PEM))
        w("root.pem", tsa_root.public_bytes(serialization.Encoding.PEM))
        w("serial", b"1A2B\n")
        w("ts.cnf", b"""[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.2
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
        run = lambda *a: subprocess.run(["openssl", "ts", *a], cwd=tmp, check=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        run("-query", "-data", "data.bin", "-sha256", "-cert", "-out", "q.tsq")
        run("-reply", "-config", "ts.cnf", "-queryfile", "q.tsq", "-inkey", "tsa.key",
            "-signer", "tsa.pem", "-out", "r.tsr")
        # Self-check with OpenSSL's own verifier before committing it.
        run("-verify", "-data", "data.bin", "-in", "r.tsr", "-CAfile", "root.pem",
            "-untrusted", "tsa.pem")
        with open(os.path.join(tmp, "r.tsr"), "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(tmp)


# ---------------------------------------------------------------- Rekor-like log

def leaf_hash(b):
    return sha256(b"\x00", b)


def node_hash(l, r):
    return sha256(b"\x01", l, r)


def mth(leaves):
    """RFC 6962 §2.1 Merkle Tree Hash over leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def audit_path(m, leaves):
    """RFC 6962 §2.1.1 PATH(m, D[n]), lowest level first."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return audit_path(m, leaves[:k]) + [mth(leaves[k:])]
    return audit_path(m - k, leaves[k:]) + [mth(leaves[:k])]


def rekor_body(envelope, leaf_cert):
    """Rekor dsse 0.0.1 canonicalized body for a DSSE envelope signed by leaf_cert."""
    payload = base64.b64decode(envelope["payload"])
    # Rekor hashes the envelope as submitted: compact JSON, keys sorted, keyid omitted.
    env_hash = hashlib.sha256(canonical_json(envelope)).hexdigest()
    pem = leaf_cert.public_bytes(serialization.Encoding.PEM)
    return canonical_json({
        "apiVersion": "0.0.1", "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": env_hash},
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [{"signature": envelope["signatures"][0]["sig"], "verifier": b64(pem)}],
        },
    })


def tlog_entry(log_key, body, integrated_time, checkpoint_key):
    log_id = sha256(spki_der(log_key))
    set_payload = canonical_json({"body": b64(body), "integratedTime": integrated_time,
                                  "logID": log_id.hex(), "logIndex": GLOBAL_LOG_INDEX})
    leaves = [leaf_hash(b"mats-test other log entry %d" % i) for i in range(TREE_SIZE)]
    leaves[SHARD_LOG_INDEX] = leaf_hash(body)
    root = mth(leaves)
    path = audit_path(SHARD_LOG_INDEX, leaves)
    note = f"{REKOR_ORIGIN}\n{TREE_SIZE}\n{b64(root)}\n".encode()
    note_sig = ecdsa_sha256(checkpoint_key, note)
    envelope = note.decode() + "\n" + f"\u2014 {REKOR_NAME} {b64(log_id[:4] + note_sig)}\n"
    return {
        "logIndex": str(GLOBAL_LOG_INDEX),
        "logId": {"keyId": b64(log_id)},
        "kindVersion": {"kind": "dsse", "version": "0.0.1"},
        "integratedTime": str(integrated_time),
        "inclusionPromise": {"signedEntryTimestamp": b64(ecdsa_sha256(log_key, set_payload))},
        "inclusionProof": {
            "logIndex": str(SHARD_LOG_INDEX),
            "rootHash": b64(root),
            "treeSize": str(TREE_SIZE),
            "hashes": [b64(h) for h in path],
            "checkpoint": {"envelope": envelope},
        },
        "canonicalizedBody": b64(body),
    }


def bundle(leaf_cert, envelope, entry, tsr):
    vm = {
        "certificate": {"rawBytes": b64(leaf_cert.public_bytes(serialization.Encoding.DER))},
        "tlogEntries": [entry],
    }
    if tsr is not None:
        vm["timestampVerificationData"] = {"rfc3161Timestamps": [{"signedTimestamp": b64(tsr)}]}
    return {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": vm, "dsseEnvelope": envelope}


# ---------------------------------------------------------------- main

def main():
    os.makedirs(OUT, exist_ok=True)
    shutil.rmtree(os.path.join(OUT, "model"), ignore_errors=True)
    files = write_model(os.path.join(OUT, "model"))
    payload, root_digest = oms_statement("model", files)

    # The private instance.
    root_key, root_cert = make_ca("fulcio-root", "mats-test-root", path_len=1)
    int_key, int_cert = make_ca("fulcio-intermediate", "mats-test-intermediate",
                                issuer=(root_key, root_cert), path_len=0, intermediate=True)
    rekor_key = fixed_key("rekor-log", ec.SECP256R1())
    ct_key = fixed_key("ct-log", ec.SECP256R1())
    tsa_root_key, tsa_root_cert = make_ca("tsa-root", "mats-test-tsa-root", path_len=0)
    tsa_key, tsa_cert = make_tsa(tsa_root_key, tsa_root_cert)
    # Not in the trusted root: a look-alike CA (same names, other keys) and a
    # key that is not the log's.
    other_root_key, other_root_cert = make_ca("other-root", "mats-test-root", path_len=1)
    other_int_key, other_int_cert = make_ca("other-intermediate", "mats-test-intermediate",
                                            issuer=(other_root_key, other_root_cert),
                                            path_len=0, intermediate=True)
    other_log_key = fixed_key("not-the-log", ec.SECP256R1())

    # Times: the TSA stamps "now", so the leaf's 10-minute window is put around
    # it: notBefore = now - 90 s (SCT 250 ms later), TSA = now, integratedTime =
    # now + 30 s (a client timestamps the signature, then uploads it to Rekor).
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    not_before = now - datetime.timedelta(seconds=90)
    t0 = int(not_before.timestamp())
    integrated_time = t0 + 120
    sct_ms = t0 * 1000 + 250

    leaf_key = fixed_key("fulcio-leaf", ec.SECP256R1())
    leaf = make_leaf(leaf_key, int_key, int_cert, not_before, 0x4D415453, ct_key, sct_ms)
    envelope = dsse_envelope(leaf_key, payload)
    dsse_sig = base64.b64decode(envelope["signatures"][0]["sig"])
    tsr = rfc3161_timestamp(tsa_key, tsa_cert, tsa_root_cert, dsse_sig)

    def write(fname, obj):
        with open(os.path.join(OUT, fname), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")

    def entry_for(cert, env, when=integrated_time, ckpt_key=rekor_key):
        return tlog_entry(rekor_key, rekor_body(env, cert), when, ckpt_key)

    write("model.sig", bundle(leaf, envelope, entry_for(leaf, envelope), tsr))

    # Variants: each differs from model.sig in one way; all must be rejected.
    no_sct_leaf = make_leaf(leaf_key, int_key, int_cert, not_before, 0x4D415453)
    write("no-sct.sig", bundle(no_sct_leaf, envelope, entry_for(no_sct_leaf, envelope), tsr))

    expired_time = int(leaf.not_valid_after.replace(tzinfo=datetime.timezone.utc).timestamp()) + 60
    write("expired.sig", bundle(leaf, envelope, entry_for(leaf, envelope, when=expired_time), tsr))

    other_files = dict(files)
    other_files["weights.bin"] = b"\x00" + files["weights.bin"][1:]
    other_payload, _ = oms_statement("model", other_files)
    other_env = dsse_envelope(leaf_key, other_payload)
    write("other-body.sig", bundle(leaf, envelope, entry_for(leaf, other_env), tsr))

    other_leaf = make_leaf(leaf_key, other_int_key, other_int_cert, not_before, 0x4D415453,
                           ct_key, sct_ms)
    write("other-ca.sig", bundle(other_leaf, envelope, entry_for(other_leaf, envelope), tsr))

    write("bad-checkpoint.sig",
          bundle(leaf, envelope, entry_for(leaf, envelope, ckpt_key=other_log_key), tsr))

    # The trusted root, shaped like the public-good one.
    start = rfc3339(CA_NOT_BEFORE)

    def log_instance(url, key):
        return {"baseUrl": url, "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": b64(spki_der(key)),
                              "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                              "validFor": {"start": start}},
                "logId": {"keyId": b64(sha256(spki_der(key)))}}

    def ca_instance(subject_cn, uri, chain):
        return {"subject": {"organization": "mats.test", "commonName": subject_cn},
                "uri": uri,
                "certChain": {"certificates": [
                    {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))} for c in chain]},
                "validFor": {"start": start}}

    write("trusted_root.json", {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [log_instance(REKOR_URL, rekor_key)],
        "certificateAuthorities": [ca_instance("mats-test", "https://fulcio.mats.test",
                                               [int_cert, root_cert])],
        "ctlogs": [log_instance("https://ctfe.mats.test/2026", ct_key)],
        "timestampAuthorities": [ca_instance("mats-test-tsa", "https://tsa.mats.test/api/v1/timestamp",
                                             [tsa_cert, tsa_root_cert])],
    })
    write("identity.json", {"identity": IDENTITY, "issuer": ISSUER})
    print(f"wrote {OUT}: root digest {root_digest}, leaf notBefore {rfc3339(not_before)}, "
          f"integratedTime {integrated_time}")


if __name__ == "__main__":
    main()
