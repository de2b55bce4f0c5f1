"""Boards for the Device page: which ones the model fits, flashing, and the live monitor.

Flashing is `flash.flash` (the `flash` command's own function) in a thread,
its log lines kept for the page. The live view reads the serial line with
monitor.lines and parses it with monitor.parse_line, as the `monitor` command
does. One serial job at a time: flashing a port stops its monitor first.
"""
import collections
import io
import os
import threading

from .. import UserError
from .jobs import Busy
from ..device import monitor as mon
from ..device.ports import check as check_port

KEEP = 60           # results and lines kept for the page
STOP_GUARD = 30     # seconds a stopped job's thread is waited for (it ends within a read: 0.2 s)
FRAME_EVERY = 0.3   # seconds between camera frames asked for
VIEW_SIDE = 288     # camera view size in the page


def _png(view):
    """A camera frame (H, W, C) uint8 as PNG, enlarged with square pixels for the page."""
    from PIL import Image
    img = Image.fromarray(view[..., 0], "L") if view.shape[2] == 1 else Image.fromarray(view, "RGB")
    scale = max(1, VIEW_SIDE // max(img.size))
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def board_table(blob_path):
    """One row per board (boards/*/board.json): title and whether the model fits, as `inspect` says.

    A board whose data file lacks the budget figures is listed as "not checked", not left out.
    """
    from ..device.boards import board_names, load_board
    from ..device.fit import fit_message, profile
    boards, unchecked = [], []
    for name in board_names():
        try:
            boards.append(load_board(name))
        except UserError as e:
            unchecked.append({"name": name, "title": name, "fits": None, "message": str(e), "latency_ms": None})
    rows = profile(blob_path, boards)["boards"] if boards else []
    by_name = {b["name"]: b for b in boards}
    from ..device.flash import NO_FLASH
    return [{"name": r["board"], "title": by_name[r["board"]].get("title", r["board"]),
             "fits": r["fits"], "message": fit_message(r), "latency_ms": r["latency_ms_estimate"],
             "flash": r["board"] not in NO_FLASH}
            for r in rows] + [dict(u, flash=u["name"] not in NO_FLASH) for u in unchecked]


def serial_ports(emulated=None):
    """The serial ports found, likeliest board first (transport.likely_ports), and the
    studio's emulated board if one runs: {"device", "description", "flash": takes a flash,
    "likely": a board's port rather than one of the computer's own UARTs}."""
    from ..device.transport import likely_ports
    ports = [{"device": p.device, "description": p.description or "", "flash": True,
              "likely": p.vid is not None or "ttyACM" in p.device or "ttyUSB" in p.device}
             for p in likely_ports()]
    if emulated and emulated.get("port"):
        name = emulated["board"]
        ports.insert(0, {"device": emulated["port"], "flash": takes_flash_emulated(name), "likely": True,
                         "description": f"emulated {name}" + ("" if takes_flash_emulated(name) else
                                                              " (runs the app here: takes no flash)")})
    return ports


def takes_flash_emulated(name):
    """Of the emulated boards, only qemu_m7 runs MicroPython with a raw REPL: the others
    run the app on CPython (host_tools/emulate/backends.py) and have nothing to flash."""
    return name == "qemu_m7"


class _Stoppable:
    """A serial port whose reads end (StopIteration in lines()) once stop is set."""

    def __init__(self, ser, stop):
        self.ser, self.stop = ser, stop

    @property
    def in_waiting(self):
        return self.ser.in_waiting

    def read(self, n):
        if self.stop.is_set():
            raise _Stopped()
        return self.ser.read(n)


class _Stopped(Exception):
    pass


class Monitor:
    """The board's `@result` lines (and anything else it prints), read in a thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self.port = None
        self.state = "stopped"
        self.message = ""
        self._seq = 0
        self._results = collections.deque(maxlen=KEEP)
        self._lines = collections.deque(maxlen=KEEP)
        self.camera = False
        self._frame, self._frame_seq = None, 0

    def start(self, port, camera=False):
        """Read port's results; camera=True: also ask for camera frames (capture's @frame)."""
        import serial

        from ..device.transport import Cancel
        self.stop()
        if not port:
            raise UserError("choose or type the board's serial port")
        port = check_port(port)   # a device, never a pyserial URL
        ser = None
        if not camera:
            try:
                ser = serial.serial_for_url(port, baudrate=115200, timeout=0.2)
            except (serial.SerialException, OSError, ValueError) as e:
                raise UserError(f"cannot open {port}: {mon._why(e)}") from None
        with self._lock:
            self._stop = Cancel()
            self.port, self.state, self.message, self.camera = port, "running", "", camera
            self._results.clear()
            self._lines.clear()
            self._frame, self._frame_seq = None, 0
        target, args = (self._frames, (port, self._stop)) if camera else (self._read, (ser, self._stop))
        self._thread = threading.Thread(target=target, args=args, daemon=True)
        self._thread.start()

    def _frames(self, port, stop):
        """Camera frames and the results that came with them, until stopped."""
        from ..device.capture import frames
        from ..device.transport import Cancelled
        stream = frames(port, every=FRAME_EVERY, cancel=stop)
        try:
            for frame in stream:
                png = _png(frame.view())
                with self._lock:
                    self._seq += 1
                    self._frame, self._frame_seq = png, self._seq
                    if frame.result is not None:
                        self._results.append({"seq": self._seq, "text": mon.format_result(frame.result),
                                              **frame.result})
                if stop.is_set():
                    break
        except Cancelled:
            pass
        except UserError as e:
            with self._lock:
                self.state, self.message = "lost", str(e)
        finally:
            stream.close()

    def frame_png(self):
        with self._lock:
            return self._frame

    def _read(self, ser, stop):
        import serial
        quiet = mon.Quiet(hint="the Flash button above")
        try:
            for line in mon.lines(_Stoppable(ser, stop), idle=True):
                if quiet.check(line, self.port):
                    with self._lock:
                        self.message = quiet.message
                if line is None:
                    continue
                r = mon.parse_line(line)
                with self._lock:
                    self._seq += 1
                    if r is not None:
                        self.message = ""
                        self._results.append({"seq": self._seq, "text": mon.format_result(r), **r})
                    elif line.strip():
                        self._lines.append({"seq": self._seq, "text": line})
        except _Stopped:
            pass
        except (serial.SerialException, OSError) as e:
            with self._lock:
                self.state, self.message = "lost", f"lost {self.port}: {mon._why(e)}"
        finally:
            ser.close()

    def stop(self):
        """Stop reading, at any point: the reader ends and closes the port before this returns."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_GUARD)
            self._thread = None
        with self._lock:
            if self.state == "running":
                self.state = "stopped"

    def status(self):
        with self._lock:
            return {"port": self.port, "state": self.state, "message": self.message, "camera": self.camera,
                    "frame": self._frame_seq, "results": list(self._results), "lines": list(self._lines)}


class FlashJob:
    """One `flash` at a time, in a thread; its log lines and the file being copied are the
    progress. cancel() stops it at any point: the port is closed, the board keeps its
    previous app (flash only switches files over at the very end)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.state, self.board, self.port, self.message = "idle", None, None, ""
        self.log, self.progress = [], None
        self._cancel, self._thread = None, None

    def start(self, board, port, blob_path, monitor, emulated=None):
        from ..device.flash import flash
        from ..device.transport import Cancel, Cancelled
        if emulated and port and emulated.get("port") == port and not takes_flash_emulated(emulated["board"]):
            raise UserError(f"{port} is the emulated {emulated['board']} board: it runs the app on this "
                            f"computer and takes no flash; flash a board on a USB port, or the emulated "
                            f"qemu_m7")
        with self._lock:
            if self.state == "running":
                raise Busy("a flash is already going; wait for it to end, or cancel it")
            self.state, self.board, self.port, self.message = "running", board, port, ""
            self.log, self.progress = [], None
            self._cancel = cancel = Cancel()
        if monitor.port == port:
            monitor.stop()   # the port is the flasher's now

        def work():
            try:
                flash(board, port or None, blob_path, log=self._add, progress=self._progress, cancel=cancel)
                state, message = "done", "flashed: the app is starting"
            except Cancelled as e:
                state, message = "cancelled", str(e)
            except UserError as e:
                state, message = "failed", str(e)
            except Exception as e:  # noqa: BLE001 - shown in the page, not a crash of the server
                state, message = "failed", f"{type(e).__name__}: {e}"
            if state == "done" and port:   # reading the board before the page hears "done"
                try:
                    monitor.start(port)
                except UserError as e:
                    self._add(str(e))
            with self._lock:   # set last: the port is closed by now
                self.state, self.message, self.progress = state, message, None

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def cancel(self):
        """Stop the flash now; returns once it has ended (and closed the port)."""
        with self._lock:
            if self.state != "running":
                raise UserError("no flash is going")
            cancel, thread = self._cancel, self._thread
        cancel.set()
        thread.join(STOP_GUARD)

    def stop(self):
        """On shutdown: cancel a running flash."""
        try:
            self.cancel()
        except UserError:
            pass

    def _add(self, line):
        with self._lock:
            self.log.extend(str(line).splitlines())

    def _progress(self, name, sent, total):
        with self._lock:
            self.progress = {"file": name, "sent": sent, "total": total}

    def status(self):
        with self._lock:
            return {"state": self.state, "board": self.board, "port": self.port, "message": self.message,
                    "log": list(self.log), "progress": self.progress}


def model_label(blob_path):
    """The model's short name (folder/file) and labels, for the pages."""
    from ..blob import read
    b = read(blob_path)
    return {"path": blob_path, "name": os.path.basename(os.path.dirname(blob_path)) + "/" +
            os.path.basename(blob_path), "labels": b.labels}
