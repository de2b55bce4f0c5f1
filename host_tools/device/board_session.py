"""`board --board qemu_m7`: start an emulated board and keep it running, like a board on USB.

    python -m host_tools board --board qemu_m7 [--model BLOB] [IMAGE...]
    # qemu_m7: serial port /dev/pts/5 ...
    make flash BOARD=qemu_m7 PORT=/dev/pts/5      # deploys into its RAM filesystem
    make monitor PORT=/dev/pts/5                  # its results, live

The firmware (built if needed) boots with an empty filesystem, so it waits at the
REPL until `flash` deploys the app. Its camera shows the given photos (default:
scikit-image's sample photos) over and over, as frames of the model's size in
RGB888 made by the host photo pipeline, so each result can be checked against
`classify`. Ctrl-C (or SIGTERM) stops the board.
"""
import signal
import sys
import tempfile

from .. import DEFAULT_BLOB, UserError


def start(board, model, images, fmt=None, size=None):
    """A running Qemu with the photos preloaded as a looping camera; the caller closes it."""
    from ..blob import read
    from ..data.images import open_image
    from .board_emulation import board_info
    from .firmware import firmware_image
    from .qemu import Qemu
    from .vm_boards import LOOP, photo_frames, qemu_loads
    if board != "qemu_m7":
        raise UserError(f"only qemu_m7 runs as a board with a serial port; got {board!r} "
                        "(the unix board runs through emulate --board unix)")
    info = board_info(board)
    frames = photo_frames([open_image(p) for p in images], read(model), fmt, size)
    tmp = tempfile.TemporaryDirectory(prefix="qemu-board-")
    loads = qemu_loads(info, frames=frames.image(LOOP), tmp=tmp.name)
    q = Qemu(firmware_image(board), loads, icount=False)
    q.tmp = tmp   # kept until the board stops
    return q


def main(args):
    from ..data.samples import demo_paths
    images = args.images or demo_paths()
    size = None
    if args.frame_size:
        from .vm_boards import parse_size
        size = parse_size(args.frame_size)
    q = start(args.board, args.model or DEFAULT_BLOB, images, args.frame_format, size)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print(f"{args.board}: serial port {q.port} (camera: {len(images)} photos, looping); "
              f"deploy with: make flash BOARD={args.board} PORT={q.port}; Ctrl-C stops the board",
              flush=True)
        q.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        q.close()
        q.tmp.cleanup()
    return 0
