"""ESP32 camera boards: the camera, ST7789 LCD and interpreter adapters.

Shared by boards/esp32s3_eye and boards/xiao_esp32s3_sense, whose board.py
holds only the pins and builds the objects the app asks for:

    import esp32cam
    FRAME_FORMAT = esp32cam.FRAME_FORMAT

    def camera():
        return esp32cam.camera((11, 9, 8, 10, 12, 18, 17, 16), vsync=6, href=7,
                               pclk=13, xclk=15, sda=4, scl=5, vflip=True)

    def display():
        return esp32cam.st7789_display(240, 240, spi=2, baudrate=40000000, sck=21, mosi=47,
                                       cs=44, dc=43, backlight=48, backlight_on=0)   # or None

    def interpreter(model, arena_size, input_size, output_size):
        return esp32cam.interpreter(model, arena_size, input_size, output_size)

Each driver is recognised by what its module has, never by its name alone
(docs/boards.md, "Driver assumptions and their sources", gives the source of
every assumption below):

- camera: cnadler86's micropython-camera-API (`camera.Camera`), or lemariva's
  module-level API (`camera.init`, `camera.capture`); the vertical flip is
  `flip()` in lemariva's module and `set_vflip()` in microlite's fork of it.
- LCD: russhughes' `st7789` C module or the pure-Python `st7789py`; without
  either, st7789_display() returns None and results go to the serial line only.
  The backlight pin is driven here, at the board's own on-level.
- interpreter: the project's `tflm` module when the firmware has it, else
  `microlite` (tensorflow-micropython-examples), for older builds.
"""
try:
    from micropython import const
except ImportError:  # CPython: the host emulation runs this file unchanged
    def const(x):
        return x

from postprocess import top1_index

# Camera: 96x96 RGB565, the model's own size, so preprocessing is a pure
# per-pixel conversion. esp32-camera delivers RGB565 high byte first.
_FRAME_W = const(96)
_FRAME_H = const(96)
_FRAME_BYTES = const(18432)   # 96 * 96 * 2
FRAME_FORMAT = "RGB565_BE"
_XCLK_HZ = const(20000000)
_RETRIES = const(3)

_PANEL_H = const(48)   # firmware/app/ui.py draws its result panel in the bottom 48 rows

# Tensor arena: the blob's figure is measured on the host with reference kernels; the
# ESP32-S3's ESP-NN kernels want scratch buffers on top. _ARENA_EXTRA is board.json's
# budget.arena_extra_bytes, measured (python -m host_tools.firmware.espnn, docs/firmware.md):
# with it the default model gets exactly the arena it uses with the ESP-NN kernels.
_ARENA_DEFAULT = const(139264)   # a blob without a measured figure (tflm only)
_ARENA_EXTRA = const(21680)


def arena_bytes(measured):
    """The tensor arena the ESP32 gets for a blob's measured figure (0: not measured)."""
    if not measured:
        return 0
    return measured + _ARENA_EXTRA


class _Slice:
    # s = _Slice()[:] makes one slice object at start-up; buf[s] = frame then copies
    # without allocating. (MicroPython 1.28's VM keeps a literal buf[:] on the stack,
    # py/vm.c BUILD_SLICE; older builds, such as microlite's 1.19, allocate it.)
    def __getitem__(self, s):
        return s


class _Camera:
    def __init__(self, grab, unsigned_copy=False):
        self.width = _FRAME_W
        self.height = _FRAME_H
        self.format = FRAME_FORMAT
        self._grab = grab
        self._buf = bytearray(_FRAME_BYTES) if unsigned_copy else None
        self._all = _Slice()[:]

    def capture(self):
        # The driver answers False (lemariva) or None when a grab fails: retry a little.
        for _ in range(_RETRIES):
            frame = self._grab()
            if frame:
                if self._buf is None:
                    return frame
                return self._unsigned(frame)
        raise OSError("camera: no frame after %d tries" % _RETRIES)

    def _unsigned(self, frame):
        # cnadler86's capture() is a memoryview of type 'b': indexing it gives
        # -128..127. The app reads bytes 0..255, so the frame is copied (memcpy,
        # no allocation) into a bytearray made once; it also outlives the
        # driver's buffer, which the next capture() hands back to the camera.
        n = len(frame)
        if n < _FRAME_BYTES:
            raise OSError("camera: frame has %d bytes; 96x96 RGB565 needs %d" % (n, _FRAME_BYTES))
        if n > _FRAME_BYTES:
            frame = memoryview(frame)[:_FRAME_BYTES]
        self._buf[self._all] = frame
        return self._buf


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
        return _Camera(c.capture, unsigned_copy=True)
    # lemariva's API: module-level init/capture; capture() returns a new bytes each frame.
    # After a soft reset the driver may still be running: release it first.
    cam.deinit()
    d = data
    cam.init(0, format=cam.RGB565, framesize=cam.FRAME_96X96, xclk_freq=cam.XCLK_20MHz,
             d0=d[0], d1=d[1], d2=d[2], d3=d[3], d4=d[4], d5=d[5], d6=d[6], d7=d[7],
             vsync=vsync, href=href, pclk=pclk, xclk=xclk, siod=sda, sioc=scl, pwdn=-1, reset=-1)
    if vflip:
        if hasattr(cam, "flip"):
            cam.flip(1)        # lemariva's module
        else:
            cam.set_vflip(1)   # microlite's fork of it
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


def _st7789_module():
    try:
        import st7789
        return st7789
    except ImportError:
        pass
    try:
        import st7789py
        return st7789py
    except ImportError:
        return None


def st7789_display(width, height, spi, baudrate, sck, mosi, cs, dc, backlight, backlight_on=1,
                   rgb=False, inverted=False):
    """An ST7789 panel on SPI bus `spi` (no reset line), or None without driver or panel.

    backlight_on: the level that lights the backlight (0 on the ESP32-S3-EYE).
    rgb: the panel's colour order is RGB; inverted: the panel needs inversion on.
    """
    st7789 = _st7789_module()
    if st7789 is None:
        print("board: no st7789 driver in this firmware; results on the serial line only")
        return None
    import framebuf
    from machine import Pin, SPI
    # Both drivers switch their backlight pin high, which is "off" on an
    # active-low panel: the pin is not handed to them, it is driven here.
    light = Pin(backlight, Pin.OUT, value=1 - backlight_on)   # dark while the panel starts
    try:
        bus = SPI(spi, baudrate=baudrate, sck=Pin(sck), mosi=Pin(mosi))
        kw = {"dc": Pin(dc, Pin.OUT), "cs": Pin(cs, Pin.OUT), "rotation": 0}
        if rgb and hasattr(st7789, "RGB"):
            kw["color_order"] = st7789.RGB
        panel = st7789.ST7789(bus, width, height, **kw)
        if not hasattr(panel, "init_cmds"):
            # The C module's constructor only stores its arguments; init() wakes the
            # controller and switches the display on. st7789py (which keeps its
            # command list as init_cmds) has already run its init(commands).
            panel.init()
        if inverted:
            panel.inversion_mode(True)
    except (OSError, ValueError, TypeError) as e:
        print("board: LCD not available (%s); results on the serial line only" % e)
        return None
    light.value(backlight_on)
    return _Display(panel, framebuf, width, height)


class _Led:
    """An LED (a machine.Pin) at `on` while class `cls` is the top class."""

    def __init__(self, pin, cls, on):
        self._pin = pin
        self._cls = cls
        self._on = on

    def show(self, outbuf):
        on = self._on
        self._pin.value(on if top1_index(outbuf) == self._cls else 1 - on)


class _Tflm:
    """invoke(inbuf, outbuf) on the project's `tflm` module (docs/tflm-module.md).

    tflm reads the model where it lies (the blob's 16-byte aligned slice) and
    says itself, with the bytes it needs, when the arena is too small.
    """

    def __init__(self, tflm, model, arena_size, input_size, output_size, led):
        self._it = tflm.Interpreter(model, arena_bytes(arena_size) or _ARENA_DEFAULT)
        got = (_count(self._it.input_shape), _count(self._it.output_shape))
        if got != (input_size, output_size):
            raise ValueError("the model takes %d bytes and gives %d; the blob says %d and %d"
                             % (got[0], got[1], input_size, output_size))
        self._led = led

    def invoke(self, inbuf, outbuf):
        self._it.invoke(inbuf, outbuf)
        if self._led is not None:
            self._led.show(outbuf)


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class _Microlite:
    """invoke(inbuf, outbuf) on microlite's callback protocol.

    microlite has no bulk copy: the input callback sets the tensor one element at
    a time (27,648 calls for 96x96x3, roughly 0.1 s per frame on an ESP32-S3) and
    the output callback reads the scores back the same way.
    """

    def __init__(self, microlite, model, arena_size, input_size, output_size, led):
        self._n_in = input_size
        self._n_out = output_size
        self._inbuf = None
        self._outbuf = None
        self._tin = None     # the input tensor's setValue, from the first frame on
        self._tout = None    # the output tensor's getValue
        self._led = led
        arena = _microlite_arena(arena_size, input_size + output_size, len(model))
        # microlite hands tflite-micro the array object's storage pointer: give it
        # a bytearray of its own (blob.model is a memoryview slice whose offset the
        # C code would ignore). Costs one copy of the model in RAM (PSRAM here).
        self._model = bytearray(model)
        self._interp = microlite.interpreter(self._model, arena, self._fill, self._read)

    # The tensors' bound methods are kept from the first frame on: reading
    # t.setValue makes a new bound-method object each time (MicroPython v1.28.0
    # py/runtime.c:1054-1066, mp_load_attr).
    def _fill(self, interp):
        set_value = self._tin
        if set_value is None:
            set_value = self._tin = interp.getInputTensor(0).setValue
        buf = self._inbuf
        for i in range(self._n_in):
            set_value(i, buf[i])   # raw byte; the C code keeps the low 8 bits as int8

    def _read(self, interp):
        get_value = self._tout
        if get_value is None:
            get_value = self._tout = interp.getOutputTensor(0).getValue
        buf = self._outbuf
        for i in range(self._n_out):
            buf[i] = get_value(i) & 0xFF

    def invoke(self, inbuf, outbuf):
        self._inbuf = inbuf
        self._outbuf = outbuf
        if self._interp.invoke() != 0:   # tflite-micro's Invoke() failed (an op's error)
            raise OSError("microlite: invoke failed")
        if self._led is not None:
            self._led.show(outbuf)


def _microlite_arena(measured, tensors, model_bytes):
    """The arena for microlite, checked before the interpreter exists.

    microlite ignores a failed AllocateTensors: the interpreter stays NULL and
    the first invoke() crashes the chip, which then reboots into main.py again.
    So no guessing: the blob must carry a measured figure that can at least hold
    the input and output tensors, and the heap must have room for it.
    """
    if measured < tensors:
        raise OSError("microlite: the blob's tensor arena (%d bytes) cannot hold the model's "
                      "%d input and output bytes; pack the model with its measured arena "
                      "(microlite cannot report a short arena: the chip would reset)"
                      % (measured, tensors))
    arena = arena_bytes(measured)
    try:
        import gc
        gc.collect()
        free = gc.mem_free()
    except (ImportError, AttributeError):   # CPython: no heap figure
        return arena
    need = arena + 16 + model_bytes   # microlite adds 16 bytes; the model is copied
    if free < need:
        raise OSError("microlite: needs %d bytes (tensor arena %d, model copy %d); %d free"
                      % (need, arena, model_bytes, free))
    return arena


def interpreter(model, arena_size, input_size, output_size, led=None, led_class=0, led_on=1):
    """The model in `tflm` if the firmware has it, else in `microlite`. led (a
    machine.Pin), if given, is driven to led_on while led_class is the top class
    and to the other level otherwise."""
    show = _Led(led, led_class, led_on) if led is not None else None
    try:
        import tflm
    except ImportError:
        tflm = None
    if tflm is not None:
        return _Tflm(tflm, model, arena_size, input_size, output_size, show)
    import microlite
    return _Microlite(microlite, model, arena_size, input_size, output_size, show)
