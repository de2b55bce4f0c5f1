"""QEMU running the qemu_m7 firmware: a Cortex-M7 (mps2-an500) with its UART on a pty.

    with Qemu(elf, loads=[(romfs_path, memory_map()["M7_MODEL_ADDR"])]) as q:
        q.port                      # /dev/pts/N: mpremote and pyserial talk to it
        q.read_memory(memory_map()["M7_LCD_ADDR"], 40960)   # memory_map.py

`-icount shift=0` makes the virtual clock advance 1 ns per instruction, so the
board's time.ticks_us() counts thousands of instructions. Files given in `loads`
are put into guest RAM before the CPU starts (`-device loader,force-raw=on`).
The QEMU monitor listens on a unix socket, used to read guest memory back.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from .. import UserError

QEMU = "qemu-system-arm"
START_TIMEOUT = 20   # seconds for QEMU to open its pty


class Qemu:
    """keep: an object with cleanup() (a TemporaryDirectory holding the loads, say), kept as
    .tmp and cleaned up by close(), or at once if QEMU does not start."""

    def __init__(self, elf, loads=(), machine="mps2-an500", icount=True, keep=None):
        self.tmp = keep
        self.proc = self._log = self._tmp = None
        try:
            if shutil.which(QEMU) is None:
                raise UserError(f"{QEMU} is not installed: run make setup (it installs qemu-system-arm)")
            self._tmp = tempfile.TemporaryDirectory(prefix="qemu-")
            self.monitor_path = os.path.join(self._tmp.name, "monitor.sock")
            cmd = [QEMU, "-machine", machine, "-bios", "none", "-semihosting", "-nographic",
                   "-serial", "pty", "-monitor", f"unix:{self.monitor_path},server,nowait",
                   "-kernel", elf]
            if icount:
                cmd += ["-icount", "shift=0"]
            for path, addr in loads:
                cmd += ["-device", f"loader,file={path},addr=0x{addr:08x},force-raw=on"]
            self._log = open(os.path.join(self._tmp.name, "qemu.log"), "w+")
            self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
            self.port = self._wait_for_pty()
        except BaseException:
            self.close()
            raise

    def _wait_for_pty(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._log.seek(0)
            text = self._log.read()
            m = re.search(r"redirected to (/dev/pts/\d+)", text)
            if m and os.path.exists(self.monitor_path):
                return m.group(1)
            if self.proc.poll() is not None:   # __init__ closes
                raise UserError(f"QEMU stopped at once: {text.strip().splitlines()[-1] if text.strip() else '?'}")
            time.sleep(0.05)
        raise UserError(f"QEMU did not open its serial port within {START_TIMEOUT} s")

    def monitor(self, command):
        """One QEMU monitor command; its output."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.monitor_path)
            s.settimeout(30)
            out = b""
            while not out.endswith(b"(qemu) "):
                out += s.recv(4096)
            s.sendall(command.encode() + b"\n")
            out = b""
            while not out.endswith(b"(qemu) "):
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        return out.decode("utf-8", "replace")

    def read_memory(self, addr, size):
        """size bytes of guest RAM from addr."""
        path = os.path.join(self._tmp.name, "mem.bin")
        said = self.monitor(f"pmemsave 0x{addr:08x} {size} \"{path}\"")
        if not os.path.exists(path):
            raise RuntimeError(f"QEMU could not save guest memory: {said.strip()[-200:]}")
        with open(path, "rb") as f:
            data = f.read()
        os.remove(path)
        if len(data) != size:
            raise RuntimeError(f"QEMU saved {len(data)} of {size} bytes at 0x{addr:08x}")
        return data

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()
        if self.tmp is not None:
            self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
