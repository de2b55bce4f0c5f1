"""No held-out photo is trained on: a spy on what the training step really receives.

However the held-out photos are chosen (by file hash, by burst of near-duplicates, or given
as validation/), the report names them. The spy records every pixel row handed to the
cached recipe's feature step (the only way pixels reach the trained layers), the number of
rows the epochs then run on, and the calibration images; none may be a held-out photo.
"""
import json
import os
import shutil

import numpy as np

from host_tools.data.images import load_pixels

PER_CLASS = 8


def rows(pixels):
    """Each image's bytes: two images are the same photo when their decoded pixels are."""
    return {bytes(np.ascontiguousarray(p)) for p in pixels}


def test_no_held_out_photo_reaches_training_or_calibration(openmv_mice, tmp_path, monkeypatch):
    import host_tools.train.cached as cached
    import host_tools.train.fit as fit
    import host_tools.train.train as train
    data = tmp_path / "data"
    for label in ("black", "white"):  # flat class folders: train draws the held-out photos itself
        folder = os.path.join(openmv_mice, "train", label)
        names = sorted(os.listdir(folder))
        (data / label).mkdir(parents=True)
        for name in names[::len(names) // PER_CLASS][:PER_CLASS]:  # spread over the set
            shutil.copy(os.path.join(folder, name), data / label / name)

    seen = {"features": [], "epochs": [], "calibration": []}
    real_features, real_epochs, real_convert = cached.training_features, fit.run_epochs, train.convert

    def features_spy(front, pixels, y, *args, **kwargs):
        x, labels = real_features(front, pixels, y, *args, **kwargs)
        seen["features"].append((np.array(pixels), len(x)))
        return x, labels

    def epochs_spy(model, x, y, *args, **kwargs):
        seen["epochs"].append(len(x))
        return real_epochs(model, x, y, *args, **kwargs)

    def convert_spy(model, calibration):
        seen["calibration"].append(np.array(calibration))
        return real_convert(model, calibration)

    monkeypatch.setattr(cached, "training_features", features_spy)
    monkeypatch.setattr(fit, "run_epochs", epochs_spy)
    monkeypatch.setattr(train, "convert", convert_spy)
    cfg = train.Config(str(data), str(tmp_path / "out"), epochs=1, batch_size=8, copies=1, calibration=6)
    report = train.train(cfg)

    held_out = [p["image"] for p in report["validation_predictions"]]
    assert held_out and report["dataset"]["images"]["validation"] == len(held_out)
    held_rows = rows(load_pixels(p, 96) for p in held_out)
    assert len(held_rows) == len(held_out)  # distinct photos: a match below is that photo

    (trained, n_features), = seen["features"]  # one feature step, with the photo and 1 copy of each
    leaked = len(rows(trained) & held_rows)
    assert leaked == 0, f"{leaked} of {len(held_out)} held-out photos were trained on"
    assert len(trained) == report["dataset"]["images"]["train"] > 0
    assert seen["epochs"] == [n_features] == [2 * len(trained)], "rows were added after the feature step"
    (calibration,) = seen["calibration"]
    leaked = len(rows(calibration) & held_rows)
    assert len(calibration) and leaked == 0, f"{leaked} held-out photos calibrated the int8 model"
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [p["image"] for p in saved["validation_predictions"]] == held_out
