"""`capture` refuses a frame that arrived damaged, and keeps the photos before it whole.

The fake board (tests/support/fakedevice.py) runs the real app; noise on its
line changes one base64 character in the second frame it sends. The data lines
still decode, and the frame still has its length: only the CRC-32 in the
frame's header tells that the bytes are not the camera's.
"""
import base64
import binascii
import os
import re

import numpy as np
from PIL import Image

from tests.support import run_cli
from host_tools.blob import read
from test_capture import PHOTOS, camera_frame, device_pixels, power_on
from tests.support.fakedevice import FakeDevice

B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class Noise:
    """f(bytes) -> bytes for the board's line: the 100th base64 character of the first
    @data line of the n-th frame becomes another base64 character."""

    def __init__(self, frame, at=100):
        self.frame, self.at = frame, at
        self.frames, self.tail, self.left, self.hit = 0, b"", None, None

    def __call__(self, data):
        if self.hit is not None:
            return data
        out = bytearray(data)
        for i, byte in enumerate(out):
            self.tail = (self.tail + bytes([byte]))[-8:]
            if self.left is not None:
                self.left -= 1
                if self.left == 0:
                    assert byte in B64
                    out[i] = B64[(B64.index(byte) + 1) % 64]
                    self.hit = (byte, out[i])
                    break
            elif self.tail.endswith(b"@frame {"):
                self.frames += 1
            elif self.frames == self.frame and self.tail.endswith(b"@data "):
                self.left = self.at
        return bytes(out)


def test_a_frame_whose_crc_does_not_match_is_refused_and_earlier_photos_stay_whole(default_blob, tmp_path):
    root = tmp_path / "board"
    root.mkdir()
    (root / "model.blob").write_bytes(open(default_blob, "rb").read())
    noise = Noise(frame=2)
    dev = FakeDevice(str(root), app=("esp32s3_eye", PHOTOS), app_fps=20, tamper=noise).start()
    try:
        power_on(dev.port)
        status, out, err = run_cli("capture", "--port", dev.port, "--label", "mug", "--count", "3",
                                   "--every", "0", str(tmp_path / "photos"))
    finally:
        dev.stop()
    assert noise.hit is not None   # the noise landed: one character of frame 2's data changed
    size = 96 * 96 * 2   # esp32s3_eye: 96x96 RGB565
    assert status == 2 and "Traceback" not in err, err
    assert re.fullmatch(rf"capture: {re.escape(dev.port)}: frame \d+ arrived damaged \({size} of {size} "
                        r"bytes, CRC-32 mismatch\) \(after 1 of 3 photos; those are whole\)",
                        err.splitlines()[-1]), err
    names = os.listdir(tmp_path / "photos" / "mug")
    assert names == ["0001.png"]   # the damaged frame is not a photo, and nothing came after it
    blob = read(default_blob)
    got = np.asarray(Image.open(tmp_path / "photos" / "mug" / "0001.png"))
    frames = [camera_frame("esp32s3_eye", n, blob) for n in range(len(PHOTOS))]
    assert any(np.array_equal(got, device_pixels(f, 96, 96, "RGB565_BE", 96)) for f in frames)


def test_the_noise_keeps_the_data_lines_valid_base64_of_the_same_length():
    """What makes the CRC the only check that can catch it."""
    frame = bytes(range(256)) * 3
    line = b"@frame {}\n@data " + base64.b64encode(frame) + b"\n"
    noise = Noise(frame=1, at=10)
    garbled = noise(line[:20]) + noise(line[20:])   # split across two writes
    data = base64.b64decode(garbled.split(b"@data ")[1].strip(), validate=True)
    assert len(data) == len(frame) and sum(a != b for a, b in zip(data, frame)) == 1
    assert binascii.crc32(data) != binascii.crc32(frame)
