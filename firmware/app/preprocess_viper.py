"""Native (viper) kernel for preprocess.py: the same bytes, about 50x faster.

Imported by preprocess.py only on ports that can run native code
(sys.implementation._mpy names an architecture). Not used directly:

    geo, tab = pack(preprocessor)
    kernel(frame, out, geo, tab)
"""
from array import array

import micropython

try:
    from micropython import const
except ImportError:  # CPython tests shim micropython without const
    def const(x):
        return x

# Byte offsets of the tables packed into tab.
_LUT = const(0)     # 256: pixel -> int8 byte
_LUT5 = const(256)  # 32: 5-bit field -> int8 byte
_LUT6 = const(288)  # 64: 6-bit field -> int8 byte
_W5 = const(352)    # 32: 5-bit field -> 8-bit value
_W6 = const(384)    # 64: 6-bit field -> 8-bit value


def pack(p):
    """geo = [rows, cols, kind, hi, row offsets..., column offsets...]; tab = the tables."""
    geo = array("i", [len(p.rows), len(p.cols), p.kind, p.hi] + list(p.rows) + list(p.cols))
    tab = bytearray(p.lut) + p.lut5 + p.lut6 + p.w5 + p.w6
    return geo, tab


@micropython.viper
def kernel(frame, out, geo, tab):
    # One inner loop per kind, so the per-pixel work has no branches on the kind.
    f = ptr8(frame)
    o = ptr8(out)
    g = ptr32(geo)
    t = ptr8(tab)
    h = int(g[0])
    w = int(g[1])
    kind = int(g[2])
    hi = int(g[3])
    lo = 1 - hi
    col0 = 4 + h  # index of the first column offset in geo
    j = 0
    for y in range(h):
        r = int(g[4 + y])
        if kind == 0:  # RGB888 -> RGB
            for x in range(w):
                s = r + int(g[col0 + x])
                o[j] = t[f[s]]
                o[j + 1] = t[f[s + 1]]
                o[j + 2] = t[f[s + 2]]
                j += 3
        elif kind == 1:  # RGB888 -> gray
            for x in range(w):
                s = r + int(g[col0 + x])
                v = (19595 * int(f[s]) + 38470 * int(f[s + 1]) + 7471 * int(f[s + 2]) + 32768) >> 16
                o[j] = t[v]
                j += 1
        elif kind == 2:  # RGB565 -> RGB
            for x in range(w):
                s = r + int(g[col0 + x])
                v = (int(f[s + hi]) << 8) | int(f[s + lo])
                o[j] = t[_LUT5 + (v >> 11)]
                o[j + 1] = t[_LUT6 + ((v >> 5) & 63)]
                o[j + 2] = t[_LUT5 + (v & 31)]
                j += 3
        elif kind == 3:  # RGB565 -> gray
            for x in range(w):
                s = r + int(g[col0 + x])
                v = (int(f[s + hi]) << 8) | int(f[s + lo])
                v = (19595 * int(t[_W5 + (v >> 11)]) + 38470 * int(t[_W6 + ((v >> 5) & 63)])
                     + 7471 * int(t[_W5 + (v & 31)]) + 32768) >> 16
                o[j] = t[v]
                j += 1
        elif kind == 4:  # GRAY -> RGB
            for x in range(w):
                q = t[f[r + int(g[col0 + x])]]
                o[j] = q
                o[j + 1] = q
                o[j + 2] = q
                j += 3
        else:  # GRAY -> gray
            for x in range(w):
                o[j] = t[f[r + int(g[col0 + x])]]
                j += 1
