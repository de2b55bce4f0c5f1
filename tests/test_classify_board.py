"""`classify --board NAME` equals `emulate --board NAME` bit for bit, on every board
(boards/*/board.json) and real photos of several shapes: the photo becomes the
board's camera frame by the one shared conversion (host_tools/data/pixels.py), the
board's own preprocessing (firmware/app/preprocess.py) runs, then the model.

The emulated side is each board's own run: the host board's camera, the board
module on its emulated drivers, or the project's firmware (unix, qemu_m7)."""
import numpy as np
import pytest

from tests.support import run_cli
from host_tools.blob import read
from host_tools.data.images import load_pixels, open_image
from host_tools.data.samples import sample_path
from host_tools.emulate import board_emulation as be
from host_tools.emulate import vm_boards as vb
from host_tools.emulate.host_app import parse_console, run_firmware
from host_tools.infer.classify import scores
from tests.support.boards import ALL, HOST, INFO, ON_FIRMWARE

# square, wide, tall-ish and odd-sized photos: the crops to each camera's aspect differ
PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg")


def emulated_scores(board, paths, blob_path):
    """int8 scores of `emulate --board board`, in order."""
    blob = read(blob_path)
    if board in HOST:
        frames = ((p, load_pixels(p, blob.height, blob.channels)) for p in paths)
        results, other = parse_console(run_firmware(frames, blob_path))
    elif board in ON_FIRMWARE:
        run = vb.run_app(board, vb.photo_frames([open_image(p) for p in paths], blob, board=board), blob_path)
        results, other = run.results, run.other
    else:
        emu = be.run(board, paths, blob_path)
        results, other = emu.results, [line for line in emu.lines if not line.startswith("@result ")]
    assert [r["frame"] for r in results] == list(range(len(paths))), other[-5:]
    return np.array([r["scores"] for r in results], dtype=np.int8)


@pytest.mark.parametrize("board", ALL)
def test_classify_board_equals_emulate_board(board, default_blob):
    paths = [sample_path(n) for n in PHOTOS]
    blob = read(default_blob)
    got = np.array([q for _, q, _ in scores(blob, paths, workers=1, camera=INFO[board]["camera"])],
                   dtype=np.int8)
    np.testing.assert_array_equal(got, emulated_scores(board, paths, default_blob))


def test_openmv_differs_from_plain_classify_and_the_cli_prints_what_emulate_prints(default_blob):
    # The reason for --board: OpenMV's 320x240 RGB565 frame, sampled by nearest
    # neighbour, is not classify's 96x96 bilinear picture.
    paths = [sample_path(n) for n in PHOTOS]
    blob = read(default_blob)
    plain = np.array([q for _, q, _ in scores(blob, paths, workers=1)], dtype=np.int8)
    board = np.array([q for _, q, _ in scores(blob, paths, workers=1,
                                              camera=INFO["openmv_h7_plus"]["camera"])], dtype=np.int8)
    assert (plain != board).any()
    status, out, err = run_cli("classify", "--board", "openmv_h7_plus", "--model", default_blob, *paths)
    assert status == 0, err
    status, want, err = run_cli("emulate", "--board", "openmv_h7_plus", "--model", default_blob, *paths)
    assert status == 0, err
    assert out == want and len(out.splitlines()) == len(paths)


def test_classify_unknown_board_is_one_line(default_blob):
    status, out, err = run_cli("classify", "--board", "esp32", "--model", default_blob, sample_path(PHOTOS[0]))
    assert status == 2 and out == ""
    assert err == f"classify: unknown board 'esp32'; boards: {', '.join(ALL)}\n"
