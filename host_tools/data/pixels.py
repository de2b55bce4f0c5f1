"""Camera pixel formats on the host: the one table, and photos to camera frames and back.

    spec = camera_spec(board_json, blob)          # (width, height, format) of the board's camera
    frame = camera_frame(photo, *spec)            # what that camera delivers for a decoded photo
    rgb = decode_frame(frame, width, height, fmt) # (H, W, 3) uint8, as the device app reads it

FORMATS is in the order of the frames header of firmware/app/emuboard.py. The device
code keeps its own copy of the table (firmware/app/preprocess.py BYTES_PER_PIXEL,
firmware/app/emuboard.py FORMATS: it cannot import host code); tests check that they
equal this one. Every host module that needs a format, a frame or an RGB565
decoder takes it from here.
"""
import numpy as np
from PIL import Image

from .images import _flatten_alpha, _to_8bit, to_pixels

FORMATS = ("RGB888", "RGB565_BE", "RGB565_LE", "GRAY")
BYTES_PER_PIXEL = {"RGB888": 3, "RGB565_BE": 2, "RGB565_LE": 2, "GRAY": 1}


def check_format(fmt):
    if fmt not in BYTES_PER_PIXEL:
        raise ValueError(f"camera format must be one of {', '.join(FORMATS)}; got {fmt}")


def frame_bytes(width, height, fmt):
    check_format(fmt)
    return width * height * BYTES_PER_PIXEL[fmt]


def camera_spec(info, blob):
    """(width, height, format) of the camera a board's data file (board.json) describes.

    A camera whose frame_size is "model" (host, unix, qemu_m7) delivers frames of the
    model's size, in format_one_channel for a one-channel model."""
    cam = info["camera"]
    if cam.get("frame_size") == "model":
        fmt = cam["format_one_channel"] if blob.channels == 1 else cam["format"]
        return blob.width, blob.height, fmt
    return cam["width"], cam["height"], cam["format"]


def frame_pixels(img, width, height, channels=3):
    """A decoded photo as the camera would frame it: (height, width, channels) uint8.

    Square frames go through images.to_pixels itself, so a 96x96 frame is
    byte-identical to classify's input pixels; other shapes crop the largest
    centred region of the frame's aspect ratio, then resize it the same way.
    """
    if width == height:
        return to_pixels(img, width, channels)
    img = _flatten_alpha(_to_8bit(img)).convert("L" if channels == 1 else "RGB")
    w, h = img.size
    if w * height > h * width:      # photo wider than the frame: crop its width
        cw, ch = (h * width + height // 2) // height, h
    else:
        cw, ch = w, (w * height + width // 2) // width
    left, top = (w - cw) // 2, (h - ch) // 2
    img = img.crop((left, top, left + cw, top + ch)).resize((width, height), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8).reshape(height, width, channels)


def encode_frame(pixels, fmt):
    """(H, W, 3 or 1) uint8 pixels to the bytes a camera delivers in fmt."""
    check_format(fmt)
    if fmt == "GRAY":
        if pixels.shape[2] == 3:
            r, g, b = (pixels[..., i].astype(np.uint32) for i in range(3))
            return ((19595 * r + 38470 * g + 7471 * b + 32768) >> 16).astype(np.uint8).tobytes()
        return pixels.astype(np.uint8).tobytes()
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    if fmt == "RGB888":
        return pixels.astype(np.uint8).tobytes()
    r, g, b = (pixels[..., i].astype(np.uint16) for i in range(3))
    v = ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3)
    return v.astype(">u2" if fmt == "RGB565_BE" else "<u2").tobytes()


def camera_frame(img, width, height, fmt):
    """The frame a width x height camera in fmt delivers for a decoded photo (bytes):
    the one conversion behind emulate --board, classify --board and the firmware runs."""
    return encode_frame(frame_pixels(img, width, height, 1 if fmt == "GRAY" else 3), fmt)


def decode_frame(frame, width, height, fmt):
    """A camera frame decoded to (height, width, 3) RGB uint8, as the app reads it
    (docs/preprocessing.md): 5- and 6-bit fields widened by bit replication."""
    check_format(fmt)
    data = np.frombuffer(bytes(frame), dtype=np.uint8)[:frame_bytes(width, height, fmt)]
    if fmt == "RGB888":
        return data.reshape(height, width, 3).copy()
    if fmt == "GRAY":
        return np.repeat(data.reshape(height, width, 1), 3, axis=2)
    v = data.view(">u2" if fmt == "RGB565_BE" else "<u2").astype(np.uint16).reshape(height, width)
    r5, g6, b5 = v >> 11, (v >> 5) & 63, v & 31
    rgb = np.stack([(r5 << 3) | (r5 >> 2), (g6 << 2) | (g6 >> 4), (b5 << 3) | (b5 >> 2)], axis=-1)
    return rgb.astype(np.uint8)


def rgb565_image(data, width, height, big_endian):
    """RGB565 pixel bytes (a panel's memory, an OpenMV image) to a PIL image."""
    return Image.fromarray(decode_frame(data, width, height, "RGB565_BE" if big_endian else "RGB565_LE"))


def rgb565_color(c):
    """One RGB565 value (an int) as 8-bit (r, g, b), decoded as decode_frame decodes."""
    return tuple(int(v) for v in decode_frame((c & 0xFFFF).to_bytes(2, "little"), 1, 1, "RGB565_LE")[0, 0])
