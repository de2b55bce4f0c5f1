"""The ESP32-S3's kernels on the host, and the tensor arena the ESP32 boards need.

The unix firmware built with `make firmware BOARD=unix KERNELS=esp-nn` runs
esp-tflite-micro v1.3.8's ESP-NN kernels (ESP-NN v1.2.0's portable C, the reference
Espressif's tests check the S3 assembly against) and asks ESP-NN for the ESP32-S3's
scratch-buffer sizes (firmware/tflm/esp_nn_s3.h). So the arena tflite-micro plans there
holds the S3's scratch buffers.

    used = arena_used(model_bytes, "esp-nn")      # bytes the interpreter used
    python -m host_tools.firmware.espnn [--check]   # the ESP32 boards' arena figure

The ESP32 boards give the interpreter the blob's arena (measured with the reference
kernels) plus budget.arena_extra_bytes of their board.json: for the default model,
exactly what takes the blob's figure to the arena measured with the ESP-NN kernels. `--check` fails when a board.json
no longer holds the measured figure.
"""
import argparse
import os
import sys

from .. import DEFAULT_BLOB, ROOT, UserError
from ..device.esp32_arena import board_extra, esp32_arena, esp32_blob  # noqa: F401
from .run import run_code
from ..blob import read

ESP32_BOARDS = ("esp32s3_eye", "xiao_esp32s3_sense")
# trial arena: far above what MobileNet 0.25 at 96x96 needs; half the unix board's heap
_TRIAL_ARENA = 2 << 20
_CODE = """\
import tflm
it = tflm.Interpreter(open('model.tflite', 'rb').read(), %d)
print('@arena', it.arena_used)
"""


def arena_used(model, kernels=None):
    """Arena bytes tflite-micro's MicroInterpreter uses for model (bytes) on the unix
    firmware with these kernels (None: reference; "esp-nn": the ESP32-S3's)."""
    lines = run_code("unix", {"model.tflite": bytes(model)}, _CODE % _TRIAL_ARENA, kernels=kernels)
    for line in lines:
        if line.startswith("@arena "):
            return int(line.split()[1])
    raise UserError(f"the unix firmware ({kernels or 'reference'} kernels) did not load the model: "
                    + (lines[-1] if lines else "no output"))


def measure(blob_path=DEFAULT_BLOB):
    """{blob, reference, esp-nn, extra}: the arena bytes the blob's header records, and
    those of its model with each kernel set; extra takes the blob's figure to esp-nn's."""
    b = read(blob_path)
    model = bytes(b.model)
    ref, esp = arena_used(model), arena_used(model, "esp-nn")
    return {"blob": b.arena_size, "reference": ref, "esp-nn": esp, "extra": esp - b.arena_size}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.firmware.espnn", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=DEFAULT_BLOB, help="blob to measure (default: the default model)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if an ESP32 board.json's budget.arena_extra_bytes is not the measured figure")
    args = ap.parse_args(argv)
    try:
        m = measure(args.model)
    except UserError as e:
        print(f"espnn: {e}", file=sys.stderr)
        return 2
    print(f"{os.path.relpath(args.model, ROOT)}: arena {m['blob']:,} bytes in the blob's header, "
          f"{m['reference']:,} on the unix firmware with the reference kernels, {m['esp-nn']:,} with "
          f"the ESP32-S3's ESP-NN kernels and scratch buffers (x86-64): budget.arena_extra_bytes = {m['extra']}")
    stale = [b for b in ESP32_BOARDS if board_extra(b) != m["extra"]]
    for b in stale:
        print(f"espnn: boards/{b}/board.json has arena_extra_bytes {board_extra(b)}; measured {m['extra']}",
              file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
