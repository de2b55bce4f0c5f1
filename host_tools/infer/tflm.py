"""tflite-micro's Python runtime, the device's interpreter, opened and run in one place.

    interp = open_interpreter(model, arena_size=200_000)  # the runtime's own Interpreter
    m = Int8Model(model)              # one int8 input, one int8 output
    m.input_shape, m.input_scale, m.input_zero_point, m.output_size ...
    scores = m.run_array(x)           # int8 array (H, W, C) -> int8 scores (classes,)
    out = m.run_bytes(data)           # int8 bytes -> int8 bytes

tflite_micro is imported inside the functions: it is a heavy, optional import.
"""
import ctypes

import numpy as np

from ..quiet import captured_fds


def load_runtime():
    """Import tflite-micro now (say, before forking processes that use it)."""
    from tflite_micro import runtime  # noqa: F401


def open_interpreter(model, arena_size=None, memory_error=False):
    """tflite-micro's Interpreter for .tflite bytes; arena_size None: the runtime's default.

    What its constructor prints to C stdout is dropped (it would mix with our output).
    It raises RuntimeError when the tensors do not fit the arena; memory_error: raise
    a MemoryError saying so instead."""
    from tflite_micro import runtime
    try:
        with captured_fds((1,)):
            try:
                return runtime.Interpreter.from_bytes(bytes(model), arena_size=arena_size)
            finally:
                _flush_c_stdout()  # C's buffered stdout into the capture, not to the console later
    except RuntimeError as e:
        if not memory_error:
            raise
        raise MemoryError(f"tflite-micro could not allocate its tensors: {e}") from None


def _flush_c_stdout():
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


def _shape_scale_zero(details):
    q = details["quantization_parameters"]
    shape = tuple(int(v) for v in details["shape"])
    return shape, float(q["scales"][0]), int(q["zero_points"][0])


class Int8Model:
    """A model with one int8 input and one int8 output, in tflite-micro.

    input_details, output_details: the runtime's own dicts; input_shape, input_size
    (bytes), input_scale, input_zero_point, and the same for the output."""

    def __init__(self, model, arena_size=None, memory_error=False):
        self.interpreter = open_interpreter(model, arena_size, memory_error)
        self.input_details = self.interpreter.get_input_details(0)
        self.output_details = self.interpreter.get_output_details(0)
        if self.input_details["dtype"] != np.int8 or self.output_details["dtype"] != np.int8:
            raise ValueError("only int8 input and output are supported")
        self.input_shape, self.input_scale, self.input_zero_point = _shape_scale_zero(self.input_details)
        self.output_shape, self.output_scale, self.output_zero_point = _shape_scale_zero(self.output_details)
        self.input_size = int(np.prod(self.input_shape))
        self.output_size = int(np.prod(self.output_shape))

    def run_array(self, x):
        """x: int8 array of the input's size, e.g. (H, W, C) -> int8 scores, flat (a copy)."""
        self.interpreter.set_input(np.ascontiguousarray(x, dtype=np.int8).reshape(self.input_shape), 0)
        self.interpreter.invoke()
        return np.array(self.interpreter.get_output(0)).reshape(-1)

    def run_bytes(self, data):
        """data: the int8 input as bytes (any bytes-like) -> the int8 output as bytes."""
        return self.run_array(np.frombuffer(bytes(data), dtype=np.int8)).tobytes()
