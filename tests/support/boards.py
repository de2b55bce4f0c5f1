"""The board list for tests, from the files: every folder of boards/ with a board.json.

    ALL           every board
    ON_FAKES      real boards: board.py runs on the emulated drivers (boards/fakes)
    ON_FIRMWARE   the project's own firmware runs the app (board.json has firmware_image)
    HOST          the CPython emulator board (runtime "cpython")
"""
import glob
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _infos():
    infos = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "boards", "*", "board.json"))):
        with open(path) as f:
            infos[os.path.basename(os.path.dirname(path))] = json.load(f)
    return infos


INFO = _infos()
ALL = sorted(INFO)
HOST = [n for n in ALL if INFO[n].get("runtime") == "cpython"]
ON_FIRMWARE = [n for n in ALL if "firmware_image" in INFO[n]]
ON_FAKES = [n for n in ALL if n not in HOST and n not in ON_FIRMWARE]
