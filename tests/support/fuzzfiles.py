"""A seeded mix of real photos and bad files, for the robustness (fuzz) tests.

    good, bad = make_corpus(folder, seed=0)   # lists of str paths, in a shuffled order

good: real photos (scikit-image's samples, cropped, in JPEG, PNG, GIF, WebP),
a few under names that are not UTF-8 or hold a newline. bad: truncated,
bit-flipped and zero-length JPEG/PNG/GIF/WebP files, decompression bombs (PNG
headers over Pillow's pixel limit and between its warning and error limits),
random bytes under image extensions, directories, symlink loops, a named
pipe, and bad files under awkward names. A bit-flipped file may still decode:
the test decides each file's fate with Pillow alone (`pillow_reads`).
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

FORMATS = (("jpg", "JPEG"), ("png", "PNG"), ("gif", "GIF"), ("webp", "WEBP"))
ODD_NAMES = (b"caf\xe9-latin1", b"\xff\xfe-raw", b"line\nbreak", b"tab\tand\rreturn", b"quote'\\back")


def _photo_bytes(rng, photos, fmt):
    """A random square-ish crop of a real photo, encoded as fmt."""
    with Image.open(photos[int(rng.integers(len(photos)))]) as img:
        img = img.convert("RGB")
        w, h = img.size
        side = int(min(w, h) * rng.uniform(0.4, 1.0))
        left, top = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        out = img.crop((left, top, left + side, top + side + int(rng.integers(0, side // 4 + 1))))
        out = out.resize((int(rng.integers(64, 200)), int(rng.integers(64, 200))))
    buf = io.BytesIO()
    out.save(buf, fmt)
    return buf.getvalue()


def png_header_bomb(width, height):
    """A small PNG whose header claims width x height pixels (its CRC is correct)."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    raw = bytearray(buf.getvalue())
    ihdr = struct.pack(">II", width, height) + raw[24:29]
    raw[16:29] = ihdr
    raw[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)))
    return bytes(raw)


def _write(folder, name, data):
    path = os.path.join(os.fsencode(folder), name)
    with open(path, "wb") as f:
        f.write(data)
    return os.fsdecode(path)


def make_corpus(folder, seed=0, good_count=50, bad_count=200):
    """Write the files into folder; (good paths, bad paths), each list in its own order,
    and all paths shuffled together as a third list."""
    from host_tools.data.samples import CALIBRATION, sample_path
    rng = np.random.default_rng(seed)
    photos = [sample_path(n) for n in CALIBRATION]
    good, bad = [], []
    for i in range(good_count):
        ext, fmt = FORMATS[i % len(FORMATS)]
        odd = ODD_NAMES[i % len(ODD_NAMES)] if i % 10 == 9 else b""
        good.append(_write(folder, b"good%03d%s.%s" % (i, odd, ext.encode()), _photo_bytes(rng, photos, fmt)))

    makers = []
    for ext, fmt in FORMATS:
        def truncated(name, fmt=fmt):
            data = _photo_bytes(rng, photos, fmt)
            return _write(folder, name, data[:int(rng.integers(1, len(data) // 2))])

        def flipped(name, fmt=fmt):
            data = bytearray(_photo_bytes(rng, photos, fmt))
            for _ in range(int(rng.integers(1, 9))):
                k = int(rng.integers(0, min(len(data), 64) if rng.random() < 0.5 else len(data)))
                data[k] ^= 1 << int(rng.integers(8))
            return _write(folder, name, bytes(data))

        makers += [(ext, truncated), (ext, flipped), (ext, lambda name: _write(folder, name, b""))]
    makers += [
        ("png", lambda name: _write(folder, name, png_header_bomb(20000, 20000))),   # over 2x the limit: error
        ("png", lambda name: _write(folder, name, png_header_bomb(10000, 10000))),   # over the limit: warning
        ("jpg", lambda name: _write(folder, name, rng.bytes(int(rng.integers(1, 5000))))),
        ("webp", lambda name: _write(folder, name, b"RIFF" + rng.bytes(int(rng.integers(8, 300))))),
    ]

    def directory(name):
        path = os.path.join(os.fsencode(folder), name)
        os.mkdir(path)
        return os.fsdecode(path)

    def loop(name):
        path = os.path.join(os.fsencode(folder), name)
        other = path + b".other"
        os.symlink(other, path)
        os.symlink(path, other)
        return os.fsdecode(path)

    def pipe(name):
        path = os.path.join(os.fsencode(folder), name)
        os.mkfifo(path)
        return os.fsdecode(path)

    makers += [("jpg", directory), ("png", loop), ("gif", pipe)]
    for i in range(bad_count):
        ext, make = makers[i % len(makers)]
        odd = ODD_NAMES[i % len(ODD_NAMES)] if i % 7 == 6 else b""
        bad.append(make(b"bad%03d%s.%s" % (i, odd, ext.encode())))
    both = good + bad
    order = rng.permutation(len(both))
    return good, bad, [both[k] for k in order]


def pillow_reads(path):
    """Whether Pillow alone opens and fully decodes path, with its pixel-limit warning
    as an error (a regular file only: a pipe would block)."""
    import stat
    import warnings
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not readable"
        return False
