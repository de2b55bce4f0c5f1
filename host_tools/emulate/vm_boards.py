"""The firmware back-ends of backends.py (qemu_m7, unix): the app, unchanged, on the
project's own firmware.

    run = run_app("qemu_m7", frames, blob_path)   # frames: a Frames (below)
    run.results, run.heap, run.screens

The app is deployed exactly as `flash` deploys it (flash.deploy_list: firmware/app/*.py
and board.py compiled by mpy-cross for the board's architecture, main.py, the
blob). On qemu_m7 those files become a ROMFS image that QEMU preloads into RAM,
so the model is used where it lies; the camera frames are preloaded too and the
LCD pictures are read back from RAM. On unix they are files in a temporary
folder. Either way the board's own main.py starts the app.
"""
import os
import subprocess
import tempfile

from .. import UserError
from ..blob import read
from ..data.images import open_image
from ..data.pixels import rgb565_image
from ..device.boards import board_info
from ..device.compile_app import deploy_files
from ..device.esp32_arena import esp32_blob
from ..device.transport import Board
from ..firmware.firmware import check_kernels, firmware_image
from ..firmware.memory_map import check_heap
from ..firmware.qemu import Qemu
from ..firmware.romfs import romfs_image
from ..firmware.run import (RUN_TIMEOUT, _rom_code, addr, exec_on_board, photo_frames, qemu_loads,
                            unix_argv, write_unix_folder)
from .app_run import Run

BOARDS = ("qemu_m7", "unix")
LOOP, LOCK, COUNT = 1, 2, 4


def _panel_images(info, data, count):
    d = info["display"]
    size = d["width"] * d["height"] * 2
    return [rgb565_image(data[i * size:(i + 1) * size], d["width"], d["height"], big_endian=False)
            for i in range(min(count, len(data) // size))]


def _run_unix(files, frames, flags, run, kernels=None):
    info = board_info("unix")
    argv = unix_argv("main.py", kernels)
    with tempfile.TemporaryDirectory(prefix="unix-board-") as fs:
        write_unix_folder(fs, files, frames.image(flags))
        r = subprocess.run(argv, cwd=fs, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        run.collect(r.stdout.splitlines() + r.stderr.splitlines(), 0)
        lcd = os.path.join(fs, "lcd.bin")
        if os.path.exists(lcd):
            with open(lcd, "rb") as f:
                run.screens += _panel_images(info, f.read(), len(frames.frames))


def start_rom_app(port, rom_size):
    """Start the app from the ROMFS image preloaded on a qemu_m7 board and leave it
    running (its console is then the app's: @result lines, @frame requests)."""
    dev = Board(port)
    try:
        dev.start(_rom_code(board_info("qemu_m7"), rom_size))
    finally:
        dev.close()


def _run_qemu(files, frames, flags, run, kernels=None):
    info = board_info("qemu_m7")
    check_heap(info["heap_bytes"])
    elf = firmware_image("qemu_m7")
    d = info["display"]
    panel = d["width"] * d["height"] * 2
    per_boot = min(addr(info, "frames_max") // frames.size, addr(info, "lcd_max") // panel)
    rom = romfs_image(dict(files))
    for start in range(0, len(frames.frames), per_boot):
        chosen = frames.frames[start:start + per_boot]
        with tempfile.TemporaryDirectory(prefix="qemu-m7-") as tmp:
            loads = qemu_loads(info, rom, frames.image(flags, start, start + per_boot), tmp)
            with Qemu(elf, loads) as q:
                run.collect(exec_on_board(q.port, _rom_code(info, len(rom))), start)
                run.screens += _panel_images(info, q.read_memory(addr(info, "lcd"), len(chosen) * panel),
                                            len(chosen))


def compiled(board, names, blob_path):
    """{device name: bytes} of the deployed files whose stems are in names."""
    return {n: d for n, d in deploy_files(board, blob_path) if n.rsplit(".", 1)[0] in names}


def run_app(board, frames, blob_path, lock_heap=False, kernels=None):
    """Deploy the app and blob to a fresh board, run it over frames; a Run.
    kernels: "esp-nn" runs the unix image with the ESP32-S3's kernels."""
    if board not in BOARDS:
        raise UserError(f"the firmware runner knows {', '.join(BOARDS)}; got {board}")
    check_kernels(board, kernels)
    run = Run(board)
    files = deploy_files(board, blob_path)
    if kernels == "esp-nn":   # the arena the ESP32 boards give these kernels (host_tools/firmware/espnn.py)
        files = [(n, esp32_blob(d) if n == "model.blob" else d) for n, d in files]
    flags = LOCK if lock_heap else 0
    (_run_qemu if board == "qemu_m7" else _run_unix)(files, frames, flags, run, kernels)
    return run


# --- camera options ---------------------------------------------------------------

def parse_size(text):
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        w = h = 0
    if not (0 < w <= 640 and 0 < h <= 480):
        raise UserError(f"--frame-size must be WIDTHxHEIGHT, each 1 to 640x480; got {text}")
    return w, h


# --- serving: the app for ever, on a serial line ------------------------------

def start_qemu(board, model, images, fmt=None, size=None, run_app=False):
    """A running Qemu with the photos preloaded as a looping camera; the caller closes it.
    run_app: the app and model preloaded too, and the app running."""
    info = board_info(board)
    frames = photo_frames([open_image(p) for p in images], read(model), fmt, size, board)
    tmp = tempfile.TemporaryDirectory(prefix="qemu-board-")
    try:
        rom = romfs_image(dict(deploy_files(board, model))) if run_app else None
        loads = qemu_loads(info, romfs=rom, frames=frames.image(LOOP), tmp=tmp.name)
        elf = firmware_image(board)
    except BaseException:
        tmp.cleanup()
        raise
    q = Qemu(elf, loads, icount=False, keep=tmp)   # tmp kept until the board stops (q.close())
    if run_app:
        try:
            start_rom_app(q.port, len(rom))
        except BaseException:
            q.close()
            raise
    return q


def serve_unix(image_paths, model_path, master, announce):
    """The project's unix firmware running the app as flash deploys it, its stdin and
    stdout the pty; the camera loops over the photos (boards/unix: frames.bin)."""

    argv = unix_argv("main.py")
    frames = photo_frames([open_image(p) for p in image_paths], read(model_path))
    with tempfile.TemporaryDirectory(prefix="unix-board-") as fs:
        write_unix_folder(fs, deploy_files("unix", model_path), frames.image(LOOP))
        proc = subprocess.Popen(argv, cwd=fs, stdin=master, stdout=master)
        announce()
        try:
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
