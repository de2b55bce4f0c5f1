"""`capture`: photos from the board's own camera, over its serial line.

    python -m host_tools capture --port PORT --label mug [--count 50] [--every 0.5] DATA

    written = capture(port, "mug", "photos", count=50, every=0.5, progress=callback)
    for frame in frames(port):          # a live camera view (count=None: until closed)
        frame.view()                     # the whole camera frame, RGB (H, W, 3) uint8
        frame.pixels()                   # what the model sees: (size, size, 3) uint8

The running app answers each `@frame` line the host writes with its current
camera frame (docs/capture-protocol.md). Each frame is converted here exactly as
the device converts it (docs/preprocessing.md: the camera's pixel format and byte
order, the largest centred square, nearest-neighbour sampling to the model's
size) and written as DATA/LABEL/NNNN.png, numbered after the files already
there: first as a hidden temporary file, then linked under its name, so a
photo is either whole or absent.
"""
import base64
import binascii
import json
import os
import re
import time

import numpy as np
from PIL import Image

from .. import UserError
from ..data.dataset import check_label
from ..infer.results import parse_result_line
from ..data.pixels import BYTES_PER_PIXEL, decode_frame as camera_view
from .monitor import _why
from .ports import check as check_port
from .transport import Cancelled

REQUEST = b"@frame\n"
HEADER = "@frame "
DATA = "@data "
ERROR = "@frame-error "
DEFAULT_TIMEOUT = 10.0
_NUMBERED = re.compile(r"^(\d+)\.[A-Za-z0-9]+$")


class Frame:
    """One camera frame as the board sent it: raw bytes in its own format."""

    def __init__(self, header, data, result=None):
        self.n = header["frame"]
        self.width, self.height, self.format = header["width"], header["height"], header["format"]
        self.model_height = header.get("model_height", min(self.width, self.height))
        self.model_width = header.get("model_width", self.model_height)
        self.data = data
        self.result = result     # the board's @result for this frame, if it came first

    def view(self):
        """The whole frame decoded to RGB, (height, width, 3) uint8 (a GRAY frame: R = G = B)."""
        return camera_view(self.data, self.width, self.height, self.format)

    def pixels(self):
        """What the model sees, before the input table: the largest centred square,
        sampled to the model's size by nearest neighbour (docs/preprocessing.md); RGB."""
        return sample(self.view(), self.model_height, self.model_width)

    def image(self):
        """pixels() as a PIL image: RGB, or L (one channel) for a GRAY camera."""
        p = self.pixels()
        return Image.fromarray(p[..., 0], "L") if self.format == "GRAY" else Image.fromarray(p, "RGB")


def sample(view, out_height, out_width):
    """src = start + (dst * side) // size on each axis, side the largest centred square."""
    h, w = view.shape[:2]
    side = min(w, h)
    rows = (h - side) // 2 + (np.arange(out_height) * side) // out_height
    cols = (w - side) // 2 + (np.arange(out_width) * side) // out_width
    return np.ascontiguousarray(view[rows][:, cols])


# --- the serial line ----------------------------------------------------------

class Link:
    """The board's serial line, asking for frames: with Link(port) as link: link.frame()."""

    def __init__(self, port, timeout=DEFAULT_TIMEOUT, baudrate=115200, cancel=None):
        import serial
        if not port:
            raise UserError("no port given: pass --port PORT")
        port = check_port(port)   # a device, never a pyserial URL
        self.port, self.timeout, self.cancel = port, timeout, cancel
        self._serial_errors = (serial.SerialException, OSError)
        try:   # a board that stops reading cannot block a request for ever
            self._ser = serial.serial_for_url(port, baudrate=baudrate, timeout=0.2, write_timeout=timeout)
        except (serial.SerialException, OSError, ValueError) as e:
            raise UserError(f"cannot open {port}: {_why(e)}") from None
        if hasattr(cancel, "watch"):   # transport.Cancel: a blocked read ends at once
            cancel.watch(self._wake)
        self._buf = b""
        try:
            self._ser.reset_input_buffer()   # what the board printed before we asked
        except self._serial_errors:
            pass

    def close(self):
        try:
            self._ser.close()
        except self._serial_errors:
            pass

    def _wake(self):
        try:
            self._ser.cancel_read()
        except (AttributeError, *self._serial_errors):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _line(self, deadline):
        """The next text line, or None at the deadline; LinkLost if the line goes away."""
        while b"\n" not in self._buf:
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled("cancelled")
            if time.monotonic() > deadline:
                return None
            try:
                chunk = self._ser.read(self._ser.in_waiting or 1)
            except self._serial_errors as e:
                raise LinkLost(_why(e)) from None
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\n", 1)
        return raw.decode("utf-8", "replace").rstrip("\r")

    def frame(self):
        """Ask for one frame and return it (a Frame); UserError if none comes."""
        try:
            self._ser.write(REQUEST)
        except self._serial_errors as e:
            raise LinkLost(_why(e)) from None
        deadline = time.monotonic() + self.timeout
        result = None
        while True:
            line = self._line(deadline)
            if line is None:
                raise BoardSilent(f"{self.port}: no answer to @frame within {self.timeout:g} s: "
                                  "is the app running on the board (flash it, then reset), "
                                  "and is this its port?")
            if line.startswith(ERROR):
                raise UserError(f"{self.port}: the board refused: {line[len(ERROR):]}")
            r = parse_result_line(line)
            if r is not None:
                result = r
            if line.startswith(HEADER):
                header = _parse_header(line, self.port)
                data = self._payload(header, deadline)
                if result is not None and result.get("frame") != header["frame"]:
                    result = None
                return Frame(header, data, result)

    def _payload(self, header, deadline):
        # Data lines may take a while on a slow line: the deadline restarts with each one.
        n, chunk = header["bytes"], header["chunk"]
        parts = []
        for _ in range(-(-n // chunk)):
            line = self._line(max(deadline, time.monotonic() + self.timeout))
            if line is None or not line.startswith(DATA):
                raise UserError(f"{self.port}: frame {header['frame']} was cut short "
                                f"({sum(map(len, parts))} of {n} bytes)")
            try:
                parts.append(base64.b64decode(line[len(DATA):], validate=True))
            except binascii.Error:
                raise UserError(f"{self.port}: frame {header['frame']}: a data line is not base64") from None
        data = b"".join(parts)
        if len(data) != n or (header["crc32"] >= 0 and binascii.crc32(data) != header["crc32"]):
            raise UserError(f"{self.port}: frame {header['frame']} arrived damaged "
                            f"({len(data)} of {n} bytes, CRC-32 mismatch)")
        return data


class LinkLost(UserError):
    """The serial line went away (cable pulled, board reset)."""


class BoardSilent(UserError):
    """No answer to a request within the timeout."""


def _parse_header(line, port):
    try:
        h = json.loads(line[len(HEADER):])
        ok = (all(isinstance(h.get(k), int) for k in ("frame", "width", "height", "bytes", "crc32", "chunk"))
              and h.get("format") in BYTES_PER_PIXEL and h.get("encoding") == "base64"
              and h["bytes"] == h["width"] * h["height"] * BYTES_PER_PIXEL[h["format"]] and h["chunk"] > 0)
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise UserError(f"{port}: the board sent a frame header this tool does not read: {line[:120]}")
    return h


def frames(port, count=None, every=0.0, timeout=DEFAULT_TIMEOUT, baudrate=115200, cancel=None):
    """Frames from the board, one request per frame, requests every `every` seconds
    (at most as fast as the board answers); count=None: until the caller stops;
    cancel: an Event that ends it (transport.Cancelled) at any point."""
    with Link(port, timeout, baudrate, cancel) as link:
        n = 0
        while count is None or n < count:
            start = time.monotonic()
            yield link.frame()
            n += 1
            wait = every - (time.monotonic() - start)
            if wait > 0 and (count is None or n < count):
                if cancel is not None and cancel.wait(wait):
                    raise Cancelled("cancelled")
                if cancel is None:
                    time.sleep(wait)


# --- the photo folder -----------------------------------------------------------

def check_capture_label(label):
    """A label for a new class folder: the rules of train's class folders, and a plain name."""
    if not label or label.strip() != label:
        raise UserError(f"label {label!r}: give a name without leading or trailing spaces")
    if label in (".", "..") or "/" in label or "\\" in label or "\0" in label:
        raise UserError(f"label {label!r}: it names a folder, so it cannot contain / or \\ or be . or ..")
    if label.startswith("."):
        raise UserError(f"label {label!r}: a folder starting with . is hidden and train would skip it")
    return check_label(label, label)


def next_number(folder):
    """1 + the largest N of the files NNNN.ext already in folder (1 if none)."""
    numbers = [int(m.group(1)) for m in map(_NUMBERED.match, os.listdir(folder)) if m]
    return max(numbers, default=0) + 1


def write_photo(folder, number, image):
    """image as folder/NNNN.png, never over an existing file: written as a hidden
    temporary file, then linked under its name. Returns the path."""
    tmp = os.path.join(folder, f".capture-{os.getpid()}-{number}.png.tmp")
    try:
        image.save(tmp, format="PNG")
        while True:
            path = os.path.join(folder, f"{number:04d}.png")
            try:
                os.link(tmp, path)   # atomic, and fails if the name is taken
                return path
            except FileExistsError:
                number += 1
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def capture(port, label, data_dir, count=50, every=0.5, progress=None, timeout=DEFAULT_TIMEOUT,
            baudrate=115200, cancel=None):
    """Take count photos from the board into data_dir/label/; returns their paths.

    progress(done, count, path, frame) is called after each photo is written.
    A board that does not answer or a line that goes away raises UserError
    saying how many photos were written; those are whole.
    """
    label = check_capture_label(label)
    if count < 1:
        raise UserError(f"count must be at least 1; got {count}")
    if every < 0:
        raise UserError(f"every must be 0 or more seconds; got {every}")
    folder = os.path.join(data_dir, label)
    for path in (data_dir, folder):
        if os.path.exists(path) and not os.path.isdir(path):
            raise UserError(f"{path}: not a folder")
    written = []
    stream = frames(port, count, every, timeout, baudrate, cancel)   # opens the port on first next()
    try:
        for frame in stream:
            try:
                os.makedirs(folder, exist_ok=True)
                path = write_photo(folder, next_number(folder), frame.image())
            except OSError as e:
                raise UserError(f"cannot write a photo in {folder}: {e.strerror or e}; "
                                f"the {len(written)} written are whole") from None
            written.append(path)
            if progress is not None:
                progress(len(written), count, path, frame)
    except Cancelled:
        raise Cancelled(f"cancelled after {len(written)} of {count} photos; those are whole") from None
    except LinkLost as e:
        if not written:
            raise UserError(f"lost {port} before the first photo ({e}); nothing was written") from None
        raise UserError(f"lost {port} after {len(written)} of {count} photos ({e}); "
                        f"the {len(written)} written are whole") from None
    except UserError as e:
        if not written:
            raise
        raise UserError(f"{e} (after {len(written)} of {count} photos; those are whole)") from None
    finally:
        stream.close()
    return written
