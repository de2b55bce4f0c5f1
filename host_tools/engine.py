"""Int8 inference engines on the host, both bit-exact with the device runtime.

- `tflm`: tflite-micro's own Python runtime, the device's interpreter.
- `litert`: LiteRT with its builtin kernels and no default delegates
  (no XNNPACK, which is not bit-exact); measured equal to tflite-micro.
"""
import numpy as np

from .quiet import captured_fds

ENGINES = ("litert", "tflm")


class TflmEngine:
    name = "tflm"

    def __init__(self, model, arena_size=None):
        from tflite_micro import runtime
        with captured_fds((1,)):  # its constructor prints to C stdout
            self._interp = runtime.Interpreter.from_bytes(bytes(model), arena_size=arena_size)
        self.input_details = self._interp.get_input_details(0)
        self.output_details = self._interp.get_output_details(0)

    def run(self, x):
        """x: int8 (H, W, C) -> int8 scores (classes,)."""
        self._interp.set_input(np.ascontiguousarray(x, dtype=np.int8)[None], 0)
        self._interp.invoke()
        return np.array(self._interp.get_output(0)).reshape(-1)


class LiteRTEngine:
    name = "litert"

    def __init__(self, model, num_threads=1):
        from ai_edge_litert import interpreter as litert
        self._interp = litert.Interpreter(
            model_content=bytes(model), num_threads=num_threads,
            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        self._interp.allocate_tensors()
        self._in = self._interp.get_input_details()[0]["index"]
        self._out = self._interp.get_output_details()[0]["index"]

    def run(self, x):
        self._interp.set_tensor(self._in, np.ascontiguousarray(x, dtype=np.int8)[None])
        self._interp.invoke()
        return self._interp.get_tensor(self._out).reshape(-1).copy()


def make_engine(model, kind="litert"):
    if kind == "litert":
        return LiteRTEngine(model)
    if kind == "tflm":
        return TflmEngine(model)
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}; got {kind}")
