"""`flash` and `monitor` against a fake MicroPython board on a pseudo-terminal.

The fake (tests/support/fakedevice.py) serves the raw REPL and raw-paste mode the
way MicroPython does and runs what mpremote sends against a temporary folder, so
the real `flash` command drives it exactly as it would drive a board.
"""
import hashlib
import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from tests.support import ROOT, run_cli
from host_tools import UserError
from host_tools.emulate import board_emulation as be
from host_tools.device import flash as fl
from host_tools.blob import pack, read
from host_tools.infer.classify import classify
from tests.support.fakedevice import FakeDevice, mpy_value
from host_tools.data.samples import sample_path

APP = ["app.mpy", "blobfmt.mpy", "board.mpy", "capture.mpy", "esp32cam.mpy", "main.py", "model.blob", "postprocess.mpy",
       "preprocess.mpy", "preprocess_viper.mpy", "ui.mpy"]


@pytest.fixture
def device(tmp_path):
    """make(**options) -> a started FakeDevice on tmp_path/board (the same folder each time)."""
    root = tmp_path / "board"
    root.mkdir()
    started = []

    def make(**options):
        dev = FakeDevice(str(root), **options).start()
        started.append(dev)
        return dev
    make.root = root
    yield make
    for dev in started:
        dev.stop()


@pytest.fixture(scope="module")
def other_blob(default_blob, tmp_path_factory):
    """The same model under other labels: a different blob of the same size."""
    b = read(default_blob)
    path = tmp_path_factory.mktemp("other") / "other.blob"
    path.write_bytes(pack(bytes(b.model), ["someone", "nobody"], b.arena_size))
    return str(path)


def tree(root):
    return {name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in sorted(os.listdir(root))}


def flash_quietly(board, port, model):
    lines = []
    fl.flash(board, port, model, log=lines.append)
    return lines


# --- deploying ---------------------------------------------------------------------

def test_flash_deploys_and_the_deployed_app_equals_classify(device, default_blob, tmp_path):
    dev = device()
    status, out, err = run_cli("flash", "--board", "esp32s3_eye", "--port", dev.port, "--model", default_blob)
    assert status == 0, err
    assert f"MicroPython 1.26.1 on esp32, .mpy v6.3 xtensawin" in out
    assert out.count("copied, sha256 checked") == len(APP)
    root = device.root
    assert sorted(os.listdir(root)) == APP       # nothing else: no *.tmp, no sources but main.py

    # Each file is what this checkout builds for that board, byte for byte.
    built = dict(fl.deploy_list("esp32s3_eye", be.board_info("esp32s3_eye"), default_blob,
                                fl.Target(mpy_value(6, 3, "xtensawin"))))
    assert tree(root) == {n: hashlib.sha256(d).hexdigest() for n, d in built.items()}
    assert (root / "model.blob").read_bytes() == open(default_blob, "rb").read()
    assert (root / "main.py").read_bytes() == open(os.path.join(ROOT, "firmware", "app", "main.py"), "rb").read()
    assert (root / "preprocess_viper.mpy").read_bytes()[:3] == b"M\x06\x2b"  # v6.3, xtensawin

    # The app it boots: the emulated board on the deployed model gives classify's answers
    # for the frames its camera delivered.
    photos = [sample_path(n) for n in ("astronaut.png", "coffee.png", "chelsea.png")]
    emu = be.run("esp32s3_eye", photos, str(root / "model.blob"), device_dir=str(root))
    views = []
    for n, frame in enumerate(emu.frames):
        views.append(str(tmp_path / f"view{n}.png"))
        Image.fromarray(be.camera_view(frame, 96, 96, "RGB565_BE")).save(views[-1])
    blob = read(str(root / "model.blob"))
    want = [r for _, r, _ in classify(blob, views, "litert")]
    assert [(r["label"], r["confidence"]) for r in emu.results] == \
        [(w["label"], w["confidence"]) for w in want]
    assert [r["label"] for r in emu.results] == ["person", "non_person", "non_person"]
    assert dev.reboots >= 2   # the raw-REPL soft reset on connecting, the one that starts main.py


def test_a_second_flash_with_nothing_changed_copies_nothing(device, default_blob):
    dev = device()
    flash_quietly("esp32s3_eye", dev.port, default_blob)
    before = tree(device.root)
    dev.executed.clear()
    lines = flash_quietly("esp32s3_eye", dev.port, default_blob)
    files = [line for line in lines if line.startswith("  ")]
    assert len(files) == len(APP) and all(line.endswith("up to date") for line in files)
    assert lines[-1].startswith(f"flash: {len(APP)} files, 0 copied, {len(APP)} up to date")
    assert not any(code.startswith("f=open(") for code in dev.executed)   # no file written
    assert tree(device.root) == before


def test_a_deploy_cut_mid_copy_leaves_the_previous_app_and_model(device, default_blob, other_blob):
    dev = device()
    flash_quietly("esp32s3_eye", dev.port, default_blob)
    before = tree(device.root)
    dev.stop()
    # The cable goes after 200 kB: well into the new model's copy.
    dev = device(drop_after=200_000)
    status, out, err = run_cli("flash", "--board", "esp32s3_eye", "--port", dev.port, "--model", other_blob)
    assert dev.dropped and status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "lost the board" in err and "while copying model.blob" in err
    after = tree(device.root)
    assert {n: h for n, h in after.items() if not n.endswith(".tmp")} == before   # all as it was
    assert set(after) - set(before) == {"model.blob.tmp"}   # the half copy, never under a real name
    assert read(str(device.root / "model.blob")).labels == ["person", "non_person"]

    dev = device()
    lines = flash_quietly("esp32s3_eye", dev.port, other_blob)
    assert sorted(os.listdir(device.root)) == APP          # the leftover is gone
    assert read(str(device.root / "model.blob")).labels == ["someone", "nobody"]
    assert [line.split()[0] for line in lines if "copied" in line and line.startswith("  ")] == ["model.blob"]


def test_openmv_gets_its_model_as_a_tflite_file_too(device, default_blob):
    dev = device(arch="armv7emdp", platform="OpenMV4P-H7", machine="OpenMV4P-H7 with STM32H743")
    flash_quietly("openmv_h7_plus", dev.port, default_blob)
    assert (device.root / "model.tflite").read_bytes() == bytes(read(default_blob).model)
    assert (device.root / "preprocess_viper.mpy").read_bytes()[:3] == bytes([0x4D, 6, 3 | (8 << 2)])


def test_older_micropython_gets_its_own_mpy_format(device, default_blob):
    # MicroPython 1.20 reads .mpy v6.1: bytecode from any 6.x loads, native code must match.
    dev = device(version=6, sub=1, release="1.20.0")
    lines = flash_quietly("esp32s3_eye", dev.port, default_blob)
    assert any("MicroPython 1.20.0 on esp32, .mpy v6.1 xtensawin" in line for line in lines[:3])
    assert (device.root / "preprocess_viper.mpy").read_bytes()[:3] == b"M\x06\x29"
    assert (device.root / "app.mpy").read_bytes()[:3] == b"M\x06\x00"


def test_a_board_without_native_code_gets_no_viper_kernel(device, default_blob):
    dev = device(arch="")
    lines = flash_quietly("esp32s3_eye", dev.port, default_blob)
    assert any("preprocess_viper.py: native code, but the board has no native emitter" in l for l in lines)
    assert "preprocess_viper.mpy" not in os.listdir(device.root)


def test_a_board_without_mpy_support_gets_the_sources(device, default_blob):
    dev = device(has_mpy=False)
    flash_quietly("esp32s3_eye", dev.port, default_blob)
    names = sorted(os.listdir(device.root))
    assert names == ["app.py", "blobfmt.py", "board.py", "capture.py", "esp32cam.py", "main.py", "model.blob",
                     "postprocess.py", "preprocess.py", "preprocess_viper.py", "ui.py"]
    assert (device.root / "board.py").read_bytes() == open(be.board_module_path("esp32s3_eye"), "rb").read()


def test_sources_that_would_shadow_the_new_mpy_files_are_removed(device, default_blob):
    (device.root / "app.py").write_text("print('an old app')\n")   # app.py wins over app.mpy on import
    (device.root / "notes.txt").write_text("mine")
    dev = device()
    flash_quietly("esp32s3_eye", dev.port, default_blob)
    assert not (device.root / "app.py").exists() and (device.root / "app.mpy").exists()
    assert (device.root / "notes.txt").read_text() == "mine"   # not ours: left alone


def test_without_hashlib_crc32_checks_the_copies_and_skips_unchanged_files(device, default_blob):
    dev = device(has_hashlib=False)
    lines = flash_quietly("xiao_esp32s3_sense", dev.port, default_blob)
    assert sum(line.endswith("copied, crc32 checked") for line in lines) == len(APP)
    assert tree(device.root)["model.blob"] == hashlib.sha256(open(default_blob, "rb").read()).hexdigest()
    lines = flash_quietly("xiao_esp32s3_sense", dev.port, default_blob)
    assert sum(line.endswith("up to date") for line in lines) == len(APP)


# --- refusals: one line, nothing touched ----------------------------------------------

@pytest.mark.parametrize("args, message", [
    ([], "flash: no board given: pass --board NAME (BOARD=NAME with make); boards: esp32s3_eye, "
         "openmv_h7_plus, qemu_m7, xiao_esp32s3_sense"),
    (["--board", "esp32"], "flash: unknown board 'esp32'; boards: esp32s3_eye, openmv_h7_plus, "
                           "qemu_m7, xiao_esp32s3_sense"),
    (["--board", "host"], "flash: host is the emulator board, there is nothing to flash; boards: "
                          "esp32s3_eye, openmv_h7_plus, qemu_m7, xiao_esp32s3_sense"),
    (["--board", "unix"], "flash: the unix board has no serial port: run it with emulate --board unix; "
                          "boards: esp32s3_eye, openmv_h7_plus, qemu_m7, xiao_esp32s3_sense"),
    (["--board", "esp32s3_eye", "--port", "/dev/no-such-port"],
     "flash: cannot open /dev/no-such-port: no such device, or it is in use"),
    (["--board", "esp32s3_eye", "--model", "/no/such.blob"],
     "flash: /no/such.blob: no such model blob (run `make model` to build the default)"),
])
def test_mistakes_get_one_clear_line(args, message):
    status, out, err = run_cli("flash", *args)
    assert status == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [message]


def test_the_wrong_board_name_for_the_connected_board_is_refused(device, default_blob):
    dev = device(arch="armv7emdp", platform="OpenMV4P-H7")
    with pytest.raises(UserError, match=r"runs native code for armv7emdp .* but esp32s3_eye is xtensawin: wrong --board"):
        flash_quietly("esp32s3_eye", dev.port, default_blob)
    assert os.listdir(device.root) == []


def test_a_model_that_does_not_fit_is_refused_before_the_board_is_touched(device, default_blob, monkeypatch):
    dev = device()
    monkeypatch.setattr(fl, "check_fit", lambda blob, board: (False, f"{board}: does not fit: RAM ..."))
    with pytest.raises(UserError, match="the model does not fit the board, nothing was copied"):
        flash_quietly("esp32s3_eye", dev.port, default_blob)
    assert dev.executed == [] and dev.received == 0


def test_not_enough_room_is_refused_before_anything_is_written(device, default_blob):
    dev = device(capacity=200_000)
    with pytest.raises(UserError, match="not enough room on the board"):
        flash_quietly("esp32s3_eye", dev.port, default_blob)
    assert os.listdir(device.root) == []


# --- monitor ------------------------------------------------------------------------------

def test_monitor_shows_the_boards_results_live(device, default_blob):
    photos = [sample_path(n) for n in ("astronaut.png", "coffee.png")]
    emu = be.run("esp32s3_eye", photos, default_blob)
    lines = [line + "\n" for line in emu.lines if line.startswith("@result ")]

    def boot(dev):   # "main.py": results stream until the host interrupts
        yield "interpreter_make_new: model size = 322664, tensor area = 134312\n"
        while True:
            yield from lines

    dev = device(on_boot=boot)
    flash_quietly("esp32s3_eye", dev.port, default_blob)   # ends with the soft reset that boots
    r = subprocess.run([sys.executable, "-m", "host_tools", "monitor", "--port", dev.port, "--count", "4",
                        "--json"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 4
    sent = [{k: v for k, v in w.items() if k != "image"} for w in emu.results]
    assert all(row in sent for row in rows)   # exactly what the board printed, frame after frame


def test_monitor_formats_results_and_passes_other_lines(tmp_path):
    import io

    from host_tools.device.monitor import format_result, lines, parse_line
    r = parse_line('@result {"frame": 3, "label": "person", "index": 0, "confidence": 0.9140625, '
                   '"scores": [106, -106], "fps": 9.8}')
    assert format_result(r) == "frame 3: person 0.914  (9.8 fps)"
    assert parse_line("app: bad model blob /model.blob: blob CRC mismatch") is None
    assert parse_line('@result {"frame": 3, "lab') is None   # cut by a reset: skipped, no crash

    class Port(io.BytesIO):
        in_waiting = 0
    stream = lines(Port(b"a\r\nb\r\n"))
    assert [next(stream), next(stream)] == ["a", "b"]


def test_monitor_without_a_device_is_one_line():
    status, out, err = run_cli("monitor", "--port", "/dev/no-such-port")
    assert status == 2 and err.strip() == "monitor: cannot open /dev/no-such-port: no such device"
