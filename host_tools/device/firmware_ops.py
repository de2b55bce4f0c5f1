"""The ops the project's firmware registers (firmware/tflm/ops.def, the one list that
the tflm module's op resolver is built from), so `flash` can refuse a model first."""
import os
import re

from .. import ROOT, UserError

OPS_DEF = os.path.join(ROOT, "firmware", "tflm", "ops.def")
_LINE = re.compile(r"^\s*TFLM_OP\(\s*(\w+)\s*,", re.M)


def firmware_ops(path=OPS_DEF):
    """The op names (schema names, e.g. CONV_2D), in ops.def order."""
    try:
        with open(path) as f:
            return _LINE.findall(f.read())
    except OSError as e:
        raise UserError(f"cannot read the firmware's op list {os.path.relpath(path, ROOT)} "
                        f"({e.strerror})") from None


def missing_ops(model, path=OPS_DEF):
    """The model's ops that the firmware lacks, sorted ("" for none)."""
    from ..model.profile import model_ops
    have = set(firmware_ops(path))
    return sorted({o["op"] for o in model_ops(model)} - have)
