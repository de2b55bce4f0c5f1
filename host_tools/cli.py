"""Command line: one small parser per command and one do_<command> handler each."""
import argparse
import json
import os
import sys

from . import DEFAULT_BLOB, UserError

PROG = "python -m host_tools"


def do_model(args):
    from .model.build import build_default
    build_default(args.out)
    return 0


def do_fetch_weights(args):
    from .model.weights import vww_h5
    print(vww_h5())
    return 0


def do_classify(args):
    from .infer.classify import run
    camera = None
    if args.board:   # that board's camera frame and preprocessing, as emulate --board computes them
        from .device.boards import board_info
        camera = board_info(args.board)["camera"]
    if not args.images:
        raise UserError("no images given: pass one or more image files")
    return run(args.model or DEFAULT_BLOB, args.images, args.json, args.engine, workers=args.workers,
               camera=camera)


def do_demo(args):
    from .infer.classify import run
    from .data.samples import demo_paths
    return run(args.model or DEFAULT_BLOB, demo_paths(), args.json, args.engine, prog="demo")


def do_train(args):
    from .train.train import run
    return run(args)


def do_evaluate(args):
    from .infer.evaluate import run
    return run(args)


def do_emulate(args):
    if getattr(args, "kernels", None) and (getattr(args, "board", None) != "unix" or getattr(args, "serve", False)):
        raise UserError("--kernels is for emulate --board unix (the project's unix firmware), without --serve")
    from .device.boards import board_info
    from .emulate.driver_fakes import driver_choice
    drivers = {k: getattr(args, k, None) for k in ("camera_driver", "display_driver", "runtime")}
    driver_choice(board_info(args.board or "host"), **drivers)   # one line for a choice the board cannot have
    if getattr(args, "serve", False):
        from .emulate.emulated_port import serve_pty  # the app with a pseudo-terminal as its console
        return serve_pty(args.board or "host", args.images, args.model or DEFAULT_BLOB,
                         announce=lambda s: print(s, flush=True), **drivers) or 0
    from .emulate.vm_boards import BOARDS
    if getattr(args, "board", None) in BOARDS:
        from .emulate.vm_boards import main as firmware_main  # the project's firmware, in QEMU or on unix
        return firmware_main(args)
    if getattr(args, "frame_format", None) or getattr(args, "frame_size", None):
        raise UserError(f"--frame-format and --frame-size are for the boards {', '.join(BOARDS)}")
    if getattr(args, "board", "host") not in (None, "host"):
        from .emulate.board_emulation import main as board_main  # a real board's module, on fakes of its drivers
        return board_main(args)
    from .emulate.emulate import main
    return main(args)


def do_board(args):
    from .emulate.board_session import main
    return main(args)


def do_flash(args):
    from .device.flash import flash
    return flash(args.board, args.port, args.model)


def do_monitor(args):
    from .device.monitor import monitor
    return monitor(args.port, args.json, args.count)


def do_capture(args):
    from .device.capture import capture
    from .progress import bar
    progress = bar(desc=f"capture {args.label}", total=args.count, unit="photo")

    def step(done, total, path, frame):
        progress.set_postfix_str(os.path.basename(path), refresh=False)
        progress.update(1)
    try:
        written = capture(args.port, args.label, args.data_dir, args.count, args.every, step, args.timeout)
    finally:
        progress.close()
    print(f"wrote {len(written)} photos to {os.path.join(args.data_dir, args.label)}"
          + (f" ({os.path.basename(written[0])} .. {os.path.basename(written[-1])})" if written else ""))
    return 0


def do_studio(args):
    from .studio.server import run
    return run(args)


def do_pack(args):
    from .blob import pack, read_labels, write_atomic
    from .model.profile import arena_bytes
    try:
        with open(args.tflite, "rb") as f:
            model = f.read()
    except OSError as e:
        raise UserError(f"{args.tflite}: cannot read model ({e.strerror})") from None
    labels = read_labels(args.labels)
    arena = args.arena if args.arena is not None else arena_bytes(model)
    write_atomic(args.out, pack(model, labels, arena))
    print(f"wrote {args.out}")
    return 0


def do_unpack(args):
    from .blob import unpack
    unpack(args.blob, args.dir)
    print(f"wrote {os.path.join(args.dir, 'model.tflite')} and {os.path.join(args.dir, 'labels.txt')}")
    return 0


def do_inspect(args):
    from .model.inspect_blob import format_report
    from .model.profile import profile, fit_message
    boards = None
    if args.board:
        from .device.boards import load_board
        boards = [load_board(args.board)]
    info = profile(args.blob, boards)
    print(json.dumps(info, indent=2) if args.json else format_report(info))
    if args.board:
        row = info["boards"][0]
        if not args.json:
            print(fit_message(row))
        return 0 if row["fits"] else 1
    return 0


def _positive_int(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1; got {text!r}")
    return n


def _seconds(text):
    try:
        v = float(text)
    except ValueError:
        v = -1.0
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more; got {text!r}")
    return v


def _model_arg(p):
    p.add_argument("--model", metavar="BLOB", help=f"model blob (default: {os.path.relpath(DEFAULT_BLOB)})")


def _engine_arg(p):
    p.add_argument("--engine", choices=("litert", "tflm"), default="litert",
                   help="litert (builtin kernels, no XNNPACK) or tflm (tflite-micro itself); both device-exact")


def build_parser():
    from .data.pixels import FORMATS
    parser = argparse.ArgumentParser(prog=PROG, description="MobileNet classifier tools for MicroPython camera boards.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("classify", help="classify images in order: label and confidence for each")
    _model_arg(p)
    _engine_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--workers", type=_positive_int, metavar="N",
                   help="processes decoding and classifying images (default: all CPUs)")
    p.add_argument("--board", metavar="NAME",
                   help="as boards/NAME's camera frames each photo (size, pixel format) and its app "
                        "preprocesses it: the answers of emulate --board NAME")
    p.add_argument("images", nargs="*", metavar="IMAGE")
    p.set_defaults(func=do_classify)

    p = sub.add_parser("demo", help="classify scikit-image's sample photos with the default model")
    _model_arg(p)
    _engine_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=do_demo)

    p = sub.add_parser("emulate", help="run firmware/app/main.py on the host emulator board")
    _model_arg(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--frames-dir", metavar="DIR", help="write what the board's LCD shows as PNGs here")
    p.add_argument("--board", default="host", metavar="NAME",
                   help="run boards/NAME/board.py on fakes of its camera, display and interpreter "
                        "(default: host, the emulator board); qemu_m7 and unix run the project's "
                        "own firmware")
    p.add_argument("--frame-format", choices=FORMATS,
                   help="qemu_m7, unix: camera frames in this format (default: RGB888 at the model's size, "
                        "as classify sees the photo)")
    p.add_argument("--frame-size", metavar="WxH", help="qemu_m7, unix: camera frames of this size")
    p.add_argument("--kernels", choices=("reference", "esp-nn"),
                   help="unix: the firmware's kernels: reference (default) or esp-nn, the ESP32-S3's "
                        "(make firmware BOARD=unix KERNELS=esp-nn)")
    p.add_argument("--openmv", metavar="VERSION", help="OpenMV firmware the fakes follow: 4 (4.6), 4.8 or 5 (default)")
    p.add_argument("--camera-driver", metavar="NAME",
                   help="ESP32 boards: the camera module the fakes follow, cnadler86 (default) or lemariva")
    p.add_argument("--display-driver", metavar="NAME",
                   help="ESP32 boards: the LCD driver the fakes follow, st7789 (default), st7789py or none")
    p.add_argument("--runtime", metavar="NAME",
                   help="ESP32 boards: the tflite-micro module the fakes follow, tflm (default) or microlite")
    p.add_argument("--serve", action="store_true",
                   help="run the app until Ctrl-C with a pseudo-terminal as its serial line (printed), "
                        "its camera showing the images in turn: for capture and monitor")
    p.add_argument("images", nargs="*", metavar="IMAGE")
    p.set_defaults(func=do_emulate)

    p = sub.add_parser("train", help="train a model on your photos (one folder per class)",
                       description="Fine-tune MobileNet on DATA_DIR (one folder per class, or train/ and "
                                   "validation/ folders of class folders) and write OUT_DIR with model.blob, "
                                   "model.keras, labels.txt, report.html and report.json. See docs/training.md.")
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder (must not exist, or --force)")
    p.add_argument("--arch", default="mobilenet_v1", choices=("mobilenet_v1", "mobilenet_v2"),
                   help="network (default: mobilenet_v1)")
    p.add_argument("--alpha", type=float, help="width: v1 0.25, 0.5, 0.75, 1; v2 0.35, 0.5, 0.75, 1, 1.3, 1.4 "
                                               "(default: 0.25 for v1, 0.35 for v2)")
    p.add_argument("--size", type=int, default=96, help="input side in pixels, a multiple of 32 from 32 to 224 "
                                                        "(default: 96)")
    p.add_argument("--init", choices=("vww", "imagenet", "none"),
                   help="first weights: vww (pretrained person/no-person, v1 0.25 only, offline), imagenet "
                        "(Keras, downloaded once), none (random) (default: vww for v1 0.25, else imagenet)")
    p.add_argument("--epochs", type=int, help="at most this many (default: 10 with --recipe cached, each a pass "
                                              "over the photos and 4 augmented copies; 40 with --recipe full)")
    p.add_argument("--patience", type=int, default=2,
                   help="stop after this many epochs without a better held-out loss, keeping the best "
                        "weights; 0: never stop early (default: 2)")
    p.add_argument("--recipe", choices=("cached", "full"), default="cached",
                   help="cached: early blocks frozen, their features computed once; full: the whole "
                        "network every epoch, the previous recipe (default: cached)")
    p.add_argument("--calibration", type=_positive_int, default=100, metavar="N",
                   help="training images calibrating the int8 conversion (default: 100)")
    p.add_argument("--val-split", type=float, default=0.3,
                   help="fraction of each class held out for validation (default: 0.3; "
                        "ignored with train/ and validation/ folders)")
    p.add_argument("--seed", type=int, default=0, help="same seed and data, same split (default: 0)")
    p.add_argument("--grayscale", action="store_true", help="one-channel (gray) model")
    p.add_argument("--batch-size", type=int, default=16, help="default: 16")
    p.add_argument("--learning-rate", type=float, default=1e-3, help="Adam's (default: 0.001)")
    p.add_argument("--force", action="store_true", help="replace an existing OUT_DIR (as a whole, at the end)")
    p.add_argument("--events", metavar="FILE", help="append one JSON line per finished epoch to FILE "
                                                    "(epoch, epochs, loss, accuracy, val_loss, val_accuracy)")
    p.set_defaults(func=do_train)

    p = sub.add_parser("evaluate", help="accuracy, per-class figures and confusion matrix on a labelled folder",
                       description="Run DATA_DIR (one folder per label; with train/ and validation/ folders, "
                                   "validation/) through the blob on a device-exact engine.")
    p.add_argument("--model", required=True, metavar="BLOB", help="model blob, e.g. out/model.blob")
    _engine_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object, with every image's prediction")
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.set_defaults(func=do_evaluate)

    p = sub.add_parser("flash", help="compile the app and copy it, the board module and a model to a board",
                       description="Check that the model fits, compile firmware/ and the board module with "
                                   "mpy-cross for the board's MicroPython, copy what changed with mpremote "
                                   "(written as NAME.tmp, checked by SHA-256, then renamed), soft-reset.")
    p.add_argument("--board", metavar="NAME", help="a folder of boards/, e.g. esp32s3_eye")
    p.add_argument("--port", metavar="PORT", help="serial port (default: the first USB serial port)")
    _model_arg(p)
    p.set_defaults(func=do_flash)

    p = sub.add_parser("board", help="start an emulated board (qemu_m7) and print its serial port",
                       description="Boot the project's qemu_m7 firmware in QEMU with a camera that shows "
                                   "the given photos over and over; deploy to it with flash, watch it with "
                                   "monitor. Ctrl-C stops it.")
    p.add_argument("--board", default="qemu_m7", metavar="NAME", help="default: qemu_m7")
    _model_arg(p)
    p.add_argument("--frame-format", choices=FORMATS,
                   help="camera frames in this format (default: RGB888 at the model's size)")
    p.add_argument("--frame-size", metavar="WxH", help="camera frames of this size")
    p.add_argument("--run", action="store_true",
                   help="preload the app and model (no flash needed) and start the app")
    p.add_argument("images", nargs="*", metavar="IMAGE", help="default: scikit-image's sample photos")
    p.set_defaults(func=do_board)

    p = sub.add_parser("monitor", help="show the board's results live from its serial line")
    p.add_argument("--port", required=True, metavar="PORT", help="serial port, e.g. /dev/ttyACM0")
    p.add_argument("--json", action="store_true", help="one JSON object per result")
    p.add_argument("--count", type=int, metavar="N", help="stop after N results")
    p.set_defaults(func=do_monitor)

    p = sub.add_parser("capture", help="take photos with the board's camera into DATA/LABEL/",
                       description="Ask the app running on the board for camera frames over its serial "
                                   "line and write them as DATA/LABEL/NNNN.png, converted as the board "
                                   "converts them for the model (docs/capture-protocol.md).")
    p.add_argument("--port", required=True, metavar="PORT", help="serial port, e.g. /dev/ttyACM0")
    p.add_argument("--label", required=True, help="class name: the folder the photos go to")
    p.add_argument("--count", type=_positive_int, default=50, metavar="N", help="photos to take (default: 50)")
    p.add_argument("--every", type=_seconds, default=0.5, metavar="SECONDS",
                   help="time between photos (default: 0.5)")
    p.add_argument("--timeout", type=_seconds, default=10.0, metavar="SECONDS",
                   help="how long to wait for the board to answer (default: 10)")
    p.add_argument("data_dir", metavar="DATA")
    p.set_defaults(func=do_capture)

    p = sub.add_parser("studio", help="the local web app: collect photos, train, test and deploy in a browser",
                       description="Serve the studio on http://HOST:PORT/ (this computer only, by default) "
                                   "and print its address. See docs/studio.md.")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this "
                                                       "computer only)")
    p.add_argument("--data", default="photos", metavar="DIR",
                   help="the photo folder, one folder per class; created if missing (default: photos)")
    p.add_argument("--out", default="out", metavar="DIR",
                   help="where training writes the model and report, beside DIR (default: out)")
    p.set_defaults(func=do_studio)

    p = sub.add_parser("pack", help="pack a .tflite and its labels into a blob")
    p.add_argument("tflite")
    p.add_argument("labels", help="labels.txt, one label per line in output order")
    p.add_argument("-o", "--out", required=True, metavar="BLOB")
    p.add_argument("--arena", type=int, help="tensor-arena bytes to record (default: measured)")
    p.set_defaults(func=do_pack)

    p = sub.add_parser("unpack", help="write model.tflite and labels.txt from a blob")
    p.add_argument("blob")
    p.add_argument("dir")
    p.set_defaults(func=do_unpack)

    p = sub.add_parser("inspect", help="sizes, arena, MACs, ops of a blob and the boards it fits")
    p.add_argument("blob", nargs="?", default=DEFAULT_BLOB)
    p.add_argument("--json", action="store_true")
    p.add_argument("--board", metavar="NAME", help="only this board; exit status 1 if the model does not fit it")
    p.set_defaults(func=do_inspect)

    p = sub.add_parser("model", help="build the default person/no-person blob")
    p.add_argument("--out", default=DEFAULT_BLOB)
    p.set_defaults(func=do_model)

    p = sub.add_parser("fetch-weights", help="download and verify the pretrained weights")
    p.set_defaults(func=do_fetch_weights)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UserError as e:
        print(f"{args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{args.command}: interrupted", file=sys.stderr)
        return 130
