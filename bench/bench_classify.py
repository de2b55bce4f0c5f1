"""Throughput: the `classify` pipeline against a plain loop, on the same 1,000 photos.

    make bench                                   # every bench/bench_*.py
    .venv/bin/python bench/bench_classify.py [--count N] [--workers N] [--repeat N]

Plain loop: one image at a time, host_tools.data.images.load_pixels (Pillow open
and the documented preprocessing), then tflite-micro's invoke. Project:
host_tools.infer.classify.scores, what `classify` and `evaluate` run. Both see the
same photos (../shared/datasets/openmv-mice) in the same run, taking turns
`--repeat` times (best time of each side counts: other work on a shared
machine only ever slows a run down); every int8 output of every run is
compared. Results also go to bench/results/bench_classify.json.
"""
import argparse
import glob
import json
import os
import platform
import resource
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
DATASET = os.path.join(ROOT, "..", "shared", "datasets", "openmv-mice")
RESULTS = os.path.join(ROOT, "bench", "results")


def dataset_photos(count):
    """The first `count` JPEGs of train/*/ then validation/*/, sorted; exits if too few."""
    paths = [p for split in ("train", "validation")
             for p in sorted(glob.glob(os.path.join(DATASET, split, "*", "*.jpg")))]
    if len(paths) < count:
        where = os.path.normpath(DATASET)
        sys.exit(f"bench: need {count} photos under {where}/{{train,validation}}/*/, found {len(paths)}")
    for p in paths[:count]:  # into the page cache, so neither side pays for the disk
        with open(p, "rb") as f:
            f.read()
    return paths[:count]


def plain_loop(blob, paths):
    import numpy as np
    from tflite_micro import runtime
    from host_tools.data.images import load_pixels, quantize_input
    from host_tools.quiet import captured_fds
    with captured_fds((1,)):
        interp = runtime.Interpreter.from_bytes(bytes(blob.model))
    out = []
    for path in paths:
        x = quantize_input(load_pixels(path, blob.height, blob.channels), blob.in_scale, blob.in_zero)
        interp.set_input(x[None], 0)
        interp.invoke()
        out.append(np.array(interp.get_output(0)).reshape(-1))
    return out


def project(blob, paths, workers):
    from host_tools.infer.classify import scores
    out = []
    for path, q, err in scores(blob, paths, "litert", workers):
        if err:
            sys.exit(f"bench: {err}")
        out.append(q)
    return out


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def peak_rss_mb(who):
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def main():
    import numpy as np
    from host_tools import DEFAULT_BLOB
    from host_tools.blob import read
    from host_tools.infer.classify import cpu_count
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=cpu_count())
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", default=DEFAULT_BLOB)
    args = ap.parse_args()
    if min(args.count, args.workers, args.repeat) < 1:
        sys.exit("bench: --count, --workers and --repeat must be at least 1")
    if not os.path.exists(args.model):
        sys.exit(f"bench: {args.model}: no such model blob (run `make model`)")
    blob = read(args.model)
    paths = dataset_photos(args.count)
    load_before = os.getloadavg()[0]

    runs = {"plain": [], "project": []}
    outputs = []
    for _ in range(args.repeat):
        for side, fn, extra in (("project", project, (args.workers,)), ("plain", plain_loop, ())):
            out, seconds = timed(fn, blob, paths, *extra)
            runs[side].append(round(seconds, 3))
            outputs.append((side, np.stack(out)))
    plain = next(o for side, o in outputs if side == "plain")
    differ = max(int((o != plain).any(axis=1).sum()) for _, o in outputs)
    t_plain, t_fast = min(runs["plain"]), min(runs["project"])
    r = {
        "images": len(paths), "workers": args.workers, "cpus": cpu_count(),
        "plain_loop_images_per_s": round(len(paths) / t_plain, 1),
        "project_images_per_s": round(len(paths) / t_fast, 1),
        "ratio": round(t_plain / t_fast, 2),
        "identical": differ == 0, "outputs_differing": differ,
        "peak_rss_mb": {"this_process": round(peak_rss_mb(resource.RUSAGE_SELF), 1),
                        "largest_worker": round(peak_rss_mb(resource.RUSAGE_CHILDREN), 1)},
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "seconds_per_run": runs,
        "python": platform.python_version(), "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    print(f"bench_classify: {len(paths)} photos from {os.path.normpath(DATASET)}, {args.workers} workers, "
          f"best of {len(runs['plain'])} runs each")
    print(f"  plain loop (Pillow + tflite-micro, one by one): {r['plain_loop_images_per_s']:8.1f} images/s")
    print(f"  project (classify pipeline, litert engine):     {r['project_images_per_s']:8.1f} images/s")
    print(f"  ratio: {r['ratio']:.2f}x (target 10x)")
    print(f"  identical int8 outputs: {'yes' if r['identical'] else 'NO'} "
          f"({len(paths) - differ} of {len(paths)} equal, in every run)")
    print(f"  peak RSS: this process {r['peak_rss_mb']['this_process']} MB (includes the plain loop), "
          f"largest worker {r['peak_rss_mb']['largest_worker']} MB")
    print(f"  load average before/after: {load_before:.2f}/{r['load_average_1min']['after']:.2f} "
          f"(other work on the machine slows both sides)")
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "bench_classify.json"), "w") as f:
        json.dump(r, f, indent=2)
    return 0 if r["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
