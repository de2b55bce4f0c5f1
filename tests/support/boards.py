"""The board list for tests, from the registry (host_tools/device/boards.py): every
folder of boards/ with a board.json, and the host emulator board.

    ALL           every board
    ON_FAKES      real boards: board.py runs on the emulated drivers (host_tools/emulate/drivers)
    ON_FIRMWARE   the project's own firmware runs the app (board.json has firmware_image)
    HOST          the CPython emulator board (runtime "cpython")
"""
from host_tools.device.boards import board_info, board_names

ALL = board_names(host=True)
INFO = {n: board_info(n) for n in ALL}
HOST = [n for n in ALL if INFO[n].get("runtime") == "cpython"]
ON_FIRMWARE = [n for n in ALL if "firmware_image" in INFO[n]]
ON_FAKES = [n for n in ALL if n not in HOST and n not in ON_FIRMWARE]
