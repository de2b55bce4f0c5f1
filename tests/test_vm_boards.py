"""The app, unchanged, on the project's own firmware: qemu_m7 (Cortex-M7 in QEMU, CMSIS-NN)
and unix (x64). The firmware is built by its recipe when missing (make firmware).

- default frames (the model's size, RGB888, the host photo pipeline): the int8 scores
  equal classify's on real photos, and the frame loop allocates nothing (heap locked
  between captures from the second frame on, and the heap does not grow);
- RGB565 in both byte orders and gray at 160x120: equal to the same frames through
  firmware/app/preprocess.py and tflite-micro on CPython;
- the viper kernel (native code for x64 and armv7emdp) equals the portable kernel and
  the numpy reference of docs/preprocessing.md in every frame format.
"""
import hashlib
import os

import numpy as np
import pytest

from tests.support import mice_photos, run_cli
from host_tools.blob import read
from host_tools.data.images import open_image
from host_tools.emulate import board_emulation as be
from host_tools.emulate import vm_boards as vb
from host_tools.data.pixels import FORMATS
from host_tools.firmware.run import run_code
from host_tools.infer.classify import scores
from tests.support.boards import ON_FIRMWARE

BOARDS = ON_FIRMWARE   # boards/*/board.json with a firmware_image
COUNT = {"qemu_m7": 20, "unix": 200}   # photos per board: QEMU is the slow one


def classify_scores(blob_path, paths):
    return np.array([q for _, q, _ in scores(read(blob_path), paths, workers=1)], dtype=np.int8)


@pytest.mark.parametrize("board", BOARDS)
def test_default_frames_equal_classify_and_the_loop_allocates_nothing(board, default_blob, openmv_mice):
    PHOTOS = mice_photos(openmv_mice)
    count = COUNT.get(board, 20)
    paths = PHOTOS[::max(1, len(PHOTOS) // count)][:count]
    assert len(paths) == count
    frames = vb.photo_frames([open_image(p) for p in paths], read(default_blob))
    run = vb.run_app(board, frames, default_blob, lock_heap=True)
    assert run.other == [], run.other[-10:]
    assert [r["frame"] for r in run.results] == list(range(len(paths)))
    got = np.array([r["scores"] for r in run.results], dtype=np.int8)
    np.testing.assert_array_equal(got, classify_scores(default_blob, paths))
    b = read(default_blob)
    assert [r["label"] for r in run.results] == [b.labels[int(np.argmax(q))] for q in got]
    for heap in run.heaps:   # one per boot; the first frame of each warms up
        assert heap["alloc"][1:] == [0] * (len(heap["alloc"]) - 1), heap
    assert len(run.screens) == len(paths)


def cpython_reference(frames, blob_path):
    """The frames through firmware/app/preprocess.py (portable kernels) and tflite-micro on CPython."""
    from host_tools.device_code import device_imports
    b = read(blob_path)
    runner = be.TflmRunner(bytes(b.model), b.arena_size)
    with device_imports(be.FIRMWARE_DIR):
        import preprocess
        pre = preprocess.Preprocessor(b, frames.width, frames.height, frames.format, fast=False)
        out = []
        for f in frames.frames:
            x = bytearray(b.input_size())
            pre.run(f, x)
            out.append(np.frombuffer(runner.run(x), dtype=np.int8))
    return np.stack(out)


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("fmt", ["RGB565_BE", "RGB565_LE", "GRAY"])
def test_camera_formats_equal_device_preprocessing_and_tflite_micro(board, fmt, default_blob, openmv_mice):
    paths = mice_photos(openmv_mice)[5::97][:6]
    frames = vb.photo_frames([open_image(p) for p in paths], read(default_blob), fmt, (160, 120))
    run = vb.run_app(board, frames, default_blob)
    assert run.other == [], run.other[-10:]
    got = np.array([r["scores"] for r in run.results], dtype=np.int8)
    np.testing.assert_array_equal(got, cpython_reference(frames, default_blob))


VIPER = """
import binascii, hashlib, preprocess, preprocess_viper
class B:
    pass
frame = bytearray(%d)
for name, fmt, w, h, c in %r:
    b = B()
    b.height, b.width, b.channels, b.in_scale, b.in_zero = 96, 96, c, 1.0, -128
    b.input_size = lambda: 96 * 96 * c
    with open(name, 'rb') as f:
        n = f.readinto(frame)
    fast = preprocess.Preprocessor(b, w, h, fmt)
    slow = preprocess.Preprocessor(b, w, h, fmt, fast=False)
    assert fast._fast is not None, 'the viper kernel did not load'
    a, p = bytearray(96 * 96 * c), bytearray(96 * 96 * c)
    fast.run(memoryview(frame)[:n], a)
    slow.run(memoryview(frame)[:n], p)
    print('@k', name, c, binascii.hexlify(hashlib.sha256(a).digest()).decode(),
          binascii.hexlify(hashlib.sha256(p).digest()).decode())
"""


@pytest.mark.parametrize("board", BOARDS)
def test_viper_kernel_equals_portable_kernel_and_host_preprocessing(board, default_blob, openmv_mice):
    from tests.test_micropython_vm import StubBlob, numpy_reference
    photo = open_image(mice_photos(openmv_mice)[3])
    files = vb.compiled(board, ("preprocess", "preprocess_viper"), default_blob)
    assert "preprocess_viper.mpy" in files
    cases, biggest = [], 0
    for fmt in FORMATS:
        for w, h in ((96, 96), (160, 120)):
            name = f"{fmt}_{w}x{h}.raw"
            files[name] = be.encode_frame(be.frame_pixels(photo, w, h, 1 if fmt == "GRAY" else 3), fmt)
            biggest = max(biggest, len(files[name]))
            cases += [(name, fmt, w, h, c) for c in (3, 1)]
    lines = [line.split() for line in run_code(board, files, VIPER % (biggest, cases))
             if line.startswith("@k ")]
    assert len(lines) == len(cases), lines
    for (name, fmt, w, h, c), (_, _, _, fast, slow) in zip(cases, lines):
        # sha256 of the bytes each kernel wrote (sending them all over QEMU's UART is slow)
        want = hashlib.sha256(numpy_reference(files[name], w, h, fmt, StubBlob(c)).tobytes()).hexdigest()
        assert (fast, slow) == (want, want), f"{name} into {c} channels"


def test_emulate_unix_prints_what_classify_prints_and_writes_the_lcd(default_blob, tmp_path, openmv_mice):
    paths = mice_photos(openmv_mice)[:4]
    status, out, err = run_cli("emulate", "--board", "unix", "--model", default_blob,
                               "--frames-dir", str(tmp_path / "lcd"), *paths)
    assert status == 0, err
    _, want, _ = run_cli("classify", "--model", default_blob, *paths)
    assert out == want
    pngs = sorted(os.listdir(tmp_path / "lcd"))
    assert pngs == [f"unix_{n:03d}.png" for n in range(len(paths))]
    from PIL import Image
    assert Image.open(tmp_path / "lcd" / pngs[0]).size == (128, 160)
