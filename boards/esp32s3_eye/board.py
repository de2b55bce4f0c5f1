"""Espressif ESP32-S3-EYE: OV2640 camera, 240x240 ST7789 LCD, microlite (tflite-micro).

Copied to the device as board.mpy; firmware/main.py runs

    import board, app
    app.main(board)

Firmware: MicroPython with the `microlite` module (tensorflow-micropython-examples)
and an ESP32 `camera` module: lemariva's API (camera.init / camera.capture, the
one microlite's camera builds bundle) or cnadler86's micropython-camera-API
(camera.Camera), detected at run time. The screen needs russhughes' `st7789` C
module (or the slower pure-Python `st7789py`); without one, display() returns
None and the results go to the serial line only.
"""
try:
    from micropython import const
except ImportError:  # CPython: the host emulation runs this file unchanged
    def const(x):
        return x

# Camera: 96x96 RGB565, the model's own size, so preprocessing is a pure
# per-pixel conversion. esp32-camera delivers RGB565 high byte first.
_FRAME_W = const(96)
_FRAME_H = const(96)
FRAME_FORMAT = "RGB565_BE"
_XCLK_HZ = const(20000000)
_VFLIP = const(1)   # Espressif's S3-EYE examples flip the sensor; 0 if your picture is upside down
_RETRIES = const(3)

# Camera pins (Espressif's ESP32-S3-EYE board support package).
_CAM_D = (11, 9, 8, 10, 12, 18, 17, 16)   # D0..D7
_CAM_VSYNC = const(6)
_CAM_HREF = const(7)
_CAM_PCLK = const(13)
_CAM_XCLK = const(15)
_CAM_SDA = const(4)
_CAM_SCL = const(5)

# LCD: ST7789 240x240 on SPI, no reset line.
_LCD_W = const(240)
_LCD_H = const(240)
_LCD_SPI = const(2)
_LCD_HZ = const(40000000)
_LCD_SCK = const(21)
_LCD_MOSI = const(47)
_LCD_CS = const(44)
_LCD_DC = const(43)
_LCD_BL = const(48)
_PANEL_H = const(48)   # firmware/ui.py draws its result panel in the bottom 48 rows

# Tensor arena: the blob's figure is measured on the host with reference kernels;
# the device's optimized kernels want scratch space on top.
_ARENA_DEFAULT = const(139264)
_ARENA_EXTRA = const(4096)


class _Camera:
    def __init__(self, grab):
        self.width = _FRAME_W
        self.height = _FRAME_H
        self.format = FRAME_FORMAT
        self._grab = grab

    def capture(self):
        # The driver answers False (lemariva) or None when a grab fails: retry a little.
        for _ in range(_RETRIES):
            frame = self._grab()
            if frame:
                return frame
        raise OSError("camera: no frame after %d tries" % _RETRIES)


def camera():
    import camera as cam
    if hasattr(cam, "Camera"):  # cnadler86 micropython-camera-API
        c = cam.Camera(data_pins=list(_CAM_D), vsync_pin=_CAM_VSYNC, href_pin=_CAM_HREF,
                       pclk_pin=_CAM_PCLK, xclk_pin=_CAM_XCLK, sda_pin=_CAM_SDA,
                       scl_pin=_CAM_SCL, xclk_freq=_XCLK_HZ, powerdown_pin=-1, reset_pin=-1,
                       pixel_format=cam.PixelFormat.RGB565, frame_size=cam.FrameSize.R96X96)
        if _VFLIP:
            c.set_vflip(True)
        return _Camera(c.capture)
    # lemariva's API: module-level init/capture; capture() returns a new bytes each frame.
    # After a soft reset the driver may still be running: release it first.
    cam.deinit()
    d = _CAM_D
    cam.init(0, format=cam.RGB565, framesize=cam.FRAME_96X96, xclk_freq=cam.XCLK_20MHz,
             d0=d[0], d1=d[1], d2=d[2], d3=d[3], d4=d[4], d5=d[5], d6=d[6], d7=d[7],
             vsync=_CAM_VSYNC, href=_CAM_HREF, pclk=_CAM_PCLK, xclk=_CAM_XCLK,
             siod=_CAM_SDA, sioc=_CAM_SCL, pwdn=-1, reset=-1)
    if _VFLIP:
        cam.set_vflip(1)
    return _Camera(cam.capture)


class _Display:
    """fill / fill_rect / text / show / preview on an ST7789 driver.

    Text is drawn with framebuf's 8x8 font, one character cell at a time, into a
    reused 128-byte buffer that is blitted to the panel. framebuf stores RGB565
    low byte first; the panel wants high byte first, so text colours are swapped.
    Text is drawn on black (the result panel's background).
    """

    def __init__(self, panel, framebuf):
        self.width = _LCD_W
        self.height = _LCD_H
        self._panel = panel
        self._cell = bytearray(8 * 8 * 2)
        self._fb = framebuf.FrameBuffer(self._cell, 8, 8, framebuf.RGB565)

    def fill(self, color):
        self._panel.fill(color)

    def fill_rect(self, x, y, w, h, color):
        if w > 0 and h > 0:
            self._panel.fill_rect(x, y, w, h, color)

    def text(self, s, x, y, color):
        swapped = ((color & 0xFF) << 8) | ((color >> 8) & 0xFF)
        fb = self._fb
        for i in range(len(s)):
            if x > _LCD_W - 8:
                break
            fb.fill(0)
            fb.text(s[i], 0, 0, swapped)
            self._panel.blit_buffer(self._cell, x, y, 8, 8)
            x += 8

    def show(self):
        pass  # the ST7789 draws immediately

    def preview(self, frame, w, h, fmt):
        # The camera's RGB565 big-endian frame is already in the panel's byte order.
        if fmt == FRAME_FORMAT and w <= _LCD_W and h <= _LCD_H - _PANEL_H:
            self._panel.blit_buffer(frame, (_LCD_W - w) // 2, (_LCD_H - _PANEL_H - h) // 2, w, h)


def display():
    try:
        import st7789
    except ImportError:
        try:
            import st7789py as st7789
        except ImportError:
            print("board: no st7789 driver in this firmware; results on the serial line only")
            return None
    import framebuf
    from machine import Pin, SPI
    try:
        spi = SPI(_LCD_SPI, baudrate=_LCD_HZ, sck=Pin(_LCD_SCK), mosi=Pin(_LCD_MOSI))
        kw = {"dc": Pin(_LCD_DC, Pin.OUT), "cs": Pin(_LCD_CS, Pin.OUT),
              "backlight": Pin(_LCD_BL, Pin.OUT), "rotation": 0}
        if hasattr(st7789, "RGB"):
            kw["color_order"] = st7789.RGB   # the S3-EYE panel is RGB, colours inverted
        panel = st7789.ST7789(spi, _LCD_W, _LCD_H, **kw)
        if hasattr(panel, "init"):
            panel.init()
        if hasattr(panel, "inversion_mode"):
            panel.inversion_mode(True)
    except (OSError, ValueError, TypeError) as e:
        print("board: LCD not available (%s); results on the serial line only" % e)
        return None
    return _Display(panel, framebuf)


class _Microlite:
    """invoke(inbuf, outbuf) on microlite's callback protocol.

    microlite has no bulk copy: the input callback sets the tensor one element at
    a time (27,648 calls for 96x96x3, roughly 0.1 s per frame on an ESP32-S3) and
    the output callback reads the scores back the same way.
    """

    def __init__(self, model, arena_size, input_size, output_size):
        import microlite
        self._n_in = input_size
        self._n_out = output_size
        self._inbuf = None
        self._outbuf = None
        self._tin = None
        self._tout = None
        # microlite hands tflite-micro the array object's storage pointer: give it
        # a bytearray of its own (blob.model is a memoryview slice whose offset the
        # C code would ignore). Costs one copy of the model in RAM (PSRAM here).
        self._model = bytearray(model)
        arena = arena_size + arena_size // 4 + _ARENA_EXTRA if arena_size else _ARENA_DEFAULT
        self._interp = microlite.interpreter(self._model, arena, self._fill, self._read)

    def _fill(self, interp):
        t = self._tin
        if t is None:
            t = self._tin = interp.getInputTensor(0)
        set_value = t.setValue
        buf = self._inbuf
        for i in range(self._n_in):
            set_value(i, buf[i])   # raw byte; the C code keeps the low 8 bits as int8

    def _read(self, interp):
        t = self._tout
        if t is None:
            t = self._tout = interp.getOutputTensor(0)
        get_value = t.getValue
        buf = self._outbuf
        for i in range(self._n_out):
            buf[i] = get_value(i) & 0xFF

    def invoke(self, inbuf, outbuf):
        self._inbuf = inbuf
        self._outbuf = outbuf
        if self._interp.invoke() != 0:
            raise OSError("microlite: invoke failed (tensor arena too small?)")


def interpreter(model, arena_size, input_size, output_size):
    return _Microlite(model, arena_size, input_size, output_size)
