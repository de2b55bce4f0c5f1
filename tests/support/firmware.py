"""Build and run the project's MicroPython firmware (unix port, and qemu_m7 under QEMU) in tests.

The builds go through the same recipe as `make firmware BOARD=...`; a build that is up to
date costs a few seconds. QEMU runs the MPS2-AN500 with `-icount shift=0` (one instruction
per virtual nanosecond), its UART on a pty that mpremote talks to.
"""
import os
import subprocess
import sys
import tempfile

from host_tools.firmware.memory_map import memory_map
from host_tools.firmware.qemu import Qemu
from tests.support import ROOT

UNIX_MICROPYTHON = os.path.join(ROOT, "build", "firmware", "unix", "micropython")
M7_ELF = os.path.join(ROOT, "build", "firmware", "qemu_m7", "firmware.elf")
MPREMOTE = [sys.executable, "-m", "mpremote"]

# Fixed addresses of the qemu_m7 firmware, read from firmware/recipe/qemu_m7/memory_map.h
M7_MODEL_ADDR = memory_map()["M7_MODEL_ADDR"]
M7_FRAMES_ADDR = memory_map()["M7_FRAMES_ADDR"]
M7_FRAMES_BYTES = memory_map()["M7_FRAMES_BYTES"]


def build(board):
    """Run the firmware recipe for board; returns make's output. Fails the test on error."""
    r = subprocess.run(["make", "--no-print-directory", "firmware", f"BOARD={board}"], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"make firmware BOARD={board} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout + r.stderr


def run_unix(script, heap="8M", timeout=600):
    """Run a MicroPython script (text) on the unix firmware: (returncode, stdout, stderr)."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    try:
        r = subprocess.run([UNIX_MICROPYTHON, "-X", f"heapsize={heap}", f.name],
                           capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr
    finally:
        os.remove(f.name)


class QemuM7(Qemu):
    """The qemu_m7 firmware running in QEMU; `preload` = [(path, address)] loaded raw into RAM."""

    def __init__(self, preload=(), elf=M7_ELF):
        super().__init__(elf, loads=preload)

    def mpremote(self, *args, timeout=600):
        """Run mpremote against the board: (returncode, stdout, stderr)."""
        r = subprocess.run([*MPREMOTE, "connect", self.port, *args], capture_output=True, text=True,
                           timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def run(self, script, timeout=600):
        """Run a script (text) on the board with `mpremote run`; returns its stdout."""
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(script)
        try:
            code, out, err = self.mpremote("run", f.name, timeout=timeout)
        finally:
            os.remove(f.name)
        if code != 0:
            raise AssertionError(f"script failed on qemu_m7 ({code}):\n{out[-3000:]}\n{err[-3000:]}")
        return out
