"""Capture mode: the host asks for camera frames over the console; the app sends them.

    cap = Capture(camera, blob.height, blob.width)   # at start-up: buffers made once
    ...
    cap.serve(frame, n)     # every frame, after its @result line

The host writes the line `@frame` on the board's console (its serial line).
serve() polls the console without blocking, reads whatever bytes have arrived
(one at a time, into a preallocated buffer) and, once a whole `@frame` line is
in, answers with the current frame:

    @frame {"frame": 12, "width": 96, "height": 96, "format": "RGB565_BE", ...}
    @data <base64 of 768 frame bytes>
    ...
    @data <base64 of the last bytes>

An unknown request or a frame that cannot be sent gets one `@frame-error ...`
line. The whole protocol: docs/capture-protocol.md.

With nothing asked, serve() allocates nothing; sending the data lines allocates
nothing either (only the header line is formatted). On a port without
select.poll on the console, capture mode is off and serve() does nothing.
"""
import sys

try:
    from micropython import const
except ImportError:  # CPython
    def const(x):
        return x

try:
    import select
except ImportError:
    select = None

try:
    from binascii import crc32
except ImportError:
    try:
        from ubinascii import crc32
    except ImportError:
        crc32 = None

from preprocess import BYTES_PER_PIXEL

CHUNK = const(768)        # frame bytes per @data line: 1024 base64 characters
_PREFIX = const(6)        # len("@data ")
_REQUEST_MAX = const(32)  # longer request lines are cut (and then unknown)
_NEWLINE = const(10)
_RETURN = const(13)
_PAD = const(61)          # "="

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_REQUEST = b"@frame"


def b64_into(src, start, n, out, at):
    """Base64 of src[start:start + n] written into out from index at; returns the end index."""
    tab = _B64
    i = start
    end = start + n - n % 3
    j = at
    while i < end:
        v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2]
        out[j] = tab[v >> 18]
        out[j + 1] = tab[(v >> 12) & 63]
        out[j + 2] = tab[(v >> 6) & 63]
        out[j + 3] = tab[v & 63]
        i += 3
        j += 4
    rest = n % 3
    if rest:
        v = src[i] << 16
        if rest == 2:
            v |= src[i + 1] << 8
        out[j] = tab[v >> 18]
        out[j + 1] = tab[(v >> 12) & 63]
        out[j + 2] = tab[(v >> 6) & 63] if rest == 2 else _PAD
        out[j + 3] = _PAD
        j += 4
    return j


def _line(n):
    # "@data " + base64 of n bytes + "\n"
    b = bytearray(_PREFIX + 4 * ((n + 2) // 3) + 1)
    for i in range(_PREFIX):
        b[i] = b"@data "[i]
    b[len(b) - 1] = _NEWLINE
    return b


class Capture:
    def __init__(self, camera, model_height, model_width, stdin=None, stdout=None):
        self.width = camera.width
        self.height = camera.height
        self.format = camera.format
        self.length = camera.width * camera.height * BYTES_PER_PIXEL[camera.format]
        self.model_height = model_height
        self.model_width = model_width
        text_out = stdout or sys.stdout
        self._in = stdin or getattr(sys.stdin, "buffer", sys.stdin)
        self._out = getattr(text_out, "buffer", text_out)
        self._flush = getattr(self._out, "flush", None)
        self._text_flush = getattr(text_out, "flush", None)
        self._poll = None
        self._ipoll = None
        if select is not None:
            try:
                p = select.poll()
                p.register(self._in, select.POLLIN)
                self._poll = p
                self._ipoll = getattr(p, "ipoll", None)   # MicroPython: allocation-free
                self._ready()   # ipoll makes its result tuple on first use: now, not in the loop
            except (AttributeError, OSError, TypeError, ValueError):
                self._poll = None
        self._byte = bytearray(1)
        self._request = bytearray(_REQUEST_MAX)
        self._request_len = 0
        # Data lines: every one CHUNK bytes but the last; both buffers made here, once.
        last = self.length % CHUNK or CHUNK
        self._full = _line(CHUNK)
        self._last = _line(last)
        self._last_size = last

    @property
    def active(self):
        """True when the console can be polled, so the host can ask for frames."""
        return self._poll is not None

    def _ready(self):
        if self._ipoll is not None:
            for _ in self._ipoll(0):
                return True
            return False
        return bool(self._poll.poll(0))

    def pending(self):
        """Read the bytes that have arrived; True when a whole request line is in."""
        if self._poll is None:
            return False
        buf = self._request
        while self._ready():
            n = self._in.readinto(self._byte)
            if n is None:   # a non-blocking stream with nothing after all: next frame
                return False
            if n == 0:      # end of input: nobody on the other side will ask again
                self._poll = None
                return False
            b = self._byte[0]
            if b == _NEWLINE:
                if self._request_len:
                    return True
            elif b != _RETURN and self._request_len < _REQUEST_MAX:
                buf[self._request_len] = b
                self._request_len += 1
        return False

    def _is_frame_request(self):
        n = self._request_len
        if n != len(_REQUEST):
            return False
        for i in range(n):
            if self._request[i] != _REQUEST[i]:
                return False
        return True

    def serve(self, frame, n):
        """Answer a pending request with this frame (number n); nothing when none is pending."""
        if not self.pending():
            return False
        return self.answer(frame, n)

    def answer(self, frame, n):
        """Send frame n for the request just read (or an @frame-error line)."""
        ok = self._is_frame_request()
        self._request_len = 0
        if not ok:
            self.error("unknown request (the host sends @frame)")
            return False
        if len(frame) < self.length:
            self.error("frame %d has %d bytes; %dx%d %s needs %d"
                       % (n, len(frame), self.width, self.height, self.format, self.length))
            return False
        self.header(frame, n)
        self.payload(frame)
        return True

    def error(self, message):
        self._write_text("@frame-error %s\n" % message)

    def header(self, frame, n):
        crc = -1
        if crc32 is not None:  # over the frame's own bytes (a driver's buffer may be longer)
            crc = crc32(memoryview(frame)[:self.length] if len(frame) > self.length else frame) & 0xFFFFFFFF
        self._write_text(
            '@frame {"frame": %d, "width": %d, "height": %d, "format": "%s", "bytes": %d, '
            '"crc32": %d, "encoding": "base64", "chunk": %d, "model_height": %d, "model_width": %d}\n'
            % (n, self.width, self.height, self.format, self.length, crc, CHUNK,
               self.model_height, self.model_width))

    def payload(self, frame):
        """The frame as @data lines, through the two preallocated line buffers."""
        out = self._out
        full = self._full
        last_start = self.length - self._last_size
        at = 0
        while at < last_start:
            b64_into(frame, at, CHUNK, full, _PREFIX)
            out.write(full)
            at += CHUNK
        b64_into(frame, at, self._last_size, self._last, _PREFIX)
        out.write(self._last)
        _flush(self._flush)

    def _write_text(self, text):
        _flush(self._text_flush)   # lines printed before go out first
        self._out.write(text.encode())
        _flush(self._flush)


def _flush(flush):
    # Buffered consoles (CPython) need it; on a board it is a no-op or missing.
    if flush is not None:
        try:
            flush()
        except OSError:
            pass
