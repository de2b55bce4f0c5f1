"""Photos to model input pixels, as written in docs/preprocessing.md."""
import errno
import os
import stat
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import jpeg
from .names import one_line, shown

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


class ImageError(ValueError):
    """An input that is not a readable image: "NAME: reason", one line (.path, .reason)."""

    def __init__(self, path, reason):
        super().__init__(f"{shown(path)}: {reason}")
        self.path, self.reason = path, reason


def _to_8bit(img):
    """Gray modes deeper than 8 bits become 'L' (top 8 bits)."""
    if img.mode.startswith("I;16") or img.mode == "I":
        a = np.asarray(img).astype(np.int64)
        if img.mode == "I" and a.max(initial=0) <= 255:
            return Image.fromarray(a.astype(np.uint8), "L")
        return Image.fromarray(np.clip(a >> 8, 0, 255).astype(np.uint8), "L")
    if img.mode == "F":
        a = np.clip(np.asarray(img), 0, 255)
        return Image.fromarray(a.astype(np.uint8), "L")
    return img


def _flatten_alpha(img):
    """Composite anything transparent over white."""
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    return img


def to_pixels(img, size, channels=3):
    """A decoded PIL image to a (size, size, channels) uint8 array."""
    img = _flatten_alpha(_to_8bit(img))
    mode = "L" if channels == 1 else "RGB"
    if img.mode != mode:  # (skipping no-op copies is only for speed)
        img = img.convert(mode)
    w, h = img.size
    side = min(w, h)
    if w != h:
        left, top = (w - side) // 2, (h - side) // 2
        img = img.crop((left, top, left + side, top + side))
    if img.size != (size, size):  # (the same size would give an identical copy)
        img = img.resize((size, size), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8).reshape(size, size, channels)


def _refuse_bombs():
    """Over Pillow's pixel limit an image may be a decompression bomb: Pillow warns,
    and raises over twice the limit. Here both are the image's error. (Checked at
    each image: a test harness may have reset the warning filters. Only changed
    when needed: each change clears every module's record of warnings shown once.)"""
    if warnings.filters[:1] != [_BOMB_FILTER]:
        warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


_BOMB_FILTER = ("error", None, Image.DecompressionBombWarning, None, 0)


def not_a_file(path):
    """Why path cannot be opened as an image file (None if it is a regular file)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a symbolic link loop"
        if e.errno == errno.ENOENT:
            return "a broken symbolic link" if os.path.islink(path) else "no such file"
        return f"cannot read it ({e.strerror or type(e).__name__})"
    if stat.S_ISDIR(mode):
        return "is a directory, not an image"
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, pipe or socket)"  # reading a pipe could wait forever
    return None


def _reason(e):
    """One line saying why Pillow could not open or decode an image."""
    if isinstance(e, UnidentifiedImageError):
        return "not an image Pillow can read"
    if isinstance(e, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return f"refused as a possible decompression bomb: {one_line(e)}"
    if isinstance(e, MemoryError):
        return "too large to decode in memory"
    if isinstance(e, OSError) and e.strerror and e.filename is not None:
        return f"cannot read it ({e.strerror})"
    return f"damaged image ({one_line(str(e).strip() or type(e).__name__)})"


def open_image(path):
    """Decode fully (so truncation shows here) and apply EXIF orientation.

    Raises ImageError, naming the file, for whatever stops that: a missing or
    special file, an unknown format, a damaged or truncated file, too many pixels.
    """
    why = not_a_file(path)  # first: opening a pipe could wait forever
    if why:
        raise ImageError(path, why)
    return _pillow_open(path)


def _pillow_open(path):
    """open_image for a path known to be a regular file."""
    _refuse_bombs()
    try:
        with Image.open(path) as img:
            limit = Image.MAX_IMAGE_PIXELS  # (checked here too, in case the warning filter is off)
            if limit and img.width * img.height > limit:
                raise Image.DecompressionBombWarning(f"{img.width}x{img.height} pixels, the limit is {limit}")
            img.load()
            ImageOps.exif_transpose(img, in_place=True)  # no copy when already upright
            return img
    except Exception as e:  # noqa: BLE001
        raise ImageError(path, _reason(e)) from None


def load_pixels(path, size, channels=3):
    """One image file to the model's uint8 pixels (size, size, channels).

    Raises ImageError (naming the file) for anything that stops one image.
    """
    why = not_a_file(path)
    if why:
        raise ImageError(path, why)
    pixels = jpeg.decode(path)  # plain JPEG files, faster; None for the rest
    if pixels is None:
        img = _pillow_open(path)
    elif pixels.shape[:2] == (size, size) and (pixels.ndim == 3) == (channels == 3):
        return pixels.reshape(size, size, channels)  # already the model's size and mode
    else:
        img = Image.fromarray(pixels)
    try:
        return to_pixels(img, size, channels)
    except Exception as e:  # noqa: BLE001 - e.g. a mode no conversion handles
        raise ImageError(path, f"cannot convert it ({one_line(str(e).strip() or type(e).__name__)})") from None


def quantize_input(pixels, scale, zero):
    """uint8 pixels to the int8 input, through the same table as the device."""
    return input_lut(scale, zero)[pixels]


def input_lut(scale, zero):
    p = np.arange(256, dtype=np.float64)
    q = np.round(p / np.float64(np.float32(scale))) + zero
    return np.clip(q, -128, 127).astype(np.int8)


_TOP_BIT_FLIPPED = (np.arange(256, dtype=np.uint8) ^ 0x80).view(np.int8)  # p - 128


def input_quantizer(scale, zero):
    """A function (uint8 pixels, int8 out) writing the table's values for pixels into out.

    When the table is p - 128 (input scale 1, zero point -128, as the models
    here use) that is each pixel's top bit flipped: the same bytes, many
    times faster than a table look-up.
    """
    lut = input_lut(scale, zero)
    if np.array_equal(lut, _TOP_BIT_FLIPPED):
        return lambda pixels, out: np.bitwise_xor(pixels, 0x80, out=out.view(np.uint8))
    return lambda pixels, out: np.take(lut, pixels, out=out)
