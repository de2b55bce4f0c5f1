"""The driver fakes of host_tools/emulate/drivers/, installed as the modules a board module imports.

    with fake_drivers(camera_driver="lemariva", display_driver="st7789py",
                      runtime="microlite") as fakes:
        board = load_board("esp32s3_eye")      # board_emulation.load_board

One ESP32 board can meet any combination of its drivers, and each fake follows
its driver's own source (the fakes cite it line by line):

- camera: cnadler86's micropython-camera-API or lemariva's camera module;
- display: russhughes' `st7789` C module, the pure-Python `st7789py`, or none;
- runtime: the project's `tflm` module or `microlite`.

A driver that is not chosen is missing (`import` raises ImportError), as in a
firmware built without it. The defaults are the project's own ESP32 firmware
(firmware/recipe/esp32s3.mk). OpenMV's fakes follow the firmware --openmv names.
"""
import contextlib
import importlib.util
import os
import sys

from .. import ROOT, UserError
from ..data.pixels import rgb565_image
from ..model.profile import _recorded_arena
from ..device.firmware_ops import firmware_ops
from ..infer.tflm import Int8Model

FAKES_DIR = os.path.join(ROOT, "host_tools", "emulate", "drivers")

CAMERA_DRIVERS = ("cnadler86", "lemariva")
DISPLAY_DRIVERS = ("st7789", "st7789py", "none")
RUNTIMES = ("tflm", "microlite")
DRIVER_DEFAULTS = {"camera_driver": "cnadler86", "display_driver": "st7789", "runtime": "tflm"}
_CHOICES = {"camera_driver": CAMERA_DRIVERS, "display_driver": DISPLAY_DRIVERS, "runtime": RUNTIMES}
# --openmv: the OpenMV firmware the fakes follow (csi exists from 4.8 on)
OPENMV_FIRMWARES = {"4": (4, 6, 0), "4.8": (4, 8, 1), "5": (5, 0, 0)}

# Fakes every emulation has, in load order (image imports framebuf; sensor, csi and ml
# import image, ml omv; microlite imports machine; the st7789 fakes st7789_controller).
_ALWAYS = ("framebuf", "machine", "st7789_controller", "omv", "image", "sensor", "csi", "display", "ml")
_CHOSEN = ("camera", "st7789", "st7789py", "tflm", "microlite")


def option(name):
    return "--" + name.replace("_", "-")


def driver_choice(info, **chosen):
    """{camera_driver, display_driver, runtime} for this board (board.json as a dict),
    defaults filled in; UserError for a value outside the choices, for driver
    options on a board without these drivers, and for a display on a board without one."""
    given = {k: v for k, v in chosen.items() if v is not None}
    esp32 = info.get("mpy_arch") == "xtensawin"
    if given and not esp32:
        raise UserError(f"{', '.join(option(k) for k in given)}: only for the ESP32 boards "
                        f"(esp32s3_eye, xiao_esp32s3_sense); {info['name']} has its own drivers")
    for key, value in given.items():
        if value not in _CHOICES[key]:
            raise UserError(f"{option(key)} must be one of {', '.join(_CHOICES[key])}; got {value!r}")
    out = dict(DRIVER_DEFAULTS)
    if esp32 and not info.get("display"):
        out["display_driver"] = "none"
        if given.get("display_driver", "none") != "none":
            raise UserError(f"{info['name']} has no display: --display-driver must be none")
    out.update(given)
    return out


def driver_products(info):
    """Every driver combination a user of this board can have, as driver_choice dicts."""
    displays = DISPLAY_DRIVERS if info.get("display") else ("none",)
    return [{"camera_driver": c, "display_driver": d, "runtime": r}
            for c in CAMERA_DRIVERS for d in displays for r in RUNTIMES]


class TflmRunner(Int8Model):
    """The model in tflite-micro's Python runtime, behind the fakes' runner protocol:
    TflmRunner(model, arena_size), run(int8 bytes) -> int8 bytes; a short arena: MemoryError."""

    def __init__(self, model, arena_size=None):
        if arena_size is not None and arena_size < 1024:
            # The Python runtime takes the whole process down when its own bookkeeping
            # does not fit (a few hundred bytes); no model these boards run fits in 1 KB.
            raise MemoryError(f"tflite-micro could not allocate its tensors in {arena_size} bytes")
        super().__init__(model, arena_size, memory_error=True)

    def run(self, data):
        return self.run_bytes(data)


def screen(fakes, info):
    """The display's current picture, or None (no display, or no driver drew on it).

    An ST7789 shows its memory only once its driver has woken it and switched it
    on, and only while the backlight pin is at the board's on-level
    (board.json's display.backlight_on_level, 1 unless it says otherwise);
    otherwise the picture is black."""
    from PIL import Image
    d = info.get("display") or {}
    if d.get("driver") == "st7789":
        panels = fakes["st7789_controller"].panels
        if not panels:
            return None
        c = panels[-1]
        level = fakes["machine"].Pin.levels.get(d["pins"]["backlight"])
        if level != d.get("backlight_on_level", 1) or not c.showing():
            return Image.new("RGB", (c.width, c.height))
        return rgb565_image(c.ram, c.width, c.height, big_endian=True)
    if d.get("driver") == "openmv_lcd_shield":
        shown = fakes["display"].displays
        if shown and shown[-1].last is not None:
            s = shown[-1]
            return rgb565_image(s.last, s.width(), s.height(), big_endian=False)
    return None


def led_on(fakes, info):
    led = info.get("led")
    if not led:
        return None
    level = fakes["machine"].Pin.levels.get(led["pin"])
    if level is None:
        return None
    return (level == 0) if led.get("active_low") else (level == 1)


def _arena_needed(model):
    return _recorded_arena(model)


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def fake_drivers(camera_driver=None, display_driver=None, runtime=None, openmv="5"):
    """Fresh fake driver modules in sys.modules (the board's imports find them);
    everything is put back afterwards. Yields {name: module} (a missing driver: None)."""
    camera_driver = camera_driver or DRIVER_DEFAULTS["camera_driver"]
    display_driver = display_driver or DRIVER_DEFAULTS["display_driver"]
    runtime = runtime or DRIVER_DEFAULTS["runtime"]
    for key, value in (("camera_driver", camera_driver), ("display_driver", display_driver),
                       ("runtime", runtime)):
        if value not in _CHOICES[key]:
            raise ValueError(f"{key} must be one of {', '.join(_CHOICES[key])}; got {value}")
    if openmv not in OPENMV_FIRMWARES:
        raise ValueError(f"openmv must be one of {', '.join(OPENMV_FIRMWARES)}; got {openmv}")
    names = _ALWAYS + _CHOSEN + ("board",)
    saved = {n: sys.modules.get(n) for n in names}
    fakes = {}
    try:
        for name in _ALWAYS:
            fakes[name] = _load(name, os.path.join(FAKES_DIR, name + ".py"))
        fakes["camera"] = _load("camera", os.path.join(FAKES_DIR, f"camera_{camera_driver}.py"))
        for name in ("st7789", "st7789py", "tflm", "microlite"):
            chosen = name in (display_driver, runtime)
            fakes[name] = _load(name, os.path.join(FAKES_DIR, name + ".py")) if chosen else None
            if not chosen:
                sys.modules[name] = None   # `import name` raises ImportError, as without the driver
        _connect(fakes, openmv)
        yield fakes
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _connect(fakes, openmv):
    """The fakes' hooks: the runtimes run tflite-micro; omv says its version."""
    fakes["ml"].runner = TflmRunner
    if fakes["microlite"] is not None:
        fakes["microlite"].runner = TflmRunner
    if fakes["tflm"] is not None:
        fakes["tflm"].runner = TflmRunner
        fakes["tflm"].arena_needed = _arena_needed
        fakes["tflm"].OPS = firmware_ops()
    omv = fakes["omv"]
    omv.version_major, omv.version_minor, omv.version_patch = OPENMV_FIRMWARES[openmv]
    if OPENMV_FIRMWARES[openmv] < (4, 8):
        sys.modules["csi"] = None   # `import csi` raises ImportError, as on that firmware
