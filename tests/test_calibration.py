"""int8 calibration images: the same number from every class, whatever the class sizes."""
import numpy as np
import pytest

from host_tools.train.train import calibration_indices

# An unbalanced set, classes interleaved as a folder walk would not give them: 70, 5 and 25 images.
COUNTS = (70, 5, 25)
Y = np.random.default_rng(11).permutation(np.repeat(np.arange(len(COUNTS)), COUNTS))


@pytest.mark.parametrize("limit, per_class", [(30, (10, 5, 10)), (60, (20, 5, 20)), (3, (1, 1, 1)),
                                              (300, COUNTS)])
def test_each_class_gets_its_share_on_an_unbalanced_set(limit, per_class):
    idx = calibration_indices(Y, len(COUNTS), limit, seed=0)
    assert idx.dtype == np.int64 and len(set(idx.tolist())) == len(idx)  # no image twice
    assert idx.min() >= 0 and idx.max() < len(Y)
    assert tuple(np.bincount(Y[idx], minlength=len(COUNTS))) == per_class


def test_the_choice_within_a_class_is_seeded_and_spread():
    a, b = calibration_indices(Y, 3, 30, seed=0), calibration_indices(Y, 3, 30, seed=0)
    np.testing.assert_array_equal(a, b)
    other = calibration_indices(Y, 3, 30, seed=1)
    assert set(a.tolist()) != set(other.tolist())
    big = np.flatnonzero(Y == 0)
    first = set(big[:10].tolist())
    assert not set(a.tolist()) >= first  # not simply the first images of the class


def test_a_class_with_no_training_image_gets_none():
    y = np.array([0, 0, 0, 2, 2, 2, 2])
    idx = calibration_indices(y, 3, 6, seed=0)
    assert tuple(np.bincount(y[idx], minlength=3)) == (2, 0, 2)
