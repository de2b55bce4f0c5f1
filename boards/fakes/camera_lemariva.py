"""Host fake of the ESP32 `camera` module with lemariva's API (the one bundled with
the microlite firmware of tensorflow-micropython-examples). Loaded as `camera`.

Like the real driver: init() takes format/framesize constants and pin keywords,
capture() returns a new `bytes` holding one frame, RGB565 big-endian per pixel
(the sensor's byte order, as esp32-camera delivers it), and False if no frame
could be grabbed. Frames come from `source(width, height, fmt)`, which the host
emulation sets ("RGB565_BE" or "GRAY"); runs on CPython and on MicroPython.

    camera.init(0, format=camera.RGB565, framesize=camera.FRAME_96X96)
    frame = camera.capture()       # 96 * 96 * 2 bytes

A second init() without deinit() fails, as esp32-camera does.
"""

JPEG = 4
YUV422 = 1
GRAYSCALE = 3
RGB565 = 0

FRAME_96X96 = 0
FRAME_QQVGA = 1
FRAME_QCIF = 3
FRAME_HQVGA = 4
FRAME_240X240 = 5
FRAME_QVGA = 6

XCLK_10MHz = 10000000
XCLK_20MHz = 20000000

_SIZES = {FRAME_96X96: (96, 96), FRAME_QQVGA: (160, 120), FRAME_QCIF: (176, 144),
          FRAME_HQVGA: (240, 176), FRAME_240X240: (240, 240), FRAME_QVGA: (320, 240)}
_FORMATS = {RGB565: "RGB565_BE", GRAYSCALE: "GRAY"}

source = None      # set by the emulation: (width, height, fmt) -> frame bytes or None
state = {}         # what init() and the setters received


def init(id, format=JPEG, framesize=FRAME_QVGA, quality=12, xclk_freq=XCLK_10MHz, **pins):
    if format not in (JPEG, YUV422, GRAYSCALE, RGB565):
        raise ValueError("Image format is not valid")
    if framesize not in _SIZES:
        raise ValueError("Image framesize is not valid")
    if xclk_freq not in (XCLK_10MHz, XCLK_20MHz):
        raise ValueError("xclk frequency is not valid")
    if format not in _FORMATS:
        raise OSError("Camera Init Failed")  # this fake only makes raw frames
    if "format" in state:
        raise OSError("Camera Init Failed")  # esp32-camera is already running: deinit() first
    state.clear()
    state["format"] = format
    state["framesize"] = framesize
    state["pins"] = pins
    state["xclk_freq"] = xclk_freq
    return True


def deinit():
    state.clear()
    return True


def capture():
    if "format" not in state or source is None:
        return False
    w, h = _SIZES[state["framesize"]]
    frame = source(w, h, _FORMATS[state["format"]])
    if frame is None:
        return False
    return bytes(frame)


def set_vflip(v):
    state["vflip"] = v


def set_hmirror(v):
    state["hmirror"] = v
