"""Host fake of OpenMV's `image` module: the small part the OpenMV board uses.

An Image holds RGB565 pixels the way OpenMV's imlib keeps them on the
(little-endian) STM32: native 16-bit words, low byte first, so bytearray() gives
RGB565 little-endian frames. Colours passed as ints are raw RGB565 pixel values,
as OpenMV documents for RGB565 images. Text is drawn with MicroPython's 8x8
framebuf font (OpenMV's own font is 8x10; positions match, glyphs differ).
Runs on CPython (with the framebuf fake) and on MicroPython.
"""
import framebuf

GRAYSCALE = 1
RGB565 = 2


class Image:
    # Image(width, height, pixformat, *, buffer=None), as the real constructor
    # takes it for a new image (its path and ndarray forms are not modelled)
    def __init__(self, width, height, pixformat, *, buffer=None, copy_to_fb=False):
        if pixformat not in (RGB565, GRAYSCALE):
            raise ValueError("unsupported pixel format")
        bpp = 2 if pixformat == RGB565 else 1
        if buffer is None:
            buffer = bytearray(width * height * bpp)
        elif len(buffer) < width * height * bpp:
            raise ValueError("buffer too small")
        self._w = width
        self._h = height
        self._format = pixformat
        self._buf = buffer
        self._fb = framebuf.FrameBuffer(buffer, width, height,
                                        framebuf.RGB565 if pixformat == RGB565 else framebuf.GS8)

    def width(self):
        return self._w

    def height(self):
        return self._h

    def format(self):
        return self._format

    def size(self):
        return len(self._buf)

    def bytearray(self):
        return self._buf

    def clear(self):
        self._fb.fill(0)
        return self

    def get_pixel(self, x, y):
        return self._fb.pixel(x, y)

    def draw_rectangle(self, x, y, w, h, color=0xFFFF, thickness=1, fill=False):
        if fill:
            self._fb.fill_rect(x, y, w, h, color)
        else:
            for t in range(thickness):
                self._fb.fill_rect(x + t, y + t, w - 2 * t, 1, color)
                self._fb.fill_rect(x + t, y + h - 1 - t, w - 2 * t, 1, color)
                self._fb.fill_rect(x + t, y + t, 1, h - 2 * t, color)
                self._fb.fill_rect(x + w - 1 - t, y + t, 1, h - 2 * t, color)
        return self

    def draw_string(self, x, y, text, color=0xFFFF, scale=1, x_spacing=0, y_spacing=0,
                    mono_space=True):
        self._fb.text(text, x, y, color)
        return self
