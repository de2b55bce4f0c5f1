"""The project's own firmware images (qemu_m7, unix): built by the firmware recipe,
`make firmware BOARD=NAME HEAP_BYTES=...` (firmware/recipe/, docs/firmware.md).

    elf = firmware_image("qemu_m7")      # builds it if needed; the path
    prog = firmware_image("unix", "esp-nn")   # the unix image with the ESP32-S3's kernels
"""
import functools
import os
import subprocess

from .. import ROOT, UserError
from ..progress import note
from ..device.boards import board_info

BUILD_TIMEOUT = 3600   # seconds: a first build compiles MicroPython and tflite-micro
# The unix port's kernel sets: KERNELS= of `make firmware BOARD=unix` -> the image's folder
# (firmware/recipe/unix.mk writes each image to build/firmware/FOLDER/micropython)
UNIX_KERNELS = {"reference": "unix", "esp-nn": "unix-espnn"}
QUIET = 2              # seconds of building after which the user is told what is built


def image_path(board, kernels=None):
    path = board_info(board)["firmware_image"]
    if kernels:
        path = path.replace(f"/{UNIX_KERNELS['reference']}/", f"/{UNIX_KERNELS[kernels]}/")
    return os.path.join(ROOT, path)


def check_kernels(board, kernels):
    """kernels (None: the board's own) must be one the board's firmware is built with."""
    if kernels is not None and (board != "unix" or kernels not in UNIX_KERNELS):
        raise UserError(f"--kernels must be one of {', '.join(UNIX_KERNELS)}, and only with "
                        f"--board unix; got --board {board} --kernels {kernels}")


@functools.lru_cache(maxsize=None)
def firmware_image(board, kernels=None):
    """The board's firmware, built (incrementally) with the board's heap size;
    kernels: "esp-nn" for the unix image with the ESP32-S3's kernels."""
    check_kernels(board, kernels)
    info = board_info(board)
    if "firmware_image" not in info:
        raise UserError(f"{board} runs firmware the project does not build")
    cmd = ["make", "--no-print-directory", "firmware", f"BOARD={board}",
           f"HEAP_BYTES={info['heap_bytes']}"] + ([f"KERNELS={kernels}"] if kernels else [])
    try:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise UserError("make is not installed; it builds the firmware") from None
    try:
        try:   # up to date: about 2 s; otherwise say what is built, and how long it takes
            out, err = proc.communicate(timeout=QUIET)
        except subprocess.TimeoutExpired:
            note(f"{board}: building its firmware ({' '.join(cmd[:1] + cmd[2:])}): MicroPython "
                 f"v1.28.0 and tflite-micro; a first build takes a few minutes")
            out, err = proc.communicate(timeout=BUILD_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    r = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if r.returncode != 0:
        last = (r.stderr.strip() or r.stdout.strip() or "no output").splitlines()[-1]
        raise UserError(f"building the {board} firmware failed ({' '.join(cmd)}): {last}")
    path = image_path(board, kernels)
    if not os.path.isfile(path):
        raise UserError(f"the firmware recipe did not write {os.path.relpath(path, ROOT)}")
    return path
