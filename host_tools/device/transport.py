"""The serial line to a MicroPython board: the raw REPL, with a deadline on every wait.

    cancel = Cancel()
    board = Board("/dev/ttyACM0", cancel)   # raw REPL entered; UserError in one line if none answers
    board.exec("print(1)", "asking the board")   # at most COMMAND_TIMEOUT s, else Timeout
    cancel.set()                            # from another thread: the conversation ends now (Cancelled)

mpremote's SerialTransport (mpremote 1.29.0, the version requirements.txt pins)
speaks the protocol; this subclass bounds its waits. In that version's
mpremote/transport_serial.py:
- read_until() (line 135) checks its timeouts only when no byte arrived (the
  `else:` of `if new_data:`, line 160), so a port that keeps printing (an app, a factory
  firmware) keeps it reading for ever; it is replaced here by one that checks
  the conversation's deadline after every byte;
- enter_raw_repl() (line 178) empties the input with `while n > 0: read(n)`
  (line 183) after Ctrl-C,
  which a port printing as fast as it is read never ends; replaced by one
  tcflush (reset_input_buffer), and the Ctrl-C / Ctrl-A are sent again every
  RETRY_EVERY seconds, for a board still starting when the port opened;
- raw_paste_write() unpacks the two bytes of the window size without checking
  that two came (line 237: a silent board gives struct.error); replaced;
- follow() (line 218) waits for each end-of-output byte with only a gap
  timeout: a command whose output never ends runs for ever; bounded here by the
  command's deadline (within());
- the port is opened without write_timeout (line 59), so a board that stops reading blocks
  a write for ever; WRITE_TIMEOUT is set.
The protocol itself (MicroPython's docs/reference/repl.rst, "Raw mode and raw-paste
mode"): Ctrl-A enters the raw REPL, which answers "raw REPL; CTRL-B to exit\\r\\n>";
Ctrl-D there on an empty line soft-resets ("soft reboot\\r\\n", then the prompt);
"\\x05A\\x01" asks for raw-paste mode: "R\\x01" and a 16-bit little-endian window
size, then "\\x01" each time another window may be sent, "\\x04" to end.
"""
import contextlib
import io
import struct
import threading
import time

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from .. import UserError
from .ports import check as check_port

HANDSHAKE_TIMEOUT = 10   # seconds for the board to answer with its raw REPL (and soft-reset)
COMMAND_TIMEOUT = 30     # seconds for one command, from sending it to its last byte
READ_TIMEOUT = 2         # seconds one read may block (then the deadline is checked again)
WRITE_TIMEOUT = 10       # seconds a write may wait for a board that stopped reading
RETRY_EVERY = 2          # seconds between Ctrl-C / Ctrl-A tries during the handshake
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n"
CHUNK = 1024             # bytes of file data per command sent to the board
BOARDS_DOC = "docs/boards.md"


class Cancelled(UserError):
    """The user stopped the job (the studio's Cancel)."""


class Cancel(threading.Event):
    """An Event that also wakes the serial lines watching it: set() from any thread ends
    their blocked reads and writes at once (pyserial's cancel_read / cancel_write)."""

    def __init__(self):
        super().__init__()
        self._watchers = []

    def watch(self, wake):
        self._watchers.append(wake)
        if self.is_set():
            wake()

    def set(self):
        super().set()
        for wake in list(self._watchers):
            wake()


class Timeout(TransportError):
    """A wait ran out of time (a TransportError, as mpremote's callers expect): what was
    awaited, for how long, and how many bytes came meanwhile."""

    def __init__(self, what, seconds, heard):
        super().__init__(f"no answer within {seconds:.0f} s while {what}" if not heard else
                         f"no complete answer within {seconds:.0f} s while {what} ({heard} bytes came)")
        self.what, self.seconds, self.heard = what, seconds, heard


def open_transport(port, cancel=None):
    """A Transport on port (UserError in one line if it cannot be opened)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):   # mpremote prints while it waits for a port
            return Transport(port, cancel)
    except (TransportError, OSError) as e:
        raise UserError(f"cannot open {port}: {why(e)}") from None


class Transport(SerialTransport):
    """mpremote's SerialTransport with every wait bounded (see the module's doc)."""

    def __init__(self, port, cancel=None):
        super().__init__(port, baudrate=115200, timeout=READ_TIMEOUT)
        self.serial.write_timeout = WRITE_TIMEOUT
        self.port = port
        self.cancel = cancel or threading.Event()
        if hasattr(self.cancel, "watch"):
            self.cancel.watch(self.wake)
        self.deadline, self.what, self.seconds = None, "talking to the board", COMMAND_TIMEOUT

    @contextlib.contextmanager
    def within(self, seconds, what):
        """Every wait inside must end within seconds from now (Timeout otherwise)."""
        saved = self.deadline, self.what, self.seconds
        self.deadline, self.what, self.seconds = time.monotonic() + seconds, what, seconds
        try:
            yield
        finally:
            self.deadline, self.what, self.seconds = saved

    def wake(self):
        """From another thread, after cancel.set(): a blocked read or write returns now."""
        for stop in ("cancel_read", "cancel_write"):
            with contextlib.suppress(Exception):
                getattr(self.serial, stop)()

    def _check(self, heard):
        if self.cancel.is_set():
            raise Cancelled("cancelled")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise Timeout(self.what, self.seconds, heard)

    def _wait_for(self, ending, until, consumer=None, quiet=None):
        """Read until the bytes end with ending: (True, bytes heard, data); at `until`,
        or after quiet seconds without a byte: (False, bytes heard, data). The user's
        cancel, and the conversation's deadline if it comes first, raise."""
        try:
            return self._read_for(ending, until, consumer, quiet)
        finally:
            self._read_timeout(READ_TIMEOUT)

    def _read_timeout(self, seconds):
        """A blocking read ends by the deadline: shorter reads near it (a few times a wait)."""
        seconds = max(0.05, min(READ_TIMEOUT, seconds))
        if abs(self.serial.timeout - seconds) > 0.01 and (seconds < self.serial.timeout or seconds == READ_TIMEOUT):
            self.serial.timeout = seconds

    def _read_for(self, ending, until, consumer, quiet):
        data = bytearray()
        heard = 0
        last = time.monotonic()
        while not data.endswith(ending):
            if self.cancel.is_set():
                raise Cancelled("cancelled")
            now = time.monotonic()
            if now >= until or (quiet is not None and now - last >= quiet):
                return False, heard, bytes(data)
            self._check(heard)
            self._read_timeout(min(until, self.deadline or until) - now)
            byte = self.serial.read(1) if self.is_pty or self.serial.in_waiting else b""
            if not byte:
                if not self.is_pty:
                    time.sleep(0.01)
                continue
            heard += 1
            last = time.monotonic()
            if consumer is None:
                data += byte
            else:   # as mpremote: the consumer gets the bytes, the ending is one byte
                consumer(byte)
                data = bytearray(byte)
        return True, heard, bytes(data)

    def read_until(self, min_num_bytes, ending, timeout=10, data_consumer=None, timeout_overall=None):
        """mpremote's read_until, bounded: the bytes up to and with ending, or Timeout."""
        start = time.monotonic()
        until = self.deadline if self.deadline is not None else start + COMMAND_TIMEOUT
        if timeout_overall is not None:
            until = min(until, start + timeout_overall)
        ok, heard, data = self._wait_for(ending, until, data_consumer, quiet=timeout)
        if not ok:
            waited = time.monotonic() - start if self.deadline is None else self.seconds
            raise Timeout(self.what, waited, heard)
        return data

    def _send(self, data):
        self._check(0)
        self.serial.write(data)

    def handshake(self, soft_reset=True, seconds=None):
        """Enter the raw REPL (and soft-reset), or UserError in one line saying what to do."""
        seconds = seconds or HANDSHAKE_TIMEOUT
        heard, prompt = 0, False
        with self.within(seconds, "waiting for the raw REPL"):
            end = self.deadline
            while not prompt:
                if time.monotonic() >= end:
                    raise UserError(_no_repl(self.port, seconds, heard))
                self._send(b"\r\x03\r\x03")       # Ctrl-C twice: stop a running program
                with contextlib.suppress(OSError):
                    self.serial.reset_input_buffer()
                self._send(b"\r\x01")             # Ctrl-A: the raw REPL
                prompt, n, _ = self._wait_for(RAW_PROMPT + b">", min(end, time.monotonic() + RETRY_EVERY))
                heard += n
        if soft_reset:
            with self.within(seconds, "soft-resetting"):
                self._send(b"\x04")               # Ctrl-D: soft reset, then the prompt again
                for ending in (b"soft reboot\r\n", RAW_PROMPT):
                    if not self._wait_for(ending, self.deadline)[0]:
                        raise UserError(
                            f"{self.port}: the board entered the raw REPL but did not come back "
                            f"from its soft reset within {seconds:g} s: press its reset button (or "
                            f"unplug it and plug it in again) and try again")
        self.in_raw_repl = True

    def enter_raw_repl(self, soft_reset=True, timeout_overall=None):
        self.handshake(soft_reset, timeout_overall)

    def raw_paste_write(self, command_bytes):
        """Raw-paste mode: send within the window the board grants (see the module's doc)."""
        head = self._read_exact(2)
        window = remain = struct.unpack("<H", head)[0]
        i = 0
        while i < len(command_bytes):
            while remain == 0 or self.serial.in_waiting:
                flag = self._read_exact(1)
                if flag == b"\x01":
                    remain += window
                elif flag == b"\x04":          # the board ended it early: acknowledge
                    self._send(b"\x04")
                    return
                else:
                    raise TransportError(f"unexpected byte during raw paste: {flag!r}")
            part = command_bytes[i:i + remain]
            self._send(part)
            remain -= len(part)
            i += len(part)
        self._send(b"\x04")
        self.read_until(1, b"\x04")

    def _read_exact(self, n):
        got = b""
        while len(got) < n:
            self._check(len(got))
            got += self.serial.read(n - len(got))
            if len(got) < n and self.deadline is None:
                raise Timeout(self.what, READ_TIMEOUT, len(got))
        return got

    def drain(self, seconds=2.0):
        """Wait (at most seconds) until what was written has left the host."""
        end = time.monotonic() + seconds
        with contextlib.suppress(OSError, AttributeError):
            while self.serial.out_waiting and time.monotonic() < end:
                time.sleep(0.01)


class Board:
    """A board in the raw REPL: every command within COMMAND_TIMEOUT, errors in one line.

    cancel: a threading.Event; once set (and wake() called) the next wait raises Cancelled.
    """

    def __init__(self, port, cancel=None):
        self.port = port = check_port(port)   # a device, never a pyserial URL
        self.t = open_transport(port, cancel)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                self.t.handshake()
        except (TransportError, OSError) as e:
            self.close()
            raise UserError(f"{port}: no MicroPython REPL answered ({why(e)}); is it a "
                            f"MicroPython board, and is no other program using the port?") from None
        except BaseException:
            self.close()
            raise

    def exec(self, code, what="running a command", seconds=None):
        """What code printed (TransportExecError if it raised)."""
        with self.t.within(seconds or COMMAND_TIMEOUT, what):
            return self.t.exec(code).decode("utf-8", "replace")

    def write_file(self, name, data, progress=None):
        """data as file name, CHUNK bytes per command; progress(sent, total) after each."""
        self.exec(f"f=open({name!r},'wb')\nw=f.write", f"opening {name}")
        for start in range(0, len(data), CHUNK):
            self.exec("w(" + repr(data[start:start + CHUNK]) + ")", f"copying {name}")
            if progress is not None:
                progress(min(start + CHUNK, len(data)), len(data))
        self.exec("f.close()", f"closing {name}")

    def read_file(self, name):
        self.exec(f"f=open({name!r},'rb')\nr=f.read", f"opening {name}")
        parts = []
        while True:
            with self.t.within(COMMAND_TIMEOUT, f"reading {name}"):
                part = self.t.eval(f"r({CHUNK})")
            if not part:
                break
            parts.append(part)
        self.exec("f.close()", f"closing {name}")
        return b"".join(parts)

    def run(self, code, seconds, consumer):
        """Run code for at most seconds, its output to consumer(bytes) as it comes; (out, err)."""
        with self.t.within(seconds, "running the app"):
            self.t.exec_raw_no_follow(code)
            return self.t.follow(seconds, consumer)

    def start(self, code):
        """Send code and leave it running (its console is then the app's)."""
        with self.t.within(COMMAND_TIMEOUT, "starting the app"):
            self.t.exec_raw_no_follow(code)

    def reset(self):
        """Leave the raw REPL and soft-reset, so boot.py and main.py run."""
        with self.t.within(COMMAND_TIMEOUT, "resetting"):
            self.t.exit_raw_repl()
            self.t.serial.write(b"\x04")
        self.t.drain()

    def close(self):
        try:
            self.t.close()
        except (OSError, AttributeError):
            pass


def likely_ports():
    """The serial ports found (pyserial's list_ports), likeliest board first: USB CDC
    (/dev/ttyACM*: ESP32-S3's own USB, OpenMV), USB-serial bridges (/dev/ttyUSB*),
    other USB devices, then the rest (/dev/ttyS*: the computer's own UARTs)."""
    import serial.tools.list_ports

    def rank(p):
        name = p.device
        kind = (0 if "ttyACM" in name else 1 if "ttyUSB" in name else
                2 if p.vid is not None else 3)
        return kind, name
    return sorted(serial.tools.list_ports.comports(), key=rank)


def find_port():
    """The likeliest USB serial port (as `mpremote connect auto`, a port with a USB
    vendor id); None if there is none."""
    return next((p.device for p in likely_ports() if p.vid is not None and p.pid is not None), None)


def _no_repl(port, seconds, heard):
    if heard:
        return (f"{port} answers but is not a MicroPython REPL (no raw-REPL prompt within "
                f"{seconds:g} s): is MicroPython flashed? ({BOARDS_DOC})")
    return (f"{port} is silent (nothing within {seconds:g} s): is the board plugged in and is "
            f"this its port, and is MicroPython flashed? ({BOARDS_DOC})")


def why(e):
    """A transport or serial error, in a few words."""
    text = str(e).strip() or type(e).__name__
    if "failed to access" in text or "could not open port" in text:
        return "no such device, or it is in use"
    if "Write timeout" in text:
        return f"the board stopped reading for {WRITE_TIMEOUT} s"
    if "returned no data" in text or "read failed" in text or "write failed" in text:
        return "the serial line went dead"
    return text.splitlines()[-1]
