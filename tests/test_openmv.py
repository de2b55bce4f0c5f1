"""The OpenMV board module on OpenMV firmware 5.x and 4.x (fakes that follow OpenMV's
own source, docs/boards.md): the same exact scores on every version, through the
API each version has, and the fakes refuse what the real modules refuse.
"""
import os

import numpy as np
import pytest

from tests.support import run_cli
from host_tools.blob import read
from host_tools.data.images import open_image
from host_tools.emulate import board_emulation as be
from host_tools.infer.engine import TflmEngine
from tests.support.reference import device_input

BOARD = "openmv_h7_plus"


@pytest.fixture(scope="module")
def mice(openmv_mice):
    """Eight real photos from the openmv-mice validation set, both classes."""
    paths = []
    for label in ("black", "white"):
        folder = os.path.join(openmv_mice, "validation", label)
        paths += [os.path.join(folder, n) for n in sorted(os.listdir(folder))[:4]]
    return paths


@pytest.fixture(scope="module")
def blob(default_blob):
    return read(default_blob)


@pytest.mark.parametrize("openmv", ["5", "4.8", "4"])
def test_board_scores_equal_tflite_micro_on_every_firmware(openmv, mice, blob, default_blob):
    emu = be.run(BOARD, mice, default_blob, openmv=openmv)
    assert emu.status == 0, emu.lines
    assert len(emu.results) == len(mice)
    eng = TflmEngine(blob.model)
    for frame, r in zip(emu.frames, emu.results):
        want = eng.run(device_input(frame, 320, 240, "RGB565_LE", blob))
        np.testing.assert_array_equal(np.array(r["scores"], dtype=np.int8), want)
        assert r["index"] == int(np.argmax(want))


def test_each_firmware_is_driven_through_its_own_api(mice, default_blob):
    new = be.run(BOARD, mice[:1], default_blob, openmv="5").fakes
    cam = new["csi"].cameras[-1]
    assert (cam.resets, cam.skipped) == (1, 1)          # reset, then a timed snapshot to settle
    assert new["sensor"].state == {}                    # the deprecated module is not used
    model = new["ml"].models[-1]
    assert model.postprocess is None and model._load_to_fb is None

    mid = be.run(BOARD, mice[:1], default_blob, openmv="4.8").fakes
    assert mid["csi"].cameras and mid["ml"].models[-1]._load_to_fb is True

    old = be.run(BOARD, mice[:1], default_blob, openmv="4").fakes
    assert old["csi"].cameras == [] and old["sensor"].state["ready"]
    model = old["ml"].models[-1]
    assert model._load_to_fb is True and not hasattr(model, "postprocess")


# --- the fakes refuse what the real modules refuse -------------------------------------

def model_file(tmp_path, blob):
    path = tmp_path / "model.tflite"
    path.write_bytes(bytes(blob.model))
    return str(path)


def test_ml_model_constructor_per_firmware(tmp_path, blob):
    path = model_file(tmp_path, blob)
    with be.fake_drivers(openmv="5") as f:
        ml = f["ml"]
        with pytest.raises(TypeError):
            ml.Model(path, True)              # 5.x: the C constructor takes (path, postprocess)
        m = ml.Model(path, load_to_fb=True)   # the wrapper ignores keywords it does not know
        assert m.postprocess is None and m.input_dtype == ("b",) and m.input_shape == ((1, 96, 96, 3),)
        with pytest.raises(OSError):
            ml.Model(str(tmp_path / "missing.tflite"))
    with be.fake_drivers(openmv="4") as f:
        m = f["ml"].Model(path, postprocess=print)   # 4.6 has no postprocess: ignored
        assert not hasattr(m, "postprocess") and m._load_to_fb is False
        with pytest.raises(TypeError):
            f["ml"].Model(path, True)         # load_to_fb is passed by keyword only


@pytest.mark.parametrize("openmv, raw", [("5", True), ("4.8", True), ("4", False)])
def test_ml_predict_inputs_outputs_and_callbacks(openmv, raw, tmp_path, blob, mice):
    path = model_file(tmp_path, blob)
    frame = be.encode_frame(be.frame_pixels(open_image(mice[0]), 320, 240), "RGB565_LE")
    x = device_input(frame, 320, 240, "RGB565_LE", blob)     # a real photo, as the app feeds it
    want = TflmEngine(blob.model).run(x)
    seen = {}

    def fill(tensor, shape, dtype):
        seen["input"] = (len(tensor), shape, dtype)
        tensor[:] = x.tobytes()

    with be.fake_drivers(openmv=openmv) as f:
        m = f["ml"].Model(path)
        scores = m.predict([fill])[0].flatten().tolist()    # no callback: float32, dequantized
        assert seen["input"] == (96 * 96 * 3, (1, 96, 96, 3), ord("b"))
        np.testing.assert_array_equal(np.float32(scores), (want.astype(np.float32) - blob.out_zero)
                                      * np.float32(blob.out_scale))
        outputs = m.predict((fill,), callback=lambda model, inputs, outs: outs)   # any iterable
        values = np.array(outputs[0].flatten().tolist())
        if raw:
            np.testing.assert_array_equal(values.astype(np.int8), want)
        else:
            np.testing.assert_array_equal(values, np.float32(scores))
        with pytest.raises(ValueError, match="Unsupported input type"):
            m.predict([b"\x00" * 27648])
        with pytest.raises(TypeError):
            m.predict([fill], print)          # callback is keyword-only
        with pytest.raises(TypeError):
            m.predict(fill)                   # not a list, not even iterable
        with pytest.raises(ValueError):
            m.predict([lambda t, s, d: t.extend(b"\x00")])   # the tensor is a fixed buffer


def test_csi_refuses_what_the_firmware_refuses(blob):
    with be.fake_drivers(openmv="5") as f:
        csi = f["csi"]
        with pytest.raises(TypeError):
            csi.CSI(0)                        # cid is keyword-only
        cam = csi.CSI()
        cam.reset()
        with pytest.raises(RuntimeError, match="Pixel format is not supported or is not set"):
            cam.snapshot()
        with pytest.raises(RuntimeError, match="Pixel format"):
            cam.pixformat()
        cam.pixformat(csi.RGB565)
        with pytest.raises(RuntimeError, match="Frame size is not supported or is not set"):
            cam.snapshot()
        with pytest.raises(RuntimeError, match="invalid argument"):
            cam.framesize("QVGA")
        cam.framesize(csi.QVGA)
        assert (cam.width(), cam.height(), cam.pixformat()) == (320, 240, csi.RGB565)
        assert cam.snapshot(time=100) is None
        with pytest.raises(TypeError):
            cam.snapshot(100)                 # time is keyword-only
    with be.fake_drivers(openmv="4"):
        with pytest.raises(ImportError):
            import csi  # noqa: F401  -- 4.6 has only `sensor`


def test_cli_emulate_takes_the_openmv_version(mice, default_blob):
    status, out, err = run_cli("emulate", "--board", BOARD, "--openmv", "4", "--model", default_blob,
                               mice[0])
    assert status == 0, err
    assert out.startswith(f"{mice[0]}: ")
    status, out, err = run_cli("emulate", "--board", BOARD, "--openmv", "6", mice[0])
    assert status == 2 and out == "" and "Traceback" not in err
    assert err.strip() == "emulate: --openmv must be one of 4, 4.8, 5; got '6'"
