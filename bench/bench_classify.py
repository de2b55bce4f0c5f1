"""Throughput: `classify` against a plain loop and the exact-kernel ceiling, in one run.

    make bench                                   # every bench/bench_*.py
    .venv/bin/python bench/bench_classify.py [--count N] [--workers N] [--repeat N]

Photos: the first 1,000 of ../shared/datasets/openmv-mice (320x240 JPEGs),
the same photos centre-cropped and resized to 96x96 with Pillow and saved as
JPEG (quality 90) in a temporary folder (the "small photos" case), and the same
photos enlarged to 640x480 the same way (what a larger photo costs to decode
and shrink; the camera took them at 320x240).

- plain loop: one image at a time, Pillow's open and decode and the documented
  preprocessing (host_tools.data.images.open_image, to_pixels), then
  tflite-micro's invoke.
- ceiling: LiteRT's builtin kernels (no XNNPACK) running the model's exact
  body (every op but the classifier tail) on inputs decoded and quantized
  beforehand, batches of 8, one process per core: what the arithmetic alone costs.
- classify: host_tools.infer.classify.scores, what `classify` and `evaluate`
  run, from the first path to the last result (worker start included).

Sides take turns `--repeat` times; the best time of each counts (other work
on a shared machine only ever slows a run down). Every int8 output of every
classify run is compared with the plain loop's. A profile of one process
(where the time of one image goes) is printed first. Results also go to
bench/results/bench_classify.json.
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
    from host_tools.data.images import open_image, quantize_input, to_pixels
    from host_tools.quiet import captured_fds
    with captured_fds((1,)):
        interp = runtime.Interpreter.from_bytes(bytes(blob.model))
    out = []
    for path in paths:
        x = quantize_input(to_pixels(open_image(path), blob.height, blob.channels), blob.in_scale, blob.in_zero)
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


def resized_photos(paths, folder, size):
    """The photos resized to size (w, h) (centre-cropped first if square), saved as JPEG in folder."""
    from PIL import Image
    out = []
    os.makedirs(folder)
    for i, p in enumerate(paths):
        q = os.path.join(folder, f"{i:04d}.jpg")
        with Image.open(p) as img:
            w, h = img.size
            if size[0] == size[1]:
                side = min(w, h)
                img = img.crop(((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2))
            img.resize(size, Image.BILINEAR).save(q, quality=90)
        out.append(q)
    return out


def profile(blob, paths):
    """Microseconds per image of each step, in one process (the worker's loop, taken apart)."""
    import numpy as np
    from PIL import Image
    from host_tools.data import jpeg
    from host_tools.data.images import input_quantizer, open_image, to_pixels
    from host_tools.infer.classify import BATCH
    from host_tools.infer.engine import make_engine
    eng = make_engine(blob.model, "litert", batch=BATCH)
    quantize = input_quantizer(blob.in_scale, blob.in_zero)
    steps = {}

    def step(name, fn):
        t = time.perf_counter()
        out = fn()
        steps[name] = (time.perf_counter() - t) / len(paths) * 1e6
        return out

    jpeg.decode(paths[0])  # (its first call also checks the decoder against Pillow, once per process)
    decoded = step("read + decode (simplejpeg, plain JPEG)", lambda: [jpeg.decode(p) for p in paths])
    assert all(d is not None for d in decoded)  # these photos are all plain JPEGs
    px = step("crop + resize (to_pixels, unless 96x96)",
              lambda: np.stack([d if d.shape[:2] == (blob.height, blob.height) else
                                to_pixels(Image.fromarray(d), blob.height, blob.channels) for d in decoded]))
    xs = np.empty(px.shape, np.int8)
    xs[:] = 0  # (fresh pages paid for here; workers reuse their batch)
    step("quantize (into the batch)", lambda: [quantize(p, x) for p, x in zip(px, xs)])
    body = eng._body
    n = len(xs) - len(xs) % eng.batch

    def run_body():
        out = []
        for k in range(0, n, eng.batch):
            body.set_tensor(eng._in, xs[k:k + eng.batch])
            body.invoke()
            out.append([body.get_tensor(i) for i in eng._out])
        return out
    hs = step("LiteRT body (batches of 8)", run_body)
    step("tflite-micro tail (classifier)",
         lambda: [eng._finish([h[j:j + 1] for h in part]) for part in hs for j in range(eng.batch)])
    steps["tflite-micro tail (classifier)"] *= len(paths) / n
    steps["LiteRT body (batches of 8)"] *= len(paths) / n
    before = {}
    t = time.perf_counter()
    imgs = [open_image(p) for p in paths]
    before["open + decode with Pillow"] = (time.perf_counter() - t) / len(paths) * 1e6
    t = time.perf_counter()
    [to_pixels(i, blob.height, blob.channels) for i in imgs]
    before["crop + resize of Pillow's image"] = (time.perf_counter() - t) / len(paths) * 1e6
    return steps, before


def _ceiling_worker(model, xs, batch, start, conn):
    from host_tools.infer.engine import LiteRTEngine
    eng = LiteRTEngine(model, batch=batch)
    body = eng._body
    xs = xs[:len(xs) - len(xs) % eng.batch]
    start.wait()
    t = time.perf_counter()
    for k in range(0, len(xs), eng.batch):
        body.set_tensor(eng._in, xs[k:k + eng.batch])
        body.invoke()
    conn.send((len(xs), time.perf_counter() - t))


def ceiling(blob, xs, workers, batch=8):
    """Images/s of the exact LiteRT kernels on pre-decoded inputs, one process per core."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    start = ctx.Barrier(workers + 1)
    pipes, procs = [], []
    for w in range(workers):
        recv, send = ctx.Pipe(False)
        p = ctx.Process(target=_ceiling_worker, args=(bytes(blob.model), xs[w::workers], batch, start, send))
        p.start()
        pipes.append(recv)
        procs.append(p)
    start.wait()
    done = [r.recv() for r in pipes]
    for p in procs:
        p.join()
    return sum(n for n, _ in done) / max(t for _, t in done)


def report(r, prof, sets, args):
    """Print the figures; True when every route gave identical outputs."""
    large, load_before = r["images"], r["load_average_1min"]["before"]
    print(f"bench_classify: {large} photos from {os.path.normpath(DATASET)} (320x240 JPEG) and the same "
          f"resized to 96x96 and 640x480; {args.workers} workers; best of {args.repeat} runs")
    print("  where one image's time goes, one process (microseconds per image):")
    print(f"    {'step':<40}" + "".join(f"{name:>9}" for name in sets))
    for step in prof["96x96"][0]:
        print(f"    {step:<40}" + "".join(f"{p[0][step]:>9.0f}" for p in prof.values()))
    print(f"    {'sum':<40}" + "".join(f"{sum(p[0].values()):>9.0f}" for p in prof.values()))
    print("    for comparison, Pillow decoding (before simplejpeg):")
    for step in prof["96x96"][1]:
        print(f"      {step:<38}" + "".join(f"{p[1][step]:>9.0f}" for p in prof.values()))
    ok = True
    for name, p in r["photos"].items():
        rate = p["images_per_s"]
        print(f"  {name} photos:")
        print(f"    plain loop (Pillow + tflite-micro, one by one): {rate['plain']:8.1f} images/s")
        print(f"    ceiling (exact LiteRT kernels, pre-decoded):     {rate['ceiling']:8.1f} images/s")
        print(f"    classify:                                        {rate['classify']:8.1f} images/s = "
              f"{p['classify_vs_plain']:.1f}x the plain loop, {p['classify_vs_ceiling']:.0%} of the ceiling")
        print(f"    identical int8 outputs: {'yes' if p['identical'] else 'NO'} "
              f"({large - p['outputs_differing']} of {large} equal to the plain loop's, in every run)")
        ok = ok and p["identical"]
    s = r["photos"]["96x96"]
    print(f"  targets (96x96): 2,000 images/s: {'met' if s['images_per_s']['classify'] >= 2000 else 'NOT met'}; "
          f"15x the plain loop: {'met' if s['classify_vs_plain'] >= 15 else 'NOT met'}; "
          f"65% of the ceiling: {'met' if s['classify_vs_ceiling'] >= 0.65 else 'NOT met'}")
    print(f"  peak RSS: this process {r['peak_rss_mb']['this_process']} MB, "
          f"largest child {r['peak_rss_mb']['largest_child']} MB")
    print(f"  load average before/after: {load_before:.2f}/{r['load_average_1min']['after']:.2f} "
          f"(other work on the machine slows every side)")
    return ok


def main():
    import tempfile
    import numpy as np
    from host_tools import DEFAULT_BLOB
    from host_tools.blob import read
    from host_tools.data.images import load_pixels, quantize_input
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
    large = dataset_photos(args.count)
    load_before = os.getloadavg()[0]
    tmp = tempfile.TemporaryDirectory()
    sets = {"96x96": resized_photos(large, os.path.join(tmp.name, "small"), (blob.height, blob.height)),
            "320x240": large,
            "640x480": resized_photos(large, os.path.join(tmp.name, "larger"), (640, 480))}
    prof = {name: profile(blob, paths[:400]) for name, paths in sets.items()}

    r = {"images": len(large), "workers": args.workers, "cpus": cpu_count(), "photos": {},
         "profile_us_per_image": {n: {"route": p[0], "pillow_before": p[1]} for n, p in prof.items()}}
    for name, paths in sets.items():
        xs = np.stack([quantize_input(load_pixels(p, blob.height, blob.channels), blob.in_scale, blob.in_zero)
                       for p in paths])
        runs = {"plain": [], "ceiling": [], "classify": []}
        plain_out, differ = None, 0
        for _ in range(args.repeat):
            out, seconds = timed(project, blob, paths, args.workers)
            runs["classify"].append(round(seconds, 3))
            runs["ceiling"].append(round(len(paths) / ceiling(blob, xs, args.workers), 3))
            if plain_out is None or name == "96x96":
                plain_out, seconds = timed(plain_loop, blob, paths)
                plain_out = np.stack(plain_out)
                runs["plain"].append(round(seconds, 3))
            differ = max(differ, int((np.stack(out) != plain_out).any(axis=1).sum()))
        rate = {k: round(len(paths) / min(v), 1) for k, v in runs.items()}
        r["photos"][name] = {
            "images_per_s": rate, "seconds_per_run": runs,
            "classify_vs_plain": round(rate["classify"] / rate["plain"], 2),
            "classify_vs_ceiling": round(rate["classify"] / rate["ceiling"], 3),
            "identical": differ == 0, "outputs_differing": differ}
    r.update({"peak_rss_mb": {"this_process": round(peak_rss_mb(resource.RUSAGE_SELF), 1),
                              "largest_child": round(peak_rss_mb(resource.RUSAGE_CHILDREN), 1)},
              "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
              "python": platform.python_version(), "time": time.strftime("%Y-%m-%dT%H:%M:%S")})
    tmp.cleanup()

    ok = report(r, prof, list(sets), args)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "bench_classify.json"), "w") as f:
        json.dump(r, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
