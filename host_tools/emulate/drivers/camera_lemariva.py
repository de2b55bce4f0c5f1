"""Host fake of lemariva's ESP32 `camera` module (micropython-camera-driver).
Loaded as `camera` when an emulation asks for `--camera-driver lemariva`.

Follows lemariva/micropython-camera-driver at commit 1392e597 (src/modcamera.c,
cited below as L:line) and the esp32-camera driver it calls, espressif/esp32-camera
at commit 2ac69a6f (cited as E:file:line). Frames come from `source(width, height,
fmt)`, which the host emulation sets ("RGB565_BE" or "GRAY"): RGB565 high byte
first, the sensor's order as esp32-camera delivers it. Runs on CPython and on
MicroPython.

    camera.init(0, format=camera.RGB565, framesize=camera.FRAME_96X96)
    frame = camera.capture()       # 96 * 96 * 2 bytes
    camera.flip(1)                 # the vertical flip: there is no set_vflip
"""

# Pixel formats and frame sizes: esp32-camera's enums (E:driver/include/sensor.h:81-92, :94-105),
# exported under these names (L:388-415).
RGB565 = 0
YUV422 = 1
GRAYSCALE = 3
JPEG = 4

FRAME_96X96 = 0
FRAME_QQVGA = 1
FRAME_QCIF = 3
FRAME_HQVGA = 4
FRAME_240X240 = 5
FRAME_QVGA = 6

XCLK_10MHz = 10000000   # L:431-432, modcamera.h:42-43
XCLK_20MHz = 20000000

_SIZES = {FRAME_96X96: (96, 96), FRAME_QQVGA: (160, 120), FRAME_QCIF: (176, 144),
          FRAME_HQVGA: (240, 176), FRAME_240X240: (240, 240), FRAME_QVGA: (320, 240)}
_FORMATS = {RGB565: "RGB565_BE", GRAYSCALE: "GRAY"}
# Every keyword init() knows (L:67-90); all are keyword-only.
_KEYWORDS = ("format", "framesize", "quality", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7",
             "vsync", "href", "pclk", "pwdn", "reset", "xclk", "siod", "sioc", "xclk_freq",
             "fb_size", "fb_location")

source = None      # set by the emulation: (width, height, fmt) -> frame bytes or None
state = {}         # what init() and the setters received


def init(id, **kw):
    # init(id, **kw): one positional argument, then keywords (L:178-191, MP_DEFINE_CONST_FUN_OBJ_KW(..., 1, ...)).
    for k in kw:
        if k not in _KEYWORDS:
            raise TypeError("unexpected keyword argument '%s'" % k)
    fmt = kw.get("format", JPEG)            # default JPEG (L:68)
    size = kw.get("framesize", 10)          # default FRAMESIZE_VGA (L:69; E:driver/include/sensor.h:105)
    if fmt not in (JPEG, YUV422, GRAYSCALE, RGB565):
        raise ValueError("Image format is not valid")         # L:97-102
    if size not in _SIZES:
        raise ValueError("Image framesize is not valid")      # L:104-128 (this fake: the sizes above)
    if kw.get("xclk_freq", XCLK_10MHz) not in (XCLK_10MHz, XCLK_20MHz):
        raise ValueError("xclk frequency is not valid")       # L:131-135
    if fmt not in _FORMATS or "format" in state:
        # esp_camera_init failing raises OSError (L:167-171); a second init without
        # deinit fails in camera_probe (E:driver/esp_camera.c:171-172). This fake
        # makes only raw RGB565 and gray frames.
        raise OSError("Camera Init Failed")
    state.clear()
    state["format"] = fmt
    state["framesize"] = size
    state["pins"] = {k: v for k, v in kw.items() if k not in ("format", "framesize")}
    return True                                                # L:183-184


def deinit():
    # esp_camera_deinit's result: True, or False when it reports an error (L:194-202).
    state.clear()
    return True


def capture():
    # A new bytes object per frame, the frame buffer given back at once (L:206-219);
    # False when no frame comes (L:209-212), e.g. before init (E:driver/esp_camera.c:391-392).
    if "format" not in state or source is None:
        return False
    w, h = _SIZES[state["framesize"]]
    frame = source(w, h, _FORMATS[state["format"]])
    if frame is None:
        return False
    return bytes(frame)


def flip(direction):
    # The sensor's vertical flip (s->set_vflip, L:222-232); False without a sensor.
    if "format" not in state:
        return False
    state["vflip"] = int(direction)
    return None


def mirror(direction):
    # The sensor's horizontal mirror (s->set_hmirror, L:234-244).
    if "format" not in state:
        return False
    state["hmirror"] = int(direction)
    return None

# No set_vflip / set_hmirror: the module's table (L:371-385) has flip and mirror only.
