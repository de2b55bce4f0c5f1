"""No board yet: the device app on an emulated board, with the model, watched like a real one.

The board is an emulated board (host_tools/emulate/backends.py) started on its
serial line: the unchanged app for a board, with a pseudo-terminal as its serial
line and a camera that shows a few of the photo folder's photos in turn.
The Device page then reads that line as it reads a real board's.
"""
import os
import threading

from .. import UserError
from ..device.boards import board_names
from ..emulate.backends import emulated_board
from .jobs import Busy

PHOTOS_PER_CLASS = 3


def emulated_boards():
    """Boards the app can run on here: every boards/*/board.json (host is the emulator board)."""
    return board_names(host=True)


def camera_photos(photos):
    """A few photos of each class for the emulated camera (the photo folder's own)."""
    summary = photos.summary()
    chosen = []
    for c in summary["classes"]:
        usable = [p["name"] for p in c["photos"] if p["problem"] is None][:PHOTOS_PER_CLASS]
        chosen += [os.path.join(photos.data_dir, c["name"], n) for n in usable]
    return chosen


class Emulator:
    def __init__(self):
        self._lock = threading.Lock()
        self.board = None       # the running emulated board
        self.name = None
        self.starting = False

    def start(self, name, photos, model_path, monitor):
        if name not in emulated_boards():
            raise UserError(f"unknown board {name!r}; boards: {', '.join(emulated_boards())}")
        images = camera_photos(photos)
        if not images:
            raise UserError("the emulated camera needs photos: add some on the Photos page first")
        with self._lock:
            if self.starting:
                raise Busy("an emulated board is already starting")
            self.starting = True
        try:
            self.stop(monitor)
            board = emulated_board(name, images, model_path).start()
            with self._lock:
                self.board, self.name = board, name
            monitor.start(board.port, camera=True)
            return board.port
        finally:
            with self._lock:
                self.starting = False

    def stop(self, monitor=None):
        with self._lock:
            board, self.board, self.name = self.board, None, None
        if board is not None:
            if monitor is not None and monitor.port == board.port:
                monitor.stop()
            board.stop()

    def status(self):
        with self._lock:
            return {"board": self.name, "port": self.board.port if self.board else None}
