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


def main():
    gen_jinja()


if __name__ == "__main__":
    main()
