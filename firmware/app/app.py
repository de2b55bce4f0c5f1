"""The frame loop: camera -> preprocess -> tflite-micro -> top-1 -> display and console.

    import board, app
    app.main(board)          # board.py builds camera(), display(), interpreter()

Each frame prints one machine-readable line on the console, e.g.
    @result {"frame": 0, "label": "person", "index": 0, "confidence": 0.94, "scores": [113, -113], "fps": 9.8}
The loop ends when camera.capture() returns None (end of input on the host).

Capture mode (capture.py): when the host writes `@frame` on the console, the
frame after it is sent back as `@frame` and `@data` lines
(docs/capture-protocol.md); the loop goes on classifying meanwhile.

After the first frame the loop allocates nothing: the confidences and
percentages of all 256 score values are tabled at start, and the result line
is printed piece by piece.
"""
import json
import time

import blobfmt
from capture import Capture
from postprocess import confidence_table, top1_index
from preprocess import Preprocessor
from ui import Ui, percent

try:
    _ticks_us = time.ticks_us
    _ticks_diff = time.ticks_diff
except AttributeError:  # CPython
    def _ticks_us():
        return time.perf_counter_ns() // 1000

    def _ticks_diff(a, b):
        return a - b

DEFAULT_MODEL_PATH = "/model.blob"
RESULT_PREFIX = "@result "


def load_blob(path):
    """The parsed blob, or None after printing one line that says why not."""
    try:
        return blobfmt.load(path)
    except OSError as e:
        print("app: cannot read model blob %s: %s" % (path, e))
    except blobfmt.BlobError as e:
        print("app: bad model blob %s: %s" % (path, e))
    except MemoryError:
        print("app: not enough memory to load model blob %s" % path)
    return None


def report(n, label_json, index, confidence, outbuf, fps_x10):
    """Print the @result line without allocating; label_json is json.dumps(label)."""
    print(RESULT_PREFIX, end="")
    print('{"frame": ', end="")
    print(n, end="")
    print(', "label": ', end="")
    print(label_json, end="")
    print(', "index": ', end="")
    print(index, end="")
    print(', "confidence": ', end="")
    print(confidence, end="")
    print(', "scores": [', end="")
    for i in range(len(outbuf)):
        q = outbuf[i]
        if i:
            print(", ", end="")
        print(q - 256 if q > 127 else q, end="")
    # fps as "12.3": MicroPython would print fps_x10 / 10 as 12.30000000000001
    print('], "fps": ', end="")
    print(fps_x10 // 10, end="")
    print(".", end="")
    print(fps_x10 % 10, end="")
    print("}")


def main(board, blob_path=None):
    """Classify camera frames until the camera runs out; returns the frame count."""
    path = blob_path or getattr(board, "MODEL_PATH", None) or DEFAULT_MODEL_PATH
    blob = load_blob(path)
    if blob is None:
        return 0
    camera = board.camera()
    display = board.display()
    interp = board.interpreter(blob.model, blob.arena_size, blob.input_size(), len(blob.labels))
    pre = Preprocessor(blob, camera.width, camera.height, camera.format)
    ui = Ui(display, blob.labels, camera) if display is not None else None
    cap = Capture(camera, blob.height, blob.width)
    # Buffers made once; the loop below only reuses them.
    inbuf = bytearray(blob.input_size())
    outbuf = bytearray(len(blob.labels))
    confs = confidence_table(blob)  # by raw score byte
    pcts = bytearray(percent(c) for c in confs)
    labels_json = [json.dumps(label) for label in blob.labels]
    n = 0
    last = _ticks_us()
    while True:
        frame = camera.capture()
        if frame is None:
            break
        pre.run(frame, inbuf)
        interp.invoke(inbuf, outbuf)
        index = top1_index(outbuf)
        confidence = confs[outbuf[index]]
        # fps over the whole loop period, in tenths, rounded; ticks wrap, so ticks_diff
        now = _ticks_us()
        dt = _ticks_diff(now, last)
        last = now
        fps_x10 = (20000000 // (dt if dt > 0 else 1) + 1) // 2
        if ui is not None:
            ui.draw(index, confidence, fps_x10, frame, pcts[outbuf[index]])
        report(n, labels_json[index], index, confidence, outbuf, fps_x10)
        cap.serve(frame, n)   # a frame for the host, if it asked; else nothing
        n += 1
    return n
