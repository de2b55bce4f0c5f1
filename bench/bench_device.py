"""The app's per-frame cost on the emulated Cortex-M7 (qemu_m7, the project's firmware),
counted in instructions with QEMU's -icount shift=0 (1 instruction per virtual ns).

    .venv/bin/python bench/bench_device.py [--model BLOB] [--frames N]

Baseline: the inference itself (tflm.invoke, CMSIS-NN kernels), measured in the
same run. Reported: preprocessing with the viper kernel and with the portable
one, the rest of the frame loop, the app's own work as a share of the inference
(goal: at most 5%), an estimate at the H7's 480 MHz, heap and arena, and the
bytes the loop allocates per frame after the first (must be 0). The figures go to
build/measured/qemu_m7.json, where `make profile` shows them, and to
bench/results/bench_device.json.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench_classify import RESULTS  # noqa: E402

GOAL = 0.05


def main():
    from host_tools import DEFAULT_BLOB
    from host_tools.firmware.measure import measure
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_BLOB)
    ap.add_argument("--frames", type=int, default=5)
    args = ap.parse_args()
    m = measure(args.model, args.frames)
    inf = m["inference_instructions"]
    print(f"qemu_m7, {os.path.relpath(args.model, ROOT)}, per frame (instructions; baseline: inference):")
    print(f"  inference (tflm.invoke, CMSIS-NN) {inf:>12,}  1.000")
    for label, key in (("preprocessing, viper kernel", "preprocess_viper_instructions"),
                       ("preprocessing, portable kernel", "preprocess_portable_instructions"),
                       ("rest of the loop (top-1, LCD, line)", "rest_of_loop_instructions"),
                       ("whole loop turn", "loop_instructions")):
        print(f"  {label:<34}{m[key]:>12,}  {m[key] / inf:.3f}")
    share = m["app_share_of_inference"]
    print(f"  the app's own work: {100 * share:.1f}% of the inference (goal: at most {100 * GOAL:.0f}%): "
          + ("met" if share <= GOAL else "NOT met"))
    print(f"  viper over portable preprocessing: "
          f"{m['preprocess_portable_instructions'] / m['preprocess_viper_instructions']:.1f}x fewer instructions")
    print(f"  ~{m['estimate_ms_at_480mhz']} ms per frame at 480 MHz ({m['estimate_basis']})")
    print(f"  GC heap {m['heap_bytes']:,} bytes: used {m['heap_used_bytes']:,}, peak {m['heap_peak_bytes']:,} "
          f"(holds the tflm arena, {m['arena_used_bytes']:,} bytes used; the model is read in place)")
    print(f"  heap growth per frame after the first: {m['alloc_per_frame_bytes']} bytes")
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "bench_device.json"), "w") as f:
        json.dump(m, f, indent=1)
    ok = all(a == 0 for a in m["alloc_per_frame_bytes"]) and m["viper_kernel_loaded"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
