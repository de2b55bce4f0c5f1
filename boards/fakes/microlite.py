"""Host fake of the `microlite` tflite-micro module (tensorflow-micropython-examples).

Same protocol as the real one: interpreter(model, arena_size, input_callback,
output_callback); invoke() calls input_callback(interp), runs the model, then calls
output_callback(interp); tensors are read and written one element at a time with
getValue(i) / setValue(i, v) (int8: setValue keeps the low 8 bits, getValue returns
-128..127). The model must be a bytearray: the C code reads the array object's
storage pointer directly, so a memoryview slice (offset ignored) or bytes would
hand tflite-micro the wrong bytes on a device; this fake refuses them instead.

The model itself runs in `runner`, set by the host emulation:
runner(model_bytes, arena_bytes) -> object with input_size, output_size and
run(input_bytes) -> output bytes (raw int8), raising MemoryError if the arena is
too small. Runs on CPython and on MicroPython.
"""

__version__ = "fake"

runner = None     # set by the emulation (tflite-micro on the host)
interpreters = []


class tensor:
    def __init__(self, data):
        self._data = data

    def getType(self):
        return "INT8"

    def getValue(self, index):
        v = self._data[index]
        return v - 256 if v > 127 else v

    def setValue(self, index, value):
        self._data[index] = value & 0xFF
        return self


class interpreter:
    def __init__(self, model, arena_size, input_callback, output_callback):
        if type(model) is not bytearray:
            raise TypeError("microlite needs the model as a bytearray (got %s)" % type(model).__name__)
        if input_callback is not None and not callable(input_callback):
            raise ValueError("Invalid Input Callback Handler")
        if output_callback is not None and not callable(output_callback):
            raise ValueError("Invalid Output Callback Handler")
        arena_size += 16  # the C code adds room for alignment
        print("interpreter_make_new: model size = %d, tensor area = %d" % (len(model), arena_size))
        self._in_cb = input_callback
        self._out_cb = output_callback
        self.inference_count = 0
        try:
            self._model = runner(bytes(model), arena_size)
        except MemoryError:
            print("AllocateTensors() failed!")
            self._model = None
            return
        self._input = bytearray(self._model.input_size)
        self._output = bytearray(self._model.output_size)
        interpreters.append(self)

    def getInputTensor(self, index):
        if index != 0 or self._model is None:
            raise IndexError("tensor index out of range")
        return tensor(self._input)

    def getOutputTensor(self, index):
        if index != 0 or self._model is None:
            raise IndexError("tensor index out of range")
        return tensor(self._output)

    def invoke(self):
        if self._model is None:
            print("Invoke() failed!")
            return 1
        if self._in_cb is not None:
            self._in_cb(self)
        out = self._model.run(bytes(self._input))
        self._output[:] = out
        if self._out_cb is not None:
            self._out_cb(self)
        self.inference_count += 1
        return 0
