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
        z.writestr("archive/data.pkl", MARKER_PICKLE)
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


def main():
    gen_jinja()
    gen_safetensors()


if __name__ == "__main__":
    main()
