"""The fast JPEG path gives Pillow's pixels, and leaves every other file to Pillow."""
import io

import numpy as np
import pytest
from PIL import Image

from tests.support import mice_photos, reference
from host_tools.data import images, jpeg


def pillow_pixels(path):
    with Image.open(path) as img:
        img.load()
        return np.asarray(img)


@pytest.fixture
def pillow_only(monkeypatch):
    """load_pixels with the fast path off: the documented Pillow route."""
    def load(path, size, channels):
        monkeypatch.setitem(jpeg._state, "usable", False)
        try:
            return images.load_pixels(path, size, channels)
        finally:
            monkeypatch.setitem(jpeg._state, "usable", True)
    return load


@pytest.fixture(scope="module")
def variants(tmp_path_factory, photos):
    """Real photos saved as plain JPEGs of many kinds: sizes, qualities,
    chroma subsampling, progressive, restart intervals, gray."""
    folder = tmp_path_factory.mktemp("jpegs")
    out = []
    kinds = [dict(quality=90), dict(quality=40, subsampling=0), dict(quality=75, subsampling=1),
             dict(quality=95, progressive=True), dict(quality=85, restart_marker_blocks=4)]
    for i, p in enumerate(photos):
        with Image.open(p) as img:
            img = img.convert("RGB")
            for k, kind in enumerate(kinds):
                for size in ((96, 96), (97, 61), (320, 240)):
                    path = str(folder / f"{i}_{k}_{size[0]}.jpg")
                    img.resize(size).save(path, **kind)
                    out.append(path)
            gray = str(folder / f"{i}_gray.jpg")
            img.convert("L").resize((120, 90)).save(gray, quality=80)
            out.append(gray)
    return out


def test_dataset_and_variants_decode_to_pillows_pixels(variants, openmv_mice):
    paths = mice_photos(openmv_mice)
    assert len(paths) > 1000
    for path in paths + variants:
        fast = jpeg.decode(path)
        assert fast is not None, path  # every one of them is plain
        np.testing.assert_array_equal(fast, pillow_pixels(path))


@pytest.mark.parametrize("channels", [3, 1])
def test_model_pixels_equal_pillow_and_numpy(variants, pillow_only, channels):
    """Both routes of load_pixels, against Pillow's decode, a numpy centre square and
    Pillow's resize (tests/support/reference.py: no host_tools code)."""
    for path in variants:
        want = reference.file_model_pixels(path, 96, channels)
        np.testing.assert_array_equal(images.load_pixels(path, 96, channels), want, err_msg=path)
        np.testing.assert_array_equal(pillow_only(path, 96, channels), want, err_msg=path)


def test_exif_orientation_goes_to_pillow_and_is_applied(tmp_path, photos, pillow_only):
    path = str(tmp_path / "rotated.jpg")
    with Image.open(photos[0]) as img:
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90 degrees clockwise to display
        img.convert("RGB").resize((128, 96)).save(path, exif=exif)
    assert jpeg.decode(path) is None
    px = images.load_pixels(path, 96, 3)
    np.testing.assert_array_equal(px, pillow_only(path, 96, 3))
    with Image.open(path) as img:
        upright = np.asarray(img.convert("RGB").transpose(Image.Transpose.ROTATE_270))
    assert upright.shape == (128, 96, 3)
    np.testing.assert_array_equal(px, reference.model_pixels(upright, 96))


def test_cmyk_and_other_formats_go_to_pillow(tmp_path, photos):
    with Image.open(photos[0]) as img:
        img = img.convert("RGB").resize((64, 48))
        img.convert("CMYK").save(tmp_path / "cmyk.jpg")
        img.save(tmp_path / "a.png")
        img.save(tmp_path / "xmp.jpg", xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta>")
    for name in ("cmyk.jpg", "a.png", "xmp.jpg"):
        assert jpeg.decode(str(tmp_path / name)) is None, name


def test_damaged_jpegs_get_pillows_verdict(tmp_path, variants, pillow_only):
    data = open(variants[0], "rb").read()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    assert jpeg.decode(str(cut)) is None
    with pytest.raises(images.ImageError) as fast:
        images.load_pixels(str(cut), 96, 3)
    with pytest.raises(images.ImageError) as slow:
        pillow_only(str(cut), 96, 3)
    assert str(fast.value) == str(slow.value)
    assert "truncated" in str(fast.value)


def test_too_many_pixels_goes_to_pillow(tmp_path, variants, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 96 * 96 - 1)
    assert jpeg.decode(variants[0]) is None
    with pytest.raises(images.ImageError, match="decompression bomb"):
        images.load_pixels(variants[0], 96, 3)


def test_a_decoder_that_disagrees_with_pillow_is_switched_off(variants, monkeypatch):
    monkeypatch.setitem(jpeg._state, "checked", False)
    monkeypatch.setitem(jpeg._state, "usable", True)
    monkeypatch.setattr(jpeg, "_pillow_pixels", lambda data: np.zeros(1, np.uint8))
    assert jpeg.decode(variants[0]) is None
    assert jpeg._state == {"checked": True, "usable": False}
    assert jpeg.decode(variants[1]) is None  # for good


def test_plain_marker_scan():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 30)).save(buf, "JPEG")
    data = buf.getvalue()
    assert jpeg.is_plain_jpeg(data)
    assert not jpeg.is_plain_jpeg(data[:20])
    assert not jpeg.is_plain_jpeg(b"\x89PNG" + data)
    app1 = b"\xff\xe1\x00\x08Exif\x00\x00"
    assert not jpeg.is_plain_jpeg(data[:2] + app1 + data[2:])
