"""The `emulate` and `board` commands, on the one emulated-board interface (backends.py).

    python -m host_tools emulate [--board NAME] [--json] [--frames-dir DIR] IMAGE...
    python -m host_tools emulate --serve --board NAME IMAGE...
    python -m host_tools board --board qemu_m7 [--run] [IMAGE...]
"""
import os
import signal
import sys

from .. import DEFAULT_BLOB, UserError
from ..data.samples import demo_paths
from ..infer.results import format_line
from .backends import DRIVER_OPTIONS, emulated_board

OPTIONS = DRIVER_OPTIONS + ("openmv", "frame_format", "frame_size", "kernels")


def board_from_args(args, images, **more):
    options = {k: getattr(args, k, None) for k in OPTIONS}
    return emulated_board(getattr(args, "board", None) or "host", images,
                          getattr(args, "model", None) or DEFAULT_BLOB, **options, **more)


def emulate(args):
    """One line (or JSON object) per image in input order, as classify prints them; the
    board's other serial lines and its LED and LCD notes on stderr. Exit status 1 if an
    image could not be read or the board stopped early."""
    board = board_from_args(args, args.images)
    if getattr(args, "serve", False):
        return board.serve(announce=lambda s: print(s, flush=True)) or 0
    if not args.images:
        raise UserError("no images given: pass one or more image files")
    run = board.run(getattr(args, "frames_dir", None))
    prefix = "" if board.name == "host" else f"{board.name}: "
    for line in run.other:
        print(prefix + line, file=sys.stderr)
    failed = done = 0
    for row in run.rows:
        if row is None:
            continue
        if "error" in row:
            failed += 1
            print(f"emulate: {row['error']}", file=sys.stderr, flush=True)
            continue
        print(format_line(row, args.json), flush=True)
        notes = ([f"LCD -> {row['lcd']}"] if "lcd" in row else []) + \
                ([f"LED {'on' if row['led'] else 'off'}"] if "led" in row else [])
        if notes and not args.json:
            print(f"{board.name}: frame {done} ({row['image']}): {', '.join(notes)}", file=sys.stderr)
        done += 1
    readable = len(run.rows) - failed
    if done != readable:
        print(f"emulate: the board stopped after {done} of {readable} frames", file=sys.stderr)
    return 1 if (failed or done != readable) else 0


def camera_line(board, images, own):
    """What the emulated camera shows, by name, and how to show other photos."""
    names = ", ".join(os.path.basename(p) for p in images)
    how = ("" if own else "; scikit-image's sample photos: show your own with "
           "make board IMAGES=\"a.jpg b.jpg\" (or the image paths after the command)")
    return f"{board}: its camera shows, in turn, over and over: {names}{how}"


def board(args):
    """`board --board qemu_m7`: a board that keeps running, like one on USB, until Ctrl-C."""
    if args.board != "qemu_m7":
        raise UserError(f"only qemu_m7 runs as a board with a serial port; got {args.board!r} "
                        "(the unix board: emulate --serve --board unix)")
    images = args.images or demo_paths()
    print(camera_line(args.board, images, bool(args.images)), flush=True)
    q = board_from_args(args, images, run_app=bool(args.run)).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        then = ("the app is running" if args.run
                else f"deploy with: make flash BOARD={args.board} PORT={q.port}")
        print(f"{args.board}: serial port {q.port} (camera: the {len(images)} photos above); "
              f"{then}; Ctrl-C stops the board", flush=True)
        q.wait()
    except KeyboardInterrupt:
        pass
    finally:
        q.stop()
    return 0
