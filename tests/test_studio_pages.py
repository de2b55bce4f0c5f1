"""The studio's API gives what the command-line functions give: train's checks next to the
photos concerned, classify's labels and confidences, evaluate's confusion matrix, the
boards and their fit. Real photos (openmv-mice), the real server on a socket."""
import os
import shutil

import pytest

from tests.support import DATASET
from host_tools.blob import read
from host_tools.infer.classify import classify
from host_tools.infer.evaluate import evaluate
from host_tools.device.fit import profile
from tests.support.studio_client import studio  # noqa: F401 (fixture)

MICE = os.path.join(DATASET, "train")
pytestmark = pytest.mark.usefixtures("openmv_mice")  # every test here uploads mice photos


def copy(data, label, n, start=0, source=None):
    """n mice photos of class source (default: label) into data/label."""
    source = source or label
    os.makedirs(data / label, exist_ok=True)
    names = sorted(os.listdir(os.path.join(MICE, source)))[start:start + n]
    for f in names:
        shutil.copy(os.path.join(MICE, source, f), data / label / f)
    return names


def photos_of(summary, label):
    return {p["name"]: p["problem"] for c in summary["classes"] if c["name"] == label for p in c["photos"]}


def test_trains_checks_are_shown_next_to_the_photos_concerned(studio, tmp_path):
    data = tmp_path / "photos"
    black = copy(data, "black", 6)
    white = copy(data, "white", 4)
    shutil.copy(data / "black" / black[0], data / "black" / "again.jpg")          # same bytes, same class
    shutil.copy(data / "black" / black[1], data / "white" / "which.jpg")          # same bytes, two classes
    (data / "white" / "broken.jpg").write_bytes(open(data / "white" / white[0], "rb").read()[:600])
    (data / "white" / "notes.txt").write_text("not a photo")
    status, s = studio.client.get("/api/dataset")
    assert status == 200
    b, w = photos_of(s, "black"), photos_of(s, "white")
    assert b["again.jpg"] == f"duplicate of black/{black[0]}"
    assert b[black[1]] == w["which.jpg"] == "identical bytes in classes black, white: label unknown"
    assert w["broken.jpg"].startswith("damaged image")
    assert w["notes.txt"] == "not an image Pillow can read"
    assert all(b[n] is None for n in black[2:]) and all(w[n] is None for n in white)
    classes = {c["name"]: c for c in s["classes"]}
    assert classes["black"]["usable"] == 5 and classes["black"]["problem"] is None
    assert classes["white"]["usable"] == 4 and "only 4 usable photos" in classes["white"]["problem"]
    assert s["ready"] is False


def test_classify_and_evaluate_answer_as_the_commands_functions(studio, tmp_path, default_blob):
    c = studio.client
    photos = [os.path.join(MICE, label, sorted(os.listdir(os.path.join(MICE, label)))[i])
              for label in ("black", "white") for i in (300, 301)]
    files = [(os.path.basename(p), open(p, "rb").read()) for p in photos] + [("notes.jpg", b"text")]
    status, r = c.upload_to("/api/classify", files)
    assert status == 200 and r["model"] == default_blob
    want = [res for _, res, _ in classify(read(default_blob), photos, workers=1)]
    got = r["results"]
    assert [g["label"] for g in got[:4]] == [w["label"] for w in want]
    assert [g["confidence"] for g in got[:4]] == [w["confidence"] for w in want]
    assert [g["scores"] for g in got[:4]] == [w["scores"] for w in want]
    assert got[4] == {"name": "notes.jpg", "error": "notes.jpg: not an image (or a damaged one); refused"}

    folder = tmp_path / "out" / "labelled"      # (the studio checks folders inside its photo or output folder)
    for label in ("person", "non_person"):
        os.makedirs(folder / label)
    for p in photos:
        shutil.copy(p, folder / "non_person")
    shutil.copy(photos[0], folder / "person" / "a.jpg")
    status, r = c.post("/api/evaluate", {"folder": str(folder)})
    assert status == 200
    e = evaluate(default_blob, str(folder))
    assert r["confusion"] == e["confusion"] and r["accuracy"] == e["accuracy"] and r["images"] == 5
    status, r = c.post("/api/evaluate", {"folder": str(tmp_path / "out" / "nowhere")})
    assert status == 400 and "no such folder" in r["error"]


def test_the_device_page_lists_every_board_with_its_fit(studio, default_blob):
    status, r = studio.client.get("/api/boards")
    assert status == 200 and r["model"]["labels"] == ["person", "non_person"]
    want = {row["board"]: row["fits"] for row in profile(default_blob)["boards"]}
    assert {b["name"]: b["fits"] for b in r["boards"]} == want
    assert "host" in r["emulated"] and set(want) <= set(r["emulated"])


def test_classes_are_added_renamed_and_deleted_and_photos_deleted(studio, tmp_path):
    c, data = studio.client, tmp_path / "photos"
    assert c.post("/api/class/add", {"class": "mug"})[0] == 200
    assert c.post("/api/class/add", {"class": "mug"}) == (400, {"error": "class 'mug' already exists"})
    names = copy(data, "mug", 3, source="black")
    assert c.post("/api/class/rename", {"class": "mug", "new": "tasse à café"})[0] == 200
    assert sorted(os.listdir(data / "tasse à café")) == names and not (data / "mug").exists()
    assert c.post("/api/photo/delete", {"class": "tasse à café", "name": names[0]})[0] == 200
    assert sorted(os.listdir(data / "tasse à café")) == names[1:]
    status, r = c.post("/api/photo/delete", {"class": "tasse à café", "name": names[0]})
    assert status == 400 and "no such photo" in r["error"]
    copy(data, "white", 1)
    assert c.post("/api/class/rename", {"class": "tasse à café", "new": "white"})[0] == 400   # taken
    assert c.post("/api/class/delete", {"class": "tasse à café"})[0] == 200
    assert os.listdir(data) == ["white"]
    assert [x["name"] for x in c.get("/api/dataset")[1]["classes"]] == ["white"]
