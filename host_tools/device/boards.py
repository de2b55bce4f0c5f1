"""The board registry: one loader of every board's data file, read by flash, emulate,
the studio and the tests.

The boards are the folders of boards/ with a board.json (and a board.py); the host
emulator board, which runs the app on CPython, lives with the emulation
(host_tools/emulate/host_board/) and is named "host". Per-board facts come from the
file: "budget" and "latency_estimate" (the fit table), "no_flash": the reason
`flash` refuses it (a board without a serial line: nothing to flash).
"""
import json
import os

from .. import ROOT, UserError

BOARDS_DIR = os.path.join(ROOT, "boards")
HOST_BOARD = "host"
HOST_BOARD_DIR = os.path.join(ROOT, "host_tools", "emulate", "host_board")
_BUDGET_KEYS = ("ram_bytes", "app_ram_bytes", "flash_bytes", "model_in_ram")


def board_folder(name, boards_dir=BOARDS_DIR):
    """The folder holding the board's board.json and board.py."""
    return HOST_BOARD_DIR if name == HOST_BOARD else os.path.join(boards_dir, name)


def board_names(boards_dir=BOARDS_DIR, host=False):
    """The folders of boards_dir with a board.json, sorted; host=True adds the host emulator board."""
    try:
        names = os.listdir(boards_dir)
    except OSError:
        names = []
    found = {n for n in names if os.path.isfile(os.path.join(boards_dir, n, "board.json"))}
    return sorted(found | ({HOST_BOARD} if host else set()))


def board_info(name, boards_dir=BOARDS_DIR):
    """The board's data file as a dict; UserError naming the boards if there is none."""
    names = board_names(boards_dir, host=True)
    if name not in names:
        raise UserError(f"unknown board {name!r}; boards: {', '.join(names)}")
    with open(os.path.join(board_folder(name, boards_dir), "board.json")) as f:
        return json.load(f)


def board_module_path(name, boards_dir=BOARDS_DIR):
    return os.path.join(board_folder(name, boards_dir), "board.py")


def no_flash_reason(name):
    """Why `flash` refuses this board (board.json "no_flash"), or None when it takes a deploy."""
    return board_info(name).get("no_flash")


def _load(path):
    try:
        with open(path, encoding="utf-8") as f:
            board = json.load(f)
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: cannot read board data ({e})") from None
    budget = board.get("budget")
    missing = [k for k in _BUDGET_KEYS if not isinstance(budget, dict) or k not in budget]
    if missing:
        raise UserError(f"{path}: budget lacks {', '.join(missing)}")
    if "ms" not in board.get("latency_estimate", {}):
        raise UserError(f"{path}: latency_estimate lacks ms")
    board.setdefault("name", os.path.basename(os.path.dirname(path)))
    return board


def load_board(name, boards_dir=BOARDS_DIR):
    """The board's data, checked for the budget and latency figures fit needs."""
    names = board_names(boards_dir)
    if name not in names:
        raise UserError(f"unknown board {name!r}; known: {', '.join(names) or 'none'}")
    return _load(os.path.join(boards_dir, name, "board.json"))


def load_boards(boards_dir=BOARDS_DIR):
    return [load_board(n, boards_dir) for n in board_names(boards_dir)]
