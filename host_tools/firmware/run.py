"""Running the project's firmware on the host: code on the unix port (a subprocess
in a working folder) or on qemu_m7 (QEMU, the files in a ROMFS image preloaded into
RAM, the raw REPL over its serial port), a camera's frames preloaded as the
frames image firmware/app/emuboard.py reads.

    lines = run_code("unix", {"model.tflite": model}, "import tflm ...")
"""
import os
import struct
import subprocess
import tempfile

from .. import UserError
from ..data.pixels import BYTES_PER_PIXEL, FORMATS, camera_frame, camera_spec
from ..device.boards import board_info
from ..device.transport import Board
from .firmware import check_kernels, firmware_image
from .memory_map import memory_map
from .qemu import Qemu
from .romfs import romfs_image

RUN_TIMEOUT = 1800   # seconds for one run of the app


# qemu_m7's areas -> the memory_map.h macros of their address and size
AREAS = {"romfs": ("M7_MODEL_ADDR", "M7_MODEL_BYTES"), "frames": ("M7_FRAMES_ADDR", "M7_FRAMES_BYTES"),
         "lcd": ("M7_LCD_ADDR", "M7_LCD_BYTES")}


def addr(info, key):
    """An area's address ("frames") or size ("frames_max"), from the firmware's memory_map.h."""
    area, _, size = key.partition("_")
    return memory_map()[AREAS[area][1 if size else 0]]


class Frames:
    """Camera frames of one size and format, and the header the board reads."""

    def __init__(self, width, height, fmt, frames=()):
        if fmt not in FORMATS:
            raise UserError(f"frame format must be one of {', '.join(FORMATS)}; got {fmt}")
        self.width, self.height, self.format = width, height, fmt
        self.frames = list(frames)
        self.size = width * height * BYTES_PER_PIXEL[fmt]

    def image(self, flags=0, start=0, stop=None):
        chosen = self.frames[start:stop]
        head = struct.pack("<4sIHHBBH", b"MPCF", len(chosen), self.width, self.height,
                           FORMATS.index(self.format), flags, 0)
        return head + b"".join(chosen)


def photo_frames(photos, blob, fmt=None, size=None, board="unix"):
    """Frames of decoded photos (PIL images). By default what the board's camera
    delivers (board.json: the model's size in RGB888, GRAY for a one-channel model,
    as classify sees the photo); otherwise fmt (default RGB888) at size (w, h)
    (default: the model's), as a camera frames them."""
    if fmt is None and size is None:
        w, h, fmt = camera_spec(board_info(board), blob)
    else:
        fmt = fmt or "RGB888"
        w, h = size or (blob.width, blob.height)
    return Frames(w, h, fmt, [camera_frame(p, w, h, fmt) for p in photos])


def write_unix_folder(folder, files, frames_image=None):
    """The unix board's working folder: files ((name, bytes) pairs) and, if given, the
    camera's frames image as frames.bin."""
    for name, data in files:
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    if frames_image is not None:
        with open(os.path.join(folder, "frames.bin"), "wb") as f:
            f.write(frames_image)


def unix_argv(script, kernels=None):
    """The command that runs script (a file in the working folder) on the unix firmware
    (built if needed; kernels="esp-nn": the image with the ESP32-S3's kernels) with the
    board's heap size."""
    binary = firmware_image("unix", kernels)
    return [binary, "-X", f"heapsize={board_info('unix')['heap_bytes']}", script]


_ROM_MOUNT = """\
import os, sys, uctypes, vfs
vfs.mount(vfs.VfsRom(uctypes.bytearray_at({addr}, {size})), '/rom')
os.chdir('/rom')
"""


_ROM_MAIN = _ROM_MOUNT + "exec(open('main.py').read())\n"


def _rom_code(info, rom_size, template=_ROM_MAIN):
    """template (_ROM_MOUNT or _ROM_MAIN) for the ROMFS image of rom_size bytes preloaded on the board."""
    return template.format(addr=addr(info, "romfs"), size=rom_size)


def qemu_loads(info, romfs=None, frames=None, tmp=None):
    """(path, address) pairs for Qemu: the ROMFS image and the frames, written into tmp."""
    loads = []
    for key, data in (("romfs", romfs), ("frames", frames)):
        if data is None:
            continue
        if len(data) > addr(info, key + "_max"):
            raise UserError(f"the {key} image has {len(data):,} bytes; qemu_m7 has room for "
                            f"{addr(info, key + '_max'):,}")
        path = os.path.join(tmp, key + ".bin")
        with open(path, "wb") as f:
            f.write(data)
        loads.append((path, addr(info, key)))
    return loads


def exec_on_board(port, code, echo=None, timeout=RUN_TIMEOUT):
    """Run code in the board's raw REPL (at most timeout seconds); the lines it printed
    (echoed as they come)."""
    dev = Board(port)
    lines, part = [], [b""]

    def consume(data):
        part[0] += data
        *done, part[0] = part[0].split(b"\n")
        for raw in done:
            line = raw.decode("utf-8", "replace").replace("\x04", "").rstrip("\r")
            lines.append(line)
            if echo:
                echo(line)
    try:
        out, err = dev.run(code, timeout, consume)
        consume(b"\n")
        lines += err.decode("utf-8", "replace").splitlines()
    finally:
        dev.close()
    return [line for line in lines if line]


def run_code(board, files, code, frames=None, timeout=RUN_TIMEOUT, kernels=None):
    """Run code on a fresh board whose working folder holds files ({name: bytes}),
    its camera showing frames (a Frames, optional); the lines it printed. On qemu_m7
    with -icount shift=0 (ticks_us counts 1,000 instructions). kernels: as unix_argv."""
    check_kernels(board, kernels)
    info = board_info(board)
    with tempfile.TemporaryDirectory(prefix=f"{board}-code-") as tmp:
        if board == "unix":
            write_unix_folder(tmp, files.items(), frames.image() if frames is not None else None)
            with open(os.path.join(tmp, "_code.py"), "w") as f:
                f.write(code)
            r = subprocess.run(unix_argv("_code.py", kernels), cwd=tmp, capture_output=True, text=True,
                               timeout=timeout)
            return (r.stdout + r.stderr).splitlines()
        rom = romfs_image(files)
        image = frames.image() if frames is not None else None
        with Qemu(firmware_image(board), qemu_loads(info, rom, image, tmp)) as q:
            head = _rom_code(info, len(rom), _ROM_MOUNT)
            return exec_on_board(q.port, head + "sys.path.insert(0, '/rom')\n" + code, timeout=timeout)
