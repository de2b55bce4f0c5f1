"""The blob format: round trips, and every corruption refused with its reason."""
import os
import struct
import zlib

import numpy as np
import pytest

from conftest import run_cli
from host_tools import UserError
from host_tools.blob import pack, read
from host_tools.device_code import blobfmt


def test_unpack_gives_back_exactly_what_was_packed(default_blob, tmp_path):
    status, _, err = run_cli("unpack", default_blob, str(tmp_path))
    assert status == 0, err
    model = (tmp_path / "model.tflite").read_bytes()
    labels = (tmp_path / "labels.txt").read_text()
    assert labels == "person\nnon_person\n"
    original = read(default_blob)
    assert model == bytes(original.model)
    status, _, err = run_cli("pack", str(tmp_path / "model.tflite"), str(tmp_path / "labels.txt"),
                             "-o", str(tmp_path / "again.blob"))
    assert status == 0, err
    assert (tmp_path / "again.blob").read_bytes() == open(default_blob, "rb").read()


def test_layout_matches_the_spec(default_blob):
    data = open(default_blob, "rb").read()
    magic, version, hsize, psize, crc, moff, msize, arena, _ = struct.unpack_from("<4sHHIIIIII", data)
    assert (magic, version, hsize) == (b"MPCB", 1, 32)
    assert hsize + psize == len(data)
    assert crc == zlib.crc32(data[32:])
    assert moff % 16 == 0 and moff + msize == len(data)
    assert data[moff + 4:moff + 8] == b"TFL3"  # flatbuffer identifier
    assert 100_000 < arena < 110_000


def test_software_crc_equals_zlib_on_real_bytes(default_blob):
    data = open(default_blob, "rb").read()[:5000]
    assert blobfmt._crc32_soft(data) == zlib.crc32(data)


def _corrupt(data, how):
    data = bytearray(data)
    if how == "magic":
        data[0:4] = b"NOPE"
    elif how == "version":
        data[4:6] = struct.pack("<H", 9)
    elif how == "crc":
        data[len(data) // 2] ^= 0xFF
    elif how == "truncated":
        del data[-100:]
    elif how == "tiny":
        del data[10:]
    return bytes(data)


@pytest.mark.parametrize("how, message", [
    ("magic", "not a model blob"),
    ("version", "unsupported blob version 9"),
    ("crc", "CRC mismatch"),
    ("truncated", "truncated"),
    ("tiny", "truncated"),
])
def test_corrupt_blobs_are_refused_with_the_reason(default_blob, tmp_path, how, message):
    bad = tmp_path / "bad.blob"
    bad.write_bytes(_corrupt(open(default_blob, "rb").read(), how))
    status, out, err = run_cli("classify", "--model", str(bad), __file__)
    assert status != 0
    assert message in err and str(bad) in err
    assert "Traceback" not in err and out == ""


def test_labels_are_checked(default_blob):
    model = bytes(read(default_blob).model)
    with pytest.raises(UserError, match="at most 64"):
        pack(model, ["x" * 65, "y"])
    with pytest.raises(UserError, match="unique"):
        pack(model, ["a", "a"])
    with pytest.raises(UserError, match="2 outputs but 3 labels"):
        pack(model, ["a", "b", "c"])


def test_unicode_labels_round_trip(default_blob):
    model = bytes(read(default_blob).model)
    blob = blobfmt.parse(pack(model, ["persönlich", "猫"]))
    assert blob.labels == ["persönlich", "猫"]
    np.testing.assert_array_equal(np.frombuffer(blob.model, np.uint8), np.frombuffer(model, np.uint8))


def test_inspect_reports_sizes_and_measured_arena(default_blob):
    import json
    status, out, err = run_cli("inspect", default_blob, "--json")
    assert status == 0, err
    info = json.loads(out)
    assert info["labels"] == ["person", "non_person"]
    assert info["input"] == {"shape": [96, 96, 3], "dtype": "int8", "scale": 1.0, "zero_point": -128}
    assert info["model_bytes"] + 80 == info["blob_bytes"] == os.path.getsize(default_blob)
    assert info["arena_bytes"] == info["arena_bytes_recorded_in_blob"]
