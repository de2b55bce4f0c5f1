"""Progress: a live bar on a terminal; into a pipe or a log, one line as each stage
starts and one as it ends (with the count and the time), for every command that shows
progress: train, evaluate, capture (host_tools/progress.py) and flash's large files.
"""
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from tests.support import ROOT, run_cli
from test_capture import PHOTOS, power_on
from tests.support.synthetic import make_dataset
from test_evaluate import _folder
from test_flash import other_blob  # noqa: F401 - a fixture: the model under other labels
from tests.support.fakedevice import FakeDevice

# "evaluate: 0/5 img" as a stage starts, "evaluate: 5/5 img (0.2 s)" as it ends
COUNT = re.compile(r"^(?P<stage>.+?): (?P<n>\d+)/(?P<total>\d+) (?P<unit>\w+)(?P<took> \(\d+\.\d s\))?")


def stages(text):
    """{stage: [(n, total, with its time)]} of the count lines in text, in order."""
    found = {}
    for line in text.splitlines():
        m = COUNT.match(line)
        if m:
            found.setdefault(m["stage"], []).append((int(m["n"]), int(m["total"]), bool(m["took"])))
    return found


def assert_start_and_end(text, want):
    """Each stage of want ({stage: count}) has exactly two lines: 0 of count, then count
    of count with the time it took; and no other stage prints counts."""
    found = stages(text)
    assert set(found) == set(want), text
    for stage, total in want.items():
        assert found[stage] == [(0, total, False), (total, total, True)], text


def run_on_pty(argv, which, seconds=120):
    """Run argv with `which` ("stdout" or "stderr") on a pseudo-terminal of 100 columns
    and the other piped: (status, what the terminal showed, the piped text)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    other = "stderr" if which == "stdout" else "stdout"
    with open(os.devnull, "rb") as null:
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=null, **{which: slave, other: subprocess.PIPE})
    os.close(slave)
    shown, deadline = b"", time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:   # EIO: the program's end of the terminal is closed
                break
            if not chunk:
                break
            shown += chunk
        piped = getattr(proc, other).read().decode()
        return proc.wait(timeout=30), shown.decode("utf-8", "replace"), piped
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


# --- evaluate and train ------------------------------------------------------------------

def test_evaluate_piped_prints_its_stage_twice_and_on_a_terminal_a_live_bar(default_blob, tmp_path):
    data = _folder(tmp_path / "data")   # 5 photos
    status, out, err = run_cli("evaluate", "--model", default_blob, str(data))
    assert status == 0, err
    assert_start_and_end(err, {"evaluate": 5})

    status, shown, out = run_on_pty([sys.executable, "-m", "host_tools", "evaluate", "--model", default_blob,
                                     str(data)], "stderr")
    assert status == 0 and "accuracy" in out
    assert stages(shown) == {}   # no plain count lines: tqdm's bar, redrawn in place
    frames = re.findall(r"evaluate: +(\d+)%\|[^|]*\| (\d)/5 \[", shown)
    assert frames[0] == ("0", "0") and frames[-1] == ("100", "5") and "\r" in shown


def test_train_piped_prints_each_stage_twice(tmp_path):
    data = make_dataset(tmp_path / "data", per_class=10)   # 7 + 7 for training, 3 + 3 held out
    status, out, err = run_cli("train", str(data), "--out", str(tmp_path / "out"), "--epochs", "1",
                               "--seed", "1", "--batch-size", "8")
    assert status == 0, err
    assert_start_and_end(err, {"train: decoding": 20, "train: evaluating int8": 6})
    assert len([line for line in err.splitlines() if line.startswith("train: epoch ")]) == 1


# --- the board's commands: capture, flash --------------------------------------------------

@pytest.fixture
def board(tmp_path, default_blob):
    """A fake ESP32-S3-EYE whose folder is tmp_path/board (holding the model: it runs the app)."""
    root = tmp_path / "board"
    root.mkdir()
    (root / "model.blob").write_bytes(open(default_blob, "rb").read())
    started = []

    def make(**options):
        started.append(FakeDevice(str(root), **options).start())
        return started[-1]
    make.root = root
    yield make
    for dev in started:
        dev.stop()


def test_capture_piped_prints_its_stage_twice(board, tmp_path):
    dev = board(app=("esp32s3_eye", PHOTOS), app_fps=20)
    power_on(dev.port)
    status, out, err = run_cli("capture", "--port", dev.port, "--label", "mug", "--count", "4", "--every", "0",
                               str(tmp_path / "photos"))
    assert status == 0, err
    assert_start_and_end(err, {"capture mug": 4})
    assert err.splitlines()[-1].endswith(" 0004.png")   # the last photo written


def large_file_lines(text, name):
    return [line.split(None, 1)[1] for line in text.splitlines() if line.split()[:1] == [name]]


def test_flash_piped_prints_a_start_and_an_end_line_for_each_large_file(board, other_blob):
    dev = board()
    status, out, err = run_cli("flash", "--board", "esp32s3_eye", "--port", dev.port, "--model", other_blob)
    assert status == 0, err
    size = os.path.getsize(other_blob)
    lines = large_file_lines(out, "model.blob")
    assert lines[0] == f"{size:,} bytes  copying" and lines[2] == f"{size:,} bytes  copied, sha256 checked"
    assert re.fullmatch(rf"{size:,} bytes  sent in \d+\.\d s", lines[1]) and len(lines) == 3
    assert large_file_lines(out, "main.py") == [f"{os.path.getsize(os.path.join(ROOT, 'firmware', 'app', 'main.py')):,}"
                                                f" bytes  copied, sha256 checked"]   # small: no progress


def test_flash_on_a_terminal_shows_a_live_bar_for_large_files(board, other_blob):
    dev = board()
    status, shown, err = run_on_pty([sys.executable, "-m", "host_tools", "flash", "--board", "esp32s3_eye",
                                     "--port", dev.port, "--model", other_blob], "stdout")
    assert status == 0, err
    assert "copying" not in shown and " sent in " not in shown   # the plain lines are for pipes
    percents = [int(p) for p in re.findall(r"  model\.blob: +(\d+)%\|", shown)]
    assert len(set(percents)) >= 2 and percents == sorted(percents)   # redrawn as the copy goes
    assert re.search(r"model\.blob +[\d,]+ bytes  copied, sha256 checked", shown)
