"""Fit: whether a model fits a board's RAM and flash budget (boards/*/board.json
"budget"), and its latency estimated from the board's published figure.

    info = profile("models/vww_96.blob")     # what `inspect --json` prints
    ok, message = check_fit("models/vww_96.blob", "openmv_h7_plus")
"""
import hashlib
import json
import os

from .. import ROOT
from ..blob import read
from ..model.profile import REFERENCE_MACS, model_profile
from .boards import BOARDS_DIR, load_board, load_boards

MEASURED_DIR = os.path.join(ROOT, "build", "measured")   # written by host_tools/firmware/measure.py


def profile(blob_path, boards=None, arena=None):
    """Everything `inspect` reports about a blob, board table included.

    boards: board dicts to check (default: every boards/*/board.json).
    arena: (allocated, smallest) from measured_arena(), if the caller has them.
    """
    info = model_profile(blob_path, arena)
    info["boards"] = board_fit(info, boards)
    model = bytes(read(blob_path).model)
    for row in info["boards"]:   # figures `make bench` measured on an emulated board, if any
        m = measured_for(row["board"], model)
        if m:
            row["measured"] = m
    return info


def board_fit(info, boards=None):
    """One row per board: RAM and flash needed against its budget, estimated latency."""
    boards = load_boards() if boards is None else boards
    measured = max(info["arena_bytes"], info.get("arena_bytes_min", 0))
    rows = []
    for board in boards:
        budget, est = board["budget"], board["latency_estimate"]
        # The board's interpreter may copy the model (microlite does) and pad the arena.
        model_ram = info["model_bytes"] * budget.get("model_copies", 1) if budget["model_in_ram"] else 0
        arena = (measured + measured * budget.get("arena_margin_percent", 0) // 100
                 + budget.get("arena_extra_bytes", 0))
        ram = model_ram + arena + budget["app_ram_bytes"]
        ref = est.get("macs", REFERENCE_MACS)
        scale = info["macs"] / ref
        low, high = est.get("range_ms", [est["ms"], est["ms"]])
        rows.append({
            "board": board["name"],
            "ram": {"needed": ram, "budget": budget["ram_bytes"], "fits": ram <= budget["ram_bytes"],
                    "model": model_ram, "arena": arena, "app": budget["app_ram_bytes"]},
            "flash": {"needed": info["blob_bytes"], "budget": budget["flash_bytes"],
                      "fits": info["blob_bytes"] <= budget["flash_bytes"]},
            "fits": ram <= budget["ram_bytes"] and info["blob_bytes"] <= budget["flash_bytes"],
            "latency_ms_estimate": round(est["ms"] * scale, 1),
            "latency_range_ms_estimate": [round(low * scale, 1), round(high * scale, 1)],
            "latency_basis": (f"estimate: published {est['ms']} ms for MobileNetV1 0.25 96x96 "
                              f"({ref / 1e6:.2f} M MACs) scaled by this model's MACs; "
                              f"source: {est.get('basis', 'board.json')}"),
        })
    return rows


def fit_message(row):
    """One line: fits, or what does not fit and by how much."""
    ram, flash = row["ram"], row["flash"]
    if row["fits"]:
        return (f"{row['board']}: fits: RAM {ram['needed']:,} of {ram['budget']:,} bytes, "
                f"flash {flash['needed']:,} of {flash['budget']:,} bytes")
    problems = []
    if not ram["fits"]:
        problems.append(f"RAM needs {ram['needed']:,} bytes (model {ram['model']:,} + arena "
                        f"{ram['arena']:,} + app {ram['app']:,}), {ram['needed'] - ram['budget']:,} "
                        f"over its {ram['budget']:,}")
    if not flash["fits"]:
        problems.append(f"flash needs {flash['needed']:,} bytes for the blob, "
                        f"{flash['needed'] - flash['budget']:,} over its {flash['budget']:,}")
    return f"{row['board']}: does not fit: " + "; ".join(problems)


def check_fit(blob_path, board_name, boards_dir=BOARDS_DIR):
    """(ok, one-line message) for deploying this blob to that board.

    An unknown board name is a UserError, not a misfit.
    """
    board = load_board(board_name, boards_dir)
    row = profile(blob_path, boards=[board])["boards"][0]
    return row["fits"], fit_message(row)


def measured_for(board, model):
    """The saved figures for this board and model bytes, or None."""
    try:
        with open(os.path.join(MEASURED_DIR, f"{board}.json")) as f:
            m = json.load(f)
    except (OSError, ValueError):
        return None
    return m if m.get("model_sha256") == hashlib.sha256(bytes(model)).hexdigest() else None
