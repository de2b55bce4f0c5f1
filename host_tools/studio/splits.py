"""A photo folder of train/ and validation/ folders, as the studio lists and edits it.

train reads DATA either as class folders or, when DATA holds train/ and
validation/, as the same class folders in each (host_tools.data.dataset). The
studio follows it: a class lives in both halves, a photo in one of them.

Each half is listed with listing.walk and the same rules as a plain folder
(flagged instead of refused, escaped names, no link followed out of DATA); the
rule "no link leaves the photo folder" is about DATA as a whole, so a half that
is itself a link out of DATA is not read, and nothing is written or deleted
through it (root_dir).
"""
import os

from .. import UserError
from ..data import dataset
from ..device.ports import shown
from . import listing

SPLITS = dataset.SPLIT_DIRS


def layout(data_dir):
    """"split" (train/ and validation/ folders of class folders, as train reads them) or "folders"."""
    return "split" if dataset.is_split_layout(data_dir) else "folders"


def check(split):
    """split as sent (None, "train" or "validation"); UserError naming the rule otherwise."""
    if split is None or split == "":
        return None
    if not isinstance(split, str) or split not in SPLITS:
        raise UserError(f"split {shown(split, 20)}: choose one of {', '.join(SPLITS)}")
    return split


def root(data_dir, split=None):
    """The folder of DATA holding the class folders: "." or "train" (the default) or "validation"."""
    split = check(split)
    if layout(data_dir) == "split":
        return split or "train"
    if split:
        raise UserError(f"{data_dir} has no train/ and validation/ folders: its class folders "
                        "are its own folders (no split to choose)")
    return "."


def roots(data_dir):
    """Every folder of class folders: a class lives in each (train/ and validation/ alike)."""
    return list(SPLITS) if layout(data_dir) == "split" else ["."]


def root_dir(data_dir, name):
    """DATA/name (name from roots()), refused if it is a link that leads out of DATA."""
    path = os.path.normpath(os.path.join(data_dir, name))
    if not listing.within(path, os.path.realpath(data_dir)):
        raise UserError(f"{name}/: a link to outside the photo folder: the studio does not use it")
    return path


def walk(data_dir):
    """listing.walk over each half, merged by class: ([{key, paths, problem, files: [(path, key,
    problem, split)]}], notes)."""
    if layout(data_dir) != "split":
        found, notes = listing.walk(data_dir)
        return [dict(c, files=[f + (None,) for f in c["files"]]) for c in found], notes
    notes = [f"{listing.key(n)}: beside train/ and validation/: not used"
             for n in sorted(os.listdir(data_dir)) if n not in SPLITS and not dataset._is_hidden(n)]
    merged = {}
    for split in SPLITS:
        try:
            folder = root_dir(data_dir, split)
        except UserError as e:
            notes.append(str(e))
            continue
        found, split_notes = listing.walk(folder, data_dir)
        notes += [f"{split}/{n}" for n in split_notes]
        for c in found:
            m = merged.setdefault(c["key"], {"key": c["key"], "paths": {}, "problem": None, "files": []})
            m["paths"][split] = c["path"]
            if c["problem"] and not m["problem"]:
                m["problem"] = f"{split}/: {c['problem']}"
            m["files"] += [f + (split,) for f in c["files"]]
    for m in merged.values():
        missing = [s for s in SPLITS if s not in m["paths"]]
        if missing and not m["problem"]:
            m["problem"] = (f"only in {[s for s in SPLITS if s not in missing][0]}/: training needs the class "
                            f"in {missing[0]}/ too")
    return [merged[k] for k in sorted(merged)], notes


def class_summary(c, problems, split_layout):
    """One class of walk(): its photos (with their split) and what training would say of its counts."""
    photos = [{"name": name, "split": split, "problem": problems.get(p)} for p, name, _, split in c["files"]]
    splits = SPLITS if split_layout else (None,)
    usable = {s: sum(1 for ph in photos if ph["problem"] is None and ph["split"] == s) for s in splits}
    return {"name": c["key"], "count": len(photos), "usable": sum(usable.values()), "photos": photos,
            "problem": c["problem"] or _too_few(usable, split_layout)}


def _too_few(usable, split_layout):
    """What training would say of a class's usable photos per split; None if enough."""
    need = dataset.MIN_PER_CLASS
    if split_layout and usable["train"] < need:
        return f"only {usable['train']} usable in train/; training needs at least {need} per class there"
    if split_layout and not usable["validation"]:
        return "no usable photo in validation/; training needs at least 1 per class there"
    if not split_layout and usable[None] < need:
        n = usable[None]
        return f"only {n} usable photo{'s' * (n != 1)}; training needs at least {need} per class"
    return None
