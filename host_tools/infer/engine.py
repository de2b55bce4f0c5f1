"""Int8 inference engines on the host, both bit-exact with the device runtime.

- `tflm`: tflite-micro's own Python runtime, the device's interpreter.
- `litert`: LiteRT's optimized builtin kernels, without default delegates (no
  XNNPACK, which is not bit-exact), for the model's body; tflite-micro for the
  rest, fed with the body's output.

Measured here: LiteRT's optimized requantization is sometimes one step off
tflite-micro's, and only on negative results (a linear conv: 1,817 of 2.7 M
outputs; the person model's FULLY_CONNECTED: 3 of 1,402 photo crops; never a
non-negative one). An op whose int8 output cannot go below zero (output zero
point -128, or a fused ReLU/ReLU6) clamps those away, so it is exact. The body
is every op up to the first that is not such an op nor pure data movement;
for MobileNetV1 that is all but the classifier and softmax (512 MACs).
"""
import functools

import numpy as np

from .tflm import Int8Model, load_runtime, open_interpreter

ENGINES = ("litert", "tflm")

DATA_OPS = frozenset({"RESHAPE", "SHAPE", "STRIDED_SLICE", "PACK", "SQUEEZE", "MAX_POOL_2D"})
CLAMPED_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D"})  # exact if output >= 0
_INT8, _RELU, _RELU6 = 9, 1, 3  # schema enums: TensorType, ActivationFunctionType


class TflmEngine(Int8Model):
    """TflmEngine(model, arena_size=None): the model in tflite-micro (tflm.Int8Model)."""
    name = "tflm"

    def run(self, x):
        """x: int8 (H, W, C) -> int8 scores (classes,)."""
        return self.run_array(x)

    def run_many(self, xs):
        return np.stack([self.run(x) for x in xs])


def _exact_in_litert(m, g, op, names):
    code = m.operatorCodes[op.opcodeIndex]
    name = names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "CUSTOM")
    if name in DATA_OPS:
        return True
    if name not in CLAMPED_OPS:
        return False
    out = g.tensors[int(op.outputs[0])]
    zero = out.quantization.zeroPoint if out.quantization is not None else None
    relu = getattr(op.builtinOptions, "fusedActivationFunction", None) in (_RELU, _RELU6)
    return out.type == _INT8 and (relu or (zero is not None and len(zero) == 1 and int(zero[0]) == -128))


@functools.lru_cache(maxsize=4)
def split_model(model):
    """(body, tail, cut): two .tflite models and the tensors passed between them.

    body runs the ops before the first one LiteRT may not run exactly, and
    outputs the tensors `cut` (indices in the original graph), the tail's
    inputs in that order. (model, None, []) when every op is exact; None when
    the graph cannot be cut so (no exact first op, or an output of the body).
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as fb
    names = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
    m = fb.ModelT.InitFromPackedBuf(bytearray(model), 0)
    g = m.subgraphs[0]
    k = 0
    while k < len(g.operators) and _exact_in_litert(m, g, g.operators[k], names):
        k += 1
    if k == len(g.operators):
        return bytes(model), None, []
    made_by_tail = {int(t) for op in g.operators[k:] for t in op.outputs}
    if k == 0 or not all(int(t) in made_by_tail for t in g.outputs):
        return None
    available = {int(t) for op in g.operators[:k] for t in op.outputs} | {int(t) for t in g.inputs}
    cut = []
    for op in g.operators[k:]:
        cut += [int(t) for t in op.inputs if int(t) in available - made_by_tail and int(t) not in cut]

    def pack(ops, inputs, outputs):
        g.operators, g.inputs, g.outputs = ops, np.array(inputs, np.int32), np.array(outputs, np.int32)
        b = flatbuffers.Builder(1024)
        b.Finish(m.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())

    ops, inputs, outputs = g.operators, list(g.inputs), list(g.outputs)
    return pack(ops[:k], inputs, cut), pack(ops[k:], cut, outputs), cut


class LiteRTEngine:
    name = "litert"

    def __init__(self, model, num_threads=1, batch=1):
        from ai_edge_litert import interpreter as litert
        parts = split_model(bytes(model))
        body, tail, _ = parts if parts else (None, model, [])
        self._body = self._tail = None
        self.batch = 1
        if body is not None:
            self._body = litert.Interpreter(
                model_content=body, num_threads=num_threads,
                experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            self._body.allocate_tensors()
            self._in = self._body.get_input_details()[0]["index"]
            self._out = [d["index"] for d in self._body.get_output_details()]
            if batch > 1:
                self._set_batch(batch)
        if tail is not None:
            self._tail = open_interpreter(tail)

    def _set_batch(self, n):
        """Batch n images per body invoke, if every body output keeps them apart (fewer calls)."""
        shape = [int(v) for v in self._body.get_input_details()[0]["shape"]]
        outs = [self._body.get_tensor(i).shape for i in self._out]
        try:
            self._body.resize_tensor_input(self._in, [n, *shape[1:]])
            self._body.allocate_tensors()
            self._body.invoke()
            ok = all(o[:1] == (1,) and self._body.get_tensor(i).shape == (n, *o[1:])
                     for i, o in zip(self._out, outs))
        except (RuntimeError, ValueError):
            ok = False
        if ok:
            self.batch = n
        else:
            self._body.resize_tensor_input(self._in, shape)
            self._body.allocate_tensors()

    def run(self, x):
        """x: int8 (H, W, C) -> int8 scores (classes,)."""
        return self.run_many(np.asarray(x)[None])[0]

    def run_many(self, xs):
        """xs: int8 (N >= 1, H, W, C) -> int8 scores (N, classes), each as run() alone gives."""
        xs = np.ascontiguousarray(xs, dtype=np.int8)
        if self._body is None:  # no op LiteRT runs exactly: all in tflite-micro
            return np.stack([self._finish([x[None]]) for x in xs])
        out = []
        for k in range(0, len(xs), self.batch):
            part = xs[k:k + self.batch]
            n = len(part)
            if n < self.batch:  # pad the last batch
                part = np.concatenate([part, np.zeros((self.batch - n, *part.shape[1:]), np.int8)])
            self._body.set_tensor(self._in, part)
            self._body.invoke()
            hs = [self._body.get_tensor(i) for i in self._out]
            out += [self._finish([h[j:j + 1] for h in hs]) for j in range(n)]
        return np.stack(out)

    def _finish(self, inputs):
        """The body's outputs for one image -> its scores, through the tail if there is one."""
        if self._tail is None:
            return inputs[0].reshape(-1).copy()
        for i, a in enumerate(inputs):
            self._tail.set_input(a, i)
        self._tail.invoke()
        return np.array(self._tail.get_output(0)).reshape(-1)


def prepare(model, kind="litert"):
    """Import the runtimes and split the model now: processes forked after this
    inherit both instead of each doing the same work."""
    load_runtime()
    if kind == "litert":
        from ai_edge_litert import interpreter  # noqa: F401
        split_model(bytes(model))


def make_engine(model, kind="litert", batch=1):
    """batch: images per LiteRT invoke in run_many (same results, fewer calls;
    run() on one image then still computes a whole batch)."""
    if kind == "litert":
        return LiteRTEngine(model, batch=batch)
    if kind == "tflm":
        return TflmEngine(model)
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}; got {kind}")
