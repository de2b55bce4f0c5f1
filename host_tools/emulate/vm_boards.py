"""`emulate --board qemu_m7|unix`: the app, unchanged, on the project's own firmware.

    run = run_app("qemu_m7", frames, blob_path)   # frames: a Frames (below)
    run.results, run.heap, run.panels

The app is deployed exactly as `flash` deploys it (flash.deploy_list: firmware/app/*.py
and board.py compiled by mpy-cross for the board's architecture, main.py, the
blob). On qemu_m7 those files become a ROMFS image that QEMU preloads into RAM,
so the model is used where it lies; the camera frames are preloaded too and the
LCD pictures are read back from RAM. On unix they are files in a temporary
folder. Either way the board's own main.py starts the app.
"""
import os
import struct
import subprocess
import sys
import tempfile

from .. import UserError
from ..infer.results import parse_result_line
from ..data.pixels import BYTES_PER_PIXEL, FORMATS, camera_frame, camera_spec, rgb565_image
from ..device.boards import board_info
from ..firmware.memory_map import check_heap, memory_map

BOARDS = ("qemu_m7", "unix")
LOOP, LOCK, COUNT = 1, 2, 4
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


class Run:
    """What one run printed: result dicts, the @heap figures, other lines, LCD pictures."""

    def __init__(self):
        self.results, self.heaps, self.other, self.panels = [], [], [], []


def _collect(run, lines, offset):
    import json
    for line in lines:
        r = parse_result_line(line)
        if r is not None:
            r["frame"] += offset
            run.results.append(r)
        elif line.startswith("@heap "):
            run.heaps.append(json.loads(line[len("@heap "):]))
        elif line.strip():
            run.other.append(line)


def deploy_files(board, blob_path):
    """[(name, bytes)] as flash deploys them to this board."""
    from ..device.compile_app import ARCHS, Target, deploy_list
    info = board_info(board)
    target = Target(6 | 3 << 8 | ARCHS.index(info["mpy_arch"]) << 10)
    return deploy_list(board, info, blob_path, target)


def _panel_images(info, data, count):
    d = info["display"]
    size = d["width"] * d["height"] * 2
    return [rgb565_image(data[i * size:(i + 1) * size], d["width"], d["height"], big_endian=False)
            for i in range(min(count, len(data) // size))]


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
    from ..firmware.firmware import firmware_image
    binary = firmware_image("unix", kernels)
    return [binary, "-X", f"heapsize={board_info('unix')['heap_bytes']}", script]


def _run_unix(files, frames, flags, run, kernels=None):
    info = board_info("unix")
    argv = unix_argv("main.py", kernels)
    with tempfile.TemporaryDirectory(prefix="unix-board-") as fs:
        write_unix_folder(fs, files, frames.image(flags))
        r = subprocess.run(argv, cwd=fs, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        _collect(run, r.stdout.splitlines() + r.stderr.splitlines(), 0)
        lcd = os.path.join(fs, "lcd.bin")
        if os.path.exists(lcd):
            with open(lcd, "rb") as f:
                run.panels += _panel_images(info, f.read(), len(frames.frames))


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


def start_rom_app(port, rom_size):
    """Start the app from the ROMFS image preloaded on a qemu_m7 board and leave it
    running (its console is then the app's: @result lines, @frame requests)."""
    from ..device.transport import Board
    dev = Board(port)
    try:
        dev.start(_rom_code(board_info("qemu_m7"), rom_size))
    finally:
        dev.close()


def exec_on_board(port, code, echo=None, timeout=RUN_TIMEOUT):
    """Run code in the board's raw REPL (at most timeout seconds); the lines it printed
    (echoed as they come)."""
    from ..device.transport import Board
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


def _run_qemu(files, frames, flags, run, kernels=None):
    from ..firmware.firmware import firmware_image
    from ..firmware.qemu import Qemu
    from ..firmware.romfs import romfs_image
    info = board_info("qemu_m7")
    check_heap(info["heap_bytes"])
    elf = firmware_image("qemu_m7")
    d = info["display"]
    panel = d["width"] * d["height"] * 2
    per_boot = min(addr(info, "frames_max") // frames.size, addr(info, "lcd_max") // panel)
    rom = romfs_image(dict(files))
    for start in range(0, len(frames.frames), per_boot):
        chosen = frames.frames[start:start + per_boot]
        with tempfile.TemporaryDirectory(prefix="qemu-m7-") as tmp:
            loads = qemu_loads(info, rom, frames.image(flags, start, start + per_boot), tmp)
            with Qemu(elf, loads) as q:
                _collect(run, exec_on_board(q.port, _rom_code(info, len(rom))), start)
                run.panels += _panel_images(info, q.read_memory(addr(info, "lcd"), len(chosen) * panel),
                                            len(chosen))


def compiled(board, names, blob_path):
    """{device name: bytes} of the deployed files whose stems are in names."""
    return {n: d for n, d in deploy_files(board, blob_path) if n.rsplit(".", 1)[0] in names}


def run_code(board, files, code, frames=None, timeout=RUN_TIMEOUT, kernels=None):
    """Run code on a fresh board whose working folder holds files ({name: bytes}),
    its camera showing frames (a Frames, optional); the lines it printed. On qemu_m7
    with -icount shift=0 (ticks_us counts 1,000 instructions). kernels: as unix_argv."""
    from ..firmware.firmware import check_kernels, firmware_image
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
        from ..firmware.qemu import Qemu
        from ..firmware.romfs import romfs_image
        rom = romfs_image(files)
        image = frames.image() if frames is not None else None
        with Qemu(firmware_image(board), qemu_loads(info, rom, image, tmp)) as q:
            head = _rom_code(info, len(rom), _ROM_MOUNT)
            return exec_on_board(q.port, head + "sys.path.insert(0, '/rom')\n" + code, timeout=timeout)


def run_app(board, frames, blob_path, lock_heap=False, kernels=None):
    """Deploy the app and blob to a fresh board, run it over frames; a Run.
    kernels: "esp-nn" runs the unix image with the ESP32-S3's kernels."""
    from ..firmware.firmware import check_kernels
    if board not in BOARDS:
        raise UserError(f"the firmware runner knows {', '.join(BOARDS)}; got {board}")
    check_kernels(board, kernels)
    run = Run()
    files = deploy_files(board, blob_path)
    if kernels == "esp-nn":   # the arena the ESP32 boards give these kernels (host_tools/firmware/espnn.py)
        from ..device.esp32_arena import esp32_blob
        files = [(n, esp32_blob(d) if n == "model.blob" else d) for n, d in files]
    flags = LOCK if lock_heap else 0
    (_run_qemu if board == "qemu_m7" else _run_unix)(files, frames, flags, run, kernels)
    return run


# --- command line ---------------------------------------------------------------

def parse_size(text):
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        w = h = 0
    if not (0 < w <= 640 and 0 < h <= 480):
        raise UserError(f"--frame-size must be WIDTHxHEIGHT, each 1 to 640x480; got {text}")
    return w, h


def main(args):
    """Print what classify prints, one line per image in order; LCD pictures as PNG files."""
    from .. import DEFAULT_BLOB
    from ..blob import read
    from ..infer.results import dequantize, format_line
    from .board_emulation import open_images
    if not args.images:
        raise UserError("no images given: pass one or more image files")
    model = args.model or DEFAULT_BLOB
    blob = read(model)
    fmt = getattr(args, "frame_format", None)
    size = getattr(args, "frame_size", None)
    size = parse_size(size) if size else None
    good, photos, failed = open_images(args.images)
    if not good:
        return 1
    run = run_app(args.board, photo_frames(photos, blob, fmt, size, args.board), model,
                  kernels=getattr(args, "kernels", None))
    for line in run.other:
        print(f"{args.board}: {line}", file=sys.stderr)
    if args.frames_dir:
        os.makedirs(args.frames_dir, exist_ok=True)
        for n, img in enumerate(run.panels):
            img.save(os.path.join(args.frames_dir, "frame_%04d.png" % n))
    for r in run.results:
        row = {"image": good[r["frame"]], "label": r["label"], "confidence": r["confidence"],
               "scores": {label: dequantize(q, blob) for label, q in zip(blob.labels, r["scores"])}}
        print(format_line(row, args.json), flush=True)
    if len(run.results) != len(good):
        print(f"emulate: the board reported {len(run.results)} of {len(good)} frames", file=sys.stderr)
        return 1
    return 1 if failed else 0
