"""`make model`: the default person/no-person blob from the pretrained weights."""
import json
import os
import sys

import numpy as np

from .. import DEFAULT_BLOB
from ..blob import pack, write_atomic
from ..infer.engine import TflmEngine
from ..data.images import quantize_input
from .profile import arena_bytes
from .quantize import to_int8_tflite
from ..data.samples import calibration_set

MIN_AGREEMENT = 0.95


def float_vs_int8(model, tflite, images):
    """Top-1 agreement and largest score difference between float and int8."""
    floats = model.predict(images.astype(np.float32), verbose=0)
    eng = TflmEngine(tflite)
    ints = np.stack([eng.run(quantize_input(x, eng.input_scale, eng.input_zero_point)) for x in images])
    deq = (ints.astype(np.float64) - eng.output_zero_point) * eng.output_scale
    agree = float(np.mean(floats.argmax(1) == ints.argmax(1)))
    return agree, float(np.max(np.abs(deq - floats)))


def build_default(out=DEFAULT_BLOB):
    from .vww import LABELS, pretrained_vww
    log = lambda msg: print(f"model: {msg}", file=sys.stderr, flush=True)  # noqa: E731
    log("building MobileNetV1 0.25 96x96 from the pretrained person/no-person weights")
    model = pretrained_vww()
    images = calibration_set(96, 3)
    log(f"quantizing to full int8 on {len(images)} calibration crops of scikit-image photos")
    tflite = to_int8_tflite(model, images)
    agree, diff = float_vs_int8(model, tflite, images)
    log(f"float vs int8 on the calibration crops: top-1 agreement {agree:.1%}, "
        f"largest score difference {diff:.3f}")
    if agree < MIN_AGREEMENT:
        raise SystemExit(f"model: int8 disagrees with float on {1 - agree:.1%} of crops; refusing")
    arena = arena_bytes(tflite)
    blob = pack(tflite, LABELS, arena)
    write_atomic(out, blob)
    summary = {"blob": os.path.basename(out), "blob_bytes": len(blob), "model_bytes": len(tflite),
               "arena_bytes": arena, "labels": LABELS, "calibration_images": len(images),
               "float_int8_top1_agreement": agree, "float_int8_max_score_diff": diff}
    write_atomic(os.path.splitext(out)[0] + ".json", (json.dumps(summary, indent=2) + "\n").encode())
    log(f"wrote {out}: {len(blob)} bytes, model {len(tflite)} bytes, arena {arena} bytes")
    return out
