"""`emulate --board NAME`: a real board's module on the host, against fakes of its drivers.

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

The app (firmware/app/app.py) then runs as on the device. stdout carries exactly what
the board prints on its serial line; notes about the screen and the LED go to
stderr. With --json, one object per frame instead: the @result fields plus the
image, and the LED state or the LCD picture.

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

from .. import DEFAULT_BLOB, UserError
from ..device import boards as registry
from ..device.boards import BOARDS_DIR, board_info, board_module_path  # noqa: F401
from ..device_code import APP_DIR, device_imports
from .driver_fakes import (CAMERA_DRIVERS, DISPLAY_DRIVERS, FAKES_DIR, OPENMV_FIRMWARES,  # noqa: F401
                           RUNTIMES, TflmRunner, _load, driver_choice, fake_drivers, led_on, screen)
from ..data.pixels import (BYTES_PER_PIXEL, camera_frame, decode_frame, encode_frame,  # noqa: F401
                           frame_pixels, rgb565_image)
from ..infer.results import dequantize, format_line, parse_result_line
from ..data.images import ImageError, open_image
from ..blob import read

FIRMWARE_DIR = APP_DIR


# --- boards: the registry, host_tools/device/boards.py ---------------------------

def board_names():
    """Every board the app can run on here (boards/*/board.json and the host emulator board)."""
    return registry.board_names(host=True)


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


class Emulation:
    """What one run produced: device lines, per-frame results and board state."""

    def __init__(self, board, images):
        self.board = board
        self.images = images
        self.lines = []      # everything the board printed, in order
        self.results = []    # parsed @result objects, with "image" added
        self.frames = []     # the raw camera frames the app received
        self.leds = []       # per frame: LED on (True/False), boards with an LED
        self.screens = []    # per frame: PIL image of the display, boards with one
        self.status = 0


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
    emu = Emulation(board_name, list(image_paths))
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
    emu.lines = out.lines
    for r in filter(None, map(parse_result_line, out.lines)):
        r["image"] = image_paths[r["frame"]] if r["frame"] < len(image_paths) else None
        emu.results.append(r)
    if len(emu.results) != len(photos):
        emu.status = 1
    return emu


# --- command line ---------------------------------------------------------------

def open_images(paths):
    """(readable paths, their decoded images, how many could not be read); each
    unreadable one gets one line on stderr."""
    good, photos, failed = [], [], 0
    for path in paths:
        try:
            photos.append(open_image(path))
            good.append(path)
        except ImageError as e:
            failed += 1
            print(f"emulate: {e}", file=sys.stderr, flush=True)
    return good, photos, failed


def main(args):
    """`python -m host_tools emulate --board NAME IMAGE...` for a board other than host.

    Prints what `emulate` prints for the host board (one line, or one JSON object,
    per image, in order), plus "led" / "lcd" in JSON; the board's other serial
    output and notes about its LED and LCD go to stderr.
    """

    drivers = {k: getattr(args, k, None) for k in ("camera_driver", "display_driver", "runtime")}
    driver_choice(board_info(args.board), **drivers)  # an unknown board or choice: one line, before any work
    openmv = getattr(args, "openmv", None) or "5"
    if openmv not in OPENMV_FIRMWARES:
        raise UserError(f"--openmv must be one of {', '.join(OPENMV_FIRMWARES)}; got {openmv!r}")
    if not args.images:
        raise UserError("no images given: pass one or more image files")
    model = args.model or DEFAULT_BLOB
    blob = read(model)  # one clear line if the blob is missing or damaged
    good, _, failed = open_images(args.images)
    if not good:
        return 1
    emu = run(args.board, good, model, openmv=openmv, **drivers)
    for line in emu.lines:
        if not line.startswith("@result "):
            print(f"{args.board}: {line}", file=sys.stderr)
    frames_dir = getattr(args, "frames_dir", None)
    if frames_dir:
        os.makedirs(frames_dir, exist_ok=True)
    for n, r in enumerate(emu.results):
        row = {"image": r["image"], "label": r["label"], "confidence": r["confidence"],
               "scores": {label: dequantize(q, blob) for label, q in zip(blob.labels, r["scores"])}}
        notes = []
        screen = emu.screens[n] if n < len(emu.screens) else None
        if screen is not None and frames_dir:
            row["lcd"] = os.path.join(frames_dir, f"{args.board}_{n:03d}.png")
            screen.save(row["lcd"])
            notes.append(f"LCD -> {row['lcd']}")
        led = emu.leds[n] if n < len(emu.leds) else None
        if led is not None:
            row["led"] = led
            notes.append(f"LED {'on' if led else 'off'}")
        print(format_line(row, args.json), flush=True)
        if notes and not args.json:
            print(f"{args.board}: frame {n} ({r['image']}): {', '.join(notes)}", file=sys.stderr)
    if emu.status:
        print(f"emulate: the board stopped after {len(emu.results)} of {len(good)} frames",
              file=sys.stderr)
    return 1 if (failed or emu.status) else 0
