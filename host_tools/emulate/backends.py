"""One interface for an emulated board, whichever back-end runs it.

    board = emulated_board("esp32s3_eye", ["a.jpg", "b.jpg"], "models/vww_96.blob")
    run = board.run()        # the app once over the photos, one camera frame each: a Run
    with board:              # or the app for ever, its camera looping over the photos
        board.port           # and its console on a serial port (a pseudo-terminal)

The back-end follows from the board's name:
- CPythonBoard: the app in CPython, on the host board or on a real board's board.py
  with the emulated drivers of host_tools/emulate/drivers/;
- UnixBoard: the project's unix firmware;
- QemuBoard: the project's qemu_m7 firmware in QEMU.
`emulate`, `board`, the studio and the tests that capture from a board all use it.
"""
import os
import signal
import subprocess
import sys
import tty

from .. import DEFAULT_BLOB, ROOT, UserError
from ..blob import read
from ..data.images import ImageError, load_pixels, open_image
from ..device.boards import board_info
from ..firmware.firmware import check_kernels
from . import board_emulation, cpython_loop, vm_boards
from .app_run import Run
from .driver_fakes import OPENMV_FIRMWARES, driver_choice
from .host_app import run_firmware

DRIVER_OPTIONS = ("camera_driver", "display_driver", "runtime")
FRAME_OPTIONS = ("frame_format", "frame_size")
DEFAULT_FPS = cpython_loop.DEFAULT_FPS
KERNELS_ONLY = "--kernels is for emulate --board unix (the project's unix firmware), without --serve"


class EmulatedBoard:
    """run(): the app once over the photos; start() / port / stop(): the app on a serial
    port, in a child process; serve(announce): the same in this process, until stopped."""

    def __init__(self, name, images, model=DEFAULT_BLOB, fps=DEFAULT_FPS, **options):
        self.name, self.images, self.fps = name, list(images), fps
        self.model = os.path.abspath(model)
        self.options = {k: v for k, v in options.items() if v is not None}
        self.port = None
        self._process = None

    def run(self, frames_dir=None):
        """A Run whose rows are one per photo, in order: classify's fields, the LED, the
        LCD picture's path when frames_dir is given; {"image", "error"} for an unreadable photo."""
        blob = read(self.model)
        errors, readable, photos = {}, [], []
        for i, path in enumerate(self.images):
            try:
                photos.append(open_image(path))
                readable.append(path)
            except ImageError as e:
                errors[i] = str(e)
        run = self._run(readable, photos, blob, frames_dir) if readable else Run(self.name)
        rows = run.photo_rows(self.images, errors, blob)
        if frames_dir and run.screens:
            os.makedirs(frames_dir, exist_ok=True)
            by_frame = [r for r in rows if r is not None and "error" not in r]
            for n, (row, picture) in enumerate(zip(by_frame, run.screens)):
                if picture is not None:
                    row["lcd"] = os.path.join(frames_dir, f"{self.name}_{n:03d}.png")
                    picture.save(row["lcd"])
        return run

    def check_serve(self):
        if not self.images:
            raise UserError("no images given: the emulated camera needs at least one photo")
        for p in self.images:
            try:
                open_image(p)
            except ImageError as e:
                raise UserError(str(e)) from None

    def start(self, timeout=60):
        """The board in a child process of its own session (stop() ends it and what it started)."""
        flags = [f for k, v in self.options.items() for f in ("--" + k.replace("_", "-"), str(v))]
        argv = [sys.executable, "-m", "host_tools.emulate.serve", "--board", self.name,
                "--model", self.model, "--fps", str(self.fps), *flags,
                *[os.path.abspath(p) for p in self.images]]
        self._process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                         start_new_session=True)
        line = self._process.stdout.readline()   # "NAME emulated on /dev/pts/N ..."
        if " emulated on " not in line:
            self.stop()
            raise UserError(f"the emulated board did not start: {line.strip() or 'no output'}")
        self.port = line.split(" emulated on ", 1)[1].split()[0]
        return self

    def stop(self):
        p = self._process
        if p is not None and p.returncode is None:   # not yet reaped: its group is ours
            try:   # SIGTERM first: its finally blocks run
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
            except ProcessLookupError:
                pass
        if p is not None and p.stdout:
            p.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def announcement(self, port):
        return f"{self.name} emulated on {port} (Ctrl-C to stop)"


class CPythonBoard(EmulatedBoard):
    """host: the host board; other boards: their board.py on the emulated drivers.
    options: camera_driver, display_driver, runtime (ESP32), openmv (OpenMV),
    device_dir (serve: the folder the board sees as its filesystem)."""

    def _run(self, paths, photos, blob, frames_dir):
        if self.name != "host":
            drivers = {k: v for k, v in self.options.items() if k != "device_dir"}
            return board_emulation.run(self.name, paths, self.model, **drivers)
        if blob.height != blob.width:
            raise UserError(f"{self.model}: the host pipeline needs a square input; "
                            f"got {blob.height}x{blob.width}")
        frames = ((p, load_pixels(p, blob.height, blob.channels)) for p in paths)
        run = Run(self.name, paths)
        run.collect(run_firmware(frames, self.model, frames_dir).splitlines())
        run.status = int(len(run.results) != len(paths))
        return run

    def serve(self, announce=print):
        self.check_serve()
        master, slave = os.openpty()
        tty.setraw(slave)          # no echo, no newline translation: a plain serial line
        announce(self.announcement(os.ttyname(slave)))
        with cpython_loop.console(master, master):
            return self.serve_console()

    def serve_console(self):
        """The app on this process's sys.stdin / sys.stdout, until it stops."""
        return cpython_loop.run_app(self.name, self.images, self.model, self.fps, **self.options)


class UnixBoard(EmulatedBoard):
    """The project's unix firmware. options: frame_format, frame_size, kernels (run only)."""

    def _run(self, paths, photos, blob, frames_dir):
        frames = vm_boards.photo_frames(photos, blob, self.options.get("frame_format"),
                                        self.options.get("frame_size"), self.name)
        run = vm_boards.run_app(self.name, frames, self.model, kernels=self.options.get("kernels"))
        run.images = paths
        run.status = int(len(run.results) != len(paths))
        return run

    def serve(self, announce=print):
        self.check_serve()
        if self.options.get("kernels"):
            raise UserError(KERNELS_ONLY)
        master, slave = os.openpty()
        tty.setraw(slave)
        return vm_boards.serve_unix(self.images, self.model, master,
                                        lambda: announce(self.announcement(os.ttyname(slave))))


class QemuBoard(UnixBoard):
    """The project's qemu_m7 firmware in QEMU, a serial port of its own. options:
    frame_format, frame_size; run_app (start; default True): the app and model preloaded
    and running, else an empty filesystem waiting at the REPL for `flash`."""

    def start(self, timeout=60):
        self._qemu = vm_boards.start_qemu(self.name, self.model, self.images, self.options.get("frame_format"),
                                self.options.get("frame_size"), self.options.get("run_app", True))
        self.port = self._qemu.port
        return self

    def wait(self):
        self._qemu.proc.wait()

    def stop(self):
        if getattr(self, "_qemu", None) is not None:
            self._qemu.close()

    def serve(self, announce=print):
        self.check_serve()
        self.start()
        try:
            announce(self.announcement(self.port))
            self.wait()
        finally:
            self.stop()


BACKENDS = {"qemu_m7": QemuBoard, "unix": UnixBoard}


def emulated_board(name, images, model=DEFAULT_BLOB, fps=DEFAULT_FPS, **options):
    """The back-end for board `name`; UserError, before anything starts, for an unknown
    board or an option it cannot take."""
    info = board_info(name)
    given = {k for k, v in options.items() if v is not None}
    backend = BACKENDS.get(name, CPythonBoard)
    driver_choice(info, **{k: options.get(k) for k in DRIVER_OPTIONS})
    if given & set(FRAME_OPTIONS) and backend is CPythonBoard:
        raise UserError(f"--frame-format and --frame-size are for the boards {', '.join(BACKENDS)}")
    if "kernels" in given:
        if name != "unix":
            raise UserError(KERNELS_ONLY)
        check_kernels(name, options["kernels"])
    if "openmv" in given and options["openmv"] not in OPENMV_FIRMWARES:
        raise UserError(f"--openmv must be one of {', '.join(OPENMV_FIRMWARES)}; got {options['openmv']!r}")
    if isinstance(options.get("frame_size"), str):
        options["frame_size"] = vm_boards.parse_size(options["frame_size"])
    return backend(name, images, model, fps, **options)
