"""Command line: one small parser per command and one do_<command> handler each."""
import argparse
import json
import os
import sys

from . import DEFAULT_BLOB, UserError, cli_args

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
    from .emulate.command import emulate
    return emulate(args)


def do_board(args):
    from .emulate.command import board
    return board(args)


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
    from .device.fit import fit_message, profile
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


# The command table: name -> (handler, its arguments: host_tools/cli_args.py), in help order.
COMMANDS = {
    "classify": (do_classify, cli_args.classify),
    "demo": (do_demo, cli_args.demo),
    "emulate": (do_emulate, cli_args.emulate),
    "train": (do_train, cli_args.train),
    "evaluate": (do_evaluate, cli_args.evaluate),
    "flash": (do_flash, cli_args.flash),
    "board": (do_board, cli_args.board),
    "monitor": (do_monitor, cli_args.monitor),
    "capture": (do_capture, cli_args.capture),
    "studio": (do_studio, cli_args.studio),
    "pack": (do_pack, cli_args.pack),
    "unpack": (do_unpack, cli_args.unpack),
    "inspect": (do_inspect, cli_args.inspect),
    "model": (do_model, cli_args.model),
    "fetch-weights": (do_fetch_weights, cli_args.fetch_weights),
}


def build_parser():
    """One parser, a subcommand per entry of COMMANDS."""
    parser = argparse.ArgumentParser(prog=PROG, description="MobileNet classifier tools for MicroPython camera boards.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (handler, arguments) in COMMANDS.items():
        about, args = arguments()
        p = sub.add_parser(name, **about)
        for names, options in args:
            p.add_argument(*names, **options)
        p.set_defaults(func=handler)
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
