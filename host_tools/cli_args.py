"""The command line's arguments: one small function per command, returning what
argparse's add_parser takes and the arguments to add (cli.py's command table uses them)."""
import argparse
import os

from . import DEFAULT_BLOB
from .data.pixels import FORMATS
from .train import EPOCHS


def arg(*names, **options):
    """One add_argument call: (names, options)."""
    return names, options


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


def _model():
    return arg("--model", metavar="BLOB", help=f"model blob (default: {os.path.relpath(DEFAULT_BLOB)})")


def _engine():
    return arg("--engine", choices=("litert", "tflm"), default="litert",
               help="litert (builtin kernels, no XNNPACK) or tflm (tflite-micro itself); both device-exact")


def classify():
    about = dict(help="classify images in order: label and confidence for each")
    return about, [
        _model(),
        _engine(),
        arg("--json", action="store_true", help="one JSON object per line"),
        arg("--workers", type=_positive_int, metavar="N",
            help="processes decoding and classifying images (default: all CPUs)"),
        arg("--board", metavar="NAME",
            help="as boards/NAME's camera frames each photo (size, pixel format) and its app "
                 "preprocesses it: the answers of emulate --board NAME"),
        arg("images", nargs="*", metavar="IMAGE"),
    ]


def demo():
    about = dict(help="classify scikit-image's sample photos with the default model")
    return about, [
        _model(),
        _engine(),
        arg("--json", action="store_true"),
    ]


def emulate():
    about = dict(help="run firmware/app/main.py on the host emulator board")
    return about, [
        _model(),
        arg("--json", action="store_true"),
        arg("--frames-dir", metavar="DIR", help="write what the board's LCD shows as PNGs here"),
        arg("--board", default="host", metavar="NAME",
            help="run boards/NAME/board.py on fakes of its camera, display and interpreter "
                 "(default: host, the emulator board); qemu_m7 and unix run the project's "
                 "own firmware"),
        arg("--frame-format", choices=FORMATS,
            help="qemu_m7, unix: camera frames in this format (default: RGB888 at the model's size, "
                 "as classify sees the photo)"),
        arg("--frame-size", metavar="WxH", help="qemu_m7, unix: camera frames of this size"),
        arg("--kernels", choices=("reference", "esp-nn"),
            help="unix: the firmware's kernels: reference (default) or esp-nn, the ESP32-S3's "
                 "(make firmware BOARD=unix KERNELS=esp-nn)"),
        arg("--openmv", metavar="VERSION",
            help="OpenMV firmware the fakes follow: 4 (4.6), 4.8 or 5 (default)"),
        arg("--camera-driver", metavar="NAME",
            help="ESP32 boards: the camera module the fakes follow, cnadler86 (default) or lemariva"),
        arg("--display-driver", metavar="NAME",
            help="ESP32 boards: the LCD driver the fakes follow, st7789 (default), st7789py or none"),
        arg("--runtime", metavar="NAME",
            help="ESP32 boards: the tflite-micro module the fakes follow, tflm (default) or microlite"),
        arg("--serve", action="store_true",
            help="run the app until Ctrl-C with a pseudo-terminal as its serial line (printed), "
                 "its camera showing the images in turn: for capture and monitor"),
        arg("images", nargs="*", metavar="IMAGE"),
    ]


def train():
    about = dict(help="train a model on your photos (one folder per class)", description="Fine-tune MobileNet on DATA_DIR (one folder per class, or train/ and "
                      "validation/ folders of class folders) and write OUT_DIR with model.blob, "
                      "model.keras, labels.txt, report.html and report.json. See docs/training.md.")
    return about, [
        arg("data_dir", metavar="DATA_DIR"),
        arg("--out", required=True, metavar="OUT_DIR",
            help="output folder (must not exist, or --force)"),
        arg("--arch", default="mobilenet_v1", choices=("mobilenet_v1", "mobilenet_v2"),
            help="network (default: mobilenet_v1)"),
        arg("--alpha", type=float,
            help="width: v1 0.25, 0.5, 0.75, 1; v2 0.35, 0.5, 0.75, 1, 1.3, 1.4 "
                 "(default: 0.25 for v1, 0.35 for v2)"),
        arg("--size", type=int, default=96,
            help="input side in pixels, a multiple of 32 from 32 to 224 "
                 "(default: 96)"),
        arg("--init", choices=("vww", "imagenet", "none"),
            help="first weights: vww (pretrained person/no-person, v1 0.25 only, offline), imagenet "
                 "(Keras, downloaded once), none (random) (default: vww for v1 0.25, else imagenet)"),
        arg("--epochs", type=int,
            help=f"at most this many (default: {EPOCHS['cached']} with --recipe cached, each a pass "
                 f"over the photos and 4 augmented copies; {EPOCHS['full']} with --recipe full)"),
        arg("--patience", type=int, default=2,
            help="stop after this many epochs without a better held-out loss, keeping the best "
                 "weights; 0: never stop early (default: 2)"),
        arg("--recipe", choices=("cached", "full"), default="cached",
            help="cached: early blocks frozen, their features computed once; full: the whole "
                 "network every epoch, the previous recipe (default: cached)"),
        arg("--calibration", type=_positive_int, default=100, metavar="N",
            help="training images calibrating the int8 conversion (default: 100)"),
        arg("--val-split", type=float, default=0.3,
            help="fraction of each class held out for validation (default: 0.3; "
                 "ignored with train/ and validation/ folders)"),
        arg("--seed", type=int, default=0, help="same seed and data, same split (default: 0)"),
        arg("--grayscale", action="store_true", help="one-channel (gray) model"),
        arg("--batch-size", type=int, default=16, help="default: 16"),
        arg("--learning-rate", type=float, default=1e-3, help="Adam's (default: 0.001)"),
        arg("--force", action="store_true",
            help="replace an existing OUT_DIR (as a whole, at the end)"),
        arg("--events", metavar="FILE", help="append one JSON line per finished epoch to FILE "
                                             "(epoch, epochs, loss, accuracy, val_loss, val_accuracy)"),
    ]


def evaluate():
    about = dict(help="accuracy, per-class figures and confusion matrix on a labelled folder", description="Run DATA_DIR (one folder per label; with train/ and validation/ folders, "
                      "validation/) through the blob on a device-exact engine.")
    return about, [
        arg("--model", required=True, metavar="BLOB", help="model blob, e.g. out/model.blob"),
        _engine(),
        arg("--json", action="store_true", help="one JSON object, with every image's prediction"),
        arg("data_dir", metavar="DATA_DIR"),
    ]


def flash():
    about = dict(help="compile the app and copy it, the board module and a model to a board", description="Check that the model fits, compile firmware/ and the board module with "
                      "mpy-cross for the board's MicroPython, copy what changed with mpremote "
                      "(written as NAME.tmp, checked by SHA-256, then renamed), soft-reset.")
    return about, [
        arg("--board", metavar="NAME", help="a folder of boards/, e.g. esp32s3_eye"),
        arg("--port", metavar="PORT", help="serial port (default: the first USB serial port)"),
        _model(),
    ]


def board():
    about = dict(help="start an emulated board (qemu_m7) and print its serial port", description="Boot the project's qemu_m7 firmware in QEMU with a camera that shows "
                      "the given photos over and over; deploy to it with flash, watch it with "
                      "monitor. Ctrl-C stops it.")
    return about, [
        arg("--board", default="qemu_m7", metavar="NAME", help="default: qemu_m7"),
        _model(),
        arg("--frame-format", choices=FORMATS,
            help="camera frames in this format (default: RGB888 at the model's size)"),
        arg("--frame-size", metavar="WxH", help="camera frames of this size"),
        arg("--run", action="store_true",
            help="preload the app and model (no flash needed) and start the app"),
        arg("images", nargs="*", metavar="IMAGE", help="default: scikit-image's sample photos"),
    ]


def monitor():
    about = dict(help="show the board's results live from its serial line")
    return about, [
        arg("--port", required=True, metavar="PORT", help="serial port, e.g. /dev/ttyACM0"),
        arg("--json", action="store_true", help="one JSON object per result"),
        arg("--count", type=int, metavar="N", help="stop after N results"),
    ]


def capture():
    about = dict(help="take photos with the board's camera into DATA/LABEL/", description="Ask the app running on the board for camera frames over its serial "
                      "line and write them as DATA/LABEL/NNNN.png, converted as the board "
                      "converts them for the model (docs/capture-protocol.md).")
    return about, [
        arg("--port", required=True, metavar="PORT", help="serial port, e.g. /dev/ttyACM0"),
        arg("--label", required=True, help="class name: the folder the photos go to"),
        arg("--count", type=_positive_int, default=50, metavar="N",
            help="photos to take (default: 50)"),
        arg("--every", type=_seconds, default=0.5, metavar="SECONDS",
            help="time between photos (default: 0.5)"),
        arg("--timeout", type=_seconds, default=10.0, metavar="SECONDS",
            help="how long to wait for the board to answer (default: 10)"),
        arg("data_dir", metavar="DATA"),
    ]


def studio():
    about = dict(help="the local web app: collect photos, train, test and deploy in a browser", description="Serve the studio on http://HOST:PORT/ (this computer only, by default) "
                      "and print its address. See docs/studio.md.")
    return about, [
        arg("--port", type=int, default=8000, help="TCP port (default: 8000; 0 picks a free one)"),
        arg("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this "
                                                "computer only)"),
        arg("--data", default="photos", metavar="DIR",
            help="the photo folder, one folder per class; created if missing (default: photos)"),
        arg("--out", default="out", metavar="DIR",
            help="where training writes the model and report, beside DIR (default: out)"),
    ]


def pack():
    about = dict(help="pack a .tflite and its labels into a blob")
    return about, [
        arg("tflite"),
        arg("labels", help="labels.txt, one label per line in output order"),
        arg("-o", "--out", required=True, metavar="BLOB"),
        arg("--arena", type=int, help="tensor-arena bytes to record (default: measured)"),
    ]


def unpack():
    about = dict(help="write model.tflite and labels.txt from a blob")
    return about, [
        arg("blob"),
        arg("dir"),
    ]


def inspect():
    about = dict(help="sizes, arena, MACs, ops of a blob and the boards it fits")
    return about, [
        arg("blob", nargs="?", default=DEFAULT_BLOB),
        arg("--json", action="store_true"),
        arg("--board", metavar="NAME",
            help="only this board; exit status 1 if the model does not fit it"),
    ]


def model():
    about = dict(help="build the default person/no-person blob")
    return about, [
        arg("--out", default=DEFAULT_BLOB),
    ]


def fetch_weights():
    about = dict(help="download and verify the pretrained weights")
    return about, [
    ]
