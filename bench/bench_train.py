"""Training: the current recipe against the previous one, end to end, in one run.

    make bench                                    # every bench/bench_*.py
    .venv/bin/python bench/bench_train.py [--only mice|harder] [--repeat N]

Each run is `python -m host_tools train DATA --out OUT` in a fresh process,
timed on the wall clock from start to exit, the same command `make train`
runs: Python start and imports, loading, training, conversion, evaluation
and the report. Stage times come from the run's report.json; "start" is
what the stages do not cover (the interpreter, imports, TensorFlow's import
where it did not overlap loading).

- previous: the recipe before this change (whole network every epoch, 40
  epochs, no early stopping, 100 calibration images): `--recipe full --patience 0`.
- current: the defaults.

Data:
- mice: 250 training photos of ../shared/datasets/openmv-mice (125 per class,
  evenly spaced) against its whole validation/ (2 classes, real OpenMV photos).
- harder: 7 classes made of scikit-image's photos (astronaut, coffee, chelsea,
  rocket, grass, gravel, brick): random square crops (30-80% of the height,
  mirrored half the time) of the left half of each photo for training (36 per
  class) and of the right half for validation (30 per class), so no pixel is
  in both. It is a synthetic task on real photos, not a field dataset.

Previous and current take turns on each dataset, so both see the same
machine load, `--repeat` times (default 2); the best time of each counts: the
machine is shared, and its speed swings (the same Python loop took 0.39 s and
0.66 s a minute apart). Results also go to bench/results/bench_train.json.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
DATASET = os.path.join(ROOT, "..", "shared", "datasets", "openmv-mice")
RESULTS = os.path.join(ROOT, "bench", "results")
TARGET_SECONDS = 25
STRETCH_SECONDS = 20
RECIPES = {"previous": ["--recipe", "full", "--patience", "0", "--epochs", "40", "--calibration", "100"],
           "current": []}
STAGES = ("start", "load", "import_wait", "train", "convert", "evaluate", "report")
HARDER = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "grass.png", "gravel.png", "brick.png")


def mice_250(tmp):
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


def harder_split(root, train_per_class=36, val_per_class=30, seed=0):
    """The 7-class crops described above, as train/ and validation/ JPEG folders."""
    import numpy as np
    from PIL import Image, ImageOps
    from host_tools.data.samples import sample_path
    rng = np.random.default_rng(seed)
    for name in HARDER:
        label = os.path.splitext(name)[0]
        with Image.open(sample_path(name)) as img:
            img = img.convert("RGB")
        w, h = img.size
        for split, count, x0 in (("train", train_per_class, 0), ("validation", val_per_class, w // 2)):
            os.makedirs(os.path.join(root, split, label))
            for i in range(count):
                side = int(min(w // 2, h) * rng.uniform(0.3, 0.8))
                left, top = x0 + int(rng.integers(0, w // 2 - side + 1)), int(rng.integers(0, h - side + 1))
                crop = img.crop((left, top, left + side, top + side))
                if rng.random() < 0.5:
                    crop = ImageOps.mirror(crop)
                crop.save(os.path.join(root, split, label, f"{i:03d}.jpg"), quality=90)
    return root


def run(data, recipe, data_dir):
    out = os.path.join(RESULTS, f"train_{data}_{recipe}")
    cmd = [sys.executable, "-m", "host_tools", "train", data_dir, "--out", out, "--force", *RECIPES[recipe]]
    t = time.monotonic()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    total = time.monotonic() - t
    if r.returncode:
        sys.exit(f"bench_train: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    seconds = dict(report["seconds"])
    seconds["start"] = round(total - sum(seconds.values()), 3)
    history = report["history"]
    return {
        "data": data, "recipe": recipe, "command": " ".join(cmd[1:]),
        "train_images": report["dataset"]["images"]["train"],
        "validation_images": report["dataset"]["images"]["validation"],
        "epochs_run": len(history["loss"]), "best_epoch": history.get("best_epoch"),
        "float_accuracy": report["float"]["accuracy"], "int8_accuracy": report["int8"]["accuracy"],
        "seconds": seconds, "seconds_total": round(total, 1),
        "load_average_1min": round(os.getloadavg()[0], 2), "out_dir": os.path.relpath(out, ROOT),
    }


def table(rows):
    head = (f"{'data':<7}{'recipe':<9}{'train':>6}{'val':>5}{'epochs':>7}  {'float':>6} {'int8':>6}  "
            + "".join(f"{s:>12}" for s in STAGES) + f"{'total':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['data']:<7}{r['recipe']:<9}{r['train_images']:>6}{r['validation_images']:>5}"
                     f"{r['epochs_run']:>7}  {r['float_accuracy']:>6.1%} {r['int8_accuracy']:>6.1%}  "
                     + "".join(f"{r['seconds'].get(s, 0):>11.1f}s" for s in STAGES)
                     + f"{r['seconds_total']:>8.1f}s")
    return "\n".join(lines)


def best(rows, data, recipe):
    mine = [r for r in rows if r["data"] == data and r["recipe"] == recipe]
    return min(mine, key=lambda r: r["seconds_total"]) if mine else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=("mice", "harder"))
    ap.add_argument("--repeat", type=int, default=2, help="runs of each recipe on each dataset (best time counts)")
    args = ap.parse_args()
    if not os.path.isdir(DATASET):
        sys.exit(f"bench_train: {os.path.normpath(DATASET)} is absent")
    os.makedirs(RESULTS, exist_ok=True)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        datasets = {"mice": lambda: mice_250(os.path.join(tmp, "mice")),
                    "harder": lambda: harder_split(os.path.join(tmp, "harder"))}
        for data, make in datasets.items():
            if args.only not in (None, data):
                continue
            data_dir = make()
            for _ in range(args.repeat):
                for recipe in ("previous", "current"):
                    rows.append(run(data, recipe, data_dir))
                    print(f"  {data} {recipe}: {rows[-1]['seconds_total']} s", file=sys.stderr, flush=True)
    print(f"bench_train: `train` end to end (wall clock, fresh process), {os.cpu_count()} CPUs, "
          f"load average before {load_before[0]:.2f}")
    print(table(rows))
    summary = {}
    for data in ("mice", "harder"):
        prev, cur = best(rows, data, "previous"), best(rows, data, "current")
        if not (prev and cur):
            continue
        summary[data] = {"speedup": round(prev["seconds_total"] / cur["seconds_total"], 2),
                         "int8_accuracy_previous": prev["int8_accuracy"], "int8_accuracy_current": cur["int8_accuracy"],
                         "accuracy_held": cur["int8_accuracy"] >= prev["int8_accuracy"]}
        line = (f"{data}: current {cur['seconds_total']:.1f} s vs previous {prev['seconds_total']:.1f} s "
                f"({summary[data]['speedup']:.2f}x faster); int8 held-out accuracy {cur['int8_accuracy']:.1%} vs "
                f"{prev['int8_accuracy']:.1%} ({'not lower' if summary[data]['accuracy_held'] else 'LOWER'})")
        if data == "mice":
            ok = cur["seconds_total"] <= TARGET_SECONDS
            summary[data]["within_target"] = ok
            stretch = cur["seconds_total"] <= STRETCH_SECONDS
            summary[data]["within_stretch"] = stretch
            line += (f"; {'within' if ok else 'OVER'} the {TARGET_SECONDS} s target "
                     f"({'within' if stretch else 'over'} the {STRETCH_SECONDS} s stretch)")
        print(line)
    result = {"bench": "train", "cpus": os.cpu_count(), "python": platform.python_version(),
              "load_average_before": [round(v, 2) for v in load_before], "target_seconds_mice_250": TARGET_SECONDS,
              "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "summary": summary, "runs": rows}
    path = os.path.join(RESULTS, "bench_train.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {os.path.relpath(path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
