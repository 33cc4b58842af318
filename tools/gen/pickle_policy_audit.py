#!/usr/bin/python3
"""Audits broad allowlist entries of the default pickle policy.

The default policy allows every name under `sklearn` and `torch.nn.modules`
(estimator and layer classes are too many to list). A pickle can reference
any attribute of an allowed module, including functions that the module
imported from elsewhere (`from urllib.request import urlretrieve`). This
script imports every submodule and prints the attributes whose real home is a
dangerous module, so they can be denied explicitly in src/pickle/policy.cc.
Run with Debian's /usr/bin/python3 (sklearn, torch installed).
"""
import importlib
import pkgutil
import sys
import warnings

DANGEROUS = ("os", "posix", "nt", "subprocess", "shutil", "pickle", "_pickle",
             "marshal", "importlib", "pkgutil", "pydoc", "runpy", "socket",
             "urllib", "http", "ftplib", "ssl", "tempfile", "io", "_io",
             "builtins", "code", "codeop", "ctypes", "joblib", "cloudpickle",
             "dill", "webbrowser", "requests", "torch.hub", "torch.serialization",
             "numpy.lib.npyio", "platform", "sys", "threadpoolctl", "inspect",
             "operator", "functools", "glob", "zipfile", "tarfile", "gzip",
             "bz2", "lzma", "logging", "multiprocessing", "concurrent",
             "asyncio", "pty", "signal")
BUILTIN_DANGEROUS = {"eval", "exec", "compile", "open", "__import__", "getattr",
                     "setattr", "delattr", "input", "breakpoint", "globals",
                     "locals", "vars"}


def dangerous_home(obj):
    mod = getattr(obj, "__module__", None) or ""
    if getattr(obj, "__name__", "") in BUILTIN_DANGEROUS and mod == "builtins":
        return True
    return any(mod == d or mod.startswith(d + ".") for d in DANGEROUS if d != "builtins")


def main(roots):
    warnings.simplefilter("ignore")
    for root in roots:
        pkg = importlib.import_module(root)
        names = [root] + [m.name for m in pkgutil.walk_packages(pkg.__path__, root + ".")]
        for name in sorted(names):
            if "tests" in name.split("."):
                continue
            try:
                mod = importlib.import_module(name)
            except Exception:  # noqa: BLE001 - optional dependencies
                continue
            for attr, obj in sorted(vars(mod).items()):
                if attr.startswith("__") or not callable(obj):
                    continue
                if isinstance(obj, type(sys)):
                    continue
                if dangerous_home(obj):
                    print(f"{name}.{attr}\t{getattr(obj, '__module__', '')}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["sklearn", "torch.nn.modules"])
