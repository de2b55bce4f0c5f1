"""Write, read and unpack model blobs (format: docs/blob-format.md).

Reading uses firmware/app/blobfmt.py, the same code the device runs.
"""
import os
import struct

import numpy as np

from . import UserError
from .device_code import blobfmt


def model_io(model):
    """Input (H, W, C, scale, zero) and output (classes, scale, zero) of a .tflite."""
    from ai_edge_litert import interpreter as litert
    interp = litert.Interpreter(model_content=bytes(model))
    i, o = interp.get_input_details()[0], interp.get_output_details()[0]
    if i["dtype"] != np.int8 or o["dtype"] != np.int8:
        raise UserError("model: input and output must be int8 (full-int8 conversion)")
    shape = tuple(int(v) for v in i["shape"])
    if len(shape) != 4 or shape[0] != 1:
        raise UserError(f"model: input shape must be (1, H, W, C); got {shape}")
    oshape = tuple(int(v) for v in o["shape"])
    if len(oshape) != 2 or oshape[0] != 1:
        raise UserError(f"model: output shape must be (1, classes); got {oshape}")
    iscale, izero = i["quantization"]
    oscale, ozero = o["quantization"]
    return (shape[1], shape[2], shape[3], iscale, izero), (oshape[1], oscale, ozero)


def check_labels(labels):
    out = []
    for label in labels:
        raw = label.encode("utf-8") if isinstance(label, str) else bytes(label)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UserError(f"label {raw!r}: not valid UTF-8") from None
        if not text or "\n" in text or "\r" in text:
            raise UserError(f"label {text!r}: must be one non-empty line")
        if len(raw) > blobfmt.MAX_LABEL_BYTES:
            raise UserError(f"label {text!r}: {len(raw)} bytes in UTF-8, "
                            f"at most {blobfmt.MAX_LABEL_BYTES} fit in the blob")
        out.append(text)
    if len(set(out)) != len(out):
        raise UserError(f"labels must be unique; got {out}")
    return out


def pack(model, labels, arena_size=0):
    """A blob (bytes) holding the .tflite model and its labels."""
    labels = check_labels(labels)
    (h, w, c, iscale, izero), (classes, oscale, ozero) = model_io(model)
    if classes != len(labels):
        raise UserError(f"model has {classes} outputs but {len(labels)} labels were given")
    table = b"".join(bytes([len(t.encode())]) + t.encode() for t in labels)
    meta = struct.pack(blobfmt.META, h, w, c, blobfmt.DTYPE_INT8, blobfmt.DTYPE_INT8,
                       iscale, izero, oscale, ozero, classes, len(table))
    body_end = blobfmt.HEADER_SIZE + len(meta) + len(table)
    model_offset = -(-body_end // blobfmt.ALIGN) * blobfmt.ALIGN
    payload = meta + table + bytes(model_offset - body_end) + bytes(model)
    header = struct.pack(blobfmt.HEADER, blobfmt.MAGIC, blobfmt.VERSION, blobfmt.HEADER_SIZE,
                         len(payload), blobfmt.checksum(payload), model_offset, len(model),
                         arena_size, 0)
    return header + payload


def read(path):
    """Parse a blob file, turning format errors into one-line user errors."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise UserError(f"{path}: no such model blob (run `make model` to build the default)") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a model blob") from None
    try:
        return blobfmt.parse(data)
    except blobfmt.BlobError as e:
        raise UserError(f"{path}: {e}") from None


def write_atomic(path, data):
    """Write to a temporary name beside path, then rename over it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.part{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def unpack(path, out_dir):
    """Write model.tflite and labels.txt from a blob into out_dir."""
    b = read(path)
    os.makedirs(out_dir, exist_ok=True)
    write_atomic(os.path.join(out_dir, "model.tflite"), bytes(b.model))
    write_atomic(os.path.join(out_dir, "labels.txt"), "".join(l + "\n" for l in b.labels).encode())
    return b


def read_labels(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise UserError(f"{path}: cannot read labels ({e.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: labels are not valid UTF-8") from None
    return [line for line in text.splitlines() if line]
