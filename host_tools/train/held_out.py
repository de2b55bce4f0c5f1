"""What the held-out figures mean, in the same words on the command line, in the report
and in the studio: near-copies among the held-out photos, an early stop, and the next
step (photos from another session, through `make evaluate`)."""
import numpy as np

from ..data.nearcopies import HASH_BITS, NEAR_COPY_BITS
from ..progress import bar, note

EVALUATE_STEP = "make evaluate MODEL={model} DATA=other-photos/"


def metrics_without_near_copies(y, predicted, near_copy, labels):
    """The held-out figures on the photos that are not near-copies of a training photo."""
    from ..infer.evaluate import metrics
    keep = ~np.asarray(near_copy, bool)
    return metrics(np.asarray(y)[keep], np.asarray(predicted)[keep], labels)


def split_lines(near):
    """Lines on near-copies (dataset summary's "near_copies"), for train's log."""
    lines = []
    if near["bursts"] is not None and near["bursts"]["groups"]:
        b = near["bursts"]
        lines.append(f"{b['photos']} photos are near-copies of another one (bursts, {b['groups']} groups): "
                     "each group is kept whole on one side of the split")
    if near["held_out"]:
        lines.append(f"{near['held_out']} held-out photos are near-copies of training photos (at most "
                     f"{NEAR_COPY_BITS} of {HASH_BITS} hash bits apart): the accuracy is also given without them")
    return lines


def stop_line(epochs_run, epochs_max, best_epoch):
    """"Stopped early after epoch N of M: ..." or None when every epoch ran."""
    if epochs_run >= epochs_max:
        return None
    kept = f"; the weights of epoch {best_epoch} are kept" if best_epoch else ""
    return f"Stopped early after epoch {epochs_run} of {epochs_max}: held-out loss no longer improved{kept}"


def training_summary(history, epochs_max):
    """report["training"]: epochs run and the early stop, if any."""
    run = len(history.get("loss", []))
    best = history.get("best_epoch")
    return {"epochs_run": run, "epochs_max": epochs_max, "best_epoch": best,
            "stopped_early": stop_line(run, epochs_max, best)}


def headline(report):
    """(accuracy or None, images, words): the held-out int8 figure to show first.

    The photos that are not near-copies of training photos, when some are; else all."""
    honest, near = report["int8_without_near_copies"], report["held_out_near_copies"]
    if not near:
        return honest["accuracy"], honest["images"], "held-out photos"
    if not honest["images"]:
        return None, 0, f"held-out photos: all {near} are near-copies of training photos"
    return honest["accuracy"], honest["images"], (f"held-out photos that are not near-copies of training "
                                                   f"photos ({near} more are)")


def evaluate_step(out_dir):
    """The command that checks the model on another folder of photos."""
    return EVALUATE_STEP.format(model=f"{out_dir.rstrip('/')}/model.blob")


def advice(out_dir, layout):
    """The next step, said everywhere: held-out photos from the same sessions flatter."""
    if layout == "split":
        first = ("The held-out photos are those of validation/: if they were taken in another session "
                 "than those of train/ (another day, place or light), this figure is a fair one.")
    else:
        first = ("The held-out photos were taken in the same sessions as the training photos, in the same "
                 "places and light, so this figure may still flatter.")
    return (f"{first} To check the model on photos from another session, put them in a folder with one "
            f"folder per class and run: {evaluate_step(out_dir)}")


def int8_scores(blob, pixels, desc="train: evaluating int8"):
    """int8 scores of each image on the device-exact engine, exactly as `classify` computes them."""
    from ..infer.engine import make_engine
    from ..data.images import quantize_input
    eng = make_engine(blob.model, "litert")
    return np.stack([eng.run(quantize_input(p, blob.in_scale, blob.in_zero))
                     for p in bar(pixels, desc, unit="img")]) if len(pixels) else np.zeros((0, len(blob.labels)))


def held_out_figures(data, floats, blob):
    """Float and int8 figures on the held-out photos, all of them and those that are not
    near-copies of training photos; each photo's int8 prediction."""
    from ..infer.evaluate import metrics
    from ..infer.results import result
    ints = int8_scores(blob, data.val.pixels)
    float_pred, int8_pred = floats.argmax(1), np.array([int(np.argmax(s)) for s in ints], np.int64)
    predictions = []
    for path, y, s in zip(data.val.paths, data.val.y, ints):
        r = result(path, s, blob)
        predictions.append({"image": path, "true": data.labels[y], "label": r["label"],
                            "confidence": r["confidence"], "scores": r["scores"]})
    y, near = data.val.y, data.near_copy
    return {"float": metrics(y, float_pred, data.labels),
            "int8": metrics(y, int8_pred, data.labels),
            "held_out_near_copies": int(np.sum(near)),
            "float_without_near_copies": metrics_without_near_copies(y, float_pred, near, data.labels),
            "int8_without_near_copies": metrics_without_near_copies(y, int8_pred, near, data.labels),
            "float_int8_agreement": float(np.mean(float_pred == int8_pred)) if len(int8_pred) else None,
            "validation_predictions": predictions}


def say_accuracy(report):
    pct = lambda v: "n/a" if v is None else f"{v:.1%}"  # noqa: E731
    note(f"train: held-out accuracy float {pct(report['float']['accuracy'])}, "
         f"int8 {pct(report['int8']['accuracy'])} ({report['int8']['images']} images)")
    if report["held_out_near_copies"]:
        acc, n, words = headline(report)
        note(f"train: int8 accuracy on the {n} {words}: {pct(acc)}" if n else f"train: {words}: "
             "no held-out figure can be trusted")
