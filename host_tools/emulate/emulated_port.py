"""An emulated board on a serial line: the device app runs on the host, and its
console is a pseudo-terminal (or this process's stdin/stdout), so `capture` and
`monitor` talk to it as to a board on a USB port.

    python -m host_tools emulate --board esp32s3_eye --serve photo1.jpg photo2.jpg
    -> esp32s3_eye emulated on /dev/pts/7 (Ctrl-C to stop)

    with EmulatedBoard("host", photos) as board:     # from Python (tests, the studio)
        capture(board.port, "mug", "photos", count=5)

The camera delivers the photos in turn, over and over, at most `fps` frames a
second (frame n is photo n % len(photos)), made exactly as `emulate` makes them:
the host board (host_tools/emulate/host_board) gets the host photo pipeline's pixels at the
model's size; the other boards run their own board.py against the driver fakes
of host_tools/emulate/drivers/, whose camera delivers the board's frame size, pixel format
and byte order.
"""
import argparse
import contextlib
import io
import itertools
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
import tty

from .. import DEFAULT_BLOB, ROOT, UserError
from ..device.boards import HOST_BOARD_DIR
from ..data.images import ImageError, load_pixels, open_image
from .board_emulation import FIRMWARE_DIR, board_info, camera_source, load_board, run_main, wrap_camera
from ..device_code import device_imports
from .driver_fakes import driver_choice, fake_drivers
from ..blob import read
from .vm_boards import LOOP, deploy_files, photo_frames, unix_argv, write_unix_folder
from .board_session import start

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
            board = load_board_module(board_name)
            wrap_camera(board, info, before)
            return run_main(board, model_path, fakes, sys.stdout.flush)
    finally:
        os.chdir(cwd)


def load_board_module(board_name):
    return load_board(board_name)


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


def check(board_name, image_paths, model_path, **drivers):
    """UserError, before anything starts, for an unknown board, driver choices the
    board cannot have, a bad blob or image."""
    from ..device.boards import board_info
    driver_choice(board_info(board_name), **drivers)
    if not image_paths:
        raise UserError("no images given: the emulated camera needs at least one photo")
    read(model_path)
    for p in image_paths:
        try:
            open_image(p)
        except ImageError as e:
            raise UserError(str(e)) from None


def serve_pty(board_name, image_paths, model_path=DEFAULT_BLOB, fps=DEFAULT_FPS, announce=print, **kw):
    """Open a pseudo-terminal, announce its name, and run the app with it as the console;
    the app's exit status (1: it stopped on an error or an emulated panic)."""
    check(board_name, image_paths, model_path, **_drivers(kw))
    if board_name == "qemu_m7":
        return _serve_qemu(image_paths, model_path, announce)
    master, slave = os.openpty()
    tty.setraw(slave)          # no echo, no newline translation: a plain serial line
    if board_name == "unix":
        return _serve_unix(image_paths, model_path, master, lambda: announce(_announcement("unix", slave)))
    announce(_announcement(board_name, slave))
    with console(master, master):
        return run_app(board_name, image_paths, model_path, fps, **kw)


DRIVER_OPTIONS = ("camera_driver", "display_driver", "runtime")


def _drivers(kw):
    return {k: kw.get(k) for k in DRIVER_OPTIONS}


def _announcement(board_name, slave):
    return f"{board_name} emulated on {os.ttyname(slave)} (Ctrl-C to stop)"


def _serve_unix(image_paths, model_path, master, announce):
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


def _serve_qemu(image_paths, model_path, announce):
    """QEMU with the app preloaded and running (board --board qemu_m7 --run); its own pty."""
    q = start("qemu_m7", model_path, image_paths, run_app=True)
    try:
        announce(f"qemu_m7 emulated on {q.port} (Ctrl-C to stop)")
        q.proc.wait()
    finally:
        q.close()


class EmulatedBoard:
    """The app for board_name in a child process, on a pseudo-terminal: .port, .stop()."""

    def __init__(self, board_name, image_paths, model_path=DEFAULT_BLOB, fps=DEFAULT_FPS, **drivers):
        """drivers: camera_driver, display_driver, runtime (the ESP32 boards' fakes)."""
        flags = [f for k, v in drivers.items() if v for f in ("--" + k.replace("_", "-"), v)]
        self.argv = [sys.executable, "-m", "host_tools.emulate.emulated_port", "--board", board_name,
                     "--model", os.path.abspath(model_path), "--fps", str(fps), *flags,
                     *[os.path.abspath(p) for p in image_paths]]
        self.port = None
        self.process = None

    def start(self, timeout=60):
        # A session of its own: stop() ends the board and any process it started (unix).
        self.process = subprocess.Popen(self.argv, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)
        line = self.process.stdout.readline()   # "NAME emulated on /dev/pts/N ..."
        if " emulated on " not in line:
            self.stop()
            raise UserError(f"the emulated board did not start: {line.strip() or 'no output'}")
        self.port = line.split(" emulated on ", 1)[1].split()[0]
        return self

    def stop(self):
        if self.process is not None and self.process.returncode is None:   # not yet reaped: its group is ours
            try:   # SIGTERM first: a qemu_m7 board then stops its QEMU
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m host_tools.emulate.emulated_port",
                                description="Run the device app for a board with a serial console.")
    p.add_argument("--board", default="host")
    p.add_argument("--model", default=DEFAULT_BLOB)
    p.add_argument("--fps", type=float, default=DEFAULT_FPS, help="camera frames per second at most")
    p.add_argument("--stdio", action="store_true", help="console on stdin/stdout instead of a new pty")
    p.add_argument("--device-dir", help="working directory the board sees as its filesystem")
    p.add_argument("--openmv", default="5", help="OpenMV firmware the OpenMV fakes follow: 4, 4.8 or 5")
    for name in DRIVER_OPTIONS:
        p.add_argument("--" + name.replace("_", "-"), help="ESP32 boards: the driver the fakes follow")
    p.add_argument("images", nargs="+")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # finally blocks run: QEMU stops too
    kw = {"device_dir": args.device_dir, "openmv": args.openmv, **_drivers(vars(args))}
    try:
        if args.stdio:
            check(args.board, args.images, args.model, **_drivers(kw))
            with console(0, 1):
                status = run_app(args.board, args.images, args.model, args.fps, **kw)
        else:
            status = serve_pty(args.board, args.images, args.model, args.fps,
                               announce=lambda s: print(s, flush=True), **kw)
    except UserError as e:
        print(f"emulate: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
