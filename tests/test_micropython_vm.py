"""Device code under the real MicroPython VM: the project's own unix firmware
(MicroPython v1.28.0 with the tflm module, `make firmware BOARD=unix`, built by the
firmware recipe when missing).

- blobfmt, preprocess and postprocess give the same results as under CPython,
  on the real default blob and on frames made from a real photo in every camera
  format, and the preprocessing hot path allocates nothing (micropython.heap_lock);
  both the viper kernel (native x64 code) and the portable one run, each checked by name;
- the real board modules run the real app (firmware/app/app.py) under MicroPython
  against the driver fakes of host_tools/emulate/drivers/, the model running in the firmware's
  own tflm module; the results equal the CPython emulation's.

The VM runs in a temporary folder, which the code here calls /input.
"""
import binascii
import json
import os
import shutil
import struct

import numpy as np
import pytest

from tests.support import ROOT
from host_tools.emulate import board_emulation as be
from host_tools.blob import read
from host_tools.device_code import blobfmt
from host_tools.data.images import open_image
from host_tools.data.samples import sample_path
from tests.support.micropython_vm import run_micropython

FIRMWARE = os.path.join(ROOT, "firmware", "app")
FORMATS = ("RGB565_BE", "RGB565_LE", "GRAY", "RGB888")
SIZES = ((96, 96), (160, 120))


def vm(code, folder):
    """Run code in MicroPython (16 MB heap) with folder as /input; its stdout."""
    return run_micropython(code, folder, heap="16M")


def firmware_module(name):
    """firmware/NAME.py imported on CPython, under its own name."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"cpython_{name}", os.path.join(FIRMWARE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_firmware(folder, names=("blobfmt", "preprocess", "postprocess")):
    for n in names:
        shutil.copy(os.path.join(FIRMWARE, n + ".py"), folder)


class StubBlob:
    """What Preprocessor and top1 read from a blob."""

    def __init__(self, channels=3, scale=1.0, zero=-128, out_scale=1 / 256, out_zero=-128, size=96):
        self.height = self.width = size
        self.channels = channels
        self.in_scale, self.in_zero = scale, zero
        self.out_scale, self.out_zero = out_scale, out_zero

    def input_size(self):
        return self.height * self.width * self.channels


def numpy_reference(frame, w, h, fmt, blob):
    """docs/preprocessing.md in numpy: decode, centred square, nearest neighbour, luma, lut."""
    data = np.frombuffer(frame, np.uint8)
    if fmt == "GRAY":
        pix = data.reshape(h, w, 1).astype(np.int64)
    else:
        pix = be.camera_view(frame, w, h, fmt).astype(np.int64)
    side = min(w, h)
    rows = (h - side) // 2 + (np.arange(blob.height) * side) // blob.height
    cols = (w - side) // 2 + (np.arange(blob.width) * side) // blob.width
    pix = pix[rows][:, cols]
    if blob.channels == 1 and pix.shape[2] == 3:
        pix = (19595 * pix[..., 0] + 38470 * pix[..., 1] + 7471 * pix[..., 2] + 32768) >> 16
        pix = pix[..., None]
    elif blob.channels == 3 and pix.shape[2] == 1:
        pix = np.repeat(pix, 3, axis=2)
    p = np.arange(256, dtype=np.float64)
    lut = np.clip(np.round(p / np.float64(np.float32(blob.in_scale))) + blob.in_zero, -128, 127)
    return lut.astype(np.int8)[pix].reshape(-1)


# --- the font the boards' displays use -------------------------------------------------

def test_the_fake_framebuf_font_is_micropythons(tmp_path):
    out = vm("""
import framebuf, binascii
b = bytearray(8)
fb = framebuf.FrameBuffer(b, 8, 8, framebuf.MONO_VLSB)
glyphs = bytearray()
for c in range(32, 128):
    fb.fill(0)
    fb.text(chr(c), 0, 0, 1)
    glyphs += b
print(binascii.hexlify(glyphs).decode())
""", tmp_path)
    import importlib.util
    spec = importlib.util.spec_from_file_location("fake_framebuf", os.path.join(be.FAKES_DIR, "framebuf.py"))
    fake = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fake)
    assert binascii.unhexlify(out.strip()) == fake._FONT


# --- blobfmt --------------------------------------------------------------------------

def test_blobfmt_reads_the_default_blob_as_cpython_does(default_blob, tmp_path):
    copy_firmware(tmp_path, ["blobfmt"])
    shutil.copy(default_blob, tmp_path / "model.blob")
    out = vm("""
import blobfmt, struct, binascii, hashlib, json
b = blobfmt.load('/input/model.blob')
print(json.dumps([b.labels, b.height, b.width, b.channels, b.in_zero, b.out_zero, b.arena_size,
                  b.crc, b.version, len(b.model), b.input_size()]))
print(binascii.hexlify(struct.pack('<dd', b.in_scale, b.out_scale)).decode())
print(binascii.hexlify(hashlib.sha256(b.model).digest()).decode())
try:
    blobfmt.parse(open('/input/model.blob', 'rb').read()[:1000])
except blobfmt.BlobError as e:
    print(e)
""", tmp_path)
    fields, scales, digest, error = out.strip().splitlines()
    b = read(default_blob)
    assert json.loads(fields) == [b.labels, b.height, b.width, b.channels, b.in_zero, b.out_zero,
                                  b.arena_size, b.crc, b.version, len(b.model), b.input_size()]
    assert binascii.unhexlify(scales) == struct.pack("<dd", b.in_scale, b.out_scale)
    import hashlib
    assert digest == hashlib.sha256(bytes(b.model)).hexdigest()
    with pytest.raises(blobfmt.BlobError) as e:
        blobfmt.parse(open(default_blob, "rb").read()[:1000])
    assert error == str(e.value)


# --- preprocess --------------------------------------------------------------------------

def test_preprocess_of_a_real_photo_in_every_format_equals_cpython_and_allocates_nothing(tmp_path):
    """Both kernels, each said by the VM: the viper one (preprocess_viper.py, native x64 code)
    and the portable one (Preprocessor(..., fast=False))."""
    copy_firmware(tmp_path, ["preprocess", "preprocess_viper"])
    photo = open_image(sample_path("astronaut.png"))
    cases = []
    for fmt in FORMATS:
        for w, h in SIZES:
            pixels = be.frame_pixels(photo, w, h, 1 if fmt == "GRAY" else 3)
            name = f"{fmt}_{w}x{h}.raw"
            (tmp_path / name).write_bytes(be.encode_frame(pixels, fmt))
            for channels, scale, zero in ((3, 1.0, -128), (1, 1.0, -128), (3, 0.75, -3)):
                cases.append((name, fmt, w, h, channels, scale, zero))
    code = """
import micropython, binascii, preprocess
class B:
    pass
frame_buf = bytearray(160 * 120 * 3)
out_buf = bytearray(96 * 96 * 3)
def locked(pre, frame, out):
    micropython.heap_lock()
    try:
        pre.run(frame, out)
        return 'ok'
    except MemoryError:
        return 'allocates'
    finally:
        micropython.heap_unlock()
def kernel(pre):
    if pre._fast is None:
        return 'portable'
    return 'viper' if pre._fast is preprocess._viper.kernel else 'other'
for name, fmt, w, h, c, s, z in %r:
    b = B()
    b.height, b.width, b.channels, b.in_scale, b.in_zero = 96, 96, c, s, z
    b.input_size = lambda: 96 * 96 * c
    with open('/input/' + name, 'rb') as f:
        n = f.readinto(frame_buf)
    for fast in (True, False):
        pre = preprocess.Preprocessor(b, w, h, fmt, fast)
        out = memoryview(out_buf)[:96 * 96 * c]
        print(kernel(pre), locked(pre, memoryview(frame_buf)[:n], out), binascii.hexlify(out).decode())
"""
    rows = [line.split() for line in vm(code % cases, tmp_path).splitlines() if line.strip()]
    assert len(rows) == 2 * len(cases)
    assert [r[0] for r in rows] == ["viper", "portable"] * len(cases)
    preprocess = firmware_module("preprocess")
    for i, (name, fmt, w, h, channels, scale, zero) in enumerate(cases):
        frame = (tmp_path / name).read_bytes()
        blob = StubBlob(channels, scale, zero)
        cpython = bytearray(blob.input_size())
        preprocess.Preprocessor(blob, w, h, fmt).run(frame, cpython)
        want = numpy_reference(frame, w, h, fmt, blob)
        np.testing.assert_array_equal(np.frombuffer(bytes(cpython), np.int8), want, err_msg=name)
        for kernel, alloc, hexed in rows[2 * i:2 * i + 2]:
            assert alloc == "ok", f"{name}: the {kernel} kernel allocates under heap_lock"
            got = np.frombuffer(binascii.unhexlify(hexed), np.int8)
            np.testing.assert_array_equal(got, want, err_msg=f"{name}, {kernel} kernel")


# --- postprocess -----------------------------------------------------------------------------

def test_postprocess_equals_cpython_to_the_bit(tmp_path):
    copy_firmware(tmp_path, ["postprocess"])
    rng = np.random.default_rng(4)
    outputs = [bytes([0x80, 0x80]), bytes([0x7F, 0x7F, 0x00]), bytes([0x01, 0xFF])]
    outputs += [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (2, 3, 10, 1000)]
    quants = [(1 / 256, -128), (0.00390625, -128), (0.0123456789, 5), (0.1, 0)]
    code = """
import postprocess, struct, binascii, gc
class B:
    pass
def alloc(out, b):
    gc.disable()
    before = gc.mem_alloc()
    postprocess.top1_index(out)
    used = gc.mem_alloc() - before
    gc.enable()
    return used
for out_hex in %r:
    out = bytearray(binascii.unhexlify(out_hex))
    for s, z in %r:
        b = B()
        b.out_scale = struct.unpack('<f', struct.pack('<f', s))[0]
        b.out_zero = z
        i, conf = postprocess.top1(out, b)
        scores = postprocess.scores(out, b)
        print(i, binascii.hexlify(struct.pack('<d', conf)).decode(),
              binascii.hexlify(struct.pack('<%%dd' %% len(scores), *scores)).decode(),
              ','.join(str(v) for v in postprocess.signed(out)), alloc(out, b))
""" % ([o.hex() for o in outputs], quants)
    rows = [line.split() for line in vm(code, tmp_path).splitlines() if line.strip()]
    post = firmware_module("postprocess")
    k = 0
    for out in outputs:
        for s, z in quants:
            blob = StubBlob(out_scale=struct.unpack("<f", struct.pack("<f", s))[0], out_zero=z)
            i, conf = post.top1(bytearray(out), blob)
            scores = post.scores(bytearray(out), blob)
            vi, vconf, vscores, vsigned, used = rows[k]
            assert int(vi) == i
            assert binascii.unhexlify(vconf) == struct.pack("<d", conf)
            assert binascii.unhexlify(vscores) == struct.pack(f"<{len(scores)}d", *scores)
            assert [int(v) for v in vsigned.split(",")] == post.signed(bytearray(out))
            assert int(used) == 0, f"top1_index allocated {used} bytes for {len(out)} scores"
            k += 1


# --- the real board modules and app, under MicroPython ---------------------------------------

VM_RUNNER = """
import tflm

class Runner:
    # The fakes' runner protocol, on the firmware's own tflite-micro.
    def __init__(self, model, arena):
        # no arena given (OpenMV's ml): the host runtime's default, 10x the model
        self.it = tflm.Interpreter(bytearray(model), arena if arena is not None else 10 * len(model))
        self.input_shape = tuple(self.it.input_shape)
        self.output_shape = tuple(self.it.output_shape)
        self.input_size = 1
        for d in self.input_shape:
            self.input_size *= d
        self.output_size = 1
        for d in self.output_shape:
            self.output_size *= d
        self.input_scale, self.input_zero_point = self.it.input_scale, self.it.input_zero_point
        self.output_scale, self.output_zero_point = self.it.output_scale, self.it.output_zero_point
        self.out = bytearray(self.output_size)
    def run(self, data):
        self.it.invoke(data, self.out)
        return bytes(self.out)
"""

VM_APP = """
import sys, os
import fake_machine
sys.modules['machine'] = fake_machine       # the VM's own machine module has no Pin
import microlite, ml, camera, sensor
import vm_runner                            # the fakes' runner, on the firmware's tflm
if HIDE_TFLM:                               # a firmware without the tflm module
    import builtins
    _import = builtins.__import__
    def _no_tflm(name, *args):
        if name == 'tflm':
            raise ImportError("no module named 'tflm'")
        return _import(name, *args)
    builtins.__import__ = _no_tflm
microlite.runner = vm_runner.Runner
ml.runner = vm_runner.Runner
frames = sorted(n for n in os.listdir('/input') if n.startswith('frame'))
current = [0]                               # the app's capture n gets frame n
def source(w, h, fmt):
    with open('/input/' + frames[min(current[0], len(frames) - 1)], 'rb') as f:
        return f.read()
camera.source = source
sensor.source = source
try:
    import csi                              # OpenMV 4.8 and newer
    csi.source = source
except ImportError:
    pass
os.chdir('/input')
import board
cam = board.camera
class Camera:
    # the emulation's end of input: None after the last frame
    def __init__(self):
        self.c = cam()
        self.width, self.height, self.format = self.c.width, self.c.height, self.c.format
    def capture(self):
        if current[0] >= len(frames):
            return None
        f = self.c.capture()
        current[0] += 1
        return f
board.camera = Camera
import app
app.main(board, '/input/model.blob')
print('leds', fake_machine.Pin.log)
"""

# ESP32 boards: (camera driver, display driver, runtime); tflm is the firmware's own module.
VM_CASES = [("esp32s3_eye", "5", ("cnadler86", "st7789py", "tflm")),
            ("esp32s3_eye", "5", ("lemariva", "st7789", "microlite")),
            ("xiao_esp32s3_sense", "5", ("cnadler86", "none", "microlite")),
            ("openmv_h7_plus", "5", None), ("openmv_h7_plus", "4", None)]


@pytest.mark.parametrize("board, openmv, drivers", VM_CASES)
def test_the_board_module_runs_the_app_under_micropython(board, openmv, drivers, default_blob, tmp_path):
    photos = [sample_path(n) for n in ("astronaut.png", "coffee.png")]
    chosen = dict(zip(("camera_driver", "display_driver", "runtime"), drivers)) if drivers else {}
    emu = be.run(board, photos, default_blob, openmv=openmv, **chosen)   # the CPython emulation: the reference
    assert emu.status == 0, emu.lines
    copy_firmware(tmp_path, [f[:-3] for f in os.listdir(FIRMWARE) if f.endswith(".py")])
    shutil.copy(be.board_module_path(board), tmp_path / "board.py")
    old = be.OPENMV_FIRMWARES[openmv] < (4, 8)                  # no csi module, float outputs
    fakes = ["microlite", "omv", "image", "sensor", "display", "ml"] + ([] if old else ["csi"])
    camera, display, runtime = drivers or ("lemariva", "none", "microlite")
    if display != "none":
        fakes += [display, "st7789_controller"]
    for name in fakes:
        shutil.copy(os.path.join(be.FAKES_DIR, name + ".py"), tmp_path)
    omv = (tmp_path / "omv.py").read_text()
    (tmp_path / "omv.py").write_text(omv + "version_major, version_minor, version_patch = %d, %d, %d\n"
                                     % be.OPENMV_FIRMWARES[openmv])
    shutil.copy(os.path.join(be.FAKES_DIR, "machine.py"), tmp_path / "fake_machine.py")
    shutil.copy(os.path.join(be.FAKES_DIR, f"camera_{camera}.py"), tmp_path / "camera.py")
    (tmp_path / "vm_runner.py").write_text(VM_RUNNER)
    shutil.copy(default_blob, tmp_path / "model.blob")
    model = bytes(read(default_blob).model)
    (tmp_path / "model.tflite").write_bytes(model)      # OpenMV's file (the VM cannot write)
    for n, frame in enumerate(emu.frames):
        (tmp_path / f"frame{n}.raw").write_bytes(frame)

    out = vm(VM_APP.replace("HIDE_TFLM", str(runtime == "microlite")), tmp_path)
    results = [json.loads(line[len("@result "):]) for line in out.splitlines() if line.startswith("@result ")]
    assert len(results) == len(photos), out[-2000:]
    for got, want in zip(results, emu.results):
        assert {k: got[k] for k in ("frame", "label", "index", "confidence", "scores")} == \
            {k: want[k] for k in ("frame", "label", "index", "confidence", "scores")}
    leds = [line for line in out.splitlines() if line.startswith("leds ")][0]
    if board == "xiao_esp32s3_sense":
        assert leds == "leds [(21, 1), (21, 0), (21, 1)]"   # off at start, on for person, off
    if board == "esp32s3_eye":   # the backlight: off (high) while the panel starts, then on (low)
        assert leds.index("(48, 1)") < leds.index("(48, 0)")
    if board != "openmv_h7_plus":
        assert (f"interpreter_make_new: model size = {len(model)}" in out) == (runtime == "microlite")


def test_the_esp32_camera_turns_cnadler86s_signed_frames_into_bytes_without_allocating(tmp_path):
    # cnadler86's capture() is memoryview('b', ...): the board copies it into one bytearray.
    copy_firmware(tmp_path, ["esp32cam", "postprocess"])
    frame = be.encode_frame(be.frame_pixels(open_image(sample_path("astronaut.png")), 96, 96), "RGB565_BE")
    (tmp_path / "frame.raw").write_bytes(frame)
    out = vm("""
import array, micropython, esp32cam
with open('/input/frame.raw', 'rb') as f:
    signed = memoryview(array.array('b', f.read()))
cam = esp32cam._Camera(lambda: signed, unsigned_copy=True)
got = cam.capture()
micropython.heap_lock()
got = cam.capture()
micropython.heap_unlock()
print('signed', signed[0], 'bytes', got[0], 'same', bytes(got) == bytes(signed))
""", tmp_path)
    assert out.strip() == f"signed {frame[0] - 256 if frame[0] > 127 else frame[0]} bytes {frame[0]} same True"


def test_the_tflm_fake_answers_like_the_firmwares_tflm(default_blob, tmp_path):
    # The ESP32 emulation's tflm fake against the real module: the same attributes
    # and the same errors (the bytes a short arena lacks come from the host's
    # tflite-micro runtime in the fake, so only their form is compared).
    import contextlib
    import io
    import re
    copy_firmware(tmp_path, ["blobfmt"])
    shutil.copy(default_blob, tmp_path / "model.blob")
    code = """
import blobfmt, tflm
b = blobfmt.load('/input/model.blob')
def attempt(f):
    try:
        f()
        print('ok')
    except Exception as e:
        print(type(e).__name__, e)
attempt(lambda: tflm.Interpreter(b.model, 1000))
attempt(lambda: tflm.Interpreter(b.model, 0))
it = tflm.Interpreter(b.model, 200000)
print(it.input_shape, it.output_shape, it.input_zero_point, it.output_zero_point)
attempt(lambda: it.invoke(bytes(5), bytearray(2)))
attempt(lambda: it.invoke(bytes(27648), bytearray(3)))
attempt(lambda: it.invoke(bytes(27648), bytearray(2)))
"""
    real = vm(code, tmp_path).splitlines()
    out = io.StringIO()
    with be.fake_drivers(runtime="tflm") as fakes, contextlib.redirect_stdout(out):
        exec(code.replace("import blobfmt, tflm", "").replace("/input", str(tmp_path)),
             {"tflm": fakes["tflm"], "blobfmt": blobfmt})
    fake = out.getvalue().splitlines()

    def number_free(line):
        return re.sub(r"needs \d+ bytes", "needs N bytes", line)
    assert [number_free(x) for x in fake] == [number_free(x) for x in real]
    assert real[0].startswith("ValueError tflm: arena_size 1000 is too small for this model: it needs ")
