#!/usr/bin/python3
"""Generates examples/: a small model folder of benign and malicious files
for the README demo (`bash tools/demo.sh`) and the CLI end-to-end test.

Benign files are written by the real libraries (torch, numpy, scikit-learn,
joblib, onnx). Malicious files are assembled byte by byte; their payloads are
harmless markers (`echo MATS-TEST-MARKER`) and nothing here ever loads them.

usage: /usr/bin/python3 tools/gen/examples.py [OUTDIR]   (default: examples)
"""
import io
import json
import os
import struct
import sys
import zipfile

import joblib
import numpy as np
import onnx
import onnx.helper as oh
import torch
from sklearn.linear_model import LogisticRegression

MARKER = b"echo MATS-TEST-MARKER"


def proto2_global(module: bytes, name: bytes) -> bytes:
    return b"c" + module + b"\n" + name + b"\n"


def short_binunicode(s: bytes) -> bytes:
    return b"\x8c" + bytes([len(s)]) + s


def reduce_call_pickle(module: bytes, name: bytes, arg: bytes) -> bytes:
    """PROTO 2; GLOBAL module name; (arg,); REDUCE; STOP."""
    return (b"\x80\x02" + proto2_global(module, name) + b"X" +
            struct.pack("<I", len(arg)) + arg + b"\x85R.")


def stack_global_pickle() -> bytes:
    """Protocol 4: STACK_GLOBAL('pathlib', 'os.system') resolves to os.system."""
    body = (short_binunicode(b"pathlib") + b"\x94" + short_binunicode(b"os.system") +
            b"\x94\x93\x94" + short_binunicode(MARKER) + b"\x94\x85\x94R\x94.")
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


def safetensors_bytes(tensors: dict) -> bytes:
    header = {}
    data = b""
    for name, arr in tensors.items():
        raw = arr.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def gguf_string(s: bytes) -> bytes:
    return struct.pack("<Q", len(s)) + s


def gguf_with_template(template: bytes) -> bytes:
    kvs = [
        (b"general.architecture", 8, gguf_string(b"llama")),
        (b"general.alignment", 4, struct.pack("<I", 32)),
        (b"tokenizer.chat_template", 8, gguf_string(template)),
    ]
    out = b"GGUF" + struct.pack("<I", 3) + struct.pack("<Q", 1) + struct.pack("<Q", len(kvs))
    for key, vtype, value in kvs:
        out += gguf_string(key) + struct.pack("<I", vtype) + value
    # One F32 tensor of 8 elements at offset 0 of the data section.
    out += gguf_string(b"tok_embd.weight") + struct.pack("<I", 1) + struct.pack("<Q", 8)
    out += struct.pack("<I", 0) + struct.pack("<Q", 0)
    out += b"\x00" * ((32 - len(out) % 32) % 32)
    out += struct.pack("<8f", *range(8))
    return out


CHATML = (b"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
          b"message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
          b"{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
EVIL_TEMPLATE = (b"{{ ''.__class__.__mro__[1].__subclasses__() }}"
                 b"{{ lipsum.__globals__['os'].popen('" + MARKER + b"').read() }}")


def keras_lambda_zip() -> bytes:
    # A Keras 3 archive whose config holds a Lambda layer. The bytecode is a
    # real marshalled code object, produced by compile() (which only
    # translates the source; nothing runs) and never loaded.
    import base64
    import marshal
    import types
    src = "lambda x: __import__('os').system('" + MARKER.decode() + "')"
    module_code = compile(src, "<lambda>", "eval")
    lam = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    code = marshal.dumps(lam)
    config = {
        "module": "keras", "class_name": "Sequential", "registered_name": None,
        "config": {"name": "sequential", "layers": [
            {"module": "keras.layers", "class_name": "InputLayer",
             "config": {"batch_shape": [None, 4], "name": "input"}, "registered_name": None},
            {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
             "config": {"name": "lambda", "function": {
                 "class_name": "__lambda__",
                 "config": {"code": base64.b64encode(code).decode(), "defaults": None,
                            "closure": None}}}},
        ]},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3",
                                                "date_saved": "2024-05-01@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
    return buf.getvalue()


def evil_torch_zip(benign: bytes) -> bytes:
    """Copies a real torch.save zip and swaps data.pkl for a payload."""
    src = zipfile.ZipFile(io.BytesIO(benign))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("/data.pkl"):
                data = reduce_call_pickle(b"posix", b"system", MARKER)
            out.writestr(info, data)
    return buf.getvalue()


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "examples"
    benign = os.path.join(out, "benign")
    evil = os.path.join(out, "malicious")
    os.makedirs(benign, exist_ok=True)
    os.makedirs(evil, exist_ok=True)
    torch.manual_seed(0)

    def write(path, data):
        with open(path, "wb") as f:
            f.write(data)

    # --- benign, made by the real libraries ---
    state = {"fc.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4),
             "fc.bias": torch.zeros(3)}
    torch.save(state, os.path.join(benign, "linear.pt"))
    torch.save(state, os.path.join(benign, "linear_legacy.pt"),
               _use_new_zipfile_serialization=False)
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    clf = LogisticRegression().fit(x, [0, 1, 1, 0])
    joblib.dump(clf, os.path.join(benign, "classifier.joblib"))
    np.save(os.path.join(benign, "embeddings.npy"), np.arange(16, dtype=np.float32))
    write(os.path.join(benign, "model.safetensors"),
          safetensors_bytes({"w": np.ones((2, 2), dtype=np.float32)}))
    node = oh.make_node("Relu", ["x"], ["y"])
    graph = oh.make_graph([node], "g", [oh.make_tensor_value_info("x", 1, [1, 4])],
                          [oh.make_tensor_value_info("y", 1, [1, 4])])
    model = oh.make_model(graph, producer_name="mats-examples",
                          opset_imports=[oh.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, os.path.join(benign, "relu.onnx"))
    write(os.path.join(benign, "chat_template.jinja"), CHATML)
    write(os.path.join(benign, "chatml.gguf"), gguf_with_template(CHATML))

    # --- malicious, byte by byte, never loaded ---
    write(os.path.join(evil, "os_system.pkl"), reduce_call_pickle(b"posix", b"system", MARKER))
    write(os.path.join(evil, "stack_global_bypass.pkl"), stack_global_pickle())
    write(os.path.join(evil, "broken_tail.pkl"),
          reduce_call_pickle(b"os", b"system", MARKER)[:-1] + b"\xff\xfe garbage")
    write(os.path.join(evil, "disguised.safetensors"),
          reduce_call_pickle(b"builtins", b"exec", b"import os; os.system('" + MARKER + b"')"))
    with open(os.path.join(benign, "linear.pt"), "rb") as f:
        write(os.path.join(evil, "payload_checkpoint.pt"), evil_torch_zip(f.read()))
    write(os.path.join(evil, "jinja_rce.gguf"), gguf_with_template(EVIL_TEMPLATE))
    write(os.path.join(evil, "lambda_layer.keras"), keras_lambda_zip())
    node = oh.make_node("Relu", ["x"], ["y"])
    w = oh.make_tensor("w", 1, [4], [0.0] * 4)
    w.data_location = onnx.TensorProto.EXTERNAL
    del w.float_data[:]
    entry = w.external_data.add()
    entry.key, entry.value = "location", "../../../../etc/passwd"
    graph = oh.make_graph([node], "g", [oh.make_tensor_value_info("x", 1, [1, 4])],
                          [oh.make_tensor_value_info("y", 1, [1, 4])], initializer=[w])
    model = oh.make_model(graph, producer_name="mats-examples",
                          opset_imports=[oh.make_opsetid("", 13)])
    model.ir_version = 8
    write(os.path.join(evil, "external_data_traversal.onnx"), model.SerializeToString())


if __name__ == "__main__":
    main()
