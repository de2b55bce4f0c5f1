"""Attacks on the studio through the photo folder, over real HTTP (issue 16, items 8 to 10).

Links and pipes inside the photo folder, names the dataset walk hides, names
that are not UTF-8, uploads that leave nothing, leftovers of training runs.
As in test_studio_security.py, the `guarded` fixture checks that nothing
outside the photo and output folders changed and that the studio still answers.
"""
import json
import os

import pytest

from tests.support.attacks import bomb_png, guarded, mouse  # noqa: F401 (fixture)
from tests.support.studio_client import studio  # noqa: F401 (fixture)


def one_line_400(status, body):
    return status == 400 and isinstance(body, dict) and "\n" not in body["error"] and len(body["error"]) < 400


# --- 8, 9, 10: links, odd names, leftovers ----------------------------------------------------------------

def test_links_are_never_followed_out_and_operations_act_on_the_link(guarded, tmp_path):
    c = guarded.client
    data, secret = tmp_path / "photos", guarded.sentinel
    assert c.post("/api/class/add", {"class": "mug"})[0] == 200
    c.upload("mug", [mouse("black", i) for i in range(3)])
    os.symlink(secret, data / "outside")                 # a class linking out
    os.symlink(data / "mug", data / "alias")             # a class linking to another class
    os.symlink(secret / "keep.jpg", data / "mug" / "stolen.jpg")   # a photo linking out
    os.mkfifo(data / "mug" / "pipe.jpg")                 # a pipe posing as a photo
    status, body = c.get("/api/dataset")
    assert status == 200 and "keep.jpg" not in json.dumps(body) and "victim" not in json.dumps(body)
    by = {k["name"]: k for k in body["classes"]}
    assert by["outside"]["photos"] == [] and "outside the photo folder" in by["outside"]["problem"]
    flagged = {p["name"]: p["problem"] for p in by["mug"]["photos"] if p["problem"]}
    assert "outside the photo folder" in flagged["stolen.jpg"] and flagged["pipe.jpg"]
    assert c.get("/photo/mug/stolen.jpg")[0] == 404 and c.get("/photo/outside/keep.jpg")[0] == 404
    assert c.upload("outside", [mouse()])[0] == 400 and c.upload("alias", [mouse()])[0] == 400
    mug = sorted(os.listdir(data / "mug"))
    assert c.post("/api/class/rename", {"class": "alias", "new": "alias2"})[0] == 200
    assert os.path.islink(data / "alias2") and sorted(os.listdir(data / "mug")) == mug
    assert c.post("/api/class/delete", {"class": "alias2"})[0] == 200
    assert not os.path.lexists(data / "alias2") and sorted(os.listdir(data / "mug")) == mug
    for name in ("stolen.jpg", "pipe.jpg"):
        assert c.post("/api/photo/delete", {"class": "mug", "name": name})[0] == 200
    assert c.post("/api/photo/delete", {"class": "outside", "name": "keep.jpg"})[0] == 400
    assert c.post("/api/class/delete", {"class": "outside"})[0] == 200
    assert sorted(os.listdir(data)) == ["mug"] and len(os.listdir(data / "mug")) == 3


def test_evaluate_stays_in_the_photo_and_output_folders_and_names_nothing_outside(guarded, tmp_path):
    c = guarded.client
    secret = str(guarded.sentinel)
    for folder in (secret, "/etc", "~", str(tmp_path / "photos" / ".." / "sentinel")):
        status, body = c.post("/api/evaluate", {"folder": folder})
        assert one_line_400(status, body) and secret not in body["error"] and "/etc" not in body["error"]
    os.makedirs(tmp_path / "photos" / "a")
    os.symlink(guarded.sentinel, tmp_path / "photos" / "a" / "x")
    status, body = c.post("/api/evaluate", {"folder": ""})
    assert one_line_400(status, body) and body["error"].startswith("a/x: a link") and secret not in body["error"]


@pytest.mark.parametrize("name", ["__MACOSX", "Thumbs.db", "desktop.ini", ".git", "a\tb", "x\x7f"])
def test_names_the_dataset_walk_hides_are_no_class(guarded, tmp_path, name):
    status, body = guarded.client.post("/api/class/add", {"class": name})
    assert one_line_400(status, body)
    assert os.listdir(tmp_path / "photos") == []


def test_an_upload_with_every_file_refused_leaves_no_new_class(guarded, tmp_path):
    status, body = guarded.client.upload("mug", [("a.jpg", b"not an image"), ("b.png", bomb_png(30000, 30000))])
    assert status == 200 and body["saved"] == [] and len(body["refused"]) == 2
    assert os.listdir(tmp_path / "photos") == []


def test_odd_folder_names_are_listed_flagged_and_can_be_deleted(guarded, tmp_path):
    c = guarded.client
    data = tmp_path / "photos"
    os.mkdir(os.path.join(os.fsencode(data), b"bad\xff"))
    os.mkdir(data / "line\nbreak")
    (data / "line\nbreak" / "p.jpg").write_bytes(mouse()[1])
    os.mkdir(data / "mug")
    with open(os.path.join(os.fsencode(data / "mug"), b"\xfe.jpg"), "wb") as f:
        f.write(mouse()[1])
    status, body = c.get("/api/dataset")
    assert status == 200, body
    by = {k["name"]: k for k in body["classes"]}
    assert set(by) == {"bad\\xff", "line\\x0abreak", "mug"}
    assert "not valid UTF-8" in by["bad\\xff"]["problem"] and "line break" in by["line\\x0abreak"]["problem"]
    assert by["mug"]["photos"][0]["name"] == "\\xfe.jpg" and by["mug"]["photos"][0]["problem"]
    assert c.post("/api/photo/delete", {"class": "mug", "name": "\\xfe.jpg"})[0] == 200
    assert c.post("/api/class/rename", {"class": "line\\x0abreak", "new": "line"})[0] == 200
    assert c.post("/api/class/delete", {"class": "bad\\xff"})[0] == 200
    assert sorted(os.listdir(data)) == ["line", "mug"] and os.listdir(data / "mug") == []


def test_training_runs_remove_their_temporary_folders(guarded, tmp_path):
    from tests.test_studio_safety import fill, wait_for
    c = guarded.client
    fill(tmp_path / "photos", 3)                          # too few: train fails fast
    works = []
    for _ in range(2):
        assert c.post("/api/train/start", {"arch": "v1", "epochs": 1})[0] == 200
        works.append(os.path.dirname(guarded.studio.training._events_path))
        assert wait_for(c, ("failed", "done"))["state"] == "failed"
        assert os.path.basename(works[-1]).startswith("studio-train-") and os.path.isdir(works[-1])
    assert not os.path.exists(works[0])                   # the next run removed the last one's
    guarded.studio.training.stop()                        # as the studio does when it stops
    assert not os.path.exists(works[1])


# --- the same rules in a train/ + validation/ folder (issue 16 item 8 with issue 17's split layout) -----------

def test_a_split_folder_keeps_the_link_rules_in_each_half(guarded, tmp_path):
    c = guarded.client
    data, secret = tmp_path / "photos", guarded.sentinel
    os.makedirs(data / "train")
    os.makedirs(data / "validation")
    assert c.post("/api/class/add", {"class": "mug"})[0] == 200           # made in both halves
    for split, first in (("train", 0), ("validation", 3)):
        status, r = c.upload_to(f"/api/photo/upload?class=mug&split={split}", [mouse("black", first + i)
                                                                               for i in range(3)])
        assert status == 200 and len(r["saved"]) == 3, r
    os.symlink(secret, data / "train" / "outside")                       # a class linking out, in train/
    os.symlink(data / "train" / "mug", data / "train" / "alias")         # a class linking to another class
    os.symlink(secret / "keep.jpg", data / "validation" / "mug" / "stolen.jpg")   # a photo linking out
    os.mkfifo(data / "train" / "mug" / "pipe.jpg")                       # a pipe posing as a photo
    status, body = c.get("/api/dataset")
    assert status == 200 and body["layout"] == "split"
    assert "keep.jpg" not in json.dumps(body) and "victim" not in json.dumps(body)
    by = {k["name"]: k for k in body["classes"]}
    assert by["outside"]["photos"] == [] and "outside the photo folder" in by["outside"]["problem"]
    flagged = {(p["split"], p["name"]): p["problem"] for p in by["mug"]["photos"] if p["problem"]}
    assert {("validation", "stolen.jpg"), ("train", "pipe.jpg")} <= set(flagged)   # (and alias's copies)
    assert "outside the photo folder" in flagged[("validation", "stolen.jpg")]
    assert c.get("/photo/mug/stolen.jpg?split=validation")[0] == 404
    assert c.get("/photo/outside/keep.jpg?split=train")[0] == 404
    for cls in ("outside", "alias"):
        assert c.upload_to(f"/api/photo/upload?class={cls}&split=train", [mouse()])[0] == 400
    # the split is one of train and validation, checked before anything is read or written
    for bad in ("nowhere", "../train", "train/mug"):
        assert one_line_400(*c.upload_to(f"/api/photo/upload?class=cup&split={bad}", [mouse()]))
    assert one_line_400(*c.post("/api/photo/delete", {"class": "mug", "name": "pipe.jpg", "split": 5}))
    assert one_line_400(*c.post("/api/photo/delete", {"class": "mug", "name": "pipe.jpg", "split": "x"}))
    assert not os.path.lexists(data / "train" / "cup") and not os.path.lexists(data / "validation" / "cup")
    # thumbnails come from the cache: an unchanged photo is decoded once
    shown = sorted(n for n in os.listdir(data / "validation" / "mug") if n != "stolen.jpg")[0]
    cache = guarded.studio.photos._thumbs._cache
    assert c.get(f"/thumb/mug/{shown}?split=validation")[0] == 200
    assert [k[0] for k in cache] == [str(data / "validation" / "mug" / shown)]
    # operations act on the link itself
    mug = {s: sorted(os.listdir(data / s / "mug")) for s in ("train", "validation")}
    assert c.post("/api/class/rename", {"class": "alias", "new": "alias2"})[0] == 200
    assert os.path.islink(data / "train" / "alias2") and sorted(os.listdir(data / "train" / "mug")) == mug["train"]
    assert c.post("/api/class/delete", {"class": "alias2"})[0] == 200
    assert not os.path.lexists(data / "train" / "alias2") and sorted(os.listdir(data / "train" / "mug")) == mug["train"]
    assert c.post("/api/photo/delete", {"class": "mug", "name": "stolen.jpg", "split": "validation"})[0] == 200
    assert c.post("/api/photo/delete", {"class": "mug", "name": "pipe.jpg", "split": "train"})[0] == 200
    assert c.post("/api/class/delete", {"class": "outside"})[0] == 200    # the link only
    assert sorted(os.listdir(data / "train")) == sorted(os.listdir(data / "validation")) == ["mug"]
    assert len(os.listdir(data / "train" / "mug")) == len(os.listdir(data / "validation" / "mug")) == 3


def test_a_half_that_links_out_of_the_photo_folder_is_neither_read_nor_written(studio, tmp_path):
    c, data, elsewhere = studio.client, tmp_path / "photos", tmp_path / "elsewhere"
    os.makedirs(elsewhere / "mug")
    (elsewhere / "mug" / "keep.jpg").write_bytes(mouse()[1])
    os.makedirs(data / "train" / "mug")
    os.symlink(elsewhere, data / "validation")
    before = sorted(os.path.relpath(os.path.join(d, f), elsewhere) for d, _, fs in os.walk(elsewhere) for f in fs)
    status, body = c.get("/api/dataset")
    assert status == 200 and body["layout"] == "split" and "keep.jpg" not in json.dumps(body)
    assert any(n.startswith("validation/: a link to outside the photo folder") for n in body["notes"])
    assert "in validation/ too" in body["classes"][0]["problem"]
    assert c.get("/photo/mug/keep.jpg?split=validation")[0] == 404
    assert one_line_400(*c.upload_to("/api/photo/upload?class=mug&split=validation", [mouse()]))
    assert one_line_400(*c.post("/api/photo/delete", {"class": "mug", "name": "keep.jpg", "split": "validation"}))
    assert one_line_400(*c.post("/api/class/delete", {"class": "mug"}))
    assert one_line_400(*c.post("/api/class/add", {"class": "cup"}))
    after = sorted(os.path.relpath(os.path.join(d, f), elsewhere) for d, _, fs in os.walk(elsewhere) for f in fs)
    assert after == before == ["mug/keep.jpg"] and os.listdir(elsewhere) == ["mug"]
    assert os.listdir(data / "train") == ["mug"]
