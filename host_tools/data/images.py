"""Photos to model input pixels, as written in docs/preprocessing.md."""
import os

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


class ImageError(ValueError):
    """An input that is not a readable image; the message names the file."""


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
    img = img.resize((size, size), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8).reshape(size, size, channels)


def open_image(path):
    """Decode fully (so truncation shows here) and apply EXIF orientation."""
    if os.path.isdir(path):
        raise ImageError(f"{path}: is a directory, not an image")
    if not os.path.exists(path):
        raise ImageError(f"{path}: no such file")
    try:
        with Image.open(path) as img:
            img.load()
            ImageOps.exif_transpose(img, in_place=True)  # no copy when already upright
            return img
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"{path}: damaged image ({str(e).strip() or type(e).__name__})") from None


def load_pixels(path, size, channels=3):
    """One image file to the model's uint8 pixels (size, size, channels)."""
    return to_pixels(open_image(path), size, channels)


def quantize_input(pixels, scale, zero):
    """uint8 pixels to the int8 input, through the same table as the device."""
    return input_lut(scale, zero)[pixels]


def input_lut(scale, zero):
    p = np.arange(256, dtype=np.float64)
    q = np.round(p / np.float64(np.float32(scale))) + zero
    return np.clip(q, -128, 127).astype(np.int8)
