"""`evaluate`: a labelled folder of real photos through the default blob."""
import json
import os
import shutil

import numpy as np
import pytest

from tests.support import run_cli
from host_tools.infer.evaluate import format_metrics, metrics
from host_tools.data.samples import sample_path

PERSON = ("astronaut.png",)
NON_PERSON = ("coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png")


def _folder(root):
    for label, names in (("person", PERSON), ("non_person", NON_PERSON)):
        os.makedirs(root / label, exist_ok=True)
        for n in names:
            shutil.copy(sample_path(n), root / label / n)
    return root


def test_metrics_by_hand():
    m = metrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 1], ["a", "b", "c"])
    assert m["accuracy"] == 0.6 and m["confusion"] == [[1, 1, 0], [0, 2, 0], [0, 1, 0]]
    assert m["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert m["per_class"]["b"]["precision"] == 0.5 and m["per_class"]["b"]["recall"] == 1.0
    assert m["per_class"]["c"] == {"precision": None, "recall": 0.0, "support": 1}
    text = format_metrics(m, ["a", "b", "c"])
    assert "accuracy: 60.0% (3 of 5 images)" in text and "n/a" in text


def test_evaluate_equals_classify_on_real_photos(default_blob, tmp_path):
    data = _folder(tmp_path / "data")
    (data / "person" / "notes.txt").write_text("not an image")
    status, out, err = run_cli("evaluate", "--json", "--model", default_blob, str(data))
    assert status == 1, err  # evaluated, but one file was not an image
    ev = json.loads(out)
    assert "notes.txt" in err and "Traceback" not in err
    assert ev["images"] == 5 and ev["labels"] == ["person", "non_person"]
    paths = [p["image"] for p in ev["predictions"]]
    status, out, err = run_cli("classify", "--json", "--model", default_blob, *paths)
    assert status == 0, err
    got = [json.loads(line) for line in out.splitlines()]
    assert [{k: p[k] for k in ("image", "label", "confidence", "scores")} for p in ev["predictions"]] == got
    truth = np.array([["person", "non_person"].index(p["true"]) for p in ev["predictions"]])
    pred = np.array([["person", "non_person"].index(r["label"]) for r in got])
    assert ev["accuracy"] == float(np.mean(truth == pred)) >= 0.8
    assert ev["confusion"] == metrics(truth, pred, ["person", "non_person"])["confusion"]
    status, text, _ = run_cli("evaluate", "--model", default_blob, str(data))
    assert status == 1  # notes.txt again
    assert f"accuracy: {ev['accuracy']:.1%}" in text and "confusion matrix" in text and "precision" in text


def test_split_layout_evaluates_validation(default_blob, tmp_path):
    data = tmp_path / "data"
    _folder(data / "train")
    _folder(data / "validation")
    os.remove(data / "validation" / "non_person" / "coffee.png")
    status, out, err = run_cli("evaluate", "--json", "--model", default_blob, str(data))
    assert status == 0, err
    assert "evaluating validation/" in err
    assert all("/validation/" in p["image"] for p in json.loads(out)["predictions"])
    assert json.loads(out)["images"] == 4


@pytest.mark.parametrize("case, message", [
    ("unknown", "class folder 'cat' not among the model's labels (person, non_person); "
                "folder names must match the labels"),
    ("empty", "no image files in class folders"),
    ("missing", "no such folder"),
])
def test_labels_must_match_the_blob(default_blob, tmp_path, case, message):
    data = tmp_path / "data"
    if case == "unknown":
        _folder(data)
        (data / "cat").mkdir()
        shutil.copy(sample_path("chelsea.png"), data / "cat")
    elif case == "empty":
        (data / "person").mkdir(parents=True)
    status, out, err = run_cli("evaluate", "--model", default_blob, str(data))
    assert status == 2 and out == "" and "Traceback" not in err
    assert message in err.strip().splitlines()[-1]
