"""One image's result, from int8 scores, exactly as the device computes it."""
import json


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


def format_line(r, as_json):
    if as_json:
        return json.dumps(r, ensure_ascii=False)
    return f"{r['image']}: {r['label']} {r['confidence']:.3f}"
