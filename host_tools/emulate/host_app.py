"""The device app (firmware/app/main.py, unchanged) on the host emulator board.

    console = run_firmware([(name, pixels), ...], "models/vww_96.blob", frames_dir="frames")

Each frame is an image put through the host photo pipeline (host_tools/data/images.py)
at the model's size, one camera frame of host_tools/emulate/host_board/board.py; the app
prints one `@result {...}` line per frame (backends.CPythonBoard maps them back).
"""
import contextlib
import importlib
import io
import os
import runpy

from .. import ROOT
from ..device.boards import HOST_BOARD_DIR
from ..infer.results import parse_result_line
from ..device_code import device_imports

FIRMWARE = os.path.join(ROOT, "firmware", "app")
HOST_BOARD = HOST_BOARD_DIR


def _device_imports():
    """firmware/ and host_tools/emulate/host_board/ first on sys.path; restored afterwards."""
    return device_imports(FIRMWARE, HOST_BOARD)


def run_firmware(frames, blob_path, frames_dir=None):
    """Run firmware/app/main.py on the host board over frames; returns the console text."""
    console = io.StringIO()
    with _device_imports():
        board = importlib.import_module("board")
        board.configure(frames, blob_path, frames_dir)
        with contextlib.redirect_stdout(console):
            runpy.run_path(os.path.join(FIRMWARE, "main.py"), run_name="__main__")
    return console.getvalue()


def parse_console(text):
    """(result dicts from `@result` lines, the other lines)."""
    results, other = [], []
    for line in text.splitlines():
        r = parse_result_line(line)
        if r is not None:
            results.append(r)
        elif line.strip():
            other.append(line)
    return results, other
