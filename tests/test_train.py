"""`train`: real and synthetic photos to a blob that classify, evaluate and emulate agree on.

Timing is never asserted here: bench/bench_train.py measures it.
"""
import json
import os
import shutil
import time

import numpy as np
import pytest

from tests.support import DATASET, ROOT, run_cli
from host_tools import UserError
from tests.support.bursts import burst_of, make_bursts
from tests.support.fuzzfiles import png_header_bomb
from tests.support.synthetic import make_dataset

OUT_FILES = {"model.blob", "model.keras", "labels.txt", "report.html", "report.json"}


def _json_lines(out):
    return [json.loads(line) for line in out.splitlines()]


def _leftovers(parent):
    return [n for n in os.listdir(parent) if ".partial-" in n or ".old-" in n]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Two classes of synthetic patterns (always available), trained for a few epochs by the CLI."""
    root = tmp_path_factory.mktemp("synthetic")
    data = make_dataset(root / "data", per_class=16)
    (data / "stripes" / "notes.txt").write_text("not an image")
    (data / "checks" / "bomb.png").write_bytes(png_header_bomb(10000, 10000))  # over Pillow's pixel limit
    shutil.copy(data / "checks" / "000.png", data / "checks" / "again.png")
    out = root / "out"
    status, stdout, err = run_cli("train", str(data), "--out", str(out), "--epochs", "4", "--seed", "1",
                                  "--batch-size", "8",
                                  "--learning-rate", "0.0003")
    assert status == 1, err  # the blob is written, but two files were not images
    return data, out, err


def test_training_writes_blob_model_labels_and_report(synthetic):
    data, out, log = synthetic
    assert set(os.listdir(out)) == OUT_FILES
    assert _leftovers(out.parent) == []
    assert (out / "labels.txt").read_text() == "checks\nstripes\n"
    report = json.loads((out / "report.json").read_text())
    assert report["int8"]["accuracy"] >= 0.9 and report["float"]["accuracy"] >= 0.9
    assert report["dataset"]["images"] == {"train": 22, "validation": 10}  # 16 + 16 - 1 duplicate, 30% held out
    skipped = {os.path.basename(s["path"]): s["reason"] for s in report["dataset"]["skipped"]}
    assert skipped["again.png"].startswith("duplicate of ") and "not an image" in skipped["notes.txt"]
    assert "decompression bomb" in skipped["bomb.png"]
    assert report["calibration"]["per_class"][0] == report["calibration"]["per_class"][1] > 0
    from host_tools.blob import read
    blob = read(str(out / "model.blob"))
    m = report["model"]
    assert blob.labels == ["checks", "stripes"] and (blob.height, blob.channels) == (96, 3)
    assert m["model_bytes"] == len(blob.model) and m["arena_bytes"] == blob.arena_size > 50_000
    assert 7_000_000 < m["macs"] < 8_000_000  # MobileNetV1 0.25 at 96x96: 7.49 M
    assert len(report["history"]["loss"]) == len(report["history"]["val_accuracy"]) == 4
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 2  # curves, confusion matrix (+ misclassified, if any)
    for text in ("Files skipped: 3", "notes.txt", "Confusion matrix", "precision", "tensor arena",
                 "multiply-accumulates", "Misclassified"):
        assert text in html
    assert "epoch 4/4" in log and "Traceback" not in log  # plain progress lines when not a terminal
    assert "make evaluate MODEL=" in log.splitlines()[-1]  # the next step: photos from another session
    for bad in ("notes.txt", "bomb.png"):  # one line for each file that is not an image
        assert len([line for line in log.splitlines() if line.startswith("train: ") and bad in line]) == 1, log


def test_blob_gives_identical_results_in_classify_evaluate_and_the_report(synthetic):
    data, out, _ = synthetic
    blob = str(out / "model.blob")
    status, stdout, err = run_cli("evaluate", "--json", "--model", blob, str(data))
    assert status == 1, err  # notes.txt and bomb.png are not images
    ev = json.loads(stdout)
    assert "notes.txt" in err and "bomb.png" in err  # skipped, said
    paths = [p["image"] for p in ev["predictions"]]
    status, stdout, err = run_cli("classify", "--json", "--model", blob, *paths)
    assert status == 0, err
    got = _json_lines(stdout)
    assert [{k: r[k] for k in ("image", "label", "confidence", "scores")} for r in ev["predictions"]] == got
    report = json.loads((out / "report.json").read_text())
    by_path = {p["image"]: p for p in ev["predictions"]}
    for p in report["validation_predictions"]:  # train's own int8 evaluation is the same engine
        assert by_path[p["image"]] == p
    assert ev["accuracy"] >= 0.9


def test_blob_gives_identical_results_in_emulate(synthetic):
    data, out, _ = synthetic
    images = sorted(str(p) for p in (data / "checks").glob("00[0-3].png")) + \
        sorted(str(p) for p in (data / "stripes").glob("00[0-3].png"))
    blob = str(out / "model.blob")
    a = run_cli("classify", "--json", "--model", blob, *images)
    b = run_cli("emulate", "--json", "--model", blob, *images)
    assert a[0] == 0, a[2]
    assert b[0] == 0, b[2]
    assert _json_lines(b[1]) == _json_lines(a[1])


def test_int8_bytes_are_reproducible_from_the_float_model(synthetic):
    """The same float model and calibration images give the same .tflite bytes, run after run."""
    import keras

    from host_tools.blob import read
    from host_tools.data.dataset import load_training_data
    from host_tools.train.train import calibration_indices, convert
    data, out, _ = synthetic
    model = keras.models.load_model(str(out / "model.keras"))
    d = load_training_data(str(data), 96, 3, 0.3, seed=1)
    calib = d.train.pixels[calibration_indices(d.train.y, 2, seed=1)]
    again = convert(model, calib)
    assert again == bytes(read(str(out / "model.blob")).model)


def test_real_photos_train_to_high_held_out_accuracy(tmp_path, openmv_mice):
    """openmv-mice: 50 training photos per class (spread over the set), 22 held out, 12 epochs."""
    data = tmp_path / "mice"
    for split, step, count in (("train", 7, 50), ("validation", 5, 22)):
        for c in ("black", "white"):
            src = os.path.join(DATASET, split, c)
            os.makedirs(data / split / c)
            for name in sorted(os.listdir(src))[::step][:count]:
                os.symlink(os.path.join(src, name), data / split / c / name)
    out = tmp_path / "out"
    status, _, err = run_cli("train", str(data), "--out", str(out), "--epochs", "12")
    assert status == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["dataset"]["images"] == {"train": 100, "validation": 44}
    assert report["int8"]["accuracy"] >= 0.9, report["int8"]
    status, stdout, err = run_cli("evaluate", "--json", "--model", str(out / "model.blob"), str(data))
    assert status == 0, err
    ev = json.loads(stdout)
    assert ev["predictions"] == report["validation_predictions"]
    assert ev["accuracy"] == report["int8"]["accuracy"]


def test_bursts_do_not_inflate_the_reported_held_out_accuracy(tmp_path, openmv_mice):
    """Bursts of real photos in two classes that nothing tells apart: only memory can tell a
    held-out frame's class. Split by burst (train's split), the report gives chance; the same
    frames split photo by photo (given as train/ and validation/) give a flattering figure,
    and the report says that its held-out photos are near-copies and gives the figure without them."""
    from host_tools.data.dataset import load_training_data, sha256_file, stratified_split
    data = make_bursts(tmp_path / "bursts", per_class=30)
    status, _, log = run_cli("train", str(data), "--out", str(tmp_path / "honest"))  # the defaults
    assert status == 0, log
    honest = json.loads((tmp_path / "honest" / "report.json").read_text())
    held = [p["image"] for p in honest["validation_predictions"]]
    assert len(held) == 54 and honest["held_out_near_copies"] == 0
    used = {burst_of(p) for p in load_training_data(str(data), 96, 3).train.paths}
    assert not used & {burst_of(p) for p in held}  # no burst on both sides
    # Photo by photo, as the split was before (30% of each class), given as folders.
    d = load_training_data(str(data), 96, 3)
    entries = [(p, d.labels[y], None, sha256_file(p))
               for p, y in zip(d.train.paths + d.val.paths, np.concatenate([d.train.y, d.val.y]))]
    for split, chosen in zip(("train", "validation"), stratified_split(entries, d.labels, 0.3, seed=0)):
        for path, label, _, _ in chosen:
            os.makedirs(tmp_path / "random" / split / label, exist_ok=True)
            os.symlink(path, tmp_path / "random" / split / label / os.path.basename(path))
    status, _, err = run_cli("train", str(tmp_path / "random"), "--out", str(tmp_path / "flattered"))
    assert status == 0, err
    flattered = json.loads((tmp_path / "flattered" / "report.json").read_text())

    assert honest["int8"]["accuracy"] <= 0.65
    assert flattered["int8"]["accuracy"] >= honest["int8"]["accuracy"] + 0.3
    near = flattered["held_out_near_copies"]
    assert near == len(flattered["dataset"]["near_copies"]["paths"]) > 0.8 * 54
    assert f"{near} held-out photos are near-copies of training photos" in err
    without = flattered["int8_without_near_copies"]
    assert without["images"] == 54 - near
    html = (tmp_path / "honest" / "report.html").read_text()
    big = lambda page: page.split("<p class='big'>")[1].split("</p>")[0]  # noqa: E731
    assert f"int8 <b>{honest['int8']['accuracy']:.1%}</b> on 54 validation images" in big(html)
    html = (tmp_path / "flattered" / "report.html").read_text()
    shown = "n/a" if without["accuracy"] is None else f"{without['accuracy']:.1%}"
    assert f"int8: <b>{shown}</b> on {54 - near} held-out photos that are not near-copies" in big(html)
    assert f"{near} near-copies, a figure that flatters" in html
    for page, text in ((html, flattered["advice"]), (log, "make evaluate MODEL=")):
        assert "make evaluate MODEL=" in text and (text in page or "make evaluate" in page)
    # With nothing to learn, the held-out loss rises at once: training stops early, and says so.
    run = honest["training"]
    assert run["epochs_run"] == len(honest["history"]["loss"]) < run["epochs_max"] == 10
    line = (f"Stopped early after epoch {run['epochs_run']} of 10: held-out loss no longer improved; "
            f"the weights of epoch {honest['history']['best_epoch']} are kept")
    assert run["stopped_early"] == line and f"train: {line}" in log
    assert line in (tmp_path / "honest" / "report.html").read_text()


def test_grayscale_and_another_size(tmp_path):
    """--grayscale --size 64: a one-channel 64x64 blob whose results classify reproduces."""
    data = make_dataset(tmp_path / "data", per_class=8)
    out = tmp_path / "out"
    status, _, err = run_cli("train", str(data), "--out", str(out), "--grayscale", "--size", "64",
                             "--epochs", "1", "--recipe", "full", "--patience", "0")  # the previous recipe too
    assert status == 0, err
    from host_tools.blob import read
    blob = read(str(out / "model.blob"))
    assert (blob.height, blob.width, blob.channels) == (64, 64, 1)
    report = json.loads((out / "report.json").read_text())
    want = report["validation_predictions"]
    status, stdout, err = run_cli("classify", "--json", "--model", str(out / "model.blob"),
                                  *[p["image"] for p in want])
    assert status == 0, err
    assert _json_lines(stdout) == [{k: p[k] for k in ("image", "label", "confidence", "scores")} for p in want]


def test_cached_split_composes_to_the_whole_model(photos):
    """front then back (sharing the model's layers) computes what the model computes, on real photos."""
    import keras
    from host_tools.data.images import load_pixels
    from host_tools.model.backbones import build
    from host_tools.train.cached import CUT, features, split
    keras.utils.set_random_seed(0)
    model = build("mobilenet_v1", 0.25, 96, 3, 3, "vww")
    front, back = split(model, CUT)
    x = np.stack([load_pixels(p, 96) for p in photos[:8]])
    whole = model.predict(x.astype(np.float32), verbose=0)
    np.testing.assert_allclose(back.predict(features(front, x), verbose=0), whole, rtol=1e-5, atol=1e-6)
    assert split(model, "no_such_layer") is None


def test_training_loop_gives_keras_fits_weights_to_the_bit(photos):
    """The cached recipe's plain loop against Keras' fit (its loop before), from the same
    weights on real photos' features: equal weights and logs after each epoch, and the
    same early stop and best weights restored."""
    import keras
    import tensorflow as tf
    from host_tools.data.images import load_pixels
    from host_tools.model.backbones import build
    from host_tools.train.cached import features, split
    from host_tools.train.fit import freeze_batchnorm, validation_callback
    from host_tools.train.loop import run_epochs
    from host_tools.train.train import Config
    keras.utils.set_random_seed(0)
    model = build("mobilenet_v1", 0.25, 96, 3, 3, "vww")
    freeze_batchnorm(model)
    front, back = split(model)
    pixels = np.stack([load_pixels(p, 96) for p in photos])
    x = np.concatenate([features(front, pixels), features(front, pixels[:, ::-1])])  # + mirrored
    y = np.arange(len(x)) % 3
    start = back.get_weights()
    held_out = x[:8], (y[:8] + 1) % 3  # labels it does not learn: the held-out loss rises, training stops
    cfg = Config(DATASET, "unused", epochs=6, batch_size=4, seed=3, patience=1)

    class Record(keras.callbacks.Callback):
        def __init__(self):
            self.weights, self.logs = [], []

        def on_epoch_end(self, epoch, logs=None):
            self.weights.append([w.numpy() for w in back.trainable_variables])
            self.logs.append({k: float(v) for k, v in logs.items()})

    theirs = Record()
    steps = cfg.epochs * -(-len(x) // cfg.batch_size)
    back.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(cfg.learning_rate, steps)),
                 loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=cfg.seed, reshuffle_each_iteration=True)
    stop = keras.callbacks.EarlyStopping("val_loss", patience=cfg.patience, restore_best_weights=True)
    back.fit(ds.batch(cfg.batch_size), epochs=cfg.epochs, verbose=0, shuffle=False,
             callbacks=[validation_callback(back, *held_out), stop, theirs])
    their_final = [w.numpy() for w in back.trainable_variables]

    back.set_weights(start)
    ours = Record()
    history = run_epochs(back, x, y, cfg, validation_callback(back, *held_out), [ours])
    assert 1 < len(ours.weights) == len(theirs.weights) < cfg.epochs  # stopped early
    for mine, keras_weights in zip(ours.weights, theirs.weights):
        for a, b in zip(mine, keras_weights):
            np.testing.assert_array_equal(a, b)
    for mine, keras_logs in zip(ours.logs, theirs.logs):
        assert mine.keys() == keras_logs.keys()
        np.testing.assert_allclose([mine[k] for k in mine], [keras_logs[k] for k in mine], rtol=1e-6)
    for a, b in zip([w.numpy() for w in back.trainable_variables], their_final):
        np.testing.assert_array_equal(a, b)
    assert history["best_epoch"] == int(np.argmin(history["val_loss"])) + 1


TF_CHATTER = ("oneDNN", "cpu_feature_guard", "absl::InitializeLog", "I0000 ", "W0000 ", "E0000 ", "cuda")


def test_tensorflows_own_log_lines_never_reach_the_user(tmp_path):
    """`train` and `model` (make setup's step), run as a user runs them: no TF_* variable set."""
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    data = make_dataset(tmp_path / "data", per_class=6)
    for argv in (["train", str(data), "--out", str(tmp_path / "out"), "--epochs", "1"],
                 ["model", "--out", str(tmp_path / "vww.blob")]):
        r = subprocess.run([sys.executable, "-m", "host_tools", *argv], capture_output=True, text=True,
                           cwd=ROOT, env=env)
        assert r.returncode == 0, r.stderr
        said = r.stdout + r.stderr
        assert [line for line in said.splitlines() if any(t in line for t in TF_CHATTER)] == [], argv
    assert os.path.isfile(tmp_path / "out" / "model.blob") and os.path.isfile(tmp_path / "vww.blob")


def test_the_training_log_counts_each_skipped_file_once(synthetic):
    _, out, log = synthetic
    report = json.loads((out / "report.json").read_text())
    assert len(report["dataset"]["skipped"]) == 3 and len(report["dataset"]["duplicates"]) == 1
    lines = [line for line in log.splitlines() if "skipped" in line or "duplicate" in line]
    assert lines == ["train: 1 duplicate file dropped (identical bytes), listed in the report",
                     "train: 2 other files skipped, listed in the report"]
    assert "Files skipped: 3 (1 of them a duplicate)" in (out / "report.html").read_text()


# --- the output folder, without training ---------------------------------------------------

def _fake_train_into(cfg, data, tmp, seconds, arena_child=None):
    with open(os.path.join(tmp, "report.json"), "w") as f:
        f.write("{}")
    return {}


def _boom(cfg, data, tmp, seconds, arena_child=None):
    with open(os.path.join(tmp, "model.blob"), "wb") as f:
        f.write(b"half")
    raise RuntimeError("interrupted half way")


def test_out_dir_is_refused_replaced_whole_or_left_untouched(tmp_path, monkeypatch):
    from host_tools.train import train as T
    data = make_dataset(tmp_path / "data", per_class=6)
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    cfg = lambda force: T.Config(str(data), str(out), force=force)  # noqa: E731
    with pytest.raises(UserError, match="already exists; pass --force to replace the whole folder"):
        T.train(cfg(False))
    monkeypatch.setattr(T, "_train_into", _boom)
    with pytest.raises(RuntimeError):
        T.train(cfg(True))
    assert os.listdir(out) == ["mine.txt"] and _leftovers(tmp_path) == []
    monkeypatch.setattr(T, "_train_into", _fake_train_into)
    T.train(cfg(True))
    assert os.listdir(out) == ["report.json"] and _leftovers(tmp_path) == []
    fresh = tmp_path / "fresh"
    monkeypatch.setattr(T, "_train_into", _boom)
    with pytest.raises(RuntimeError):
        T.train(T.Config(str(data), str(fresh)))
    assert not fresh.exists() and _leftovers(tmp_path) == []
    with pytest.raises(UserError, match="must not be inside DATA_DIR"):
        T.train(T.Config(str(data), str(data / "out")))


# --- arguments -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(alpha=0.3), "--alpha for mobilenet_v1 must be one of 0.25, 0.5, 0.75, 1; got 0.3"),
    (dict(arch="mobilenet_v2", alpha=0.25),
     "--alpha for mobilenet_v2 must be one of 0.35, 0.5, 0.75, 1, 1.3, 1.4; got 0.25"),
    (dict(size=100), "--size must be a multiple of 32 from 32 to 224; got 100"),
    (dict(size=256), "--size must be a multiple of 32 from 32 to 224; got 256"),
    (dict(alpha=0.5, init="vww"),
     "--init vww has weights for mobilenet_v1 with alpha 0.25 only; got --arch mobilenet_v1 --alpha 0.5"),
    (dict(arch="mobilenet_v2", init="vww"),
     "--init vww has weights for mobilenet_v1 with alpha 0.25 only; got --arch mobilenet_v2 --alpha 0.35"),
    (dict(epochs=0), "--epochs must be a whole number of at least 1; got 0"),
    (dict(val_split=1.0), "--val-split must be a fraction between 0 and 1 (exclusive); got 1.0"),
])
def test_argument_rules_are_stated_with_the_value(kwargs, message):
    from host_tools.train.train import Config
    with pytest.raises(UserError) as e:
        Config("data", "out", **kwargs)
    assert str(e.value).startswith(message)




def test_make_help_shows_trains_default_epochs():
    import subprocess
    from host_tools.train import EPOCHS
    out = subprocess.run(["make", "--no-print-directory", "help"], capture_output=True, text=True, cwd=ROOT).stdout
    assert f"at most {EPOCHS['cached']} epochs" in out


def test_imagenet_offline_fails_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HOST_TOOLS_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    data = make_dataset(tmp_path / "data", per_class=6)
    t = time.monotonic()
    status, out, err = run_cli("train", str(data), "--out", str(tmp_path / "out"), "--arch", "mobilenet_v2")
    assert time.monotonic() - t < 60  # no network wait: the time is Python's start-up
    assert status == 2 and "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("train: --init imagenet: mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5 "
                           "is not in ")
    assert "--init vww" in line and "--init none" in line
    assert not (tmp_path / "out").exists()


def test_imagenet_check_does_not_hang_without_a_network(monkeypatch, tmp_path):
    """A connection attempt that never returns (a black-holed network) still fails in seconds."""
    from host_tools.model import backbones
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(backbones.socket, "create_connection", lambda *a, **k: time.sleep(60))
    t = time.monotonic()
    with pytest.raises(UserError, match="cannot be reached"):
        backbones.check_imagenet_available("mobilenet_v1", 0.25, 128)
    assert time.monotonic() - t < backbones.PROBE_SECONDS + 1


# --- the builders ----------------------------------------------------------------------------

def test_alpha_lists_match_the_builders():
    from host_tools.model.backbones import ALPHAS
    from host_tools.model.mobilenet import V1_ALPHAS
    from host_tools.model.mobilenet_v2 import V2_ALPHAS
    assert ALPHAS == {"mobilenet_v1": V1_ALPHAS, "mobilenet_v2": V2_ALPHAS}


@pytest.mark.parametrize("arch, alpha, channels", [("mobilenet_v1", 0.25, 3), ("mobilenet_v1", 0.5, 1),
                                                    ("mobilenet_v2", 0.35, 3), ("mobilenet_v2", 0.35, 1)])
def test_imagenet_weights_copy_into_our_builders_exactly(arch, alpha, channels):
    """Keras' application with (random) weights vs our model with them copied, on raw pixels."""
    import keras

    from host_tools.model.backbones import copy_weights, keras_application
    from host_tools.model.mobilenet import mobilenet_v1
    from host_tools.model.mobilenet_v2 import mobilenet_v2
    keras.utils.set_random_seed(3)
    size = 64
    source = keras_application(arch, alpha, size, None)
    rng = np.random.default_rng(0)
    for layer in source.layers:  # non-trivial BatchNorm statistics
        if isinstance(layer, keras.layers.BatchNormalization):
            g, b, mean, var = layer.get_weights()
            layer.set_weights([g * rng.uniform(0.5, 1.5, g.shape), b + rng.normal(0, 0.1, b.shape),
                               mean + rng.normal(0, 0.1, mean.shape), var * rng.uniform(0.5, 1.5, var.shape)])
    if arch == "mobilenet_v1":
        ours, last = mobilenet_v1(alpha, size, channels, 3, activation="relu6", rescale=True), "conv_pw_13_relu"
    else:
        ours, last = mobilenet_v2(alpha, size, channels, 3, rescale=True), "out_relu"
    copy_weights(source, ours)
    pixels = rng.integers(0, 256, (2, size, size, channels)).astype(np.float32)
    rgb = np.repeat(pixels, 3, axis=-1) if channels == 1 else pixels
    want = source(rgb / 127.5 - 1).numpy()
    got = keras.Model(ours.input, ours.get_layer(last).output)(pixels).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)


def test_mobilenet_v2_converts_and_runs_on_the_device_engine():
    import keras

    from host_tools.blob import model_io
    from host_tools.infer.engine import LiteRTEngine, TflmEngine
    from host_tools.model.mobilenet_v2 import mobilenet_v2
    from host_tools.train.train import convert
    from host_tools.model.backbones import he_normal_kernels
    keras.utils.set_random_seed(0)
    model = mobilenet_v2(0.35, 32, 3, 3)
    he_normal_kernels(model, seed=0)  # what --init none starts from: activations keep their scale
    calib = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3)).astype(np.uint8)
    tflite = convert(model, calib)
    (h, w, c, scale, zero), (classes, _, _) = model_io(tflite)
    assert (h, w, c, classes, scale, zero) == (32, 32, 3, 3, 1.0, -128)
    x = (calib[0].astype(np.int16) - 128).astype(np.int8)
    np.testing.assert_array_equal(LiteRTEngine(tflite).run(x), TflmEngine(tflite).run(x))
