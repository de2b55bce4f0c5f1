"""Result panel on a display: top label, confidence bar and percentage, fps.

    ui = Ui(display, blob.labels, camera)
    ui.draw(index, confidence, fps_x10, frame)   # every frame

The display offers width, height, fill(c), fill_rect(x, y, w, h, c),
text(s, x, y, c) with 8x8 cells (like framebuf), show(), and optionally
preview(frame, w, h, fmt), which draws the camera frame above the panel.
Colours are RGB565. Drawing allocates nothing when the caller passes the
percentage (see percent()); otherwise only the percentage's float math.
"""
try:
    from micropython import const
except ImportError:  # CPython
    def const(x):
        return x

_BLACK = const(0x0000)
_WHITE = const(0xFFFF)
_GREEN = const(0x07E0)
_YELLOW = const(0xFFE0)
_DARK = const(0x4208)
_PANEL = const(48)   # panel height in pixels, at the bottom of the screen
_CELL = const(8)     # font cell
_MARGIN = const(4)

_DIGITS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")


def percent(confidence):
    """The confidence as a whole percentage, 0..100."""
    pct = int(confidence * 100 + 0.5)
    return 0 if pct < 0 else (100 if pct > 100 else pct)


class Ui:
    def __init__(self, display, labels, camera=None):
        self.display = display
        self.camera = camera
        self.has_preview = camera is not None and hasattr(display, "preview")
        cols = (display.width - 2 * _MARGIN) // _CELL
        self.labels = [label[:cols] for label in labels]  # cut once, not per frame
        self.top = max(0, display.height - _PANEL)
        self.bar_width = display.width - 2 * _MARGIN
        display.fill(_BLACK)

    def _number(self, n, x_end, y, color):
        # Right-aligned decimal digits ending at x_end; returns the first digit's x.
        while True:
            x_end -= _CELL
            self.display.text(_DIGITS[n % 10], x_end, y, color)
            n //= 10
            if n == 0:
                return x_end

    def draw(self, index, confidence, fps_x10, frame=None, pct=None):
        """Show one result; fps_x10 is frames per second times 10, as an int;
        pct, if given, is percent(confidence), computed ahead."""
        d = self.display
        if frame is not None and self.has_preview:
            cam = self.camera
            d.preview(frame, cam.width, cam.height, cam.format)
        top = self.top
        d.fill_rect(0, top, d.width, d.height - top, _BLACK)
        d.text(self.labels[index], _MARGIN, top + 4, _WHITE)
        if pct is None:
            pct = percent(confidence)
        d.fill_rect(_MARGIN, top + 18, self.bar_width, 10, _DARK)
        d.fill_rect(_MARGIN, top + 18, pct * self.bar_width // 100, 10,
                    _GREEN if pct >= 50 else _YELLOW)
        y = top + 34
        self._number(pct, _MARGIN + 3 * _CELL, y, _WHITE)  # "100%", left
        d.text("%", _MARGIN + 3 * _CELL, y, _WHITE)
        # "12.3 fps", right-aligned
        x = d.width - _MARGIN - 4 * _CELL
        d.text(" fps", x, y, _WHITE)
        x = self._number(fps_x10 % 10, x, y, _WHITE) - _CELL
        d.text(".", x, y, _WHITE)
        self._number(fps_x10 // 10, x, y, _WHITE)
        d.show()
