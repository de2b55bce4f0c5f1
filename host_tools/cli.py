"""Command line: one small parser per command and one do_<command> handler each."""
import argparse
import json
import os
import sys

from . import DEFAULT_BLOB, UserError

PROG = "python -m host_tools"


def do_model(args):
    from .build import build_default
    build_default(args.out)
    return 0


def do_fetch_weights(args):
    from .weights import vww_h5
    print(vww_h5())
    return 0


def do_classify(args):
    from .classify import run
    if not args.images:
        raise UserError("no images given: pass one or more image files")
    return run(args.model or DEFAULT_BLOB, args.images, args.json, args.engine)


def do_demo(args):
    from .classify import run
    from .samples import demo_paths
    return run(args.model or DEFAULT_BLOB, demo_paths(), args.json, args.engine, prog="demo")


def do_emulate(args):
    from .emulate import main
    return main(args)


def do_pack(args):
    from .blob import pack, read_labels, write_atomic
    from .profile import arena_bytes
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
    from .inspect_blob import inspect_blob, format_report
    info = inspect_blob(args.blob)
    print(json.dumps(info, indent=2) if args.json else format_report(info))
    return 0


def _model_arg(p):
    p.add_argument("--model", metavar="BLOB", help=f"model blob (default: {os.path.relpath(DEFAULT_BLOB)})")


def _engine_arg(p):
    p.add_argument("--engine", choices=("litert", "tflm"), default="litert",
                   help="litert (builtin kernels, no XNNPACK) or tflm (tflite-micro itself); both device-exact")


def build_parser():
    parser = argparse.ArgumentParser(prog=PROG, description="MobileNet classifier tools for MicroPython camera boards.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("classify", help="classify images in order: label and confidence for each")
    _model_arg(p)
    _engine_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("images", nargs="*", metavar="IMAGE")
    p.set_defaults(func=do_classify)

    p = sub.add_parser("demo", help="classify scikit-image's sample photos with the default model")
    _model_arg(p)
    _engine_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=do_demo)

    p = sub.add_parser("emulate", help="run firmware/main.py on the host emulator board")
    _model_arg(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--frames-dir", metavar="DIR", help="write what the 240x240 LCD shows as PNGs here")
    p.add_argument("images", nargs="*", metavar="IMAGE")
    p.set_defaults(func=do_emulate)

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

    p = sub.add_parser("inspect", help="header, labels, sizes and arena bytes of a blob")
    p.add_argument("blob", nargs="?", default=DEFAULT_BLOB)
    p.add_argument("--json", action="store_true")
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
