"""`train`: photos in class folders -> a fine-tuned, full-int8 model blob and a report.

The recipe (docs/training.md): MobileNetV1 0.25 96x96 from the pretrained
person/no-person weights, the whole network fine-tuned with BatchNorm in
inference mode, light augmentation (flip, small rotation, zoom), Adam, 40
epochs, batch 16. Then full-int8 conversion calibrated on training images of
every class, packing, and a held-out evaluation of the float and int8 models.

Everything is written to a temporary folder beside OUT_DIR and renamed at the end.
"""
import json
import os
import shutil
import time

import numpy as np

from .. import UserError
from ..progress import EpochProgress, bar, note

DEFAULTS = dict(arch="mobilenet_v1", size=96, epochs=40, val_split=0.3, seed=0, batch_size=16,
                learning_rate=1e-3)
CALIBRATION_IMAGES = 100
OUT_FILES = ("model.blob", "model.keras", "labels.txt", "report.html", "report.json")


class Config:
    """The checked arguments of one training run."""

    def __init__(self, data_dir, out_dir, arch="mobilenet_v1", alpha=None, size=96, init=None,
                 epochs=40, val_split=0.3, seed=0, grayscale=False, batch_size=16,
                 learning_rate=1e-3, force=False, augment=True, events=None):
        from ..model.backbones import check
        self.alpha, self.init = check(arch, alpha, size, init)
        if not isinstance(epochs, int) or epochs < 1:
            raise UserError(f"--epochs must be a whole number of at least 1; got {epochs}")
        if not 0 < val_split < 1:
            raise UserError(f"--val-split must be a fraction between 0 and 1 (exclusive); got {val_split}")
        if seed < 0:
            raise UserError(f"--seed must be 0 or more; got {seed}")
        if batch_size < 1:
            raise UserError(f"--batch-size must be at least 1; got {batch_size}")
        if not learning_rate > 0:
            raise UserError(f"--learning-rate must be more than 0; got {learning_rate}")
        self.data_dir, self.out_dir = data_dir, out_dir
        self.arch, self.size, self.epochs, self.val_split, self.seed = arch, size, epochs, val_split, seed
        self.channels = 1 if grayscale else 3
        self.batch_size, self.learning_rate, self.force, self.augment = batch_size, learning_rate, force, augment
        self.events = events  # a file to append one JSON line per epoch to (the studio reads it)

    def as_dict(self):
        return {"arch": self.arch, "alpha": self.alpha, "size": self.size, "channels": self.channels,
                "init": self.init, "epochs": self.epochs, "val_split": self.val_split, "seed": self.seed,
                "batch_size": self.batch_size, "learning_rate": self.learning_rate,
                "augmentation": "flip, rotation 0.05 turn, zoom 10%" if self.augment else "none",
                "batchnorm": "inference mode (frozen)" if self.init != "none" else "trained",
                "optimizer": f"Adam, cosine decay from {self.learning_rate:g} to 0"}


# --- the output folder -------------------------------------------------------------------

def check_out_dir(out_dir, data_dir, force):
    """Refuse at once what would fail (or clobber) at the end."""
    out, data = os.path.realpath(out_dir), os.path.realpath(data_dir)
    if out == data or out.startswith(data.rstrip(os.sep) + os.sep):
        raise UserError(f"{out_dir}: OUT_DIR must not be inside DATA_DIR ({data_dir})")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise UserError(f"{out_dir}: exists and is not a folder")
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not force:
        raise UserError(f"{out_dir}: already exists; pass --force to replace the whole folder")
    parent = os.path.dirname(os.path.abspath(out_dir))
    if not os.path.isdir(parent):
        raise UserError(f"{parent}: no such folder (the parent of OUT_DIR must exist)")
    if not os.access(parent, os.W_OK):
        raise UserError(f"{parent}: not writable (OUT_DIR is written beside it, then renamed)")


def temp_dir_for(out_dir):
    parent, name = os.path.split(os.path.abspath(out_dir))
    path = os.path.join(parent, f".{name}.partial-{os.getpid()}")
    os.makedirs(path)
    return path


def publish(tmp, out_dir):
    """Rename tmp to out_dir; an existing out_dir is moved aside first and then removed."""
    out_dir = os.path.abspath(out_dir)
    old = None
    if os.path.exists(out_dir):
        old = os.path.join(os.path.dirname(out_dir), f".{os.path.basename(out_dir)}.old-{os.getpid()}")
        os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    if old:
        shutil.rmtree(old, ignore_errors=True)


# --- the model ----------------------------------------------------------------------------

def augmentation(seed):
    import keras
    from keras import layers
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomRotation(0.05, fill_mode="reflect", seed=seed + 1),
        layers.RandomZoom(0.1, fill_mode="reflect", seed=seed + 2),
    ], name="augmentation")


def freeze_batchnorm(model):
    """BatchNorm in inference mode: its statistics and scale stay as pretrained."""
    from keras import layers
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False


def fit(model, data, cfg, log_epochs=True):
    """Fine-tune model in place on data.train; returns the history dict."""
    import keras
    import tensorflow as tf

    if cfg.init != "none":
        freeze_batchnorm(model)
    else:  # from scratch: BatchNorm learns its statistics, fast enough for a short run
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = 0.9
    inputs = keras.Input(model.input_shape[1:], name="pixels")
    x = augmentation(cfg.seed)(inputs) if cfg.augment else inputs
    trainer = keras.Model(inputs, model(x), name="trainer")
    steps = cfg.epochs * -(-len(data.train) // cfg.batch_size)
    # Cosine decay to zero: the last epochs take small steps, so the final weights
    # are settled (a constant rate let the loss jump late in a run).
    rate = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, steps)
    trainer.compile(optimizer=keras.optimizers.Adam(rate),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def batches(subset, shuffle):
        ds = tf.data.Dataset.from_tensor_slices((subset.pixels, subset.y))
        if shuffle:
            ds = ds.shuffle(len(subset), seed=cfg.seed, reshuffle_each_iteration=True)
        return ds.batch(cfg.batch_size).map(lambda x, y: (tf.cast(x, tf.float32), y)).prefetch(2)

    callbacks = [validation_callback(model, data.val)]
    if log_epochs:
        callbacks.append(EpochProgress(cfg.epochs, "train").callback)
    if cfg.events:
        callbacks.append(epoch_events(cfg.events, cfg.epochs))
    history = trainer.fit(batches(data.train, True), epochs=cfg.epochs, verbose=0, shuffle=False,
                          callbacks=callbacks)
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def validation_callback(model, val, batch=64):
    """Adds val_loss and val_accuracy to each epoch's logs (float model, held-out images).

    One traced forward function: cheaper than Keras' own validation loop,
    whose tracing alone costs seconds on a 2-core machine.
    """
    import keras
    import tensorflow as tf

    forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    class _Validation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs is None or not len(val):
                return
            probs = np.concatenate([forward(tf.cast(val.pixels[i:i + batch], tf.float32)).numpy()
                                    for i in range(0, len(val), batch)])
            picked = np.clip(probs[np.arange(len(val)), val.y], 1e-7, 1.0)
            logs["val_loss"] = float(-np.mean(np.log(picked)))
            logs["val_accuracy"] = float(np.mean(probs.argmax(1) == val.y))

    return _Validation()


def epoch_events(path, epochs):
    """Appends {"epoch", "epochs", <metric>: value} as one JSON line per finished epoch."""
    import keras

    class _Events(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1, "epochs": epochs, **{k: float(v) for k, v in (logs or {}).items()}}
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")

    return _Events()


def calibration_indices(y, classes, limit=CALIBRATION_IMAGES, seed=0):
    """Up to `limit` training images, the same number from every class (all of a small class)."""
    rng = np.random.default_rng(seed)
    per_class = max(1, limit // classes)
    chosen = []
    for c in range(classes):
        idx = np.flatnonzero(y == c)
        chosen.extend(sorted(rng.permutation(idx)[:per_class].tolist()))
    return np.array(chosen, np.int64)


def keras_macs(model):
    """Multiply-accumulates of one inference, counted from the Keras layers."""
    from keras import layers
    total = 0
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D)):
            _, h, w, cout = layer.output.shape
            kh, kw = layer.kernel_size
            cin = layer.input.shape[-1]
            total += h * w * kh * kw * (cin if isinstance(layer, layers.DepthwiseConv2D) else cin * cout)
        elif isinstance(layer, layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return int(total)


def model_figures(blob_path, keras_model, tflite, blob, arena):
    """Model and arena bytes, MACs, ops and board fit: what `inspect` reports (profile.profile).

    arena: (allocated, smallest) bytes from profile.measured_arena. If profiling
    fails, MACs are counted from the Keras model instead.
    """
    from ..model.profile import profile
    figures = {"model_bytes": len(tflite), "blob_bytes": len(blob), "arena_bytes": arena[0],
               "arena_bytes_min": arena[1], "macs": keras_macs(keras_model),
               "params": int(keras_model.count_params())}
    try:
        p = profile(blob_path, arena=arena)
    except (UserError, RuntimeError) as e:
        note(f"train: profiling failed ({e}); MACs counted from the Keras model")
        return figures
    figures.update({k: p[k] for k in ("arena_bytes", "arena_bytes_min", "macs", "ops", "boards")})
    return figures


def convert(model, calibration):
    from ..model.quantize import to_int8_tflite
    return to_int8_tflite(model, calibration)


# --- evaluation ---------------------------------------------------------------------------

def int8_scores(blob, pixels, desc="train: evaluating int8"):
    """int8 scores of each image on the device-exact engine, exactly as `classify` computes them."""
    from ..infer.engine import make_engine
    from ..data.images import quantize_input
    eng = make_engine(blob.model, "litert")
    return np.stack([eng.run(quantize_input(p, blob.in_scale, blob.in_zero))
                     for p in bar(pixels, desc, unit="img")]) if len(pixels) else np.zeros((0, len(blob.labels)))


# --- the whole run ------------------------------------------------------------------------

def train(cfg):
    """Run the whole recipe; returns the report dict (also written to OUT_DIR/report.json)."""
    from ..model.backbones import check_imagenet_available
    from ..data.dataset import load_training_data

    check_out_dir(cfg.out_dir, cfg.data_dir, cfg.force)
    if cfg.init == "imagenet":
        check_imagenet_available(cfg.arch, cfg.alpha, cfg.size)
    seconds = {}

    t = time.monotonic()
    note(f"train: loading {cfg.data_dir}")
    data = load_training_data(cfg.data_dir, cfg.size, cfg.channels, cfg.val_split, cfg.seed)
    seconds["load"] = time.monotonic() - t
    k = len(data.labels)
    tc, vc = data.train.counts(k), data.val.counts(k)
    note(f"train: {k} classes, {len(data.train)} training and {len(data.val)} validation images "
         f"({'train/ and validation/ folders' if data.layout == 'split' else f'{cfg.val_split:g} held out per class'})")
    for i, label in enumerate(data.labels):
        note(f"train:   {label}: {tc[i]} train, {vc[i]} validation")
    if data.duplicates:
        n = sum(len(d["dropped"]) for d in data.duplicates)
        note(f"train: {n} duplicate files dropped (identical bytes), listed in the report")
    if data.skipped:
        note(f"train: {len(data.skipped)} files skipped, listed in the report "
             f"(first: {data.skipped[0][0]}: {data.skipped[0][1]})")

    tmp = temp_dir_for(cfg.out_dir)
    try:
        report = _train_into(cfg, data, tmp, seconds)
        publish(tmp, cfg.out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    note(f"train: wrote {cfg.out_dir}/ ({', '.join(OUT_FILES)})")
    return report


def _train_into(cfg, data, tmp, seconds):
    import keras

    from ..model.backbones import build
    from ..blob import pack
    from ..device.device_code import blobfmt
    from ..infer.evaluate import metrics
    from ..model.profile import measured_arena
    from .report import write_report
    from ..infer.results import result

    k = len(data.labels)
    keras.utils.set_random_seed(cfg.seed)
    t = time.monotonic()
    model = build(cfg.arch, cfg.alpha, cfg.size, cfg.channels, k, cfg.init)
    note(f"train: {cfg.arch} alpha {cfg.alpha:g} {cfg.size}x{cfg.size}x{cfg.channels}, init {cfg.init}, "
         f"{cfg.epochs} epochs, batch {cfg.batch_size}")
    history = fit(model, data, cfg)
    seconds["train"] = time.monotonic() - t

    t = time.monotonic()
    note("train: converting to full int8")
    calib = calibration_indices(data.train.y, k, seed=cfg.seed)
    tflite = convert(model, data.train.pixels[calib])
    try:
        arena = measured_arena(tflite)  # (allocated, smallest that runs)
    except RuntimeError as e:
        raise UserError(f"the int8 model does not run in tflite-micro ({e}); "
                        "try more --epochs or another --init") from None
    blob_bytes = pack(tflite, data.labels, arena[0])
    seconds["convert"] = time.monotonic() - t

    t = time.monotonic()
    blob_path = os.path.join(tmp, "model.blob")
    with open(blob_path, "wb") as f:
        f.write(blob_bytes)
    with open(os.path.join(tmp, "labels.txt"), "w", encoding="utf-8") as f:
        f.write("".join(label + "\n" for label in data.labels))
    model.save(os.path.join(tmp, "model.keras"))
    blob = blobfmt.parse(blob_bytes)
    floats = model.predict(data.val.pixels.astype(np.float32), batch_size=64, verbose=0)
    ints = int8_scores(blob, data.val.pixels)
    float_pred, int8_pred = floats.argmax(1), np.array([int(np.argmax(s)) for s in ints], np.int64)
    predictions = []
    for path, y, s in zip(data.val.paths, data.val.y, ints):
        r = result(path, s, blob)
        predictions.append({"image": path, "true": data.labels[y], "label": r["label"],
                            "confidence": r["confidence"], "scores": r["scores"]})
    figures = model_figures(blob_path, model, tflite, blob_bytes, arena)
    seconds["evaluate"] = time.monotonic() - t

    report = {
        "config": cfg.as_dict(),
        "labels": data.labels,
        "dataset": data.summary(),
        "history": history,
        "calibration": {"images": int(len(calib)), "per_class": np.bincount(data.train.y[calib], minlength=k).tolist(),
                        "plus": "one 0..255 ramp (input scale 1, zero point -128)"},
        "float": metrics(data.val.y, float_pred, data.labels),
        "int8": metrics(data.val.y, int8_pred, data.labels),
        "float_int8_agreement": float(np.mean(float_pred == int8_pred)) if len(int8_pred) else None,
        "model": figures,
        "seconds": {},
        "validation_predictions": predictions,
    }
    note(f"train: held-out accuracy float {report['float']['accuracy']:.1%}, "
         f"int8 {report['int8']['accuracy']:.1%} ({len(data.val)} images)")
    note(f"train: model {figures['model_bytes']} bytes, tensor arena {figures['arena_bytes']} bytes, "
         f"{figures['macs'] / 1e6:.2f} M MACs")
    t = time.monotonic()
    report["seconds"] = {key: round(v, 3) for key, v in seconds.items()}
    write_report(tmp, report, data)
    seconds["report"] = time.monotonic() - t
    report["seconds"]["report"] = round(seconds["report"], 3)
    with open(os.path.join(tmp, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    note("train: " + ", ".join(f"{key} {v:.1f} s" for key, v in seconds.items()))
    return report


def run(args):
    """The `train` command."""
    cfg = Config(args.data_dir, args.out, arch=args.arch, alpha=args.alpha, size=args.size, init=args.init,
                 epochs=args.epochs, val_split=args.val_split, seed=args.seed, grayscale=args.grayscale,
                 batch_size=args.batch_size, learning_rate=args.learning_rate, force=args.force,
                 events=getattr(args, "events", None))
    train(cfg)
    return 0

