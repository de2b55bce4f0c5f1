"""A fake MicroPython board on a pseudo-terminal, for deploying without hardware.

It speaks the REPL protocol mpremote uses, and runs what it receives with CPython
against a directory standing in for the board's filesystem:

- friendly REPL: Ctrl-A enters the raw REPL, Ctrl-D soft-reboots (and "runs
  main.py": the on_boot callback's lines go out on the serial line until Ctrl-C),
  Ctrl-B prints the banner;
- raw REPL: "raw REPL; CTRL-B to exit\\r\\n>", code then Ctrl-D -> "OK", stdout,
  "\\x04", stderr, "\\x04", ">"; raw-paste mode ("\\x05A\\x01" -> "R\\x01" and a
  flow-control window); Ctrl-D on an empty line soft-reboots; Ctrl-B leaves;
- the code sees MicroPython-style modules: `os` (and `uos`) rooted in the
  directory, `hashlib` with sha256 (update/digest only), `binascii`, `sys` with
  implementation._mpy for the chosen .mpy version and architecture, `gc`,
  `micropython`, `machine`, `time`; errors come back the MicroPython way
  (`OSError: [Errno 2] ENOENT`);
- drop_after=N closes the line after N received bytes, like a cable pulled out;
  drop_after_sent=N after N bytes sent;
- faults, for the tests that prove a deploy or a capture notices them:
  corrupt_write=NAME flips one byte of the first write into file NAME (the write
  still reports success: a bit the flash did not keep); cut_write=NAME pulls the
  cable halfway through the first write into NAME; stale_rename=NAME makes a
  rename onto NAME report success but leave NAME as it was (its old content, or
  no file) and the source gone; tamper=f passes every byte the board sends
  through f(bytes) -> bytes (noise on the line);
- app=(BOARD, PHOTOS[, OPENMV]): "main.py" is the real device app (firmware/, with
  boards/BOARD/board.py on the driver fakes of host_tools/emulate/drivers/, the model this
  board holds as model.blob), run by host_tools.emulate.serve in a child
  process whose stdin/stdout are relayed to the line until Ctrl-C, the app's
  end or the line going away; its camera shows PHOTOS in turn (OPENMV: the
  OpenMV firmware the fakes follow, "4", "4.8" or "5").

    dev = FakeDevice(tmpdir, arch="xtensawin").start()
    subprocess.run(["mpremote", "connect", dev.port, "fs", "ls"])
    dev.stop()

Run by hand: `python -m tests.support.fakedevice DIR` prints the port and serves
until Ctrl-C (then `make flash BOARD=esp32s3_eye PORT=/dev/pts/N`).
"""
import binascii
import errno
import hashlib as _hashlib
import json
import os
import posixpath
import select
import struct
import subprocess
import sys
import threading
import time
import types

from tests.support import pty_pair

ARCHS = ("", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
         "xtensa", "xtensawin", "rv32imc", "rv64imc")
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
PASTE_WINDOW = 512
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mpy_value(version=6, sub=3, arch=""):
    """sys.implementation._mpy for an .mpy version, sub-version and native architecture."""
    return version | ((sub | (ARCHS.index(arch) << 2)) << 8)


class _Reboot(Exception):
    """machine.reset() / machine.soft_reset() inside received code."""


class _DeviceFS:
    """Paths as the board sees them, mapped into root; sizes against a capacity."""

    def __init__(self, root, capacity):
        self.root = os.path.realpath(root)
        self.capacity = capacity
        self.cwd = "/"
        self.corrupt_write = self.cut_write = self.stale_rename = None
        self.cut = None          # called to pull the cable (cut_write)

    def name(self, path):
        """The board's path without the leading "/": "model.blob"."""
        return posixpath.normpath(posixpath.join(self.cwd, str(path))).lstrip("/")

    def written(self, name, data):
        """What a write of data into name stores (the faults corrupt_write, cut_write)."""
        if name == self.corrupt_write and data:
            self.corrupt_write = None
            data = bytearray(data)
            data[len(data) // 2] ^= 0x01
        elif name == self.cut_write and data:
            self.cut_write = None
            self.cut()
            return bytes(data[:len(data) // 2])
        return data

    def rename(self, a, b):
        if self.name(b) == self.stale_rename:
            os.remove(self.host(a))
        else:
            os.replace(self.host(a), self.host(b))  # littlefs: atomic replace

    def host(self, path):
        path = str(path)
        full = posixpath.normpath(posixpath.join(self.cwd, path)) if path else self.cwd
        if not full.startswith("/"):
            full = "/" + full
        return os.path.join(self.root, full.lstrip("/"))

    def used(self):
        total = 0
        for d, _, files in os.walk(self.root):
            total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
        return total


def _oserror(code):
    return OSError(code, errno.errorcode.get(code, str(code)))


def _make_os(fs):
    """An `os` module shaped like MicroPython's, over fs."""
    m = types.ModuleType("os")

    def wrap(fn):
        def call(*args):
            try:
                return fn(*args)
            except OSError as e:
                raise _oserror(e.errno or errno.EIO) from None
        return call

    def ilistdir(path=""):
        p = fs.host(path)
        for name in sorted(os.listdir(p)):
            st = os.stat(os.path.join(p, name))
            kind = 0x4000 if os.path.isdir(os.path.join(p, name)) else 0x8000
            yield (name, kind, 0, st.st_size if kind == 0x8000 else 0)

    def stat(path):
        st = os.stat(fs.host(path))
        mode = 0x4000 if os.path.isdir(fs.host(path)) else 0x8000
        size = st.st_size if mode == 0x8000 else 0
        t = int(st.st_mtime)
        return (mode, 0, 0, 0, 0, 0, size, t, t, t)

    def statvfs(path):
        bsize = 4096
        blocks = fs.capacity // bsize
        free = max(0, blocks - (fs.used() + bsize - 1) // bsize)
        return (bsize, bsize, blocks, free, free, 0, 0, 0, 0, 255)

    def chdir(path):
        if not os.path.isdir(fs.host(path)):
            raise _oserror(errno.ENOENT)
        fs.cwd = posixpath.normpath(posixpath.join(fs.cwd, path))

    def uname():
        return types.SimpleNamespace(sysname=fs.sysname, nodename=fs.sysname, release=fs.release,
                                     version=fs.version, machine=fs.machine)

    m.listdir = wrap(lambda path="": sorted(os.listdir(fs.host(path))))
    m.ilistdir = wrap(lambda path="": iter(list(ilistdir(path))))
    m.stat = wrap(stat)
    m.statvfs = wrap(statvfs)
    m.remove = wrap(lambda path: os.remove(fs.host(path)))
    m.rename = wrap(fs.rename)
    m.mkdir = wrap(lambda path: os.mkdir(fs.host(path)))
    m.rmdir = wrap(lambda path: os.rmdir(fs.host(path)))
    m.getcwd = lambda: fs.cwd
    m.chdir = wrap(chdir)
    m.uname = uname
    m.sync = lambda: None
    m.sep = "/"
    return m


class _File:
    """A host file opened for the board: writes count against the capacity."""

    def __init__(self, fs, f, writable, name=""):
        self._fs = fs
        self._f = f
        self._writable = writable
        self._name = name

    def write(self, data):
        if self._fs.used() + len(data) > self._fs.capacity:
            raise _oserror(errno.ENOSPC)
        n = len(data)
        self._f.write(self._fs.written(self._name, data))
        return n

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def __iter__(self):
        return iter(self._f)


class _Sha256:
    """MicroPython's hashlib.sha256: update() and digest(), nothing else."""

    def __init__(self, data=b""):
        self._h = _hashlib.sha256(bytes(data))

    def update(self, data):
        self._h.update(bytes(data))

    def digest(self):
        return self._h.digest()


def _format_error(exc, tb_line):
    """A MicroPython traceback for exc (raised at <stdin> line tb_line)."""
    name = type(exc).__name__
    if isinstance(exc, OSError):
        name = "OSError"
        code = exc.errno
        msg = f"[Errno {code}] {errno.errorcode.get(code, code)}" if code else str(exc)
    elif isinstance(exc, ModuleNotFoundError):
        name, msg = "ImportError", f"no module named '{exc.name}'"
    else:
        msg = str(exc)
    text = "Traceback (most recent call last):\r\n"
    text += f'  File "<stdin>", line {tb_line}, in <module>\r\n'
    return text + (f"{name}: {msg}\r\n" if msg else f"{name}: \r\n")


class FakeDevice:
    """A MicroPython board on a pty; start() it, use .port, stop() it."""

    def __init__(self, root, version=6, sub=3, arch="xtensawin", platform="esp32",
                 release="1.26.1", machine="ESP32S3 module with ESP32S3", capacity=6 << 20,
                 drop_after=None, on_boot=None, has_hashlib=True, has_mpy=True, app=None,
                 drop_after_sent=None, app_fps=10.0, corrupt_write=None, cut_write=None,
                 stale_rename=None, tamper=None):
        self.fs = _DeviceFS(root, capacity)
        self.fs.corrupt_write, self.fs.cut_write, self.fs.stale_rename = corrupt_write, cut_write, stale_rename
        self.fs.cut = self._cut
        self.tamper = tamper
        self.fs.sysname, self.fs.release, self.fs.machine = platform, release, machine
        self.fs.version = f"v{release} on 2025-01-01"
        self.platform = platform
        self.mpy = mpy_value(version, sub, arch) if has_mpy else None
        self.banner = (f"MicroPython v{release} on 2025-01-01; {machine}\r\n"
                       f"Type \"help()\" for more information.\r\n").encode()
        self.drop_after = drop_after
        self.on_boot = on_boot
        self.app = app
        self.app_fps = app_fps
        self.apps = []          # the app processes started, in order
        self.drop_after_sent = drop_after_sent
        self.sent = 0
        self.has_hashlib = has_hashlib
        self.received = 0
        self.dropped = False
        self.executed = []      # every piece of code run, in order
        self.reboots = 0
        self.port = None
        self._master = None
        self._slave = None
        self._thread = None
        self._stop = threading.Event()
        self._pending = b""     # received, not yet consumed: self._pending[self._pos:]
        self._pos = 0
        self._drop_now = False
        self._reset_namespace()

    # --- lifecycle ---------------------------------------------------------

    def start(self):
        self._master, self._slave, self.port = pty_pair.open_raw()
        self._thread = threading.Thread(target=self._serve, name="fakedevice", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        pty_pair.close(self._master, self._slave)
        self._master = self._slave = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- serial line -------------------------------------------------------

    def _write(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.tamper is not None:
            data = self.tamper(data)
        cut = False
        if self.drop_after_sent is not None and self.sent + len(data) >= self.drop_after_sent:
            data, cut = data[:self.drop_after_sent - self.sent], True
        self.sent += len(data)
        while data:
            fd = self._master
            if fd is None or self._stop.is_set():
                raise OSError(errno.EIO, "the line is gone")
            try:
                n = os.write(fd, data)
            except BlockingIOError:   # nobody reads: wait, but stay stoppable
                select.select([], [fd], [], 0.1)
                continue
            data = data[n:]
        if cut:
            self._drop()
            raise OSError(errno.EIO, "the line is gone")

    def _read_some(self, timeout=None):
        """Bytes from the host (b"" on timeout); None once the line is gone."""
        if self._pos < len(self._pending):
            data = self._pending[self._pos:]
            self._pending, self._pos = b"", 0
            return data
        fd = self._master
        if fd is None or self._stop.is_set() or self._drop_now:
            return None
        try:
            while True:   # wake up now and then, so that stop() is noticed
                ready, _, _ = select.select([fd], [], [], 0.2 if timeout is None else timeout)
                if ready:
                    break
                if timeout is not None:
                    return b""
                if self._stop.is_set():
                    return None
            data = os.read(fd, 4096)
        except BlockingIOError:
            return b""
        except OSError:
            return None
        if not data:
            return None
        if self.drop_after is not None and self.received + len(data) >= self.drop_after:
            data = data[:self.drop_after - self.received]
            self._drop_now = True   # after these bytes, the line goes dead
        self.received += len(data)
        return data

    def _bytes(self):
        """The host's bytes one at a time, until the line is gone. What is not
        consumed yet stays in _pending, so _read_some() (the app relay) gets it."""
        while True:
            data = self._read_some()
            if data is None:
                if self._drop_now:
                    self._drop()
                return
            self._pending, self._pos = data, 0
            while self._pos < len(self._pending):
                self._pos += 1
                yield self._pending[self._pos - 1]

    def _unread(self, data):
        self._pending, self._pos = data + self._pending[self._pos:], 0

    def _cut(self):
        """The cable goes now, in the middle of running a command."""
        self._drop()
        self._drop_now = True

    def _drop(self):
        self.dropped = True
        self._stop.set()
        fd, self._master = self._master, None
        if fd is not None:
            os.close(fd)

    # --- the REPLs ---------------------------------------------------------

    def _serve(self):
        try:
            self._friendly(self._bytes())
        except OSError:
            pass  # the line went away

    def _friendly(self, stream):
        for b in stream:
            if b == 0x01:
                self._write(b"\r\n" + RAW_PROMPT)
                if not self._raw(stream):
                    return
            elif b == 0x02:
                self._write(b"\r\n" + self.banner + b">>> ")
            elif b == 0x03:
                self._write(b"\r\n>>> ")
            elif b == 0x04:
                self._soft_reboot()
                if self._boot(stream) is False:
                    return
                self._write(self.banner + b">>> ")

    def _raw(self, stream):
        """Serve the raw REPL; True when the host leaves it with Ctrl-B."""
        line = bytearray()
        for b in stream:
            if b == 0x05 and not line:
                if next(stream, None) != ord("A") or next(stream, None) != 0x01:
                    continue
                self._write(b"R\x01" + struct.pack("<H", PASTE_WINDOW))
                code = self._paste(stream)
                if code is None:
                    return False
                self._write(b"\x04")
                self._execute(code)
                self._write(b">")
            elif b == 0x01:
                line.clear()
                self._write(b"\r\n" + RAW_PROMPT)
            elif b == 0x02:
                self._write(b"\r\n" + self.banner + b">>> ")
                return True
            elif b == 0x03:
                line.clear()
            elif b == 0x04:
                self._write(b"OK")
                if not line:
                    self._write(b"\r\n")
                    self._soft_reboot()
                    self._write(RAW_PROMPT)
                else:
                    self._execute(bytes(line))
                    line.clear()
                    self._write(b">")
            else:
                line.append(b)
        return False

    def _paste(self, stream):
        """Raw-paste data up to Ctrl-D, granting the window back as it is used."""
        code = bytearray()
        remain = PASTE_WINDOW
        for b in stream:
            if b == 0x04:
                return bytes(code)
            code.append(b)
            remain -= 1
            if remain == 0:
                self._write(b"\x01")
                remain = PASTE_WINDOW
        return None

    def _soft_reboot(self):
        self.reboots += 1
        self._reset_namespace()
        self.fs.cwd = "/"
        self._write(b"MPY: soft reboot\r\n")

    def _boot(self, stream):
        """'Run main.py': send on_boot's lines until they end or Ctrl-C arrives."""
        if self.app is not None:
            return self._run_app()
        if self.on_boot is None:
            return True
        held = b""
        for text in self.on_boot(self):
            self._write(text.replace("\n", "\r\n"))
            data = self._read_some(timeout=0)
            if data is None:
                return False
            held += data
            if b"\x03" in held:
                self._write(b"Traceback (most recent call last):\r\n"
                            b'  File "main.py", line 5, in <module>\r\nKeyboardInterrupt: \r\n')
                held = held[held.index(b"\x03") + 1:]
                break
        self._unread(held)
        return True

    def _run_app(self):
        """The real app in a child process, its console relayed to the line; False
        once the line is gone, True when the app ends or Ctrl-C stops it."""
        board, photos, *openmv = self.app
        argv = [sys.executable, "-m", "host_tools.emulate.serve", "--stdio", "--board", board,
                "--openmv", openmv[0] if openmv else "5",
                "--model", os.path.join(self.fs.root, "model.blob"), "--device-dir", self.fs.root,
                "--fps", str(self.app_fps), *[os.path.abspath(p) for p in photos]]
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.apps.append(proc)
        out = proc.stdout.fileno()
        try:
            while True:
                fd = self._master
                if fd is None or self._stop.is_set():
                    return False
                held = self._pos < len(self._pending)   # bytes that came with the reset
                try:
                    ready, _, _ = select.select([fd, out], [], [], 0 if held else 0.2)
                except (OSError, ValueError):
                    return False
                if held:
                    ready.append(fd)
                if out in ready:
                    data = os.read(out, 65536)
                    if not data:       # the app ended: back to the REPL
                        return True
                    self._write(data)
                if fd in ready:
                    data = self._read_some(timeout=0)
                    if data is None:
                        if self._drop_now:
                            self._drop()
                        return False
                    if b"\x03" in data:
                        self._write(b"Traceback (most recent call last):\r\n"
                                    b'  File "main.py", line 5, in <module>\r\nKeyboardInterrupt: \r\n')
                        self._unread(data[data.index(b"\x03") + 1:])
                        return True
                    proc.stdin.write(data)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()

    # --- running code ------------------------------------------------------

    def _reset_namespace(self):
        self._globals = {"__name__": "__main__"}

    def _modules(self, out):
        fs = self.fs
        osmod = _make_os(fs)
        sysmod = types.ModuleType("sys")
        sysmod.platform = self.platform
        sysmod.implementation = types.SimpleNamespace(name="micropython",
                                                      version=tuple(int(v) for v in fs.release.split(".")) + ("",),
                                                      _machine=fs.machine)
        if self.mpy is not None:
            sysmod.implementation._mpy = self.mpy
        sysmod.version = f"3.4.0; MicroPython v{fs.release}"
        sysmod.stdout = types.SimpleNamespace(write=lambda s: out.append(str(s)))
        sysmod.path = ["", "/lib"]
        sysmod.exit = sys.exit
        hashmod = types.ModuleType("hashlib")
        hashmod.sha256 = _Sha256
        gcmod = types.ModuleType("gc")
        gcmod.collect = lambda: None
        gcmod.mem_free = lambda: 8 << 20
        gcmod.mem_alloc = lambda: 64 << 10
        micro = types.ModuleType("micropython")
        micro.const = lambda x: x
        micro.kbd_intr = lambda c: None
        machine = types.ModuleType("machine")

        def reset():
            raise _Reboot()
        machine.reset = machine.soft_reset = reset
        timemod = types.ModuleType("time")
        timemod.sleep = time.sleep
        timemod.sleep_ms = lambda ms: time.sleep(ms / 1000)
        timemod.ticks_ms = lambda: int(time.monotonic() * 1000) & 0x3FFFFFFF
        timemod.ticks_diff = lambda a, b: ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        mods = {"os": osmod, "uos": osmod, "sys": sysmod, "usys": sysmod, "binascii": binascii,
                "ubinascii": binascii, "gc": gcmod, "micropython": micro, "machine": machine,
                "time": timemod, "utime": timemod, "struct": struct, "ustruct": struct,
                "errno": errno, "uerrno": errno, "json": json, "ujson": json}
        if self.has_hashlib:
            mods["hashlib"] = mods["uhashlib"] = hashmod
        return mods

    def _execute(self, code):
        """Run code; send its output, \\x04, its error text, \\x04."""
        self.executed.append(code.decode("utf-8", "replace"))
        out = []
        mods = self._modules(out)

        def _import(name, globals=None, locals=None, fromlist=(), level=0):
            if name in mods:
                return mods[name]
            raise ModuleNotFoundError(f"no module named '{name}'", name=name)

        def _print(*args, sep=" ", end="\n", file=None):
            out.append(sep.join(str(a) for a in args) + end)

        def _open(path, mode="r", *args, **kw):
            try:
                f = open(self.fs.host(path), mode)
            except OSError as e:
                raise _oserror(e.errno or errno.EIO) from None
            return _File(self.fs, f, any(c in mode for c in "wa+"), self.fs.name(path))

        import builtins
        bi = dict(vars(builtins))
        bi.update(__import__=_import, print=_print, open=_open)
        self._globals["__builtins__"] = bi
        err = ""
        reboot = False
        try:
            exec(compile(code.decode("utf-8"), "<stdin>", "exec"), self._globals)
        except _Reboot:
            reboot = True
        except SyntaxError as e:
            err = (f'Traceback (most recent call last):\r\n  File "<stdin>", line {e.lineno or 1}\r\n'
                   f"SyntaxError: invalid syntax\r\n")
        except Exception as e:  # noqa: BLE001 - reported to the host like the board does
            tb, line = e.__traceback__, 1
            while tb is not None:
                if tb.tb_frame.f_code.co_filename == "<stdin>":
                    line = tb.tb_lineno
                tb = tb.tb_next
            err = _format_error(e, line)
        self._write("".join(out).replace("\n", "\r\n").encode() + b"\x04" + err.encode() + b"\x04")
        if reboot:
            self._soft_reboot()


def main(argv=None):
    import argparse
    import tempfile
    p = argparse.ArgumentParser(prog="python -m tests.support.fakedevice",
                                description="Serve a fake MicroPython board on a pseudo-terminal.")
    p.add_argument("dir", nargs="?", help="folder standing in for the board's filesystem "
                                          "(default: a new temporary folder)")
    p.add_argument("--arch", default="xtensawin", choices=[a for a in ARCHS if a] + ["none"],
                   help="native architecture the board reports (default: xtensawin, an ESP32-S3)")
    args = p.parse_args(argv)
    root = args.dir or tempfile.mkdtemp(prefix="fakedevice-")
    os.makedirs(root, exist_ok=True)
    dev = FakeDevice(root, arch="" if args.arch == "none" else args.arch).start()
    print(f"fake MicroPython board on {dev.port}, filesystem {root} (Ctrl-C to stop)", flush=True)
    try:
        while dev._thread.is_alive():
            dev._thread.join(0.5)
    except KeyboardInterrupt:
        pass
    dev.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
