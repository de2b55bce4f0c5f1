"""One source for each board fact, read by everything that needs it.

- The qemu_m7 memory map lives in firmware/recipe/qemu_m7/memory_map.h: the host's
  parser gives what the C compiler gives, boards/qemu_m7/board.py's generated copy
  equals it, the board's heap ends below the LCD ring, and no other host, board or
  test-support file writes one of its addresses.
- Pixel formats live in host_tools/data/pixels.py on the host; the device's own
  tables (firmware/app/preprocess.py, firmware/app/emuboard.py) and every board's camera
  (board.json, board.py, the camera fakes) agree with it.
"""
import ast
import glob
import os
import subprocess

import pytest

from tests.support import ROOT
from host_tools import UserError
from host_tools.data import pixels
from host_tools.firmware import memory_map as mm
from host_tools.infer.board_input import device_preprocess
from host_tools.device.boards import board_module_path
from tests.support.boards import ALL, INFO


def c_values(names):
    """The macros' values as the C compiler computes them."""
    src = '#include <stdio.h>\n#include "memory_map.h"\nint main(void) {\n' + "".join(
        f'    printf("%s %%lld\\n", (long long)({n}));\n' % n for n in names) + "    return 0;\n}\n"
    return src


def test_the_parsed_memory_map_equals_the_c_compilers(tmp_path):
    m = mm.memory_map()
    assert {"M7_HEAP_ADDR", "M7_LCD_ADDR", "M7_MODEL_ADDR", "M7_FRAMES_ADDR"} <= set(m)
    (tmp_path / "t.c").write_text(c_values(sorted(m)))
    exe = tmp_path / "t"
    subprocess.run(["cc", "-I", os.path.dirname(mm.HEADER), "-o", str(exe), str(tmp_path / "t.c")], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    assert {k: int(v) for k, v in (line.split() for line in out.splitlines())} == m


def test_board_py_carries_the_headers_addresses():
    with open(mm.BOARD_PY) as f:
        text = f.read()
    assert mm.generated_part(text) == mm.board_constants()


def test_a_changed_header_changes_the_generated_copy(tmp_path):
    # the drift check can fail: one address moved in a copy of the header
    with open(mm.HEADER) as f:
        header = f.read()
    moved = tmp_path / "memory_map.h"
    moved.write_text(header.replace("(0x60800000)", "(0x60900000)"))
    assert mm.memory_map(str(moved))["M7_LCD_ADDR"] == 0x60900000
    assert mm.board_constants(str(moved)) != mm.board_constants()


def test_the_boards_heap_ends_below_the_lcd_ring():
    mm.check_heap(INFO["qemu_m7"]["heap_bytes"])
    m = mm.memory_map()
    with pytest.raises(UserError, match="below M7_LCD_ADDR"):
        mm.check_heap(m["M7_LCD_ADDR"] - m["M7_HEAP_ADDR"] + 1)
    assert m["M7_LCD_ADDR"] + m["M7_LCD_BYTES"] <= m["M7_MODEL_ADDR"]
    assert m["M7_MODEL_ADDR"] + m["M7_MODEL_BYTES"] <= m["M7_FRAMES_ADDR"]


def test_no_other_file_writes_a_memory_map_address():
    addresses = {v for k, v in mm.memory_map().items() if k.endswith("_ADDR") and v >= 0x60000000}
    files = [f for d in ("host_tools", "boards", "bench", os.path.join("tests", "support"))
             for f in glob.glob(os.path.join(ROOT, d, "**", "*.py"), recursive=True)]
    files += glob.glob(os.path.join(ROOT, "boards", "*", "board.json"))
    found = []
    for path in files:
        with open(path) as f:
            text = f.read()
        if path == mm.BOARD_PY:
            text = text.replace(mm.generated_part(text) or "", "")
        found += [(os.path.relpath(path, ROOT), hex(a)) for a in addresses if hex(a) in text.lower()]
    assert found == []


def _literal(path, name):
    with open(path) as f:
        tree = ast.parse(f.read())
    return next(ast.literal_eval(n.value) for n in tree.body
                if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == name for t in n.targets))


def test_the_device_tables_equal_the_host_table():
    assert device_preprocess().BYTES_PER_PIXEL == pixels.BYTES_PER_PIXEL
    assert _literal(os.path.join(ROOT, "firmware", "app", "emuboard.py"), "FORMATS") == pixels.FORMATS
    assert set(pixels.FORMATS) == set(pixels.BYTES_PER_PIXEL)


@pytest.mark.parametrize("board", ALL)
def test_every_boards_camera_speaks_a_host_format(board):
    cam = INFO[board]["camera"]
    used = [cam[k] for k in ("format", "format_one_channel") if k in cam] + cam.get("formats", [])
    assert used and set(used) <= set(pixels.FORMATS)
    with open(board_module_path(board)) as f:
        tree = ast.parse(f.read())
    stated = [ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
              and any(getattr(t, "id", None) == "FRAME_FORMAT" for t in n.targets)
              and isinstance(n.value, ast.Constant)]
    assert set(stated) <= {cam["format"]}      # a board module that names its format names board.json's


def test_the_camera_fakes_deliver_host_formats():
    # the format names in the camera fakes' sources (their _FORMATS tables and source() calls)
    names = set()
    for path in glob.glob(os.path.join(ROOT, "host_tools", "emulate", "drivers", "*.py")):
        with open(path) as f:
            tree = ast.parse(f.read())
        names |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                  and (n.value.startswith("RGB565_") or n.value in ("RGB888", "GRAY"))}
    assert names and names <= set(pixels.FORMATS)
