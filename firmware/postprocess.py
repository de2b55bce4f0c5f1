"""Int8 model scores -> top-1 class and dequantized confidence (docs/preprocessing.md, Output).

    index, confidence = top1(outbuf, blob)   # outbuf holds int8 scores as raw bytes
    blob.labels[index], confidence
"""


def top1(out, blob):
    """(first index of the largest int8 score, (q - out_zero) * out_scale)."""
    if len(out) == 0:
        raise ValueError("no scores")
    best = 0
    best_q = -129
    for i in range(len(out)):
        q = out[i]
        if q > 127:  # raw byte -> signed int8
            q -= 256
        if q > best_q:
            best = i
            best_q = q
    return best, (best_q - blob.out_zero) * blob.out_scale


def signed(out):
    """The int8 scores as a list of ints."""
    return [q - 256 if q > 127 else q for q in out]


def scores(out, blob):
    """Every score dequantized: (q - out_zero) * out_scale."""
    zero = blob.out_zero
    scale = blob.out_scale
    return [(q - zero) * scale for q in signed(out)]
