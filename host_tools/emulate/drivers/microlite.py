"""Host fake of the `microlite` tflite-micro module (tensorflow-micropython-examples).
Loaded as `microlite` when an emulation asks for `--runtime microlite`.

Follows mocleiri/tensorflow-micropython-examples at commit 44b7fbe5:
micropython-modules/microlite/tensorflow-microlite.c (cited as T:line) and
openmv-libtf-updated.cpp (cited as U:line), the one ESP32 builds compile
(micropython.cmake:305-308).

- interpreter(model, arena_size, input_callback, output_callback), four
  positional arguments (T:290-291); invoke() calls input_callback(interp), runs
  the model, then calls output_callback(interp), and returns 0, or 1 when
  tflite-micro's Invoke() fails (T:389-399, U:102-115).
- Tensors are read and written one element at a time: getValue(i) returns a
  signed int8 (T:95-100), setValue(i, v) keeps the low 8 bits (T:129-134).
- The model is used as an array object: the C code reads its storage pointer
  (T:300, :332), so a memoryview slice (offset ignored) or bytes would hand
  tflite-micro the wrong bytes on a device; this fake refuses them.
- A failed AllocateTensors (arena too small) prints a line and leaves the
  interpreter NULL (U:92-97), and the constructor ignores that (T:345). The next
  getInputTensor, getOutputTensor or invoke() dereferences the NULL pointer
  (U:23-35, :104-108): the chip panics and resets. This fake raises
  machine.Panic there, which no `except Exception` catches.

The model itself runs in `runner`, set by the host emulation:
runner(model_bytes, arena_bytes) -> object with input_size, output_size and
run(input_bytes) -> output bytes (raw int8), raising MemoryError if the arena is
too small. Runs on CPython and on MicroPython.
"""
from machine import Panic

__version__ = "fake"

runner = None     # set by the emulation (tflite-micro on the host)
interpreters = []


class tensor:
    def __init__(self, data):
        self._data = data

    def getType(self):
        return "INT8"   # TfLiteTypeGetName of the tensor's type (T:67-77)

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
            raise ValueError("Invalid Input Callback Handler")               # T:308-310
        if output_callback is not None and not callable(output_callback):
            raise ValueError("Invalid Output Callback Handler")              # T:312-314
        arena_size += 16  # room for alignment (T:336-337)
        print("interpreter_make_new: model size = %d, tensor area = %d" % (len(model), arena_size))   # T:343
        self._in_cb = input_callback
        self._out_cb = output_callback
        self.inference_count = 0
        try:
            self._model = runner(bytes(model), arena_size)
        except MemoryError:
            print("AllocateTensors() failed!")   # U:92-95
            self._model = None                    # tf_interpreter stays NULL (U:97 not reached)
            return
        self._input = bytearray(self._model.input_size)
        self._output = bytearray(self._model.output_size)
        interpreters.append(self)

    def _interpreter(self):
        if self._model is None:
            raise Panic("microlite: NULL tflite-micro interpreter dereferenced "
                        "(AllocateTensors had failed; U:23-35, U:104-108)")
        return self._model

    def getInputTensor(self, index):
        self._interpreter()
        if index != 0:
            raise IndexError("tensor index out of range")
        return tensor(self._input)

    def getOutputTensor(self, index):
        self._interpreter()
        if index != 0:
            raise IndexError("tensor index out of range")
        return tensor(self._output)

    def invoke(self):
        # The input callback runs first (U:106), then Invoke() on the interpreter (U:108).
        if self._in_cb is not None:
            self._in_cb(self)
        model = self._interpreter()
        self._output[:] = model.run(bytes(self._input))
        if self._out_cb is not None:
            self._out_cb(self)
        self.inference_count += 1
        return 0
