"""Helpers for the studio's attack tests: a snapshot of a folder, raw HTTP over a socket, photos.

The `guarded` fixture is the studio fixture plus a sentinel folder beside the
photo and output folders: after the test nothing under tmp_path but the
photos and out folders may have changed, and the studio must still answer.
"""
import hashlib
import io
import os
import socket
import stat

import numpy as np
import pytest
from PIL import Image

from tests.support import DATASET

MICE = os.path.join(DATASET, "train")


def snapshot(root, skip=()):
    """{relative path: (kind, digest or target)} for everything under root (links not followed)."""
    out = {}
    for d, dirs, files in os.walk(root):
        dirs[:] = [n for n in dirs if os.path.join(d, n) not in skip]
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[os.path.relpath(p, root)] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    out[os.path.relpath(p, root)] = ("file", hashlib.sha256(f.read()).hexdigest())
            else:
                out[os.path.relpath(p, root)] = ("dir" if stat.S_ISDIR(st.st_mode) else "other", None)
    return out


@pytest.fixture
def guarded(studio, tmp_path):
    """The studio, a sentinel folder with a file, and the checks made after the test."""
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "victim.txt").write_text("keep me\n")
    (sentinel / "keep.jpg").write_bytes(mouse()[1])
    skip = {str(tmp_path / "photos"), str(tmp_path / "out")}
    before = snapshot(str(tmp_path), skip)
    studio.sentinel = sentinel
    yield studio
    assert snapshot(str(tmp_path), skip) == before, "something outside the photo and output folders changed"
    status, body = studio.client.get("/api/dataset")
    assert status == 200 and "classes" in body, "the studio no longer answers normally"


def mouse(label="black", i=0):
    path = os.path.join(MICE, label, sorted(os.listdir(os.path.join(MICE, label)))[i])
    with open(path, "rb") as f:
        return os.path.basename(path), f.read()


def png_bytes(width, height, mode="L"):
    """A flat image of width x height as PNG (a huge one compresses to little)."""
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width), 90, np.uint8), mode).save(buf, "PNG", compress_level=9)
    return buf.getvalue()


def raw_request(studio, head, body=b"", read=True):
    """Send head (str, CRLF lines, without the blank line) and body over a socket: (status, text)."""
    with socket.create_connection((studio.host, studio.port), timeout=30) as s:
        s.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n\r\n" + body)
        return read_answer(s) if read else None


def read_answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:   # (closed with our bytes unread: what was answered is lost)
            break
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head else 0
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest.decode("utf-8", "replace")


def headers(studio, path, token=False):
    """The answer's headers for GET path (lower-case names)."""
    import urllib.request
    req = urllib.request.Request(studio.url.rstrip("/") + path)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return {k.lower(): v for k, v in e.headers.items()}


def bomb_png(width, height):
    """A PNG whose header claims width x height pixels, with almost no data: a decompression bomb's shape."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
