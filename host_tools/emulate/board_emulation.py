"""The CPython back-end's real boards (backends.CPythonBoard): a board's module on the
host, against fakes of its drivers (`emulate --board NAME`).

boards/NAME/board.py runs unchanged. Its driver modules (`camera`, `tflm` or
`microlite`, `st7789` or `st7789py`, `machine`, `framebuf`; OpenMV's `omv`, `csi`,
`sensor`, `image`, `display`, `ml`) are replaced by the fakes in host_tools/emulate/drivers/,
which follow the real drivers' sources (driver_fakes.py: the ESP32 boards' driver
combination; OpenMV's as firmware 5.0, 4.8 or 4.6, chosen with --openmv):

- the camera delivers each photo as one frame at the board's frame size, in the
  board's pixel format and byte order (RGB565 big-endian from esp32-camera,
  RGB565 little-endian from OpenMV's imlib). The photo is cropped to the frame's
  aspect ratio around its centre and resized with Pillow's BILINEAR filter, the
  host photo pipeline (docs/preprocessing.md), so at 96x96 the frame is exactly
  what `classify` sees, reduced to RGB565;
- the interpreter modules run the model in tflite-micro's own Python runtime;
- the displays keep their pixels, written here as PNG files.

The app (firmware/app/app.py) then runs as on the device; run() returns what it printed
on its serial line, the frames its camera delivered, and per frame its LCD picture and
LED state.

Results equal `classify` of the frame the camera delivered (see camera_view):
for a 96x96 camera that is the photo's 96x96 crop in RGB565; for a larger frame
(OpenMV's 320x240) the app samples the frame by nearest neighbour, the device's
own geometry, which `classify`'s bilinear resize does not reproduce.
"""
import contextlib
import io
import os
import sys
import tempfile
import traceback

from .. import DEFAULT_BLOB
from ..device.boards import BOARDS_DIR, board_info, board_module_path  # noqa: F401
from ..device_code import APP_DIR, device_imports
from .driver_fakes import (CAMERA_DRIVERS, DISPLAY_DRIVERS, FAKES_DIR, OPENMV_FIRMWARES,  # noqa: F401
                           RUNTIMES, TflmRunner, _load, driver_choice, fake_drivers, led_on, screen)
from ..data.pixels import (BYTES_PER_PIXEL, camera_frame, decode_frame, encode_frame,  # noqa: F401
                           frame_pixels, rgb565_image)
from ..data.images import open_image
from .app_run import Run

FIRMWARE_DIR = APP_DIR


# --- camera frames: host_tools/data/pixels.py (these names are kept for their users) ---

camera_view = decode_frame


# --- the board module ---------------------------------------------------------

def load_board(name):
    """boards/NAME/board.py as the module `board` (call inside fake_drivers()).

    Its imports of shared device modules (firmware/app/esp32cam.py) find them in
    firmware/app/, on sys.path while it loads.
    """
    board_info(name)
    added = FIRMWARE_DIR not in sys.path
    if added:
        sys.path.insert(0, FIRMWARE_DIR)
    try:
        return _load("board", board_module_path(name))
    finally:
        if added:
            sys.path.remove(FIRMWARE_DIR)


# --- running the app ----------------------------------------------------------

class _Lines(io.TextIOBase):
    """A stdout that keeps complete lines and can echo them as they come."""

    def __init__(self, echo=None):
        self.lines = []
        self._part = ""
        self._echo = echo

    def write(self, s):
        self._part += s
        *done, self._part = self._part.split("\n")
        for line in done:
            self.lines.append(line)
            if self._echo is not None:
                print(line, file=self._echo, flush=True)
        return len(s)

    def flush(self):
        pass

    def close_line(self):
        if self._part:
            self.write("\n")


def camera_source(info, photo):
    """The fakes' source(w, h, fmt): the photo photo() names, framed as board.json's camera."""
    cam = info["camera"]
    want = (cam["width"], cam["height"], cam["format"])

    def source(w, h, fmt):
        if (w, h, fmt) != want:
            raise ValueError(f"board.json says {want[0]}x{want[1]} {want[2]}, "
                             f"but the board set up the camera for {w}x{h} {fmt}")
        return camera_frame(photo(), w, h, fmt)
    return source


class _CameraProxy:
    # The board's camera: before(n) is called before the app's capture n (False: end
    # of input, None is returned), after(frame) with the frame the app receives.
    def __init__(self, real, before, after):
        self._real, self._before, self._after = real, before, after
        self.width, self.height, self.format = real.width, real.height, real.format
        self._n = 0

    def capture(self):
        if self._before(self._n) is False:
            return None
        frame = self._real.capture()
        self._after(frame)
        self._n += 1
        return frame


def wrap_camera(board, info, before, after=lambda frame: None):
    """board.camera() checked against board.json, its captures reported (see _CameraProxy)."""
    cam = info["camera"]
    want = (cam["width"], cam["height"], cam["format"])
    real_camera = board.camera

    def camera():
        c = real_camera()
        if (c.width, c.height, c.format) != want:
            raise ValueError(f"board.json says {want[0]}x{want[1]} {want[2]}, board.camera() "
                             f"gives {c.width}x{c.height} {c.format}")
        return _CameraProxy(c, before, after)
    board.camera = camera


def run_main(board, model_path, fakes, end_line=lambda: None):
    """app.main() as the device runs it; 0, or 1 after printing what stopped it:
    a traceback, or the panic of a driver's C code (on a real ESP32 the chip then
    resets and main.py starts the app again: a reboot loop)."""
    import app
    try:
        app.main(board, model_path)
    except fakes["machine"].Panic as e:
        end_line()
        print(f"panic: {e}; a real board resets here and runs main.py again")
        return 1
    except Exception:
        end_line()
        print(traceback.format_exc().rstrip())
        return 1
    return 0


def run(board_name, image_paths, model_path=DEFAULT_BLOB, echo=None, device_dir=None, openmv="5",
        camera_api=None, **drivers):
    """Run firmware/app/app.py with boards/BOARD/board.py on the fakes, one frame per image.

    echo: a stream that receives the board's output lines as they come.
    device_dir: the working directory the board sees as its filesystem
    (default: a temporary one). openmv: the OpenMV firmware the OpenMV fakes
    follow (a key of OPENMV_FIRMWARES). drivers: camera_driver, display_driver,
    runtime (driver_fakes; the defaults are the project's firmware); camera_api is
    the old name of camera_driver. Returns an Emulation.
    """

    if camera_api is not None:
        drivers.setdefault("camera_driver", camera_api)
    info = board_info(board_name)
    drivers = driver_choice(info, **drivers)
    photos = [open_image(p) for p in image_paths]   # ImageError names the file
    emu = Run(board_name, image_paths)
    out = _Lines(echo)
    cwd = os.getcwd()
    tmp = tempfile.TemporaryDirectory(prefix="board-fs-") if device_dir is None else None
    model_path = os.path.abspath(model_path)
    try:
        os.chdir(device_dir or tmp.name)
        with device_imports(FIRMWARE_DIR), fake_drivers(openmv=openmv, **drivers) as fakes, \
                contextlib.redirect_stdout(out):
            current = [0]
            source = camera_source(info, lambda: photos[current[0]])
            for name in ("camera", "sensor", "csi"):
                fakes[name].source = source
            board = emu.module = load_board(board_name)
            emu.fakes = fakes

            def before(n):
                if n:                  # the previous frame is complete
                    emu.screens.append(screen(fakes, info))
                    emu.leds.append(led_on(fakes, info))
                if n == len(photos):
                    return False
                current[0] = n
                return True

            wrap_camera(board, info, before, lambda frame: emu.frames.append(bytes(frame)))
            emu.status = run_main(board, model_path, fakes, out.close_line)
            out.close_line()
    finally:
        os.chdir(cwd)
        if tmp is not None:
            tmp.cleanup()
    emu.collect(out.lines)
    for r in emu.results:
        r["image"] = image_paths[r["frame"]] if r["frame"] < len(image_paths) else None
    if len(emu.results) != len(photos):
        emu.status = 1
    return emu
