"""Host fake of russhughes' pure-Python `st7789py` driver (st7789py_mpy).
Loaded as `st7789py` when an emulation asks for `--display-driver st7789py`.

Follows russhughes/st7789py_mpy at commit 7265925b, lib/st7789py.py (cited as P:line).
The panel itself is st7789_controller.Controller (`panel.controller`). Unlike the
C module, the constructor does the whole start-up, and init() needs the command
list. Runs on CPython and on MicroPython.

    panel = ST7789(spi, 240, 240, dc=Pin(43), cs=Pin(44))   # ready, backlight pin high
    panel.fill(0); panel.blit_buffer(buf, 0, 0, 8, 8)
"""
from st7789_controller import Controller

BLACK = 0x0000     # P:122-129
WHITE = 0xFFFF
RED = 0xF800
GREEN = 0x07E0
BLUE = 0x001F
RGB = 0x00         # P:110-111
BGR = 0x08

_SUPPORTED = ((240, 320), (240, 240), (135, 240), (128, 128))   # P:186-190
# The commands of its init list that change what the panel shows (P:193-213):
# SLPOUT 0x11 (P:194), INVON 0x21 (P:211), DISPON 0x29 (P:212).
_INIT_CMDS = ((b"\x11", b"\x00", 120), (b"\x3a", b"\x55", 10), (b"\x21", b"\x00", 0),
              (b"\x29", b"\x00", 120))

panels = []   # every ST7789 made, for inspection


def color565(red, green=0, blue=0):
    return ((red & 0xF8) << 8) | ((green & 0xFC) << 3) | (blue >> 3)   # P:218


class ST7789:
    # Plain (not keyword-only) parameters, colour order BGR by default, no
    # `inversion` parameter (P:261-274).
    def __init__(self, spi, width, height, reset=None, dc=None, cs=None, backlight=None,
                 rotation=0, color_order=BGR, custom_init=None, custom_rotations=None):
        if custom_rotations is None and (width, height) not in _SUPPORTED:
            raise ValueError("Unsupported %dx%d display. Supported displays: 240x320, 240x240, "
                             "135x240, 128x128" % (width, height))            # P:278-285
        if dc is None:
            raise ValueError("dc pin is required.")                           # P:287-288
        self.physical_width = self.width = width
        self.physical_height = self.height = height
        self.spi = spi
        self.dc = dc
        self.cs = cs
        self.backlight = backlight
        self.color_order = color_order
        self.init_cmds = custom_init or _INIT_CMDS                            # P:301
        self.controller = Controller(width, height)
        panels.append(self)
        # hard_reset(), init() twice, rotation(), fill(0), then the backlight pin
        # high (P:302-311).
        self.controller.reset()
        self.init(self.init_cmds)
        self.init(self.init_cmds)
        self.fill(BLACK)
        if backlight is not None:
            backlight.value(1)

    def init(self, commands):
        # init(self, commands): one (command, data, delay) triple after another (P:320-326).
        c = self.controller
        for command, data, delay in commands:
            code = command[0]
            if code == 0x11:
                c.sleep_out()
            elif code == 0x10:
                c.sleep_in()
            elif code == 0x21 or code == 0x20:
                c.invert(code == 0x21)
            elif code == 0x29:
                c.on()
            elif code == 0x01:
                c.reset()

    def inversion_mode(self, value):
        self.controller.invert(bool(value))   # INVON / INVOFF (P:379-390)

    def sleep_mode(self, value):
        if value:                              # P:366-377
            self.controller.sleep_in()
        else:
            self.controller.sleep_out()

    def fill_rect(self, x, y, width, height, color):
        # A window, then width * height pixels packed '>H', high byte first (P:515-537, :131).
        self.controller.fill(x, y, width, height, color)

    def fill(self, color):
        self.fill_rect(0, 0, self.width, self.height, color)   # P:539-546

    def pixel(self, x, y, color):
        self.fill_rect(x, y, 1, 1, color)                     # P:468-483

    def blit_buffer(self, buffer, x, y, width, height):
        # A window, then the whole buffer as it is (P:485-497). _set_window lets a
        # window end one pixel past the edge (P:433); this fake drops any window
        # that does not fit, as the app never draws one.
        self.controller.write(x, y, width, height, buffer)

    def text(self, font, text, x0, y0, color=WHITE, background=BLACK):
        raise NotImplementedError("this fake draws text only through blit_buffer")
