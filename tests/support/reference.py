"""Independent references, so that a test compares two implementations and not one
function with itself: the host pipeline written from docs/preprocessing.md with Pillow and
numpy only, and tensor-arena figures read from tflite-micro itself (its Python runtime's
report, and the project's unix firmware)."""
import numpy as np
from PIL import Image, ImageOps


def decoded(path, channels=3):
    """Pillow's pixels of an image file, upright (EXIF), in RGB or L: (h, w, channels) uint8."""
    with Image.open(path) as img:
        img = ImageOps.exif_transpose(img)
        a = np.asarray(img.convert("RGB" if channels == 3 else "L"), dtype=np.uint8)
    return a.reshape(a.shape[0], a.shape[1], channels)


def centre_square(a):
    """The largest centred square by numpy slicing: side min(w, h), left (w - side) // 2,
    top (h - side) // 2."""
    h, w = a.shape[:2]
    side = min(w, h)
    top, left = (h - side) // 2, (w - side) // 2
    return a[top:top + side, left:left + side]


def model_pixels(a, size):
    """Decoded pixels (h, w, C) -> the model's (size, size, C): centre square, then
    Pillow's BILINEAR resize of that square."""
    square = centre_square(a)
    channels = square.shape[2]
    if square.shape[0] == size:
        return np.ascontiguousarray(square)
    img = Image.fromarray(square[..., 0] if channels == 1 else square)
    return np.asarray(img.resize((size, size), Image.BILINEAR), dtype=np.uint8).reshape(size, size, channels)


def file_model_pixels(path, size, channels=3):
    return model_pixels(decoded(path, channels), size)


def int8_input(pixels, scale, zero):
    """lut[p] = clamp(round(p / s) + z, -128, 127), with s the blob's float32 scale, per pixel."""
    s = float(np.float32(scale))
    q = np.round(pixels.astype(np.float64) / s) + zero  # numpy rounds half to even, as Python's round
    return np.clip(q, -128, 127).astype(np.int8)


def tflm_recorded_arena(model_path):
    """The tensor-arena total tflite-micro's Python runtime prints for a .tflite file
    (print_allocations, read from a child's C stdout)."""
    import re
    import subprocess
    import sys
    code = ("from tflite_micro import runtime\n"
            f"runtime.Interpreter.from_bytes(open({str(model_path)!r}, 'rb').read()).print_allocations()\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    totals = re.findall(r"Arena allocation total (\d+) bytes", r.stdout + r.stderr)  # (its log goes to C stderr)
    assert r.returncode == 0 and len(totals) == 1, (r.stdout + r.stderr)[-2000:]
    return int(totals[0])


def unix_firmware_arena(model_path, arena_size):
    """arena_used of the project's unix firmware (the device's tflite-micro build) for a
    .tflite file, given arena_size bytes."""
    from tests.support.firmware import run_unix
    from host_tools.firmware.firmware import firmware_image
    firmware_image("unix")
    status, out, err = run_unix(f"import tflm\nmodel = open({str(model_path)!r}, 'rb').read()\n"
                                f"print(tflm.Interpreter(model, {int(arena_size)}).arena_used)\n")
    assert status == 0, err[-2000:]
    return int(out)


def camera_rgb(frame, width, height, fmt):
    """A camera frame to (height, width, 3) RGB, by the table in docs/preprocessing.md: RGB565
    fields from the 16-bit value in the format's byte order, widened by bit replication."""
    b = np.frombuffer(bytes(frame), np.uint8).astype(np.int32)
    if fmt == "RGB888":
        return b.reshape(height, width, 3)
    if fmt == "GRAY":
        return np.repeat(b.reshape(height, width, 1), 3, axis=2)
    b0, b1 = b[0::2], b[1::2]
    v = (b0 << 8 | b1) if fmt == "RGB565_BE" else (b1 << 8 | b0)
    r5, g6, b5 = v >> 11, (v >> 5) & 63, v & 31
    rgb = np.stack([r5 << 3 | r5 >> 2, g6 << 2 | g6 >> 4, b5 << 3 | b5 >> 2], axis=-1)
    return rgb.reshape(height, width, 3)


def device_input(frame, width, height, fmt, blob):
    """The device's int8 input for a camera frame (docs/preprocessing.md, "Camera frames on
    the device"): centred square, nearest neighbour src = top + dst * side // size, lut."""
    rgb = camera_rgb(frame, width, height, fmt)
    side = min(width, height)
    top, left = (height - side) // 2, (width - side) // 2
    rows = top + (np.arange(blob.height) * side) // blob.height
    cols = left + (np.arange(blob.width) * side) // blob.width
    return int8_input(rgb[rows][:, cols], blob.in_scale, blob.in_zero)
