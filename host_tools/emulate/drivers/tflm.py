"""Host fake of the project's own `tflm` module, as the ESP32 firmware carries it.
Loaded as `tflm` when an emulation asks for `--runtime tflm`.

Follows firmware/tflm/modtflm.c of this repository (cited as F:line; the real
module runs in the unix firmware's tests, tests/test_firmware_tflm.py):

    it = tflm.Interpreter(model, arena_size)   # exactly two arguments (F:61)
    it.invoke(input_bytes, output_bytearray)
    it.input_shape, it.input_scale, it.input_zero_point, it.output_*, it.arena_used

The model runs in `runner`, set by the host emulation (the fakes' runner
protocol: runner(model_bytes, arena_bytes) -> object with input_shape,
output_shape, input_size, output_size, the scales and zero points, and
run(input_bytes) -> output bytes, raising MemoryError if the arena is too
small). `arena_needed(model_bytes)`, also set by the emulation, gives the bytes
tflite-micro uses, for the error message. `OPS` is set from firmware/tflm/ops.def.
Runs on CPython and on MicroPython.
"""

runner = None
arena_needed = None
OPS = ()


class Interpreter:
    def __init__(self, model, arena_size):
        model = memoryview(model)   # any buffer (F:63); kept, never copied (F:72)
        if arena_size <= 0:
            raise ValueError("tflm: arena_size must be a positive number of bytes")   # F:65-67
        # F:68-70 refuses a model that does not start on a 4-byte boundary; the
        # host cannot see addresses, so this fake does not check it.
        self._model = model
        self.arena_size = arena_size
        try:
            self._m = runner(bytes(model), arena_size)
        except MemoryError:
            need = arena_needed(bytes(model)) if arena_needed is not None else 0
            if need:                                                          # F:78-88
                raise ValueError("tflm: arena_size %d is too small for this model: it needs %d bytes"
                                 % (arena_size, need))
            raise ValueError("tflm: arena_size %d is too small for this model" % arena_size)
        m = self._m
        self.input_shape = tuple(m.input_shape)                              # F:136-153
        self.output_shape = tuple(m.output_shape)
        self.input_scale, self.input_zero_point = m.input_scale, m.input_zero_point
        self.output_scale, self.output_zero_point = m.output_scale, m.output_zero_point

    @property
    def arena_used(self):   # F:154-156
        return arena_needed(bytes(self._model)) if arena_needed is not None else self.arena_size

    def invoke(self, input, output):
        # Both lengths must be the tensors' own (F:100-105, :114-115); the output must
        # be writable (mp_get_buffer_raise with MP_BUFFER_WRITE, F:113).
        if isinstance(output, bytes):
            raise TypeError("object with buffer protocol required")
        if len(input) != self._m.input_size:
            raise ValueError("tflm: input is %d bytes; the model's input tensor is %d bytes"
                             % (len(input), self._m.input_size))
        if len(output) != self._m.output_size:
            raise ValueError("tflm: output is %d bytes; the model's output tensor is %d bytes"
                             % (len(output), self._m.output_size))
        out = self._m.run(bytes(input))
        for i in range(len(out)):
            output[i] = out[i]
        return None
