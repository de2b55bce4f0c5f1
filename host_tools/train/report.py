"""OUT_DIR/report.html: one self-contained page (figures embedded as PNG), readable offline.

Sections: the run, the dataset (images per class, files skipped and why,
duplicates), training curves, float vs int8 held-out accuracy, per-class
precision and recall, the confusion matrix, the misclassified validation
images, and the model's size, tensor arena and MACs.
"""
import base64
import html
import io
import warnings

import numpy as np

MAX_MISCLASSIFIED = 60


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _png(fig):
    plt = _plt()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs for some labels
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def curves_png(history):
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for ax, key, title in ((axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")):
        if key in history:
            ax.plot(epochs, history[key], label="training (augmented)")
        if "val_" + key in history:
            ax.plot(epochs, history["val_" + key], label="validation")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if "accuracy" in history:
        axes[1].set_ylim(0, 1.02)
    return _png(fig)


def confusion_png(cm, labels):
    plt = _plt()
    cm = np.asarray(cm)
    k = len(labels)
    side = min(12, 2.5 + 0.6 * k)
    fig, ax = plt.subplots(figsize=(side, side * 0.85))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(k), labels, rotation=45 if k > 3 else 0, ha="right" if k > 3 else "center")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("int8 model, validation images")
    top = cm.max() if cm.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center",
                    color="white" if top and cm[i, j] > top / 2 else "black")
    return _png(fig)


def misclassified_png(items):
    """items: [(pixels HxWxC uint8, true label, predicted label, confidence)]."""
    plt = _plt()
    cols = min(6, len(items))
    rows = -(-len(items) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (px, true, pred, conf) in zip(axes.flat, items):
        ax.imshow(px[..., 0] if px.shape[-1] == 1 else px, cmap="gray" if px.shape[-1] == 1 else None,
                  vmin=0, vmax=255)
        ax.set_title(f"true: {true}\npredicted: {pred} {conf:.2f}", fontsize=8)
    return _png(fig)


def e(value):
    """Every value written into the report's HTML goes through here (issue 16: class names are user text)."""
    return html.escape(str(value))


def _table(header, rows):
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _pct(v):
    return "n/a" if v is None else f"{v:.1%}"


def _img(b64, alt):
    return f'<img alt="{e(alt)}" src="data:image/png;base64,{b64}">'


CSS = """body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}h2{border-bottom:1px solid #ddd;margin-top:1.6em}img{max-width:100%}
.big{font-size:1.3em}code{background:#f3f3f3;padding:0 .2em}"""


def _skipped_section(ds):
    """Files skipped and why (each once), then the duplicates among them."""
    skipped, out = ds["skipped"], []
    n_dup = sum(len(d["dropped"]) for d in ds["duplicates"])
    dup_words = f" ({n_dup} of them {'a duplicate' if n_dup == 1 else 'duplicates'})" if n_dup else ""
    out.append(f"<h3>Files skipped: {e(len(skipped))}{e(dup_words)}</h3>")
    if skipped:
        out.append(_table(["file", "why"], [[s["path"], s["reason"]] for s in skipped]))
    dups = ds["duplicates"]
    out.append(f"<h3>Duplicate images (identical bytes): {e(len(dups))}</h3>")
    if dups:
        out.append("<p>Each image is used once, so no image is both trained on and held out.</p>")
        out.append(_table(["kept", "dropped", "why"],
                          [[d["kept"] or "none", ", ".join(d["dropped"]), d["reason"]] for d in dups]))
    return out


def _headline(report):
    """The held-out figure to trust first, near-copies, and the next step (host_tools.train.held_out)."""
    from .held_out import headline
    fl, q, near = report["float"], report["int8"], report["held_out_near_copies"]
    if not near:
        top = [f"<p class='big'>Held-out accuracy: float <b>{e(_pct(fl['accuracy']))}</b>, "
               f"int8 <b>{e(_pct(q['accuracy']))}</b> on {e(q['images'])} validation images.</p>"]
    else:
        acc, n, words = headline(report)
        top = [f"<p class='big'>Held-out accuracy, int8: <b>{e(_pct(acc))}</b> on {e(n)} {e(words)} "
               f"(float: {e(_pct(report['float_without_near_copies']['accuracy']))}).</p>",
               f"<p>With the {e(near)} near-copies, a figure that flatters: float {e(_pct(fl['accuracy']))}, "
               f"int8 {e(_pct(q['accuracy']))} on {e(q['images'])} validation images.</p>"]
    nc = report["dataset"]["near_copies"]
    bursts = nc["bursts"]
    how = (f"{bursts['photos']} photos are near-copies of another one ({bursts['groups']} bursts); each burst "
           f"is kept whole on one side of the split." if bursts and bursts["groups"] else "")
    top.append(f"<p>Near-copies ({e(nc['rule'])}): {e(near)} of the {e(q['images'])} validation images are "
               f"near-copies of training images. {e(how)}</p>")
    top.append(f"<p><b>Next:</b> {e(report['advice'])}</p>")
    return top


def render(report, data):
    """The HTML text of the report."""
    cfg, ds, labels = report["config"], report["dataset"], report["labels"]
    fl, q = report["float"], report["int8"]
    m = report["model"]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Training report</title>"
             f"<style>{CSS}</style></head><body>",
             "<h1>Training report</h1>",
             *_headline(report),
             "<h2>Run</h2>",
             _table(["setting", "value"], [[k, v] for k, v in cfg.items()]
                    + [["seconds per stage", ", ".join(f"{k} {v:.1f}" for k, v in report["seconds"].items())]]),
             "<h2>Dataset</h2>",
             f"<p><code>{e(ds['data_dir'])}</code>, "
             + ("split given by its train/ and validation/ folders" if ds["layout"] == "split"
                else f"split per class by --val-split {e(cfg['val_split'])} with seed {e(cfg['seed'])}, each "
                     "burst of near-copies kept on one side") + ".</p>",
             _table(["class", "training images", "validation images"],
                    [[c, ds["per_class"][c]["train"], ds["per_class"][c]["validation"]] for c in labels]
                    + [["total", ds["images"]["train"], ds["images"]["validation"]]])]
    parts += _skipped_section(ds)
    parts += ["<h2>Training curves</h2>",
              "<p>Training figures are measured on augmented images while the weights change; "
              "validation figures on the held-out images after each epoch (float model).</p>",
              _img(curves_png(report["history"]), "training curves"),
              f"<p>{e(report['training']['stopped_early'] or 'Every epoch ran.')}</p>",
              "<h2>Held-out accuracy, float and int8</h2>",
              _table(["model", "accuracy", "correct"],
                     [["float (Keras)", _pct(fl["accuracy"]), f"{fl['correct']} of {fl['images']}"],
                      ["int8 (the blob, device-exact engine)", _pct(q["accuracy"]),
                       f"{q['correct']} of {q['images']}"]]),
              f"<p>Top-1 agreement between float and int8: {e(_pct(report['float_int8_agreement']))}. "
              f"Calibration: {e(report['calibration']['images'])} training images "
              f"({', '.join(f'{e(c)} {e(n)}' for c, n in zip(labels, report['calibration']['per_class']))}) "
              f"plus {e(report['calibration']['plus'])}.</p>",
              "<h2>Per-class precision and recall (int8)</h2>",
              _table(["class", "precision", "recall", "validation images", "float precision", "float recall"],
                     [[c, _pct(q["per_class"][c]["precision"]), _pct(q["per_class"][c]["recall"]),
                       q["per_class"][c]["support"], _pct(fl["per_class"][c]["precision"]),
                       _pct(fl["per_class"][c]["recall"])] for c in labels]),
              "<h2>Confusion matrix (int8)</h2>",
              _img(confusion_png(q["confusion"], labels), "confusion matrix")]
    wrong = [(i, p) for i, p in enumerate(report["validation_predictions"]) if p["label"] != p["true"]]
    parts.append(f"<h2>Misclassified validation images (int8): {e(len(wrong))}</h2>")
    if wrong:
        shown = wrong[:MAX_MISCLASSIFIED]
        if len(wrong) > len(shown):
            parts.append(f"<p>The first {e(len(shown))} of {e(len(wrong))}.</p>")
        parts.append("<p>As the model sees them (centre square, resized).</p>")
        parts.append(_img(misclassified_png([(data.val.pixels[i], p["true"], p["label"], p["confidence"])
                                             for i, p in shown]), "misclassified images"))
        parts.append(_table(["file", "true", "predicted", "confidence"],
                            [[p["image"], p["true"], p["label"], f"{p['confidence']:.3f}"] for _, p in shown]))
    else:
        parts.append("<p>None.</p>")
    parts += ["<h2>Model</h2>",
              _table(["figure", "value"], [
                  ["model (.tflite) bytes", f"{m['model_bytes']:,}"],
                  ["blob bytes", f"{m['blob_bytes']:,}"],
                  ["tensor arena bytes (tflite-micro)", f"{m['arena_bytes']:,}"],
                  ["multiply-accumulates per image", f"{m['macs']:,}"],
                  ["parameters", f"{m['params']:,}"],
                  ["input", f"{cfg['size']}x{cfg['size']}x{cfg['channels']} int8 (pixel - 128)"],
                  ["labels", ", ".join(labels)]])]
    if m.get("boards"):
        parts += ["<h2>Fit per board</h2>", _board_table(m["boards"]),
                  "<p>Latencies are estimates: published figures for MobileNetV1 0.25 96x96 "
                  "scaled by this model's MACs (sources in boards/*/board.json).</p>"]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _board_table(rows):
    def cell(part):
        return f"{'yes' if part['fits'] else 'NO'}: {part['needed']:,} of {part['budget']:,} bytes"
    return _table(["board", "RAM (model + arena + app)", "flash (blob)", "estimated latency"],
                  [[r["board"], cell(r["ram"]), cell(r["flash"]),
                    "{:g} ms ({:g} to {:g})".format(r["latency_ms_estimate"], *r["latency_range_ms_estimate"])]
                   for r in rows])


def write_report(out_dir, report, data):
    import os
    with open(os.path.join(out_dir, "report.html"), "w", encoding="utf-8", errors="backslashreplace") as f:
        f.write(render(report, data))
