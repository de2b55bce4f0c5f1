"""Memory: peak resident size of the classify pipeline at 1,000 and 5,000 images.

    .venv/bin/python bench/bench_memory.py [--counts 1000 5000]

Each count runs in a fresh process (peak RSS only ever grows) over the
openmv-mice photos, repeated as needed, fed as a generator. Streaming means
the peaks should be the same for both counts. Results also go to
bench/results/bench_memory.json.
"""
import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench_classify import RESULTS, dataset_photos  # noqa: E402


def child(count):
    from host_tools import DEFAULT_BLOB
    from host_tools.blob import read
    from host_tools.infer.classify import classify
    photos = dataset_photos(1000)
    paths = itertools.islice(itertools.cycle(photos), count)
    t = time.perf_counter()
    n = sum(1 for _, r, err in classify(read(DEFAULT_BLOB), paths) if r)
    print(json.dumps({"images": n, "seconds": round(time.perf_counter() - t, 2),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "largest_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child)
    dataset_photos(1000)  # a clear message now if the photos are missing
    rows = []
    for count in args.counts:
        r = subprocess.run([sys.executable, __file__, "--child", str(count)], capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"bench_memory: {count} images failed: {r.stderr.strip()}")
        rows.append(json.loads(r.stdout))
    print("bench_memory: peak RSS of classify (results consumed as they come)")
    for r in rows:
        print(f"  {r['images']:6d} images: this process {r['peak_rss_mb']:6.1f} MB, "
              f"largest worker {r['largest_worker_mb']:6.1f} MB ({r['seconds']} s)")
    first, last = rows[0], rows[-1]
    growth = (last["peak_rss_mb"] + last["largest_worker_mb"]) - (first["peak_rss_mb"] + first["largest_worker_mb"])
    print(f"  growth from {first['images']} to {last['images']} images: {growth:+.1f} MB")
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "bench_memory.json"), "w") as f:
        json.dump({"runs": rows, "growth_mb": round(growth, 1)}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
