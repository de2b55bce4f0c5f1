"""Thumbnails for the Dataset page: made once per photo version, from a bounded number of pixels,
a few at a time.

- Cached by (path, size, mtime): an unchanged photo is decoded once.
- At most MAX_PIXELS are decoded for one thumbnail: JPEGs are decoded at a
  reduced scale (Pillow's draft mode, the decoder's own 1/2..1/8 scaling);
  a bigger image of another format gets the "unreadable" picture instead of
  a decode that could take gigabytes (an 88-megapixel PNG compresses to a
  few hundred kilobytes).
- At most WORKERS thumbnails are made at once.
"""
import collections
import io
import os
import threading

from PIL import Image, ImageOps

from ..data.images import ImageError, not_a_file

SIDE = 112
MAX_PIXELS = 16_000_000
WORKERS = 2
KEEP = 2000   # thumbnails cached (about 10-30 KB each)


class Thumbnails:
    def __init__(self):
        self._cache = collections.OrderedDict()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(WORKERS)

    def get(self, path):
        """PNG bytes of a SIDE x SIDE centre square of the photo at path; None if unreadable or too big."""
        st = os.stat(path)
        k = (path, st.st_size, st.st_mtime_ns)
        with self._lock:
            if k in self._cache:
                self._cache.move_to_end(k)
                return self._cache[k]
        with self._slots:
            png = make(path)
        with self._lock:
            self._cache[k] = png
            while len(self._cache) > KEEP:
                self._cache.popitem(last=False)
        return png


def make(path):
    """The thumbnail's PNG bytes, or None (not an image, damaged, or over MAX_PIXELS once reduced)."""
    if not_a_file(path):
        return None
    try:
        with Image.open(path) as img:
            if img.format == "JPEG":
                img.draft("RGB", (SIDE * 2, SIDE * 2))   # decode at 1/2..1/8 scale, as large as needed
            if img.width * img.height > MAX_PIXELS:
                return None
            img.load()
            img = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, ValueError, ImageError, Image.DecompressionBombError, SyntaxError):
        return None
    side = min(img.size)
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img = img.crop((left, top, left + side, top + side)).resize((SIDE, SIDE), Image.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
