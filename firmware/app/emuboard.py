"""Camera, LCD panel and interpreter shared by the emulated boards (boards/qemu_m7,
boards/unix), which run the project's own firmware: MicroPython with `tflm`.

    cam = emuboard.Camera(header, frames)      # header: 16 bytes, see below
    panel = emuboard.Panel(128, 160, keep)     # keep(panel, n) after each show()
    interp = emuboard.Interpreter(model, arena_size, input_size, output_size)

The host hands over the camera frames after a 16-byte header (little-endian):
magic "MPCF", frame count (u32), width, height (u16 each), format (u8: index into
FORMATS) and flags (u8: _LOOP to start again after the last frame, _LOCK to lock
the GC heap between captures, _COUNT to record the heap's growth per frame). `frames` is an object whose frame(i) returns frame
i as a buffer, without allocating.

Between two captures the app does its whole frame: preprocessing, inference,
top-1, panel and result line. With _COUNT (or _LOCK) the camera therefore records
how much the GC heap grew from one capture to the next (gc.mem_alloc(), bytes
left for the collector; it walks the heap's whole table, millions of
instructions for a 4 MB heap, so it is off when the loop is timed); with _LOCK the heap is locked over that span from the second frame on, so any
allocation in the loop raises MemoryError. (The VM may still borrow a call
frame from the heap and return it at once when the heap is unlocked; locked,
it takes that frame from the C stack. That leaves no garbage and is not
counted.) After the last frame it prints one line:
    @heap {"alloc": [per frame...], "used": ..., "free": ..., "peak": ...}
"""
import gc

import framebuf
import micropython
from micropython import const
from preprocess import BYTES_PER_PIXEL

FORMATS = ("RGB888", "RGB565_BE", "RGB565_LE", "GRAY")
HEADER_SIZE = const(16)
_MAGIC = b"MPCF"
_LOOP = const(1)
_LOCK = const(2)
_COUNT = const(4)


def parse_header(h):
    """(count, width, height, format index, flags) of a 16-byte frames header."""
    if bytes(h[0:4]) != _MAGIC:
        raise OSError("no camera frames: start the board with the host tools "
                      "(make board BOARD=..., or emulate --board ...)")
    fmt = h[12]
    if fmt >= len(FORMATS):
        raise OSError("unknown camera format %d" % fmt)
    return (h[4] | h[5] << 8 | h[6] << 16 | h[7] << 24, h[8] | h[9] << 8, h[10] | h[11] << 8,
            fmt, h[13])


def frame_bytes(header):
    count, width, height, fmt, _ = parse_header(header)
    return width * height * BYTES_PER_PIXEL[FORMATS[fmt]]


class Camera:
    """Frames in order; capture() allocates nothing (None after the last one)."""

    def __init__(self, header, frames):
        self.count, self.width, self.height, fmt, flags = parse_header(header)
        self.format = FORMATS[fmt]
        self.loop = flags & _LOOP
        self.lock = flags & _LOCK
        self.counting = flags & (_LOCK | _COUNT)
        self._frames = frames
        self._alloc = [0] * (self.count + 1)  # heap growth since the previous capture
        self._n = 0
        self._total = 0

    def capture(self):
        n = self._n
        if self.lock and n >= 2:
            micropython.heap_unlock()  # locked at the end of the previous capture
        if self.counting:
            total = gc.mem_alloc()
            if 0 < n <= self.count:
                self._alloc[n] = total - self._total
            self._total = total
        if n == self.count and not self.loop:
            self._report()
            return None
        self._n = n + 1
        frame = self._frames.frame(n % self.count)
        if self.lock and n >= 1:
            micropython.heap_lock()
        return frame

    def _report(self):
        peak = micropython.mem_peak() if hasattr(micropython, "mem_peak") else -1
        print('@heap {"alloc": %s, "used": %d, "free": %d, "peak": %d}'
              % (self._alloc[1:], gc.mem_alloc(), gc.mem_free(), peak))


class Panel(framebuf.FrameBuffer):
    """An RGB565 LCD (framebuf's native little-endian pixels); keep(self, n) stores
    picture n when the app calls show()."""

    def __init__(self, width, height, keep):
        self.width = width
        self.height = height
        self.buf = bytearray(width * height * 2)
        super().__init__(self.buf, width, height, framebuf.RGB565)
        self._keep = keep
        self.shown = 0

    def show(self):
        self._keep(self, self.shown)
        self.shown += 1


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Interpreter:
    """The firmware's tflm.Interpreter behind the board API: invoke(inbuf, outbuf).
    The model is used where it lies (tflm keeps a reference, no copy)."""

    def __init__(self, model, arena_size, input_size, output_size):
        import tflm
        self.tflm = tflm.Interpreter(model, arena_size)
        self.invoke = self.tflm.invoke
        got = (_size(self.tflm.input_shape), _size(self.tflm.output_shape))
        if got != (input_size, output_size):
            raise ValueError("the model takes %d bytes and gives %d; the blob says %d and %d"
                             % (got[0], got[1], input_size, output_size))
