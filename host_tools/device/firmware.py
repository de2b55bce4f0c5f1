"""The project's own firmware images (qemu_m7, unix): built by the firmware recipe,
`make firmware BOARD=NAME HEAP_BYTES=...` (firmware/recipe/, docs/firmware.md).

    elf = firmware_image("qemu_m7")      # builds it if needed; the path
"""
import functools
import os
import subprocess

from .. import ROOT, UserError
from .board_emulation import board_info

BUILD_TIMEOUT = 3600   # seconds: a first build compiles MicroPython and tflite-micro


def image_path(board):
    return os.path.join(ROOT, board_info(board)["firmware_image"])


@functools.lru_cache(maxsize=None)
def firmware_image(board):
    """The board's firmware, built (incrementally) with the board's heap size."""
    info = board_info(board)
    if "firmware_image" not in info:
        raise UserError(f"{board} runs firmware the project does not build")
    cmd = ["make", "--no-print-directory", "firmware", f"BOARD={board}",
           f"HEAP_BYTES={info['heap_bytes']}"]
    try:
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    except FileNotFoundError:
        raise UserError("make is not installed; it builds the firmware") from None
    if r.returncode != 0:
        last = (r.stderr.strip() or r.stdout.strip() or "no output").splitlines()[-1]
        raise UserError(f"building the {board} firmware failed ({' '.join(cmd)}): {last}")
    path = image_path(board)
    if not os.path.isfile(path):
        raise UserError(f"the firmware recipe did not write {os.path.relpath(path, ROOT)}")
    return path
