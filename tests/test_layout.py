"""The layout rules of docs (STYLE.md, Layout): no import cycle among host_tools modules
(imports inside functions count), no module over 400 lines and no function over 80 lines
in host_tools/, firmware/, boards/ and bench/, no sys.path edit when a host_tools module
is imported, every boards/ folder a board (board.json and board.py)."""
import ast
import os

import pytest

from host_tools import ROOT

CHECKED = ("host_tools", "firmware", "boards", "bench")
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 80


def _python_files(*folders):
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, folder)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in sorted(filenames):
                if name.endswith(".py"):
                    yield os.path.join(dirpath, name)


def _tree(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), path)


def _module_name(path):
    rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
    return rel[:-len(".__init__")] if rel.endswith(".__init__") else rel


def _imported(module, is_package, node):
    """The host_tools modules one import statement names (absolute, resolved)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    package = module if is_package else module.rpartition(".")[0]
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[:len(parts) - node.level + 1])
        target = f"{base}.{node.module}" if node.module else base
    else:
        target = node.module
    return [target] + [f"{target}.{a.name}" for a in node.names]


def import_graph(folder="host_tools"):
    """{module: {host_tools modules it imports anywhere in its text}}."""
    files = {_module_name(p): p for p in _python_files(folder)}
    graph = {}
    for module, path in files.items():
        is_package = path.endswith("__init__.py")
        edges = set()
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(t for t in _imported(module, is_package, node) if t in files and t != module)
        graph[module] = edges
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, stack)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def test_find_cycle_finds_one_through_a_function_level_import():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_in_host_tools():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_module_and_function_sizes():
    too_long = []
    for path in _python_files(*CHECKED):
        tree = _tree(path)
        with open(path, encoding="utf-8") as f:
            lines = len(f.read().splitlines())
        rel = os.path.relpath(path, ROOT)
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{rel}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{rel}:{node.lineno} {node.name}(): {n} lines")
    assert not too_long, "over the size limits: " + "; ".join(too_long)


def _edits_sys_path(node):
    """An expression statement or assignment that changes sys.path."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "path" \
                and isinstance(sub.value, ast.Name) and sub.value.id == "sys":
            parent_call = isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            if parent_call or isinstance(node, (ast.Assign, ast.AugAssign)):
                return True
    return False


def _import_time_statements(body):
    """Statements run when the module is imported (not inside def or class bodies' functions)."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.If) and _is_main_guard(node):
            continue
        if isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.ClassDef)):
            inner = [n for field in ("body", "orelse", "finalbody") for n in getattr(node, field, [])]
            inner += [n for h in getattr(node, "handlers", []) for n in h.body]
            yield from _import_time_statements(inner)
            continue
        yield node


def _is_main_guard(node):
    t = node.test
    return (isinstance(t, ast.Compare) and isinstance(t.left, ast.Name) and t.left.id == "__name__")


def test_no_sys_path_edit_at_import_time():
    edits = [f"{os.path.relpath(path, ROOT)}:{node.lineno}"
             for path in _python_files("host_tools")
             for node in _import_time_statements(_tree(path).body) if _edits_sys_path(node)]
    assert not edits, "sys.path changed when the module is imported: " + ", ".join(edits)


def test_sys_path_check_sees_an_edit():
    tree = ast.parse("import sys\nif True:\n    sys.path.insert(0, 'x')\ndef f():\n    sys.path.append('y')\n")
    found = [n.lineno for n in _import_time_statements(tree.body) if _edits_sys_path(n)]
    assert found == [3]


@pytest.mark.parametrize("name", sorted(os.listdir(os.path.join(ROOT, "boards"))))
def test_boards_folder_holds_only_boards(name):
    folder = os.path.join(ROOT, "boards", name)
    assert os.path.isdir(folder), f"boards/{name} is not a board folder"
    assert os.path.isfile(os.path.join(folder, "board.json")), f"boards/{name} has no board.json"
    assert os.path.isfile(os.path.join(folder, "board.py")), f"boards/{name} has no board.py"


# The rooms of host_tools, top first: a module may import from its own room and the
# rooms below it, never from one above (docs: STYLE.md, Layout).
ROOMS = [("__main__", "cli", "cli_args"), ("studio",), ("train",), ("emulate",), ("firmware",), ("device",),
         ("model",), ("infer",), ("data",), ("", "blob", "device_code", "progress", "quiet")]


def room(module):
    """The index in ROOMS of a host_tools module's room."""
    part = module.split(".")[1] if "." in module else ""
    return next(i for i, names in enumerate(ROOMS) if part in names)


def upward_imports(graph):
    return sorted(f"{a} -> {b}" for a, edges in graph.items() for b in edges if room(b) < room(a))


def test_upward_imports_are_found():
    assert upward_imports({"host_tools.model.x": {"host_tools.device.boards"}}) == \
        ["host_tools.model.x -> host_tools.device.boards"]


def test_each_room_imports_only_from_the_rooms_below():
    up = upward_imports(import_graph())
    assert not up, "imports from a room above: " + "; ".join(up)
