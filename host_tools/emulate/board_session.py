"""`board --board qemu_m7`: start an emulated board and keep it running, like a board on USB.

    python -m host_tools board --board qemu_m7 [--model BLOB] [IMAGE...]
    # qemu_m7: serial port /dev/pts/5 ...
    make flash BOARD=qemu_m7 PORT=/dev/pts/5      # deploys into its RAM filesystem
    make monitor PORT=/dev/pts/5                  # its results, live

The firmware (built if needed) boots with an empty filesystem, so it waits at the
REPL until `flash` deploys the app. With --run the app and model are preloaded
instead, as a ROMFS image in RAM (as `emulate --board qemu_m7` does), and the app
is started at once: `capture` and `monitor` can talk to it without a flash. Its camera shows the given photos (default:
scikit-image's sample photos) over and over, as frames of the model's size in
RGB888 made by the host photo pipeline, so each result can be checked against
`classify`. Ctrl-C (or SIGTERM) stops the board.
"""
import os
import signal
import sys
import tempfile

from .. import DEFAULT_BLOB, UserError
from ..blob import read
from ..data.images import open_image
from ..device.boards import board_info
from ..firmware.firmware import firmware_image
from ..firmware.qemu import Qemu
from ..firmware.romfs import romfs_image
from .vm_boards import LOOP, deploy_files, photo_frames, qemu_loads, start_rom_app
from ..data.samples import demo_paths


def check_board(board):
    if board != "qemu_m7":
        raise UserError(f"only qemu_m7 runs as a board with a serial port; got {board!r} "
                        "(the unix board: emulate --serve --board unix)")


def start(board, model, images, fmt=None, size=None, run_app=False):
    """A running Qemu with the photos preloaded as a looping camera; the caller closes it.
    run_app: the app and model preloaded too, and the app running."""
    check_board(board)
    info = board_info(board)
    frames = photo_frames([open_image(p) for p in images], read(model), fmt, size, board)
    tmp = tempfile.TemporaryDirectory(prefix="qemu-board-")
    try:
        rom = romfs_image(dict(deploy_files(board, model))) if run_app else None
        loads = qemu_loads(info, romfs=rom, frames=frames.image(LOOP), tmp=tmp.name)
        elf = firmware_image(board)
    except BaseException:
        tmp.cleanup()
        raise
    q = Qemu(elf, loads, icount=False, keep=tmp)   # tmp kept until the board stops (q.close())
    if run_app:
        try:
            start_rom_app(q.port, len(rom))
        except BaseException:
            q.close()
            raise
    return q


def camera_line(board, images, own):
    """What the emulated camera shows, by name, and how to show other photos."""
    names = ", ".join(os.path.basename(p) for p in images)
    how = ("" if own else "; scikit-image's sample photos: show your own with "
           "make board IMAGES=\"a.jpg b.jpg\" (or the image paths after the command)")
    return f"{board}: its camera shows, in turn, over and over: {names}{how}"


def main(args):
    images = args.images or demo_paths()
    check_board(args.board)
    print(camera_line(args.board, images, bool(args.images)), flush=True)
    size = None
    if args.frame_size:
        from .vm_boards import parse_size
        size = parse_size(args.frame_size)
    q = start(args.board, args.model or DEFAULT_BLOB, images, args.frame_format, size, args.run)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        then = ("the app is running" if args.run
                else f"deploy with: make flash BOARD={args.board} PORT={q.port}")
        print(f"{args.board}: serial port {q.port} (camera: the {len(images)} photos above); "
              f"{then}; Ctrl-C stops the board", flush=True)
        q.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        q.close()
    return 0
