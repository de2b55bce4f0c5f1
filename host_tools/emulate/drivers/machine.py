"""Host fake of MicroPython's `machine` module: Pin and SPI, recording what is done.

Pins remember their level and every change (`Pin.log`: (pin id, value) in order),
so an emulation can show an LED the way the board would light it. Runs on CPython
and on MicroPython.

    led = Pin(21, Pin.OUT, value=1)
    led.value(0)            # Pin.log == [(21, 1), (21, 0)]

Panic is not part of `machine`: the other fakes raise it where the real chip
would crash (a CPU exception in C code, then a reset). It derives from
BaseException, so the app's `except Exception` cannot swallow it, and the host
emulation stops the board there.
"""


class Panic(BaseException):
    """The chip crashed in a driver's C code (the real board resets here)."""


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 1
    PULL_DOWN = 2

    log = []        # (pin id, value) for every level set, in order
    levels = {}     # pin id -> last level

    def __init__(self, id, mode=-1, pull=-1, value=None):
        if not isinstance(id, int) or id < 0 or id > 48:
            raise ValueError("invalid pin")
        self.id = id
        self.mode = mode
        if value is not None:
            self.value(value)

    def value(self, v=None):
        if v is None:
            return Pin.levels.get(self.id, 0)
        v = 1 if v else 0
        Pin.levels[self.id] = v
        Pin.log.append((self.id, v))
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def __call__(self, v=None):
        return self.value(v)

    def __repr__(self):
        return "Pin(%d)" % self.id


class SPI:
    def __init__(self, id, baudrate=1000000, polarity=0, phase=0, bits=8, firstbit=0,
                 sck=None, mosi=None, miso=None):
        if id not in (1, 2):
            raise ValueError("SPI(%r) doesn't exist" % (id,))
        self.id = id
        self.baudrate = baudrate
        self.sck = sck
        self.mosi = mosi
        self.miso = miso

    def write(self, buf):
        return None

    def deinit(self):
        return None


def freq(hz=None):
    return 240000000 if hz is None else None


def reset():
    raise SystemExit("machine.reset()")


def reset_log():
    """Forget pin levels and history (between emulation runs)."""
    Pin.log = []
    Pin.levels = {}
