"""The device app's modules (firmware/app/) on the host, unchanged, loaded explicitly.

    from host_tools.device_code import blobfmt        # the device's blob reader
    pre = load_app_module("preprocess")                # its own module object
    with device_imports(APP_DIR, board_folder):        # `import app`, `import board`
        ...
"""
import contextlib
import importlib.util
import os
import sys

from . import ROOT

APP_DIR = os.path.join(ROOT, "firmware", "app")
FIRMWARE = APP_DIR   # the name its users knew


def load_app_module(name):
    """firmware/app/NAME.py loaded from its file as a module of its own (no sys.path
    change, not in sys.modules; on CPython it runs its portable code)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(APP_DIR, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


blobfmt = load_app_module("blobfmt")


@contextlib.contextmanager
def device_imports(*folders):
    """folders first on sys.path, and the device's modules (firmware/app/*.py, board,
    main) imported afresh from them; sys.path and sys.modules restored afterwards."""
    names = {f[:-3] for f in os.listdir(APP_DIR) if f.endswith(".py")} | {"board", "main"}
    saved_path = list(sys.path)
    saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    sys.path[:0] = folders
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)
