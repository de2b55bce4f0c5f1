"""Int8 model scores -> top-1 class and dequantized confidence (docs/preprocessing.md, Output).

    index, confidence = top1(outbuf, blob)   # outbuf holds int8 scores as raw bytes
    blob.labels[index], confidence

In a frame loop, without allocating (a float result is a new object):

    confs = confidence_table(blob)           # once
    index = top1_index(outbuf)               # every frame
    confidence = confs[outbuf[index]]
"""


def top1_index(out):
    """The first index of the largest int8 score; allocates nothing."""
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
    return best


def dequantize(raw, blob):
    """(q - out_zero) * out_scale for one raw score byte."""
    q = raw - 256 if raw > 127 else raw
    return (q - blob.out_zero) * blob.out_scale


def confidence_table(blob):
    """The confidence of every raw score byte 0..255, made once."""
    return [dequantize(raw, blob) for raw in range(256)]


def top1(out, blob):
    """(first index of the largest int8 score, (q - out_zero) * out_scale)."""
    best = top1_index(out)
    return best, dequantize(out[best], blob)


def signed(out):
    """The int8 scores as a list of ints."""
    return [q - 256 if q > 127 else q for q in out]


def scores(out, blob):
    """Every score dequantized: (q - out_zero) * out_scale."""
    zero = blob.out_zero
    scale = blob.out_scale
    return [(q - zero) * scale for q in signed(out)]
