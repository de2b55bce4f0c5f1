"""`make board BOARD=qemu_m7`, then `make flash` and `make monitor` against it, as with a
real board: the app boots from the firmware's RAM filesystem and prints results equal
to classify's. The emulated UART moves a few KB/s, so the model here is a tiny one
(32x32 input, the ops the firmware registers); flash refuses one with an op it lacks."""
import json
import os
import re
import signal
import subprocess

import numpy as np
import pytest

from tests.support import ROOT
from host_tools.blob import pack, read
from host_tools.data.samples import sample_path
from host_tools.infer.classify import scores

LABELS = ("cat", "dog", "bird")
PHOTOS = [sample_path(n) for n in ("astronaut.png", "chelsea.png", "coffee.png")]


def tiny_blob(path, pool):
    """Conv2D(4, 3, stride 4) + a pooling head + Dense(3) + softmax, full int8, 32x32x3."""
    import keras
    from host_tools.data.samples import calibration_set
    from host_tools.model.profile import arena_bytes
    from host_tools.model.quantize import to_int8_tflite
    keras.utils.set_random_seed(3)
    head = ([keras.layers.AveragePooling2D(8), keras.layers.Flatten()] if pool == "average"
            else [keras.layers.GlobalAveragePooling2D()])   # MEAN: not in the firmware
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Rescaling(1 / 127.5, offset=-1),
                              keras.layers.Conv2D(4, 3, strides=4), *head,
                              keras.layers.Dense(len(LABELS)), keras.layers.Softmax()])
    tflite = to_int8_tflite(model, calibration_set(32, 3, per_photo=1))
    path.write_bytes(pack(tflite, LABELS, arena_bytes(tflite)))
    return str(path)


def make(*args, timeout=900):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def board(tmp_path):
    blob = tiny_blob(tmp_path / "tiny.blob", "average")
    proc = subprocess.Popen(["make", "--no-print-directory", "board", "BOARD=qemu_m7", f"MODEL={blob}",
                             "IMAGES=" + " ".join(PHOTOS)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        port, seen = None, []
        for line in proc.stdout:
            seen.append(line.rstrip("\n"))
            m = re.search(r"serial port (/dev/pts/\d+)", line)
            if m:
                port = m.group(1)
                break
        assert port, "make board printed no serial port"
        names = ", ".join(os.path.basename(p) for p in PHOTOS)
        assert f"qemu_m7: its camera shows, in turn, over and over: {names}" in seen   # the photos given
        yield port, blob
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def test_make_board_names_the_sample_photos_its_camera_shows_and_how_to_show_others():
    from host_tools.data.samples import demo_paths
    proc = subprocess.Popen(["make", "--no-print-directory", "board", "BOARD=qemu_m7"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        first = proc.stdout.readline().rstrip("\n")
        while first.startswith((".venv/bin/python", "make")):   # make echoes the command first
            first = proc.stdout.readline().rstrip("\n")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    names = ", ".join(os.path.basename(p) for p in demo_paths())
    assert first == (f"qemu_m7: its camera shows, in turn, over and over: {names}; scikit-image's sample "
                     f"photos: show your own with make board IMAGES=\"a.jpg b.jpg\" (or the image paths "
                     f"after the command)")


def test_make_flash_then_make_monitor_on_the_emulated_board(board, tmp_path):
    port, blob = board
    mean = tiny_blob(tmp_path / "mean.blob", "global")
    r = make("flash", "BOARD=qemu_m7", f"PORT={port}", f"MODEL={mean}")
    assert r.returncode != 0
    assert "the qemu_m7 firmware lacks the model's ops MEAN; nothing was copied" in r.stderr

    r = make("flash", "BOARD=qemu_m7", f"PORT={port}", f"MODEL={blob}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "armv7emdp" in r.stdout and "soft reset" in r.stdout

    r = make("monitor", f"PORT={port}", "COUNT=5", "JSON=1", timeout=300)
    assert r.returncode == 0, r.stderr
    results = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(results) == 5
    want = np.array([q for _, q, _ in scores(read(blob), PHOTOS, workers=1)], dtype=np.int8)
    for res in results:   # the camera shows the photos over and over
        np.testing.assert_array_equal(np.array(res["scores"], dtype=np.int8), want[res["frame"] % 3])
        assert res["label"] == LABELS[int(np.argmax(want[res["frame"] % 3]))]
