"""What the app, flash and monitor need from the firmware, checked on the real builds:
modules, native and viper code from .mpy files, the qemu_m7 filesystem across a soft reset,
main.py at boot with Ctrl-C to stop it, and instruction-counting ticks under -icount.
"""
import hashlib
import os
import subprocess
import time

import pytest
import serial

from tests.support import firmware as fw

MPY_CROSS = os.path.join(fw.ROOT, "build", "src", "micropython", "mpy-cross", "build", "mpy-cross")

FEATURES = """\
import binascii, framebuf, gc, hashlib, json, micropython, os, select, struct, sys, time, uctypes
assert hashlib.sha256(b'abc').digest() == binascii.unhexlify(
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
fb = framebuf.FrameBuffer(bytearray(8 * 4 * 2), 8, 4, framebuf.RGB565)
fb.pixel(1, 1, 0xF800)
assert fb.pixel(1, 1) == 0xF800
assert json.loads(json.dumps({'a': [1, 2]})) == {'a': [1, 2]}
assert struct.unpack('<hI', struct.pack('<hI', -2, 7)) == (-2, 7)
assert uctypes.bytearray_at(uctypes.addressof(bytearray(b'xy')), 2) is not None
p = select.poll()
p.register(sys.stdin, select.POLLIN)
t0, m0 = time.ticks_us(), time.ticks_ms()
time.sleep_ms(3)
assert time.ticks_diff(time.ticks_ms(), m0) >= 3 and time.ticks_diff(time.ticks_us(), t0) >= 2000
micropython.heap_lock()
micropython.heap_unlock()
for f in (os.rename, os.remove, os.stat, os.statvfs, gc.collect, micropython.mem_info):
    assert callable(f)

@micropython.viper
def vsum(n: int) -> int:
    s = 0
    for i in range(n):
        s += i
    return s

@micropython.native
def nsum(n):
    return sum(range(n))

assert vsum(100) == nsum(100) == 4950
print('features ok', sys.implementation._mpy, gc.mem_free() + gc.mem_alloc())
"""

KERNEL = """\
import micropython

@micropython.viper
def scale(buf, n: int) -> int:
    b = ptr8(buf)
    s = 0
    for i in range(n):
        b[i] = (b[i] * 3) & 0xff
        s += b[i]
    return s

@micropython.native
def total(xs):
    return sum(xs)
"""

USE_KERNEL = """\
import kernel
b = bytearray(range(10))
print('kernel', kernel.scale(b, 10), kernel.total(b))
"""
KERNEL_ANSWER = "kernel 135 135"


def compile_mpy(tmp_path, arch):
    src = tmp_path / "kernel.py"
    src.write_text(KERNEL)
    out = tmp_path / "kernel.mpy"
    subprocess.run([MPY_CROSS, f"-march={arch}", "-o", str(out), str(src)], check=True)
    return out


# --- unix ----------------------------------------------------------------------------------

def test_unix_features_and_native_mpy(tmp_path):
    fw.build("unix")
    code, out, err = fw.run_unix(FEATURES)
    assert code == 0, out + err
    assert "features ok" in out
    mpy = compile_mpy(tmp_path, "x64")
    script = f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n" + USE_KERNEL
    os.remove(tmp_path / "kernel.py")  # only the .mpy can be imported
    code, out, err = fw.run_unix(script)
    assert code == 0, err
    assert out.strip() == KERNEL_ANSWER and mpy.exists()


# --- qemu_m7 -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def board():
    fw.build("qemu_m7")
    with fw.QemuM7() as b:
        yield b


def test_qemu_m7_features_and_heap(board):
    out = board.run(FEATURES)
    line = [ln for ln in out.splitlines() if ln.startswith("features ok")][0]
    _, _, mpy, heap = line.split()
    assert (int(mpy) >> 10) & 0xF == 8  # armv7emdp
    assert 0.97 * 4 * 1024 * 1024 < int(heap) <= 4 * 1024 * 1024  # default HEAP_BYTES less GC tables


def test_qemu_m7_loads_native_and_viper_mpy(board, tmp_path):
    mpy = compile_mpy(tmp_path, "armv7emdp")
    code, out, err = board.mpremote("cp", str(mpy), ":kernel.mpy")
    assert code == 0, err
    assert board.run(USE_KERNEL).strip() == KERNEL_ANSWER


def _friendly_soft_reset(port, read_for=5.0):
    """Leave any raw REPL and soft-reset from the friendly REPL, as `flash` does; returns output."""
    with serial.Serial(port, 115200, timeout=0.2) as s:
        s.write(b"\r\x03\x03\x02")   # stop a running program, leave the raw REPL
        time.sleep(0.5)
        s.reset_input_buffer()
        s.write(b"\x04")             # soft reset: _boot.py, boot.py, main.py
        data, end = b"", time.monotonic() + read_for
        while time.monotonic() < end:
            data += s.read(256)
    return data.decode(errors="replace")


def test_qemu_m7_files_survive_a_soft_reset_and_main_py_runs(board, tmp_path):
    blob = os.urandom(50_000)
    local = tmp_path / "data.bin"
    local.write_bytes(blob)
    main = tmp_path / "main.py"
    main.write_text("import time\nwhile True:\n    print('tick')\n    time.sleep_ms(5)\n")
    for src, dst in ((local, ":data.tmp"), (main, ":main.py")):
        code, out, err = board.mpremote("cp", str(src), dst)
        assert code == 0, err
    board.run("import os\nos.rename('data.tmp', 'data.bin')\n")
    out = _friendly_soft_reset(board.port)
    assert "MPY: soft reboot" in out and out.count("tick") >= 2
    # mpremote must be able to stop the running app (Ctrl-C from the UART while it runs)
    out = board.run("""
import binascii, hashlib, os
h = hashlib.sha256()
h.update(open('data.bin', 'rb').read())
print('hash', binascii.hexlify(h.digest()).decode(), os.stat('data.bin')[6])
os.remove('main.py')
""")
    assert f"hash {hashlib.sha256(blob).hexdigest()} {len(blob)}" in out


def test_qemu_m7_ticks_count_instructions(board):
    out = board.run("""
import micropython, time

@micropython.viper
def spin(n: int) -> int:
    s = 0
    for i in range(n):
        s += i
    return s

def timed(n):
    t0 = time.ticks_us()
    spin(n)
    return time.ticks_diff(time.ticks_us(), t0)

timed(10)
print('ticks', timed(200000), timed(400000))
""")
    one, two = (int(v) for v in out.split("ticks")[1].split())
    # one instruction per virtual ns: 200,000 turns of a few instructions each take about a ms
    assert 200 < one < 5000
    assert abs(two / one - 2) < 0.02
