"""The studio's Photos and Train pages do what `train` does: a photo folder with train/ and
validation/ folders is shown, edited and trained on as train reads it; the default epochs
are train's; the result says what train's report says (near-copies, an early stop, the next
step); TensorFlow's own log lines stay out of the training log. Real photos (openmv-mice),
the real server on a socket."""
import json
import os
import shutil
import time

from tests.support import DATASET
from host_tools.train import EPOCHS
from tests.support.studio_client import studio  # noqa: F401 (fixture)

TF_CHATTER = ("oneDNN", "cpu_feature_guard", "absl::InitializeLog", "I0000 ", "W0000 ", "E0000 ", "cuda")


def copy(data, split, label, n, start):
    os.makedirs(data / split / label, exist_ok=True)
    src = os.path.join(DATASET, split, label)
    names = sorted(os.listdir(src))[start:start + n * 9:9]   # spread out: not one burst
    for f in names:
        shutil.copy(os.path.join(src, f), data / split / label / f)
    return names


def photos_by_split(summary, label):
    return {(p["split"], p["name"]): p["problem"] for c in summary["classes"] if c["name"] == label
            for p in c["photos"]}


def test_a_train_and_validation_folder_is_shown_edited_and_trained_as_train_reads_it(studio, tmp_path, openmv_mice):
    c, data = studio.client, tmp_path / "photos"
    black = copy(data, "train", "black", 6, 0)
    copy(data, "train", "white", 6, 0)
    val_black = copy(data, "validation", "black", 2, 0)
    copy(data, "validation", "white", 2, 0)
    shutil.copy(data / "train" / "black" / black[0], data / "validation" / "black" / "leak.jpg")
    status, s = c.get("/api/dataset")
    assert status == 200 and s["layout"] == "split" and s["splits"] == ["train", "validation"]
    b = photos_by_split(s, "black")
    assert b[("validation", "leak.jpg")] == f"duplicate of train/black/{black[0]}"   # train's own rule
    assert all(b[("train", n)] is None for n in black) and all(b[("validation", n)] is None for n in val_black)
    assert s["ready"] is True

    # photos by split: shown, added, deleted
    assert c.get(f"/thumb/black/{val_black[0]}?split=validation")[0] == 200
    assert c.get(f"/photo/black/{val_black[0]}")[0] == 404                        # train/ by default
    status, r = c.get(f"/photo/black/{val_black[0]}?split=nowhere")
    assert status == 404 and "split 'nowhere': choose one of train, validation" in r
    folder = os.path.join(DATASET, "validation", "white")
    extra = open(os.path.join(folder, sorted(os.listdir(folder))[50]), "rb").read()
    status, r = c.upload_to("/api/photo/upload?class=white&split=validation", [("extra.jpg", extra)])
    assert status == 200 and r["saved"] == ["extra.jpg"]
    assert (data / "validation" / "white" / "extra.jpg").is_file()
    assert c.post("/api/photo/delete", {"class": "black", "name": "leak.jpg", "split": "validation"})[0] == 200
    assert not (data / "validation" / "black" / "leak.jpg").exists()
    # a class lives in train/ and validation/ alike, as train requires
    assert c.post("/api/class/add", {"class": "nothing"})[0] == 200
    assert (data / "train" / "nothing").is_dir() and (data / "validation" / "nothing").is_dir()
    assert c.post("/api/class/rename", {"class": "nothing", "new": "empty desk"})[0] == 200
    assert sorted(os.listdir(data / "validation")) == ["black", "empty desk", "white"]
    assert c.post("/api/class/delete", {"class": "empty desk"})[0] == 200
    assert sorted(os.listdir(data / "train")) == sorted(os.listdir(data / "validation")) == ["black", "white"]

    # training with the page's defaults: train's epochs
    assert c.post("/api/train/start", {"arch": "v1"})[0] == 200
    deadline = time.monotonic() + 600
    while (st := c.get("/api/train/status")[1])["state"] in ("running", "cancelling"):
        assert time.monotonic() < deadline, st["log"][-5:]
        time.sleep(1)
    assert st["state"] == "done", st["log"][-5:]
    assert st["options"]["epochs"] == EPOCHS["cached"] == st["epochs"][0]["epochs"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["dataset"]["layout"] == "split" and report["dataset"]["images"] == {"train": 12, "validation": 5}
    r = st["report"]
    assert r["near_copies"] == report["held_out_near_copies"] and r["advice"] == report["advice"]
    assert "validation/" in r["advice"] and f"make evaluate MODEL={tmp_path / 'out'}/model.blob DATA=" in r["advice"]
    ran = len(st["epochs"])
    assert r["epochs_run"] == ran == len(report["history"]["loss"])
    if ran < EPOCHS["cached"]:
        assert r["stopped_early"].startswith(f"Stopped early after epoch {ran} of {EPOCHS['cached']}: "
                                             "held-out loss no longer improved")
        assert any(r["stopped_early"] in line for line in st["log"])
    else:
        assert r["stopped_early"] is None
    chatter = [line for line in st["log"] if any(t in line for t in TF_CHATTER)]
    assert chatter == []


def test_the_pages_read_trains_defaults_and_suggest_a_background_class(studio):
    c = studio.client
    page = c.get("/train")[1]
    assert f'value="{EPOCHS["cached"]}"' in page and f'data-v2="{EPOCHS["full"]}"' in page
    assert "V1 starts from person/no-person weights that <code>make setup</code> fetched: it trains" in page
    assert "V2 starts from ImageNet weights that <code>make setup</code> does not fetch" in page
    page = c.get("/dataset")[1]
    assert "nothing in particular" in page and 'id="add-background"' in page
    status, r = c.post("/api/train/start", {"arch": "v1", "epochs": 0})
    assert status == 400 and "epochs must be a whole number from 1 to" in r["error"]


def test_studio_start_up_errors_name_the_make_variable_and_the_option(tmp_path):
    from host_tools import UserError
    from host_tools.studio.server import Studio
    (tmp_path / "photos").mkdir()
    try:
        Studio(str(tmp_path / "photos"), str(tmp_path / "photos" / "out"))
    except UserError as e:
        message = str(e)
    assert "must not be inside" in message and "DATA=" in message and "--data" in message
    assert "OUT=" in message and "--out" in message
