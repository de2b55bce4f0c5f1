"""A MicroPython ROMFS image (vfs.VfsRom) of flat files, each file's data 16-byte aligned.

    image = romfs_image({"main.py": b"...", "model.blob": blob_bytes})

Loaded at an aligned address, every file's bytes are aligned too, so the board
can hand the model to tflite-micro in place (a memoryview of the open file).
Format: MicroPython's extmod/vfs_rom.c; every number is a varuint, which may be
padded with leading 0x80 bytes, and that padding moves each file's data onto its
alignment.
"""
_HEADER = b"\xd2\xcd\x31"   # the ROMFS record kind, encoded
_FILE = 5
_VERBATIM = 2
_PADDING = 1
_LEN_WIDTH = 4               # the image's length varuint, padded to a fixed width
ALIGN = 16


def _uint(value, width=1):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.insert(0, 0x80 | (value & 0x7F))
        value >>= 7
    return bytes([0x80] * (width - len(out)) + out)


def _file_record(name, data, at, align):
    """The record of one file starting at image offset `at`, its data aligned."""
    raw = name.encode("ascii")
    for pad in range(align):
        head = _uint(len(raw)) + raw + _uint(_VERBATIM) + _uint(len(data), len(_uint(len(data))) + pad)
        body = head + data
        record_head = _uint(_FILE) + _uint(len(body))
        if (at + len(record_head) + len(head)) % align == 0:
            return record_head + body
    raise AssertionError("no padding aligns the data")


def romfs_image(files, align=ALIGN):
    """The image (bytes) holding files ({name: bytes}, flat, names in ASCII)."""
    body = bytearray()
    start = len(_HEADER) + _LEN_WIDTH
    for name in sorted(files):
        body += _file_record(name, bytes(files[name]), start + len(body), align)
    if (start + len(body)) % 2:   # the whole record must have an even size
        body += _uint(_PADDING) + _uint(1) + b"\0"
    return _HEADER + _uint(len(body), _LEN_WIDTH) + bytes(body)
