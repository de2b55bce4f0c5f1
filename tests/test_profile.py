"""`inspect` / host_tools.model.profile: arena, MACs, ops and board fit, checked independently."""
import json

import numpy as np
import pytest

from host_tools import UserError
from host_tools.blob import pack, read
from tests.support import reference, run_cli
from host_tools.device.fit import board_fit, check_fit, fit_message, profile


def _mobilenet_v1_macs(size=96, alpha=0.25, classes=2):
    """The paper's table (Howard et al. 2017), counted by hand: conv, then 13 dw/pw blocks."""
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
              (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
    side, channels = size // 2, int(32 * alpha)
    macs = side * side * channels * 3 * 3 * 3
    for filters, stride in blocks:
        side //= stride
        macs += side * side * channels * 3 * 3  # depthwise 3x3
        filters = int(filters * alpha)
        macs += side * side * filters * channels  # pointwise 1x1
        channels = filters
    return macs + channels * classes


@pytest.fixture(scope="module")
def default_info(default_blob):
    status, out, err = run_cli("inspect", "--json", default_blob)
    assert status == 0, err
    return json.loads(out)


def test_default_model_arena_figures_agree(default_info, default_blob, tmp_path):
    info = default_info
    assert abs(info["arena_bytes"] - info["arena_bytes_min"]) <= 1024
    assert info["arena_bytes_min"] <= info["arena_bytes"] == info["arena_bytes_recorded_in_blob"]
    model = tmp_path / "model.tflite"
    model.write_bytes(bytes(read(default_blob).model))
    assert info["arena_bytes"] == reference.tflm_recorded_arena(model)  # tflite-micro's own report


def test_default_model_macs_ops_and_quantization(default_info):
    info = default_info
    assert info["macs"] == _mobilenet_v1_macs()
    assert abs(info["macs"] - 7.49e6) < 0.01e6  # the published figure
    ops = {o["op"]: o["count"] for o in info["ops"]}
    assert ops["CONV_2D"] == 14 and ops["DEPTHWISE_CONV_2D"] == 13 and ops["FULLY_CONNECTED"] == 1
    assert info["input"]["scale"] == 1.0 and info["input"]["zero_point"] == -128
    assert info["output"]["dtype"] == "int8" and info["output"]["classes"] == 2


def test_default_model_fits_every_board(default_info):
    rows = default_info["boards"]
    assert {r["board"] for r in rows} >= {"esp32s3_eye", "openmv_h7_plus", "xiao_esp32s3_sense"}
    assert "host" not in {r["board"] for r in rows}
    for r in rows:
        assert r["fits"], fit_message(r)
        assert r["latency_ms_estimate"] > 0 and r["latency_basis"].startswith("estimate")


def test_text_report_has_the_table(default_blob):
    status, out, err = run_cli("inspect", default_blob)
    assert status == 0, err
    assert "MACs:" in out and "smallest that runs" in out and "openmv_h7_plus" in out
    assert "estimate" in out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny Keras model, converted to int8 and packed: (blob path, Keras model)."""
    import keras
    from keras import layers
    from host_tools.model.quantize import to_int8_tflite
    keras.utils.set_random_seed(3)
    inp = keras.Input((20, 20, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.DepthwiseConv2D(5, padding="same", activation="relu")(x)
    x = layers.Conv2D(6, 1, activation="relu")(x)
    x = layers.DepthwiseConv2D(3, strides=2, padding="valid")(x)
    x = layers.Flatten()(x)
    out = layers.Dense(3)(x)
    model = keras.Model(inp, out)
    calibration = np.random.default_rng(0).integers(0, 256, (8, 20, 20, 3), dtype=np.uint8)
    path = tmp_path_factory.mktemp("tiny") / "tiny.blob"
    path.write_bytes(pack(to_int8_tflite(model, calibration), ["a", "b", "c"]))
    return str(path), model


def _keras_macs(model):
    from keras import layers
    total = 0
    for layer in model.layers:
        out = int(np.prod(layer.output.shape[1:]))
        if isinstance(layer, layers.DepthwiseConv2D):
            kh, kw = layer.kernel_size
            total += out * kh * kw
        elif isinstance(layer, layers.Conv2D):
            kh, kw = layer.kernel_size
            total += out * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return total


def test_tiny_model_macs_ops_and_arena(tiny):
    path, model = tiny
    info = profile(path, boards=[])
    assert info["macs"] == _keras_macs(model)
    ops = {o["op"]: o["count"] for o in info["ops"]}
    assert (ops["CONV_2D"], ops["DEPTHWISE_CONV_2D"], ops["FULLY_CONNECTED"]) == (2, 2, 1)
    assert sum(o["macs"] for o in info["ops"]) == info["macs"]
    assert 0 < info["arena_bytes_min"] <= info["arena_bytes"]
    assert info["arena_bytes"] - info["arena_bytes_min"] <= 1024
    assert info["boards"] == []


def _board(name, ram, flash, app=1000, in_ram=True, ms=100, macs=None):
    est = {"ms": ms, "range_ms": [ms, 2 * ms], "basis": "made up for a test"}
    if macs:
        est["macs"] = macs
    return {"name": name, "budget": {"ram_bytes": ram, "app_ram_bytes": app, "flash_bytes": flash,
                                     "model_in_ram": in_ram}, "latency_estimate": est}


INFO = {"model_bytes": 50_000, "blob_bytes": 50_080, "arena_bytes": 20_000,
        "arena_bytes_min": 19_990, "macs": 1_000_000}


def test_board_fit_reports_what_does_not_fit_and_by_how_much():
    need = 50_000 + 20_000 + 1000  # model in RAM + the larger arena figure + app
    roomy, tight_ram, tight_flash, rom = board_fit(INFO, [
        _board("roomy", need, 50_080),
        _board("tight_ram", need - 1, 10**6),
        _board("tight_flash", 10**6, 50_079),
        _board("rom", need - 50_000, 10**6, in_ram=False),  # runs the model in place
    ])
    assert roomy["fits"] and roomy["ram"]["needed"] == need
    assert rom["fits"] and rom["ram"]["needed"] == need - 50_000
    assert not tight_ram["fits"] and tight_ram["flash"]["fits"]
    assert not tight_flash["fits"] and tight_flash["ram"]["fits"]
    msg = fit_message(tight_ram)
    assert msg.startswith("tight_ram: does not fit: RAM") and "1 over" in msg and "flash" not in msg
    msg = fit_message(tight_flash)
    assert "flash needs 50,080 bytes" in msg and "1 over its 50,079" in msg and "RAM" not in msg
    assert "\n" not in msg


def test_latency_is_scaled_by_macs():
    row, = board_fit(INFO, [_board("b", 10**7, 10**7, ms=80, macs=2_000_000)])
    assert row["latency_ms_estimate"] == 40
    assert row["latency_range_ms_estimate"] == [40, 80]
    assert "estimate" in row["latency_basis"] and "made up for a test" in row["latency_basis"]


def test_check_fit_with_board_files(default_blob, default_info, tmp_path):
    """Real board files in a temporary boards folder: one with exactly the RAM the default
    model needs (model in RAM + arena + app), one a byte short, one with a byte too little flash."""
    info = default_info
    need = info["model_bytes"] + info["arena_bytes"] + 1000
    boards = {"exact": (need, info["blob_bytes"]), "short": (need - 1, 10**7),
              "small_flash": (10**7, info["blob_bytes"] - 1)}
    for name, (ram, flash) in boards.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "board.json").write_text(json.dumps(_board(name, ram, flash, app=1000)))
    ok, msg = check_fit(default_blob, "exact", boards_dir=str(tmp_path))
    assert ok and msg.startswith("exact: fits"), msg
    ok, msg = check_fit(default_blob, "short", boards_dir=str(tmp_path))
    assert not ok and msg.startswith(f"short: does not fit: RAM needs {need:,} bytes") and "1 over" in msg, msg
    ok, msg = check_fit(default_blob, "small_flash", boards_dir=str(tmp_path))
    assert not ok and f"flash needs {info['blob_bytes']:,} bytes" in msg and "1 over" in msg, msg
    with pytest.raises(UserError, match="unknown board 'nope'; known: exact, short, small_flash"):
        check_fit(default_blob, "nope", boards_dir=str(tmp_path))
