"""The photo folder as the Dataset page lists it: train's walk, but one that never stops and never
leaves the folder.

The rules are the dataset walk's (host_tools.data.dataset): hidden names are
skipped, a folder is a class, its name must be a valid label. Where train would
refuse the whole folder (a name that is not UTF-8 or holds a line break, a
folder inside a class), the listing flags that one class instead, so the page
still shows everything and the odd folder can be renamed or deleted.

- Names that JSON cannot carry as they are (not UTF-8, control characters)
  are shown escaped (\\xNN); that escaped form is their key for rename and
  delete (find() matches it against the folder's real entries).
- A link is never followed out of the photo folder: a class that links
  outside is listed, flagged and not read; so is a photo that links outside.
"""
import os

from ..data import dataset


def key(name):
    """name as the page shows and sends it: itself, or escaped if JSON or a line cannot carry it."""
    try:
        name.encode("utf-8")
        if not any(ord(c) < 32 or c == "\x7f" for c in name):
            return name
    except UnicodeEncodeError:
        pass
    raw = os.fsencode(name)
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        if ch == "\\":
            out.append("\\\\")
        elif "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{ord(ch) - 0xdc00:02x}")
        elif ord(ch) < 32 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def find(folder, wanted):
    """The path of the entry of folder (not hidden) whose key() is wanted; None if there is none."""
    if not isinstance(wanted, str) or not wanted or len(wanted) > 1024:
        return None
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    found = [n for n in names if not dataset._is_hidden(n) and key(n) == wanted]
    return os.path.join(folder, found[0]) if len(found) == 1 else None


def within(path, root):
    """True if path, with every link resolved, lies inside root (a real path)."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)


def _class_problem(name, path, root):
    if os.path.islink(path) and not within(path, root):
        return "a link to a folder outside the photo folder: the studio does not read it"
    try:
        dataset.check_label(name, path)
    except Exception:  # noqa: BLE001 - the UserError's reason, shown without the folder's path
        return ("its name is not valid UTF-8 or holds a line break or control character: training "
                "refuses it; rename or delete it") if key(name) != name else \
            "its name is too long for a label (at most 64 bytes): training refuses it; rename it"
    if os.path.islink(path):
        return "a link to another folder of the photo folder: the studio does not add photos through it"
    return None


def walk(data_dir, root=None):
    """([{key, path, problem, files: [(path, key, problem)]}], notes) for the class folders in data_dir.

    root: the photo folder no link may leave (data_dir itself, or DATA when data_dir is its train/
    or validation/ folder)."""
    root = os.path.realpath(root or data_dir)
    classes, notes = [], []
    for name in sorted(os.listdir(data_dir)):
        path = os.path.join(data_dir, name)
        if dataset._is_hidden(name):
            continue
        if not os.path.isdir(path):
            notes.append(f"{key(name)}: not inside a class folder")
            continue
        problem = _class_problem(name, path, root)
        files = []
        if not (os.path.islink(path) and not within(path, root)):
            files, nested = _files(path, root)
            if nested and not problem:
                problem = (f"holds a folder ({key(nested[0])}): training refuses folders inside a class "
                           "folder; move its photos out")
        classes.append({"key": key(name), "path": path, "problem": problem, "files": files})
    return classes, notes


def _files(folder, root):
    files, nested = [], []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return files, nested
    for name in names:
        path = os.path.join(folder, name)
        if dataset._is_hidden(name):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            nested.append(name)
            continue
        problem = None
        if os.path.islink(path) and not within(path, root):
            problem = "a link to outside the photo folder: the studio does not read it"
        elif key(name) != name:
            problem = "its name is not valid UTF-8 or holds a control character: rename or delete it"
        files.append((path, key(name), problem))
    return files, nested


def links_out(folder, roots):
    """The first link under folder (relative name) that leads outside every root; None if none."""
    for d, dirs, files in os.walk(folder):
        for n in dirs + files:
            p = os.path.join(d, n)
            if os.path.islink(p) and not any(within(p, r) for r in roots):
                return key(os.path.relpath(p, folder))
    return None
