"""OpenMV Cam H7 Plus: camera at 320x240 RGB565, optional LCD shield, OpenMV's `ml`.

Copied to the device as board.mpy; firmware/app/main.py runs

    import board, app
    app.main(board)

Firmware: OpenMV 5.x, or 4.6 and newer; the board module looks at what the
firmware has (docs/boards.md):

- camera: the `csi` module (csi.CSI(), from 4.8 on; current in 5.x) if the
  firmware has it, else the older `sensor` module (deprecated in 5.x);
- interpreter: `ml.Model` reads a .tflite file. 5.x takes only a postprocess
  keyword; 4.x is asked to load the model into frame-buffer memory (load_to_fb).
  predict() is given the app's int8 bytes through a callable input, so OpenMV's
  own image preprocessing is not used (the app samples the frame itself,
  docs/preprocessing.md), and a callback that copies the scores out. From 4.8
  on the callback receives the raw int8 output tensor; before 4.8 it receives
  dequantized float32 scores, which are turned back into the exact int8 scores,
  round(v / scale) + zero_point.

ml.Model reads a .tflite file, so the model is also kept as model.tflite next to
the blob (the deploy tool writes it; if it is missing or differs from the blob's
model, interpreter() rewrites it first).
"""
import os

try:
    from micropython import const
except ImportError:  # CPython: the host emulation runs this file unchanged
    def const(x):
        return x

try:
    from binascii import crc32
except ImportError:
    from ubinascii import crc32

MODEL_PATH = "model.blob"      # relative: OpenMV's working directory is its drive
_TFLITE_PATH = "model.tflite"

# Camera: QVGA RGB565. imlib keeps RGB565 pixels as native 16-bit words on the
# little-endian STM32, so image.bytearray() is low byte first.
_FRAME_W = const(320)
_FRAME_H = const(240)
FRAME_FORMAT = "RGB565_LE"
_SETTLE_MS = const(2000)

# LCD shield: 128x160. Set to 0 if no shield is fitted (drawing then costs nothing).
_LCD_SHIELD = const(1)
_LCD_W = const(128)
_LCD_H = const(160)

_INT8 = const(98)   # ord("b"), the dtype code ml passes for an int8 tensor
_CHUNK = const(4096)


class _Camera:
    def __init__(self, snapshot):
        self.width = _FRAME_W
        self.height = _FRAME_H
        self.format = FRAME_FORMAT
        self._snapshot = snapshot

    def capture(self):
        return self._snapshot().bytearray()   # the frame buffer itself, no copy


def camera():
    try:
        import csi                            # 4.8 and newer
    except ImportError:
        return _sensor_camera()
    cam = csi.CSI()
    cam.reset()
    cam.pixformat(csi.RGB565)
    cam.framesize(csi.QVGA)
    cam.snapshot(time=_SETTLE_MS)             # let exposure and white balance settle
    return _Camera(cam.snapshot)


def _sensor_camera():
    import sensor                             # before 4.8
    sensor.reset()
    sensor.set_pixformat(sensor.RGB565)
    sensor.set_framesize(sensor.QVGA)
    sensor.skip_frames(time=_SETTLE_MS)
    return _Camera(sensor.snapshot)


class _Lcd:
    """fill / fill_rect / text / show on an image shown by the LCD shield.

    Colours are raw RGB565 values, which OpenMV's drawing functions accept as
    they are. OpenMV's font is 8x10, a little taller than the app's 8x8 cells.
    """

    def __init__(self, lcd, img):
        self.width = _LCD_W
        self.height = _LCD_H
        self._lcd = lcd
        self._img = img

    def fill(self, color):
        self._img.draw_rectangle(0, 0, _LCD_W, _LCD_H, color=color, fill=True)

    def fill_rect(self, x, y, w, h, color):
        if w > 0 and h > 0:
            self._img.draw_rectangle(x, y, w, h, color=color, fill=True)

    def text(self, s, x, y, color):
        self._img.draw_string(x, y, s, color=color, mono_space=True)

    def show(self):
        self._lcd.write(self._img)


def display():
    if not _LCD_SHIELD:
        return None
    try:
        import display as lcd_module
        import image
    except ImportError:
        return None
    try:
        lcd = lcd_module.SPIDisplay()
        img = image.Image(_LCD_W, _LCD_H, image.RGB565)
    except (OSError, ValueError, RuntimeError) as e:
        print("board: LCD shield not available (%s)" % e)
        return None
    return _Lcd(lcd, img)


def _file_matches(path, data):
    # Same size and CRC-32 as data, read in chunks (no second copy of the model).
    try:
        if os.stat(path)[6] != len(data):
            return False
    except OSError:
        return False
    buf = bytearray(_CHUNK)
    mv = memoryview(buf)
    crc = 0
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            crc = crc32(mv[:n], crc)
    return crc == crc32(data)


def _write_model(path, data):
    if _file_matches(path, data):
        return
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)   # never leave a half-written model under the real name


class _Ml:
    def __init__(self, model, input_size, output_size):
        if model.input_dtype[0] != "b" or model.output_dtype[0] != "b":
            raise ValueError("ml: the model's input and output must be int8")
        self._model = model
        self._n_in = input_size
        self._n_out = output_size
        self._raw = hasattr(model, "postprocess")   # 4.8+: callbacks get raw int8 outputs
        self._scale = model.output_scale[0]
        self._zero = model.output_zero_point[0]
        self._inbuf = None
        self._outbuf = None
        self._inputs = [self._fill]     # made once; predict() calls _fill each frame
        self._take_scores = self._take  # one bound method, not one per frame
        # Before 4.8 the scores come dequantized, float32 (q - zero) * scale. Dividing
        # by the scale would make a new float per score; instead q is found among the
        # midpoints between neighbouring dequantized values, made once here.
        self._mids = [(k - 127.5 - self._zero) * self._scale for k in range(255)]

    def _fill(self, tensor, shape, dtype):
        if dtype != _INT8 or len(tensor) != self._n_in:
            raise ValueError("ml: input tensor is not %d int8 values" % self._n_in)
        tensor[:] = self._inbuf   # the app's int8 bytes, as they are

    def _take(self, model, inputs, outputs):
        # outputs[0] has the model's output shape, (1, classes): its row is read in
        # place (flatten() would copy the tensor every frame). Reading an element is
        # ulab's own work (a view, a boxed float: micropython-ulab d1614433
        # code/ndarray.c:1218-1255), not this module's.
        scores = outputs[0][0]
        out = self._outbuf
        if self._raw:
            for i in range(self._n_out):
                out[i] = scores[i] & 0xFF
        else:
            mids = self._mids
            for i in range(self._n_out):
                v = scores[i]
                lo = 0           # how many midpoints lie below v: q + 128
                hi = 255
                while lo < hi:
                    m = (lo + hi) >> 1
                    if mids[m] < v:
                        lo = m + 1
                    else:
                        hi = m
                out[i] = (lo - 128) & 0xFF

    def invoke(self, inbuf, outbuf):
        self._inbuf = inbuf
        self._outbuf = outbuf
        self._model.predict(self._inputs, callback=self._take_scores)


def interpreter(model, arena_size, input_size, output_size):
    import ml
    import omv
    _write_model(_TFLITE_PATH, model)
    if omv.version_major >= 5:
        m = ml.Model(_TFLITE_PATH)   # 5.x places it itself: GC heap, else its own allocator
    else:
        # load_to_fb: keep the model in the frame-buffer memory (SDRAM on the H7 Plus)
        m = ml.Model(_TFLITE_PATH, load_to_fb=True)
    return _Ml(m, input_size, output_size)
