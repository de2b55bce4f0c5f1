"""Every serial conversation ends: flash and monitor against ports that are not MicroPython boards.

The ports are real pseudo-terminals served by a thread (tests/support/ptyboards.py):
one that chatters like an ESP32 factory firmware, one that is silent, one that
stops half-way through the raw-REPL handshake, one that never answers a command.
The deadlines are shortened here so that the tests are short; each call runs in a
thread joined with a generous bound, only so that a regression hangs no test run.
"""
import re
import subprocess
import sys
import threading

import pytest

from tests.support import ROOT
from host_tools import cli
from host_tools.device import monitor as mon
from host_tools.device import transport
from tests.support.fakedevice import FakeDevice
from tests.support.ptyboards import PtyPort

HANG_GUARD = 120   # seconds: only so that a regression cannot hang the test run


def ended(fn, *args):
    """fn(*args) in a thread; its result (or exception) once it ends, failing if it hangs."""
    box = {}

    def run():
        try:
            box["result"] = fn(*args)
        except BaseException as e:   # noqa: BLE001 - handed to the test
            box["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(HANG_GUARD)
    assert not t.is_alive(), f"still running after {HANG_GUARD} s"
    if "error" in box:
        raise box["error"]
    return box["result"]


@pytest.fixture
def short(monkeypatch):
    monkeypatch.setattr(transport, "HANDSHAKE_TIMEOUT", 2)
    monkeypatch.setattr(transport, "COMMAND_TIMEOUT", 2)


def flash_cli(port, capsys, model):
    status = ended(cli.main, ["flash", "--board", "esp32s3_eye", "--port", port, "--model", model])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("kind, message", [
    ("chatter", "{port} answers but is not a MicroPython REPL (no raw-REPL prompt within 2 s): "
                "is MicroPython flashed? (docs/boards.md)"),
    ("silent", "{port} is silent (nothing within 2 s): is the board plugged in and is this its "
               "port, and is MicroPython flashed? (docs/boards.md)"),
    ("half", "{port}: the board entered the raw REPL but did not come back from its soft reset "
             "within 2 s: press its reset button (or unplug it and plug it in again) and try again"),
])
def test_flash_to_a_port_that_is_no_repl_ends_in_one_line(kind, message, short, capsys, default_blob):
    with PtyPort(kind) as p:
        status, out, err = flash_cli(p.port, capsys, default_blob)
        assert status == 2
        assert err.splitlines() == ["flash: " + message.format(port=p.port)]
        assert b"\x01" in p.received   # it did ask for the raw REPL


def test_a_board_that_never_answers_a_command_ends_in_one_line(short, capsys, default_blob):
    with PtyPort("mute") as p:
        status, out, err = flash_cli(p.port, capsys, default_blob)
    assert status == 2
    assert err.splitlines() == [
        f"flash: the board on {p.port} stopped answering while asking the board what it runs "
        f"(nothing more within 2 s); the previous app and model "
        f"stay in place until a deploy completes; reset the board and run flash again"]


def test_flash_to_an_emulated_esp32_ends_with_the_clear_line(default_blob):
    """The reported bug, as a user met it: `flash` to `emulate --serve`'s port (the app
    runs and prints results; there is no REPL) sat for minutes. Default deadlines."""
    from host_tools.data.samples import sample_path
    from host_tools.emulate.backends import emulated_board
    with emulated_board("esp32s3_eye", [sample_path("coffee.png")], default_blob) as board:
        r = subprocess.run([sys.executable, "-m", "host_tools", "flash", "--board", "esp32s3_eye",
                            "--port", board.port, "--model", default_blob],
                           capture_output=True, text=True, cwd=ROOT, timeout=HANG_GUARD)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        f"flash: {board.port} answers but is not a MicroPython REPL (no raw-REPL prompt within "
        f"{transport.HANDSHAKE_TIMEOUT} s): is MicroPython flashed? (docs/boards.md)"]


def test_cancel_stops_a_flash_waiting_on_a_silent_port(monkeypatch, default_blob):
    from host_tools.device.flash import flash
    monkeypatch.setattr(transport, "HANDSHAKE_TIMEOUT", 3600)   # only the cancel can end it
    cancel = threading.Event()
    with PtyPort("silent") as p:
        t = threading.Timer(1.0, cancel.set)
        t.start()
        with pytest.raises(transport.Cancelled):
            ended(flash, "esp32s3_eye", p.port, default_blob, lambda m: None, None, cancel)
        t.cancel()


def test_capture_from_a_port_that_chatters_ends_in_one_line(tmp_path):
    from host_tools import UserError
    from host_tools.device.capture import capture
    with PtyPort("chatter") as p:
        with pytest.raises(UserError) as e:
            ended(capture, p.port, "mug", str(tmp_path), 3, 0.0, None, 1.0)
    assert str(e.value) == (f"{p.port}: no answer to @frame within 1 s: is the app running on the board "
                            f"(flash it, then reset), and is this its port?")
    assert not (tmp_path / "mug").exists()


def test_flash_shows_progress_within_large_files(tmp_path, default_blob):
    from host_tools.device.flash import flash
    dev = FakeDevice(str(tmp_path)).start()
    try:
        lines = []
        ended(flash, "esp32s3_eye", dev.port, default_blob, lines.append)
    finally:
        dev.stop()
    size = (tmp_path / "model.blob").stat().st_size
    # stdout is no terminal: one line as the large file's copy starts, one as it ends, then its check
    model = [line.split(None, 1)[1] for line in lines if line.split()[:1] == ["model.blob"]]
    assert model[0] == f"{size:,} bytes  copying" and model[2] == f"{size:,} bytes  copied, sha256 checked"
    assert re.fullmatch(rf"{size:,} bytes  sent in \d+\.\d s", model[1]) and len(model) == 3
    small = [line for line in lines if line.split()[:1] == ["main.py"]]
    assert len(small) == 1 and "copied" in small[0]   # small files: no progress lines


def test_monitor_says_when_no_result_comes():
    with PtyPort("silent") as p:
        r = subprocess.Popen([sys.executable, "-m", "host_tools", "monitor", "--port", p.port],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = ended(r.stderr.readline)
        finally:
            r.kill()
            r.wait()
    assert line.rstrip("\n") == (f"monitor: no results yet from {p.port} after {mon.QUIET:g} s: is the "
                                 f"app flashed? (make flash BOARD=<board> PORT={p.port})")
