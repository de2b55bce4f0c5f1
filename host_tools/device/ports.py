"""Which serial port names the tools accept: a device, never a pyserial URL.

pyserial's serial_for_url (monitor, capture) and mpremote (flash) open URLs as
well as devices: `spy://loop://?file=PATH` writes a trace to PATH,
`socket://HOST:PORT` opens a TCP connection. A port name here must be a path
under /dev (a character device when it exists: USB serial, the emulated
boards' /dev/pts/N), COMn on Windows, or a device the list of serial ports
names. check() is called by monitor, capture and flash (so the command line and
the studio refuse the same names); a refusal is one line.
"""
import os
import re
import stat
import sys

from .. import UserError

MAX_LEN = 200
_WINDOWS = re.compile(r"(\\\\\.\\)?COM[0-9]{1,3}", re.IGNORECASE)


def shown(text, limit=60):
    """text for a message: repr, cut to about limit characters."""
    text = str(text)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text):,} characters)"


def listed():
    """Device names of the serial ports the system lists."""
    try:
        import serial.tools.list_ports
        return {p.device for p in serial.tools.list_ports.comports()}
    except Exception:  # noqa: BLE001 - no listing: only paths are accepted
        return set()


def check(port):
    """port, stripped, if it names a serial device; UserError otherwise."""
    if not isinstance(port, str):
        raise UserError("the port must be a text such as /dev/ttyACM0")
    port = port.strip()
    if not port:
        raise UserError("no port given: pass --port PORT (such as /dev/ttyACM0)")
    rule = "a serial device such as /dev/ttyACM0 or COM3, not a URL; refused"
    if len(port) > MAX_LEN or "://" in port or any(ord(c) < 32 or c == "\x7f" for c in port):
        raise UserError(f"port {shown(port)}: {rule}")
    if sys.platform == "win32" and _WINDOWS.fullmatch(port):
        return port
    if port.startswith("/dev/") and ".." not in port.split("/") and os.path.normpath(port) == port:
        try:
            mode = os.stat(port).st_mode
        except OSError:
            return port   # missing: opening it says "no such device"
        if stat.S_ISCHR(mode):
            return port
        raise UserError(f"port {shown(port)}: not a serial device (a character device); refused")
    if port in listed():
        return port
    raise UserError(f"port {shown(port)}: {rule}")
