"""The photo folder the studio edits, with train's own checks: DATA/<class>/<photo>, or
DATA/train/<class>/<photo> and DATA/validation/<class>/<photo> (a class in both).

The checks are train's (host_tools.data.dataset): the same folder walk, the
same duplicate rule, the same decoder and the same minimum per class, so what
the Dataset page flags is what `train` would skip or refuse.
"""
import io
import os
import shutil
import tempfile
import threading

from PIL import Image

from .. import UserError
from ..data import dataset
from ..data.images import ImageError, open_image
from . import safety

THUMB = 112
_FORMAT_EXT = {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp", "GIF": ".gif", "TIFF": ".tif",
               "WEBP": ".webp", "PPM": ".ppm"}


class Photos:
    def __init__(self, data_dir):
        self.data_dir = os.path.abspath(data_dir)
        os.makedirs(self.data_dir, exist_ok=True)
        self._lock = threading.Lock()       # one change at a time
        self._decoded = {}                  # (path, size, mtime) -> error message or None
        self._hashes = {}                   # (path, size, mtime) -> SHA-256

    # --- reading ------------------------------------------------------------------

    def layout(self):
        """"split" (train/ and validation/ folders of class folders, as train reads them) or "folders"."""
        return "split" if dataset.is_split_layout(self.data_dir) else "folders"

    def root(self, split=None):
        """The folder holding the class folders, inside DATA: "." or "train" (the default) or "validation"."""
        if self.layout() == "split":
            split = split or "train"
            if split not in dataset.SPLIT_DIRS:
                raise UserError(f"split {split!r}: choose one of {', '.join(dataset.SPLIT_DIRS)}")
            return split
        if split:
            raise UserError(f"{self.data_dir} has no train/ and validation/ folders: its class folders "
                            "are its own folders (no split to choose)")
        return "."

    def summary(self):
        """Classes with their photos, and train's checks next to the photos concerned."""
        layout, labels, files, skipped = dataset.find_files(self.data_dir)
        entries = [(p, label, split) for split, pairs in files.items() for p, label in pairs]
        hashed, not_files = dataset.hash_files(entries, self._hashes)
        dup_notes = []
        _, records = dataset.deduplicate(hashed, dup_notes)
        inside = self.data_dir + os.sep
        problems = {p: reason.replace(inside, "") for p, reason in dup_notes}
        problems.update(not_files)
        for path, reason in self._unreadable([h[0] for h in hashed]).items():
            problems[path] = reason
        classes = [self._class_summary(label, entries, problems, layout) for label in labels]
        notes = [f"{os.path.relpath(p, self.data_dir)}: {r}" for p, r in skipped
                 if r != "hidden file or folder"]
        if len(labels) < 2:
            notes.append("training needs at least 2 classes")
        return {"data_dir": self.data_dir, "layout": layout, "classes": classes, "notes": notes,
                "splits": list(dataset.SPLIT_DIRS) if layout == "split" else [],
                "duplicates": len(records), "min_per_class": dataset.MIN_PER_CLASS,
                "ready": len(labels) >= 2 and not any(c["problem"] for c in classes)}

    @staticmethod
    def _class_summary(label, entries, problems, layout):
        """One class: its photos (with their split) and what training would say of its counts."""
        photos = [{"name": os.path.basename(p), "split": split, "problem": problems.get(p)}
                  for p, lab, split in entries if lab == label]
        splits = dataset.SPLIT_DIRS if layout == "split" else (None,)
        usable = {s: sum(1 for ph in photos if ph["problem"] is None and ph["split"] == s) for s in splits}
        need = dataset.MIN_PER_CLASS
        problem = None
        if layout == "split" and usable["train"] < need:
            problem = f"only {usable['train']} usable in train/; training needs at least {need} per class there"
        elif layout == "split" and not usable["validation"]:
            problem = "no usable photo in validation/; training needs at least 1 per class there"
        elif layout != "split" and usable[None] < need:
            n = usable[None]
            problem = f"only {n} usable photo{'s' * (n != 1)}; training needs at least {need} per class"
        return {"name": label, "count": len(photos), "usable": sum(usable.values()), "photos": photos,
                "problem": problem}

    def _unreadable(self, paths):
        """{path: reason} for files train's decoder cannot read (cached by size and time)."""
        keys = {}
        for p in paths:
            st = os.stat(p)
            keys[p] = (p, st.st_size, st.st_mtime_ns)
        todo = [p for p in paths if keys[p] not in self._decoded]
        if todo:
            _, errors = dataset.decode_all(todo, 96, 3, "studio: checking")
            for p in todo:
                self._decoded[keys[p]] = errors.get(p)
        return {p: self._decoded[keys[p]] for p in paths if self._decoded[keys[p]]}

    def photo_path(self, label, name, split=None):
        path = safety.inside(self.data_dir, self.root(split), safety.class_name(label), safety.file_name(name))
        if not os.path.isfile(path):
            raise UserError(f"{label}/{name}: no such photo")
        return path

    def thumbnail(self, label, name, split=None):
        """PNG bytes of a small square preview (as the model crops it); None if unreadable."""
        try:
            img = open_image(self.photo_path(label, name, split)).convert("RGB")
        except ImageError:
            return None
        side = min(img.size)
        left, top = (img.width - side) // 2, (img.height - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize((THUMB, THUMB), Image.BILINEAR)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        return buf.getvalue()

    # --- changing -------------------------------------------------------------------

    def class_dir(self, label, create=False, split=None):
        path = safety.inside(self.data_dir, self.root(split), safety.class_name(label))
        if create:
            os.makedirs(path, exist_ok=True)
        elif not os.path.isdir(path):
            raise UserError(f"no class {label!r}")
        return path

    def _roots(self):
        """Every folder of class folders: a class lives in each (train/ and validation/ alike)."""
        return list(dataset.SPLIT_DIRS) if self.layout() == "split" else ["."]

    def add_class(self, label):
        with self._lock:
            paths = [safety.inside(self.data_dir, r, safety.class_name(label)) for r in self._roots()]
            if any(os.path.exists(p) for p in paths):
                raise UserError(f"class {label!r} already exists")
            for path in paths:
                os.makedirs(path)

    def rename_class(self, label, new):
        with self._lock:
            moves = []
            for r in self._roots():
                old_path = safety.inside(self.data_dir, r, safety.class_name(label))
                new_path = safety.inside(self.data_dir, r, safety.class_name(new))
                if os.path.exists(new_path):
                    raise UserError(f"class {new!r} already exists; choose another name")
                if os.path.isdir(old_path):
                    moves.append((old_path, new_path))
            if not moves:
                raise UserError(f"no class {label!r}")
            for old_path, new_path in moves:
                os.rename(old_path, new_path)

    def delete_class(self, label):
        with self._lock:
            paths = [safety.inside(self.data_dir, r, safety.class_name(label)) for r in self._roots()]
            if not any(os.path.isdir(p) for p in paths):
                raise UserError(f"no class {label!r}")
            for path in paths:
                if os.path.isdir(path):
                    shutil.rmtree(path)

    def delete_photo(self, label, name, split=None):
        with self._lock:
            os.remove(self.photo_path(label, name, split))

    def add_photo(self, label, filename, data, split=None):
        """Check and save one uploaded photo under a new name; returns that name.

        Refused (UserError, nothing written): over the size limit, or not an image
        train's decoder reads. Written to a hidden temporary name, then renamed.
        """
        shown = os.path.basename(filename or "photo")
        if len(data) > safety.MAX_UPLOAD_BYTES:
            raise UserError(f"{shown}: {len(data):,} bytes, over the limit of {safety.MAX_UPLOAD_BYTES:,}; refused")
        folder = self.class_dir(label, create=True, split=split)
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            try:
                img = open_image(tmp)
            except ImageError:
                raise UserError(f"{shown}: not an image (or a damaged one); refused") from None
            ext = _FORMAT_EXT.get(img.format or "", ".png")
            with self._lock:
                name = self._free_name(folder, safety.safe_stem(filename), ext)
                os.link(tmp, os.path.join(folder, name))   # fails rather than replace a file
        finally:
            os.unlink(tmp)
        return name

    @staticmethod
    def _free_name(folder, stem, ext):
        name, n = stem + ext, 1
        while os.path.exists(os.path.join(folder, name)):
            n += 1
            name = f"{stem}-{n}{ext}"
        return name
