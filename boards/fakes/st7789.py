"""Host fake of russhughes' `st7789` display driver (st7789_mpy C module API).

It models the controller's memory: `panel.ram` holds width x height pixels as
RGB565 *big-endian* bytes, the order the ST7789 takes them over SPI. fill(),
fill_rect() and pixel() take an RGB565 int (the driver swaps it onto the wire);
blit_buffer() copies bytes as they are, so its buffer must already be big-endian,
as with the real driver. Nothing shows before init(), as on the real panel.
Draws that fall outside the panel are clipped and counted in `panel.clipped`.
Runs on CPython and on MicroPython.

    panel = ST7789(spi, 240, 240, dc=Pin(43), cs=Pin(44), backlight=Pin(48))
    panel.init(); panel.fill(0); panel.blit_buffer(buf, 0, 0, 8, 8)
"""

BLACK = 0x0000
WHITE = 0xFFFF
RED = 0xF800
GREEN = 0x07E0
BLUE = 0x001F
RGB = 0x00
BGR = 0x08

panels = []   # every panel made, for inspection


def color565(r, g, b):
    return ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)


class ST7789:
    def __init__(self, spi, width, height, reset=None, dc=None, cs=None, backlight=None,
                 rotations=None, rotation=0, color_order=BGR, inversion=True, options=0,
                 buffer_size=0):
        if dc is None:
            raise ValueError("dc pin is required")
        if (width, height) not in ((240, 240), (135, 240), (240, 320), (170, 320), (128, 160)):
            raise ValueError("Unsupported display. Only 240x320, 240x240, 170x320, 135x240 and 128x160 are supported without a rotations table")
        self.spi = spi
        self._width = width
        self._height = height
        self.backlight = backlight
        self.color_order = color_order
        self.inversion = inversion
        self.rotation_value = rotation
        self.initialized = False
        self.ram = bytearray(width * height * 2)
        self.clipped = 0
        self.draws = 0
        panels.append(self)

    def init(self):
        self.initialized = True
        if self.backlight is not None:
            self.backlight.value(1)

    def on(self):
        if self.backlight is not None:
            self.backlight.value(1)

    def off(self):
        if self.backlight is not None:
            self.backlight.value(0)

    def width(self):
        return self._width

    def height(self):
        return self._height

    def inversion_mode(self, value):
        self.inversion = bool(value)

    def _rows(self, x, y, w, h):
        # The visible part of a rectangle: (x0, x1, y0, y1), counting what is clipped.
        x0 = max(0, x)
        y0 = max(0, y)
        x1 = min(self._width, x + w)
        y1 = min(self._height, y + h)
        if x0 != x or y0 != y or x1 != x + w or y1 != y + h:
            self.clipped += 1
        return x0, x1, y0, y1

    def fill_rect(self, x, y, w, h, color):
        if not self.initialized or w <= 0 or h <= 0:
            return
        self.draws += 1
        x0, x1, y0, y1 = self._rows(x, y, w, h)
        if x1 <= x0 or y1 <= y0:
            return
        run = bytes(((color >> 8) & 0xFF, color & 0xFF)) * (x1 - x0)
        for yy in range(y0, y1):
            o = 2 * (yy * self._width + x0)
            self.ram[o:o + len(run)] = run

    def fill(self, color):
        self.fill_rect(0, 0, self._width, self._height, color)

    def pixel(self, x, y, color):
        self.fill_rect(x, y, 1, 1, color)

    def blit_buffer(self, buffer, x, y, width, height):
        if len(buffer) < width * height * 2:
            raise ValueError("buffer too small")
        if not self.initialized:
            return
        self.draws += 1
        x0, x1, y0, y1 = self._rows(x, y, width, height)
        for yy in range(y0, y1):
            src = 2 * ((yy - y) * width + (x0 - x))
            o = 2 * (yy * self._width + x0)
            n = 2 * (x1 - x0)
            self.ram[o:o + n] = buffer[src:src + n]

    def text(self, font, s, x, y, fg=WHITE, bg=BLACK):
        raise NotImplementedError("this fake draws text only through blit_buffer")
