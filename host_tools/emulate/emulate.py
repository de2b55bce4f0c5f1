"""Run the device app (firmware/app/main.py, unchanged) on the host emulator board.

    results = emulate("models/vww_96.blob", ["cat.jpg"], frames_dir="frames")

Each image goes through the host photo pipeline (host_tools/images.py) to the
model's size and becomes one camera frame of host_tools/emulate/host_board/board.py; the app
prints one `@result {...}` line per frame, which is mapped back to its image.
"""
import contextlib
import importlib
import io
import os
import runpy
import sys

from .. import DEFAULT_BLOB, ROOT, UserError
from ..device.boards import HOST_BOARD_DIR
from ..blob import read
from ..device_code import device_imports
from ..data.images import ImageError, load_pixels
from ..infer.results import dequantize, format_line, parse_result_line

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


def emulate(blob_path, image_paths, frames_dir=None):
    """One result dict per image, in input order; {"image", "error"} for a bad image."""
    blob = read(blob_path)
    if blob.height != blob.width:
        raise UserError(f"{blob_path}: the host pipeline needs a square input; got {blob.height}x{blob.width}")
    results = [None] * len(image_paths)
    delivered = []  # input index of each frame, in camera order

    def frames():
        for i, path in enumerate(image_paths):
            try:
                pixels = load_pixels(path, blob.height, blob.channels)
            except ImageError as e:
                results[i] = {"image": path, "error": str(e)}
                continue
            delivered.append(i)
            yield path, pixels

    console = run_firmware(frames(), blob_path, frames_dir)
    lines, other = parse_console(console)
    for line in other:  # anything else the app said
        print(line, file=sys.stderr)
    if len(lines) != len(delivered):
        raise UserError(f"the device app reported {len(lines)} of {len(delivered)} frames"
                        + (f": {other[-1]}" if other else ""))
    for r in lines:
        path = image_paths[delivered[r["frame"]]]
        results[delivered[r["frame"]]] = {
            "image": path,
            "label": r["label"],
            "confidence": r["confidence"],
            "scores": {label: dequantize(q, blob) for label, q in zip(blob.labels, r["scores"])},
        }
    return results


def main(args):
    """CLI: one line per image in input order; exit status 1 if any image failed."""
    if not args.images:
        raise UserError("no images given: pass one or more image files")
    results = emulate(args.model or DEFAULT_BLOB, args.images, getattr(args, "frames_dir", None))
    failed = 0
    for r in results:
        if "error" in r:
            failed += 1
            print(f"emulate: {r['error']}", file=sys.stderr, flush=True)
        else:
            print(format_line(r, args.json), flush=True)
    return 1 if failed else 0
