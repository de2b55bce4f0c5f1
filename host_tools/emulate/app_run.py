"""What one run of the app on an emulated board produced, whichever back-end ran it."""
import json

from ..infer.results import device_result, parse_result_line


class Run:
    """lines: everything the board printed, in order; results: its @result dicts
    (frame: the camera frame's index); heaps: its @heap figures; other: its other lines.
    Per camera frame, where the back-end sees them: frames (the bytes the app got),
    screens (PIL images of the LCD), leds (True/False). status: 0, or 1 when the app
    stopped before the last frame. rows: one per photo, set by EmulatedBoard.run."""

    def __init__(self, board=None, images=()):
        self.board, self.images = board, list(images)
        self.lines, self.results, self.heaps, self.other = [], [], [], []
        self.frames, self.screens, self.leds, self.rows = [], [], [], []
        self.status = 0

    def collect(self, lines, offset=0):
        """Sort the board's printed lines; frame numbers shifted by offset (a later boot)."""
        for line in lines:
            self.lines.append(line)
            r = parse_result_line(line)
            if r is not None:
                r["frame"] += offset
                self.results.append(r)
            elif line.startswith("@heap "):
                self.heaps.append(json.loads(line[len("@heap "):]))
            elif line.strip():
                self.other.append(line)

    def photo_rows(self, paths, errors, blob):
        """One row per photo in paths (as classify gives them), from the results of the
        readable ones, in order; errors: {index in paths: message} of the unreadable ones."""
        readable = [i for i in range(len(paths)) if i not in errors]
        rows = [{"image": paths[i], "error": errors[i]} if i in errors else None
                for i in range(len(paths))]
        for n, r in enumerate(self.results):
            if r["frame"] >= len(readable):
                continue
            i = readable[r["frame"]]
            rows[i] = device_result(paths[i], r, blob)
            if r["frame"] < len(self.leds) and self.leds[r["frame"]] is not None:
                rows[i]["led"] = self.leds[r["frame"]]
        self.rows = rows
        return rows
