"""The qemu_m7 firmware's memory map, read from its one source, the C header
firmware/recipe/qemu_m7/memory_map.h.

    m = memory_map()               # {"M7_FRAMES_ADDR": its value, ...}
    m["M7_LCD_ADDR"]

boards/qemu_m7/board.py cannot read the header on the device, so it carries a
generated copy of the addresses it uses, between two marker lines;
`python -m host_tools.firmware.memory_map` rewrites it, and a test fails when it
differs from board_constants().
"""
import ast
import functools
import operator
import os
import re
import sys

from .. import ROOT, UserError

HEADER = os.path.join(ROOT, "firmware", "recipe", "qemu_m7", "memory_map.h")
BOARD_PY = os.path.join(ROOT, "boards", "qemu_m7", "board.py")
BEGIN = "# --- generated from firmware/recipe/qemu_m7/memory_map.h (python -m host_tools.firmware.memory_map)"
END = "# --- end of the generated part"
# board.py's names for the header's
BOARD_NAMES = (("_FRAMES", "M7_FRAMES_ADDR"), ("_FRAMES_MAX", "M7_FRAMES_BYTES"),
               ("_LCD", "M7_LCD_ADDR"), ("_LCD_MAX", "M7_LCD_BYTES"))

_DEFINE = re.compile(r"^#define\s+(M7_\w+)\s+(.+?)\s*(//.*)?$")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.LShift: operator.lshift}


def _value(node, name):
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_value(node.left, name), _value(node.right, name))
    raise UserError(f"{HEADER}: {name} must be an integer expression of + - * <<")


@functools.lru_cache(maxsize=None)
def memory_map(path=HEADER):
    """{macro: int} of the header's #define M7_... lines."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise UserError(f"{path}: cannot read the qemu_m7 memory map ({e.strerror})") from None
    out = {}
    for line in lines:
        m = _DEFINE.match(line.strip())
        if m and m.group(1) != "M7_MEMORY_MAP_H":
            out[m.group(1)] = _value(ast.parse(m.group(2), mode="eval").body, m.group(1))
    return out


def check_heap(heap_bytes, path=HEADER):
    """The GC heap of heap_bytes must end below the LCD ring."""
    m = memory_map(path)
    room = m["M7_LCD_ADDR"] - m["M7_HEAP_ADDR"]
    if not 0 < heap_bytes <= room:
        raise UserError(f"qemu_m7: heap_bytes must be 1 to {room:,} (below M7_LCD_ADDR); got {heap_bytes:,}")


def board_constants(path=HEADER):
    """The generated part of boards/qemu_m7/board.py, marker lines included."""
    m = memory_map(path)
    body = "".join(f"{name} = const(0x{m[macro]:08X})   # {macro}\n" for name, macro in BOARD_NAMES)
    return f"{BEGIN}\n{body}{END}\n"


def generated_part(text):
    """The marker-delimited part of a board.py text, or None."""
    start = text.find(BEGIN)
    end = text.find(END, start)
    if start < 0 or end < 0:
        return None
    return text[start:text.index("\n", end) + 1]


def write_board(path=BOARD_PY):
    """Rewrite the generated part of board.py from the header (through a temporary name)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    old = generated_part(text)
    if old is None:
        raise UserError(f"{path}: no generated part (the line {BEGIN!r})")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text.replace(old, board_constants()))
    os.replace(tmp, path)


if __name__ == "__main__":
    try:
        write_board()
    except UserError as e:
        sys.exit(f"memory_map: {e}")
    print(f"wrote {os.path.relpath(BOARD_PY)}")
