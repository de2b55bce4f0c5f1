"""The firmware's tflm module against tflite-micro's Python runtime, on real photos.

unix firmware (reference kernels): 210 photos with the default blob, a tiny MobileNetV2, every
error. qemu_m7 firmware (CMSIS-NN kernels on the emulated Cortex-M7): 100 photos, loaded into
its RAM by QEMU and read in place. Outputs must be identical int8 scores.
"""
import glob
import os
import struct

import numpy as np
import pytest

from host_tools.blob import read as read_blob
from host_tools.data.images import load_pixels, quantize_input
from host_tools.data.samples import CALIBRATION, sample_path
from host_tools.device.firmware_ops import firmware_ops
from host_tools.infer.engine import TflmEngine
from tests.support import firmware as fw

MICE = os.path.join(fw.ROOT, "..", "shared", "datasets", "openmv-mice")

# One MicroPython process runs a whole batch: model, inputs and outputs are files.
BATCH = """\
import tflm
model = open({model!r}, 'rb').read()
it = tflm.Interpreter(model, {arena})
n = {insize}
buf = bytearray(n)
out = bytearray({outsize})
with open({inputs!r}, 'rb') as f, open({outputs!r}, 'wb') as g:
    while f.readinto(buf) == n:
        it.invoke(buf, out)
        g.write(out)
print('arena_used', it.arena_used)
"""


def photo_paths(count):
    """count real photos: scikit-image's samples, then openmv-mice's, in a fixed order."""
    mice = sorted(glob.glob(os.path.join(MICE, "*", "*", "*.jpg")))
    paths = [sample_path(n) for n in CALIBRATION] + mice
    assert len(paths) >= count, f"need {count} photos, found {len(paths)} (is ../shared/datasets there?)"
    return paths[:count]


def int8_inputs(model, paths):
    """Photos through the host pipeline to the model's int8 input, shape (N, H, W, C)."""
    eng = TflmEngine(model, arena_size=2_000_000)
    _, h, w, c = eng.input_details["shape"]
    q = eng.input_details["quantization_parameters"]
    scale, zero = q["scales"][0], q["zero_points"][0]
    return np.stack([quantize_input(load_pixels(p, h, c), scale, zero) for p in paths]), eng


def reference_outputs(eng, inputs):
    return np.stack([eng.run(x) for x in inputs])


@pytest.fixture(scope="module")
def unix_firmware():
    fw.build("unix")
    return fw.UNIX_MICROPYTHON


@pytest.fixture(scope="module")
def default_model(default_blob):
    return bytes(read_blob(default_blob).model)


@pytest.fixture(scope="module")
def tiny_v2():
    """A tiny MobileNetV2 (alpha 0.35, 32x32), int8, made with the project's own code."""
    from host_tools.data.samples import calibration_set
    from host_tools.model.backbones import he_normal_kernels
    from host_tools.model.mobilenet_v2 import mobilenet_v2
    from host_tools.model.quantize import to_int8_tflite
    model = mobilenet_v2(alpha=0.35, size=32, classes=3)
    he_normal_kernels(model)  # Keras' default init leaves too small a range to quantize
    return to_int8_tflite(model, calibration_set(32, 3, 1))


@pytest.fixture(scope="module")
def maxpool_model():
    """A tiny int8 model with MAX_POOL_2D, an op the firmware does not register."""
    import keras
    from keras import layers

    from host_tools.data.samples import calibration_set
    from host_tools.model.quantize import to_int8_tflite
    x = inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(4, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return to_int8_tflite(keras.Model(inputs, outputs), calibration_set(16, 3, 1))


def run_batch_unix(model, inputs, outsize, tmp_path, arena=300_000):
    model_path, in_path, out_path = (str(tmp_path / n) for n in ("m.tflite", "in.bin", "out.bin"))
    open(model_path, "wb").write(model)
    open(in_path, "wb").write(inputs.astype(np.int8).tobytes())
    code, out, err = fw.run_unix(BATCH.format(model=model_path, arena=arena, insize=inputs[0].size,
                                              outsize=outsize, inputs=in_path, outputs=out_path))
    assert code == 0, err
    got = np.frombuffer(open(out_path, "rb").read(), dtype=np.int8).reshape(len(inputs), outsize)
    return got, int(out.split()[-1])


def test_unix_equals_tflite_micro_on_210_photos(unix_firmware, default_model, tmp_path):
    inputs, eng = int8_inputs(default_model, photo_paths(210))
    want = reference_outputs(eng, inputs)
    got, arena_used = run_batch_unix(default_model, inputs, want.shape[1], tmp_path)
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(want.argmax(1))) == 2, "the photos should exercise both classes"
    assert 0 < arena_used < 300_000


def test_unix_mobilenet_v2_exact(unix_firmware, tiny_v2, tmp_path):
    inputs, eng = int8_inputs(tiny_v2, photo_paths(40))
    want = reference_outputs(eng, inputs)
    got, _ = run_batch_unix(tiny_v2, inputs, want.shape[1], tmp_path, arena=600_000)
    np.testing.assert_array_equal(got, want)


def test_v2_ops_are_all_in_the_firmware(tiny_v2):
    from host_tools.model.profile import model_ops
    ops = {row["op"] for row in model_ops(tiny_v2)}
    assert "ADD" in ops
    assert ops <= set(firmware_ops())


def test_module_attributes_and_ops(unix_firmware, default_model, tmp_path):
    path = str(tmp_path / "m.tflite")
    open(path, "wb").write(default_model)
    eng = TflmEngine(default_model)
    code, out, err = fw.run_unix(f"""
import tflm
it = tflm.Interpreter(open({path!r}, 'rb').read(), 200000)
print(repr((it.input_shape, it.input_scale, it.input_zero_point,
            it.output_shape, it.output_scale, it.output_zero_point, tflm.OPS)))
""")
    assert code == 0, err
    in_shape, in_scale, in_zero, out_shape, out_scale, out_zero, ops = eval(out)
    i, o = eng.input_details, eng.output_details
    assert in_shape == tuple(int(v) for v in i["shape"]) and out_shape == tuple(int(v) for v in o["shape"])
    assert in_scale == pytest.approx(float(i["quantization_parameters"]["scales"][0]), rel=1e-6)
    assert in_zero == int(i["quantization_parameters"]["zero_points"][0])
    assert out_scale == pytest.approx(float(o["quantization_parameters"]["scales"][0]), rel=1e-6)
    assert out_zero == int(o["quantization_parameters"]["zero_points"][0])
    assert ops == firmware_ops()


def _error_of(script):
    code, out, err = fw.run_unix(script + "\n")
    assert code == 0, err
    return out.strip().splitlines()[-1]


TRY = """
import tflm
model = open({path!r}, 'rb').read()
try:
    {call}
    print('no error')
except Exception as e:
    print(type(e).__name__ + ': ' + str(e))
"""


def _schema_version_offset(model):
    """Byte offset of Model.version (field 0 of the root table) in a .tflite flatbuffer."""
    table = struct.unpack_from("<I", model, 0)[0]
    vtable = table - struct.unpack_from("<i", model, table)[0]
    return table + struct.unpack_from("<H", model, vtable + 4)[0]


def test_wrong_schema_version(unix_firmware, default_model, tmp_path):
    m = bytearray(default_model)
    off = _schema_version_offset(m)
    assert struct.unpack_from("<I", m, off)[0] == 3
    struct.pack_into("<I", m, off, 2)
    path = str(tmp_path / "v2schema.tflite")
    open(path, "wb").write(m)
    line = _error_of(TRY.format(path=path, call="tflm.Interpreter(model, 200000)"))
    assert line == "ValueError: tflm: model has schema version 2; this firmware reads version 3"


def test_missing_op_is_named(unix_firmware, maxpool_model, tmp_path):
    path = str(tmp_path / "maxpool.tflite")
    open(path, "wb").write(maxpool_model)
    line = _error_of(TRY.format(path=path, call="tflm.Interpreter(model, 200000)"))
    assert line == "ValueError: tflm: model uses op MAX_POOL_2D, which this firmware lacks"


def test_arena_too_small_says_bytes_needed(unix_firmware, default_model, tmp_path):
    path = str(tmp_path / "m.tflite")
    open(path, "wb").write(default_model)
    code, out, err = fw.run_unix(f"""
import tflm
model = open({path!r}, 'rb').read()
print(tflm.Interpreter(model, 400000).arena_used)
""")
    assert code == 0, err
    used = int(out)
    line = _error_of(TRY.format(path=path, call="tflm.Interpreter(model, 50000)"))
    assert line == f"ValueError: tflm: arena_size 50000 is too small for this model: it needs {used} bytes"
    # exactly that many bytes is enough
    assert _error_of(TRY.format(path=path, call=f"tflm.Interpreter(model, {used})")) == "no error"
    assert _error_of(TRY.format(path=path, call=f"tflm.Interpreter(model, {used - 16})")).startswith(
        "ValueError: tflm: arena_size")


@pytest.mark.parametrize("call, message", [
    ("it.invoke(bytes(100), bytearray(2))",
     "ValueError: tflm: input is 100 bytes; the model's input tensor is 27648 bytes"),
    ("it.invoke(bytes(27648), bytearray(3))",
     "ValueError: tflm: output is 3 bytes; the model's output tensor is 2 bytes"),
])
def test_wrong_lengths(unix_firmware, default_model, tmp_path, call, message):
    path = str(tmp_path / "m.tflite")
    open(path, "wb").write(default_model)
    line = _error_of(TRY.format(path=path, call=f"it = tflm.Interpreter(model, 200000); {call}"))
    assert line == message


def test_not_a_model(unix_firmware, tmp_path):
    path = str(tmp_path / "junk.tflite")
    open(path, "wb").write(b"this is a JPEG, honest " * 9)
    line = _error_of(TRY.format(path=path, call="tflm.Interpreter(model, 200000)"))
    assert line == "ValueError: tflm: model is not a valid .tflite flatbuffer (207 bytes)"


# --- qemu_m7: CMSIS-NN kernels on the emulated Cortex-M7 -------------------------------------

M7_BATCH = """\
import tflm, uctypes
model = uctypes.bytearray_at({model_addr}, {model_len})
it = tflm.Interpreter(model, {arena})
n = {insize}
frames = memoryview(uctypes.bytearray_at({frames_addr}, {count} * n))
out = bytearray({outsize})
for i in range({count}):
    it.invoke(frames[i * n:(i + 1) * n], out)
    print('out', out.hex())
print('arena_used', it.arena_used)
"""


def test_qemu_m7_cmsis_nn_equals_tflite_micro_on_100_photos(default_model, tmp_path):
    fw.build("qemu_m7")
    inputs, eng = int8_inputs(default_model, photo_paths(100))
    want = reference_outputs(eng, inputs)
    model_path, in_path = str(tmp_path / "m.tflite"), str(tmp_path / "in.bin")
    open(model_path, "wb").write(default_model)
    open(in_path, "wb").write(inputs.tobytes())
    assert inputs.nbytes <= fw.M7_FRAMES_BYTES
    script = M7_BATCH.format(model_addr=fw.M7_MODEL_ADDR, model_len=len(default_model), arena=200_000,
                             insize=inputs[0].size, frames_addr=fw.M7_FRAMES_ADDR, count=len(inputs),
                             outsize=want.shape[1])
    with fw.QemuM7([(model_path, fw.M7_MODEL_ADDR), (in_path, fw.M7_FRAMES_ADDR)]) as board:
        out = board.run(script)
    rows = [bytes.fromhex(line.split()[1]) for line in out.splitlines() if line.startswith("out ")]
    got = np.frombuffer(b"".join(rows), dtype=np.int8).reshape(-1, want.shape[1])
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(want.argmax(1))) == 2
