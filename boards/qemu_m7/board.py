"""Emulated Cortex-M7 (QEMU's MPS2-AN500) running the project's firmware: MicroPython
with the `tflm` module (tflite-micro, CMSIS-NN kernels). An OpenMV H7 Plus class board
whose camera and LCD live in RAM.

Copied to the board as board.mpy; firmware/app/main.py runs

    import board, app
    app.main(board)

- camera(): the host preloads the frames into RAM at _FRAMES (QEMU's
  `-device loader,...,force-raw=on`), after a header (firmware/app/emuboard.py);
  capture() hands out views of them, never a copy.
- display(): a 128x160 framebuf RGB565 panel, like OpenMV's LCD shield; each
  shown picture is copied into a ring at _LCD, which the host reads back as PNG files.
- interpreter(): `tflm`, running the model where it lies.
The addresses are firmware/recipe/qemu_m7/memory_map.h's, copied below by
host_tools/firmware/memory_map.py (a test checks the copy).
"""
import micropython
import uctypes
from micropython import const

import emuboard

MODEL_PATH = "model.blob"   # in the folder the app runs in: ROMFS, or the RAM disk

# The firmware's memory map (its one source is the C header; the device cannot read it):
# --- generated from firmware/recipe/qemu_m7/memory_map.h (python -m host_tools.firmware.memory_map)
_FRAMES = const(0x60D00000)   # M7_FRAMES_ADDR
_FRAMES_MAX = const(0x00300000)   # M7_FRAMES_BYTES
_LCD = const(0x60800000)   # M7_LCD_ADDR
_LCD_MAX = const(0x00400000)   # M7_LCD_BYTES
# --- end of the generated part
_LCD_W = const(128)
_LCD_H = const(160)


class _Preloaded:
    """The frames in RAM, as views made once."""

    def __init__(self, count, size):
        if emuboard.HEADER_SIZE + count * size > _FRAMES_MAX:
            raise OSError("camera frames overrun their RAM area")
        whole = memoryview(uctypes.bytearray_at(_FRAMES + emuboard.HEADER_SIZE, count * size))
        self._views = [whole[i * size:(i + 1) * size] for i in range(count)]

    def frame(self, i):
        return self._views[i]


def camera():
    header = uctypes.bytearray_at(_FRAMES, emuboard.HEADER_SIZE)
    count = emuboard.parse_header(header)[0]
    return emuboard.Camera(header, _Preloaded(count, emuboard.frame_bytes(header)))


@micropython.viper
def _copy_words(dst, at: int, src, n: int):
    # dst[at:at + n] = src[:n], eight words a turn (at and n multiples of 32)
    d = ptr32(uint(dst) + at)
    s = ptr32(src)
    i = 0
    end = n >> 2
    while i < end:
        d[i] = s[i]
        d[i + 1] = s[i + 1]
        d[i + 2] = s[i + 2]
        d[i + 3] = s[i + 3]
        d[i + 4] = s[i + 4]
        d[i + 5] = s[i + 5]
        d[i + 6] = s[i + 6]
        d[i + 7] = s[i + 7]
        i += 8


class _Ring:
    """Finished panel pictures, one slot each, in RAM the host reads back."""

    def __init__(self):
        self.size = _LCD_W * _LCD_H * 2
        self.slots = _LCD_MAX // self.size

    def keep(self, panel, n):
        _copy_words(_LCD, (n % self.slots) * self.size, panel.buf, self.size)


def display():
    return emuboard.Panel(_LCD_W, _LCD_H, _Ring().keep)


def interpreter(model, arena_size, input_size, output_size):
    return emuboard.Interpreter(model, arena_size, input_size, output_size)
