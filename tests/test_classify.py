"""`classify`: real photos, device-exact engines, input order, and bad input."""
import json

import numpy as np
import pytest
from PIL import Image

from tests.support import reference, run_cli
from host_tools.blob import read
from host_tools.infer.engine import LiteRTEngine, TflmEngine
from host_tools.data.images import load_pixels, quantize_input
from host_tools.data.samples import sample_path


def _json_lines(out):
    return [json.loads(line) for line in out.splitlines()]


def test_person_and_not_person_on_real_photos(default_blob):
    paths = [sample_path("astronaut.png"), sample_path("coffee.png"), sample_path("chelsea.png")]
    status, out, err = run_cli("classify", "--json", "--model", default_blob, *paths)
    assert status == 0, err
    rows = _json_lines(out)
    assert [r["image"] for r in rows] == paths
    assert rows[0]["label"] == "person" and rows[0]["confidence"] >= 0.8
    assert rows[1]["label"] == "non_person" and rows[1]["confidence"] >= 0.8
    assert rows[2]["label"] == "non_person"
    for r in rows:
        assert set(r["scores"]) == {"person", "non_person"}
        assert r["confidence"] == max(r["scores"].values())


def test_litert_builtin_kernels_equal_tflite_micro_on_real_photos(default_blob, photos):
    from host_tools.data.samples import crops
    blob = read(default_blob)
    litert, tflm = LiteRTEngine(blob.model), TflmEngine(blob.model)
    inputs = [reference.int8_input(p, blob.in_scale, blob.in_zero)  # the documented rule, in numpy
              for path in photos for p in crops(path, 96, 3, count=3, seed=7)]
    got = np.stack([litert.run(x) for x in inputs])
    want = np.stack([tflm.run(x) for x in inputs])
    np.testing.assert_array_equal(got, want)
    assert len(set(map(tuple, want))) > 10  # the photos really give different outputs


def test_quantize_input_is_the_documented_rule(default_blob, photos):
    blob = read(default_blob)
    pixels = np.stack([reference.file_model_pixels(p, 96) for p in photos])
    want = reference.int8_input(pixels, blob.in_scale, blob.in_zero)
    np.testing.assert_array_equal(quantize_input(pixels, blob.in_scale, blob.in_zero), want)
    np.testing.assert_array_equal(want.view(np.uint8), pixels ^ 0x80)  # scale 1, zero -128: p - 128
    ramp = np.arange(256, dtype=np.uint8)
    for scale, zero in ((0.75, -3), (2.5, 7), (1 / 3, -128)):  # rounding and clamping at both ends
        np.testing.assert_array_equal(quantize_input(ramp, scale, zero), reference.int8_input(ramp, scale, zero))


def test_classify_equals_tflite_micro_on_pillow_pixels(default_blob, photos):
    """classify's scores, against tflite-micro's own runtime fed from Pillow and numpy directly."""
    from tflite_micro import runtime
    blob = read(default_blob)
    status, out, err = run_cli("classify", "--json", "--model", default_blob, *photos[:6])
    assert status == 0, err
    interp = runtime.Interpreter.from_bytes(bytes(blob.model))
    for path, row in zip(photos[:6], _json_lines(out)):
        x = reference.int8_input(reference.file_model_pixels(path, 96), blob.in_scale, blob.in_zero)
        interp.set_input(x[None], 0)
        interp.invoke()
        q = np.array(interp.get_output(0)).reshape(-1).astype(np.float64)
        scores = (q - blob.out_zero) * blob.out_scale
        assert row["scores"] == dict(zip(blob.labels, scores.tolist())), path
        assert row["label"] == blob.labels[int(np.argmax(q))]


def test_engine_flag_gives_identical_results(default_blob, photos):
    a = run_cli("classify", "--json", "--model", default_blob, *photos[:6])
    b = run_cli("classify", "--json", "--engine", "tflm", "--model", default_blob, *photos[:6])
    assert a[0] == b[0] == 0
    assert _json_lines(a[1]) == _json_lines(b[1])


def test_bad_inputs_are_reported_and_the_rest_still_classified_in_order(default_blob, tmp_path):
    good = sample_path("astronaut.png")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    truncated = tmp_path / "cut.jpg"
    Image.open(sample_path("chelsea.png")).convert("RGB").save(truncated, quality=90)
    truncated.write_bytes(truncated.read_bytes()[:3000])
    missing = tmp_path / "missing.png"
    args = [good, str(missing), str(tmp_path), str(text), str(truncated), sample_path("coffee.png")]
    status, out, err = run_cli("classify", "--model", default_blob, *args)
    assert status == 1
    assert [line.split(":")[0] for line in out.splitlines()] == [good, sample_path("coffee.png")]
    lines = err.splitlines()
    assert len(lines) == 4 and "Traceback" not in err
    assert f"{missing}: no such file" in lines[0]
    assert f"{tmp_path}: is a directory" in lines[1]
    assert f"{text}: not an image" in lines[2]
    assert f"{truncated}: damaged image" in lines[3]


def test_no_images_is_a_clear_error():
    status, out, err = run_cli("classify")
    assert status != 0 and out == ""
    assert err.strip() == "classify: no images given: pass one or more image files"


def test_modes_are_converted_not_rejected(default_blob, tmp_path):
    rgb = Image.open(sample_path("astronaut.png")).convert("RGB")
    gray = rgb.convert("L")
    gray.save(tmp_path / "gray.png")
    g16 = np.asarray(gray).astype(np.uint16) * 257  # the same picture in 16 bits
    Image.fromarray(g16).save(tmp_path / "gray16.png")
    rgb.convert("RGBA").save(tmp_path / "rgba.png")
    rgb.convert("P", palette=Image.ADAPTIVE).save(tmp_path / "palette.png")
    names = ["gray.png", "gray16.png", "rgba.png", "palette.png"]
    status, out, err = run_cli("classify", "--json", "--model", default_blob,
                               *[str(tmp_path / n) for n in names])
    assert status == 0, err
    rows = _json_lines(out)
    assert [r["label"] for r in rows] == ["person"] * 4
    np.testing.assert_array_equal(load_pixels(str(tmp_path / "gray16.png"), 96),
                                  load_pixels(str(tmp_path / "gray.png"), 96))
    assert rows[0]["scores"] == rows[1]["scores"]


def test_transparent_pixels_become_white(tmp_path):
    img = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    img.save(tmp_path / "clear.png")
    np.testing.assert_array_equal(load_pixels(str(tmp_path / "clear.png"), 8), np.full((8, 8, 3), 255, np.uint8))


@pytest.mark.parametrize("size", [(300, 200), (200, 300)])
def test_centre_square_crop(tmp_path, size):
    # Left/top third black, rest white: the centred square of a 3:2 picture is all white.
    w, h = size
    a = np.full((h, w, 3), 255, np.uint8)
    if w > h:
        a[:, : (w - h) // 2] = 0
    else:
        a[: (h - w) // 2] = 0
    Image.fromarray(a).save(tmp_path / "x.png")
    np.testing.assert_array_equal(load_pixels(str(tmp_path / "x.png"), 16), np.full((16, 16, 3), 255, np.uint8))


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("size", [300, 96])
def test_centre_crop_is_exact_when_the_sides_differ_by_an_odd_number(tmp_path, transpose, size):
    """chelsea is 451x300: 151 columns to drop, 75 on the left. The reference slices the
    decoded array with numpy (and resizes that square with Pillow); at size 300 there is no
    resize, so a crop one column off cannot hide."""
    a = reference.decoded(sample_path("chelsea.png"))
    if transpose:
        a = np.ascontiguousarray(a.transpose(1, 0, 2))  # 300x451: 151 rows to drop
    assert (max(a.shape[:2]) - min(a.shape[:2])) % 2 == 1
    path = tmp_path / "odd.png"
    Image.fromarray(a).save(path)
    want = reference.model_pixels(a, size)
    np.testing.assert_array_equal(load_pixels(str(path), size), want)
    np.testing.assert_array_equal(load_pixels(str(path), size, 1),
                                  reference.model_pixels(reference.decoded(str(path), 1), size))
    if size == 300:
        np.testing.assert_array_equal(want, a[75:375] if transpose else a[:, 75:375])
