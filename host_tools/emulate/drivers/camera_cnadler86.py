"""Host fake of cnadler86's micropython-camera-API (`from camera import Camera, ...`).
Loaded as `camera` when an emulation asks for `--camera-driver cnadler86`.

Follows cnadler86/micropython-camera-API at commit 8df3f70b: src/modcamera_api.c
(cited as A:line) and src/modcamera.c (cited as M:line). Frames come from
`source(width, height, fmt)`, set by the host emulation: RGB565 high byte first,
as esp32-camera delivers the sensor's pixels. Runs on CPython and on MicroPython.

    cam = Camera(data_pins=[...], vsync_pin=6, href_pin=7, pclk_pin=13, xclk_pin=15,
                 sda_pin=4, scl_pin=5, pixel_format=PixelFormat.RGB565,
                 frame_size=FrameSize.R96X96)
    frame = cam.capture()       # memoryview of type 'b': frame[i] is -128..127
"""
try:
    import array
except ImportError:
    array = None


class PixelFormat:   # esp32-camera's pixformat_t (M:241-249; sensor.h:82-87)
    RGB565 = 0
    YUV422 = 1
    YUV420 = 2
    GRAYSCALE = 3
    JPEG = 4
    RGB888 = 5


class FrameSize:     # esp32-camera's framesize_t (M:253-259; sensor.h:95-101)
    R96X96 = 0
    QQVGA = 1
    R128x128 = 2
    QCIF = 3
    HQVGA = 4
    R240X240 = 5
    QVGA = 6


class GrabMode:      # M:280-281
    WHEN_EMPTY = 0
    LATEST = 1


_SIZES = {FrameSize.R96X96: (96, 96), FrameSize.QQVGA: (160, 120),
          FrameSize.R128x128: (128, 128), FrameSize.QCIF: (176, 144),
          FrameSize.HQVGA: (240, 176), FrameSize.R240X240: (240, 240),
          FrameSize.QVGA: (320, 240)}
_FORMATS = {PixelFormat.RGB565: "RGB565_BE", PixelFormat.GRAYSCALE: "GRAY"}

source = None      # set by the emulation: (width, height, fmt) -> frame bytes or None
cameras = []       # every Camera made, for inspection


def _signed_view(data):
    # mp_obj_new_memoryview('b', len, buf) (M:220): a signed view of the frame buffer.
    try:
        return memoryview(bytearray(data)).cast("b")          # CPython
    except AttributeError:                                    # MicroPython: no cast()
        return memoryview(array.array("b", bytearray(data)))  # copies the raw bytes


class Camera:
    # Keyword-only arguments (A:80-108). data_pins, pclk, vsync, href and xclk are
    # required unless the firmware was built for one board (A:81-97).
    def __init__(self, *, data_pins, pclk_pin, vsync_pin, href_pin, xclk_pin, sda_pin=-1,
                 scl_pin=-1, i2c=None, xclk_freq=20, powerdown_pin=-1, reset_pin=-1,
                 pixel_format=PixelFormat.RGB565, frame_size=FrameSize.QQVGA, jpeg_quality=85,
                 fb_count=2, grab_mode=GrabMode.LATEST, init=True):
        if not isinstance(data_pins, (list, bytearray)):
            raise TypeError("data_pins must be a list or bytearray")         # A:133-135
        if len(data_pins) != 8:
            raise ValueError("data_pins must have 8 elements")                # A:137-139
        if i2c is None and (sda_pin == -1 or scl_pin == -1):
            raise ValueError("Either i2c object or sda_pin/scl_pin must be specified")   # A:172-175
        hz = xclk_freq * 1000000 if xclk_freq < 1000 else xclk_freq   # MHz or Hz (A:180-183)
        if hz > 40000000:
            raise ValueError("xclk frequency cannot be grather than 40MHz")   # sic (M:57-60)
        if pixel_format > 8:
            raise ValueError("Invalid pixel_format")   # > PIXFORMAT_RGB555 (M:86-91; esp32-camera sensor.h:90)
        if pixel_format not in _FORMATS or frame_size not in _SIZES:
            raise OSError("this fake makes only RGB565 and gray frames of the sizes it lists")
        self.data_pins = list(data_pins)
        self._format = pixel_format
        self._size = frame_size
        self._vflip = False
        self._hmirror = False
        self._frame = None
        self._ready = True
        # The constructor grabs one frame and fails without it (A:207-211), then keeps the
        # camera running, or stops it with init=False (A:213-217).
        if self.capture() is None:
            self._ready = False
            raise OSError("Failed to capture initial frame. Construct a new object with "
                          "appropriate configuration.")
        self._frame = None
        self._ready = bool(init)
        cameras.append(self)

    def init(self):
        self._ready = True        # A:277-282

    def deinit(self):
        self._ready = False       # A:284-289
        self._frame = None

    def _check_init(self):
        if not self._ready:
            raise OSError(2)      # check_init: mp_raise_OSError(ENOENT) (M:51-55)

    def capture(self):
        # The previous frame buffer goes back to the driver (M:209-212); None when no
        # frame comes (M:216-219); else a signed memoryview over the buffer (M:220).
        self._check_init()
        self._frame = None
        if source is None:
            return None
        w, h = _SIZES[self._size]
        data = source(w, h, _FORMATS[self._format])
        if data is None:
            return None
        self._frame = _signed_view(data)
        return self._frame

    def free_buffer(self):
        self._frame = None        # A:235-240

    # Read-only properties (A:312-326) and their get_ methods (A:550-556, :594-600).
    @property
    def pixel_format(self):
        return self._format

    @property
    def pixel_width(self):
        return _SIZES[self._size][0]

    @property
    def pixel_height(self):
        return _SIZES[self._size][1]

    def get_pixel_width(self):
        return self.pixel_width

    def get_pixel_height(self):
        return self.pixel_height

    # vflip and hmirror: properties (A:371-376, :469-474) and get_/set_ methods
    # (A:568-569, :613-614); the setters take any truth value (mp_obj_is_true).
    @property
    def vflip(self):
        return self._vflip

    @vflip.setter
    def vflip(self, v):
        self._vflip = bool(v)

    @property
    def hmirror(self):
        return self._hmirror

    @hmirror.setter
    def hmirror(self, v):
        self._hmirror = bool(v)

    def set_vflip(self, v):
        self._vflip = bool(v)

    def get_vflip(self):
        return self._vflip

    def set_hmirror(self, v):
        self._hmirror = bool(v)

    def get_hmirror(self):
        return self._hmirror
