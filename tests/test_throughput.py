"""The parallel classify pipeline: streams in a bounded window, in order, exactly as tflite-micro."""
import multiprocessing
import os

import numpy as np
import pytest
from PIL import Image

from tests.support import mice_photos, reference
from host_tools.infer import classify as cl
from host_tools.blob import read
from host_tools.infer.engine import TflmEngine
from host_tools.data.images import input_quantizer, load_pixels, quantize_input


def _plain_tflm(blob, paths):
    """The reference: one image at a time through tflite-micro, in this process, its input
    made by Pillow and numpy directly (tests/support/reference.py)."""
    eng = TflmEngine(blob.model)
    return np.stack([eng.run(reference.int8_input(reference.file_model_pixels(p, blob.height, blob.channels),
                                                  blob.in_scale, blob.in_zero)) for p in paths])


def _pipeline(blob, paths, engine, workers=2):
    rows = list(cl.scores(blob, paths, engine, workers=workers))
    assert [r[0] for r in rows] == list(paths)
    assert all(err is None for _, _, err in rows)
    return np.stack([q for _, q, _ in rows])


@pytest.fixture(scope="module")
def small_jpegs(tmp_path_factory):
    """Synthetic small JPEGs: the content does not matter for streaming."""
    d = tmp_path_factory.mktemp("jpegs")
    rng = np.random.default_rng(1)
    paths = []
    for i in range(12):
        path = str(d / f"{i}.jpg")
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_paths_are_read_lazily_within_a_bounded_window(default_blob, small_jpegs):
    blob, total, workers = read(default_blob), 400, 2
    consumed = [0]

    def paths():  # a generator: no len(), so nothing to read ahead with but the window
        for i in range(total):
            consumed[0] += 1
            yield small_jpegs[i % len(small_jpegs)]

    window = (workers * cl.AHEAD + 1) * cl.CHUNK
    seen = 0
    for path, q, err in cl.scores(blob, paths(), workers=workers):
        assert err is None and path == small_jpegs[seen % len(small_jpegs)]
        seen += 1
        assert consumed[0] - seen <= window, f"{consumed[0]} paths read for {seen} results"
    assert seen == consumed[0] == total


def test_bad_files_keep_their_place_in_a_stream(default_blob, small_jpegs, tmp_path):
    blob = read(default_blob)
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    paths = list(small_jpegs) * 3
    paths[5], paths[30] = str(text), str(tmp_path / "missing.png")
    rows = list(cl.classify(blob, iter(paths), workers=2))
    assert [r[0] for r in rows] == paths
    failed = [i for i, (_, r, err) in enumerate(rows) if err]
    assert failed == [5, 30]
    assert rows[5][1] is None and "not an image" in rows[5][2]
    assert all(r["label"] in blob.labels for _, r, err in rows if not err)


def test_stopping_early_leaves_nothing_running(default_blob, small_jpegs):
    gen = cl.scores(read(default_blob), iter(small_jpegs * 20), workers=2)
    next(gen)
    gen.close()  # shuts the pool down
    assert multiprocessing.active_children() == []


def test_parallel_litert_equals_tflite_micro_on_skimage_photos(default_blob, photos):
    blob = read(default_blob)
    want = _plain_tflm(blob, photos)
    np.testing.assert_array_equal(_pipeline(blob, photos, "litert"), want)
    np.testing.assert_array_equal(_pipeline(blob, photos, "tflm"), want)
    assert len(set(map(tuple, want))) > 5  # the photos really give different outputs


def test_parallel_litert_equals_tflite_micro_on_openmv_mice(default_blob, openmv_mice):
    paths = mice_photos(openmv_mice)[::5]  # about 200 of the 1,002: bench/bench_classify.py runs 1,000
    blob = read(default_blob)
    np.testing.assert_array_equal(_pipeline(blob, paths, "litert"), _plain_tflm(blob, paths))


def test_spawned_workers_give_the_same_results(default_blob, photos, monkeypatch):
    # What runs when TensorFlow is loaded (fork would be unsafe then).
    blob = read(default_blob)
    monkeypatch.setattr(cl, "process_context", lambda: multiprocessing.get_context("spawn"))
    np.testing.assert_array_equal(_pipeline(blob, photos[:6], "litert"), _plain_tflm(blob, photos[:6]))


def test_workers_must_be_positive(default_blob):
    with pytest.raises(ValueError, match="workers must be at least 1; got 0"):
        next(cl.scores(read(default_blob), ["x.jpg"], workers=0))



def test_litert_runs_the_body_and_tflite_micro_the_classifier(default_blob):
    from host_tools.infer.engine import CLAMPED_OPS, DATA_OPS, split_model
    from host_tools.model.profile import model_ops
    body, tail, cut = split_model(bytes(read(default_blob).model))
    assert {o["op"] for o in model_ops(body)} <= DATA_OPS | CLAMPED_OPS
    assert [o["op"] for o in model_ops(tail)] == ["FULLY_CONNECTED", "SOFTMAX"]
    assert len(cut) == 1


def test_the_photo_where_litert_alone_is_one_step_off(default_blob, openmv_mice):
    # Why the classifier runs in tflite-micro: LiteRT's own FULLY_CONNECTED rounds this one differently.
    from ai_edge_litert import interpreter as litert
    path = os.path.join(openmv_mice, "train", "white", "00264.jpg")
    blob = read(default_blob)
    x = quantize_input(load_pixels(path, 96), blob.in_scale, blob.in_zero)
    whole = litert.Interpreter(model_content=bytes(blob.model),
                               experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    whole.allocate_tensors()
    whole.set_tensor(whole.get_input_details()[0]["index"], x[None])
    whole.invoke()
    alone = whole.get_tensor(whole.get_output_details()[0]["index"]).reshape(-1)
    want = _plain_tflm(blob, [path])[0]
    assert not np.array_equal(alone, want)
    np.testing.assert_array_equal(_pipeline(blob, [path] * 3, "litert")[0], want)


def test_a_linear_conv_runs_in_tflite_micro_and_stays_exact(photos):
    # LiteRT's optimized kernels can be one step off on negative results: a conv
    # without ReLU (and what follows) must go to the tail.
    import keras
    from keras import layers
    from host_tools.infer.engine import LiteRTEngine, split_model
    from host_tools.model.profile import model_ops
    from host_tools.model.quantize import to_int8_tflite
    from host_tools.data.samples import calibration_set, crops
    keras.utils.set_random_seed(0)
    inp = keras.Input((32, 32, 3))
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    y = layers.Conv2D(8, 3, padding="same")(x)  # linear: negative outputs
    x = layers.GlobalAveragePooling2D()(layers.Add()([x, y]))
    model = to_int8_tflite(keras.Model(inp, layers.Dense(2, activation="softmax")(x)), calibration_set(32, 3, 2))
    body, tail, _ = split_model(model)
    assert [o["op"] for o in model_ops(body)] == ["CONV_2D"]
    assert [o["op"] for o in model_ops(tail)][:2] == ["CONV_2D", "ADD"]
    xs = np.stack([c for p in photos for c in crops(p, 32, 3, count=5, seed=1)]).astype(np.int16) - 128
    xs = xs.astype(np.int8)
    np.testing.assert_array_equal(LiteRTEngine(model, batch=8).run_many(xs), TflmEngine(model).run_many(xs))


def test_ctrl_c_stops_everything_promptly(default_blob, small_jpegs):
    # As a terminal does: SIGINT to the whole process group, once the workers run.
    import signal
    import subprocess
    import sys
    from tests.support import ROOT
    args = [sys.executable, "-m", "host_tools", "classify", "--model", default_blob, *small_jpegs * 400]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        assert p.stdout.readline()  # results are coming
        os.killpg(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == 130
    assert err.strip() == "classify: interrupted"
    with pytest.raises(ProcessLookupError):  # no worker left behind
        os.killpg(p.pid, 0)


@pytest.mark.parametrize("scale, zero", [(1.0, -128), (2.0, 0), (0.5, -3)])
def test_quantizing_into_the_batch_equals_the_table(photos, scale, zero):
    """The workers' quantizer (a bit flip for scale 1, zero point -128) gives the table's bytes."""
    pixels = np.stack([load_pixels(p, 96) for p in photos])
    out = np.empty(pixels.shape, np.int8)
    for i, px in enumerate(pixels):
        input_quantizer(scale, zero)(px, out[i])
    np.testing.assert_array_equal(out, reference.int8_input(pixels, scale, zero))  # the documented rule
