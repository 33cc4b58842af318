#!/usr/bin/python3
"""Materialises the ONNX backend test models shipped with python3-onnx.

Debian's python3-onnx ships the backend test *cases* (onnx.backend.test.case)
but not the generated data directory onnx/backend/test/data/. This script runs
onnx's own generator (`onnx.backend.test.cmd_tools generate-data`) into the
directory given as argv[1], so tests/onnx/backend_models_test.cc can check that
every real, benign model scans clean. Used at test time (ctest fixture); the
output is never committed.

Exit status 0 with no output directory when python3-onnx is absent (the test
then skips and says why).
"""
import os
import sys


def main() -> int:
    out = sys.argv[1]
    try:
        import numpy as np
        import onnx  # noqa: F401
        from onnx.backend.test import cmd_tools
    except ImportError as e:  # package absent: the test skips
        print(f"python3-onnx not available: {e}", file=sys.stderr)
        return 0
    # onnx 1.12's generators use numpy aliases removed in numpy 1.24.
    for alias, value in (("float", float), ("int", int), ("bool", bool),
                         ("object", object), ("complex", complex), ("str", str)):
        if alias not in np.__dict__:
            setattr(np, alias, value)
    if os.path.isdir(out) and any(True for _ in os.scandir(out)):
        return 0  # already generated
    sys.argv = ["generate-data", "generate-data", "-o", out]
    cmd_tools.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
