"""Host fake of OpenMV's `ml` module (tflite-micro inside the OpenMV firmware).

Like the real Model: Model(path, load_to_fb) reads a .tflite file; predict(inputs)
takes a list with one entry per model input. An entry may be a callable, called
as f(tensor_bytearray, shape, dtype) to fill the input tensor in place (dtype is
the character code, ord('b') for int8); predict() returns a list of arrays of
dequantized float32 scores, (q - zero_point) * scale, one per output. Image inputs
are not modelled. The model runs in `runner` (tflite-micro on the host), set by the
emulation: runner(model_bytes, None) -> object with input_size, output_size,
input/output shape, scale and zero point, and run(input_bytes) -> output bytes.
Runs on CPython and on MicroPython.
"""
from array import array

runner = None
models = []


class ndarray:
    def __init__(self, shape, values):
        self.shape = shape
        self._values = values

    def flatten(self):
        return self._values

    def __len__(self):
        return self.shape[0]


class Model:
    def __init__(self, path, load_to_fb=False):
        with open(path, "rb") as f:
            data = f.read()
        self._m = runner(data, None)
        self.len = len(data)
        self.ram = 0
        self.input_shape = [tuple(self._m.input_shape)]
        self.input_dtype = ["b"]
        self.input_scale = [self._m.input_scale]
        self.input_zero_point = [self._m.input_zero_point]
        self.output_shape = [tuple(self._m.output_shape)]
        self.output_dtype = ["b"]
        self.output_scale = [self._m.output_scale]
        self.output_zero_point = [self._m.output_zero_point]
        self._input = bytearray(self._m.input_size)
        models.append(self)

    def predict(self, inputs, callback=None):
        if not isinstance(inputs, list):
            raise ValueError("Unsupported input type. Expected a list")
        if len(inputs) != 1:
            raise ValueError("the model has 1 input")
        arg = inputs[0]
        if not callable(arg):
            raise ValueError("Unsupported input type")
        arg(self._input, self.input_shape[0], ord("b"))
        raw = self._m.run(bytes(self._input))
        zero = self.output_zero_point[0]
        scale = self.output_scale[0]
        vals = array("f", [((q - 256 if q > 127 else q) - zero) * scale for q in raw])
        out = [ndarray(self.output_shape[0], vals)]
        if callback is not None:
            out = callback(self, inputs, out)
        return out
