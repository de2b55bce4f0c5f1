"""`emulate --board qemu_m7|unix`: the app, unchanged, on the project's own firmware.

    run = run_app("qemu_m7", frames, blob_path)   # frames: a Frames (below)
    run.results, run.heap, run.panels

The app is deployed exactly as `flash` deploys it (flash.deploy_list: firmware/app/*.py
and board.py compiled by mpy-cross for the board's architecture, main.py, the
blob). On qemu_m7 those files become a ROMFS image that QEMU preloads into RAM,
so the model is used where it lies; the camera frames are preloaded too and the
LCD pictures are read back from RAM. On unix they are files in a temporary
folder. Either way the board's own main.py starts the app.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

from .. import DEFAULT_BLOB, UserError
from ..infer.results import dequantize, format_line, parse_result_line
from ..data.pixels import BYTES_PER_PIXEL, FORMATS, camera_frame, camera_spec, rgb565_image
from ..device.boards import board_info
from ..device.compile_app import deploy_files  # noqa: F401  (vb.deploy_files, as before)
from ..firmware.memory_map import check_heap
from ..firmware.run import (AREAS, RUN_TIMEOUT, Frames, _rom_code, addr, exec_on_board,  # noqa: F401
                            photo_frames, qemu_loads, run_code, unix_argv, write_unix_folder)
from ..device.transport import Board
from ..firmware.firmware import check_kernels, firmware_image
from ..firmware.qemu import Qemu
from ..firmware.romfs import romfs_image
from ..blob import read
from .board_emulation import open_images

BOARDS = ("qemu_m7", "unix")
LOOP, LOCK, COUNT = 1, 2, 4










class Run:
    """What one run printed: result dicts, the @heap figures, other lines, LCD pictures."""

    def __init__(self):
        self.results, self.heaps, self.other, self.panels = [], [], [], []


def _collect(run, lines, offset):
    for line in lines:
        r = parse_result_line(line)
        if r is not None:
            r["frame"] += offset
            run.results.append(r)
        elif line.startswith("@heap "):
            run.heaps.append(json.loads(line[len("@heap "):]))
        elif line.strip():
            run.other.append(line)


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
        _collect(run, r.stdout.splitlines() + r.stderr.splitlines(), 0)
        lcd = os.path.join(fs, "lcd.bin")
        if os.path.exists(lcd):
            with open(lcd, "rb") as f:
                run.panels += _panel_images(info, f.read(), len(frames.frames))








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
                _collect(run, exec_on_board(q.port, _rom_code(info, len(rom))), start)
                run.panels += _panel_images(info, q.read_memory(addr(info, "lcd"), len(chosen) * panel),
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
    run = Run()
    files = deploy_files(board, blob_path)
    if kernels == "esp-nn":   # the arena the ESP32 boards give these kernels (host_tools/firmware/espnn.py)
        from ..device.esp32_arena import esp32_blob
        files = [(n, esp32_blob(d) if n == "model.blob" else d) for n, d in files]
    flags = LOCK if lock_heap else 0
    (_run_qemu if board == "qemu_m7" else _run_unix)(files, frames, flags, run, kernels)
    return run


# --- command line ---------------------------------------------------------------

def parse_size(text):
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        w = h = 0
    if not (0 < w <= 640 and 0 < h <= 480):
        raise UserError(f"--frame-size must be WIDTHxHEIGHT, each 1 to 640x480; got {text}")
    return w, h


def main(args):
    """Print what classify prints, one line per image in order; LCD pictures as PNG files."""
    if not args.images:
        raise UserError("no images given: pass one or more image files")
    model = args.model or DEFAULT_BLOB
    blob = read(model)
    fmt = getattr(args, "frame_format", None)
    size = getattr(args, "frame_size", None)
    size = parse_size(size) if size else None
    good, photos, failed = open_images(args.images)
    if not good:
        return 1
    run = run_app(args.board, photo_frames(photos, blob, fmt, size, args.board), model,
                  kernels=getattr(args, "kernels", None))
    for line in run.other:
        print(f"{args.board}: {line}", file=sys.stderr)
    if args.frames_dir:
        os.makedirs(args.frames_dir, exist_ok=True)
        for n, img in enumerate(run.panels):
            img.save(os.path.join(args.frames_dir, "frame_%04d.png" % n))
    for r in run.results:
        row = {"image": good[r["frame"]], "label": r["label"], "confidence": r["confidence"],
               "scores": {label: dequantize(q, blob) for label, q in zip(blob.labels, r["scores"])}}
        print(format_line(row, args.json), flush=True)
    if len(run.results) != len(good):
        print(f"emulate: the board reported {len(run.results)} of {len(good)} frames", file=sys.stderr)
        return 1
    return 1 if failed else 0
