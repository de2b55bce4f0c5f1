"""Training: the default recipe on real photos, held-out accuracy and time per stage.

    make bench                                    # every bench/bench_*.py
    .venv/bin/python bench/bench_train.py [--only full|250] [--epochs N]

Two runs of `train` with its defaults (MobileNetV1 0.25 96x96 from the
person/no-person weights, 40 epochs, batch 16) on ../shared/datasets/openmv-mice:

- full: all of train/ (782 photos) against validation/ (220);
- 250:  250 training photos (125 per class, evenly spaced) against the same
        validation/, the size the training-time target (< 60 s on 2 cores) is set for.

Prints a table and writes bench/results/bench_train.json (and each run's
OUT_DIR, report included, under bench/results/train_*/).
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
DATASET = os.path.join(ROOT, "..", "shared", "datasets", "openmv-mice")
RESULTS = os.path.join(ROOT, "bench", "results")
TARGET_SECONDS = 60
STAGES = ("load", "train", "convert", "evaluate", "report")


def subset_250(tmp):
    """DATA_DIR with 125 training photos per class (symlinks) and the full validation/."""
    for c in ("black", "white"):
        src = os.path.join(DATASET, "train", c)
        names = sorted(os.listdir(src))
        step = len(names) / 125
        os.makedirs(os.path.join(tmp, "train", c))
        for i in range(125):
            name = names[int(i * step)]
            os.symlink(os.path.join(src, name), os.path.join(tmp, "train", c, name))
    os.symlink(os.path.abspath(os.path.join(DATASET, "validation")), os.path.join(tmp, "validation"))
    return tmp


def run(name, data_dir, epochs):
    from host_tools.train.train import Config, train
    out = os.path.join(RESULTS, f"train_{name}")
    t = time.monotonic()
    report = train(Config(data_dir, out, epochs=epochs, force=True))
    total = time.monotonic() - t
    return {
        "run": name,
        "train_images": report["dataset"]["images"]["train"],
        "validation_images": report["dataset"]["images"]["validation"],
        "epochs": epochs,
        "float_accuracy": report["float"]["accuracy"],
        "int8_accuracy": report["int8"]["accuracy"],
        "float_int8_agreement": report["float_int8_agreement"],
        "seconds": report["seconds"],
        "seconds_total": round(total, 1),
        "model_bytes": report["model"]["model_bytes"],
        "arena_bytes": report["model"]["arena_bytes"],
        "macs": report["model"]["macs"],
        "out_dir": os.path.relpath(out, ROOT),
    }


def table(rows):
    head = f"{'run':<5} {'train':>5} {'val':>4}  {'float':>6} {'int8':>6}  " + \
        " ".join(f"{s:>8}" for s in STAGES) + f" {'total':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['run']:<5} {r['train_images']:>5} {r['validation_images']:>4}  "
                     f"{r['float_accuracy']:>6.1%} {r['int8_accuracy']:>6.1%}  "
                     + " ".join(f"{r['seconds'].get(s, 0):>7.1f}s" for s in STAGES)
                     + f" {r['seconds_total']:>6.1f}s")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=("full", "250"))
    ap.add_argument("--epochs", type=int, default=40)
    args = ap.parse_args()
    if not os.path.isdir(DATASET):
        print(f"bench_train: skipped, {os.path.normpath(DATASET)} is absent")
        return 0
    os.makedirs(RESULTS, exist_ok=True)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "250"):
            rows.append(run("250", subset_250(tmp), args.epochs))
        if args.only in (None, "full"):
            rows.append(run("full", DATASET, args.epochs))
    print(table(rows))
    for r in rows:
        if r["run"] == "250":
            verdict = "within" if r["seconds"]["train"] < TARGET_SECONDS else "OVER"
            print(f"250 images: training {r['seconds']['train']:.1f} s, {verdict} the {TARGET_SECONDS} s target; "
                  f"held-out int8 accuracy {r['int8_accuracy']:.1%} (target 95%)")
    result = {"bench": "train", "cpus": os.cpu_count(), "python": platform.python_version(),
              "load_average_before": [round(v, 2) for v in load_before], "target_train_seconds_250": TARGET_SECONDS,
              "runs": rows}
    path = os.path.join(RESULTS, "bench_train.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {os.path.relpath(path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
