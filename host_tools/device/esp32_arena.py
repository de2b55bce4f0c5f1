"""The tensor arena the ESP32 boards give the interpreter: the blob's figure (measured
with the reference kernels) plus budget.arena_extra_bytes of their board.json, which
host_tools/firmware/espnn.py measures with the ESP32-S3's kernels."""
import struct

from ..device_code import blobfmt
from .boards import board_info


def board_extra(board):
    """budget.arena_extra_bytes of an ESP32 board's board.json."""
    return board_info(board)["budget"]["arena_extra_bytes"]


def esp32_arena(blob_arena, board="esp32s3_eye"):
    """The arena an ESP32 board gives the interpreter for a blob whose header records blob_arena."""
    return blob_arena + board_extra(board)


def esp32_blob(blob_bytes, board="esp32s3_eye"):
    """The blob with its header's arena field (outside the CRC) set to the arena the ESP32
    board gives the interpreter: the app on the unix firmware then allocates what the
    ESP32 allocates."""
    off = struct.calcsize(blobfmt.HEADER[:-2])   # the arena field is the last but one
    (arena,) = struct.unpack_from("<I", blob_bytes, off)
    return blob_bytes[:off] + struct.pack("<I", esp32_arena(arena, board)) + blob_bytes[off + 4:]
