"""Seeed Studio XIAO ESP32S3 Sense: OV2640 camera, no screen, microlite (tflite-micro).

Copied to the device as board.mpy; firmware/main.py runs

    import board, app
    app.main(board)

There is no display: display() returns None, the results go to the serial line
(one `@result {...}` line per frame), and the user LED (GPIO21, lit when driven
low) is on while class 0 of the model (e.g. "person") is the top class.

Firmware: MicroPython with the `microlite` module (tensorflow-micropython-examples)
and an ESP32 `camera` module: lemariva's API (camera.init / camera.capture) or
cnadler86's micropython-camera-API (camera.Camera), detected at run time.
"""
try:
    from micropython import const
except ImportError:  # CPython: the host emulation runs this file unchanged
    def const(x):
        return x

# Camera: 96x96 RGB565, the model's own size. esp32-camera delivers RGB565 high byte first.
_FRAME_W = const(96)
_FRAME_H = const(96)
FRAME_FORMAT = "RGB565_BE"
_XCLK_HZ = const(20000000)
_RETRIES = const(3)

# Camera pins (Seeed's XIAO ESP32S3 Sense pinout).
_CAM_D = (15, 17, 18, 16, 14, 12, 11, 48)   # D0..D7
_CAM_VSYNC = const(38)
_CAM_HREF = const(47)
_CAM_PCLK = const(13)
_CAM_XCLK = const(10)
_CAM_SDA = const(40)
_CAM_SCL = const(39)

# User LED: GPIO21, active low. On while this class index is the top-1 class.
_LED_PIN = const(21)
_LED_CLASS = const(0)

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
        return _Camera(c.capture)
    # lemariva's API: module-level init/capture; capture() returns a new bytes each frame.
    # After a soft reset the driver may still be running: release it first.
    cam.deinit()
    d = _CAM_D
    cam.init(0, format=cam.RGB565, framesize=cam.FRAME_96X96, xclk_freq=cam.XCLK_20MHz,
             d0=d[0], d1=d[1], d2=d[2], d3=d[3], d4=d[4], d5=d[5], d6=d[6], d7=d[7],
             vsync=_CAM_VSYNC, href=_CAM_HREF, pclk=_CAM_PCLK, xclk=_CAM_XCLK,
             siod=_CAM_SDA, sioc=_CAM_SCL, pwdn=-1, reset=-1)
    return _Camera(cam.capture)


def display():
    return None  # no screen on this board


class _Microlite:
    """invoke(inbuf, outbuf) on microlite's callback protocol, plus the user LED.

    microlite has no bulk copy: the input callback sets the tensor one element at
    a time (27,648 calls for 96x96x3, roughly 0.1 s per frame on an ESP32-S3) and
    the output callback reads the scores back the same way.
    """

    def __init__(self, model, arena_size, input_size, output_size, led):
        import microlite
        self._n_in = input_size
        self._n_out = output_size
        self._inbuf = None
        self._outbuf = None
        self._tin = None
        self._tout = None
        self._led = led
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
        best = 0
        best_q = -129
        for i in range(self._n_out):
            q = get_value(i)
            buf[i] = q & 0xFF
            if q > best_q:   # first index of the largest score, as the app's top-1
                best = i
                best_q = q
        self._led.value(0 if best == _LED_CLASS else 1)   # active low

    def invoke(self, inbuf, outbuf):
        self._inbuf = inbuf
        self._outbuf = outbuf
        if self._interp.invoke() != 0:
            raise OSError("microlite: invoke failed (tensor arena too small?)")


def interpreter(model, arena_size, input_size, output_size):
    from machine import Pin
    led = Pin(_LED_PIN, Pin.OUT, value=1)   # off
    return _Microlite(model, arena_size, input_size, output_size, led)
