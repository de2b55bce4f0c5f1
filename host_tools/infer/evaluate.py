"""`evaluate`: a labelled folder through a blob on the device-exact engine.

    python -m host_tools evaluate --model out/model.blob DATA_DIR [--json] [--engine litert|tflm]

DATA_DIR has one folder per class, named as the blob's labels (a subset is
fine). With train/ and validation/ split folders, validation/ is evaluated.
Prints accuracy, per-class precision and recall, and the confusion matrix.
"""
import os
import sys

import numpy as np

from .. import UserError
from ..data.names import json_text, shown
from ..progress import bar, note


def metrics(y_true, y_pred, labels):
    """Accuracy, per-class precision / recall / support and the confusion matrix (rows: true)."""
    k = len(labels)
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    cm = np.zeros((k, k), np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    per_class = {}
    for i, label in enumerate(labels):
        tp, predicted, support = int(cm[i, i]), int(cm[:, i].sum()), int(cm[i, :].sum())
        per_class[label] = {
            "precision": tp / predicted if predicted else None,
            "recall": tp / support if support else None,
            "support": support,
        }
    n = int(cm.sum())
    return {"images": n, "correct": int(np.trace(cm)), "accuracy": float(np.trace(cm) / n) if n else None,
            "per_class": per_class, "confusion": cm.tolist()}


def _pct(v):
    return "  n/a" if v is None else f"{v:6.1%}"


def format_metrics(m, labels):
    width = max(12, *(len(label) for label in labels))
    lines = [f"accuracy: {m['accuracy']:.1%} ({m['correct']} of {m['images']} images)", "",
             f"{'class':<{width}}  precision  recall  images"]
    for label in labels:
        c = m["per_class"][label]
        lines.append(f"{label:<{width}}  {_pct(c['precision']):>9}  {_pct(c['recall']):>6}  {c['support']:>6}")
    lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
    col = max(6, *(min(len(label), 12) for label in labels))
    lines.append(" " * width + "  " + " ".join(f"{label[:12]:>{col}}" for label in labels))
    for label, row in zip(labels, m["confusion"]):
        lines.append(f"{label:<{width}}  " + " ".join(f"{v:>{col}}" for v in row))
    return "\n".join(lines)


def labelled_files(data_dir, labels):
    """[(path, label)] of DATA_DIR's class folders, and the skipped [(path, reason)]."""
    from ..data.dataset import SPLIT_DIRS, find_files
    layout, found, files, skipped = find_files(data_dir)
    if layout == "split":
        note(f"evaluate: {data_dir} has {' and '.join(d + '/' for d in SPLIT_DIRS)}; evaluating validation/")
        pairs = files["validation"]
    else:
        pairs = files[None]
    unknown = [label for label in found if label not in labels]
    if unknown:
        raise UserError(f"{data_dir}: class folder{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(repr(u) for u in unknown)} not among the model's labels "
                        f"({', '.join(labels)}); folder names must match the labels")
    if not pairs:
        raise UserError(f"{data_dir}: no image files in class folders (one folder per label: "
                        f"{', '.join(labels)})")
    return pairs, skipped


def evaluate(blob_path, data_dir, engine="litert"):
    """Run every image through classify(); returns the report dict."""
    from ..blob import read
    from .classify import classify
    blob = read(blob_path)
    pairs, skipped = labelled_files(data_dir, blob.labels)
    truth = dict(pairs)
    predictions, y_true, y_pred, unreadable = [], [], [], []
    results = classify(blob, [p for p, _ in pairs], engine)
    for path, r, err in bar(results, "evaluate", total=len(pairs), unit="img"):
        if err:
            msg, prefix = err, f"{shown(path)}: "
            unreadable.append((path, msg[len(prefix):] if msg.startswith(prefix) else msg))
            continue
        predictions.append({"image": path, "true": truth[path], "label": r["label"],
                            "confidence": r["confidence"], "scores": r["scores"]})
        y_true.append(blob.labels.index(truth[path]))
        y_pred.append(blob.labels.index(r["label"]))
    if not predictions:
        raise UserError(f"{data_dir}: none of the {len(pairs)} files could be read as an image")
    m = metrics(y_true, y_pred, blob.labels)
    return {"model": blob_path, "data_dir": data_dir, "engine": engine, "labels": blob.labels, **m,
            "skipped": [{"path": p, "reason": r} for p, r in skipped + unreadable], "unreadable": len(unreadable),
            "predictions": predictions}


def run(args):
    """The `evaluate` command: print the figures (or JSON); exit status 1 if a file was not a readable image."""
    report = evaluate(args.model, args.data_dir, args.engine)
    if args.json:
        print(json_text(report))
    else:
        print(f"model: {shown(args.model)}")
        print(f"data:  {shown(os.path.abspath(args.data_dir))}")
        print(format_metrics(report, report["labels"]))
    for s in report["skipped"]:
        if s["reason"] != "hidden file or folder":
            print(f"evaluate: skipped {shown(s['path'])}: {s['reason']}", file=sys.stderr)
    return 1 if report["unreadable"] else 0
