#!/usr/bin/python3
"""Generates the Keras / HDF5 test fixtures under tests/fixtures/{keras,hdf5}.

Run with Debian's interpreter (it has h5py):  /usr/bin/python3 tools/gen/keras_fixtures.py

Keras itself is not needed: configs are written by hand in the Keras 3
(`.keras` config.json) and tf.keras 2 (`.h5` model_config) serialization
formats. Lambda bytecode is produced with compile() + marshal.dumps() of a
lambda's code object -- compiled, never called. Malicious fixtures only carry
the harmless marker command `echo MATS-TEST-MARKER`.
"""
import codecs
import io
import json
import marshal
import os
import zipfile

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
KERAS = os.path.join(ROOT, "tests", "fixtures", "keras")
HDF5 = os.path.join(ROOT, "tests", "fixtures", "hdf5")
FUZZ = os.path.join(ROOT, "fuzz", "corpus")


def lambda_code(src):
    """marshal bytes of the code object of `src` (a lambda expression)."""
    module = compile(src, "<mats-fixture>", "eval")
    code = [c for c in module.co_consts if hasattr(c, "co_code")][0]
    return marshal.dumps(code)


def func_dump_b64(src):
    # keras.src.utils.python_utils.func_dump: codecs base64 (with newlines).
    return codecs.encode(lambda_code(src), "base64").decode("ascii")


EVIL = "lambda x: __import__('os').system('echo MATS-TEST-MARKER') or x"
BENIGN = "lambda x: x * 2.0 + 1.0"


def k3(module, cls, config, registered=None, **extra):
    d = {"module": module, "class_name": cls, "config": config,
         "registered_name": registered}
    d.update(extra)
    return d


def dense(name, units):
    return k3("keras.layers", "Dense",
              {"name": name, "trainable": True, "dtype": "float32",
               "units": units, "activation": "relu", "use_bias": True,
               "kernel_initializer": k3("keras.initializers", "GlorotUniform",
                                        {"seed": None})},
              build_config={"input_shape": [None, 4]})


def input_layer(name):
    return k3("keras.layers", "InputLayer",
              {"batch_shape": [None, 4], "dtype": "float32", "name": name})


def sequential(name, layers):
    return k3("keras", "Sequential",
              {"name": name, "trainable": True, "dtype": "float32",
               "layers": layers})


def keras3_benign():
    return sequential("benign", [input_layer("in"), dense("d1", 8),
                                 dense("d2", 2)])


def keras3_nested_lambda():
    lam = k3("keras.layers", "Lambda",
             {"name": "hidden_lambda", "trainable": True, "dtype": "float32",
              "function": {"class_name": "__lambda__",
                           "config": {"code": func_dump_b64(EVIL),
                                      "defaults": None, "closure": None}},
              "arguments": {}})
    inner = sequential("inner", [input_layer("in2"), dense("d3", 4), lam])
    wrapped = k3("keras.layers", "TimeDistributed",
                 {"name": "td", "layer": inner})
    return sequential("outer", [input_layer("in"), dense("d1", 4), wrapped])


def tfkeras2_model_config(function_src):
    layers = [
        {"class_name": "InputLayer",
         "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                    "name": "input_1"}},
        {"class_name": "Dense",
         "config": {"name": "dense", "units": 4, "activation": "relu"}},
    ]
    if function_src is not None:
        layers.append({"class_name": "Lambda",
                       "config": {"name": "lambda", "function":
                                  [func_dump_b64(function_src), None, None],
                                  "function_type": "lambda",
                                  "module": "__main__",
                                  "output_shape": None,
                                  "arguments": {}}})
    return {"class_name": "Sequential",
            "config": {"name": "sequential", "layers": layers}}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def keras_zip(path, config):
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h:
        h.create_group("layers")
        h["layers"].create_dataset("vars", data=np.zeros((2,), "f4"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps(
            {"keras_version": "3.6.0", "date_saved": "2026-01-01@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", weights.getvalue())


def h5_model(path, model_config, libver="earliest", vl=False, extra=None):
    with h5py.File(path, "w", libver=libver) as f:
        text = json.dumps(model_config)
        if vl:
            f.attrs["model_config"] = text  # str -> variable-length string
        else:
            f.attrs["model_config"] = text.encode("utf-8")  # fixed length
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([b"dense"])
        g = mw.create_group("dense")
        g.create_dataset("kernel", data=np.zeros((4, 4), "f4"))
        if extra:
            extra(f)


def main():
    os.makedirs(KERAS, exist_ok=True)
    os.makedirs(HDF5, exist_ok=True)
    write(os.path.join(KERAS, "lambda_os_system.marshal"), lambda_code(EVIL))
    write(os.path.join(KERAS, "lambda_benign.marshal"), lambda_code(BENIGN))
    write(os.path.join(KERAS, "benign_config.json"),
          json.dumps(keras3_benign(), indent=1))
    write(os.path.join(KERAS, "nested_lambda_config.json"),
          json.dumps(keras3_nested_lambda(), indent=1))
    write(os.path.join(KERAS, "tfkeras2_lambda_config.json"),
          json.dumps(tfkeras2_model_config(EVIL)))
    keras_zip(os.path.join(KERAS, "benign.keras"), keras3_benign())
    keras_zip(os.path.join(KERAS, "nested_lambda.keras"), keras3_nested_lambda())

    h5_model(os.path.join(HDF5, "benign_v0.h5"), tfkeras2_model_config(None))
    h5_model(os.path.join(HDF5, "lambda_v0.h5"), tfkeras2_model_config(EVIL))
    h5_model(os.path.join(HDF5, "lambda_vl_latest.h5"),
             tfkeras2_model_config(EVIL), libver="latest", vl=True)
    h5_model(os.path.join(HDF5, "benign_latest.h5"),
             tfkeras2_model_config(None), libver="latest", vl=True)

    def external_link(f):
        f["model_weights"]["stolen"] = h5py.ExternalLink("/etc/passwd.h5", "/x")

    h5_model(os.path.join(HDF5, "external_link.h5"),
             tfkeras2_model_config(None), extra=external_link)

    def external_storage(f):
        f["model_weights"].create_dataset(
            "ext", shape=(4,), dtype="u1", external=[("/etc/hostname", 0, 4)])

    h5_model(os.path.join(HDF5, "external_storage.h5"),
             tfkeras2_model_config(None), extra=external_storage)

    def virtual(f):
        layout = h5py.VirtualLayout(shape=(4,), dtype="u1")
        layout[:] = h5py.VirtualSource("/etc/secret.h5", "data", shape=(4,))
        f["model_weights"].create_virtual_dataset("vds", layout)

    h5_model(os.path.join(HDF5, "virtual_dataset.h5"),
             tfkeras2_model_config(None), libver="latest", extra=virtual)

    # A user block: the signature sits at 512.
    with h5py.File(os.path.join(HDF5, "userblock.h5"), "w",
                   userblock_size=512) as f:
        f.attrs["model_config"] = json.dumps(tfkeras2_model_config(EVIL)).encode()

    # Dense link storage (fractal heap): more links than the compact maximum.
    with h5py.File(os.path.join(HDF5, "dense_links.h5"), "w",
                   libver="latest") as f:
        f.attrs["model_config"] = json.dumps(tfkeras2_model_config(None))
        g = f.create_group("many")
        for i in range(20):
            g.create_group("g%02d" % i)

    # Fuzz seeds.
    for sub in ("keras", "hdf5"):
        os.makedirs(os.path.join(FUZZ, sub), exist_ok=True)
    for name in ("benign_config.json", "nested_lambda_config.json",
                 "tfkeras2_lambda_config.json"):
        with open(os.path.join(KERAS, name), "rb") as src:
            write(os.path.join(FUZZ, "keras", name), src.read())
    for name in ("benign_v0.h5", "lambda_vl_latest.h5", "external_link.h5",
                 "virtual_dataset.h5", "external_storage.h5", "userblock.h5"):
        with open(os.path.join(HDF5, name), "rb") as src:
            write(os.path.join(FUZZ, "hdf5", name), src.read())


if __name__ == "__main__":
    main()
