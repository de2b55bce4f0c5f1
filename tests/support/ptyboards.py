"""Serial ports that are not (quite) MicroPython boards, on real pseudo-terminals.

    with PtyPort("chatter") as p:      # p.port: /dev/pts/N
        ...

- "chatter": prints log lines endlessly, as an ESP32 on its factory firmware (or any
  program that is not a MicroPython REPL) does, and ignores what it receives;
- "silent": reads everything, answers nothing (a wrong port, a board that hangs);
- "half": answers Ctrl-A with the raw-REPL prompt, then nothing more (a board that
  hangs during its soft reset);
- "mute": enters the raw REPL and soft-resets like MicroPython, then never answers
  a command (a board that hangs running one).
A thread serves the line; the host side is the slave end, opened by path.
"""
import errno
import os
import select
import threading

from tests.support import pty_pair

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
CHATTER = b"I (%d) boot: ESP-IDF v5.1 2nd stage bootloader; factory app running\r\n"


class PtyPort:
    def __init__(self, kind):
        assert kind in ("chatter", "silent", "half", "mute"), kind
        self.kind = kind
        self.received = bytearray()
        self._stop = threading.Event()
        self._master = self._slave = None
        self.port = None
        self._thread = None

    def start(self):
        self._master, self._slave, self.port = pty_pair.open_raw()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"pty-{self.kind}")
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        pty_pair.close(self._master, self._slave)
        self._master = self._slave = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _read(self):
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            return b""
        except OSError:
            return b""
        self.received += data
        return data

    def _write(self, data):
        try:
            return os.write(self._master, data)
        except BlockingIOError:   # nobody reads the line: the text is lost, as on a UART
            return 0
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            return 0

    def _serve(self):
        n = 0
        state = "friendly"
        while not self._stop.is_set():
            if self.kind == "chatter":   # about 14 KB/s: faster than 115200 baud
                self._stop.wait(0.005)
                self._read()
                n += 1
                self._write(CHATTER % n)
                continue
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if not ready:
                continue
            data = self._read()
            if self.kind == "silent":
                continue
            for b in data:
                if state == "friendly" and b == 0x01:
                    self._write(b"\r\n" + RAW_PROMPT)
                    state = "raw"
                elif state == "raw" and b == 0x04 and self.kind == "mute":
                    self._write(b"OK\r\nMPY: soft reboot\r\n" + RAW_PROMPT)
                    state = "hung"
