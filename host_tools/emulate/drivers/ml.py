"""Host fake of OpenMV's `ml` module (tflite-micro inside the OpenMV firmware).

It follows OpenMV's own source (modules/py_ml.c and the frozen ml/model.py
wrapper, tags v4.6.0, v4.8.1 and v5.0.0; docs/boards.md) for the firmware
version the `omv` fake reports:

- Model(path, ...) reads a .tflite file. The wrapper passes on only the keywords
  its version knows and ignores any other keyword: 4.6-4.7 load_to_fb; 4.8
  load_to_fb and postprocess; 5.x postprocess. A positional argument after the
  path is a TypeError (the C constructor gets one argument too many).
- input_shape, input_dtype ('b' for int8), input_scale, input_zero_point and
  the same for the outputs are tuples with one entry per tensor.
- predict(inputs, callback=None): inputs is a list (the wrapper rebuilds any
  iterable as a list), callback keyword-only. An input may be a callable, called
  as f(tensor_bytearray, shape, dtype_code) to fill the tensor in place. Without
  a callback (or a model postprocess) predict() returns float32 arrays,
  (q - zero_point) * scale. With one, it returns what callback(model, inputs,
  outputs) returns, and outputs are the raw int8 tensors from 4.8 on (a view of
  the tensor, overwritten by the next predict()), float32 before 4.8.
- `postprocess` is an attribute from 4.8 on.
Not modelled: ulab ndarray and image inputs (the device quantizes or normalizes
them itself); they raise NotImplementedError here.

The model runs in `runner` (tflite-micro on the host), set by the emulation:
runner(model_bytes, None) -> object with input_size, output_size, input/output
shape, scale and zero point, and run(input_bytes) -> output bytes.
Runs on CPython and on MicroPython.
"""
from array import array

import image
import omv

runner = None
models = []

_INT8 = 98   # ord("b")


def _version():
    return (omv.version_major, omv.version_minor)


class ndarray:
    """The part of ulab's ndarray the board uses: shape, len, flatten, tolist, [i]."""

    def __init__(self, shape, typecode, values):
        self.shape = tuple(shape)
        self._typecode = typecode  # "b" (raw int8) or "f" (float32)
        self._values = values      # an array of that type

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, i):
        if len(self.shape) == 1:
            return self._values[i]
        row = len(self._values) // self.shape[0]
        return ndarray(self.shape[1:], self._typecode, self._values[i * row:(i + 1) * row])

    def flatten(self):
        return ndarray((len(self._values),), self._typecode, array(self._typecode, self._values))

    def tolist(self):
        return list(self._values)


def _parse(names, args, kwargs):
    # mp_arg_parse_all for arguments that are all required
    if len(args) > len(names):
        raise TypeError("extra positional arguments given")
    values = list(args)
    for name in names[len(args):]:
        if name not in kwargs:
            raise TypeError("'%s' argument required" % name)
        values.append(kwargs.pop(name))
    for name in kwargs:
        raise TypeError("unexpected keyword argument '%s'" % name)
    return values


class _CModel:
    """modules/py_ml.c's model type (`uml.Model`)."""

    def __init__(self, *args, **kwargs):
        v = _version()
        if v >= (5, 0):
            names = ("path", "postprocess")
        elif v >= (4, 8):
            names = ("path", "load_to_fb", "postprocess")
        else:
            names = ("path", "load_to_fb")
        values = _parse(names, args, kwargs)
        path = values[0]
        if not isinstance(path, str):
            raise TypeError("can't convert %s to str" % type(path).__name__)
        with open(path, "rb") as f:
            data = f.read()
        try:
            self._m = runner(data, None)
        except MemoryError:
            raise ValueError("Failed to allocate tensors")
        if v >= (4, 8):
            self.postprocess = values[-1]
        self._load_to_fb = bool(values[1]) if v < (5, 0) else None   # for tests: where it went
        self.len = len(data)
        self.ram = 0
        self.input_shape = (tuple(self._m.input_shape),)
        self.input_dtype = ("b",)
        self.input_scale = (self._m.input_scale,)
        self.input_zero_point = (self._m.input_zero_point,)
        self.output_shape = (tuple(self._m.output_shape),)
        self.output_dtype = ("b",)
        self.output_scale = (self._m.output_scale,)
        self.output_zero_point = (self._m.output_zero_point,)
        self._input = bytearray(self._m.input_size)       # the input tensor
        self._output = array("b", bytes(self._m.output_size))   # the output tensor
        models.append(self)

    def predict(self, inputs, callback=None):
        if type(inputs) is not list:
            raise ValueError("Unsupported input type. Expected a list")
        self._fill(inputs[0])   # the model has one input (the device reads past a short list)
        raw = self._m.run(bytes(self._input))
        for i in range(len(raw)):
            self._output[i] = raw[i] - 256 if raw[i] > 127 else raw[i]
        post = getattr(self, "postprocess", None)
        if callback is None and post is None:
            return [self._dequantized()]
        if _version() >= (4, 8):
            outputs = [ndarray(self.output_shape[0], "b", self._output)]
        else:
            outputs = [self._dequantized()]
        return (callback if callback is not None else post)(self, inputs, outputs)

    def _fill(self, arg):
        if isinstance(arg, (ndarray, image.Image)):
            raise NotImplementedError("this fake models callable inputs only")
        if not callable(arg):
            raise ValueError("Unsupported input type")
        size = len(self._input)
        arg(self._input, self.input_shape[0], _INT8)
        if len(self._input) != size:
            # the device's tensor is a fixed buffer: the fake refuses to resize it
            raise ValueError("the input tensor holds %d bytes" % size)

    def _dequantized(self):
        zero = self.output_zero_point[0]
        scale = self.output_scale[0]
        return ndarray(self.output_shape[0], "f", array("f", [(q - zero) * scale for q in self._output]))


class Model(_CModel):
    """The frozen ml/model.py wrapper: which keywords reach the C constructor."""

    def __init__(self, *args, **kwargs):
        v = _version()
        if v >= (5, 0):
            super().__init__(*args, kwargs.get("postprocess", None))
        elif v >= (4, 8):
            super().__init__(*args, kwargs.get("load_to_fb", False), kwargs.get("postprocess", None))
        else:
            super().__init__(*args, kwargs.get("load_to_fb", False))

    def predict(self, args, **kwargs):
        return super().predict([x for x in args], **kwargs)
