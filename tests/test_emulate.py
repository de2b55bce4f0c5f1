"""`emulate`: firmware/app/main.py, unchanged, on the host board, against tflite-micro run directly."""
import json
import os
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from tests.support import reference, run_cli
from host_tools import UserError
from host_tools.blob import pack, read
from host_tools.infer.classify import classify
from host_tools.emulate.backends import emulated_board
from host_tools.emulate.command import emulate as main
from host_tools.emulate.host_app import parse_console, run_firmware
from host_tools.data.images import load_pixels
from host_tools.quiet import captured_fds
from host_tools.infer.results import format_line
from host_tools.data.samples import sample_path

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png",
          "motorcycle_left.png")
LABELS = ("cat", "dog", "bird")

def emulate(blob_path, paths, frames_dir=None):
    """The host board's rows, one per photo, through the one emulated-board interface."""
    return emulated_board("host", paths, blob_path).run(frames_dir).rows


# name, input channels: the tiny models every test runs over
MODELS = [("rgb32", 3), ("gray32", 1)]


def tiny_tflite(channels, size=32):
    """Conv2D(4, 3, stride 4) + global average pool + Dense(3) + softmax, full int8."""
    import keras
    from host_tools.model.quantize import to_int8_tflite
    from host_tools.data.samples import calibration_set
    keras.utils.set_random_seed(channels)
    model = keras.Sequential([
        keras.Input((size, size, channels)),
        keras.layers.Rescaling(1 / 127.5, offset=-1),
        keras.layers.Conv2D(4, 3, strides=4),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(len(LABELS)),
        keras.layers.Softmax(),
    ])
    return to_int8_tflite(model, calibration_set(size, channels, per_photo=1))


@pytest.fixture(scope="module", params=MODELS, ids=[m[0] for m in MODELS])
def blob_path(request, tmp_path_factory):
    from host_tools.model.profile import arena_bytes
    model = tiny_tflite(request.param[1])
    path = tmp_path_factory.mktemp("blob") / f"{request.param[0]}.blob"
    path.write_bytes(pack(model, LABELS, arena_bytes(model)))  # the measured arena, exactly
    return str(path)


@pytest.fixture(scope="module")
def photos():
    return [sample_path(n) for n in PHOTOS]


def tflm_scores(blob, path):
    """The reference: Pillow's and numpy's pixels (tests/support/reference.py) - 128
    through tflite-micro, run directly."""
    from tflite_micro import runtime
    assert (blob.in_scale, blob.in_zero) == (1.0, -128)
    pixels = reference.file_model_pixels(path, blob.height, blob.channels)
    x = (pixels.astype(np.int16) - 128).astype(np.int8)[None]
    with captured_fds((1,)):
        interp = runtime.Interpreter.from_bytes(bytes(blob.model))
    interp.set_input(x, 0)
    interp.invoke()
    return np.array(interp.get_output(0)).reshape(-1)


def test_device_int8_outputs_equal_tflite_micro_on_real_photos(blob_path, photos):
    blob = read(blob_path)
    frames = ((p, load_pixels(p, blob.height, blob.channels)) for p in photos)
    lines, other = parse_console(run_firmware(frames, blob_path))
    assert other == []
    assert [r["frame"] for r in lines] == list(range(len(photos)))
    got = np.array([r["scores"] for r in lines], dtype=np.int8)
    want = np.stack([tflm_scores(blob, p) for p in photos])
    np.testing.assert_array_equal(got, want)
    assert len({tuple(s) for s in want}) > 1  # the photos really give different outputs


def test_emulate_labels_and_confidences_are_exactly_tflite_micro(blob_path, photos):
    blob = read(blob_path)
    results = emulate(blob_path, photos)
    assert [r["image"] for r in results] == photos
    for r, path in zip(results, photos):
        q = [int(v) for v in tflm_scores(blob, path)]
        top = q.index(max(q))
        assert r["label"] == LABELS[top]
        assert r["confidence"] == (q[top] - blob.out_zero) * blob.out_scale
        assert r["scores"] == {label: (v - blob.out_zero) * blob.out_scale for label, v in zip(LABELS, q)}


def test_emulate_equals_classify(blob_path, photos):
    blob = read(blob_path)
    for engine in ("litert", "tflm"):
        want = [r for _, r, _ in classify(blob, photos, engine)]
        assert emulate(blob_path, photos) == want


def test_frames_dir_gets_one_240x240_png_per_frame(blob_path, photos, tmp_path):
    out = tmp_path / "frames"
    emulate(blob_path, photos[:3], frames_dir=str(out))
    names = sorted(os.listdir(out))
    assert names == ["frame_0000.png", "frame_0001.png", "frame_0002.png"]
    for name in names:
        with Image.open(out / name) as img:
            assert img.size == (240, 240) and img.mode == "RGB"
            a = np.asarray(img)
    assert a[:192].std() > 10            # the camera preview
    assert (a[200:] > 0).any()           # the result panel


def test_bad_images_are_reported_in_place_and_the_rest_still_run(blob_path, photos, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    missing = str(tmp_path / "missing.png")
    paths = [photos[0], str(text), missing, photos[1]]
    results = emulate(blob_path, paths)
    assert [r["image"] for r in results] == paths
    assert "error" in results[1] and "notes.jpg" in results[1]["error"]
    assert "missing.png" in results[2]["error"]
    assert results[0] == emulate(blob_path, [photos[0]])[0]
    assert results[3] == emulate(blob_path, [photos[1]])[0]


def test_main_prints_classify_lines_and_exit_status(blob_path, photos, tmp_path, capsys):
    blob = read(blob_path)
    args = SimpleNamespace(model=blob_path, images=photos[:2], json=False, frames_dir=None)
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    want = [r for _, r, _ in classify(blob, photos[:2], "tflm")]
    assert out == [format_line(r, False) for r in want]

    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG broken")
    args = SimpleNamespace(model=blob_path, images=[str(bad), photos[0]], json=True, frames_dir=None)
    assert main(args) == 1
    cap = capsys.readouterr()
    assert cap.err.startswith(f"emulate: {bad}")
    row = json.loads(cap.out)
    assert set(row) == {"image", "label", "confidence", "scores"} and row["image"] == photos[0]

    with pytest.raises(UserError, match="no images given"):
        main(SimpleNamespace(model=blob_path, images=[], json=False, frames_dir=None))


def test_cli_console_carries_only_result_lines(blob_path, photos):
    status, out, err = run_cli("emulate", "--json", "--model", blob_path, *photos[:2])
    assert status == 0, err
    rows = [json.loads(line) for line in out.splitlines()]  # nothing else on stdout
    assert [r["image"] for r in rows] == photos[:2]


def test_missing_blob_is_a_user_error(tmp_path, photos):
    with pytest.raises(UserError, match="no such model blob"):
        emulate(str(tmp_path / "nope.blob"), photos[:1])


def test_default_model_on_the_emulator_equals_classify(default_blob):
    paths = [sample_path("astronaut.png"), sample_path("coffee.png")]
    results = emulate(default_blob, paths)
    want = [r for _, r, _ in classify(read(default_blob), paths, "tflm")]
    assert results == want
    assert [r["label"] for r in results] == ["person", "non_person"]
    assert results[0]["confidence"] == max(results[0]["scores"].values())


def test_host_board_camera_and_display(blob_path, tmp_path):
    from host_tools.emulate.host_app import _device_imports
    blob = read(blob_path)
    shape = (blob.height, blob.width, blob.channels)
    frames = [("a", np.full(shape, 7, np.uint8)), ("b", np.zeros((5, 5, 3), np.uint8))]
    with _device_imports():
        import board
        board.configure(frames, blob_path, str(tmp_path))
        cam = board.camera()
        assert (cam.width, cam.height, cam.format) == (32, 32, "RGB888" if shape[2] == 3 else "GRAY")
        assert cam.capture() == bytes([7]) * int(np.prod(shape)) and cam.name == "a"
        with pytest.raises(ValueError, match="frame b"):
            cam.capture()
        assert cam.capture() is None
        lcd = board.display()
        lcd.fill(0xF800)
        lcd.fill_rect(10, 10, 5, 5, 0x001F)
        lcd.text("Hi", 100, 100, 0xFFFF)
        lcd.show()
    with Image.open(tmp_path / "frame_0000.png") as img:
        assert img.getpixel((0, 0)) == (255, 0, 0) and img.getpixel((12, 12)) == (0, 0, 255)
        assert max(img.crop((100, 100, 116, 108)).getdata()) == (255, 255, 255)
