"""Host emulator board (CPython only): runs firmware/app/main.py unchanged on a PC.

    import board
    board.configure(frames, "models/vww_96.blob", frames_dir="frames")
    import app; app.main(board)

frames yields (name, uint8 array H x W x C) already made by the host photo
pipeline at the model's size, so the camera delivers RGB888 (GRAY for a
one-channel model) frames of exactly the model's input size. The display is
a 240x240 RGB565 LCD drawn into a PIL image and saved as frame_NNNN.png on
show(). The interpreter is tflite-micro's Python runtime, the device's own.
"""
import json
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import blobfmt  # firmware/app/blobfmt.py, the device's reader (on sys.path: device_code.device_imports)
from host_tools.data.pixels import decode_frame, rgb565_color
from host_tools.infer.tflm import Int8Model

_HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(_HERE, "board.json")) as _f:
    SPEC = json.load(_f)

MODEL_PATH = None
_frames = iter(())
_frames_dir = None


def configure(frames, model_path, frames_dir=None):
    """Set what the next camera() delivers, the blob path and where LCD frames go."""
    global MODEL_PATH, _frames, _frames_dir
    MODEL_PATH = model_path
    _frames = iter(frames)
    _frames_dir = frames_dir
    if frames_dir:
        os.makedirs(frames_dir, exist_ok=True)


class Camera:
    """Delivers the configured frames as bytes; capture() is None at the end."""

    def __init__(self, frames, width, height, channels):
        self.width = width
        self.height = height
        self.channels = channels
        self.format = SPEC["camera"]["format"] if channels == 3 else SPEC["camera"]["format_one_channel"]
        self.name = None
        self.count = 0
        self._frames = frames

    def capture(self):
        try:
            name, pixels = next(self._frames)
        except StopIteration:
            self.name = None
            return None
        a = np.asarray(pixels)
        if a.ndim == 2:
            a = a[:, :, None]
        want = (self.height, self.width, self.channels)
        if a.dtype != np.uint8 or a.shape != want:
            raise ValueError(f"frame {name}: {a.dtype} {a.shape}; this camera delivers uint8 {want}")
        self.name = name
        self.count += 1
        return a.tobytes()


rgb565_to_rgb = rgb565_color   # the host's one RGB565 decoder (host_tools/data/pixels.py)


def frame_to_image(frame, width, height, fmt):
    """A camera frame (bytes) as a PIL RGB image."""
    return Image.fromarray(decode_frame(frame, width, height, fmt), "RGB")


class Font8x8:
    """Printable ASCII in 8x8 cells, rendered once from Pillow's built-in font."""

    def __init__(self):
        font = ImageFont.load_default(size=9)
        self.glyphs = {}
        for code in range(32, 127):
            g = Image.new("L", (8, 8))
            ImageDraw.Draw(g).text((0, 6), chr(code), fill=255, font=font, anchor="ls")
            self.glyphs[chr(code)] = g.point(lambda v: 255 if v >= 96 else 0)  # 1-bit, like framebuf
        box = Image.new("L", (8, 8))  # like framebuf, anything else is one box glyph
        ImageDraw.Draw(box).rectangle([1, 1, 6, 6], outline=255)
        self.missing = box

    def glyph(self, ch):
        return self.glyphs.get(ch, self.missing)


class Display:
    """A width x height RGB565 LCD with framebuf-style drawing, kept as a PIL image."""

    def __init__(self, width, height, preview_height, frames_dir=None):
        self.width = width
        self.height = height
        self.preview_height = preview_height
        self.frames_dir = frames_dir
        self.shown = 0
        self.image = Image.new("RGB", (width, height))
        self._draw = ImageDraw.Draw(self.image)
        self._font = Font8x8()

    def fill(self, color):
        self.fill_rect(0, 0, self.width, self.height, color)

    def fill_rect(self, x, y, w, h, color):
        if w > 0 and h > 0:
            self._draw.rectangle([x, y, x + w - 1, y + h - 1], fill=rgb565_to_rgb(color))

    def text(self, s, x, y, color):
        rgb = rgb565_to_rgb(color)
        for i, ch in enumerate(s):
            self.image.paste(rgb, (x + 8 * i, y, x + 8 * i + 8, y + 8), self._font.glyph(ch))

    def preview(self, frame, w, h, fmt):
        """The camera frame, scaled by a whole factor, centred in the top preview_height rows."""
        scale = max(1, min(self.width // w, self.preview_height // h))
        img = frame_to_image(frame, w, h, fmt).resize((w * scale, h * scale), Image.NEAREST)
        self.image.paste(img, ((self.width - w * scale) // 2, (self.preview_height - h * scale) // 2))

    def show(self):
        if self.frames_dir:
            self.image.save(os.path.join(self.frames_dir, "frame_%04d.png" % self.shown))
        self.shown += 1


class Interpreter:
    """tflite-micro's Python runtime behind the board API: invoke(inbuf, outbuf)."""

    def __init__(self, model, arena_size, input_size, output_size):
        # Its constructor may print from C: infer/tflm.py keeps that off the console we parse.
        self._model = Int8Model(model, arena_size or None)
        self.input_shape = self._model.input_shape
        if self._model.input_size != input_size:
            raise ValueError(f"model input {self.input_shape} is not {input_size} bytes")
        self.output_size = output_size

    def invoke(self, inbuf, outbuf):
        y = self._model.run_array(np.frombuffer(bytes(inbuf), dtype=np.int8))
        if y.size != self.output_size or len(outbuf) != y.size:
            raise ValueError(f"model output {y.dtype} {self._model.output_shape}; "
                             f"expected int8 x {self.output_size}")
        outbuf[:] = y.tobytes()


def camera():
    b = blobfmt.load(MODEL_PATH)
    return Camera(_frames, b.width, b.height, b.channels)


def display():
    d = SPEC["display"]
    return Display(d["width"], d["height"], d["preview_height"], _frames_dir)


def interpreter(model, arena_size, input_size, output_size):
    return Interpreter(model, arena_size, input_size, output_size)
