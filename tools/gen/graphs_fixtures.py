#!/usr/bin/python3
"""Generates the ONNX, TensorFlow and TFLite test fixtures of mats.

    /usr/bin/python3 tools/gen/graphs_fixtures.py   # rewrites tests/fixtures/{onnx,tensorflow,tflite}

ONNX models are built with Debian's python3-onnx (onnx.helper); TensorFlow
protos (GraphDef, SavedModel, Keras SavedMetadata) with the small protobuf
encoder below (TensorFlow is not installed); TFLite flatbuffers with the small
flatbuffer writer below. Malicious fixtures carry only harmless markers
(MATS-TEST-MARKER) and nothing here loads or runs them. Symlinks and hard
links for the ONNX external-data cases are created by the tests at run time
(git cannot hold hard links).
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")


def write(sub, name, data):
    d = os.path.join(FIX, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- protobuf
def varint(v):
    if v < 0:
        v += 1 << 64
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(n, v):
    return varint(n << 3) + varint(v)


def f_bytes(n, b):
    if isinstance(b, str):
        b = b.encode()
    return varint((n << 3) | 2) + varint(len(b)) + b


# ---------------------------------------------------------------- ONNX
def onnx_fixtures():
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def model(graph, opsets=None, functions=None, metadata=None):
        opsets = opsets or [helper.make_opsetid("", 13)]
        kw = {}
        if functions:
            kw["functions"] = functions
        m = helper.make_model(graph, opset_imports=opsets, producer_name="mats-gen", **kw)
        m.ir_version = 8
        if metadata:
            for k, v in metadata.items():
                e = m.metadata_props.add()
                e.key = k
                e.value = v
        return m.SerializeToString()

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    w = numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(4, 4), "w")

    def mlp(extra_nodes=(), inits=None):
        nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]),
                 helper.make_node("Relu", ["h"], ["y"])] + list(extra_nodes)
        return helper.make_graph(nodes, "mlp", [x], [y], inits if inits is not None else [w])

    write("onnx", "benign.onnx", model(mlp()))

    # Nested graphs (If) and a model-local function in its own domain: clean.
    then_g = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [], [
        helper.make_tensor_value_info("t", TensorProto.FLOAT, [1, 4])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [], [
        helper.make_tensor_value_info("e", TensorProto.FLOAT, [1, 4])])
    cond = helper.make_tensor("cond", TensorProto.BOOL, [], [True])
    fn = helper.make_function("local.funcs", "DoubleRelu", ["a"], ["b"], [
        helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Relu", ["r"], ["b"])],
        [helper.make_opsetid("", 13)])
    g = helper.make_graph([
        helper.make_node("If", ["cond"], ["i"], then_branch=then_g, else_branch=else_g),
        helper.make_node("DoubleRelu", ["i"], ["y"], domain="local.funcs")],
        "nested", [x], [y], [cond])
    write("onnx", "benign_nested_function.onnx",
          model(g, [helper.make_opsetid("", 13), helper.make_opsetid("local.funcs", 1)], [fn]))

    write("onnx", "benign_ml_domain.onnx", model(
        helper.make_graph([helper.make_node("Normalizer", ["x"], ["y"], domain="ai.onnx.ml",
                                            norm="MAX")], "ml", [x], [y]),
        [helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)]))

    def external(location, offset=None, length=None, dims=(4, 4)):
        t = TensorProto()
        t.name = "w"
        t.data_type = TensorProto.FLOAT
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", location), ("offset", offset), ("length", length)):
            if v is not None:
                e = t.external_data.add()
                e.key = k
                e.value = str(v)
        return model(mlp(inits=[t]))

    write("onnx", "external_ok.onnx", external("weights.bin", 0, 64))
    write("onnx", "weights.bin", np.arange(16, dtype=np.float32).tobytes())
    write("onnx", "external_in_subdir.onnx", external("data/weights.bin", 0, 64))
    write("onnx", "external_traversal.onnx", external("../../../../etc/passwd"))
    write("onnx", "external_subdir_traversal.onnx", external("subdir/../../secret.bin"))
    write("onnx", "external_absolute.onnx", external("/etc/passwd"))
    write("onnx", "external_uri.onnx", external("file:///etc/passwd"))
    write("onnx", "external_drive.onnx", external("C:\\Windows\\win.ini"))
    write("onnx", "external_empty.onnx", external(""))
    write("onnx", "external_range.onnx", external("weights.bin", 1024, 64))
    write("onnx", "external_length_mismatch.onnx", external("weights.bin", 0, 32))
    write("onnx", "external_bad_offset.onnx", external("weights.bin", "12abc", 64))
    write("onnx", "external_missing.onnx", external("not_there.bin", 0, 64))

    write("onnx", "custom_domain.onnx", model(
        mlp([helper.make_node("Backdoor", ["y"], ["z"], domain="com.example.evilops",
                              marker="MATS-TEST-MARKER")]),
        [helper.make_opsetid("", 13), helper.make_opsetid("com.example.evilops", 1)]))
    write("onnx", "contrib_domain.onnx", model(
        mlp([helper.make_node("FusedMatMul", ["y", "w"], ["z"], domain="com.microsoft")]),
        [helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)]))
    body = helper.make_graph(
        [helper.make_node("Backdoor", ["v"], ["v_out"], domain="com.example.evilops"),
         helper.make_node("Identity", ["c"], ["c_out"])], "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("c", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1, 4])])
    trip = helper.make_tensor("trip", TensorProto.INT64, [], [2])
    loop_g = helper.make_graph([helper.make_node("Loop", ["trip", "cond", "x"], ["y"], body=body)],
                               "loop", [x], [y], [trip, cond])
    write("onnx", "nested_custom_domain.onnx", model(loop_g))
    evil_fn = helper.make_function("local.funcs", "Wrapper", ["a"], ["b"], [
        helper.make_node("Backdoor", ["a"], ["b"], domain="com.example.evilops")],
        [helper.make_opsetid("", 13), helper.make_opsetid("com.example.evilops", 1)])
    write("onnx", "function_custom_domain.onnx", model(
        helper.make_graph([helper.make_node("Wrapper", ["x"], ["y"], domain="local.funcs")],
                          "fn", [x], [y]),
        [helper.make_opsetid("", 13), helper.make_opsetid("local.funcs", 1)], [evil_fn]))
    write("onnx", "custom_library.onnx",
          model(mlp(), metadata={"custom_op_library": "libmats_test_marker_ops.so"}))
    write("onnx", "custom_library_attr.onnx", model(
        mlp([helper.make_node("Identity", ["y"], ["z"], library="./libcustom_ops.so.1")])))

    bad = TensorProto()
    bad.name = "w"
    bad.data_type = TensorProto.FLOAT
    bad.dims.extend([4, 4])
    bad.raw_data = b"\0" * 8
    write("onnx", "size_mismatch.onnx", model(mlp(inits=[bad])))
    neg = TensorProto()
    neg.name = "w"
    neg.data_type = TensorProto.FLOAT
    neg.dims.extend([-4, 4])
    neg.raw_data = b"\0" * 64
    write("onnx", "size_negative_dim.onnx", model(mlp(inits=[neg])))
    typed = TensorProto()
    typed.name = "w"
    typed.data_type = TensorProto.FLOAT
    typed.dims.extend([4, 4])
    typed.float_data.extend([1.0] * 3)
    write("onnx", "size_typed_mismatch.onnx", model(mlp(inits=[typed])))
    write("onnx", "truncated.onnx", model(mlp())[:-7])


# ---------------------------------------------------------------- TensorFlow
def attr_entry(key, value):  # map<string, AttrValue> entry
    return f_bytes(1, key) + f_bytes(2, value)


def attr_s(s):
    return f_bytes(2, s)


def attr_func(name):
    return f_bytes(10, f_bytes(1, name))


def attr_type(t):
    return f_varint(6, t)


def node(name, op, inputs=(), attrs=()):
    b = f_bytes(1, name) + f_bytes(2, op)
    for i in inputs:
        b += f_bytes(3, i)
    for k, v in attrs:
        b += f_bytes(5, attr_entry(k, v))
    return b


def function(name, nodes):
    sig = f_bytes(1, name)
    b = f_bytes(1, sig)
    for n in nodes:
        b += f_bytes(3, n)
    return b


def graphdef(nodes, functions=()):
    b = b"".join(f_bytes(1, n) for n in nodes)
    if functions:
        b += f_bytes(2, b"".join(f_bytes(1, f) for f in functions))
    b += f_bytes(4, f_varint(1, 1087))  # versions { producer: 1087 }
    return b


def saved_model(gd, tags=("serve",)):
    meta_info = b"".join(f_bytes(4, t) for t in tags) + f_bytes(5, "2.15.0")
    meta = f_bytes(1, meta_info) + f_bytes(2, gd)
    return f_varint(1, 1) + f_bytes(2, meta)


def tf_fixtures():
    dt_float = attr_type(1)
    basic = [
        node("x", "Placeholder", attrs=[("dtype", dt_float)]),
        node("w", "Const", attrs=[("dtype", dt_float)]),
        node("mm", "MatMul", ["x", "w"], [("T", dt_float)]),
        node("out", "Identity", ["mm"], [("T", dt_float)]),
    ]
    write("tensorflow", "graphdef_benign.pb", graphdef(basic))
    write("tensorflow", "graphdef_pyfunc.pb", graphdef(basic + [
        node("cb", "PyFunc", ["out"], [("token", attr_s("pyfunc_0 MATS-TEST-MARKER"))])]))
    write("tensorflow", "graphdef_file_ops.pb", graphdef(basic + [
        node("path", "Const"),
        node("rf", "ReadFile", ["path"]),
        node("wf", "WriteFile", ["path", "rf"])]))
    write("tensorflow", "graphdef_printv2_file.pb", graphdef(basic + [
        node("pr", "PrintV2", ["out"],
             [("output_stream", attr_s("file:///tmp/MATS-TEST-MARKER.txt"))])]))
    write("tensorflow", "graphdef_printv2_stderr.pb", graphdef(basic + [
        node("pr", "PrintV2", ["out"], [("output_stream", attr_s("stderr"))])]))
    write("tensorflow", "graphdef_unknown_op.pb", graphdef(basic + [
        node("zo", "MatsTestZeroOut", ["out"])]))
    write("tensorflow", "graphdef_library_pyfunc.pb", graphdef(
        basic + [node("call", "StatefulPartitionedCall", ["out"], [("f", attr_func("inner_fn"))])],
        [function("inner_fn", [node("e", "EagerPyFunc", ["a"],
                                    [("token", attr_s("pyfunc_7 MATS-TEST-MARKER"))])])]))
    sm_nodes = [
        node("x", "Placeholder", attrs=[("dtype", dt_float)]),
        node("v", "VarHandleOp", attrs=[("dtype", dt_float)]),
        node("r", "ReadVariableOp", ["v"]),
        node("call", "StatefulPartitionedCall", ["x", "v"], [("f", attr_func("serve_fn"))]),
        node("prefix", "Const"),
        node("save", "SaveV2", ["prefix"]),
        node("restore", "RestoreV2", ["prefix"]),
        node("noop", "NoOp"),
    ]
    fn_nodes = [node("mm", "MatMul", ["a", "b"]), node("relu", "Relu", ["mm"]),
                node("id", "Identity", ["relu"])]
    write("tensorflow", "saved_model_benign.pb",
          saved_model(graphdef(sm_nodes, [function("serve_fn", fn_nodes)])))
    write("tensorflow", "saved_model_pyfunc.pb", saved_model(graphdef(
        sm_nodes, [function("serve_fn", fn_nodes + [
            node("cb", "PyFuncStateless", ["id"], [("token", attr_s("pyfunc_3"))])])])))
    write("tensorflow", "saved_model_truncated.pb",
          saved_model(graphdef(sm_nodes, [function("serve_fn", fn_nodes)]))[:-5])

    def keras_node(node_id, path, ident, metadata):
        return f_bytes(1, f_varint(2, node_id) + f_bytes(3, path) + f_bytes(4, ident) +
                       f_bytes(5, metadata))

    dense = ('{"name": "dense", "trainable": true, "expects_training_arg": false, '
             '"dtype": "float32", "batch_input_shape": null, "stateful": false, '
             '"must_restore_from_config": false, "class_name": "Dense", '
             '"config": {"name": "dense", "units": 4, "activation": "relu"}}')
    model = ('{"name": "sequential", "class_name": "Sequential", "config": '
             '{"name": "sequential", "layers": []}, "is_graph_network": true}')
    write("tensorflow", "keras_metadata_benign.pb",
          keras_node(0, "root", "_tf_keras_sequential", model) +
          keras_node(1, "root.layer_with_weights-0", "_tf_keras_layer", dense))
    lam = ('{"name": "lambda", "trainable": true, "class_name": "Lambda", "config": '
           '{"name": "lambda", "function": {"class_name": "__lambda__", "config": '
           '{"code": "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMEAAAAfABTAKkBTqkAKQHaAXhyAQAAAHIB'
           'AAAA+gRNQVRT2gg8bGFtYmRhPgEAAABzAgAAAAQA", "defaults": null, "closure": null}}, '
           '"function_type": "lambda", "module": "__main__"}}')
    custom = ('{"name": "evil", "class_name": "MatsTest>EvilLayer", "config": {"name": "evil"}}')
    write("tensorflow", "keras_metadata_lambda.pb",
          keras_node(0, "root", "_tf_keras_sequential", model) +
          keras_node(1, "root.layer-0", "_tf_keras_layer", lam))
    write("tensorflow", "keras_metadata_custom.pb",
          keras_node(0, "root", "_tf_keras_sequential", model) +
          keras_node(1, "root.layer-0", "_tf_keras_layer", custom))


# ---------------------------------------------------------------- TFLite
class FlatWriter:
    """Front-to-back flatbuffer writer: children follow their parents, so
    every uoffset points forward as the format requires."""

    def __init__(self, ident=b"TFL3"):
        self.buf = bytearray(struct.pack("<I", 0) + ident)

    def align(self, n):
        while len(self.buf) % n:
            self.buf.append(0)

    def patch(self, at, target):
        struct.pack_into("<I", self.buf, at, target - at)

    def table(self, fields):
        """fields: list of (slot, kind, value); kind in i8/i32/u32 or 'ref'
        (value: callable writing the child and returning its position)."""
        nslots = max([s for s, _, _ in fields], default=-1) + 1
        self.align(2)
        vt = len(self.buf)
        self.buf += b"\0" * (4 + 2 * nslots)
        self.align(4)
        tbl = len(self.buf)
        self.buf += struct.pack("<i", tbl - vt)
        offsets, refs = {}, []
        for slot, kind, value in fields:
            offsets[slot] = len(self.buf) - tbl
            if kind == "i8":
                self.buf += struct.pack("<b", value) + b"\0\0\0"
            elif kind == "i32":
                self.buf += struct.pack("<i", value)
            elif kind == "u32":
                self.buf += struct.pack("<I", value)
            elif kind == "ref":
                refs.append((len(self.buf), value))
                self.buf += b"\0\0\0\0"
        size = len(self.buf) - tbl
        struct.pack_into("<HH", self.buf, vt, 4 + 2 * nslots, size)
        for slot, off in offsets.items():
            struct.pack_into("<H", self.buf, vt + 4 + 2 * slot, off)
        for at, child in refs:
            self.patch(at, child())
        return tbl

    def string(self, s):
        def w():
            self.align(4)
            pos = len(self.buf)
            b = s.encode()
            self.buf += struct.pack("<I", len(b)) + b + b"\0"
            return pos
        return w

    def vector_tables(self, children):
        def w():
            self.align(4)
            pos = len(self.buf)
            self.buf += struct.pack("<I", len(children))
            slots = []
            for _ in children:
                slots.append(len(self.buf))
                self.buf += b"\0\0\0\0"
            for at, child in zip(slots, children):
                self.patch(at, child())
            return pos
        return w

    def vector_i32(self, values):
        def w():
            self.align(4)
            pos = len(self.buf)
            self.buf += struct.pack("<I", len(values))
            for v in values:
                self.buf += struct.pack("<i", v)
            return pos
        return w

    def finish(self, root):
        struct.pack_into("<I", self.buf, 0, root())
        return bytes(self.buf)


def tflite(opcodes, operators):
    """opcodes: list of (builtin_code, custom_code or None); operators: list
    of opcode indices."""
    fw = FlatWriter()

    def opcode(code, custom):
        def w():
            fields = [(0, "i8", min(code, 127)), (2, "i32", 1), (3, "i32", code)]
            if custom is not None:
                fields.append((1, "ref", fw.string(custom)))
            return fw.table(fields)
        return w

    def operator(index):
        return lambda: fw.table([(0, "u32", index), (1, "ref", fw.vector_i32([0])),
                                 (2, "ref", fw.vector_i32([1]))])

    def subgraph():
        return fw.table([(1, "ref", fw.vector_i32([0])), (2, "ref", fw.vector_i32([1])),
                         (3, "ref", fw.vector_tables([operator(i) for i in operators])),
                         (4, "ref", fw.string("main"))])

    def model():
        return fw.table([(0, "u32", 3),
                         (1, "ref", fw.vector_tables([opcode(c, s) for c, s in opcodes])),
                         (2, "ref", fw.vector_tables([subgraph])),
                         (3, "ref", fw.string("mats test model"))])

    return fw.finish(model)


def tflite_fixtures():
    ADD, CONV_2D, CUSTOM, FULLY_CONNECTED = 0, 3, 32, 9
    write("tflite", "benign.tflite", tflite([(ADD, None), (CONV_2D, None), (FULLY_CONNECTED, None)],
                                            [0, 1, 2, 0]))
    # builtin code above 127: deprecated_builtin_code holds the placeholder 127.
    write("tflite", "benign_large_code.tflite", tflite([(150, None), (ADD, None)], [0, 1]))
    write("tflite", "custom_op.tflite", tflite([(ADD, None), (CUSTOM, "MatsTestMarkerOp")],
                                               [0, 1, 1]))
    write("tflite", "flex_ops.tflite", tflite(
        [(CUSTOM, "FlexAddV2"), (CUSTOM, "FlexReadFile"), (ADD, None)], [0, 1, 2]))
    write("tflite", "known_custom.tflite", tflite(
        [(CUSTOM, "TFLite_Detection_PostProcess"), (ADD, None)], [0, 1]))
    good = tflite([(ADD, None)], [0])
    write("tflite", "bad_opcode_index.tflite", tflite([(ADD, None)], [5]))
    write("tflite", "truncated.tflite", good[:40])


def main():
    onnx_fixtures()
    tf_fixtures()
    tflite_fixtures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
