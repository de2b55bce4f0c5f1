"""Camera frame -> int8 model input, as docs/preprocessing.md specifies.

    pre = Preprocessor(blob, 160, 120, "RGB565_BE")   # tables built once
    inbuf = bytearray(blob.input_size())
    pre.run(frame, inbuf)                             # every frame, no allocation

The largest centred square of the frame is sampled to the model size by
nearest neighbour, each pixel is converted to R, G, B (or to luma for a
one-channel model) and mapped through a 256-entry table built from the blob's
input scale and zero point. `out` receives int8 values as raw bytes.

A @micropython.viper kernel (preprocess_viper.py) is used when the port can
run native code; otherwise the portable Python kernels below run.
"""
import sys
from array import array

try:
    from micropython import const
except ImportError:  # CPython
    def const(x):
        return x

# Pillow's fixed-point ITU-R 601-2 luma: (19595 R + 38470 G + 7471 B + 32768) >> 16
_Y_R = const(19595)
_Y_G = const(38470)
_Y_B = const(7471)
_Y_ROUND = const(32768)

BYTES_PER_PIXEL = {"RGB888": 3, "RGB565_BE": 2, "RGB565_LE": 2, "GRAY": 1}

# Kernel numbers (p.kind), also used by preprocess_viper.py.
_RGB888_TO_RGB = const(0)
_RGB888_TO_GRAY = const(1)
_RGB565_TO_RGB = const(2)
_RGB565_TO_GRAY = const(3)
_GRAY_TO_RGB = const(4)
_GRAY_TO_GRAY = const(5)


def input_lut(scale, zero):
    """lut[p] = clamp(round(p / scale) + zero, -128, 127), stored as raw int8 bytes."""
    if not scale > 0:
        raise ValueError("input scale must be positive; got %r" % (scale,))
    lut = bytearray(256)
    for p in range(256):
        v = p / scale
        if v > 512:  # keeps round() away from huge floats; clamps to 127 anyway
            v = 512
        q = round(v) + zero
        if q < -128:
            q = -128
        elif q > 127:
            q = 127
        lut[p] = q & 0xFF
    return lut


def widen(bits):
    """Bit replication of a 5- or 6-bit field to 8 bits, as a table."""
    t = bytearray(1 << bits)
    for v in range(1 << bits):
        t[v] = (v << (8 - bits)) | (v >> (2 * bits - 8))
    return t


def sample_offsets(frame_width, frame_height, bpp, out_height, out_width):
    """Byte offsets of the sampled rows and columns: src = start + (dst * side) // size."""
    side = min(frame_width, frame_height)
    left = (frame_width - side) // 2
    top = (frame_height - side) // 2
    rows = array("i", [(top + (y * side) // out_height) * frame_width * bpp
                       for y in range(out_height)])
    cols = array("i", [(left + (x * side) // out_width) * bpp for x in range(out_width)])
    return rows, cols


def _native_available():
    # sys.implementation._mpy >> 10 is the native architecture; 0 means none.
    mpy = getattr(sys.implementation, "_mpy", 0)
    return (mpy >> 10) & 0x0F != 0


try:
    if not _native_available():
        raise ImportError
    import preprocess_viper as _viper
except (ImportError, SyntaxError):  # not deployed, or no native emitter
    _viper = None


class Preprocessor:
    def __init__(self, blob, frame_width, frame_height, fmt, fast=True):
        if fmt not in BYTES_PER_PIXEL:
            raise ValueError("camera format must be one of RGB888, RGB565_BE, RGB565_LE, GRAY; got %r" % (fmt,))
        if blob.channels not in (1, 3):
            raise ValueError("model channels must be 1 or 3; got %d" % blob.channels)
        if frame_width < 1 or frame_height < 1:
            raise ValueError("frame size must be positive; got %dx%d" % (frame_width, frame_height))
        bpp = BYTES_PER_PIXEL[fmt]
        gray_model = blob.channels == 1
        self.width = frame_width
        self.height = frame_height
        self.format = fmt
        self.frame_size = frame_width * frame_height * bpp
        self.out_size = blob.input_size()
        self.lut = input_lut(blob.in_scale, blob.in_zero)
        self.rows, self.cols = sample_offsets(frame_width, frame_height, bpp,
                                              blob.height, blob.width)
        # RGB565: offset of the high byte within a pixel.
        self.hi = 1 if fmt == "RGB565_LE" else 0
        self.w5 = widen(5)
        self.w6 = widen(6)
        # For RGB565 into an RGB model: field -> int8 byte in one lookup.
        self.lut5 = bytearray(self.lut[v] for v in self.w5)
        self.lut6 = bytearray(self.lut[v] for v in self.w6)
        if fmt == "RGB888":
            self.kind = _RGB888_TO_GRAY if gray_model else _RGB888_TO_RGB
        elif fmt == "GRAY":
            self.kind = _GRAY_TO_GRAY if gray_model else _GRAY_TO_RGB
        else:
            self.kind = _RGB565_TO_GRAY if gray_model else _RGB565_TO_RGB
        self._kernel = _KERNELS[self.kind]
        self._fast = None
        if fast and _viper is not None:
            self._fast = _viper.kernel
            self.geo, self.tab = _viper.pack(self)

    def run(self, frame, out):
        """Write the model input for one frame into out (bytearray of input_size())."""
        if len(frame) < self.frame_size:
            raise ValueError("frame has %d bytes; %dx%d %s needs %d"
                             % (len(frame), self.width, self.height, self.format, self.frame_size))
        if len(out) < self.out_size:
            raise ValueError("input buffer has %d bytes; the model needs %d" % (len(out), self.out_size))
        if self._fast is not None:
            self._fast(frame, out, self.geo, self.tab)
        else:
            self._kernel(frame, out, self)


# Portable kernels: frame bytes -> out bytes, through the tables of p.

def _rgb888_to_rgb(frame, out, p):
    lut = p.lut
    cols = p.cols
    j = 0
    for r in p.rows:
        for c in cols:
            o = r + c
            out[j] = lut[frame[o]]
            out[j + 1] = lut[frame[o + 1]]
            out[j + 2] = lut[frame[o + 2]]
            j += 3


def _rgb888_to_gray(frame, out, p):
    lut = p.lut
    cols = p.cols
    j = 0
    for r in p.rows:
        for c in cols:
            o = r + c
            y = (_Y_R * frame[o] + _Y_G * frame[o + 1] + _Y_B * frame[o + 2] + _Y_ROUND) >> 16
            out[j] = lut[y]
            j += 1


def _rgb565_to_rgb(frame, out, p):
    lut5 = p.lut5
    lut6 = p.lut6
    cols = p.cols
    hi = p.hi
    lo = 1 - hi
    j = 0
    for r in p.rows:
        for c in cols:
            o = r + c
            v = (frame[o + hi] << 8) | frame[o + lo]
            out[j] = lut5[v >> 11]
            out[j + 1] = lut6[(v >> 5) & 63]
            out[j + 2] = lut5[v & 31]
            j += 3


def _rgb565_to_gray(frame, out, p):
    lut = p.lut
    w5 = p.w5
    w6 = p.w6
    cols = p.cols
    hi = p.hi
    lo = 1 - hi
    j = 0
    for r in p.rows:
        for c in cols:
            o = r + c
            v = (frame[o + hi] << 8) | frame[o + lo]
            y = (_Y_R * w5[v >> 11] + _Y_G * w6[(v >> 5) & 63] + _Y_B * w5[v & 31] + _Y_ROUND) >> 16
            out[j] = lut[y]
            j += 1


def _gray_to_rgb(frame, out, p):
    lut = p.lut
    cols = p.cols
    j = 0
    for r in p.rows:
        for c in cols:
            q = lut[frame[r + c]]
            out[j] = q
            out[j + 1] = q
            out[j + 2] = q
            j += 3


def _gray_to_gray(frame, out, p):
    lut = p.lut
    cols = p.cols
    j = 0
    for r in p.rows:
        for c in cols:
            out[j] = lut[frame[r + c]]
            j += 1


_KERNELS = (_rgb888_to_rgb, _rgb888_to_gray, _rgb565_to_rgb,
            _rgb565_to_gray, _gray_to_rgb, _gray_to_gray)
