"""Model profile: sizes, tensor arena (measured with tflite-micro), MACs, ops.

    info = model_profile("models/vww_96.blob")
(whether it fits a board: host_tools/device/fit.py)
"""
import math
import os
import re

from .. import UserError
from ..blob import read
from ..infer.tflm import load_runtime, open_interpreter
from ..quiet import captured_fds

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")

# MobileNetV1 0.25 at 96x96x3, the network the boards' published latencies were
# measured on: 7.49 M MACs (MLPerf Tiny VWW reference; /work/shared/reference/platforms.md).
REFERENCE_MACS = 7.49e6


def _recorded_arena(model):
    """Tensor-arena bytes tflite-micro's recording allocator reports (in this process)."""
    with captured_fds() as out:
        interp = open_interpreter(model)
        interp.print_allocations()
        del interp
    m = _TOTAL.search(out[0])
    if not m:
        raise RuntimeError("tflite-micro did not report its arena allocation")
    return int(m.group(1))


def _runs_with(model, arena_size):
    with captured_fds():  # a failed allocation prints from C
        try:
            open_interpreter(model, arena_size).invoke()
        except RuntimeError:
            return False
    return True


def arena_min_bytes(model, start=None):
    """The smallest arena_size tflite-micro can allocate and invoke with, by bisection."""
    model = bytes(model)
    hi = start or _recorded_arena(model)
    while not _runs_with(model, hi):
        if hi > 1 << 30:
            raise RuntimeError("tflite-micro cannot run this model with any arena up to 1 GB")
        hi *= 2
    lo, step = 0, 16  # lo fails; the answer is usually just under hi: bracket it from there
    while hi - step > lo:
        if not _runs_with(model, hi - step):
            lo = hi - step
            break
        hi, step = hi - step, step * 4
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _runs_with(model, mid):
            hi = mid
        else:
            lo = mid
    return hi


def _macs(op, inputs, output):
    """Multiply-accumulates of one op from its tensor shapes (0 for ops without)."""
    if op == "CONV_2D":  # filter (out_c, k_h, k_w, in_c)
        return math.prod(output) * math.prod(inputs[1][1:])
    if op == "DEPTHWISE_CONV_2D":  # filter (1, k_h, k_w, out_c): one input channel each
        return math.prod(output) * inputs[1][1] * inputs[1][2]
    if op == "FULLY_CONNECTED":  # weights (units, in)
        return math.prod(output) * inputs[1][1]
    return 0


def model_ops(model):
    """[{op, count, macs}] in order of first use, read from the .tflite by LiteRT."""
    from ai_edge_litert import interpreter as litert
    interp = litert.Interpreter(
        model_content=bytes(model),
        experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    shapes = {t["index"]: [int(v) for v in t["shape"]] for t in interp.get_tensor_details()}
    table = {}
    for op in interp._get_ops_details():
        name = op["op_name"]
        row = table.setdefault(name, {"op": name, "count": 0, "macs": 0})
        row["count"] += 1
        row["macs"] += _macs(name, [shapes.get(int(i)) for i in op["inputs"]], shapes[int(op["outputs"][0])])
    return list(table.values())


def _arena_figures(model):
    arena = _recorded_arena(model)
    return arena, arena_min_bytes(model, arena)


def arena_bytes(model):
    """Tensor-arena bytes tflite-micro records for this model, measured in a child process."""
    return _in_child(_recorded_arena, model)


def _in_child(fn, model, pool=None):
    """fn(model) in a child process: tflite-micro aborts the whole process on some
    models (say, a softmax whose input scale is below 2**-26 / beta, as an
    untrained model's can be), and that must not take the caller with it.
    pool: a started_child() to use (a new one otherwise)."""
    from concurrent.futures.process import BrokenProcessPool
    own = pool is None
    pool = pool or started_child()
    try:
        return pool.submit(fn, bytes(model)).result()
    except BrokenProcessPool:
        raise RuntimeError("tflite-micro crashed loading it") from None
    finally:
        if own:
            pool.shutdown()


def started_child():
    """A one-process pool for measured_arena, its process started and importing
    tflite-micro now. Started before TensorFlow is imported, it is forked
    (milliseconds) rather than spawned (a new interpreter)."""
    from concurrent.futures import ProcessPoolExecutor
    from ..infer.classify import process_context
    pool = ProcessPoolExecutor(1, mp_context=process_context())
    pool.submit(load_runtime)
    return pool


def measured_arena(model, pool=None):
    """(allocated, smallest that runs) arena bytes, measured in a child process (pool: started_child())."""
    return _in_child(_arena_figures, model, pool)


def model_profile(blob_path, arena=None):
    """What `inspect` reports about the model itself (the board table: device/fit.py).

    arena: (allocated, smallest) from measured_arena(), if the caller has them.
    """
    b = read(blob_path)
    model = bytes(b.model)
    try:
        ops = model_ops(model)
        arena, arena_min = arena or measured_arena(model)
    except (RuntimeError, ValueError) as e:
        raise UserError(f"{blob_path}: the model does not load ({str(e).strip()})") from None
    info = {
        "blob": blob_path,
        "blob_bytes": os.path.getsize(blob_path),
        "format_version": b.version,
        "crc32": f"{b.crc:08x}",
        "labels": b.labels,
        "input": {"shape": [b.height, b.width, b.channels], "dtype": "int8",
                  "scale": b.in_scale, "zero_point": b.in_zero},
        "output": {"classes": len(b.labels), "dtype": "int8",
                   "scale": b.out_scale, "zero_point": b.out_zero},
        "model_bytes": len(model),
        "arena_bytes_recorded_in_blob": b.arena_size,
        "arena_bytes": arena,
        "arena_bytes_min": arena_min,
        "macs": sum(o["macs"] for o in ops),
        "ops": ops,
    }
    return info
