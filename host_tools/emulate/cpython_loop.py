"""The app for ever on a CPython board, its console this process's sys.stdin and
sys.stdout (a pseudo-terminal when serving: backends.CPythonBoard.serve).

The camera delivers the photos in turn, over and over, at most `fps` frames a
second (frame n is photo n % len(photos)), made exactly as `emulate` makes them:
the host board (host_tools/emulate/host_board) gets the host photo pipeline's pixels at the
model's size; the other boards run their own board.py against the emulated drivers
of host_tools/emulate/drivers/, whose camera delivers the board's frame size, pixel format
and byte order.
"""
import contextlib
import io
import itertools
import os
import runpy
import sys
import time

from .. import DEFAULT_BLOB
from ..device.boards import HOST_BOARD_DIR
from ..data.images import load_pixels, open_image
from .board_emulation import FIRMWARE_DIR, board_info, camera_source, load_board, run_main, wrap_camera
from ..device_code import device_imports
from .driver_fakes import driver_choice, fake_drivers
from ..blob import read

DEFAULT_FPS = 10.0


def _paced(fps):
    """A function that sleeps so that successive calls are at least 1/fps apart."""
    state = {"last": 0.0}

    def wait():
        if fps:
            delay = state["last"] + 1.0 / fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        state["last"] = time.monotonic()
    return wait


@contextlib.contextmanager
def console(in_fd, out_fd):
    """sys.stdin / sys.stdout on these file descriptors, unbuffered in, line-buffered out
    (the app polls stdin with select.poll, so reads must not buffer ahead)."""
    saved = sys.stdin, sys.stdout
    sys.stdin = io.FileIO(in_fd, "rb", closefd=False)
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(out_fd, "wb", closefd=False)),
                                  encoding="utf-8", line_buffering=True)
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
        except OSError:
            pass
        sys.stdin, sys.stdout = saved


def run_app(board_name, image_paths, model_path=DEFAULT_BLOB, fps=DEFAULT_FPS, device_dir=None,
            openmv="5", **drivers):
    """Run firmware/app/main.py's app for board_name on the current sys.stdin/sys.stdout, forever
    (or until a driver's emulated panic stops it). drivers: camera_driver, display_driver,
    runtime, for the ESP32 boards (driver_fakes)."""

    wait = _paced(fps)
    model_path = os.path.abspath(model_path)
    if board_name == "host":
        return _run_host(image_paths, model_path, wait)
    info = board_info(board_name)
    drivers = driver_choice(info, **drivers)
    photos = [open_image(p) for p in image_paths]
    current = [0]
    made = {}

    def photo():   # frame n of the app shows photo n % len(photos); each framed once
        return photos[current[0] % len(photos)]

    source = camera_source(info, photo)

    def cached(w, h, fmt):
        key = (current[0] % len(photos), w, h, fmt)
        if key not in made:
            made[key] = source(w, h, fmt)
        return made[key]

    def before(n):
        wait()
        current[0] = n

    cwd = os.getcwd()
    try:
        if device_dir:
            os.chdir(device_dir)
        with device_imports(FIRMWARE_DIR), fake_drivers(openmv=openmv, **drivers) as fakes:
            for name in ("camera", "sensor", "csi"):   # whichever camera API the board module uses
                fakes[name].source = cached
            board = load_board(board_name)
            wrap_camera(board, info, before)
            return run_main(board, model_path, fakes, sys.stdout.flush)
    finally:
        os.chdir(cwd)


def _run_host(image_paths, model_path, wait):
    blob = read(model_path)
    pixels = [load_pixels(p, blob.height, blob.channels) for p in image_paths]

    def host_frames():
        for i in itertools.count():
            wait()
            yield image_paths[i % len(pixels)], pixels[i % len(pixels)]

    with device_imports(FIRMWARE_DIR, HOST_BOARD_DIR):
        import board
        board.configure(host_frames(), model_path)
        runpy.run_path(os.path.join(FIRMWARE_DIR, "main.py"), run_name="__main__")
    return 0
