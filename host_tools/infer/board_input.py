"""`classify --board NAME`: a photo as that board's app feeds it to the model.

    make_input = BoardInput(board_json["camera"], 96, 96, 3, scale, zero)
    make_input("cat.jpg", x)      # x: int8 (96, 96, 3), filled in place

Two steps, both shared with `emulate --board NAME`, so the int8 input (and so the
scores) equal what the emulated board computes:

1. the photo becomes the board's camera frame: its size, pixel format and byte
   order from board.json (host_tools/data/pixels.py camera_spec and camera_frame,
   the conversion the emulated cameras use);
2. the device's own preprocessing, firmware/app/preprocess.py, unchanged: the largest
   centred square sampled by nearest neighbour, RGB565 widened, the input table.

A 96x96 RGB888 camera gives exactly classify's input; a larger frame (OpenMV's
320x240) or RGB565 gives a slightly different picture, hence different scores.
"""
import numpy as np

from ..data.images import open_image
from ..data.pixels import camera_frame, camera_spec
from ..device_code import load_app_module


def device_preprocess():
    """firmware/app/preprocess.py, loaded from its file under its own module object
    (no sys.path change; on CPython it runs its portable kernels)."""
    return load_app_module("preprocess")


class _Blob:
    """What the device's Preprocessor reads from a blob."""

    def __init__(self, height, width, channels, in_scale, in_zero):
        self.height, self.width, self.channels = height, width, channels
        self.in_scale, self.in_zero = in_scale, in_zero

    def input_size(self):
        return self.height * self.width * self.channels


class BoardInput:
    """path, out -> out filled with the int8 input the board's app computes."""

    def __init__(self, camera, height, width, channels, in_scale, in_zero):
        blob = _Blob(height, width, channels, in_scale, in_zero)
        self.spec = camera_spec({"camera": camera}, blob)
        self.pre = device_preprocess().Preprocessor(blob, *self.spec)
        self.buf = bytearray(blob.input_size())

    def __call__(self, path, out):
        self.pre.run(camera_frame(open_image(path), *self.spec), self.buf)
        out[...] = np.frombuffer(self.buf, dtype=np.int8).reshape(out.shape)
