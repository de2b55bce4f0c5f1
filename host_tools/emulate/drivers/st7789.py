"""Host fake of russhughes' `st7789` C module (st7789_mpy).
Loaded as `st7789` when an emulation asks for `--display-driver st7789`.

Follows russhughes/st7789_mpy at commit f629308d, st7789/st7789.c (cited as C:line).
The panel itself is st7789_controller.Controller (`panel.controller`): RGB565
bytes high byte first, asleep and dark until init(). Runs on CPython and on
MicroPython.

    panel = ST7789(spi, 240, 240, dc=Pin(43), cs=Pin(44))
    panel.init(); panel.fill(0); panel.blit_buffer(buf, 0, 0, 8, 8)
"""
from st7789_controller import Controller

BLACK = 0x0000     # st7789.h, exported at C:2541-2548
WHITE = 0xFFFF
RED = 0xF800
GREEN = 0x07E0
BLUE = 0x001F
RGB = 0x00         # ST7789_MADCTL_RGB / _BGR (st7789.h:47-48, C:2556-2557)
BGR = 0x08

_SIZES = ((240, 320), (170, 320), (240, 240), (135, 240), (128, 160), (80, 160), (128, 128))

panels = []   # every ST7789 made, for inspection


def color565(r, g, b):
    return ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)


class ST7789:
    # spi, width, height positional; the rest keyword-only, with these defaults (C:2433-2448):
    # colour order RGB, inversion on.
    def __init__(self, spi, width, height, *, reset=None, dc=None, cs=None, backlight=None,
                 rotations=None, rotation=0, custom_init=None, color_order=RGB, inversion=True,
                 options=0, buffer_size=0):
        if dc is None:
            raise ValueError("must specify dc pin")                  # C:2503-2505
        if rotations is None and (width, height) not in _SIZES:
            raise ValueError("this fake knows only the sizes with a built-in rotation table (C:1107-1123)")
        # The constructor only stores its arguments: nothing goes to the panel (C:2452-2533).
        self.spi = spi
        self._width = width
        self._height = height
        self.backlight = backlight
        self.color_order = color_order
        self.inversion = bool(inversion)
        self.rotation_value = rotation
        self.controller = Controller(width, height)
        panels.append(self)

    def init(self):
        # Hard and soft reset, SLPOUT, COLMOD, INVON or INVOFF as set, NORON, DISPON,
        # MADCTL, the whole panel black, then the backlight pin high (C:1221-1269).
        c = self.controller
        c.reset()
        c.sleep_out()
        c.invert(self.inversion)
        c.on()
        c.fill(0, 0, self._width, self._height, BLACK)
        if self.backlight is not None:
            self.backlight.value(1)

    def on(self):
        if self.backlight is not None:
            self.backlight.value(1)       # C:1272-1282
        return None

    def off(self):
        if self.backlight is not None:
            self.backlight.value(0)       # C:1284-1294
        return None

    def sleep_mode(self, value):
        if value:                         # SLPIN / SLPOUT (C:359-368)
            self.controller.sleep_in()
        else:
            self.controller.sleep_out()

    def inversion_mode(self, value):
        self.inversion = bool(value)      # INVON / INVOFF (C:370-381)
        self.controller.invert(self.inversion)

    def width(self):
        return self._width                # C:1153-1157

    def height(self):
        return self._height               # C:1159-1163

    def fill_rect(self, x, y, w, h, color):
        # A window outside the panel is not sent (set_window, C:188-194); the colour
        # goes out byte-swapped, high byte first (fill_color_buffer, C:230-250).
        self.controller.fill(x, y, w, h, color)   # C:383-411

    def fill(self, color):
        self.controller.fill(0, 0, self._width, self._height, color)   # C:413-425

    def pixel(self, x, y, color):
        self.controller.fill(x, y, 1, 1, color)

    def blit_buffer(self, buffer, x, y, width, height):
        # Any buffer object; at most width * height * 2 of its bytes, as they are
        # (C:514-542): no size check, a short buffer draws part of the window.
        self.controller.write(x, y, width, height, buffer, min(len(buffer), width * height * 2))

    def text(self, font, s, x, y, fg=WHITE, bg=BLACK):
        raise NotImplementedError("this fake draws text only through blit_buffer")
