"""The studio's safety rules, each over plain HTTP against the real server on a socket.

- it listens on 127.0.0.1 unless told otherwise;
- anything but GET/HEAD needs this run's token and the studio's own Origin; every
  request needs a Host header naming the studio (no DNS rebinding);
- class and file names are checked: nothing is read or written outside DATA;
- non-images and files over the size limit are refused with a message;
- one training run at a time; a cancelled or failed run leaves photos and the earlier model as they were.
"""
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support import DATASET, ROOT  # DATASET: only in tests taking the openmv_mice fixture
from host_tools import UserError
from host_tools.studio import safety
from tests.support.studio_client import studio  # noqa: F401 (fixture)

MICE = os.path.join(DATASET, "train")


def tree(root):
    """Every path under root, with file contents' sizes: to show nothing else changed."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = os.path.getsize(p) if os.path.isfile(p) else "dir"
    return out


def mouse(label="black", i=0):
    path = os.path.join(MICE, label, sorted(os.listdir(os.path.join(MICE, label)))[i])
    with open(path, "rb") as f:
        return os.path.basename(path), f.read()


# --- where it listens -------------------------------------------------------------------

def test_the_command_listens_on_127_0_0_1_by_default_and_prints_its_address(tmp_path):
    from host_tools.cli import build_parser
    assert build_parser().parse_args(["studio"]).host == "127.0.0.1"
    p = subprocess.Popen([sys.executable, "-m", "host_tools", "studio", "--port", "0",
                          "--data", str(tmp_path / "photos"), "--out", str(tmp_path / "out")],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [p.stdout.readline() for _ in range(2)]
        url = re.search(r"http://\S+", "".join(lines)).group(0)
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        with urllib.request.urlopen(url + "dataset", timeout=10) as r:
            assert r.status == 200 and b"studio-token" in r.read()
        assert listening(port) == ["127.0.0.1"]   # the kernel's own table: loopback only
        assert os.path.isdir(tmp_path / "photos")
    finally:
        p.terminate()
        p.wait(10)


def listening(port):
    """Addresses with a listening TCP socket on port, from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.readlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                addr, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    if len(addr) == 8:
                        found.append(".".join(str(b) for b in reversed(bytes.fromhex(addr))))
                    else:
                        found.append(addr)
    return found


# --- who may change things ----------------------------------------------------------------

def test_changes_need_the_token_and_the_studios_own_origin(studio, tmp_path):
    c = studio.client
    refused = [
        ({"X-Studio-Token": None}, "token"),
        ({"X-Studio-Token": "guessed"}, "token"),
        ({"Origin": None}, "no Origin"),
        ({"Origin": "http://evil.example"}, "another site"),
        ({"Origin": "null"}, "another site"),
    ]
    for headers, why in refused:
        status, body = c.post("/api/class/add", {"class": "mug"}, headers=headers)
        assert status == 403 and why in body["error"], (headers, body)
    assert not os.path.exists(tmp_path / "photos" / "mug")
    status, body = c.post("/api/class/add", {"class": "mug"})
    assert status == 200 and os.path.isdir(tmp_path / "photos" / "mug")


def test_every_request_needs_the_studios_own_host_name(studio):
    c = studio.client
    port = studio.port
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}"):
        status, body = c.get("/api/dataset", headers={"Host": host})
        assert status == 403 and "Host" in body["error"], host
        status, body = c.post("/api/class/add", {"class": "x"},
                              headers={"Host": host, "Origin": f"http://{host}"})
        assert status == 403, host
    assert c.get("/api/dataset", headers={"Host": f"localhost:{port}"})[0] == 200


def test_the_token_changes_from_run_to_run(tmp_path):
    a, b = safety.new_token(), safety.new_token()
    assert a != b and len(a) >= 32


# --- names and paths ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ".", ".hidden", "", "  ", "train", "validation",
                                  "a\\b", "x" * 65, "line\nbreak"])
def test_bad_class_names_are_refused_and_nothing_is_written(studio, tmp_path, name, openmv_mice):
    c = studio.client
    before = tree(tmp_path)
    status, body = c.post("/api/class/add", {"class": name})
    assert status == 400 and body["error"], name
    status, body = c.upload(name.replace("\n", "%0A").replace("/", "%2F"), [mouse()])
    assert status == 400, name
    assert tree(tmp_path) == before


@pytest.mark.parametrize("name, rule", [
    ("..", "not '.' or '..'"), (".", "not '.' or '..'"), ("../evil", "no slashes"), ("a/b", "no slashes"),
    ("a\\b", "no slashes"), ("a\0b", "no slashes"), (".hidden", "hidden: starting with '.'"),
    ("", "needs a name"), ("  ", "needs a name"), ("train", "reserved"), ("validation", "reserved"),
    ("x" * 65, "at most 64 characters"), ("line\nbreak", "line break"),
])
def test_class_name_itself_refuses_each_bad_name_with_its_rule(name, rule):
    """The name check alone, with no path check behind it to hide a gap."""
    with pytest.raises(UserError) as e:
        safety.class_name(name)
    assert rule in str(e.value) and "\n" not in str(e.value), name


@pytest.mark.parametrize("name", ["mug", "white mouse", "mug..", "a.b", "persönlich", "猫", "x" * 64])
def test_class_name_keeps_good_names(name):
    assert safety.class_name(name) == name


def test_paths_cannot_leave_the_photo_folder(studio, tmp_path, openmv_mice):
    c = studio.client
    data = tmp_path / "photos"
    assert c.post("/api/class/add", {"class": "mug"})[0] == 200
    name, photo = mouse()
    status, body = c.upload("mug", [("../../escape.jpg", photo)])
    assert status == 200 and body["saved"] == ["escape.jpg"]          # the name is reduced to its last part
    assert c.get("/photo/mug/escape.jpg")[0] == 200
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "keep.jpg").write_bytes(photo)
    os.symlink(tmp_path / "secret", data / "link")                    # a class folder pointing outside
    before = tree(tmp_path / "secret")
    attempts = [
        ("/api/class/rename", {"class": "mug", "new": "../moved"}),
        ("/api/class/delete", {"class": ".."}),
        ("/api/photo/delete", {"class": "mug", "name": "../../secret/keep.jpg"}),
        ("/api/photo/delete", {"class": "link", "name": "keep.jpg"}),
    ]
    for path, body in attempts:
        status, answer = c.post(path, body)
        assert status == 400, (path, body, answer)
    assert c.upload("link", [mouse("white")])[0] == 400
    assert c.get("/photo/link/keep.jpg")[0] == 404
    assert c.get("/photo/mug/..%2F..%2Fsecret%2Fkeep.jpg")[0] == 404
    assert tree(tmp_path / "secret") == before
    assert c.post("/api/class/delete", {"class": "link"})[0] == 200   # the link goes, never its target
    assert not os.path.lexists(data / "link") and tree(tmp_path / "secret") == before
    assert os.listdir(data / "mug") == ["escape.jpg"]


# --- what may be uploaded -------------------------------------------------------------------

def test_non_images_and_oversize_files_are_refused_with_a_message(studio, tmp_path, openmv_mice):
    c = studio.client
    c.post("/api/class/add", {"class": "mug"})
    name, photo = mouse()
    status, body = c.upload("mug", [("notes.jpg", b"this is text, not a photo"), (name, photo),
                                    ("big.png", photo + b"\0" * (safety.MAX_UPLOAD_BYTES + 1 - len(photo)))])
    assert status == 400 and "over the size limit" in body["error"] and "big.png" in body["error"]
    assert os.listdir(tmp_path / "photos" / "mug") == []               # the request as a whole was refused
    status, body = c.upload("mug", [("notes.jpg", b"this is text, not a photo"), (name, photo)])
    assert status == 200 and body["saved"] == [name]
    assert body["refused"] == ["notes.jpg: not an image (or a damaged one); refused"]
    assert os.listdir(tmp_path / "photos" / "mug") == [name]           # no temporary file left either
    status, body = c.request("POST", "/api/classify", raw=b"x", content_type="multipart/form-data; boundary=b",
                             headers={"Content-Length": None})
    assert status == 400


# --- training ---------------------------------------------------------------------------------

def fill(data, per_class):
    for label in ("black", "white"):
        os.makedirs(data / label)
        for f in sorted(os.listdir(os.path.join(MICE, label)))[:per_class]:
            shutil.copy(os.path.join(MICE, label, f), data / label / f)


def wait_for(c, states, timeout=240):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = c.get("/api/train/status")[1]
        if s["state"] in states:
            return s
        time.sleep(0.5)
    raise AssertionError(f"training still {s['state']} after {timeout} s: {s['log'][-5:]}")


def test_one_training_run_at_a_time_and_cancel_leaves_everything_as_it_was(studio, tmp_path, openmv_mice):
    c = studio.client
    data, out = tmp_path / "photos", tmp_path / "out"
    fill(data, 8)
    out.mkdir()
    (out / "model.blob").write_bytes(b"the earlier model")
    photos_before, out_before = tree(data), tree(out)
    status, body = c.post("/api/train/start", {"arch": "v1", "epochs": 200})
    assert status == 200, body
    status, body = c.post("/api/train/start", {"arch": "v1", "epochs": 2})
    assert status == 409 and body["error"].startswith("a training run is already going")
    end = time.monotonic() + 180
    while not c.get("/api/train/status")[1]["epochs"]:    # cancel mid-training, after an epoch
        assert time.monotonic() < end, c.get("/api/train/status")[1]["log"][-5:]
        time.sleep(0.5)
    assert c.post("/api/train/cancel")[0] == 200
    s = wait_for(c, ("cancelled", "failed", "done"), timeout=60)
    assert s["state"] == "cancelled"
    assert tree(data) == photos_before and tree(out) == out_before
    assert (out / "model.blob").read_bytes() == b"the earlier model"
    assert [n for n in os.listdir(tmp_path) if ".partial" in n] == []


def test_a_failed_run_says_why_and_leaves_everything_as_it_was(studio, tmp_path, openmv_mice):
    c = studio.client
    data, out = tmp_path / "photos", tmp_path / "out"
    fill(data, 3)                                          # too few per class: train refuses
    photos_before = tree(data)
    assert c.post("/api/train/start", {"arch": "v1", "epochs": 2})[0] == 200
    s = wait_for(c, ("failed", "done", "cancelled"), timeout=120)
    assert s["state"] == "failed" and "too few images" in s["message"], s
    assert tree(data) == photos_before and not out.exists()
    for bad in ({"arch": "v9"}, {"epochs": 0}, {"epochs": "many"}):
        status, body = c.post("/api/train/start", bad)
        assert status == 400 and body["error"], bad
