"""Reading a training folder: layouts, de-duplication, the split, and bad input (no training here)."""
import os
import shutil

import numpy as np
import pytest

from tests.support import DATASET, run_cli
from tests.support.bursts import burst_of, make_bursts
from tests.support.synthetic import make_dataset
from host_tools import UserError
from host_tools.data import dataset, nearcopies
from host_tools.data.dataset import MIN_PER_CLASS, load_training_data
from host_tools.data.images import load_pixels

MICE = os.path.join(DATASET, "train", "black")


def test_a_burst_is_never_split_between_training_and_held_out_photos(tmp_path, openmv_mice):
    data = make_bursts(tmp_path / "bursts", per_class=12, step=15)
    d = load_training_data(str(data), 96, 3, 0.3, seed=0)
    held, trained = {burst_of(p) for p in d.val.paths}, {burst_of(p) for p in d.train.paths}
    assert held and not held & trained
    assert d.val.counts(2) == [9, 9]  # 3 bursts of 3 of each class's 36 photos: 30% held out
    s = d.near_copy_summary()
    assert s["held_out"] == 0 and d.near_copy.sum() == 0
    assert s["bursts"]["photos"] == 72 and 20 <= s["bursts"]["groups"] <= 24  # every frame found with its burst
    # (a group may join two bursts: photos 30 frames apart are near-copies when the camera held still)
    # A split photo by photo (as before) holds out near-copies of training photos, and they are found.
    entries = [(p, d.labels[y], None, dataset.sha256_file(p))
               for p, y in zip(d.train.paths + d.val.paths, np.concatenate([d.train.y, d.val.y]))]
    train, val = dataset.stratified_split(entries, d.labels, 0.3, seed=0)
    code = lambda es: nearcopies.hashes(np.stack([load_pixels(e[0], 96) for e in es]))  # noqa: E731
    near = nearcopies.near_copies(code(val), code(train))
    assert near.tolist() == [burst_of(e[0]) in {burst_of(t[0]) for t in train} for e in val]
    assert near.mean() > 0.8


def test_the_near_copy_threshold_separates_bursts_from_other_moments_on_real_photos(openmv_mice):
    """openmv-mice: train/ is frames of one sequence; validation/ a block of it cut out.
    Neighbouring frames are mostly near-copies; a validation photo is mostly not a
    near-copy of any training photo; linking near-copies does not chain a class into one group."""
    def load(split):
        folder = os.path.join(DATASET, split, "black")
        return nearcopies.hashes(np.stack([load_pixels(os.path.join(folder, n), 96)
                                           for n in sorted(os.listdir(folder))]))
    train, val = load("train"), load("validation")
    neighbours = np.bitwise_count(train[1:] ^ train[:-1]).sum(axis=1)
    assert np.median(neighbours) < nearcopies.NEAR_COPY_BITS
    nearest = nearcopies.distances(val, train).min(axis=1)
    assert np.median(nearest) > 1.5 * nearcopies.NEAR_COPY_BITS
    sizes = np.bincount(nearcopies.groups(np.concatenate([train, val])))
    assert sizes.max() < 0.1 * sizes.sum()


def test_split_is_stratified_reproducible_and_pixels_equal_classify(tmp_path):
    data = make_dataset(tmp_path / "data", per_class=10)
    a = load_training_data(str(data), 96, 3, val_fraction=0.3, seed=7)
    b = load_training_data(str(data), 96, 3, val_fraction=0.3, seed=7)
    assert a.labels == b.labels == ["checks", "stripes"]
    assert a.train.paths == b.train.paths and a.val.paths == b.val.paths
    assert a.val.counts(2) == [3, 3] and a.train.counts(2) == [7, 7]
    assert not set(a.train.paths) & set(a.val.paths)
    others = [load_training_data(str(data), 96, 3, 0.3, seed=s).val.paths for s in (1, 2, 3)]
    assert any(o != a.val.paths for o in others)  # the seed matters
    # The cached pixels are exactly what `classify` feeds the model.
    for path, px in zip(a.val.paths, a.val.pixels):
        np.testing.assert_array_equal(px, load_pixels(path, 96, 3))
    gray = load_training_data(str(data), 64, 1, 0.3, seed=7)
    assert gray.train.pixels.shape[1:] == (64, 64, 1)


def test_split_does_not_depend_on_file_names(tmp_path):
    data = make_dataset(tmp_path / "data", per_class=10)
    before = load_training_data(str(data), 32, 3, 0.3, seed=0)
    os.rename(data / "checks" / "000.png", data / "checks" / "zzz.png")
    after = load_training_data(str(data), 32, 3, 0.3, seed=0)
    rename = lambda p: p.replace("000.png", "zzz.png")  # noqa: E731
    assert sorted(map(rename, before.val.paths)) == sorted(after.val.paths)


def test_duplicates_unreadable_and_hidden_files_are_skipped_and_listed(tmp_path):
    data = make_dataset(tmp_path / "data", per_class=8)
    shutil.copy(data / "checks" / "000.png", data / "checks" / "copy.png")        # same class: one kept
    shutil.copy(data / "stripes" / "001.png", data / "checks" / "confused.png")   # two classes: both dropped
    (data / "stripes" / "notes.txt").write_text("not an image")
    (data / "stripes" / "cut.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 50)
    (data / "stripes" / ".DS_Store").write_bytes(b"\0\1")
    (data / "README.md").write_text("loose file")
    d = load_training_data(str(data), 32, 3, 0.3, seed=0)
    reasons = dict(d.skipped)
    s = lambda *parts: str(data.joinpath(*parts))  # noqa: E731
    assert reasons[s("checks", "copy.png")] == f"duplicate of {s('checks', '000.png')}"
    assert "classes checks, stripes" in reasons[s("checks", "confused.png")]
    assert "classes checks, stripes" in reasons[s("stripes", "001.png")]
    assert "not an image" in reasons[s("stripes", "notes.txt")]
    assert s("stripes", "cut.jpg") in reasons
    assert reasons[s("stripes", ".DS_Store")] == "hidden file or folder"
    assert reasons[s("README.md")] == "not inside a class folder"
    assert len(d.duplicates) == 2
    used = d.train.paths + d.val.paths
    assert len(used) == 8 + 7  # checks: 8 (copy dropped); stripes: 8 minus 001
    assert not set(used) & set(reasons)


def test_split_folders_are_used_as_given(tmp_path):
    root = tmp_path / "data"
    make_dataset(root / "train", per_class=6)
    make_dataset(root / "validation", per_class=2, start=100)
    # The same bytes in train/ and validation/ must not be held out as well as trained on.
    shutil.copy(root / "train" / "checks" / "000.png", root / "validation" / "checks" / "leak.png")
    d = load_training_data(str(root), 32, 3, val_fraction=0.5, seed=0)
    assert d.layout == "split"
    assert d.train.counts(2) == [6, 6] and d.val.counts(2) == [2, 2]
    assert all("/validation/" in p for p in d.val.paths)
    assert str(root / "validation" / "checks" / "leak.png") in dict(d.skipped)


@pytest.mark.parametrize("case, message", [
    ("missing", "no such folder"),
    ("empty", "needs at least 2 class folders (one per label); found none"),
    ("one_class", "needs at least 2 class folders (one per label); found only 'checks'"),
    ("too_few", f"too few images: 'stripes' has 3; each class needs at least {MIN_PER_CLASS}"),
    ("nested", "a folder inside class folder 'checks'"),
    ("long_label", "at most 64 fit in the blob"),
    ("bad_utf8", "its name is not valid UTF-8"),
    ("split_mismatch", "train/ and validation/ must hold the same class folders"),
    ("unreadable", "too few images: 'stripes' has 0"),
])
def test_bad_datasets_say_what_is_wrong(tmp_path, case, message):
    data = tmp_path / "data"
    data.mkdir()
    if case == "missing":
        data.rmdir()
    elif case == "one_class":
        make_dataset(data, classes=("checks",))
    elif case == "too_few":
        make_dataset(data, classes=("checks",))
        make_dataset(data, per_class=3, classes=("stripes",))
    elif case == "nested":
        make_dataset(data)
        (data / "checks" / "more").mkdir()
    elif case == "long_label":
        make_dataset(data, classes=("checks", "é" * 33))
    elif case == "bad_utf8":
        make_dataset(data)
        os.mkdir(os.path.join(os.fsencode(data), b"caf\xe9"))
    elif case == "split_mismatch":
        make_dataset(data / "train")
        make_dataset(data / "validation", classes=("checks",))
    elif case == "unreadable":
        make_dataset(data, classes=("checks",))
        (data / "stripes").mkdir()
        for i in range(6):
            (data / "stripes" / f"{i}.jpg").write_text(f"not a photo {i}")
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_training_data(str(data), 32, 3)


def test_bad_input_on_the_command_line_is_one_line_without_traceback(tmp_path):
    data = tmp_path / "data"
    make_dataset(data, classes=("checks",))
    status, out, err = run_cli("train", str(data), "--out", str(tmp_path / "out"))
    assert status == 2 and out == ""
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (f"train: {data}: needs at least 2 class folders (one per label); "
                                            "found only 'checks'")
    assert not (tmp_path / "out").exists() and os.listdir(tmp_path) == ["data"]
