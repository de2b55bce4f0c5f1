"""The ST7789 controller the two st7789 driver fakes (st7789.py, st7789py.py) talk to.

It keeps what the panel shows: `ram` holds width x height pixels as RGB565
high byte first, the order the controller takes them over SPI. After a reset the
controller sleeps with its display off; the drivers wake it (SLPOUT) and switch
the display on (DISPON) in their init sequences (st7789.c's init(), st7789py.py's
_ST7789_INIT_CMDS; the fakes cite the lines). `showing()` is True once both have
happened. Whether the picture is lit is the board's business: the backlight
pin, read by the host emulation. Writes outside the panel are dropped, as the
drivers drop them (they send no window), and counted in `clipped`.
Runs on CPython and on MicroPython.
"""

panels = []   # every controller made, for inspection


class Controller:
    def __init__(self, width, height):
        self.width = width
        self.height = height
        self.ram = bytearray(width * height * 2)
        self.awake = False
        self.display_on = False
        self.inverted = False
        self.resets = 0
        self.clipped = 0
        self.draws = 0
        panels.append(self)

    def reset(self):
        self.awake = False
        self.display_on = False
        self.inverted = False
        self.resets += 1

    def sleep_out(self):
        self.awake = True

    def sleep_in(self):
        self.awake = False

    def on(self):
        self.display_on = True

    def invert(self, value):
        self.inverted = bool(value)

    def showing(self):
        return self.awake and self.display_on

    def write(self, x, y, w, h, data, n=None):
        """n bytes of data (all by default) into the window (x, y, w, h), row by row;
        a window outside the panel takes nothing."""
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > self.width or y + h > self.height:
            self.clipped += 1
            return
        self.draws += 1
        n = min(len(data) if n is None else n, 2 * w * h)
        row = 2 * w
        at = 0
        yy = y
        while at < n:
            take = min(row, n - at)
            o = 2 * (yy * self.width + x)
            self.ram[o:o + take] = bytes(data[at:at + take])
            at += take
            yy += 1

    def fill(self, x, y, w, h, color):
        """w x h pixels of one RGB565 colour, sent high byte first."""
        run = bytes(((color >> 8) & 0xFF, color & 0xFF)) * w
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > self.width or y + h > self.height:
            self.clipped += 1
            return
        self.draws += 1
        for yy in range(y, y + h):
            o = 2 * (yy * self.width + x)
            self.ram[o:o + len(run)] = run
