"""The blob format: round trips, and every corruption refused with its reason."""
import os
import struct
import zlib

import numpy as np
import pytest

from tests.support import reference, run_cli
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


def test_header_arena_is_what_tflite_micro_records(default_blob, tmp_path):
    """The arena in the header is the total tflite-micro's Python runtime reports for the
    blob's own model; the device's tflite-micro (the unix firmware) allocates within it."""
    data = open(default_blob, "rb").read()
    moff, msize, arena = struct.unpack_from("<III", data, 16)
    model = tmp_path / "model.tflite"
    model.write_bytes(data[moff:moff + msize])
    assert arena == reference.tflm_recorded_arena(model)
    assert 0 < reference.unix_firmware_arena(model, arena) <= arena


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


def test_check_labels_rules():
    from host_tools.blob import check_labels
    assert check_labels([b"cat", "猫", "x" * 64, "persönlich".encode()]) == ["cat", "猫", "x" * 64, "persönlich"]
    for bad, rule in ((b"\xff\xfe", "not valid UTF-8"), ("", "must be one non-empty line"),
                      ("a\nb", "must be one non-empty line"), ("a\rb", "must be one non-empty line"),
                      ("é" * 33, "66 bytes in UTF-8, at most 64 fit in the blob")):
        with pytest.raises(UserError) as e:
            check_labels(["ok", bad])
        assert rule in str(e.value) and repr(bad if isinstance(bad, bytes) else bad) in str(e.value), bad


def test_read_errors_name_the_file(default_blob, tmp_path):
    with pytest.raises(UserError, match=f"^{tmp_path}/none.blob: no such model blob"):
        read(str(tmp_path / "none.blob"))
    with pytest.raises(UserError, match=f"^{tmp_path}: is a directory, not a model blob$"):
        read(str(tmp_path))
    bad = tmp_path / "bad.blob"
    bad.write_bytes(_corrupt(open(default_blob, "rb").read(), "crc"))
    with pytest.raises(UserError, match=f"^{bad}: .*CRC mismatch"):
        read(str(bad))


def _tflite(shape, out_shape, int8_out=True):
    """A small converted model of any input and output shape (int8 input; int8 or float output)."""
    import keras
    import tensorflow as tf
    from keras import layers
    keras.utils.set_random_seed(5)
    inp = keras.Input(shape, batch_size=1)
    x = layers.Dense(int(np.prod(out_shape)))(layers.Flatten()(inp) if len(shape) > 1 else inp)
    model = keras.Model(inp, layers.Reshape(out_shape)(x) if len(out_shape) > 1 else x)
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    fn = tf.function(lambda v: model(v)).get_concrete_function(tf.TensorSpec((1, *shape), tf.float32))
    conv = tf.lite.TFLiteConverter.from_concrete_functions([convert_variables_to_constants_v2(fn)])
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: ([rng.uniform(0, 255, (1, *shape)).astype(np.float32)] for _ in range(4))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8 if int8_out else tf.float32
    return conv.convert()


def test_pack_reads_the_models_own_shape_and_refuses_what_the_device_cannot_run():
    model = _tflite((12, 8, 3), (3,))  # not square: height and width must not be swapped
    data = pack(model, ["a", "b", "c"])
    blob = blobfmt.parse(data)
    assert (blob.height, blob.width, blob.channels, len(blob.labels)) == (12, 8, 3, 3)
    assert struct.unpack_from("<II", data, 24) == (0, 0)  # no arena given: 0; the reserved word: 0
    for bad, message in ((_tflite((12, 8, 3), (3,), int8_out=False), "model: input and output must be int8"),
                         (_tflite((8,), (3,)), "model: input shape must be (1, H, W, C); got (1, 8)"),
                         (_tflite((4, 4, 1), (1, 3)), "model: output shape must be (1, classes); got (1, 1, 3)")):
        with pytest.raises(UserError) as e:
            pack(bad, ["a", "b", "c"])
        assert str(e.value).startswith(message)


def test_unpack_and_read_labels_in_process(default_blob, tmp_path):
    from host_tools.blob import read_labels, unpack
    out = tmp_path / "new" / "folder"  # made as needed
    b = unpack(default_blob, str(out))
    assert sorted(os.listdir(out)) == ["labels.txt", "model.tflite"]  # no temporary file left
    assert (out / "model.tflite").read_bytes() == bytes(b.model) == bytes(read(default_blob).model)
    assert (out / "labels.txt").read_bytes() == b"person\nnon_person\n"
    assert read_labels(str(out / "labels.txt")) == ["person", "non_person"]
    (out / "labels.txt").write_text("stale\n")
    unpack(default_blob, str(out))  # into a folder that exists: its files are replaced
    assert (out / "labels.txt").read_bytes() == b"person\nnon_person\n"
    (tmp_path / "blank.txt").write_bytes("a\n\nb\r\nc".encode())
    assert read_labels(str(tmp_path / "blank.txt")) == ["a", "b", "c"]
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(UserError, match=f"^{tmp_path}/latin1.txt: labels are not valid UTF-8$"):
        read_labels(str(tmp_path / "latin1.txt"))
    with pytest.raises(UserError, match=f"^{tmp_path}/none.txt: cannot read labels \\(No such file or directory\\)$"):
        read_labels(str(tmp_path / "none.txt"))


def test_write_atomic_leaves_no_partial_file_when_the_rename_fails(tmp_path):
    from host_tools.blob import write_atomic
    (tmp_path / "taken").mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(OSError):
        write_atomic(str(tmp_path / "taken"), b"data")
    assert sorted(os.listdir(tmp_path)) == ["taken"] and os.listdir(tmp_path / "taken") == []
