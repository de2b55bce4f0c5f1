"""Classify images in order with a blob's model on a device-exact engine."""
import sys

from .blob import read
from .engine import make_engine
from .images import ImageError, load_pixels, quantize_input
from .results import format_line, result


def classify(blob, paths, engine="litert"):
    """Yield (path, result or None, error message or None) in input order."""
    eng = make_engine(blob.model, engine)
    for path in paths:
        try:
            pixels = load_pixels(path, blob.height, blob.channels)
        except ImageError as e:
            yield path, None, str(e)
            continue
        x = quantize_input(pixels, blob.in_scale, blob.in_zero)
        yield path, result(path, eng.run(x), blob), None


def run(model_path, paths, as_json=False, engine="litert", prog="classify"):
    """Print one line per image; return the exit status (1 if any image failed)."""
    blob = read(model_path)
    failed = 0
    for path, r, err in classify(blob, paths, engine):
        if err:
            failed += 1
            print(f"{prog}: {err}", file=sys.stderr, flush=True)
        else:
            print(format_line(r, as_json), flush=True)
    return 1 if failed else 0
