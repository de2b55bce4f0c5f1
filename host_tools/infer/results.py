"""One image's result, from int8 scores, exactly as the device computes it."""
import json

from ..data.names import json_text, shown


def dequantize(q, blob):
    # Double precision, with the blob's float32 scale: the device's formula.
    return (int(q) - blob.out_zero) * blob.out_scale


def result(image, scores, blob):
    scores = [int(q) for q in scores]
    top = scores.index(max(scores))  # first index of the maximum
    return {
        "image": image,
        "label": blob.labels[top],
        "confidence": dequantize(scores[top], blob),
        "scores": {label: dequantize(q, blob) for label, q in zip(blob.labels, scores)},
    }


RESULT_PREFIX = "@result "  # what firmware/app/app.py prints before each frame's JSON


def parse_result_line(line):
    """The result dict of a device `@result` line; None for any other line (or a garbled one)."""
    if not line.startswith(RESULT_PREFIX):
        return None
    try:
        r = json.loads(line[len(RESULT_PREFIX):])
    except ValueError:
        return None
    if not isinstance(r, dict) or not {"label", "confidence"} <= set(r):
        return None
    return r


def format_line(r, as_json):
    """One line: JSON (undecodable name bytes as \\udcNN escapes), or the name escaped as needed."""
    if as_json:
        return json_text(r)
    return f"{shown(r['image'])}: {r['label']} {r['confidence']:.3f}"


def device_result(image, r, blob):
    """A row from a device's `@result` dict: its label and confidence as the device
    printed them, every int8 score dequantized as the device does."""
    return {
        "image": image,
        "label": r["label"],
        "confidence": r["confidence"],
        "scores": {label: dequantize(q, blob) for label, q in zip(blob.labels, r["scores"])},
    }
