"""Import the device modules (firmware/) on the host, unchanged."""
import contextlib
import os
import sys

from . import ROOT

FIRMWARE = os.path.join(ROOT, "firmware")
if FIRMWARE not in sys.path:
    sys.path.insert(0, FIRMWARE)

import blobfmt  # noqa: E402


@contextlib.contextmanager
def device_imports(*folders):
    """folders first on sys.path, and the device's modules (firmware/*.py, board,
    main) imported afresh from them; sys.path and sys.modules restored afterwards."""
    names = {f[:-3] for f in os.listdir(FIRMWARE) if f.endswith(".py")} | {"board", "main"}
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
