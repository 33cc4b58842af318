#!/usr/bin/python3
"""Validates JSON documents against a JSON Schema (draft-07 or 2020-12).

usage: validate_json.py SCHEMA DOCUMENT...

Uses Debian's python3-jsonschema. Exits 1 and prints every error when a
document does not validate, 0 otherwise.
"""
import json
import sys

import jsonschema


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=jsonschema.FormatChecker())
    failed = False
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:20]:
            failed = True
            where = "/".join(str(p) for p in e.path)
            print(f"{path}: {where}: {e.message}", file=sys.stderr)
        if not errors:
            print(f"{path}: valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
