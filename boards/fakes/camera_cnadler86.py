"""Host fake of cnadler86's micropython-camera-API (`from camera import Camera, ...`).
Loaded as `camera` when an emulation asks for that driver.

Like the real driver: Camera(...) takes pin keywords, pixel_format and frame_size,
capture() returns a memoryview of the current frame buffer (RGB565 big-endian per
pixel, as esp32-camera delivers it), and vflip/hmirror are properties. Frames come
from `source(width, height, fmt)`, set by the host emulation.

    cam = Camera(pixel_format=PixelFormat.RGB565, frame_size=FrameSize.R96X96)
    frame = cam.capture()
"""


class PixelFormat:
    RGB565 = 0
    YUV422 = 1
    YUV420 = 2
    GRAYSCALE = 3
    JPEG = 4
    RGB888 = 5


class FrameSize:
    R96X96 = 0
    QQVGA = 1
    R128x128 = 2
    QCIF = 3
    HQVGA = 4
    R240X240 = 5
    QVGA = 6


class GrabMode:
    WHEN_EMPTY = 0
    LATEST = 1


_SIZES = {FrameSize.R96X96: (96, 96), FrameSize.QQVGA: (160, 120),
          FrameSize.R128x128: (128, 128), FrameSize.QCIF: (176, 144),
          FrameSize.HQVGA: (240, 176), FrameSize.R240X240: (240, 240),
          FrameSize.QVGA: (320, 240)}
_FORMATS = {PixelFormat.RGB565: "RGB565_BE", PixelFormat.GRAYSCALE: "GRAY"}

source = None      # set by the emulation: (width, height, fmt) -> frame bytes or None
cameras = []       # every Camera made, for inspection


class Camera:
    def __init__(self, data_pins=None, pclk_pin=None, vsync_pin=None, href_pin=None,
                 sda_pin=None, scl_pin=None, xclk_pin=None, xclk_freq=20000000,
                 powerdown_pin=-1, reset_pin=-1, i2c=None, pixel_format=PixelFormat.RGB565,
                 frame_size=FrameSize.QQVGA, jpeg_quality=85, fb_count=1,
                 grab_mode=GrabMode.WHEN_EMPTY, init=True):
        if data_pins is not None and len(data_pins) != 8:
            raise ValueError("data_pins must have 8 pins")
        if frame_size not in _SIZES:
            raise ValueError("Invalid frame size")
        if pixel_format not in _FORMATS:
            raise ValueError("this fake only makes RGB565 and GRAYSCALE frames")
        self.data_pins = data_pins
        self._format = pixel_format
        self._size = frame_size
        self.fb_count = fb_count
        self.vflip = False
        self.hmirror = False
        self._buf = None
        self._ready = bool(init)
        cameras.append(self)

    def init(self):
        self._ready = True

    def deinit(self):
        self._ready = False

    @property
    def pixel_width(self):
        return _SIZES[self._size][0]

    @property
    def pixel_height(self):
        return _SIZES[self._size][1]

    @property
    def pixel_format(self):
        return self._format

    def set_vflip(self, v):
        self.vflip = bool(v)

    def set_hmirror(self, v):
        self.hmirror = bool(v)

    def capture(self):
        if not self._ready or source is None:
            return None
        w, h = _SIZES[self._size]
        frame = source(w, h, _FORMATS[self._format])
        if frame is None:
            return None
        self._buf = bytearray(frame)
        return memoryview(self._buf)

    def free_buffer(self):
        self._buf = None
