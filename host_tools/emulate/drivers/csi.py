"""Host fake of OpenMV's `csi` module (the camera API from firmware 4.8 on; `sensor`
is the older one, deprecated in 5.x). Follows modules/py_csi_ng.c of v5.0.0:

    cam = csi.CSI()               # keyword-only: cid, delays, fflush, stream
    cam.reset()                   # keyword-only: hard
    cam.pixformat(csi.RGB565)     # no argument: returns it (RuntimeError if unset)
    cam.framesize(csi.QVGA)       # a constant or a (w, h) tuple
    cam.snapshot(time=2000)       # with time= or frames=: skips frames, returns None
    img = cam.snapshot()          # an image.Image of the frame

Errors are RuntimeError with the firmware's own message (omv_csi_strerror).
snapshot() returns an image.Image whose bytearray() holds the frame as OpenMV
keeps it: RGB565 little-endian (native 16-bit words on the STM32) or 8-bit gray.
Frames come from `source(width, height, fmt)`, set by the host emulation.
Runs on CPython and on MicroPython.
"""
import sensor   # the same constants and frame buffer: both modules drive the same camera code
from sensor import B64X64, B128X128, GRAYSCALE, QQVGA, QVGA, RGB565, VGA, _SIZES  # noqa: F401

_CUSTOM = 0

_CTL_FAILED = "Sensor control failed."
_NO_FRAMESIZE = "Frame size is not supported or is not set."
_NO_PIXFORMAT = "Pixel format is not supported or is not set."
_BAD_ARGUMENT = "An invalid argument is used."

source = None   # set by the emulation: (width, height, fmt) -> frame bytes or None
cameras = []    # every CSI made, for inspection


class CSI:
    def __init__(self, *, cid=-1, delays=True, fflush=True, stream=None):
        self._format = None
        self._size = None
        self._wh = None
        self.resets = 0
        self.skipped = 0
        cameras.append(self)

    def reset(self, *, hard=True):
        self._format = None
        self._size = None
        self.resets += 1

    def pixformat(self, fmt=None):
        if fmt is None:
            if self._format is None:
                raise RuntimeError(_NO_PIXFORMAT)
            return self._format
        if not isinstance(fmt, int):
            raise TypeError("can't convert %s to int" % type(fmt).__name__)
        if fmt not in (RGB565, GRAYSCALE):
            raise RuntimeError(_CTL_FAILED)
        self._format = fmt

    def framesize(self, size=None):
        if size is None:
            if self._size is None:
                raise RuntimeError(_NO_FRAMESIZE)
            return self._size
        if isinstance(size, int):
            if size not in _SIZES:
                raise RuntimeError(_CTL_FAILED)
            self._size, self._wh = size, _SIZES[size]
        elif isinstance(size, tuple) and len(size) == 2:
            self._size, self._wh = _CUSTOM, (int(size[0]), int(size[1]))
        else:
            raise RuntimeError(_BAD_ARGUMENT)

    def width(self):
        return self._wh[0] if self._wh else 0

    def height(self):
        return self._wh[1] if self._wh else 0

    def snapshot(self, *, time=-1, frames=-1, blocking=True, image=None):
        if self._format is None:
            raise RuntimeError(_NO_PIXFORMAT)
        if self._size is None:
            raise RuntimeError(_NO_FRAMESIZE)
        if time != -1 or frames != -1:
            self.skipped += 1      # frames go by while exposure settles
            return None
        img = sensor.frame_image(source, self._wh[0], self._wh[1], self._format)
        if img is None:
            raise RuntimeError("Frame capture has timed out.")
        return img
