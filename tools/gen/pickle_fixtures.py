#!/usr/bin/python3
"""Generates the pickle test fixtures in tests/fixtures/pickle/.

Malicious fixtures are assembled opcode by opcode from bytes; nothing here
ever unpickles, loads or executes them. Their payloads only carry the
harmless marker command `echo MATS-TEST-MARKER`.

Benign fixtures are produced by the real libraries (Debian's python3-torch,
numpy, joblib, scikit-learn) and must produce no finding at or above "low".

MANIFEST.tsv lists every fixture with what the tests expect:
  file  kind  rules  min_severity  error  format  evidence
  - kind: benign | malicious
  - rules: comma-separated rule ids that must be reported ("-" = none)
  - min_severity: the highest finding severity must be at least this
    (malicious) / benign files must stay below "low"
  - error: "-" (analysis succeeds) or the expected error code name
  - format: "-" or the format id the analyser refines to
  - evidence: "-" or a substring that some finding's evidence must contain

Run with Debian's Python:  /usr/bin/python3 tools/gen/pickle_fixtures.py
"""
import io
import os
import pickle
import struct
import sys
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "tests", "fixtures", "pickle")
MARKER = "echo MATS-TEST-MARKER"
manifest = []


# --------------------------------------------------------------------------
# Opcode builders (bytes only).

def proto(n):
    return b"\x80" + bytes([n])


def frame(n):
    return b"\x95" + struct.pack("<Q", n)


def sbu(s):  # SHORT_BINUNICODE
    b = s.encode()
    assert len(b) < 256
    return b"\x8c" + bytes([len(b)]) + b


def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def string0(s):  # protocol-0 STRING
    return b"S'" + s.encode() + b"'\n"


def unicode0(s):  # protocol-0 UNICODE
    return b"V" + s.encode() + b"\n"


def glob(module, name):  # GLOBAL
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def binint1(n):
    return b"K" + bytes([n])


def binint(n):
    return b"J" + struct.pack("<i", n)


def binbytes(b):
    return b"B" + struct.pack("<I", len(b)) + b


def short_binbytes(b):
    return b"C" + bytes([len(b)]) + b


MARK, STOP, TUPLE, TUPLE1, TUPLE2, TUPLE3 = b"(", b".", b"t", b"\x85", b"\x86", b"\x87"
REDUCE, BUILD, NEWOBJ, OBJ, POP, MEMOIZE = b"R", b"b", b"\x81", b"o", b"0", b"\x94"
STACK_GLOBAL, EMPTY_DICT, EMPTY_TUPLE, SETITEMS, SETITEM = b"\x93", b"}", b")", b"u", b"s"
NONE, NEWTRUE, NEWFALSE, EMPTY_LIST, APPEND = b"N", b"\x88", b"\x89", b"]", b"a"


def binput(i):
    return b"q" + bytes([i])


def binget(i):
    return b"h" + bytes([i])


def call_p2(module, name, *args):
    """GLOBAL module name, args as SHORT_BINUNICODE tuple, REDUCE."""
    body = glob(module, name) + MARK
    for a in args:
        body += binunicode(a)
    return body + TUPLE + REDUCE


def call_p4(module, name, *args):
    body = sbu(module) + sbu(name) + STACK_GLOBAL + MARK
    for a in args:
        body += sbu(a)
    return body + TUPLE + REDUCE


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    assert len(data) < 200_000, name


def mal(name, data, rules, sev="high", error="-", fmt="-", evidence="-"):
    write(name, data)
    manifest.append((name, "malicious", rules, sev, error, fmt, evidence))


def ben(name, data, fmt="-"):
    write(name, data)
    manifest.append((name, "benign", "-", "-", "-", fmt, "-"))


# --------------------------------------------------------------------------
# Malicious fixtures.

def malicious():
    ev = "'" + MARKER + "'"
    # Classic protocol 0 REDUCE of posix.system.
    mal("p0_posix_system.pkl",
        glob("posix", "system") + MARK + string0(MARKER) + TUPLE + REDUCE + STOP,
        "MATS-PKL-001", "critical", evidence="posix.system(" + ev + ")")
    # Python 2 names at protocol 2: __builtin__.exec -> builtins.exec,
    # commands.getoutput -> subprocess.getoutput.
    mal("py2_builtin_exec.pkl",
        proto(2) + call_p2("__builtin__", "exec", "print(1)") + STOP,
        "MATS-PKL-001", "critical", evidence="builtins.exec('print(1)')")
    mal("py2_commands_getoutput.pkl",
        proto(2) + call_p2("commands", "getoutput", MARKER) + STOP,
        "MATS-PKL-001", "critical", evidence="subprocess.getoutput(" + ev + ")")
    # STACK_GLOBAL at protocol 4 inside a frame.
    body = call_p4("subprocess", "check_output", MARKER) + STOP
    mal("p4_stack_global_subprocess.pkl", proto(4) + frame(len(body)) + body,
        "MATS-PKL-001", "critical",
        evidence="subprocess.check_output(" + ev + ")")
    # STACK_GLOBAL operands from protocol-0 string opcodes through the memo,
    # STACK_GLOBAL without a PROTO opcode (CVE-2025-71325).
    mal("stack_global_p0_strings.pkl",
        unicode0("os") + b"p0\n" + string0("system") + b"p1\n" + POP + POP +
        b"g0\n" + b"g1\n" + STACK_GLOBAL + MARK + unicode0(MARKER) + TUPLE +
        REDUCE + STOP,
        "MATS-PKL-001", "critical", evidence="os.system(" + ev + ")")
    # Memo confusion: MEMOIZE stores at len(memo), overwriting BINPUT 1.
    mal("memo_confusion.pkl",
        proto(4) + sbu("collections") + binput(1) + sbu("os") + MEMOIZE +
        POP + POP + binget(1) + sbu("system") + STACK_GLOBAL + MARK +
        sbu(MARKER) + TUPLE + REDUCE + STOP,
        "MATS-PKL-001", "critical", evidence="os.system(" + ev + ")")
    # GET of a missing memo index, then a payload.
    mal("memo_missing_index.pkl",
        proto(2) + binget(7) + POP + call_p2("os", "system", MARKER) + STOP,
        "MATS-PKL-004,MATS-PKL-001", "critical")
    # OBJ whose result is discarded (POP), then a harmless value.
    mal("obj_pop.pkl",
        proto(2) + MARK + glob("os", "system") + binunicode(MARKER) + OBJ +
        POP + NONE + STOP,
        "MATS-PKL-001", "critical", evidence="os.system(" + ev + ")")
    # INST: import and call in one opcode (protocol 0).
    mal("inst.pkl",
        MARK + string0(MARKER) + b"ios\nsystem\n" + STOP,
        "MATS-PKL-001", "critical", evidence="os.system(" + ev + ")")
    # EXT1: copyreg extension code (registry empty by default).
    mal("ext1.pkl",
        proto(2) + b"\x82\x01" + MARK + binunicode(MARKER) + TUPLE + REDUCE +
        STOP,
        "MATS-PKL-007", "medium")
    # Payload, then a broken tail (nullifAI).
    mal("broken_tail.pkl",
        proto(2) + call_p2("os", "system", MARKER) + b"\xff\xfe\x00garbage",
        "MATS-PKL-001", "critical", error="malformed",
        evidence="os.system(" + ev + ")")
    # A FRAME whose declared length ends inside the next opcode.
    body = sbu("os") + sbu("system") + STACK_GLOBAL + sbu(MARKER) + TUPLE1 + \
        REDUCE + STOP
    mal("frame_split.pkl",
        proto(4) + frame(5) + body,
        "MATS-PKL-004,MATS-PKL-001", "critical")
    # Dotted names at protocol 4.
    mal("dotted_pathlib_os_system.pkl",
        proto(4) + call_p4("pathlib", "os.system", MARKER) + STOP,
        "MATS-PKL-001", "critical", evidence="pathlib.os.system(" + ev + ")")
    mal("dotted_allowed_prefix.pkl",
        proto(4) + sbu("torch") + sbu("Size.__reduce_ex__") + STACK_GLOBAL +
        MARK + binint1(2) + TUPLE + REDUCE + STOP,
        "MATS-PKL-006", "high")
    # A pickle inside a bytes value handed to pickle.loads.
    inner = proto(2) + call_p2("os", "system", MARKER) + STOP
    mal("nested_pickle_bytes.pkl",
        proto(3) + glob("pickle", "loads") + binbytes(inner) + TUPLE1 +
        REDUCE + STOP,
        "MATS-PKL-001,MATS-PKL-005", "critical")
    # Callable computed at load time.
    mal("runtime_callable.pkl",
        proto(4) + call_p4("_codecs", "encode", "os", "latin1") + sbu("system") +
        STACK_GLOBAL + sbu(MARKER) + TUPLE1 + REDUCE + STOP,
        "MATS-PKL-003", "high")
    mal("reduce_of_call_result.pkl",
        proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE +
        binunicode(MARKER) + TUPLE1 + REDUCE + STOP,
        "MATS-PKL-003", "high")
    # BUILD installs __setstate__ = posix.system, a second BUILD calls it.
    mal("build_setstate.pkl",
        proto(2) + glob("argparse", "Namespace") + EMPTY_TUPLE + NEWOBJ +
        EMPTY_DICT + binunicode("__setstate__") + glob("posix", "system") +
        SETITEM + BUILD + binunicode(MARKER) + BUILD + STOP,
        "MATS-PKL-001", "critical", evidence="posix.system(" + ev + ")")
    # joblib: inline float64 array bytes (with 0x00 bytes that are not
    # opcodes), then a payload after the array.
    mal("joblib_inline_then_payload.pkl",
        joblib_stream(payload=True), "MATS-PKL-001", "critical", fmt="joblib",
        evidence="posix.system(" + ev + ")")
    mal("joblib_object_array_payload.pkl",
        joblib_object_stream(), "MATS-PKL-001", "critical", fmt="joblib",
        evidence="os.system(" + ev + ")")
    # PyTorch legacy stream whose magic number is produced by a call
    # (GHSA-97f8-7cmv-76j2) and whose object is a payload; raw storage bytes
    # follow the storage keys.
    magic_call = proto(2) + glob("builtins", "int") + MARK + \
        binunicode("119547037146038801333356") + TUPLE + REDUCE + STOP
    legacy = magic_call + proto(2) + b"M\xe9\x03" + STOP + \
        proto(2) + EMPTY_DICT + STOP + \
        proto(2) + call_p2("posix", "system", MARKER) + STOP + \
        proto(2) + EMPTY_LIST + STOP + b"\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff"
    mal("legacy_magic_by_call.pt", legacy, "MATS-PKL-001", "critical",
        fmt="pytorch-legacy", evidence="posix.system(" + ev + ")")
    # One fixture per public gadget class (formats-and-attacks.md section 2).
    gadgets = [
        ("builtins", "eval"), ("builtins", "compile"), ("builtins", "__import__"),
        ("builtins", "getattr"), ("os", "system"), ("nt", "system"),
        ("subprocess", "Popen"), ("pty", "spawn"),
        ("pkgutil", "resolve_name"), ("pydoc", "locate"),
        ("importlib", "import_module"),
        ("operator", "attrgetter"), ("operator", "methodcaller"),
        ("operator", "itemgetter"), ("functools", "partial"),
        ("functools", "reduce"),
        ("cProfile", "runctx"), ("trace", "Trace"), ("timeit", "timeit"),
        ("code", "InteractiveInterpreter"), ("idlelib.pyshell", "main"),
        ("doctest", "debug_script"), ("pdb", "run"),
        ("uuid", "_get_command_stdout"), ("imaplib", "IMAP4_stream"),
        ("_osx_support", "_read_output"),
        ("asyncio.unix_events", "_UnixSubprocessTransport"),
        ("pip", "main"), ("ensurepip", "_run_pip"),
        ("numpy.f2py.crackfortran", "myeval"),
        ("torch.utils.collect_env", "run"),
        ("torch._inductor.codecache", "compile_file"),
        ("ctypes", "CDLL"), ("types", "CodeType"), ("types", "FunctionType"),
        ("marshal", "loads"), ("dill", "loads"), ("cloudpickle", "loads"),
        ("torch", "load"), ("torch.serialization", "load"), ("torch.hub", "load"),
        ("torch.jit", "load"), ("pickle", "loads"), ("_pickle", "loads"),
        ("numpy", "load"), ("joblib", "load"),
        ("logging", "FileHandler"), ("_io", "FileIO"), ("io", "open"),
        ("builtins", "open"), ("shutil", "rmtree"), ("tempfile", "mkstemp"),
        ("urllib.request", "urlopen"), ("ssl", "get_server_certificate"),
        ("socket", "create_connection"), ("http.client", "HTTPConnection"),
        ("requests", "get"), ("ftplib", "FTP"), ("smtplib", "SMTP"),
        ("webbrowser", "open"), ("sys", "exit"), ("builtins", "breakpoint"),
        ("sklearn.datasets", "fetch_openml"),
        ("sklearn.utils.discovery", "import_module"),
        ("sklearn.metrics._scorer", "partial"),
    ]
    for module, name in gadgets:
        fname = "gadget_%s.%s.pkl" % (module, name)
        mal(fname, proto(2) + call_p2(module, name, MARKER) + STOP,
            "MATS-PKL-001", "high",
            evidence="%s.%s(%s)" % (module, name, ev))
    # The dotted private-method form from the advisory.
    mal("gadget_asyncio_dotted_start.pkl",
        proto(4) + call_p4("asyncio.unix_events",
                           "_UnixSubprocessTransport._start", MARKER) + STOP,
        "MATS-PKL-001", "high")
    # Unknown callable: medium.
    mal("unknown_callable.pkl",
        proto(2) + call_p2("mylib.models", "Net", "x") + STOP,
        "MATS-PKL-002", "medium", evidence="mylib.models.Net('x')")
    # Several stacked pickles: payload in the second one.
    mal("stacked_second_payload.pkl",
        proto(2) + NONE + STOP + proto(2) + call_p2("os", "system", MARKER) +
        STOP,
        "MATS-PKL-001", "critical")


def joblib_wrapper(shape, descr, elsize, flags, alignment=True, memo=0):
    """Returns the opcodes of a NumpyArrayWrapper up to its BUILD."""
    out = sbu("joblib.numpy_pickle") + sbu("NumpyArrayWrapper") + STACK_GLOBAL
    out += EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + MARK
    out += sbu("subclass") + sbu("numpy") + sbu("ndarray") + STACK_GLOBAL
    out += sbu("shape") + MARK
    for d in shape:
        out += binint(d)
    out += TUPLE
    out += sbu("order") + sbu("C")
    out += sbu("dtype") + sbu("numpy") + sbu("dtype") + STACK_GLOBAL
    out += sbu(descr) + NEWFALSE + NEWTRUE + TUPLE3 + REDUCE
    out += MARK + binint1(3) + sbu("<") + NONE + NONE + NONE + binint(elsize)
    out += binint(-1) + binint1(flags) + TUPLE + BUILD
    out += sbu("allow_mmap") + NEWTRUE
    if alignment:
        out += sbu("numpy_array_alignment_bytes") + binint1(16)
    out += SETITEMS + BUILD
    return out


def joblib_stream(payload):
    out = proto(4) + EMPTY_DICT + MARK + sbu("a")
    out += joblib_wrapper((3,), "f8", -1, 0)
    pad = 16 - ((len(out) + 1) % 16)
    if pad == 0:
        pad = 16
    out += bytes([pad]) + b"\xff" * pad
    out += struct.pack("<3d", 1.0, 2.0, 3.0)
    if payload:
        out += sbu("b") + call_p4("posix", "system", MARKER)
    out += SETITEMS + STOP
    return out


def joblib_object_stream():
    out = proto(4) + EMPTY_DICT + MARK + sbu("o")
    out += joblib_wrapper((1,), "O8", -1, 63)
    # The inline data of an object array is a nested protocol-2 pickle.
    out += proto(2) + call_p2("os", "system", MARKER) + STOP
    out += SETITEMS + STOP
    return out


# --------------------------------------------------------------------------
# Benign fixtures made by the real libraries.

def benign():
    import collections
    import datetime
    import decimal
    import fractions
    import numpy as np
    data = {
        "ints": [0, 1, -1, 255, 65535, 2**31 - 1, -2**31, 2**63, -2**70],
        "floats": [0.0, 1.5, -2.25, float("inf")],
        "text": ["", "a", "ünï", "x" * 300],
        "bytes": [b"", b"\x00\xff", bytes(range(256))],
        "bytearray": bytearray(b"abc"),
        "tuple": (1, (2, 3), ()),
        "set": {1, 2, 3},
        "frozenset": frozenset({"a"}),
        "none": None, "bools": [True, False],
        "complex": 1 + 2j,
        "ordered": collections.OrderedDict([("a", 1), ("b", 2)]),
        "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "delta": datetime.timedelta(days=1),
        "dec": decimal.Decimal("1.25"),
        "frac": fractions.Fraction(1, 3),
        "range": range(3),
        "slice": slice(1, 5, 2),
    }
    shared = [1, 2]
    data["shared"] = [shared, shared]
    for p in range(6):
        ben("stdlib_p%d.pkl" % p, pickle.dumps(data, protocol=p))
    # Several pickles back to back (each loadable with pickle.load in turn).
    ben("stacked_benign.pkl", pickle.dumps([1, 2], 2) + pickle.dumps({"a": 1}, 4))
    # NumPy.
    arrays = {
        "f": np.arange(6, dtype=np.float32).reshape(2, 3),
        "obj": np.array([1, "a", None], dtype=object),
        "s": np.array(["ab", "c"]),
        "struct": np.zeros(2, dtype=[("x", "<i4"), ("y", "<f8")]),
        "scalar": np.float64(3.5),
        "rng": np.random.RandomState(0),
        "gen": np.random.default_rng(0),
        "state": np.random.get_state(),
        "dtype": np.dtype("int64"),
    }
    for p in (2, 4, 5):
        ben("numpy_p%d.pkl" % p, pickle.dumps(arrays, protocol=p))
    # PyTorch.
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(),
                                torch.nn.BatchNorm1d(3))
    sd = model.state_dict()
    ckpt = {"model": sd, "epoch": 3, "rng": torch.get_rng_state(),
            "np_rng": np.random.get_state(), "dtype": torch.float16,
            "size": torch.Size([2, 3]), "device": torch.device("cpu")}
    buf = io.BytesIO()
    torch.save(ckpt, buf, _use_new_zipfile_serialization=False)
    ben("torch_legacy.pt", buf.getvalue(), fmt="pytorch-legacy")
    buf = io.BytesIO()
    torch.save(model, buf, _use_new_zipfile_serialization=False)
    ben("torch_legacy_module.pt", buf.getvalue(), fmt="pytorch-legacy")
    for label, obj in (("state_dict", ckpt), ("module", model)):
        buf = io.BytesIO()
        torch.save(obj, buf)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            name = [n for n in z.namelist() if n.endswith("data.pkl")][0]
            ben("torch_zip_%s_data.pkl" % label, z.read(name))
    # scikit-learn estimators through joblib (uncompressed).
    import joblib
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]] * 3)
    y = np.array([0, 1, 1, 0] * 3)
    estimators = {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
        "forest": RandomForestClassifier(n_estimators=2, max_depth=2,
                                         random_state=0).fit(X, y),
        "onehot": OneHotEncoder(dtype=np.float64).fit([["a"], ["b"]]),
    }
    for label, est in estimators.items():
        path = os.path.join(OUT, "sklearn_%s.joblib" % label)
        joblib.dump(est, path)
        with open(path, "rb") as f:
            data_bytes = f.read()
        manifest.append((os.path.basename(path), "benign", "-", "-", "-",
                         "joblib", "-"))
        assert len(data_bytes) < 200_000
    path = os.path.join(OUT, "joblib_arrays.joblib")
    joblib.dump({"f": np.arange(10.0), "o": np.array([1, "x"], dtype=object),
                 "u": np.array(["abc"]), "big": np.zeros((3, 5), np.int16)},
                path)
    manifest.append(("joblib_arrays.joblib", "benign", "-", "-", "-", "joblib",
                     "-"))
    # A joblib stream built by hand, benign (no payload), with alignment.
    ben("joblib_handmade.pkl", joblib_stream(payload=False), fmt="joblib")


GOLDEN_CASES = [
    "p0_posix_system.pkl", "memo_confusion.pkl", "joblib_inline_then_payload.pkl",
    "legacy_magic_by_call.pt", "frame_split.pkl", "broken_tail.pkl",
    "nested_pickle_bytes.pkl", "build_setstate.pkl",
    "dotted_pathlib_os_system.pkl", "runtime_callable.pkl", "ext1.pkl",
    "stdlib_p2.pkl",
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".pkl", ".pt", ".joblib")):
            os.remove(os.path.join(OUT, f))
    malicious()
    benign()
    with open(os.path.join(OUT, "MANIFEST.tsv"), "w") as f:
        f.write("# generated by tools/gen/pickle_fixtures.py\n")
        f.write("# file\tkind\trules\tmin_severity\terror\tformat\tevidence\n")
        for row in manifest:
            f.write("\t".join(row) + "\n")
    # Golden cases (tests/golden/pickle/<case> + <case>.expected.json; the
    # expected reports are written by MATS_UPDATE_GOLDEN=1 pickle_test).
    golden = os.path.join(OUT, "..", "..", "golden", "pickle")
    os.makedirs(golden, exist_ok=True)
    for case in GOLDEN_CASES:
        with open(os.path.join(OUT, case), "rb") as src:
            data = src.read()
        with open(os.path.join(golden, case), "wb") as dst:
            dst.write(data)
    print("wrote %d fixtures to %s" % (len(manifest), OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
