"""A labelled photo folder: find the files, de-duplicate, decode once, split.

Layouts (docs/training.md):

    DATA_DIR/<label>/<image>                      split by --val-split (stratified, seeded)
    DATA_DIR/train/<label>/<image>                the split is given: train/ and validation/
    DATA_DIR/validation/<label>/<image>           hold the same class folders

Every image is decoded and resized once, by host_tools.data.images.load_pixels (the
same code `classify` runs), into one uint8 array that training, calibration,
evaluation and the report all share.
"""
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import UserError
from ..device_code import blobfmt
from . import nearcopies
from .images import ImageError, load_pixels, not_a_file
from ..progress import bar

MIN_PER_CLASS = 5
SPLIT_DIRS = ("train", "validation")


class Subset:
    """Images of one split: paths, label indices and decoded pixels (N, H, W, C) uint8."""

    def __init__(self, paths, y, pixels):
        self.paths, self.y, self.pixels = list(paths), np.asarray(y, np.int64), pixels

    def __len__(self):
        return len(self.paths)

    def counts(self, classes):
        return np.bincount(self.y, minlength=classes).tolist()


def _is_hidden(name):
    return name.startswith(".") or name in ("__MACOSX", "Thumbs.db", "desktop.ini")


def check_label(name, folder):
    """A class folder's name is its label: valid UTF-8, one line, at most 64 bytes."""
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"class folder {os.fsencode(folder)!r}: its name is not valid UTF-8; "
                        "rename it (the folder name is the label)") from None
    if "\n" in name or "\r" in name:
        raise UserError(f"class folder {folder!r}: a label cannot contain a line break; rename it")
    if len(raw) > blobfmt.MAX_LABEL_BYTES:
        raise UserError(f"class folder {folder}: the label {name!r} is {len(raw)} bytes in UTF-8, "
                        f"at most {blobfmt.MAX_LABEL_BYTES} fit in the blob; rename it")
    return name


def _class_files(folder, label, skipped):
    """Files directly inside one class folder; a nested (non-hidden) folder is refused."""
    files = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if _is_hidden(name):
            skipped.append((path, "hidden file or folder"))
        elif os.path.isdir(path):
            raise UserError(f"{path}: a folder inside class folder '{label}'; class folders must "
                            f"hold image files only (move its images into {folder} or make it a "
                            f"class folder of its own; split folders need both train/ and validation/)")
        else:  # what is not a readable image file becomes that file's error later
            files.append(path)
    return files


def _class_folders(root, skipped):
    """{label: folder} for the class folders in root; loose files there are skipped."""
    folders = {}
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if _is_hidden(name):
            skipped.append((path, "hidden file or folder"))
        elif os.path.isdir(path):
            folders[check_label(name, path)] = path
        else:
            skipped.append((path, "not inside a class folder"))
    return folders


def is_split_layout(data_dir):
    return all(os.path.isdir(os.path.join(data_dir, d)) for d in SPLIT_DIRS)


def find_files(data_dir):
    """Walk DATA_DIR: (layout, labels, {split: [(path, label)]}, skipped).

    layout is "folders" (split None) or "split" (splits "train" and "validation").
    """
    if not os.path.exists(data_dir):
        raise UserError(f"{data_dir}: no such folder")
    if not os.path.isdir(data_dir):
        raise UserError(f"{data_dir}: not a folder (DATA_DIR holds one folder per class)")
    skipped = []
    if is_split_layout(data_dir):
        per_split = {}
        for name in sorted(os.listdir(data_dir)):
            if name not in SPLIT_DIRS:
                skipped.append((os.path.join(data_dir, name), "beside train/ and validation/: not used"))
        for split in SPLIT_DIRS:
            per_split[split] = _class_folders(os.path.join(data_dir, split), skipped)
        train, val = set(per_split["train"]), set(per_split["validation"])
        if train != val:
            only_t, only_v = sorted(train - val), sorted(val - train)
            raise UserError(f"{data_dir}: train/ and validation/ must hold the same class folders; "
                            f"only in train/: {only_t or 'none'}, only in validation/: {only_v or 'none'}")
        labels = sorted(train)
        files = {s: [(p, label) for label in labels for p in _class_files(per_split[s][label], label, skipped)]
                 for s in SPLIT_DIRS}
        return "split", labels, files, skipped
    folders = _class_folders(data_dir, skipped)
    labels = sorted(folders)
    files = [(p, label) for label in labels for p in _class_files(folders[label], label, skipped)]
    return "folders", labels, {None: files}, skipped


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_files(entries, cache=None):
    """(entries with each file's SHA-256 appended, [(path, why)] for those that cannot be read).

    cache: a dict (path, size, mtime) -> SHA-256 kept between calls, so an unchanged
    file is not read again.
    """
    hashed, unreadable = [], []
    for p, label, split in entries:
        why = not_a_file(p)  # (a pipe would block the hash)
        if why is None:
            try:
                key = None
                if cache is not None:
                    st = os.stat(p)
                    key = (p, st.st_size, st.st_mtime_ns)
                digest = cache.get(key) if key else None
                if digest is None:
                    digest = sha256_file(p)
                    if key:
                        cache[key] = digest
                hashed.append((p, label, split, digest))
                continue
            except OSError as e:
                why = f"cannot read it ({e.strerror or type(e).__name__})"
        unreadable.append((p, why))
    return hashed, unreadable


def deduplicate(entries, skipped):
    """Drop files whose bytes repeat an earlier one's. entries: [(path, label, split, sha)].

    The first copy (train/ before validation/, then by path) is kept. When the
    copies carry different labels, every copy is dropped: the label is unknown.
    Returns (kept entries, duplicate records).
    """
    by_hash = {}
    for e in entries:
        by_hash.setdefault(e[3], []).append(e)
    drop, records = set(), []
    for sha, copies in by_hash.items():
        if len(copies) == 1:
            continue
        labels = sorted({c[1] for c in copies})
        if len(labels) > 1:
            for c in copies:
                drop.add(c[0])
                skipped.append((c[0], f"identical bytes in classes {', '.join(labels)}: label unknown"))
            records.append({"sha256": sha, "kept": None, "dropped": [c[0] for c in copies],
                            "reason": "same image in different classes: all copies dropped"})
            continue
        for c in copies[1:]:
            drop.add(c[0])
            skipped.append((c[0], f"duplicate of {copies[0][0]}"))
        records.append({"sha256": sha, "kept": copies[0][0], "dropped": [c[0] for c in copies[1:]],
                        "reason": "identical bytes: one copy kept"})
    return [e for e in entries if e[0] not in drop], records


def decode_all(paths, size, channels, desc="decoding", threads=2):
    """Pixels for each path (None where unreadable) and {path: reason} for the failures."""
    def one(path):
        try:
            return load_pixels(path, size, channels), None
        except ImageError as e:
            return None, e.reason

    out, errors = [], {}
    with ThreadPoolExecutor(threads) as pool:  # Pillow releases the GIL while decoding
        results = bar(zip(paths, pool.map(one, paths)), desc, total=len(paths), unit="img")
        for path, (pixels, err) in results:
            out.append(pixels)
            if err:
                errors[path] = err
    return out, errors


def split_key(seed, sha):
    """Validation takes the files with the smallest keys: stable under renames and additions."""
    return hashlib.sha256(f"{seed}:{sha}".encode()).hexdigest()


def stratified_split(entries, labels, val_fraction, seed, group_of=None):
    """(train entries, validation entries): round(n * val_fraction) of each class, at least one.

    group_of: {path: group} (near-copies share a group, whatever their class): a group goes
    to one side whole; the groups in the order of their smallest key, each held out while
    every class's count has room for it.
    """
    by_key = sorted(entries, key=lambda e: split_key(seed, e[3]))
    mine = {label: [e for e in by_key if e[1] == label] for label in labels}
    n_val = {label: min(len(es) - 1, max(1, round(len(es) * val_fraction))) for label, es in mine.items()}
    held = _held_out_groups(by_key, n_val, group_of) if group_of else set()
    for label, es in mine.items():
        if not any(e[0] in held for e in es):  # no group fits (or no groups): photo by photo
            held.update(e[0] for e in es[:n_val[label]])
    order = lambda e: (labels.index(e[1]), e[0])  # noqa: E731
    return (sorted((e for e in entries if e[0] not in held), key=order),
            sorted((e for e in entries if e[0] in held), key=order))


def _held_out_groups(by_key, n_val, group_of):
    """Paths of whole groups to hold out, at most n_val[label] photos of each class."""
    members = {}
    for e in by_key:  # so each group comes in the order of its smallest key
        members.setdefault(group_of[e[0]], []).append(e)
    held, count = set(), dict.fromkeys(n_val, 0)
    for group in members.values():
        need = {}
        for e in group:
            need[e[1]] = need.get(e[1], 0) + 1
        if all(count[label] + n <= n_val[label] for label, n in need.items()):
            held.update(e[0] for e in group)
            for label, n in need.items():
                count[label] += n
    return held


def _check_counts(labels, entries, min_per_class, where):
    counts = {label: 0 for label in labels}
    for e in entries:
        counts[e[1]] += 1
    few = [f"'{label}' has {n}" for label, n in counts.items() if n < min_per_class]
    if few:
        raise UserError(f"too few images{where}: {', '.join(few)}; each class needs at least "
                        f"{min_per_class} readable, distinct images")


class TrainingData:
    """A dataset ready for training: labels, train and validation subsets, what was skipped."""

    def __init__(self, data_dir, layout, labels, train, val, skipped, duplicates, unreadable=()):
        self.data_dir, self.layout, self.labels = data_dir, layout, labels
        self.train, self.val = train, val
        self.skipped, self.duplicates = skipped, duplicates
        self.unreadable = list(unreadable)  # [(path, reason)], also in skipped
        self.near_copy = np.zeros(len(val), bool)  # held-out photos with a near-copy among training photos
        self.bursts = None  # folders layout: {"groups", "photos"} of near-copies kept on one side

    def summary(self):
        k = len(self.labels)
        t, v = self.train.counts(k), self.val.counts(k)
        return {
            "data_dir": os.path.abspath(self.data_dir),
            "layout": self.layout,
            "classes": self.labels,
            "images": {"train": len(self.train), "validation": len(self.val)},
            "per_class": {label: {"train": t[i], "validation": v[i]} for i, label in enumerate(self.labels)},
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "unreadable": len(self.unreadable),
            "duplicates": self.duplicates,
            "near_copies": self.near_copy_summary(),
        }

    def near_copy_summary(self):
        """How many held-out photos are near-copies of training photos, and how that was found."""
        flagged = [p for p, near in zip(self.val.paths, self.near_copy) if near]
        return {"held_out": len(flagged), "paths": flagged, "bursts": self.bursts,
                "rule": f"difference hash of the model's input, at most {nearcopies.NEAR_COPY_BITS} of "
                        f"{nearcopies.HASH_BITS} bits apart",
                "split": "given by the train/ and validation/ folders" if self.layout == "split" else
                         "near-copies (bursts) kept on one side of the split"}


def load_training_data(data_dir, size, channels, val_fraction=0.3, seed=0, min_per_class=MIN_PER_CLASS):
    """Find, de-duplicate, decode and split DATA_DIR (raises UserError on bad input)."""
    layout, labels, files, skipped = find_files(data_dir)
    if len(labels) < 2:
        found = f"only '{labels[0]}'" if labels else "none"
        raise UserError(f"{data_dir}: needs at least 2 class folders (one per label); found {found}")
    entries = [(p, label, split) for split, pairs in files.items() for p, label in pairs]
    if not entries:
        raise UserError(f"{data_dir}: the class folders hold no files")
    hashed, unreadable = hash_files(entries)
    entries, duplicates = deduplicate(hashed, skipped)
    where = " in train/" if layout == "split" else ""
    _check_counts(labels, [e for e in entries if e[2] != "validation"], min_per_class, where)

    pixels, errors = decode_all([e[0] for e in entries], size, channels, "train: decoding")
    unreadable += errors.items()
    skipped += unreadable
    decoded = {e[0]: px for e, px in zip(entries, pixels) if px is not None}
    entries = [e for e in entries if e[0] in decoded]

    code = {e[0]: nearcopies.dhash(decoded[e[0]]) for e in entries}
    group_of = None
    if layout == "split":
        train = [e for e in entries if e[2] == "train"]
        val = [e for e in entries if e[2] == "validation"]
        _check_counts(labels, train, min_per_class, where)
        _check_counts(labels, val, 1, " in validation/")
    else:
        _check_counts(labels, entries, min_per_class, where)
        group_of = _burst_groups(entries, code)
        train, val = stratified_split(entries, labels, val_fraction, seed, group_of)
    near = nearcopies.near_copies(_codes(code, val), _codes(code, train))

    def subset(chosen):
        shape = (0, size, size, channels)
        px = np.stack([decoded[e[0]] for e in chosen]) if chosen else np.zeros(shape, np.uint8)
        return Subset([e[0] for e in chosen], [labels.index(e[1]) for e in chosen], px)

    skipped.sort()
    data = TrainingData(data_dir, layout, labels, subset(train), subset(val), skipped, duplicates,
                        sorted(unreadable))
    data.near_copy = near
    if group_of is not None:
        sizes = np.bincount(list(group_of.values())) if group_of else np.zeros(0, np.int64)
        data.bursts = {"groups": int(np.sum(sizes > 1)), "photos": int(np.sum(sizes[sizes > 1]))}
    return data


def _codes(code, entries):
    return np.array([code[e[0]] for e in entries], np.uint64).reshape(len(entries), -1)


def _burst_groups(entries, code):
    """{path: group number}: near-copies share a group (host_tools.data.nearcopies)."""
    return dict(zip((e[0] for e in entries), nearcopies.groups(_codes(code, entries)).tolist()))
