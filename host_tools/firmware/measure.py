"""Per-frame cost of the app on the emulated Cortex-M7 (qemu_m7), counted in instructions.

    m = measure("models/vww_96.blob")     # runs the firmware in QEMU with -icount shift=0
    m["inference_instructions"], m["preprocess_viper_instructions"], ...

With -icount shift=0 QEMU advances its clock 1 ns per instruction, so the board's
time.ticks_us() counts thousands of instructions. On the board: tflm's invoke(),
the preprocessing with the viper kernel and with the portable one, and the real
app (app.main with the board's camera, panel and tflm) over 1 and over 1 + N
frames: the difference, divided by N, is one turn of the frame loop, and what is
not inference or preprocessing in it is the rest of the loop (top-1, panel,
result line). The figures are saved to build/measured/qemu_m7.json, keyed by the
model's sha256, where `profile` finds them.
"""
import hashlib
import json
import os

from .. import ROOT, UserError
from ..device.fit import MEASURED_DIR, measured_for  # noqa: F401
from ..blob import read
from ..data.images import open_image
from ..data.samples import demo_paths
from ..device.boards import board_info
from ..device.compile_app import deploy_files
from .run import photo_frames, run_code

H7_HZ = 480e6   # the OpenMV H7 Plus's STM32H743

_CODE = """
import gc, json, micropython, time, board, app, blobfmt
from preprocess import Preprocessor
t, d = time.ticks_us, time.ticks_diff
blob = blobfmt.load(board.MODEL_PATH)
cam = board.camera()
frame = cam.capture()
it = board.interpreter(blob.model, blob.arena_size, blob.input_size(), len(blob.labels))
inbuf, out = bytearray(blob.input_size()), bytearray(len(blob.labels))

def cost(fn, *args):
    fn(*args)
    best = None
    for _ in range(3):
        t0 = t()
        fn(*args)
        k = d(t(), t0)
        best = k if best is None or k < best else best
    return best * 1000

fast = Preprocessor(blob, cam.width, cam.height, cam.format)
slow = Preprocessor(blob, cam.width, cam.height, cam.format, fast=False)
r = {"viper": fast._fast is not None, "pre_viper": cost(fast.run, frame, inbuf),
     "pre_portable": cost(slow.run, frame, inbuf), "invoke": cost(it.invoke, inbuf, out),
     "arena_used": it.tflm.arena_used}
del it
camera = board.camera

last = []

class Limited:
    def __init__(self, n, counting=False):
        self.c = camera()
        self.c.counting = counting   # the heap's growth per frame: costly, so not when timed
        last.append(self.c)
        self.width, self.height, self.format = self.c.width, self.c.height, self.c.format
        self.n = n
    def capture(self):
        self.n -= 1
        return self.c.capture() if self.n >= 0 else None

def app_run(n, counting=False):
    board.camera = lambda: Limited(n, counting)
    gc.collect()
    gc.disable()   # a collection in one run and not the other would count as loop work
    t0 = t()
    app.main(board)
    k = d(t(), t0) * 1000
    gc.enable()
    return k

one = app_run(1)
r["frames"] = %d
r["app_loop"] = (app_run(1 + r["frames"]) - one) // r["frames"]
app_run(1 + r["frames"], True)
r["alloc"] = last[-1]._alloc[2:r["frames"] + 2]   # heap growth per frame, after the first
r["heap_used"] = gc.mem_alloc()
r["heap_free"] = gc.mem_free()
r["heap_peak"] = micropython.mem_peak()
print("@measure " + json.dumps(r))
"""


def measure(blob_path, frames_count=5, photos=None):
    """The figures (a dict), saved to build/measured/qemu_m7.json."""
    blob = read(blob_path)
    photos = photos or demo_paths()[:frames_count + 1]
    frames = photo_frames([open_image(p) for p in photos], blob)
    files = dict(deploy_files("qemu_m7", blob_path))
    lines = run_code("qemu_m7", files, _CODE % frames_count, frames)
    found = [line for line in lines if line.startswith("@measure ")]
    if not found:
        raise UserError("the board did not report its figures: " + " | ".join(lines[-5:]))
    r = json.loads(found[0][len("@measure "):])
    info = board_info("qemu_m7")
    result = {
        "board": "qemu_m7",
        "model_sha256": hashlib.sha256(bytes(blob.model)).hexdigest(),
        "inference_instructions": r["invoke"],
        "preprocess_viper_instructions": r["pre_viper"],
        "preprocess_portable_instructions": r["pre_portable"],
        "viper_kernel_loaded": r["viper"],
        "loop_instructions": r["app_loop"],
        "rest_of_loop_instructions": r["app_loop"] - r["invoke"] - r["pre_viper"],
        "app_share_of_inference": round((r["app_loop"] - r["invoke"]) / r["invoke"], 4),
        "estimate_ms_at_480mhz": round(r["app_loop"] / H7_HZ * 1000, 1),
        "estimate_basis": "estimate: instructions / 480 MHz, one instruction per cycle (the H7's clock; "
                          "caches, wait states and dual issue are not modelled)",
        "arena_used_bytes": r["arena_used"],
        "heap_bytes": info["heap_bytes"],
        "heap_used_bytes": r["heap_used"],
        "heap_peak_bytes": r["heap_peak"],
        "alloc_per_frame_bytes": r["alloc"],
        "ram_used_bytes": r["heap_peak"],
        "ram_basis": "the GC heap's peak, which holds the tflm arena and interpreter; the model is read "
                     "in place from ROMFS, not copied",
        "frames": r["frames"],
    }
    os.makedirs(MEASURED_DIR, exist_ok=True)
    path = os.path.join(MEASURED_DIR, "qemu_m7.json")
    with open(path + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(path + ".tmp", path)
    return result
