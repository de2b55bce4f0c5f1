"""The ops the project's own firmware (tflm module) registers, read from firmware/tflm/ops.def.

ops.def is the one list: the firmware build turns it into the op resolver and `tflm.OPS`,
and the host reads it here so `flash` can refuse a model the firmware cannot run before
copying anything.
"""
import os
import re

from .. import ROOT

OPS_DEF = os.path.join(ROOT, "firmware", "tflm", "ops.def")
_LINE = re.compile(r"^\s*TFLM_OP\(\s*([A-Z0-9_]+)\s*,", re.M)


def firmware_ops(path=OPS_DEF):
    """The op names (schema spelling, e.g. "CONV_2D") in the order ops.def lists them."""
    with open(path) as f:
        return tuple(_LINE.findall(f.read()))


def missing_ops(model_ops):
    """The model's op names that the firmware lacks, sorted (empty: it can run the model)."""
    have = set(firmware_ops())
    return sorted(set(model_ops) - have)
