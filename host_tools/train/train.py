"""`train`: photos in class folders -> a fine-tuned, full-int8 model blob and a report.

The recipe (docs/training.md): MobileNetV1 0.25 96x96 from the pretrained
person/no-person weights, BatchNorm in inference mode; blocks 1-3 frozen and
their features of each photo and of 4 augmented copies (flip, small rotation,
zoom) computed once (host_tools.train.cached); blocks 4-13 and the classifier
fine-tuned on them with Adam, batch 16, at most 10 epochs, stopping when the
held-out loss stops improving and keeping the best weights (`--recipe full`:
the previous recipe, the whole network on augmented batches for 40 epochs).
Then full-int8 conversion calibrated on training images of every class,
packing, and a held-out evaluation of the float and int8 models.

Everything is written to a temporary folder beside OUT_DIR and renamed at the end.
"""
import os
import shutil
import threading
import time

import numpy as np

from .. import UserError
from ..data.names import json_text, shown
from ..progress import note
from . import EPOCHS
from .fit import fit
from .held_out import advice, evaluate_step, held_out_figures, say_accuracy, split_lines, training_summary

CALIBRATION_IMAGES = 100
PATIENCE = 2     # epochs without a better held-out loss before stopping
RECIPES = ("cached", "full")
OUT_FILES = ("model.blob", "model.keras", "labels.txt", "report.html", "report.json")


class Config:
    """The checked arguments of one training run."""

    def __init__(self, data_dir, out_dir, arch="mobilenet_v1", alpha=None, size=96, init=None,
                 epochs=None, val_split=0.3, seed=0, grayscale=False, batch_size=16,
                 learning_rate=1e-3, force=False, augment=True, recipe="cached", patience=PATIENCE,
                 copies=None, calibration=CALIBRATION_IMAGES, events=None):
        from ..model.backbones import check
        self.alpha, self.init = check(arch, alpha, size, init)
        if recipe not in RECIPES:
            raise UserError(f"--recipe must be one of {', '.join(RECIPES)}; got {recipe}")
        if recipe == "cached" and (arch != "mobilenet_v1" or self.init == "none"):
            recipe = "full"  # only a pretrained chain of layers can be cut (cached.split)
        epochs = EPOCHS[recipe] if epochs is None else epochs
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
        if patience is not None and patience < 0:
            raise UserError(f"--patience must be 0 (never stop early) or more epochs; got {patience}")
        patience = patience or None
        if calibration < 1:
            raise UserError(f"calibration must be at least 1 image; got {calibration}")
        from .cached import COPIES
        self.recipe, self.patience, self.calibration = recipe, patience, calibration
        self.events = events  # JSON lines, one per finished epoch (the studio reads them)
        self.copies = COPIES if copies is None else copies
        self.data_dir, self.out_dir = data_dir, out_dir
        self.arch, self.size, self.epochs, self.val_split, self.seed = arch, size, epochs, val_split, seed
        self.channels = 1 if grayscale else 3
        self.batch_size, self.learning_rate, self.force, self.augment = batch_size, learning_rate, force, augment

    def as_dict(self):
        return {"arch": self.arch, "alpha": self.alpha, "size": self.size, "channels": self.channels,
                "init": self.init, "epochs": self.epochs, "val_split": self.val_split, "seed": self.seed,
                "batch_size": self.batch_size, "learning_rate": self.learning_rate,
                "augmentation": "flip, rotation 0.05 turn, zoom 10%" if self.augment else "none",
                "batchnorm": "inference mode (frozen)" if self.init != "none" else "trained",
                "optimizer": f"Adam, cosine decay from {self.learning_rate:g} to 0",
                "recipe": self.recipe, "augmented_copies": self.copies if self.recipe == "cached" else None,
                "early_stopping": f"patience {self.patience} epochs on held-out loss, best weights kept"
                if self.patience else "off", "calibration_images": self.calibration}


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
    from ..device.fit import profile
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


# --- the whole run ------------------------------------------------------------------------

def _import_tensorflow_meanwhile():
    """Import TensorFlow and Keras in a thread (seconds of work) while the photos are
    decoded (Pillow releases the GIL); join() before using them."""
    def work():
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        except Exception:  # noqa: BLE001 - the import where they are used reports it
            pass

    thread = threading.Thread(target=work, name="import-tensorflow", daemon=True)
    thread.start()
    return thread


def train(cfg):
    """Run the whole recipe; returns the report dict (also written to OUT_DIR/report.json)."""
    from ..model.backbones import check_imagenet_available
    from ..model.profile import started_child

    check_out_dir(cfg.out_dir, cfg.data_dir, cfg.force)
    if cfg.init == "imagenet":
        check_imagenet_available(cfg.arch, cfg.alpha, cfg.size)
    arena_child = started_child()  # before TensorFlow's threads: forked, and ready when needed
    try:
        return _load_and_train(cfg, arena_child)
    finally:
        arena_child.shutdown(cancel_futures=True)


def _load_and_train(cfg, arena_child):
    from ..data.dataset import load_training_data
    seconds = {}
    t = time.monotonic()
    importing = _import_tensorflow_meanwhile()
    note(f"train: loading {cfg.data_dir}")
    data = load_training_data(cfg.data_dir, cfg.size, cfg.channels, cfg.val_split, cfg.seed)
    seconds["load"] = time.monotonic() - t
    t = time.monotonic()
    importing.join()
    seconds["import_wait"] = time.monotonic() - t  # TensorFlow's import, beyond the loading it overlapped
    k = len(data.labels)
    tc, vc = data.train.counts(k), data.val.counts(k)
    note(f"train: {k} classes, {len(data.train)} training and {len(data.val)} validation images "
         f"({'train/ and validation/ folders' if data.layout == 'split' else f'{cfg.val_split:g} held out per class'})")
    for i, label in enumerate(data.labels):
        note(f"train:   {label}: {tc[i]} train, {vc[i]} validation")
    for line in split_lines(data.near_copy_summary()):
        note(f"train: {line}")
    dropped = sum(len(d["dropped"]) for d in data.duplicates)
    if dropped:
        note(f"train: {_count(dropped, 'duplicate file')} dropped (identical bytes), listed in the report")
    for path, reason in data.unreadable:  # one line per file that is not a readable image
        note(f"train: {shown(path)}: {reason}")
    others = len(data.skipped) - dropped  # the duplicates are in skipped too: counted once
    if others:
        note(f"train: {_count(others, 'other file')} skipped, listed in the report")

    tmp = temp_dir_for(cfg.out_dir)
    try:
        report = _train_into(cfg, data, tmp, seconds, arena_child)
        publish(tmp, cfg.out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    note(f"train: wrote {cfg.out_dir}/ ({', '.join(OUT_FILES)})")
    note(f"train: to check it on photos from another session (another day, place or light): "
         f"{evaluate_step(cfg.out_dir)}")
    return report


def _count(n, what):
    return f"{n} {what}{'s' * (n != 1)}"


def _train_into(cfg, data, tmp, seconds, arena_child=None):
    import keras

    from ..model.backbones import build
    from ..blob import pack
    from ..device_code import blobfmt
    from ..model.profile import measured_arena
    from .report import write_report

    k = len(data.labels)
    keras.utils.set_random_seed(cfg.seed)
    t = time.monotonic()
    model = build(cfg.arch, cfg.alpha, cfg.size, cfg.channels, k, cfg.init)
    note(f"train: {cfg.arch} alpha {cfg.alpha:g} {cfg.size}x{cfg.size}x{cfg.channels}, init {cfg.init}, "
         f"{cfg.epochs} epochs, batch {cfg.batch_size}")
    history, floats = fit(model, data, cfg)  # floats: the held-out images' float outputs
    seconds["train"] = time.monotonic() - t
    stopped = training_summary(history, cfg.epochs)["stopped_early"]
    if stopped:
        note(f"train: {stopped}")

    t = time.monotonic()
    note("train: converting to full int8")
    calib = calibration_indices(data.train.y, k, cfg.calibration, seed=cfg.seed)
    tflite = convert(model, data.train.pixels[calib])
    try:
        arena = measured_arena(tflite, arena_child)  # (allocated, smallest that runs)
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
    held_out = held_out_figures(data, floats, blobfmt.parse(blob_bytes))
    figures = model_figures(blob_path, model, tflite, blob_bytes, arena)
    seconds["evaluate"] = time.monotonic() - t

    report = {
        "config": cfg.as_dict(),
        "labels": data.labels,
        "dataset": data.summary(),
        "history": history,
        "training": training_summary(history, cfg.epochs),
        "calibration": {"images": int(len(calib)), "per_class": np.bincount(data.train.y[calib], minlength=k).tolist(),
                        "plus": "one 0..255 ramp (input scale 1, zero point -128)"},
        **held_out,
        "model": figures,
        "seconds": {},
    }
    report["validation_predictions"] = report.pop("validation_predictions")  # last: the longest part
    report["advice"] = advice(cfg.out_dir, data.layout)
    say_accuracy(report)
    note(f"train: model {figures['model_bytes']} bytes, tensor arena {figures['arena_bytes']} bytes, "
         f"{figures['macs'] / 1e6:.2f} M MACs")
    t = time.monotonic()
    report["seconds"] = {key: round(v, 3) for key, v in seconds.items()}
    write_report(tmp, report, data)
    seconds["report"] = time.monotonic() - t
    report["seconds"]["report"] = round(seconds["report"], 3)
    with open(os.path.join(tmp, "report.json"), "w", encoding="utf-8") as f:
        f.write(json_text(report, indent=1))
    note("train: " + ", ".join(f"{key} {v:.1f} s" for key, v in seconds.items()))
    return report


def run(args):
    """The `train` command."""
    cfg = Config(args.data_dir, args.out, arch=args.arch, alpha=args.alpha, size=args.size, init=args.init,
                 epochs=args.epochs, val_split=args.val_split, seed=args.seed, grayscale=args.grayscale,
                 batch_size=args.batch_size, learning_rate=args.learning_rate, force=args.force,
                 recipe=args.recipe, patience=args.patience, calibration=args.calibration,
                 events=getattr(args, "events", None))
    report = train(cfg)
    return 1 if report["dataset"]["unreadable"] else 0  # the blob is written; some files were not used

