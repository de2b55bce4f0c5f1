"""Reader for the model blob (docs/blob-format.md). Runs on MicroPython and CPython.

    import blobfmt
    blob = blobfmt.load("/model.blob")   # checks magic, version, size and CRC32
    blob.labels, blob.height, blob.width, blob.channels, blob.model
"""
import struct

try:
    from binascii import crc32
except ImportError:  # a port built without binascii.crc32
    crc32 = None

MAGIC = b"MPCB"
VERSION = 1
HEADER = "<4sHHIIIIII"  # magic, version, header size, payload size, crc32,
                         # model offset, model size, arena bytes, reserved
HEADER_SIZE = 32
META = "<HHHBBfifiHH"  # height, width, channels, in dtype, out dtype,
                        # in scale, in zero point, out scale, out zero point,
                        # classes, label table bytes
META_SIZE = 28
DTYPE_INT8 = 1
ALIGN = 16
MAX_LABEL_BYTES = 64


class BlobError(ValueError):
    pass


def _crc32_soft(data, crc=0):
    # Bitwise CRC-32 (IEEE), only for ports without binascii.crc32.
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def checksum(data):
    if crc32 is not None:
        return crc32(data) & 0xFFFFFFFF
    return _crc32_soft(data)


class Blob:
    def __init__(self, buf):
        buf = memoryview(buf)
        n = len(buf)
        if n < HEADER_SIZE:
            raise BlobError("blob truncated: %d bytes, the header alone is %d" % (n, HEADER_SIZE))
        (magic, version, hsize, psize, crc, moff, msize,
         arena, _) = struct.unpack_from(HEADER, buf, 0)
        if bytes(magic) != MAGIC:
            raise BlobError("not a model blob: magic %r, expected %r" % (bytes(magic), MAGIC))
        if version != VERSION:
            raise BlobError("unsupported blob version %d (this reader knows %d)" % (version, VERSION))
        if hsize < HEADER_SIZE:
            raise BlobError("bad header size %d (at least %d)" % (hsize, HEADER_SIZE))
        if n < hsize + psize:
            raise BlobError("blob truncated: %d bytes, header says %d" % (n, hsize + psize))
        got = checksum(buf[hsize:hsize + psize])
        if got != crc:
            raise BlobError("blob CRC mismatch: header says %08x, data gives %08x" % (crc, got))
        if moff % ALIGN or moff < hsize + META_SIZE or moff + msize > hsize + psize:
            raise BlobError("bad model offset %d / size %d" % (moff, msize))
        (self.height, self.width, self.channels, in_type, out_type,
         self.in_scale, self.in_zero, self.out_scale, self.out_zero,
         classes, table) = struct.unpack_from(META, buf, hsize)
        if in_type != DTYPE_INT8 or out_type != DTYPE_INT8:
            raise BlobError("only int8 input and output are supported")
        self.labels = _labels(buf, hsize + META_SIZE, table, classes)
        self.arena_size = arena
        self.model = buf[moff:moff + msize]
        self.version = version
        self.crc = crc

    def input_size(self):
        return self.height * self.width * self.channels


def _labels(buf, pos, table, classes):
    labels = []
    end = pos + table
    for _ in range(classes):
        if pos >= end:
            raise BlobError("label table ends early")
        k = buf[pos]
        if pos + 1 + k > end:
            raise BlobError("label table ends early")
        labels.append(bytes(buf[pos + 1:pos + 1 + k]).decode("utf-8"))
        pos += 1 + k
    return labels


def parse(buf):
    return Blob(buf)


def load(path):
    """Parse a blob file: in place when the filesystem maps files into memory
    (ROMFS: memoryview of the open file), otherwise read into one buffer."""
    f = open(path, "rb")
    try:
        buf = memoryview(f)   # ROMFS: the file's own bytes, no copy
    except TypeError:         # other filesystems, CPython
        buf = None
    if buf is not None:
        return Blob(buf)
    with f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(0)
        buf = bytearray(size)
        f.readinto(buf)
    return Blob(buf)
