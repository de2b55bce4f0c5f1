"""The photo folder the studio edits, with train's own checks: DATA/<class>/<photo>, or
DATA/train/<class>/<photo> and DATA/validation/<class>/<photo> (a class in both; host_tools.studio.splits).

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
from . import listing, safety, splits
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

    def layout(self):
        return splits.layout(self.data_dir)

    def root(self, split=None):
        """The folder of DATA holding the class folders: "." or "train" (the default) or "validation"."""
        return splits.root(self.data_dir, split)

    def summary(self):
        """Classes with their photos, and train's checks next to the photos concerned.

        The walk is listing.walk, per half of a train/ + validation/ folder (train's rules,
        flagging instead of stopping, never reading through a link out of DATA)."""
        layout = self.layout()
        found, notes = splits.walk(self.data_dir)
        flagged = {p: why for c in found for p, _, why, _ in c["files"] if why}
        readable = [(p, c["key"], split) for c in found for p, _, why, split in c["files"] if not why]
        hashed, not_files = dataset.hash_files(readable, self._hashes)
        dup_notes = []
        _, records = dataset.deduplicate(hashed, dup_notes)
        inside = self.data_dir + os.sep
        problems = {p: reason.replace(inside, "") for p, reason in dup_notes}
        problems.update(not_files)
        problems.update(flagged)
        for path, reason in self._unreadable([h[0] for h in hashed]).items():
            problems[path] = reason
        classes = [splits.class_summary(c, problems, layout == "split") for c in found]
        if len(classes) < 2:
            notes.append("training needs at least 2 classes")
        return {"data_dir": self.data_dir, "layout": layout, "classes": classes, "notes": notes,
                "splits": list(splits.SPLITS) if layout == "split" else [],
                "duplicates": len(records), "min_per_class": dataset.MIN_PER_CLASS,
                "ready": len(classes) >= 2 and not any(c["problem"] for c in classes)}

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
        return self._thumbs.get(self.photo_path(label, name, split))

    # --- changing -------------------------------------------------------------------
    # A class or photo is acted on by its own path in DATA, never through a link: deleting a
    # link removes the link, renaming one renames the link, nothing is written into a link.

    def class_dir(self, label, create=False, split=None):
        """DATA[/split]/label, a real folder (not a link) to write photos into. If create, made where
        missing: in every half of a train/ + validation/ folder (a class lives in both)."""
        name, want = safety.class_name(label), self.root(split)
        for r in (splits.roots(self.data_dir) if create else [want]):
            path = os.path.join(splits.root_dir(self.data_dir, r), name)
            if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
                raise UserError(f"class {shown(label)} is a link or not a folder: the studio does not write "
                                "through it")
            if create:
                os.makedirs(safety.inside(self.data_dir, r, name), exist_ok=True)   # checked, then made
            elif not os.path.isdir(path):
                raise UserError(f"no class {shown(label)}")
        return safety.inside(self.data_dir, want, name)

    def listed_class(self, label, split=None):
        """The path of the class folder (or link) the listing shows as label."""
        path = listing.find(splits.root_dir(self.data_dir, self.root(split)), label)
        if path is None or not (os.path.isdir(path) or os.path.islink(path)):
            raise UserError(f"no class {shown(label)}")
        return path

    def _everywhere(self, label):
        """[(folder of class folders, the class's entry there or None)] for each half."""
        out = []
        for r in splits.roots(self.data_dir):
            folder = splits.root_dir(self.data_dir, r)
            path = listing.find(folder, label)
            out.append((folder, path if path and (os.path.isdir(path) or os.path.islink(path)) else None))
        if not any(path for _, path in out):
            raise UserError(f"no class {shown(label)}")
        return out

    def add_class(self, label):
        with self._lock:
            name = safety.class_name(label)
            roots = splits.roots(self.data_dir)
            if any(os.path.lexists(os.path.join(splits.root_dir(self.data_dir, r), name)) for r in roots):
                raise UserError(f"class {shown(label)} already exists")
            for r in roots:
                os.makedirs(safety.inside(self.data_dir, r, name))

    def rename_class(self, label, new):
        """Renames the class in each half where it is; a link is renamed itself."""
        with self._lock:
            name = safety.class_name(new)
            found = self._everywhere(label)
            if any(os.path.lexists(os.path.join(folder, name)) for folder, _ in found):
                raise UserError(f"class {shown(new)} already exists; choose another name")
            for folder, path in found:
                if path:
                    os.rename(path, os.path.join(folder, name))

    def delete_class(self, label):
        """Removes the class in each half: a link only (never its target), a folder with what it holds."""
        with self._lock:
            for _, path in self._everywhere(label):
                if path and os.path.islink(path):
                    os.unlink(path)
                elif path:
                    shutil.rmtree(path)         # (does not follow links inside)

    def delete_photo(self, label, name, split=None):
        """Removes the photo's own entry: a file, a link (not its target), a pipe; never a folder."""
        with self._lock:
            folder = self.listed_class(label, split)
            if os.path.islink(folder):
                raise UserError(f"class {shown(label)} is a link: the studio does not delete through it")
            path = listing.find(folder, name)
            if path is None or (os.path.isdir(path) and not os.path.islink(path)):
                raise UserError(f"{shown(label)}/{shown(name)}: no such photo")
            os.unlink(path)

    def add_photo(self, label, filename, data, split=None):
        """Check and save one uploaded photo under a new name; returns that name.

        Refused (UserError, nothing written): over the size limit, or not an image
        train's decoder reads. Written to a hidden temporary name, then renamed.
        """
        shown = os.path.basename(filename or "photo")[:80]
        if len(data) > safety.MAX_UPLOAD_BYTES:
            raise UserError(f"{shown}: {len(data):,} bytes, over the limit of {safety.MAX_UPLOAD_BYTES:,}; refused")
        folder = self.class_dir(label, create=True, split=split)
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

    def add_photos(self, label, files, split=None):
        """(saved names, refusal messages) for [(file name, bytes)] into split's half; class folders
        made for them are removed again if none was saved."""
        name = safety.class_name(label)
        made = [r for r in splits.roots(self.data_dir)
                if not os.path.lexists(os.path.join(splits.root_dir(self.data_dir, r), name))]
        self.class_dir(label, create=True, split=split)
        saved, refused = [], []
        try:
            for filename, data in files:
                try:
                    saved.append(self.add_photo(label, filename, data, split))
                except UserError as e:
                    refused.append(str(e))
        finally:
            if not saved:
                with self._lock:
                    for r in made:
                        try:
                            os.rmdir(os.path.join(self.data_dir, r, name))   # only if still empty
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
