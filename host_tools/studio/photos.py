"""The photo folder the studio edits: DATA/<class>/<photo>, with train's own checks.

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

    def summary(self):
        """Classes with their photos, and train's checks next to the photos concerned."""
        layout, labels, files, skipped = dataset.find_files(self.data_dir)
        if layout == "split":
            raise UserError(f"{self.data_dir} uses the train/ and validation/ layout; the studio edits a "
                            "folder of class folders (start it with --data on such a folder)")
        pairs = files[None]
        hashed, not_files = dataset.hash_files([(p, label, None) for p, label in pairs], self._hashes)
        dup_notes = []
        _, records = dataset.deduplicate(hashed, dup_notes)
        inside = self.data_dir + os.sep
        problems = {p: reason.replace(inside, "") for p, reason in dup_notes}
        problems.update(not_files)
        for path, reason in self._unreadable([h[0] for h in hashed]).items():
            problems[path] = reason
        classes = []
        for label in labels:
            photos = [{"name": os.path.basename(p), "problem": problems.get(p)} for p, lab in pairs if lab == label]
            usable = sum(1 for ph in photos if ph["problem"] is None)
            few = usable < dataset.MIN_PER_CLASS
            classes.append({"name": label, "count": len(photos), "usable": usable, "photos": photos,
                            "problem": (f"only {usable} usable photo{'s' * (usable != 1)}; training needs at "
                                        f"least {dataset.MIN_PER_CLASS} per class") if few else None})
        notes = [f"{os.path.relpath(p, self.data_dir)}: {r}" for p, r in skipped
                 if r != "hidden file or folder"]
        if len(labels) < 2:
            notes.append("training needs at least 2 classes")
        return {"data_dir": self.data_dir, "classes": classes, "notes": notes,
                "duplicates": len(records), "min_per_class": dataset.MIN_PER_CLASS,
                "ready": len(labels) >= 2 and not any(c["problem"] for c in classes)}

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

    def photo_path(self, label, name):
        path = safety.inside(self.data_dir, safety.class_name(label), safety.file_name(name))
        if not os.path.isfile(path):
            raise UserError(f"{label}/{name}: no such photo")
        return path

    def thumbnail(self, label, name):
        """PNG bytes of a small square preview (as the model crops it); None if unreadable."""
        try:
            img = open_image(self.photo_path(label, name)).convert("RGB")
        except ImageError:
            return None
        side = min(img.size)
        left, top = (img.width - side) // 2, (img.height - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize((THUMB, THUMB), Image.BILINEAR)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        return buf.getvalue()

    # --- changing -------------------------------------------------------------------

    def class_dir(self, label, create=False):
        path = safety.inside(self.data_dir, safety.class_name(label))
        if create:
            os.makedirs(path, exist_ok=True)
        elif not os.path.isdir(path):
            raise UserError(f"no class {label!r}")
        return path

    def add_class(self, label):
        with self._lock:
            path = safety.inside(self.data_dir, safety.class_name(label))
            if os.path.exists(path):
                raise UserError(f"class {label!r} already exists")
            os.makedirs(path)

    def rename_class(self, label, new):
        with self._lock:
            old_path = self.class_dir(label)
            new_path = safety.inside(self.data_dir, safety.class_name(new))
            if os.path.exists(new_path):
                raise UserError(f"class {new!r} already exists; choose another name")
            os.rename(old_path, new_path)

    def delete_class(self, label):
        with self._lock:
            shutil.rmtree(self.class_dir(label))

    def delete_photo(self, label, name):
        with self._lock:
            os.remove(self.photo_path(label, name))

    def add_photo(self, label, filename, data):
        """Check and save one uploaded photo under a new name; returns that name.

        Refused (UserError, nothing written): over the size limit, or not an image
        train's decoder reads. Written to a hidden temporary name, then renamed.
        """
        shown = os.path.basename(filename or "photo")
        if len(data) > safety.MAX_UPLOAD_BYTES:
            raise UserError(f"{shown}: {len(data):,} bytes, over the limit of {safety.MAX_UPLOAD_BYTES:,}; refused")
        folder = self.class_dir(label, create=True)
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
