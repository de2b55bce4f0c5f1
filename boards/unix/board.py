"""The project's firmware built for MicroPython's unix port (x64): MicroPython with
the `tflm` module (tflite-micro, reference kernels), for fast and broad tests.

Copied to the board's folder as board.mpy; firmware/app/main.py runs

    import board, app
    app.main(board)

- camera(): the frames are the file frames.bin in the folder the app runs in
  (a header, then the frames; firmware/app/emuboard.py); capture() reads each into
  one buffer made at start.
- display(): a 128x160 framebuf RGB565 panel; each shown picture is appended to
  lcd.bin, which the host turns into PNG files.
- interpreter(): `tflm`.
"""
from micropython import const

import emuboard

MODEL_PATH = "model.blob"
_LCD_W = const(128)
_LCD_H = const(160)


class _FramesFile:
    def __init__(self, f, size):
        self._f = f
        self._buf = bytearray(size)
        self._size = size

    def frame(self, i):
        self._f.seek(emuboard.HEADER_SIZE + i * self._size)
        self._f.readinto(self._buf)
        return self._buf


def camera():
    f = open("frames.bin", "rb")
    header = f.read(emuboard.HEADER_SIZE)
    return emuboard.Camera(header, _FramesFile(f, emuboard.frame_bytes(header)))


class _LcdFile:
    def __init__(self):
        self._f = open("lcd.bin", "wb")

    def keep(self, panel, n):
        self._f.write(panel.buf)


def display():
    return emuboard.Panel(_LCD_W, _LCD_H, _LcdFile().keep)


def interpreter(model, arena_size, input_size, output_size):
    return emuboard.Interpreter(model, arena_size, input_size, output_size)
