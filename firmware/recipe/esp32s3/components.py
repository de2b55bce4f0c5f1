"""Prepare the ESP32-S3 build from pins.lock, idempotently (host Python; run by esp32s3.mk).

    python3 firmware/recipe/esp32s3/components.py --port build/src/micropython/ports/esp32 \
        --src build/src --cmake build/firmware/esp32s3_eye.cmake

1. Fetches what comes from git (the user C modules, and components pinned by commit, which
   the manifest names by override_path) into SRC/NAME, by commit, once. Offline, it stops
   here, having changed nothing.
2. Writes the pinned ESP-IDF components into the port's `main/idf_component.yml` as one
   block between two marker lines. A second run replaces the block, so it never adds an
   entry twice (`idf.py add-dependency` refuses a second run: `Dependency "..." already
   exists`). An entry of the same name outside the block is refused in one line.
3. Writes the USER_C_MODULES CMake file that includes the `tflm` module and those modules.

Files are written through a temporary name, and only when their text changes (CMake then
has nothing to reconfigure). Any failure is one line on stderr and exit status 2.
"""
import argparse
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PINS = os.path.join(HERE, "pins.lock")
TFLM_CMAKE = os.path.join(ROOT, "firmware", "tflm", "micropython.cmake")
BEGIN = "  # BEGIN components pinned by firmware/recipe/esp32s3/pins.lock (written by components.py)"
END = "  # END components pinned by firmware/recipe/esp32s3/pins.lock"
KINDS = ("esp-idf", "component", "module")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(~\d+)?$")

sys.path.insert(0, ROOT)
from host_tools.firmware import firmware_sources  # noqa: E402  (after the path is set)


class RecipeError(Exception):
    """Something the user must fix before the ESP32 build can run: one line."""


def read_pins(path=PINS):
    """[{kind, name, pin, source}] in file order; every pin an exact version or a 40-hex commit."""
    pins = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) != 4 or fields[0] not in KINDS:
                raise RecipeError(f"{path}:{number}: want 'kind name pin from' with kind one of "
                                  f"{', '.join(KINDS)}; got {line.strip()!r}")
            kind, name, pin, source = fields
            git = source != "registry"
            if (kind == "module" or (kind == "component" and git)) and not _COMMIT.match(pin):
                raise RecipeError(f"{path}:{number}: {name} comes from git, so its pin must be a 40-hex commit; got {pin}")
            if (kind == "esp-idf" or not git) and not _VERSION.match(pin):
                raise RecipeError(f"{path}:{number}: {name} must be pinned to one exact version; got {pin}")
            pins.append(dict(kind=kind, name=name, pin=pin, source=source))
    return pins


def from_git(pins):
    """{name: folder under SRC} for everything fetched by commit: the C modules by their
    name, a component by its name without namespace (its override_path folder)."""
    return {p["name"]: p["name"].split("/")[-1] for p in pins
            if p["kind"] == "module" or (p["kind"] == "component" and p["source"] != "registry")}


def manifest_block(pins, main_dir, src_root):
    """The lines written into main/idf_component.yml's `dependencies:` mapping."""
    lines, folders = [BEGIN], from_git(pins)
    for p in pins:
        if p["kind"] != "component":
            continue
        if p["source"] == "registry":
            lines.append(f'  {p["name"]}: "=={p["pin"]}"')
        else:   # relative to main/, as the component manager reads it
            path = os.path.relpath(os.path.join(src_root, folders[p["name"]]), main_dir)
            lines += [f'  {p["name"]}:', f'    override_path: "{path}"']
    return lines + [END]


def with_block(text, block, pins):
    """text (an idf_component.yml) with the pinned block in place of any earlier one."""
    lines = text.splitlines()
    if BEGIN in lines:
        if END not in lines[lines.index(BEGIN):]:
            raise RecipeError(f"main/idf_component.yml has the line {BEGIN.strip()!r} but not its end marker")
        start = lines.index(BEGIN)
        del lines[start:lines.index(END, start) + 1]
    names = [p["name"] for p in pins if p["kind"] == "component"]
    for line in lines:
        key = line.strip().split(":", 1)[0].strip("'\"")
        if line.startswith("  ") and not line.startswith("   ") and key in names:
            raise RecipeError(f"main/idf_component.yml already lists {key} outside the recipe's block "
                              f"(an earlier `idf.py add-dependency`?); delete that entry, or build/src/micropython")
    if "dependencies:" not in lines:
        raise RecipeError("main/idf_component.yml has no top-level 'dependencies:' line")
    at = lines.index("dependencies:") + 1
    return "\n".join(lines[:at] + block + lines[at:]) + "\n"


def write_if_changed(path, text):
    """Write text to path through a temporary name; leave the file alone when it is the same."""
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def write_manifest(port_dir, pins, src_root):
    main_dir = os.path.join(port_dir, "main")
    path = os.path.join(main_dir, "idf_component.yml")
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        raise RecipeError(f"{path} is missing: is {port_dir} MicroPython's esp32 port?") from None
    return write_if_changed(path, with_block(text, manifest_block(pins, main_dir, src_root), pins))


def fetch_from_git(src_root, pins):
    """{folder: path} of everything pinned by commit, in src_root, with firmware_sources' git path."""
    folders = from_git(pins)
    with tempfile.TemporaryDirectory() as tmp:
        lock = os.path.join(tmp, "git.lock")   # firmware_sources' format; no tarball exists
        with open(lock, "w") as f:
            for p in pins:
                if p["name"] in folders:
                    f.write(f"{folders[p['name']]} - - {p['source']} {p['pin']}\n")
        no_vendor = os.path.join(tmp, "no-vendor")  # so the pinned commits come from git
        try:
            return firmware_sources.unpack(list(folders.values()), no_vendor, src_root, lock)
        except firmware_sources.SourceError as e:
            raise RecipeError(str(e)) from None


def user_modules_cmake(module_dirs):
    """The USER_C_MODULES file: the tflm module, then each module's own micropython.cmake."""
    paths = [TFLM_CMAKE] + [os.path.join(d, "micropython.cmake") for d in module_dirs]
    return "".join(f"include({os.path.abspath(p)})\n" for p in paths)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", required=True, help="MicroPython's ports/esp32 folder")
    ap.add_argument("--src", required=True, help="where the pinned modules are unpacked")
    ap.add_argument("--cmake", required=True, help="the USER_C_MODULES file to write")
    args = ap.parse_args(argv)
    try:
        pins = read_pins()
        fetched = fetch_from_git(args.src, pins)
        write_manifest(args.port, pins, args.src)
        modules = [fetched[p["name"]] for p in pins if p["kind"] == "module"]
        write_if_changed(args.cmake, user_modules_cmake(modules))
    except RecipeError as e:
        print(f"esp32s3 recipe: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
