"""`flash` notices a copy or a rename that did not take, and keeps the previous app.

The fake board (tests/support/fakedevice.py) can flip a byte in a write, pull the
cable halfway through one, or acknowledge a rename that did not happen. Each
deploy here copies two files: the new model (first) and main.py (second, last),
and the fault lands in the second. Until both copies check out on the board,
nothing may be renamed: the previous app and model must stay whole, and the
error is one line that names the file.
"""
import hashlib
import os

import pytest

from tests.support import ROOT, run_cli
from host_tools.blob import read
from test_flash import device, flash_quietly, other_blob, tree  # noqa: F401 - fixtures

OLD_MAIN = b"import board\nimport app\n\napp.main(board)   # the previous release's main.py\n"
NEW_MAIN = open(os.path.join(ROOT, "firmware", "app", "main.py"), "rb").read()


def previous_app(device, blob):
    """A board holding a whole deploy of blob with an older main.py: the next deploy of
    another model copies model.blob, then main.py. Returns the board's files' hashes."""
    dev = device()
    flash_quietly("esp32s3_eye", dev.port, blob)
    dev.stop()
    (device.root / "main.py").write_bytes(OLD_MAIN)
    return tree(device.root)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def crc(data):
    import zlib
    return f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"


def as_it_was(device, before):
    """The board's own files are those of the previous deploy (leftover *.tmp aside)."""
    after = tree(device.root)
    assert {n: h for n, h in after.items() if not n.endswith(".tmp")} == before
    assert (device.root / "main.py").read_bytes() == OLD_MAIN
    assert read(str(device.root / "model.blob")).labels == ["person", "non_person"]
    return after


def deploys_again(device, blob, copies=("model.blob", "main.py")):
    """Without the fault the same deploy completes: both files in place, no leftover."""
    dev = device()
    lines = flash_quietly("esp32s3_eye", dev.port, blob)
    assert [line.split()[0] for line in lines if line.startswith("  ") and "copied" in line] == list(copies)
    assert not [n for n in os.listdir(device.root) if n.endswith(".tmp")]
    assert (device.root / "main.py").read_bytes() == NEW_MAIN
    assert read(str(device.root / "model.blob")).labels == ["someone", "nobody"]


@pytest.mark.parametrize("hashlib_on_board, kind", [(True, "sha256"), (False, "crc32")])
def test_a_byte_flipped_in_the_second_copy_stops_the_deploy_before_any_rename(
        device, default_blob, other_blob, hashlib_on_board, kind):
    before = previous_app(device, default_blob)
    dev = device(corrupt_write="main.py.tmp", has_hashlib=hashlib_on_board)
    status, out, err = run_cli("flash", "--board", "esp32s3_eye", "--port", dev.port, "--model", other_blob)
    kept = (device.root / "main.py.tmp").read_bytes()
    # The fault happened: one byte of the copy differs from what was sent.
    assert len(kept) == len(NEW_MAIN) and sum(a != b for a, b in zip(kept, NEW_MAIN)) == 1
    digest = sha if kind == "sha256" else crc
    assert status == 2 and err.splitlines() == [
        f"flash: main.py: the copy on the board does not match ({kind}:{digest(kept)} instead of "
        f"{kind}:{digest(NEW_MAIN)}); the previous app still runs; try again"]
    assert "copied, " + kind + " checked" in out.splitlines()[-1] and "model.blob" in out.splitlines()[-1]
    after = as_it_was(device, before)   # the new model was copied and checked, but not renamed
    assert set(after) - set(before) == {"model.blob.tmp", "main.py.tmp"}
    assert (device.root / "model.blob.tmp").read_bytes() == open(other_blob, "rb").read()
    deploys_again(device, other_blob)


def test_a_cable_pulled_in_the_second_copy_leaves_the_previous_app(device, default_blob, other_blob):
    before = previous_app(device, default_blob)
    dev = device(cut_write="main.py.tmp")
    status, out, err = run_cli("flash", "--board", "esp32s3_eye", "--port", dev.port, "--model", other_blob)
    assert dev.dropped and status == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"flash: lost the board on {dev.port} while copying main.py (")
    assert err.rstrip().endswith("); the previous app and model stay in place until a deploy completes; "
                                 "run flash again")
    as_it_was(device, before)
    deploys_again(device, other_blob)


@pytest.mark.parametrize("old", ["old main.py", "no main.py"])
def test_a_rename_that_did_not_take_is_reported(device, default_blob, other_blob, old):
    before = previous_app(device, default_blob)
    if old == "no main.py":   # a board whose main.py is gone: the rename must create it
        os.remove(device.root / "main.py")
    dev = device(stale_rename="main.py")
    status, out, err = run_cli("flash", "--board", "esp32s3_eye", "--port", dev.port, "--model", other_blob)
    assert status == 2 and err.splitlines() == ["flash: main.py: not as sent after the rename; run flash again"]
    # The fault happened: the board acknowledged the renames, main.py is as it was.
    assert "main.py.tmp" not in os.listdir(device.root)
    if old == "no main.py":
        assert not (device.root / "main.py").exists()
    else:
        assert tree(device.root)["main.py"] == before["main.py"]
    assert read(str(device.root / "model.blob")).labels == ["someone", "nobody"]   # renamed first
    deploys_again(device, other_blob, ["main.py"])
