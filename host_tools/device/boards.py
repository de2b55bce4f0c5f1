"""Board data files (boards/*/board.json), read-only: budgets and latency figures."""
import json
import os

from .. import ROOT, UserError

BOARDS_DIR = os.path.join(ROOT, "boards")
_BUDGET_KEYS = ("ram_bytes", "app_ram_bytes", "flash_bytes", "model_in_ram")


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


def board_names(boards_dir=BOARDS_DIR):
    """Folders with a board.json, except the host emulator (it has no budget)."""
    try:
        names = sorted(os.listdir(boards_dir))
    except OSError:
        return []
    return [n for n in names
            if n != "host" and os.path.isfile(os.path.join(boards_dir, n, "board.json"))]


def load_board(name, boards_dir=BOARDS_DIR):
    names = board_names(boards_dir)
    if name not in names:
        raise UserError(f"unknown board {name!r}; known: {', '.join(names) or 'none'}")
    return _load(os.path.join(boards_dir, name, "board.json"))


def load_boards(boards_dir=BOARDS_DIR):
    return [load_board(n, boards_dir) for n in board_names(boards_dir)]
