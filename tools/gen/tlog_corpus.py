#!/usr/bin/env python3
"""Writes the seed corpora of the tlog fuzz targets (note, checkpoint,
tlog_entry) byte by byte, following docs/formats/log-entry.md and the C2SP
specs. Run from the repository root: /usr/bin/python3 tools/gen/tlog_corpus.py
"""
import base64
import os
import struct

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "fuzz", "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- signed notes (Go x/mod/sumdb/note test vectors) ---
TEXT = (b"If you think cryptography is the answer to your problem,\n"
        b"then you don't know what your problem is.\n")
DASH = "\u2014".encode()
PETER = DASH + b" PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH = DASH + b" EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
write("note", "peter.txt", TEXT + b"\n" + PETER)
write("note", "two_sigs.txt", TEXT + b"\n" + PETER + ENOCH)
write("note", "bad_sig.txt", TEXT + b"\n" + PETER[:60] + b"ABCD" + PETER[60:])
write("note", "no_blank.txt", TEXT + PETER)
write("note", "vkey.txt", b"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
cosig = DASH + b" witness " + base64.b64encode(b"\x01\x02\x03\x04" + struct.pack(">Q", 1700000000) + b"\x00" * 64) + b"\n"
write("note", "cosigned.txt", b"example.com/log\n5\n" + base64.b64encode(b"\x00" * 32) + b"\n\n" + PETER + cosig)

# --- checkpoints and tile paths ---
root = base64.b64encode(bytes(range(32)))
write("checkpoint", "basic.txt", b"example.com/log\n70000\n" + root + b"\n")
write("checkpoint", "empty_tree.txt", b"example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
write("checkpoint", "extensions.txt", b"example.com/log\n1\n" + root + b"\next one\n\xe2\x80\x94 two\n")
write("checkpoint", "go_sumdb.txt", b"go.sum database tree\n12345\n" + root + b"\n")
write("checkpoint", "leading_zero.txt", b"o\n01\n" + root + b"\n")
write("checkpoint", "max_size.txt", b"o\n18446744073709551615\n" + root + b"\n")
for i, p in enumerate([b"tile/0/000", b"tile/0/x001/x234/067", b"tile/2/000.p/1",
                       b"tile/entries/273.p/112", b"tile/0/x000/001", b"tile/0/../000"]):
    write("checkpoint", "path%d.txt" % i, p)


# --- log entries (docs/formats/log-entry.md) ---
def s(b):
    return bytes([len(b)]) + b


def entry(type_, ts, ns, name, ver, actor, digests):
    out = b"mats-log-entry/v1\x00" + bytes([type_]) + struct.pack(">Q", ts)
    out += s(ns) + s(name) + s(ver) + s(actor) + bytes([len(digests)])
    for role, alg, value in digests:
        out += bytes([role, alg]) + value
    return out


write("tlog_entry", "upload.bin", entry(1, 1763900000123, b"acme", b"resnet50", b"1.2.0+cpu", b"tok:7f3a",
                                        [(1, 1, b"\xaa" * 32), (3, 3, b"\xbb" * 64)]))
write("tlog_entry", "delete.bin", entry(3, 1763900000999, b"acme", b"resnet50", b"1.2.0", b"tok-2", []))
write("tlog_entry", "key.bin", entry(6, 1, b"org", b"signing-key", b"1", b"admin", [(4, 2, b"\x01" * 48)]))
write("tlog_entry", "unsorted.bin", entry(1, 1, b"a", b"b", b"c", b"d", [(3, 1, b"\x00" * 32), (1, 1, b"\x00" * 32)]))
write("tlog_entry", "bundle.bin", b"\x00\x03abc\x00\x00")
