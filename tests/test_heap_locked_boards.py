"""Every board module's frame loop runs with the GC heap locked, under the real MicroPython
VM (the project's unix firmware), with its emulated drivers.

The boards come from boards/*/board.json:
- a real board (ESP32-S3-EYE, XIAO, OpenMV) runs its board.py and firmware/app/app.py on the
  driver fakes of host_tools/emulate/drivers, once per driver combination it can meet (the ESP32
  boards: driver_fakes.driver_products; OpenMV: every firmware its fakes follow);
- a board that runs the project's own firmware (unix, qemu_m7) runs the deployed app
  with the camera's heap lock (firmware/app/emuboard.py, LOCK);
- the host board runs on CPython only (it draws with Pillow): it has no MicroPython loop.

From the end of the second capture to the end of the run, micropython.heap_lock() holds:
the board's capture, preprocessing, inference, top-1, display, LED and result line may
not allocate. Only the drivers' own code (in the GATES table: the fakes stand for C
code or the firmware's frozen Python, and their bookkeeping allocates) runs unlocked,
and any board code it calls back (OpenMV's predict callbacks, microlite's tensor
callbacks) is locked again. The scores equal `classify --board` on the same photos.
"""
import ast
import json
import os
import shutil

import numpy as np
import pytest

from tests.support import ROOT
from host_tools.blob import read
from host_tools.data.images import open_image
from host_tools.data.pixels import camera_frame, camera_spec
from host_tools.data.samples import sample_path
from host_tools.emulate import vm_boards as vb
from host_tools.emulate.driver_fakes import FAKES_DIR, OPENMV_FIRMWARES, driver_products
from host_tools.infer.classify import scores
from tests.support.boards import INFO, ON_FAKES, ON_FIRMWARE
from tests.support.micropython_vm import run_micropython

FIRMWARE = os.path.join(ROOT, "firmware", "app")
PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png")

# Driver code that may allocate: (fake module, class or None for a module function,
# methods or "*" for every public one). Everything else the board calls runs locked.
GATES = [
    ("camera_cnadler86", "Camera", ["capture"]),   # the driver hands out its frame buffer
    ("camera_lemariva", None, ["capture"]),         # returns a new bytes object per frame
    ("sensor", None, ["snapshot"]),                 # OpenMV: a new image object per frame
    ("csi", "CSI", ["snapshot"]),
    ("image", "Image", "*"),                        # OpenMV's imlib drawing (C)
    ("display", "SPIDisplay", "*"),
    ("st7789", "ST7789", "*"),                      # C module; the fake copies into its panel
    ("st7789py", "ST7789", "*"),                    # a Python driver: its own struct packing
    ("machine", "Pin", "*"),                        # the fake logs each level for the tests
    ("microlite", "interpreter", ["__init__", "invoke"]),   # C; callbacks run locked again
    # OpenMV's frozen ml/model.py builds a list and a kwargs dict per predict (openmv/openmv
    # 357b6f9b scripts/libraries/ml/ml/model.py:16-18, Model.predict), and py_ml.c the
    # output arrays; ulab makes a view or a boxed number for each subscript
    # (v923z/micropython-ulab d1614433 code/ndarray.c:1218-1255, ndarray_get_slice).
    # flatten() is not here: it copies the whole tensor, which the board can avoid.
    ("ml", "Model", ["predict"]),
    ("ml", "ndarray", ["__getitem__"]),
]
KEYWORDS = {("ml", "Model", "predict"): ["callback"]}   # **kwargs: the keywords C predict takes

LOCK_RUNTIME = """
import micropython
_N = object()
LOCKED = [False]     # the heap is locked now
SPAN = [False]       # inside the locked part of the run

def _is_fn(v):
    return type(v).__name__ in ('function', 'bound_method', 'closure')

def _relock(f):
    # board code called back by a driver: locked again, called without a star call
    def w(*a):
        if LOCKED[0] or not SPAN[0]:
            return f(*a)
        micropython.heap_lock()
        LOCKED[0] = True
        try:
            n = len(a)
            if n == 1:
                return f(a[0])
            if n == 2:
                return f(a[0], a[1])
            return f(a[0], a[1], a[2])
        finally:
            micropython.heap_unlock()
            LOCKED[0] = False
    return w

def _wrap(v):
    if type(v) is list:
        return [_relock(x) if _is_fn(x) else x for x in v]
    return _relock(v) if _is_fn(v) else v

def lock():
    micropython.heap_lock()
    LOCKED[0] = SPAN[0] = True

def unlock():
    micropython.heap_unlock()
    LOCKED[0] = SPAN[0] = False
"""


def _signature(fn, keywords=None):
    """(parameter text, forwarding text) of a fake's function: defaults become _N, so that
    a call with the board's arguments allocates nothing on entry."""
    a = fn.args
    if a.vararg or (a.kwarg and keywords is None):
        raise ValueError(f"{fn.name}: cannot gate *args/**kwargs")
    pos = [p.arg for p in a.args]
    required = pos[:len(pos) - len(a.defaults)]
    optional = pos[len(required):] + [p.arg for p in a.kwonlyargs] + (keywords or [])
    params = ", ".join(required + [f"{p}=_N" for p in optional])
    forward = ", ".join(f"_wrap({p})" for p in required)
    return params, forward, optional


def _gate_code(module, cls, fn, keywords):
    params, forward, optional = _signature(fn, keywords)
    owner = f"{module}.{cls}" if cls else module
    name = f"_g_{module}_{cls}_{fn.name}"
    kw = "".join(f"        if {p} is not _N:\n            kw['{p}'] = _wrap({p})\n" for p in optional)
    return f"""
import {module}
_o{name} = {owner}.{fn.name}
def {name}({params}):
    was = LOCKED[0]
    if was:
        micropython.heap_unlock()
        LOCKED[0] = False
    try:
        kw = {{}}
{kw}        return _o{name}({forward}{', ' if forward else ''}**kw)
    finally:
        if was:
            micropython.heap_lock()
            LOCKED[0] = True
{owner}.{fn.name} = {name}
"""


def gates_module(present):
    """The MicroPython code that puts GATES around the fakes present in the folder."""
    out = [LOCK_RUNTIME]
    for module, cls, methods in GATES:
        if module not in present:
            continue
        with open(os.path.join(FAKES_DIR, module + ".py")) as f:
            tree = ast.parse(f.read())
        body = tree.body
        if cls:
            body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls).body
        fns = [n for n in body if isinstance(n, ast.FunctionDef)
               and not any(isinstance(d, ast.Name) and d.id == "property" for d in n.decorator_list)]
        chosen = [n for n in fns if (methods == "*" and not n.name.startswith("_")) or
                  (methods != "*" and n.name in methods)]
        assert methods == "*" or len(chosen) == len(methods), (module, cls, methods)
        seen = set()
        for fn in chosen:
            if fn.name not in seen:   # a setter after its getter: one gate
                seen.add(fn.name)
                out.append(_gate_code(module, cls, fn, KEYWORDS.get((module, cls, fn.name))))
    return "".join(out)


APP = """
import sys, os
import fake_machine
sys.modules['machine'] = fake_machine
import microlite, ml, camera, sensor
import vm_runner
if HIDE_TFLM:                               # a firmware without the tflm module
    import builtins
    _import = builtins.__import__
    def _no_tflm(name, *args):
        if name == 'tflm':
            raise ImportError("no module named 'tflm'")
        return _import(name, *args)
    builtins.__import__ = _no_tflm
microlite.runner = vm_runner.Runner
ml.runner = vm_runner.Runner
frames = sorted(n for n in os.listdir() if n.startswith('frame'))
current = [0]
def source(w, h, fmt):
    with open(frames[current[0]], 'rb') as f:
        return f.read()
camera.source = source
sensor.source = source
try:
    import csi
    csi.source = source
except ImportError:
    pass
import gates
import board
cam = board.camera
locked = [0]
class Camera:
    # the board's own camera; the heap is locked from the end of capture 1 on
    def __init__(self):
        self.c = cam()
        self.width, self.height, self.format = self.c.width, self.c.height, self.c.format
    def capture(self):
        n = current[0]
        if n >= len(frames):
            return None
        if gates.LOCKED[0]:
            locked[0] += 1
        f = self.c.capture()
        current[0] = n + 1
        if n == 1:
            gates.lock()
        return f
board.camera = Camera
import app
was = False                                 # (a new global would grow the locked heap)
app.main(board, 'model.blob')
was = gates.LOCKED[0]
if was:
    gates.unlock()
print('@locked', locked[0], was)
"""

VM_RUNNER = """
import tflm
class Runner:
    # the fakes' runner protocol on the firmware's own tflm module
    def __init__(self, model, arena):
        self.it = tflm.Interpreter(bytearray(model), arena if arena is not None else 10 * len(model))
        self.input_shape = tuple(self.it.input_shape)
        self.output_shape = tuple(self.it.output_shape)
        self.input_size = self.output_size = 1
        for d in self.input_shape:
            self.input_size *= d
        for d in self.output_shape:
            self.output_size *= d
        self.input_scale, self.input_zero_point = self.it.input_scale, self.it.input_zero_point
        self.output_scale, self.output_zero_point = self.it.output_scale, self.it.output_zero_point
        self.out = bytearray(self.output_size)
    def run(self, data):
        self.it.invoke(data, self.out)
        return bytes(self.out)
"""


def _cases():
    cases = []
    for board in ON_FAKES:
        info = INFO[board]
        if info.get("runtime") == "ml":          # OpenMV: its firmware versions
            cases += [(board, v, None) for v in OPENMV_FIRMWARES]
        else:
            cases += [(board, "5", d) for d in driver_products(info)]
    return cases


def case_id(case):
    board, openmv, drivers = case
    return board + "-" + ("openmv" + openmv if drivers is None else "-".join(drivers.values()))


def board_folder(folder, board, openmv, drivers, blob_path, frames):
    """The VM's working folder: firmware/app/*.py, board.py, the fakes this case has, the frames."""
    for f in os.listdir(FIRMWARE):
        if f.endswith(".py"):
            shutil.copy(os.path.join(FIRMWARE, f), folder)
    shutil.copy(os.path.join(ROOT, "boards", board, "board.py"), folder)
    old = OPENMV_FIRMWARES[openmv] < (4, 8)               # no csi module before 4.8
    camera, display, runtime = (drivers or {}).get("camera_driver", "lemariva"), \
        (drivers or {}).get("display_driver", "none"), (drivers or {}).get("runtime", "microlite")
    fakes = ["microlite", "omv", "image", "sensor", "display", "ml"] + ([] if old else ["csi"])
    if display != "none":
        fakes += [display, "st7789_controller"]
    for name in fakes:
        shutil.copy(os.path.join(FAKES_DIR, name + ".py"), folder)
    with open(os.path.join(folder, "omv.py"), "a") as f:
        f.write("version_major, version_minor, version_patch = %d, %d, %d\n" % OPENMV_FIRMWARES[openmv])
    shutil.copy(os.path.join(FAKES_DIR, "machine.py"), os.path.join(folder, "fake_machine.py"))
    shutil.copy(os.path.join(FAKES_DIR, f"camera_{camera}.py"), os.path.join(folder, "camera.py"))
    present = set(fakes) | {"camera_" + camera, "machine"}
    gates = gates_module(present).replace("import camera_%s\n" % camera, "import camera as camera_%s\n" % camera)
    gates = gates.replace("import machine\n", "import fake_machine as machine\n")
    (folder / "gates.py").write_text(gates)
    (folder / "vm_runner.py").write_text(VM_RUNNER)
    shutil.copy(blob_path, folder / "model.blob")
    (folder / "model.tflite").write_bytes(bytes(read(blob_path).model))   # OpenMV's file
    for n, frame in enumerate(frames):
        (folder / f"frame{n}.raw").write_bytes(frame)
    return APP.replace("HIDE_TFLM", str(runtime == "microlite"))


def classify_board(board, blob_path, paths):
    got = [q for _, q, _ in scores(read(blob_path), paths, workers=1, camera=INFO[board]["camera"])]
    return np.array(got, dtype=np.int8)


@pytest.mark.parametrize("case", _cases(), ids=case_id)
def test_board_module_frame_loop_runs_heap_locked_on_its_drivers(case, default_blob, tmp_path):
    board, openmv, drivers = case
    paths = [sample_path(n) for n in PHOTOS]
    spec = camera_spec(INFO[board], read(default_blob))
    frames = [camera_frame(open_image(p), *spec) for p in paths]
    out = run_micropython(board_folder(tmp_path, board, openmv, drivers, default_blob, frames), tmp_path)
    lines = out.splitlines()
    results = [json.loads(line[len("@result "):]) for line in lines if line.startswith("@result ")]
    assert [r["frame"] for r in results] == list(range(len(paths))), out[-2000:]
    # captures 2.. ran locked, and the heap was still locked when the app returned
    assert [line for line in lines if line.startswith("@locked ")] == [f"@locked {len(paths) - 2} True"]
    np.testing.assert_array_equal(np.array([r["scores"] for r in results], dtype=np.int8),
                                  classify_board(board, default_blob, paths))


@pytest.mark.parametrize("board", ON_FIRMWARE)
def test_firmware_board_frame_loop_runs_heap_locked(board, default_blob):
    paths = [sample_path(n) for n in PHOTOS]
    frames = vb.photo_frames([open_image(p) for p in paths], read(default_blob), board=board)
    run = vb.run_app(board, frames, default_blob, lock_heap=True)
    assert run.other == [], run.other[-10:]
    assert [heap["alloc"][1:] for heap in run.heaps] == [[0] * (len(paths) - 1)]
    np.testing.assert_array_equal(np.array([r["scores"] for r in run.results], dtype=np.int8),
                                  classify_board(board, default_blob, paths))
