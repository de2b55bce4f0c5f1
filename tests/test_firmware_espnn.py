"""The ESP32-S3's kernels on the host: the unix firmware built with esp-tflite-micro's ESP-NN
kernels (make firmware BOARD=unix KERNELS=esp-nn; docs/firmware.md, "The ESP32-S3's kernels").

- exactness: on real photos (openmv-mice, scikit-image) its int8 outputs equal tflite-micro's
  reference kernels and classify: the app on the default model, and models whose outputs are
  raw logits, so that a one-unit difference anywhere in conv, depthwise conv, pooling or
  fully connected would show;
- the arena: measured there, with the ESP32-S3's scratch buffers, it is the arena the ESP32
  boards give the interpreter (board.json, firmware/app/esp32cam.py), to the byte;
- the command line: `emulate --board unix --kernels esp-nn`, and its one-line refusals.
"""
import binascii
import os
import subprocess

import numpy as np
import pytest

from tests.support import mice_photos, run_cli
from host_tools.blob import read
from host_tools.data.images import load_pixels, open_image, quantize_input
from host_tools.data.samples import CALIBRATION, sample_path
from host_tools.firmware import espnn
from host_tools.emulate import vm_boards as vb
from host_tools.firmware.run import run_code
from host_tools.firmware.firmware import firmware_image, image_path
from host_tools.infer.classify import scores
from host_tools.infer.engine import TflmEngine

SKIMAGE = [sample_path(n) for n in CALIBRATION]

BATCH = """\
import binascii, tflm
it = tflm.Interpreter(open('m.tflite', 'rb').read(), %d)
n = %d
buf = bytearray(n)
out = bytearray(%d)
with open('in.bin', 'rb') as f:
    while f.readinto(buf) == n:
        it.invoke(buf, out)
        print(binascii.hexlify(out).decode())
"""


@pytest.fixture(scope="module")
def espnn_image():
    return firmware_image("unix", "esp-nn")


def photos(count, folder):
    """count real photos: scikit-image's, then openmv-mice's (folder) spread over both classes."""
    every = mice_photos(folder)
    mice = every[::max(1, len(every) // count)]
    return (SKIMAGE + mice)[:count]


def espnn_outputs(model, inputs, outsize, arena=600_000):
    files = {"m.tflite": bytes(model), "in.bin": inputs.astype(np.int8).tobytes()}
    lines = run_code("unix", files, BATCH % (arena, inputs[0].size, outsize), kernels="esp-nn")
    rows = [np.frombuffer(binascii.unhexlify(line), dtype=np.int8) for line in lines]
    assert len(rows) == len(inputs), lines[-5:]
    return np.stack(rows)


def reference(model, paths):
    """(int8 inputs, int8 outputs of tflite-micro's reference kernels) for the photos."""
    eng = TflmEngine(model, arena_size=2_000_000)
    _, h, w, c = eng.input_details["shape"]
    q = eng.input_details["quantization_parameters"]
    x = np.stack([quantize_input(load_pixels(p, h, c), q["scales"][0], q["zero_points"][0]) for p in paths])
    return x, np.stack([eng.run(v) for v in x])


def test_the_app_on_espnn_kernels_equals_classify(espnn_image, default_blob, openmv_mice):
    paths = photos(120, openmv_mice)
    frames = vb.photo_frames([open_image(p) for p in paths], read(default_blob))
    run = vb.run_app("unix", frames, default_blob, kernels="esp-nn")
    assert run.other == [], run.other[-5:]
    got = np.array([r["scores"] for r in run.results], dtype=np.int8)
    want = np.array([q for _, q, _ in scores(read(default_blob), paths, workers=1)], dtype=np.int8)
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(want.argmax(1))) == 2, "the photos should exercise both classes"


@pytest.fixture(scope="module")
def logit_models():
    """MobileNetV1 0.25 (64x64, 24 classes) with He-normal weights, int8: once cut at its
    logits (the FULLY_CONNECTED output, no softmax), once whole."""
    import keras

    from host_tools.data.samples import calibration_set
    from host_tools.model.backbones import he_normal_kernels
    from host_tools.model.mobilenet import mobilenet_v1
    from host_tools.model.quantize import to_int8_tflite
    keras.utils.set_random_seed(0)   # the same model every run
    model = mobilenet_v1(alpha=0.25, size=64, classes=24)
    he_normal_kernels(model)
    logits = keras.Model(model.inputs, model.get_layer("logits").output)
    cal = calibration_set(64, 3, 1)
    return to_int8_tflite(logits, cal), to_int8_tflite(model, cal)


@pytest.mark.parametrize("which, distinct", [("logits", 200), ("softmax", 100)])
def test_espnn_kernels_equal_the_reference_kernels_to_the_unit(espnn_image, logit_models, which, distinct, openmv_mice):
    model = logit_models[0 if which == "logits" else 1]
    x, want = reference(model, photos(60, openmv_mice))
    got = espnn_outputs(model, x, want.shape[1])
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(want)) > distinct, "outputs this varied would show a one-unit difference"


def test_tiny_mobilenet_v2_on_espnn_kernels(espnn_image, openmv_mice):
    import keras

    from host_tools.data.samples import calibration_set
    from host_tools.model.backbones import he_normal_kernels
    from host_tools.model.mobilenet_v2 import mobilenet_v2
    from host_tools.model.quantize import to_int8_tflite
    keras.utils.set_random_seed(0)
    model = mobilenet_v2(alpha=0.35, size=32, classes=5)
    he_normal_kernels(model)
    tflite = to_int8_tflite(model, calibration_set(32, 3, 1))
    x, want = reference(tflite, photos(30, openmv_mice))
    np.testing.assert_array_equal(espnn_outputs(tflite, x, want.shape[1]), want)


def test_esp32_arena_is_the_measured_espnn_arena(espnn_image, default_blob):
    m = espnn.measure(default_blob)
    assert m["esp-nn"] > m["reference"], "the ESP32-S3's scratch buffers should be in the arena"
    for board in espnn.ESP32_BOARDS:
        assert espnn.board_extra(board) == m["extra"], f"run python -m host_tools.firmware.espnn ({board})"
        assert espnn.esp32_arena(m["blob"], board) == m["esp-nn"]
    with open(os.path.join(espnn.ROOT, "firmware", "app", "esp32cam.py")) as f:
        assert f"_ARENA_EXTRA = const({m['extra']})" in f.read()
    assert espnn.main(["--check"]) == 0


def test_the_espnn_arena_is_tight(espnn_image, default_blob):
    """One byte less than the measured arena does not allocate; the measured one does."""
    model = bytes(read(default_blob).model)
    need = espnn.arena_used(model, "esp-nn")
    code = ("import tflm\nm = open('m.tflite', 'rb').read()\n"
            "for n in (%d, %d):\n"
            "    try:\n        tflm.Interpreter(m, n); print(n, 'ok')\n"
            "    except ValueError as e:\n        print(n, 'short')\n") % (need - 1, need)
    lines = run_code("unix", {"m.tflite": model}, code, kernels="esp-nn")
    assert lines == [f"{need - 1} short", f"{need} ok"]


def test_emulate_unix_espnn_prints_what_classify_prints(espnn_image, default_blob, openmv_mice):
    paths = photos(4, openmv_mice)
    code, out, err = run_cli("emulate", "--board", "unix", "--kernels", "esp-nn", "--model", default_blob, *paths)
    assert code == 0, err
    code2, want, err2 = run_cli("classify", "--model", default_blob, *paths)
    assert code2 == 0, err2
    assert out == want and len(out.splitlines()) == 4


@pytest.mark.parametrize("argv", [["--board", "qemu_m7", "--kernels", "esp-nn"],
                                  ["--board", "host", "--kernels", "esp-nn"],
                                  ["--board", "unix", "--kernels", "esp-nn", "--serve"]])
def test_kernels_is_only_for_the_unix_board(argv, default_blob):
    code, out, err = run_cli("emulate", *argv, SKIMAGE[0])
    assert code != 0 and out == ""
    assert err.strip().splitlines() == ["emulate: --kernels is for emulate --board unix (the project's "
                                        "unix firmware), without --serve"]


def test_espnn_image_has_its_own_folder_and_leaves_the_default_build_alone(espnn_image):
    assert espnn_image == image_path("unix", "esp-nn") != image_path("unix")
    assert os.path.dirname(espnn_image) != os.path.dirname(image_path("unix"))
    r = subprocess.run(["make", "-q", "-f", "firmware/tflm/lib.mk", "OUT=build/firmware/unix/tflm",
                        "KERNELS=reference"], cwd=espnn.ROOT, capture_output=True, text=True)
    assert r.returncode == 0, "building the esp-nn image made the default unix library stale"


def test_a_second_espnn_build_compiles_nothing(espnn_image):
    r = subprocess.run(["make", "--no-print-directory", "firmware", "BOARD=unix", "KERNELS=esp-nn"],
                       cwd=espnn.ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = (r.stdout + r.stderr).splitlines()
    assert [line for line in lines if line.startswith(("CC ", "CXX ", "LINK "))] == []
    said = [line for line in lines if line.startswith("firmware: building ")]
    assert said and said[0].startswith("firmware: building MicroPython's unix port with esp-tflite-micro "
                                       "v1.3.8's ESP-NN kernels"), lines[:3]
