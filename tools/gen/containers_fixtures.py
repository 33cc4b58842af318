#!/usr/bin/python3
"""Generates the container fixtures (zip, archive, numpy, pytorch).

Run with Debian's /usr/bin/python3 (numpy, torch, joblib, sklearn) from the
repository root:

    /usr/bin/python3 tools/gen/containers_fixtures.py

Benign files are made by the real libraries. Malicious files are assembled
byte by byte; their pickles only name `posix.system('echo MATS-TEST-MARKER')`
and are never loaded, unpickled or executed by this script.
7z, zstd and lz4 fixtures need bsdtar (libarchive-tools), zstd and lz4.
"""
import bz2
import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
import zipfile
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIX = os.path.join(ROOT, "tests", "fixtures")

# A protocol-2 pickle calling posix.system('echo MATS-TEST-MARKER').
# Built opcode by opcode; never unpickled.
CMD = b"echo MATS-TEST-MARKER"
EVIL_PICKLE = (b"\x80\x02" + b"cposix\nsystem\n" + b"q\x00" +
               b"X" + struct.pack("<I", len(CMD)) + CMD + b"q\x01" +
               b"\x85q\x02" + b"Rq\x03" + b".")
# A benign protocol-2 pickle: {'a': 1}
BENIGN_PICKLE = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s."


def write(area, name, data):
    path = os.path.join(FIX, area, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    assert len(data) < 1 << 20, name


# ---------------------------------------------------------------- zip writer
class Member:
    def __init__(self, name, data, method=0, flags=0, local_name=None,
                 crc=None, usize=None, extra=b"", compressed=None):
        self.name = name.encode() if isinstance(name, str) else name
        self.local_name = (local_name.encode() if isinstance(local_name, str)
                           else local_name) if local_name is not None else self.name
        self.data = data
        self.method = method
        self.flags = flags
        self.crc = zlib.crc32(data) if crc is None else crc
        self.usize = len(data) if usize is None else usize
        if compressed is not None:
            self.comp = compressed
        elif method == 8:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            self.comp = c.compress(data) + c.flush()
        else:
            self.comp = data
        self.extra = extra
        self.offset = 0


def local_header(m):
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, m.flags, m.method, 0,
                       0x21, m.crc, len(m.comp), m.usize, len(m.local_name),
                       len(m.extra)) + m.local_name + m.extra


def central_header(m, offset=None):
    off = m.offset if offset is None else offset
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, m.flags,
                       m.method, 0, 0x21, m.crc, len(m.comp), m.usize,
                       len(m.name), 0, 0, 0, 0, 0, off) + m.name


def eocd(count, cd_size, cd_off, comment=b""):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size,
                       cd_off, len(comment)) + comment


def build_zip(members, prefix=b"", between=b"", central=None, suffix=b"",
              cd_extra=b"", comment=b""):
    out = bytearray(prefix)
    for i, m in enumerate(members):
        if i and between:
            out += between
        m.offset = len(out)
        out += local_header(m) + m.comp
    central = members if central is None else central
    cd_off = len(out)
    cd = b"".join(central_header(m) for m in central) + cd_extra
    out += cd
    out += eocd(len(central), len(cd), cd_off, comment)
    out += suffix
    return bytes(out)


def gen_zip():
    a = "zip"
    benign = [Member("model/data.txt", b"hello world\n" * 4),
              Member("model/weights.pkl", BENIGN_PICKLE, method=8)]
    write(a, "benign.zip", build_zip(benign))
    write(a, "malicious_pickle.zip", build_zip([Member("payload.pkl", EVIL_PICKLE)]))
    write(a, "duplicate_names.zip", build_zip(
        [Member("data.pkl", BENIGN_PICKLE), Member("data.pkl", EVIL_PICKLE)]))
    write(a, "name_mismatch.zip", build_zip(
        [Member("weights.bin", EVIL_PICKLE, local_name="archive/data.pkl")]))
    write(a, "encrypted_flag.zip", build_zip([Member("data.pkl", EVIL_PICKLE, flags=0x1)]))
    write(a, "patched_flag.zip", build_zip([Member("data.pkl", EVIL_PICKLE, flags=0x20)]))
    write(a, "bad_crc.zip", build_zip([Member("data.pkl", EVIL_PICKLE, crc=0x12345678)]))
    # Prepended bytes with central offsets that ignore them (Python's
    # zipfile shifts; miniz does not).
    inner = build_zip([Member("data.pkl", BENIGN_PICKLE)])
    write(a, "prepended.zip", b"JUNKJUNKJUNKJUNK" + inner)
    write(a, "gap.zip", build_zip([Member("a.txt", b"aaaa"), Member("b.txt", b"bbbb")],
                                  between=b"HIDDEN-BYTES-HERE"))
    # A second archive appended after the first one's EOCD.
    tail = build_zip([Member("hidden.pkl", EVIL_PICKLE)])
    # (The last EOCD wins, so the first archive reads as prepended data.)
    write(a, "concatenated.zip", build_zip([Member("a.txt", b"aaaa")]) + tail)
    # Garbage and a lone local entry after the end of central directory.
    hidden = Member("hidden.pkl", EVIL_PICKLE)
    write(a, "trailing_garbage.zip", build_zip([Member("a.txt", b"aaaa")]) +
          b"GARBAGE" + local_header(hidden) + hidden.comp)
    # A local entry the central directory does not list.
    shown = Member("a.txt", b"aaaa")
    hidden = Member("hidden.pkl", EVIL_PICKLE)
    write(a, "local_only.zip", build_zip([shown, hidden], central=[shown]))
    # A central entry pointing nowhere.
    m1 = Member("a.txt", b"aaaa")
    ghost = Member("ghost.txt", b"boo")
    out = bytearray()
    m1.offset = 0
    out += local_header(m1) + m1.comp
    cd_off = len(out)
    cd = central_header(m1) + central_header(ghost, offset=cd_off - 2)
    out += cd + eocd(2, len(cd), cd_off)
    write(a, "central_without_local.zip", bytes(out))
    # Two central entries sharing one local header (overlap).
    m = Member("data.txt", b"z" * 64)
    out = bytearray(local_header(m) + m.comp)
    cd_off = len(out)
    m2 = Member("data.txt", b"z" * 64)
    m2.name = b"copy.txt"
    cd = central_header(m, 0) + central_header(m2, 0)
    out += cd + eocd(2, len(cd), cd_off)
    write(a, "overlap.zip", bytes(out))
    gen_zip_methods()
    write(a, "traversal.zip", build_zip([
        Member("../../evil.pkl", BENIGN_PICKLE), Member("/etc/cron.d/x", b"x"),
        Member("C:\\Windows\\x.dll", b"x"), Member("dir\\file.txt", b"x"),
        Member(b"nul\x00byte.txt", b"x")]))
    # Only local headers, no central directory.
    m = Member("data.pkl", EVIL_PICKLE)
    write(a, "no_central_directory.zip", local_header(m) + m.comp)
    # Zip64: EOCD fields saturated, zip64 record + locator, zip64 extras.
    m = Member("data.pkl", BENIGN_PICKLE)
    z64_local_extra = struct.pack("<HHQQ", 1, 16, len(m.data), len(m.comp))
    lh = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, m.crc,
                     0xFFFFFFFF, 0xFFFFFFFF, len(m.name), len(z64_local_extra)) + m.name + z64_local_extra
    out = bytearray(lh + m.comp)
    cd_off = len(out)
    z64_cd_extra = struct.pack("<HHQQQ", 1, 24, len(m.data), len(m.comp), 0)
    cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21,
                     m.crc, 0xFFFFFFFF, 0xFFFFFFFF, len(m.name), len(z64_cd_extra),
                     0, 0, 0, 0, 0xFFFFFFFF) + m.name + z64_cd_extra
    out += cd
    rec_off = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(cd), cd_off)
    out += struct.pack("<IIQI", 0x07064B50, 0, rec_off, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF,
                       0xFFFFFFFF, 0xFFFFFFFF, 0)
    write(a, "zip64.zip", bytes(out))
    # Deflate bomb: 4 MiB of zeros in a few KiB (ratio > 200).
    write(a, "bomb.zip", build_zip([Member("zeros.bin", b"\x00" * (4 << 20), method=8)]))
    # Nested: a zip inside a zip holding the malicious pickle.
    write(a, "nested.zip", build_zip([Member("inner.zip", build_zip([Member("payload.pkl", EVIL_PICKLE)]))]))


# ---------------------------------------------------------------- pytorch
def gen_pytorch():
    import torch
    a = "pytorch"
    torch.manual_seed(0)
    state = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.zeros(2)}
    buf = io.BytesIO()
    torch.save(state, buf)
    write(a, "state_dict.pt", buf.getvalue())

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x) * 2

    scripted = torch.jit.script(Tiny())
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    write(a, "scripted.pt", buf.getvalue())
    # A torch-like archive whose storage data/0 carries a pickle.
    members = [Member("archive/data.pkl", BENIGN_PICKLE, flags=0x0808),
               Member("archive/data/0", EVIL_PICKLE, flags=0x0808),
               Member("archive/version", b"3\n", flags=0x0808)]
    write(a, "storage_payload.pt", build_zip(members))
    # Malicious data.pkl in a torch layout.
    members = [Member("archive/data.pkl", EVIL_PICKLE), Member("archive/data/0", b"\x00" * 16),
               Member("archive/version", b"3\n")]
    write(a, "malicious_data_pkl.pt", build_zip(members))
    # Legacy tar checkpoint layout (members are pickles built by hand).
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in [("sys_info", BENIGN_PICKLE), ("pickle", EVIL_PICKLE),
                           ("storages", BENIGN_PICKLE), ("tensors", BENIGN_PICKLE)]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 0
            tf.addfile(ti, io.BytesIO(data))
    write(a, "legacy.tar", tbuf.getvalue())
    # TorchServe .mar layout.
    write(a, "model.mar", build_zip([Member("MAR-INF/MANIFEST.json", b'{"model":{}}'),
                                     Member("handler.py", b"import os\n")]))


# ---------------------------------------------------------------- numpy
def gen_numpy():
    import numpy as np
    a = "numpy"

    def save(name, arr, **kw):
        buf = io.BytesIO()
        np.save(buf, arr, **kw)
        write(a, name, buf.getvalue())

    save("float.npy", np.arange(12, dtype=np.float64).reshape(3, 4))
    save("fortran.npy", np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)))
    save("object.npy", np.array([1, "two", {"three": 3}], dtype=object), allow_pickle=True)
    st = np.zeros(2, dtype=[("x", "<i4"), ("o", "O")])
    st["o"] = ["a", "b"]
    save("structured_object.npy", st, allow_pickle=True)
    nested = np.zeros(1, dtype=[("x", "<i4"), ("inner", [("y", "<f8"), ("o", "O")])])
    save("nested_object.npy", nested, allow_pickle=True)
    save("structured.npy", np.zeros(3, dtype=[("x", "<i4"), ("y", "<f8", (2,))]))
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.arange(4, dtype=np.uint8), version=(2, 0))
    write(a, "v2.npy", buf.getvalue())
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros(2, dtype=[("\u00e9", "<i2")]), version=(3, 0))
    write(a, "v3.npy", buf.getvalue())
    buf = io.BytesIO()
    np.savez(buf, a=np.arange(3), b=np.ones((2, 2)))
    write(a, "arrays.npz", buf.getvalue())
    buf = io.BytesIO()
    np.savez_compressed(buf, a=np.arange(100), o=np.array([None, 1], dtype=object))
    write(a, "arrays_compressed.npz", buf.getvalue())
    # Hand-made: object array whose pickle is malicious.
    hdr = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    hdr += b" " * (64 - (10 + len(hdr) + 1) % 64) + b"\n"
    write(a, "malicious_object.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + EVIL_PICKLE)
    # Hand-made: float array followed by a hidden pickle.
    good = io.BytesIO()
    np.save(good, np.arange(2, dtype=np.float64))
    write(a, "trailing_pickle.npy", good.getvalue() + EVIL_PICKLE)
    # Hand-made: header over numpy's 10000-byte max_header_size.
    hdr = b"{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }"
    hdr += b" " * (12000 - len(hdr) - 10 - 1) + b"\n"
    write(a, "huge_header.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr)
    # npz holding the malicious object array.
    write(a, "malicious.npz", build_zip([Member("x.npy", open(os.path.join(FIX, a, "malicious_object.npy"), "rb").read())]))


# ---------------------------------------------------------------- archives
def gen_archive():
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    a = "archive"
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    model = LogisticRegression().fit(X, y)
    for comp, name in [(3, "zlib"), (("gzip", 3), "gzip"), (("bz2", 3), "bz2"),
                       (("xz", 3), "xz"), (("lzma", 3), "lzma")]:
        buf = io.BytesIO()
        joblib.dump(model, buf, compress=comp)
        write(a, f"model_{name}.joblib", buf.getvalue())
    write(a, "payload.pkl.gz", gzip.compress(EVIL_PICKLE, mtime=0))
    write(a, "payload.pkl.bz2", bz2.compress(EVIL_PICKLE))
    write(a, "payload.pkl.xz", lzma.compress(EVIL_PICKLE))
    write(a, "payload.pkl.lzma", lzma.compress(EVIL_PICKLE, format=lzma.FORMAT_ALONE))
    write(a, "payload.zlib", zlib.compress(EVIL_PICKLE))
    write(a, "trailing.zlib", zlib.compress(BENIGN_PICKLE) + EVIL_PICKLE)
    write(a, "bomb.gz", gzip.compress(b"\x00" * (4 << 20), mtime=0))

    def tar_of(entries):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for ti, data in entries:
                ti.mtime = 0
                tf.addfile(ti, io.BytesIO(data) if data is not None else None)
        return buf.getvalue()

    def reg(name, data):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        return ti, data

    write(a, "payload.tar", tar_of([reg("model/data.pkl", EVIL_PICKLE)]))
    write(a, "benign.tar", tar_of([reg("model/data.pkl", BENIGN_PICKLE), reg("README", b"hi\n")]))
    sym = tarfile.TarInfo("link")
    sym.type = tarfile.SYMTYPE
    sym.linkname = "/etc/passwd"
    hard = tarfile.TarInfo("hard")
    hard.type = tarfile.LNKTYPE
    hard.linkname = "../outside"
    dev = tarfile.TarInfo("dev")
    dev.type = tarfile.CHRTYPE
    dev.devmajor, dev.devminor = 1, 3
    fifo = tarfile.TarInfo("fifo")
    fifo.type = tarfile.FIFOTYPE
    write(a, "links.tar", tar_of([(sym, None), (hard, None), (dev, None), (fifo, None),
                                  reg("../../escape.pkl", BENIGN_PICKLE),
                                  reg("/abs/path.txt", b"x")]))
    write(a, "payload.tar.gz", gzip.compress(open(os.path.join(FIX, a, "payload.tar"), "rb").read(), mtime=0))
    tmp = tempfile.mkdtemp()
    try:
        os.makedirs(os.path.join(tmp, "m"))
        with open(os.path.join(tmp, "m", "model.pt"), "wb") as f:
            f.write(EVIL_PICKLE)
        if shutil.which("bsdtar"):
            out = os.path.join(tmp, "payload.7z")
            subprocess.run(["bsdtar", "--format", "7zip", "-cf", out, "-C", tmp, "m"], check=True)
            write(a, "payload.7z", open(out, "rb").read())
        src = os.path.join(tmp, "payload.pkl")
        with open(src, "wb") as f:
            f.write(EVIL_PICKLE)
        if shutil.which("zstd"):
            subprocess.run(["zstd", "-q", "-f", src, "-o", src + ".zst"], check=True)
            write(a, "payload.pkl.zst", open(src + ".zst", "rb").read())
        if shutil.which("lz4"):
            subprocess.run(["lz4", "-q", "-f", src, src + ".lz4"], check=True)
            write(a, "payload.pkl.lz4", open(src + ".lz4", "rb").read())
    finally:
        shutil.rmtree(tmp)


def gen_zip_methods():
    """Members compressed with every method Python's zipfile (and so
    numpy.load, keras) can read besides stored/deflate, plus zstd (93, Python
    3.14's zipfile) and xz (95); and one method nobody decodes (98, PPMd)."""
    a = "zip"
    # bzip2 (12) and LZMA (14) are written by Python's own zipfile, an
    # implementation independent of ours.
    for name, method in (("bzip2_pickle.zip", zipfile.ZIP_BZIP2),
                         ("lzma_pickle.zip", zipfile.ZIP_LZMA)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=method) as z:
            info = zipfile.ZipInfo("payload.pkl", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, EVIL_PICKLE)
            info = zipfile.ZipInfo("notes.txt", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, b"benign text\n" * 50)
        write(a, name, buf.getvalue())
    zstd = subprocess.run(["zstd", "-q", "-19", "-c"], input=EVIL_PICKLE,
                          stdout=subprocess.PIPE, check=True).stdout
    write(a, "zstd_pickle.zip", build_zip(
        [Member("payload.pkl", EVIL_PICKLE, method=93, compressed=zstd)]))
    write(a, "xz_pickle.zip", build_zip(
        [Member("payload.pkl", EVIL_PICKLE, method=95,
                compressed=lzma.compress(EVIL_PICKLE, format=lzma.FORMAT_XZ))]))
    write(a, "unsupported_method.zip", build_zip(
        [Member("data.pkl", EVIL_PICKLE, method=98, compressed=bz2.compress(EVIL_PICKLE))]))
    # A bzip2 member that is not a bzip2 stream.
    write(a, "bad_bzip2.zip", build_zip(
        [Member("data.pkl", EVIL_PICKLE, method=12, compressed=b"BZh9" + b"\x00" * 40)]))


if __name__ == "__main__":
    gen_zip()
    gen_pytorch()
    gen_numpy()
    gen_archive()
