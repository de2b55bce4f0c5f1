"""Photos from the board's own camera, for the Dataset page: `capture`'s own function in a thread."""
import os
import threading

from .. import UserError
from .jobs import Busy

MAX_COUNT = 500
STOP_GUARD = 30   # seconds a cancelled capture is waited for (it ends within a read: 0.2 s)


class CaptureJob:
    """One capture at a time, in a thread; stop() ends it at any point (the port is closed,
    the photos written so far are whole)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self.state, self.label, self.port, self.message = "idle", None, None, ""
        self.done, self.count, self.saved = 0, 0, []

    def start(self, photos, label, port, count, every, monitor):
        from ..device.capture import capture
        from ..device.transport import Cancel, Cancelled
        try:
            count, every = int(count), float(every)
        except (TypeError, ValueError):
            raise UserError("count must be a whole number and every a number of seconds") from None
        if not 1 <= count <= MAX_COUNT:
            raise UserError(f"count must be from 1 to {MAX_COUNT}")
        if not 0 <= every <= 60:
            raise UserError("every must be from 0 to 60 seconds")
        port = (port or "").strip()
        if not port:
            raise UserError("choose or type the board's serial port")
        folder = photos.class_dir(label, create=True)   # checked: a class folder inside DATA
        with self._lock:
            if self.state == "running":
                raise Busy("a capture is already going; wait for it to end, or cancel it")
            self._stop = Cancel()
            self.state, self.label, self.port, self.message = "running", label, port, ""
            self.done, self.count, self.saved = 0, count, []
        if monitor.port == port:
            monitor.stop()   # one reader per serial line
        stop = self._stop

        def progress(done, total, path, frame):
            with self._lock:
                self.done = done
                self.saved.append(os.path.basename(path))

        def work():
            try:
                capture(port, os.path.basename(folder), os.path.dirname(folder), count, every, progress,
                        cancel=stop)
                state, message = "done", f"{count} photos from the board's camera"
            except Cancelled:
                state, message = "cancelled", f"cancelled after {self.done} photos (those are kept)"
            except UserError as e:
                state, message = "failed", str(e)
            except Exception as e:  # noqa: BLE001 - shown in the page
                state, message = "failed", f"{type(e).__name__}: {e}"
            with self._lock:
                self.state, self.message = state, message

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def stop(self):
        """Cancel a capture at any point; returns once it has ended (and closed the port)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_GUARD)

    def status(self):
        with self._lock:
            return {"state": self.state, "label": self.label, "port": self.port, "message": self.message,
                    "done": self.done, "count": self.count, "saved": list(self.saved)}

