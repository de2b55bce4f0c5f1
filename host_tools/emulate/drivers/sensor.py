"""Host fake of OpenMV's `sensor` module, the camera API before 4.8 (still in 5.x, deprecated
there for `csi`): reset, pixel format, frame size,
snapshot. snapshot() returns an image.Image whose bytearray() holds the frame as
OpenMV keeps it: RGB565 little-endian (native 16-bit words on the STM32) or 8-bit
gray. Frames come from `source(width, height, fmt)`, set by the host emulation.
Runs on CPython and on MicroPython.
"""
import image

RGB565 = image.RGB565
GRAYSCALE = image.GRAYSCALE

B64X64 = 1
B128X128 = 2
QQVGA = 3
QVGA = 4
VGA = 5
_SIZES = {B64X64: (64, 64), B128X128: (128, 128), QQVGA: (160, 120), QVGA: (320, 240),
          VGA: (640, 480)}

source = None   # set by the emulation: (width, height, fmt) -> frame bytes or None
state = {}


def reset():
    state.clear()
    state["ready"] = True


def set_pixformat(fmt):
    if fmt not in (RGB565, GRAYSCALE):
        raise ValueError("Invalid Pixel Format")
    state["format"] = fmt


def set_framesize(size):
    if size not in _SIZES:
        raise ValueError("Invalid Frame Size")
    state["size"] = size


def skip_frames(n=None, time=None):
    return None


def width():
    return _SIZES[state["size"]][0]


def height():
    return _SIZES[state["size"]][1]


def snapshot():
    if not state.get("ready") or "format" not in state or "size" not in state:
        raise RuntimeError("Sensor Timeout!!")
    w, h = _SIZES[state["size"]]
    img = frame_image(source, w, h, state["format"])
    if img is None:
        raise RuntimeError("Sensor Timeout!!")
    return img


def frame_image(source, w, h, pixformat):
    """The source's next frame as an image.Image, as the firmware's frame buffer
    holds it (shared with the csi fake: both modules drive the same camera code)."""
    frame = source(w, h, "RGB565_LE" if pixformat == RGB565 else "GRAY") if source else None
    return None if frame is None else image.Image(w, h, pixformat, buffer=bytearray(frame))
