#!/usr/bin/python3
"""Writes the fixtures of the safetensors, GGUF and Jinja analysers.

Usage: /usr/bin/python3 tools/gen/llm_fixtures.py   (from the repo root)

safetensors and GGUF files are written byte by byte with `struct` (no
safetensors/gguf libraries); chat templates come from llm_jinja_templates.py.
Malicious fixtures carry the harmless marker `echo MATS-TEST-MARKER` and are
never loaded, rendered or executed.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_jinja_templates as templates  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")


def write(rel, data):
    path = os.path.join(FIX, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


def gen_jinja():
    for name, text in templates.BENIGN.items():
        write("jinja/benign/" + name, text)
    for name, text in templates.MALICIOUS.items():
        write("jinja/malicious/" + name, text)
    # tokenizer_config.json variants
    write("jinja/tokenizer_config/benign/tokenizer_config.json", json.dumps({
        "add_bos_token": True, "bos_token": "<s>", "eos_token": "</s>",
        "chat_template": templates.BENIGN["mistral.jinja"],
        "model_max_length": 32768, "tokenizer_class": "LlamaTokenizer"}, indent=2))
    write("jinja/tokenizer_config/benign/named_templates.json", json.dumps({
        "chat_template": [
            {"name": "default", "template": templates.BENIGN["chatml.jinja"]},
            {"name": "tool_use", "template": templates.BENIGN["qwen2.jinja"]}],
        "tokenizer_class": "Qwen2Tokenizer"}, indent=2))
    write("jinja/tokenizer_config/malicious/tokenizer_config.json", json.dumps({
        "bos_token": "<s>",
        "chat_template": templates.MALICIOUS["lipsum_globals.jinja"],
        "tokenizer_class": "LlamaTokenizer"}, indent=2))
    write("jinja/tokenizer_config/malicious/named_templates.json", json.dumps({
        "chat_template": [
            {"name": "default", "template": templates.BENIGN["chatml.jinja"]},
            {"name": "rag", "template": templates.MALICIOUS["hex_escapes.jinja"]}]},
        indent=2))
    write("jinja/tokenizer_config/malicious/auto_map.json", json.dumps({
        "auto_map": {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]},
        "tokenizer_class": "EvilTokenizer"}, indent=2))
    # Duplicate key: the second chat_template (the one Python's json keeps) is
    # the payload.
    write("jinja/tokenizer_config/malicious/duplicate_key.json",
          '{"chat_template": "{{ messages }}", "chat_template": '
          + json.dumps(templates.MALICIOUS["cycler_init_globals.jinja"]) + "}")


# ---- safetensors -------------------------------------------------------------

MARKER_PICKLE = (b"\x80\x02cposix\nsystem\nq\x00X\x17\x00\x00\x00"
                 b"echo MATS-TEST-MARKER\x20\x20q\x01\x85q\x02Rq\x03.")


def st_bytes(header, data=b"", pad_to=8, raw_header=None):
    """u64 LE N + JSON header (space padded) + data buffer."""
    if raw_header is None:
        raw_header = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad_to:
        raw_header += b" " * ((-len(raw_header)) % pad_to)
    return struct.pack("<Q", len(raw_header)) + raw_header + data


def t(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def f32(values):
    return b"".join(struct.pack("<f", v) for v in values)


def zip_with_pickle():
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("archive/data.pkl", date_time=(2024, 1, 1, 0, 0, 0))
        z.writestr(info, MARKER_PICKLE)
    return buf.getvalue()


def gen_safetensors():
    d = "safetensors/"
    a = f32([1, 2, 3, 4, 5, 6])
    b = struct.pack("<4q", 1, 2, 3, 4)
    write(d + "benign_basic.safetensors", st_bytes(
        {"__metadata__": {"format": "pt"}, "a": t("F32", [2, 3], 0, 24),
         "b": t("I64", [4], 24, 56)}, a + b))
    write(d + "benign_empty.safetensors", st_bytes({}, b""))
    # Mixed dtypes, a zero-size tensor, sub-byte F4 and FP8.
    data = bytes(range(2)) + bytes(4) + bytes(3) + bytes(2)
    write(d + "benign_dtypes.safetensors", st_bytes(
        {"f4": t("F4", [4], 0, 2), "bf16": t("BF16", [2], 2, 6),
         "f8": t("F8_E4M3", [3], 6, 9), "empty": t("F32", [0, 5], 9, 9),
         "flags": t("BOOL", [2], 9, 11),
         "__metadata__": {"format": "pt", "source": "mats fixture"}}, data, pad_to=64))
    write(d + "info_metadata_url.safetensors", st_bytes(
        {"__metadata__": {"license": "https://example.com/license"},
         "a": t("U8", [2], 0, 2)}, b"\x01\x02"))
    # Malformed / hostile.
    write(d + "overlap.safetensors", st_bytes(
        {"a": t("F32", [4], 0, 16), "b": t("F32", [4], 8, 24)}, bytes(24)))
    write(d + "hole.safetensors", st_bytes(
        {"a": t("F32", [2], 0, 8), "b": t("F32", [2], 8 + len(MARKER_PICKLE),
                                           16 + len(MARKER_PICKLE))},
        bytes(8) + MARKER_PICKLE + bytes(8)))
    write(d + "trailing.safetensors", st_bytes({"a": t("U8", [4], 0, 4)},
                                              bytes(4) + b"TRAILING"))
    write(d + "shape_mismatch.safetensors", st_bytes({"a": t("F32", [2, 3], 0, 16)},
                                                    bytes(16)))
    write(d + "shape_overflow.safetensors", st_bytes(
        {"a": t("F64", [2**32, 2**32, 16], 0, 8)}, bytes(8)))
    write(d + "subbyte_partial.safetensors", st_bytes({"a": t("F4", [3], 0, 2)}, bytes(2)))
    write(d + "offsets_past_end.safetensors", st_bytes({"a": t("U8", [64], 0, 64)},
                                                      bytes(8)))
    write(d + "begin_after_end.safetensors", st_bytes({"a": t("U8", [0], 8, 4)}, bytes(8)))
    write(d + "bad_dtype.safetensors", st_bytes({"a": t("F12", [2], 0, 4)}, bytes(4)))
    write(d + "bad_types.safetensors", st_bytes(
        {"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]},
         "b": {"dtype": 5, "shape": [1], "data_offsets": [8, 12]},
         "c": {"dtype": "F32", "shape": [1], "data_offsets": [-1, 4]},
         "d": [1, 2], "e": {"dtype": "F32", "shape": [1]},
         "f": {"dtype": "U8", "shape": [1], "data_offsets": [12, 13], "x": "hidden"}},
        bytes(13)))
    raw = b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' \
          b'"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}'
    write(d + "duplicate_key.safetensors", st_bytes(None, b"\x00\x01", raw_header=raw))
    write(d + "n_past_eof.safetensors", struct.pack("<Q", 4096) + b'{"a":1}')
    write(d + "n_over_cap.safetensors", struct.pack("<Q", 200_000_000) + b"{}")
    write(d + "not_brace.safetensors", st_bytes(None, b"", raw_header=b'["a", 1]'))
    write(d + "invalid_json.safetensors", st_bytes(None, b"", raw_header=b'{"a": '))
    write(d + "bad_padding.safetensors", st_bytes(None, b"", raw_header=b'{}\n\n\n\n\n\n'))
    write(d + "metadata_nonstring.safetensors", st_bytes(
        {"__metadata__": {"n": 5, "nested": {"a": "b"}}}))
    write(d + "metadata_list.safetensors", st_bytes({"__metadata__": ["a"]}))
    write(d + "metadata_code.safetensors", st_bytes(
        {"__metadata__": {"note": "import os; os.system('echo MATS-TEST-MARKER')"}}))
    write(d + "metadata_template.safetensors", st_bytes(
        {"__metadata__": {"chat_template": templates.MALICIOUS["lipsum_globals.jinja"]}}))
    zipped = zip_with_pickle()
    write(d + "polyglot_zip.safetensors", st_bytes(
        {"blob": t("U8", [len(zipped)], 0, len(zipped))}, zipped))
    # Starts with a pickle PROTO opcode: N = 0x2e7d0280 would need a 779 MB
    # file, so this one is only sniffed by name; it exercises the check.
    write(d + "polyglot_pickle.safetensors",
          b"\x80\x02}." + b"\x00" * 4 + b"{}")
    write(d + "too_short.safetensors", b"\x02\x00\x00")


# ---- GGUF ----------------------------------------------------------------------

U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
FIXED = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f",
         BOOL: "?", U64: "Q", I64: "q", F64: "d"}


class G:
    """Byte-level GGUF writer (version 1 uses u32 counts/lengths/dims)."""

    def __init__(self, version=3, be=False):
        self.version, self.e = version, (">" if be else "<")

    def u32(self, v):
        return struct.pack(self.e + "I", v)

    def u64(self, v):
        return struct.pack(self.e + "Q", v)

    def count(self, v):
        return self.u32(v) if self.version == 1 else self.u64(v)

    def s(self, text):
        b = text.encode("utf-8") if isinstance(text, str) else text
        return self.count(len(b)) + b

    def value(self, vtype, v):
        if vtype == STR:
            return self.s(v)
        if vtype == ARR:
            etype, items = v
            return self.u32(etype) + self.count(len(items)) + b"".join(
                self.value(etype, x) for x in items)
        return struct.pack(self.e + FIXED[vtype], v)

    def kv(self, key, vtype, v):
        return self.s(key) + self.u32(vtype) + self.value(vtype, v)

    def tensor(self, name, dims, ttype, offset):
        dim_bytes = b"".join(self.u32(d) if self.version == 1 else self.u64(d) for d in dims)
        return self.s(name) + self.u32(len(dims)) + dim_bytes + self.u32(ttype) + self.u64(offset)

    def file(self, kvs, tensors, data=b"", alignment=32, n_tensors=None, n_kvs=None):
        body = b"GGUF" + self.u32(self.version)
        body += self.count(len(tensors) if n_tensors is None else n_tensors)
        body += self.count(len(kvs) if n_kvs is None else n_kvs)
        body += b"".join(self.kv(*kv) for kv in kvs)
        body += b"".join(self.tensor(*t) for t in tensors)
        body += b"\x00" * ((-len(body)) % alignment)
        return body + data


GF32, GF16, GQ4_0, GQ8_0 = 0, 1, 2, 8


def base_kvs(template=None, extra=()):
    kvs = [("general.architecture", STR, "llama"), ("general.name", STR, "mats-tiny"),
           ("general.alignment", U32, 32), ("llama.context_length", U32, 2048),
           ("tokenizer.ggml.tokens", ARR, (STR, ["<s>", "</s>", "hello"])),
           ("tokenizer.ggml.scores", ARR, (F32, [0.0, 0.0, -1.5])),
           ("tokenizer.ggml.add_bos_token", BOOL, True)]
    if template is not None:
        kvs.append(("tokenizer.chat_template", STR, template))
    return kvs + list(extra)


def base_tensors():
    # F32 [4,3] = 48 B @0; Q8_0 [32,2] = 2 blocks x 34 = 68 B @64; F16 [8] = 16 B @160
    return [("token_embd.weight", [4, 3], GF32, 0),
            ("blk.0.attn_q.weight", [32, 2], GQ8_0, 64),
            ("output.weight", [8], GF16, 160)]


BASE_DATA = bytes(176)


def gen_gguf():
    d = "gguf/"
    g = G()
    B, M = templates.BENIGN, templates.MALICIOUS
    write(d + "benign_v3.gguf", g.file(
        base_kvs(B["llama3.jinja"], [("tokenizer.chat_template.tool_use", STR, B["qwen2.jinja"])]),
        base_tensors(), BASE_DATA))
    write(d + "benign_v2.gguf", G(2).file(base_kvs(B["chatml.jinja"]), base_tensors(), BASE_DATA))
    write(d + "benign_v1.gguf", G(1).file(base_kvs(B["mistral.jinja"]), base_tensors(), BASE_DATA))
    write(d + "benign_nested_arrays.gguf", g.file(
        base_kvs(extra=[("mats.nested", ARR, (ARR, [(U8, [1, 2]), (STR, ["x"]),
                                                    (ARR, [(I64, [5])])]))]),
        base_tensors(), BASE_DATA))
    write(d + "benign_alignment64.gguf", g.file(
        [("general.alignment", U32, 64)],
        [("a", [16], GF32, 0), ("b", [16], GF32, 64)], bytes(128), alignment=64))
    write(d + "big_endian.gguf", G(3, be=True).file(base_kvs(B["gemma.jinja"]), base_tensors(),
                                                     BASE_DATA))
    write(d + "malicious_template.gguf", g.file(
        base_kvs(M["cve_2024_34359_subclasses.jinja"]), base_tensors(), BASE_DATA))
    write(d + "malicious_named_template.gguf", g.file(
        base_kvs(B["chatml.jinja"], [("tokenizer.chat_template.rag", STR,
                                      M["cycler_init_globals.jinja"])]),
        base_tensors(), BASE_DATA))
    write(d + "duplicate_template_key.gguf", g.file(
        base_kvs(B["chatml.jinja"], [("tokenizer.chat_template", STR, M["lipsum_globals.jinja"])]),
        base_tensors(), BASE_DATA))
    write(d + "duplicate_tensor.gguf", g.file(
        base_kvs(), [("a", [4], GF32, 0), ("a", [4], GF32, 32)], bytes(64)))
    # Declared sizes (llama.cpp GGUF CVEs, Databricks 2024).
    write(d + "huge_tensor_count.gguf", g.file(base_kvs(), [], n_tensors=2**64 - 1))
    write(d + "huge_kv_count.gguf", g.file([], [], n_kvs=2**63))
    write(d + "huge_string.gguf", b"GGUF" + g.u32(3) + g.u64(0) + g.u64(1) + g.u64(2**63) + b"k" + bytes(16))
    write(d + "huge_array.gguf", b"GGUF" + g.u32(3) + g.u64(0) + g.u64(1) + g.s("arr")
          + g.u32(ARR) + g.u32(U64) + g.u64(2**62) + bytes(16))
    write(d + "huge_array_strings.gguf", b"GGUF" + g.u32(3) + g.u64(0) + g.u64(1) + g.s("arr")
          + g.u32(ARR) + g.u32(STR) + g.u64(2**50) + bytes(16))
    write(d + "huge_dims.gguf", b"GGUF" + g.u32(3) + g.u64(1) + g.u64(0) + g.s("t")
          + g.u32(1000) + bytes(64))
    write(d + "unknown_value_type.gguf", b"GGUF" + g.u32(3) + g.u64(0) + g.u64(2)
          + g.kv("general.name", STR, "x") + g.s("weird") + g.u32(13) + bytes(8))
    write(d + "unknown_array_type.gguf", b"GGUF" + g.u32(3) + g.u64(0) + g.u64(1)
          + g.s("arr") + g.u32(ARR) + g.u32(42) + g.u64(1) + bytes(8))
    nested = g.u32(U8) + g.u64(0)
    for _ in range(100):
        nested = g.u32(ARR) + g.u64(1) + nested
    write(d + "nested_arrays_deep.gguf", b"GGUF" + g.u32(3) + g.u64(0) + g.u64(1)
          + g.s("deep") + g.u32(ARR) + nested)
    # Tensor infos.
    write(d + "misaligned.gguf", g.file(base_kvs(), [("a", [4], GF32, 8)], bytes(32)))
    write(d + "past_eof.gguf", g.file(base_kvs(), [("a", [1024], GF32, 0)], bytes(64)))
    write(d + "offset_overflow.gguf", g.file(base_kvs(), [("a", [8], GF32, 2**64 - 32)], bytes(32)))
    write(d + "overlap.gguf", g.file(base_kvs(), [("a", [16], GF32, 0), ("b", [16], GF32, 32)],
                                     bytes(96)))
    write(d + "too_many_dims.gguf", g.file(base_kvs(), [("a", [1, 1, 1, 1, 4], GF32, 0)], bytes(32)))
    write(d + "element_overflow.gguf", g.file(base_kvs(), [("a", [2**40, 2**40], GF32, 0)], bytes(32)))
    write(d + "negative_dim.gguf", g.file(base_kvs(), [("a", [2**63 + 1], GF32, 0)], bytes(32)))
    write(d + "block_mismatch.gguf", g.file(base_kvs(), [("a", [33], GQ4_0, 0)], bytes(64)))
    write(d + "unknown_ggml_type.gguf", g.file(base_kvs(), [("a", [4], 99, 0)], bytes(32)))
    write(d + "bad_alignment.gguf", g.file([("general.alignment", U32, 48)],
                                           [("a", [4], GF32, 0)], bytes(32)))
    write(d + "alignment_u64.gguf", g.file([("general.alignment", U64, 32)],
                                           [("a", [4], GF32, 0)], bytes(32)))
    write(d + "bad_magic.gguf", b"GGUG" + g.u32(3) + bytes(16))
    write(d + "bad_version.gguf", b"GGUF" + g.u32(7) + bytes(16))
    full = g.file(base_kvs(B["llama3.jinja"]), base_tensors(), BASE_DATA)
    write(d + "truncated_kv.gguf", full[:200])
    write(d + "truncated_magic.gguf", b"GG")


def main():
    gen_jinja()
    gen_safetensors()
    gen_gguf()


if __name__ == "__main__":
    main()
