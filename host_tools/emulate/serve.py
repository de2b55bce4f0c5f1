"""The child process behind EmulatedBoard.start(): one emulated board on a serial line.

    python -m host_tools.emulate.serve --board esp32s3_eye photo1.jpg photo2.jpg
    -> esp32s3_eye emulated on /dev/pts/7 (Ctrl-C to stop)

--stdio puts the console on this process's stdin/stdout instead of a new pty
(CPython boards only).
"""
import argparse
import signal
import sys

from .. import DEFAULT_BLOB, UserError
from .backends import DEFAULT_FPS, DRIVER_OPTIONS, CPythonBoard, emulated_board
from .cpython_loop import console


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m host_tools.emulate.serve",
                                description="Run the device app for a board with a serial console.")
    p.add_argument("--board", default="host")
    p.add_argument("--model", default=DEFAULT_BLOB)
    p.add_argument("--fps", type=float, default=DEFAULT_FPS, help="camera frames per second at most")
    p.add_argument("--stdio", action="store_true", help="console on stdin/stdout instead of a new pty")
    p.add_argument("--device-dir", help="working directory the board sees as its filesystem")
    p.add_argument("--openmv", help="OpenMV firmware the OpenMV fakes follow: 4, 4.8 or 5")
    p.add_argument("--frame-format", help="qemu_m7, unix: camera frames in this format")
    p.add_argument("--frame-size", help="qemu_m7, unix: camera frames of this size, WxH")
    for name in DRIVER_OPTIONS:
        p.add_argument("--" + name.replace("_", "-"), help="ESP32 boards: the driver the fakes follow")
    p.add_argument("images", nargs="+")
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # finally blocks run: QEMU stops too
    options = {k: getattr(args, k) for k in DRIVER_OPTIONS + ("openmv", "frame_format", "frame_size")}
    try:
        board = emulated_board(args.board, args.images, args.model, args.fps, **options,
                               **({"device_dir": args.device_dir} if args.device_dir else {}))
        if args.stdio:
            if not isinstance(board, CPythonBoard):
                raise UserError("--stdio is for the boards the app runs on in CPython")
            board.check_serve()
            with console(0, 1):
                status = board.serve_console()
        else:
            status = board.serve(announce=lambda s: print(s, flush=True))
    except UserError as e:
        print(f"emulate: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
