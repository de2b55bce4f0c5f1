"""`monitor`: the board's results, live, from its serial line.

    python -m host_tools monitor --port /dev/ttyACM0 [--json] [--count N]

The app prints one `@result {...}` line per frame (firmware/app/app.py); each becomes

    frame 12: person 0.914  (9.8 fps)

Other lines the board prints (start-up messages, errors, tracebacks) are shown
as they are, so a problem on the board is visible here. Ctrl-C stops; --count N
stops after N results. The port is only read: the board is not reset. When no
result comes within QUIET seconds it says so once, on stderr ("no results yet:
is the app flashed?"), and goes on reading.
"""
import json
import sys
import time

from .. import UserError
from .ports import check as check_port
from ..infer.results import parse_result_line as parse_line


def format_result(r):
    fps = r.get("fps")
    return (f"frame {r.get('frame', '?')}: {r['label']} {r['confidence']:.3f}"
            + (f"  ({fps:.1f} fps)" if isinstance(fps, (int, float)) else ""))


QUIET = 5.0   # seconds without a result before monitor says so


def lines(stream, idle=False):
    """Text lines from a byte stream whose read(1)-style reads may time out (b"");
    idle=True: None at each read that timed out, so the caller can look at the clock."""
    buf = b""
    while True:
        chunk = stream.read(stream.in_waiting or 1)
        if not chunk:
            if idle:
                yield None
            continue
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            yield raw.decode("utf-8", "replace").rstrip("\r")


def monitor(port, as_json=False, count=None, baudrate=115200, out=sys.stdout):
    """Print results from port until Ctrl-C or count results; returns 0."""
    import serial
    if not port:
        raise UserError("no port given: pass --port PORT (PORT=... with make)")
    port = check_port(port)   # a device, never a pyserial URL
    try:
        ser = serial.serial_for_url(port, baudrate=baudrate, timeout=1)
    except (serial.SerialException, OSError, ValueError) as e:
        raise UserError(f"cannot open {port}: {_why(e)}") from None
    seen = 0
    quiet = Quiet()
    try:
        if count == 0:
            return 0
        for line in lines(ser, idle=True):
            if quiet.check(line, port):
                print(f"monitor: {quiet.message}", file=sys.stderr, flush=True)
            if line is None:
                continue
            r = parse_line(line)
            if r is None:
                if line.strip() and not as_json:
                    print(line, file=out, flush=True)
                continue
            print(json.dumps(r) if as_json else format_result(r), file=out, flush=True)
            seen += 1
            if count is not None and seen >= count:
                break
    except KeyboardInterrupt:
        pass
    except (serial.SerialException, OSError) as e:
        raise UserError(f"lost {port} after {seen} results: {_why(e)}") from None
    finally:
        ser.close()
    return 0


class Quiet:
    """Notices, once, that no result came within QUIET seconds of the start."""

    def __init__(self, seconds=None, hint=None):
        self.start = time.monotonic()
        self.hint = hint
        self.seconds = QUIET if seconds is None else seconds
        self.results = 0
        self.message = ""

    def check(self, line, port):
        """True the first time the wait has been too long (then .message says what to do)."""
        if line is not None and parse_line(line) is not None:
            self.results += 1
        if self.results or self.message or time.monotonic() - self.start < self.seconds:
            return False
        self.message = (f"no results yet from {port} after {self.seconds:g} s: is the app flashed? "
                        f"({self.hint or f'make flash BOARD=<board> PORT={port}'})")
        return True


def _why(e):
    text = str(e).strip() or type(e).__name__
    if "No such file" in text or "could not open port" in text:
        return "no such device"
    return text.splitlines()[-1]
