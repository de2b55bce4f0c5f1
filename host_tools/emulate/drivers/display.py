"""Host fake of OpenMV's `display` module: SPIDisplay for the LCD shield (128x160).
write(img) keeps a copy of the image's RGB565 little-endian pixels in `last` and
counts frames. Runs on CPython and on MicroPython.
"""

displays = []


class SPIDisplay:
    def __init__(self, width=128, height=160, refresh=60, bgr=False, byte_swap=False,
                 triple_buffer=None, backlight=None):
        self._w = width
        self._h = height
        self.last = None
        self.frames = 0
        displays.append(self)

    def width(self):
        return self._w

    def height(self):
        return self._h

    def write(self, img, x=0, y=0, x_scale=1.0, y_scale=1.0, roi=None, rgb_channel=-1,
              alpha=256, color_palette=None, alpha_palette=None, hint=0):
        if img.width() != self._w or img.height() != self._h:
            raise ValueError("this fake shows only full-screen images")
        self.last = bytes(img.bytearray())
        self.frames += 1

    def clear(self):
        self.last = None
