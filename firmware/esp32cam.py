"""ESP32 camera boards with microlite: the camera, ST7789 LCD and interpreter adapters.

Shared by boards/esp32s3_eye and boards/xiao_esp32s3_sense, whose board.py
holds only the pins and builds the objects the app asks for:

    import esp32cam
    FRAME_FORMAT = esp32cam.FRAME_FORMAT

    def camera():
        return esp32cam.camera((11, 9, 8, 10, 12, 18, 17, 16), vsync=6, href=7,
                               pclk=13, xclk=15, sda=4, scl=5, vflip=True)

    def display():
        return esp32cam.st7789_display(240, 240, spi=2, baudrate=40000000, sck=21,
                                       mosi=47, cs=44, dc=43, backlight=48)   # or None

    def interpreter(model, arena_size, input_size, output_size):
        return esp32cam.microlite_interpreter(model, arena_size, input_size, output_size)

Firmware: MicroPython with the `microlite` module (tensorflow-micropython-examples)
and an ESP32 `camera` module: lemariva's API (camera.init / camera.capture, the
one microlite's camera builds bundle) or cnadler86's micropython-camera-API
(camera.Camera), detected at run time. The LCD needs russhughes' `st7789` C
module (or the slower pure-Python `st7789py`); without one, st7789_display()
returns None and the results go to the serial line only.
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
_RETRIES = const(3)

_PANEL_H = const(48)   # firmware/ui.py draws its result panel in the bottom 48 rows

# Tensor arena: the blob's figure is measured on the host with reference kernels; the
# ESP32-S3's ESP-NN kernels want scratch buffers on top. _ARENA_EXTRA is board.json's
# budget.arena_extra_bytes, measured (python -m host_tools.device.espnn, docs/firmware.md):
# with it the default model gets exactly the arena it uses with the ESP-NN kernels.
_ARENA_DEFAULT = const(139264)
_ARENA_EXTRA = const(21680)


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


def camera(data, vsync, href, pclk, xclk, sda, scl, vflip=False):
    """The OV2640 on these pins (data: D0..D7), 96x96 RGB565, either camera API."""
    import camera as cam
    if hasattr(cam, "Camera"):  # cnadler86 micropython-camera-API
        c = cam.Camera(data_pins=list(data), vsync_pin=vsync, href_pin=href, pclk_pin=pclk,
                       xclk_pin=xclk, sda_pin=sda, scl_pin=scl, xclk_freq=_XCLK_HZ,
                       powerdown_pin=-1, reset_pin=-1,
                       pixel_format=cam.PixelFormat.RGB565, frame_size=cam.FrameSize.R96X96)
        if vflip:
            c.set_vflip(True)
        return _Camera(c.capture)
    # lemariva's API: module-level init/capture; capture() returns a new bytes each frame.
    # After a soft reset the driver may still be running: release it first.
    cam.deinit()
    d = data
    cam.init(0, format=cam.RGB565, framesize=cam.FRAME_96X96, xclk_freq=cam.XCLK_20MHz,
             d0=d[0], d1=d[1], d2=d[2], d3=d[3], d4=d[4], d5=d[5], d6=d[6], d7=d[7],
             vsync=vsync, href=href, pclk=pclk, xclk=xclk, siod=sda, sioc=scl, pwdn=-1, reset=-1)
    if vflip:
        cam.set_vflip(1)
    return _Camera(cam.capture)


class _Display:
    """fill / fill_rect / text / show / preview on an ST7789 driver.

    Text is drawn with framebuf's 8x8 font, one character cell at a time, into a
    reused 128-byte buffer that is blitted to the panel. framebuf stores RGB565
    low byte first; the panel wants high byte first, so text colours are swapped.
    Text is drawn on black (the result panel's background).
    """

    def __init__(self, panel, framebuf, width, height):
        self.width = width
        self.height = height
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
        last_x = self.width - 8
        for i in range(len(s)):
            if x > last_x:
                break
            fb.fill(0)
            fb.text(s[i], 0, 0, swapped)
            self._panel.blit_buffer(self._cell, x, y, 8, 8)
            x += 8

    def show(self):
        pass  # the ST7789 draws immediately

    def preview(self, frame, w, h, fmt):
        # The camera's RGB565 big-endian frame is already in the panel's byte order.
        above = self.height - _PANEL_H
        if fmt == FRAME_FORMAT and w <= self.width and h <= above:
            self._panel.blit_buffer(frame, (self.width - w) // 2, (above - h) // 2, w, h)


def st7789_display(width, height, spi, baudrate, sck, mosi, cs, dc, backlight,
                   rgb=False, inverted=False):
    """An ST7789 panel on SPI bus `spi` (no reset line), or None without driver or panel.

    rgb: the panel's colour order is RGB (the driver's default is BGR);
    inverted: the panel shows colours inverted, so inversion mode is switched on.
    """
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
        bus = SPI(spi, baudrate=baudrate, sck=Pin(sck), mosi=Pin(mosi))
        kw = {"dc": Pin(dc, Pin.OUT), "cs": Pin(cs, Pin.OUT),
              "backlight": Pin(backlight, Pin.OUT), "rotation": 0}
        if rgb and hasattr(st7789, "RGB"):
            kw["color_order"] = st7789.RGB
        panel = st7789.ST7789(bus, width, height, **kw)
        if hasattr(panel, "init"):
            panel.init()
        if inverted and hasattr(panel, "inversion_mode"):
            panel.inversion_mode(True)
    except (OSError, ValueError, TypeError) as e:
        print("board: LCD not available (%s); results on the serial line only" % e)
        return None
    return _Display(panel, framebuf, width, height)


class _Microlite:
    """invoke(inbuf, outbuf) on microlite's callback protocol, plus an optional LED.

    microlite has no bulk copy: the input callback sets the tensor one element at
    a time (27,648 calls for 96x96x3, roughly 0.1 s per frame on an ESP32-S3) and
    the output callback reads the scores back the same way.
    """

    def __init__(self, model, arena_size, input_size, output_size, led, led_class, led_on):
        import microlite
        self._n_in = input_size
        self._n_out = output_size
        self._inbuf = None
        self._outbuf = None
        self._tin = None
        self._tout = None
        self._led = led
        self._led_class = led_class
        self._led_on = led_on
        # microlite hands tflite-micro the array object's storage pointer: give it
        # a bytearray of its own (blob.model is a memoryview slice whose offset the
        # C code would ignore). Costs one copy of the model in RAM (PSRAM here).
        self._model = bytearray(model)
        arena = arena_size + _ARENA_EXTRA if arena_size else _ARENA_DEFAULT
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
        best = 0
        best_q = -129
        for i in range(self._n_out):
            q = get_value(i)
            buf[i] = q & 0xFF
            if q > best_q:   # first index of the largest score, as the app's top-1
                best = i
                best_q = q
        if self._led is not None:
            on = self._led_on
            self._led.value(on if best == self._led_class else 1 - on)

    def invoke(self, inbuf, outbuf):
        self._inbuf = inbuf
        self._outbuf = outbuf
        if self._interp.invoke() != 0:
            raise OSError("microlite: invoke failed (tensor arena too small?)")


def microlite_interpreter(model, arena_size, input_size, output_size,
                          led=None, led_class=0, led_on=1):
    """The model in microlite; led (a machine.Pin), if given, is driven to led_on
    while led_class is the top class and to the other level otherwise."""
    return _Microlite(model, arena_size, input_size, output_size, led, led_class, led_on)
