"""`inspect`: what a blob holds and what it needs at run time."""
import os

from .blob import read
from .profile import arena_bytes


def inspect_blob(path):
    b = read(path)
    return {
        "blob": path,
        "blob_bytes": os.path.getsize(path),
        "format_version": b.version,
        "crc32": f"{b.crc:08x}",
        "labels": b.labels,
        "input": {"shape": [b.height, b.width, b.channels], "dtype": "int8",
                  "scale": b.in_scale, "zero_point": b.in_zero},
        "output": {"classes": len(b.labels), "dtype": "int8",
                   "scale": b.out_scale, "zero_point": b.out_zero},
        "model_bytes": len(b.model),
        "arena_bytes_recorded_in_blob": b.arena_size,
        "arena_bytes": arena_bytes(b.model),
    }


def format_report(info):
    i, o = info["input"], info["output"]
    return "\n".join([
        f"blob:        {info['blob']} ({info['blob_bytes']} bytes, format v{info['format_version']}, crc32 {info['crc32']})",
        f"labels:      {', '.join(info['labels'])}",
        f"input:       {'x'.join(map(str, i['shape']))} int8, scale {i['scale']:g}, zero point {i['zero_point']}",
        f"output:      {o['classes']} int8, scale {o['scale']:g}, zero point {o['zero_point']}",
        f"model:       {info['model_bytes']} bytes",
        f"arena:       {info['arena_bytes']} bytes (tflite-micro, measured now; blob records {info['arena_bytes_recorded_in_blob']})",
    ])
