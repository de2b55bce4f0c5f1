"""Model figures measured with tflite-micro: tensor-arena bytes."""
import re

from .quiet import captured_fds

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


def arena_bytes(model):
    """Tensor-arena bytes tflite-micro's recording allocator reports for this model."""
    from tflite_micro import runtime
    with captured_fds() as out:
        interp = runtime.Interpreter.from_bytes(bytes(model))
        interp.print_allocations()
        del interp
    m = _TOTAL.search(out[0])
    if not m:
        raise RuntimeError("tflite-micro did not report its arena allocation")
    return int(m.group(1))
