"""Each board gets only what it runs: the app modules its board.json "deploy" lists are
exactly those that main.py and its board.py reach by their imports (firmware/app/),
and flash ships exactly those."""
import ast
import os

import pytest

from host_tools import UserError
from host_tools.device import compile_app
from host_tools.device.boards import board_info, board_module_path, board_names
from host_tools.device_code import APP_DIR

FLASHED = board_names()   # the boards of boards/ (the host emulator board is not flashed)
APP_MODULES = {f[:-3] for f in os.listdir(APP_DIR) if f.endswith(".py")}


def _imports(path):
    """Every module name an import statement in the file names (at any depth)."""
    with open(path) as f:
        tree = ast.parse(f.read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def reached(board):
    """The app modules main.py and the board's module reach, following imports."""
    todo = [os.path.join(APP_DIR, "main.py"), board_module_path(board)]
    seen = set()
    while todo:
        for name in _imports(todo.pop()) & APP_MODULES - seen - {"main"}:
            seen.add(name)
            todo.append(os.path.join(APP_DIR, name + ".py"))
    return seen


@pytest.mark.parametrize("board", FLASHED)
def test_deploy_list_is_what_the_board_imports(board):
    listed = {f[:-3] for f in board_info(board)["deploy"]}
    assert listed == reached(board)


@pytest.mark.parametrize("board", FLASHED)
def test_flash_sources_are_the_deploy_list(board):
    names = [name for name, _ in compile_app.sources(board)]
    assert names == board_info(board)["deploy"] + ["board.py"]


def test_only_emulated_boards_get_emuboard_and_openmv_no_esp32cam():
    for board in FLASHED:
        mods = board_info(board)["deploy"]
        assert ("emuboard.py" in mods) == ("firmware_image" in board_info(board)), board
    assert "esp32cam.py" not in board_info("openmv_h7_plus")["deploy"]


def test_a_deploy_list_naming_no_app_module_is_refused(monkeypatch):
    info = dict(board_info("openmv_h7_plus"), deploy=["app.py", "nosuch.py"])
    monkeypatch.setattr(compile_app, "board_info", lambda name: info)
    with pytest.raises(UserError, match=r"\"deploy\" names nosuch.py"):
        compile_app.sources("openmv_h7_plus")
