"""The photo folder the studio edits: DATA/<class>/<photo>, with train's own checks.

The checks are train's (host_tools.data.dataset): the same folder walk, the
same duplicate rule, the same decoder and the same minimum per class, so what
the Dataset page flags is what `train` would skip or refuse.
"""
import os
import shutil
import tempfile
import threading

from .. import UserError
from ..data import dataset
from ..data.images import ImageError, open_image
from ..device.ports import shown
from . import listing, safety
from .thumbs import Thumbnails

_FORMAT_EXT = {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp", "GIF": ".gif", "TIFF": ".tif",
               "WEBP": ".webp", "PPM": ".ppm"}


def _size(path):
    """(width, height) an image file's header states; (0, 0) if Pillow cannot tell."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            return img.size
    except Exception:  # noqa: BLE001 - open_image says why, next
        return 0, 0


class Photos:
    def __init__(self, data_dir):
        self.data_dir = os.path.abspath(data_dir)
        os.makedirs(self.data_dir, exist_ok=True)
        self._lock = threading.Lock()       # one change at a time
        self._decoded = {}                  # (path, size, mtime) -> error message or None
        self._hashes = {}                   # (path, size, mtime) -> SHA-256
        self._thumbs = Thumbnails()

    # --- reading ------------------------------------------------------------------

    def summary(self):
        """Classes with their photos, and train's checks next to the photos concerned.

        The walk is listing.walk (train's rules, flagging instead of stopping, never
        reading through a link out of DATA)."""
        if dataset.is_split_layout(self.data_dir):
            raise UserError("the photo folder uses the train/ and validation/ layout; the studio edits a "
                            "folder of class folders (start it with --data on such a folder)")
        found, notes = listing.walk(self.data_dir)
        flagged = {p: why for c in found for p, _, why in c["files"] if why}
        readable = [(p, c["key"], None) for c in found for p, _, why in c["files"] if not why]
        hashed, not_files = dataset.hash_files(readable, self._hashes)
        dup_notes = []
        _, records = dataset.deduplicate(hashed, dup_notes)
        inside = self.data_dir + os.sep
        problems = {p: reason.replace(inside, "") for p, reason in dup_notes}
        problems.update(not_files)
        problems.update(flagged)
        for path, reason in self._unreadable([h[0] for h in hashed]).items():
            problems[path] = reason
        classes = []
        for c in found:
            photos = [{"name": name, "problem": problems.get(p)} for p, name, _ in c["files"]]
            usable = sum(1 for ph in photos if ph["problem"] is None)
            few = usable < dataset.MIN_PER_CLASS
            classes.append({"name": c["key"], "count": len(photos), "usable": usable, "photos": photos,
                            "problem": c["problem"] or ((f"only {usable} usable photo{'s' * (usable != 1)}; "
                                                         f"training needs at least {dataset.MIN_PER_CLASS} per "
                                                         "class") if few else None)})
        labels = [c["key"] for c in found]
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
        return self._thumbs.get(self.photo_path(label, name))

    # --- changing -------------------------------------------------------------------
    # A class or photo is acted on by its own path in DATA, never through a link: deleting a
    # link removes the link, renaming one renames the link, nothing is written into a link.

    def class_dir(self, label, create=False):
        """DATA/label, a real folder (not a link) to write photos into; created if create."""
        path = os.path.join(self.data_dir, safety.class_name(label))
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
            raise UserError(f"class {shown(label)} is a link or not a folder: the studio does not write "
                            "through it")
        if create:
            os.makedirs(path, exist_ok=True)
        elif not os.path.isdir(path):
            raise UserError(f"no class {shown(label)}")
        return safety.inside(self.data_dir, os.path.basename(path))

    def listed_class(self, label):
        """The path of the class folder (or link) the listing shows as label."""
        path = listing.find(self.data_dir, label)
        if path is None or not (os.path.isdir(path) or os.path.islink(path)):
            raise UserError(f"no class {shown(label)}")
        return path

    def add_class(self, label):
        with self._lock:
            path = safety.inside(self.data_dir, safety.class_name(label))
            if os.path.lexists(path):
                raise UserError(f"class {shown(label)} already exists")
            os.makedirs(path)

    def rename_class(self, label, new):
        with self._lock:
            old_path = self.listed_class(label)
            new_path = os.path.join(self.data_dir, safety.class_name(new))
            if os.path.lexists(new_path):
                raise UserError(f"class {shown(new)} already exists; choose another name")
            os.rename(old_path, new_path)   # a link is renamed itself

    def delete_class(self, label):
        with self._lock:
            path = self.listed_class(label)
            if os.path.islink(path):
                os.unlink(path)             # the link only, never its target
            else:
                shutil.rmtree(path)         # (does not follow links inside)

    def delete_photo(self, label, name):
        """Removes the photo's own entry: a file, a link (not its target), a pipe; never a folder."""
        with self._lock:
            folder = self.listed_class(label)
            if os.path.islink(folder):
                raise UserError(f"class {shown(label)} is a link: the studio does not delete through it")
            path = listing.find(folder, name)
            if path is None or (os.path.isdir(path) and not os.path.islink(path)):
                raise UserError(f"{shown(label)}/{shown(name)}: no such photo")
            os.unlink(path)

    def add_photo(self, label, filename, data):
        """Check and save one uploaded photo under a new name; returns that name.

        Refused (UserError, nothing written): over the size limit, or not an image
        train's decoder reads. Written to a hidden temporary name, then renamed.
        """
        shown = os.path.basename(filename or "photo")[:80]
        if len(data) > safety.MAX_UPLOAD_BYTES:
            raise UserError(f"{shown}: {len(data):,} bytes, over the limit of {safety.MAX_UPLOAD_BYTES:,}; refused")
        folder = self.class_dir(label, create=True)
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            width, height = _size(tmp)   # from the header: a huge image is refused before it is decoded
            if width * height > safety.MAX_UPLOAD_PIXELS:
                raise UserError(f"{shown}: {width}x{height} pixels, over the limit of "
                                f"{safety.MAX_UPLOAD_PIXELS // 1_000_000} megapixels; refused")
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

    def add_photos(self, label, files):
        """(saved names, refusal messages) for [(file name, bytes)]; a class folder made for them
        is removed again if none was saved."""
        existed = os.path.lexists(os.path.join(self.data_dir, safety.class_name(label)))
        folder = self.class_dir(label, create=True)
        saved, refused = [], []
        try:
            for name, data in files:
                try:
                    saved.append(self.add_photo(label, name, data))
                except UserError as e:
                    refused.append(str(e))
        finally:
            if not existed and not saved:
                with self._lock:
                    try:
                        os.rmdir(folder)   # only if still empty
                    except OSError:
                        pass
        return saved, refused

    @staticmethod
    def _free_name(folder, stem, ext):
        name, n = stem + ext, 1
        while os.path.exists(os.path.join(folder, name)):
            n += 1
            name = f"{stem}-{n}{ext}"
        return name
