"""The ESP32-S3 firmware recipe (firmware/recipe/esp32s3.mk, firmware/recipe/esp32s3/).

ESP-IDF cannot be installed here, so these tests run the recipe's own steps (the ESP-IDF checks,
the manifest and fetch steps, the pins, the board folder) on real inputs from the pinned
tarballs; none of them builds or checks ESP-IDF itself.
"""
import os
import re
import subprocess
import sys
import tarfile

import yaml

from tests.support import firmware as fw
from host_tools.firmware import firmware_sources as sources

sys.path.insert(0, os.path.join(fw.ROOT, "firmware", "recipe", "esp32s3"))
import components as esp32  # noqa: E402  (firmware/recipe/esp32s3/components.py)

VENDOR = os.path.join(fw.ROOT, "..", "shared", "vendor")
ESP32_BOARDS = ("esp32s3_eye", "xiao_esp32s3_sense")
GUIDE = 'see docs/boards.md, "First time on an ESP32-S3-EYE"'


def vendor_text(tarball, member):
    with tarfile.open(os.path.join(VENDOR, tarball)) as tar:
        return tar.extractfile(member).read().decode()


def mpy_esp32(member):
    return vendor_text(sources.read_lock()["micropython"]["tarball"], f"micropython-1.28.0/ports/esp32/{member}")


def make_esp32(board, path_dirs, *extra):
    env = {k: v for k, v in os.environ.items() if k != "IDF_PATH"}
    env["PATH"] = os.pathsep.join([*path_dirs, "/usr/bin", "/bin"])
    if path_dirs:
        env["IDF_PATH"] = path_dirs[0]
    return subprocess.run(["make", "--no-print-directory", "-s", *extra, "firmware", f"BOARD={board}"],
                          cwd=fw.ROOT, capture_output=True, text=True, env=env, timeout=60)


def our_lines(stderr):
    """stderr without make's own closing lines ("make[1]: *** [...] Error 2")."""
    return [line for line in stderr.strip().splitlines() if not re.match(r"make(\[\d+\])?: \*\*\* ", line)]


def fake_idf(tmp_path, version):
    """A stand-in `idf.py` that only answers --version: it tests our recipe's checks, not ESP-IDF."""
    script = tmp_path / "idf.py"
    script.write_text(f"#!/bin/sh\necho 'ESP-IDF {version}'\n")
    script.chmod(0o755)
    return str(tmp_path)


def guide_headings():
    with open(os.path.join(fw.ROOT, "docs", "boards.md")) as f:
        return [line.strip("# \n") for line in f if line.startswith("#")]


def test_esp32s3_recipe_fails_at_once_naming_the_esp_idf_version_and_the_guide():
    assert "First time on an ESP32-S3-EYE" in guide_headings()
    for board in ESP32_BOARDS:
        r = make_esp32(board, [])
        assert r.returncode != 0
        lines = our_lines(r.stderr)
        assert len(lines) == 1, r.stderr
        assert lines[0].startswith(f"make firmware BOARD={board}: needs ESP-IDF v5.5.1, not found")
        assert lines[0].endswith(GUIDE)
        assert not os.path.exists(os.path.join(fw.ROOT, "build", "firmware", board))


def test_esp32s3_recipe_refuses_another_esp_idf_version(tmp_path):
    # fake idf.py: exercises the recipe's version check only
    for version in ("v5.4.2", "v5.5.10"):
        r = make_esp32("esp32s3_eye", [fake_idf(tmp_path, version)])
        lines = our_lines(r.stderr)
        assert r.returncode != 0 and len(lines) == 1, r.stderr
        assert lines[0] == f"make firmware BOARD=esp32s3_eye: needs ESP-IDF v5.5.1, found 'ESP-IDF {version}'; {GUIDE}"
    assert not os.path.exists(os.path.join(fw.ROOT, "build", "firmware", "esp32s3_eye"))


def test_esp32s3_recipe_wires_the_prepared_files_into_its_build(tmp_path):
    # `make -n` prints the recipe's commands without running them (fake idf.py present)
    r = make_esp32("xiao_esp32s3_sense", [fake_idf(tmp_path, "v5.5.1")], "-n")
    assert r.returncode == 0, r.stderr
    assert "add-dependency" not in r.stdout
    cmake = re.search(r"components\.py .*--cmake (\S+)", r.stdout).group(1)
    build = r.stdout[r.stdout.index("idf.py -B"):]
    assert f"-D USER_C_MODULES={cmake} " in build
    board_dir = re.search(r"-D MICROPY_BOARD_DIR=(\S+)", build).group(1)
    assert os.path.isfile(os.path.join(board_dir, "mpconfigboard.cmake"))
    assert "-D MICROPY_CAMERA_MODEL=XIAO_ESP32S3 " in build


def test_esp32s3_pins_are_exact_and_match_the_pinned_tarballs():
    pins = {p["name"]: p for p in esp32.read_pins()}
    readme = mpy_esp32("README.md")
    recommended = re.search(r"recommended version of ESP-IDF for MicroPython is (v[\d.]+[\d])", readme).group(1)
    assert pins["esp-idf"]["pin"] == recommended
    for name, prefix in (("espressif/esp-tflite-micro", "esp-tflite-micro"), ("espressif/esp-nn", "esp-nn")):
        tarball = next(f for f in os.listdir(VENDOR) if f.startswith(prefix + "-"))
        manifest = yaml.safe_load(vendor_text(tarball, f"{prefix}/idf_component.yml"))
        assert pins[name]["pin"] == manifest["version"], name
    for p in pins.values():
        if p["source"] != "registry" and p["kind"] != "esp-idf":
            assert re.fullmatch(r"[0-9a-f]{40}", p["pin"]), p["name"]
    assert {"mp_camera_api", "st7789_mpy", "espressif/esp32-camera"} <= set(pins)


def test_esp32s3_pins_refuse_a_floating_version(tmp_path):
    for line, rule in (("component espressif/esp-nn ^1.2.0 registry", "one exact version"),
                       ("module st7789_mpy master https://example.invalid/st7789.git", "40-hex commit"),
                       ("esp-idf esp-idf release/v5.5 https://example.invalid/esp-idf.git", "one exact version")):
        lock = tmp_path / "pins.lock"
        lock.write_text("# a comment\n" + line + "\n")
        try:
            esp32.read_pins(str(lock))
        except esp32.RecipeError as e:
            assert str(e).startswith(f"{lock}:2: ") and rule in str(e)
        else:
            raise AssertionError(f"accepted {line!r}")


def prepared_tree(tmp_path):
    """A port folder with MicroPython v1.28.0's real main/idf_component.yml, and the modules
    already unpacked at their pinned commits (their stamps), so that nothing is downloaded."""
    port, src = tmp_path / "ports" / "esp32", tmp_path / "src"
    (port / "main").mkdir(parents=True)
    (port / "main" / "idf_component.yml").write_text(mpy_esp32("main/idf_component.yml"))
    pins = {p["name"]: p for p in esp32.read_pins()}
    for name, folder in esp32.from_git(pins.values()).items():
        (src / folder).mkdir(parents=True)
        (src / folder / sources.STAMP).write_text(f"{pins[name]['pin']} git\n")
    return port, src


def run_components(port, src, cmake):
    return subprocess.run([sys.executable, esp32.__file__, "--port", str(port), "--src", str(src),
                           "--cmake", str(cmake)], capture_output=True, text=True, timeout=60)


def test_esp32s3_manifest_step_twice_writes_each_component_once(tmp_path):
    port, src = prepared_tree(tmp_path)
    manifest, cmake = port / "main" / "idf_component.yml", tmp_path / "esp32s3_eye.cmake"
    original = yaml.safe_load(manifest.read_text())["dependencies"]
    first = run_components(port, src, cmake)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    text = manifest.read_text()
    for _ in range(2):      # a second build, then the other board: same port folder
        again = run_components(port, src, cmake)
        assert again.returncode == 0 and again.stderr == "", again.stderr
        assert manifest.read_text() == text
    deps = yaml.safe_load(text)["dependencies"]
    for p in esp32.read_pins():
        if p["kind"] == "component":
            assert len(re.findall(rf"^  {re.escape(p['name'])}:", text, re.M)) == 1, p["name"]
            got = deps[p["name"]]
            if p["source"] == "registry":
                assert got == f"=={p['pin']}"
            else:   # fetched at its commit; the override_path folder has the name the module asks for
                assert list(got) == ["override_path"]
                folder = os.path.normpath(os.path.join(port, "main", got["override_path"]))
                assert folder == str(src / p["name"].split("/")[1])
                assert open(os.path.join(folder, sources.STAMP)).read().split()[0] == p["pin"]
    assert {k: deps[k] for k in original} == original     # MicroPython's own entries untouched
    includes = re.findall(r"^include\((.+)\)$", cmake.read_text(), re.M)
    assert includes == [os.path.join(fw.ROOT, "firmware", "tflm", "micropython.cmake"),
                        str(src / "mp_camera_api" / "micropython.cmake"), str(src / "st7789_mpy" / "micropython.cmake")]


def test_esp32s3_manifest_step_refuses_an_entry_added_by_hand(tmp_path):
    port, src = prepared_tree(tmp_path)
    manifest = port / "main" / "idf_component.yml"
    manifest.write_text(manifest.read_text().replace("dependencies:\n", "dependencies:\n  espressif/esp-nn: \"*\"\n"))
    before = manifest.read_text()
    r = run_components(port, src, tmp_path / "x.cmake")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        "esp32s3 recipe: main/idf_component.yml already lists espressif/esp-nn outside the recipe's block "
        "(an earlier `idf.py add-dependency`?); delete that entry, or build/src/micropython"]
    assert manifest.read_text() == before and not (tmp_path / "x.cmake").exists()


def test_esp32s3_partitions_keep_micropythons_and_fit_8_mib():
    def rows(text):
        return [[c.strip() for c in line.split(",")[:5]] for line in text.splitlines()
                if line.strip() and not line.startswith("#")]
    with open(os.path.join(fw.ROOT, "firmware", "recipe", "esp32s3", "board", "partitions-8MiB.csv")) as f:
        ours = rows(f.read())
    theirs = rows(mpy_esp32("partitions-4MiBplus.csv"))
    assert ours[:-1] == theirs[:-1] and ours[-1][:4] == theirs[-1][:4]   # only the app's size differs
    end = 0
    for name, _, _, offset, size in ours:
        assert int(offset, 16) >= end, name
        end = int(offset, 16) + int(size, 16)
    assert int(ours[-1][4], 16) > int(theirs[-1][4], 16) and end <= 8 * 1024 * 1024


def test_esp32s3_docs_name_the_pinned_esp_idf_and_no_longer_the_19_combination():
    idf = next(p["pin"] for p in esp32.read_pins() if p["kind"] == "esp-idf")
    texts = {}
    for board in ESP32_BOARDS:
        with open(os.path.join(fw.ROOT, "boards", board, "board.json")) as f:
            info = yaml.safe_load(f)          # JSON is YAML
        assert info["runtime"] == "tflm"
        texts[board] = info["firmware"]
        assert f"make firmware BOARD={board}" in info["firmware"]
    for doc in ("README.md", os.path.join("docs", "boards.md"), os.path.join("docs", "firmware.md")):
        with open(os.path.join(fw.ROOT, doc)) as f:
            texts[doc] = f.read()
    for name, text in texts.items():
        assert f"ESP-IDF {idf}" in text, name
        assert not re.search(r"MicroPython 1\.19(\+| or later)", text), name


def test_esp32s3_offline_fetch_fails_in_one_line_and_changes_nothing(tmp_path):
    port, _ = prepared_tree(tmp_path)
    manifest = port / "main" / "idf_component.yml"
    before = manifest.read_text()
    proxy = "http://127.0.0.1:9"      # every connection goes to a closed local port: offline
    env = dict(os.environ, http_proxy=proxy, https_proxy=proxy, HTTP_PROXY=proxy, HTTPS_PROXY=proxy,
               ALL_PROXY=proxy, all_proxy=proxy, no_proxy="", NO_PROXY="")
    r = subprocess.run([sys.executable, esp32.__file__, "--port", str(port), "--src", str(tmp_path / "empty"),
                        "--cmake", str(tmp_path / "x.cmake")], capture_output=True, text=True, timeout=120, env=env)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith("esp32s3 recipe: esp32-camera: no vendor folder, and fetching ")
    camera = next(p for p in esp32.read_pins() if p["name"] == "espressif/esp32-camera")
    assert f"{camera['pin'][:12]} failed (offline?)" in lines[0]
    assert manifest.read_text() == before and not (tmp_path / "x.cmake").exists()


def test_esp32s3_board_builds_on_micropythons_generic_s3_and_overrides_its_flash_settings():
    board = os.path.join(fw.ROOT, "firmware", "recipe", "esp32s3", "board")
    with open(os.path.join(board, "mpconfigboard.cmake")) as f:
        cmake = f.read()
    with open(os.path.join(board, "mpconfigboard.h")) as f:
        header = f.read()
    used = re.findall(r"include\(\$\{CMAKE_SOURCE_DIR\}/(\S+)\)", cmake) + re.findall(r'#include "(\S+)"', header)
    assert used == ["boards/ESP32_GENERIC_S3/mpconfigboard.cmake",
                    "boards/ESP32_GENERIC_S3/mpconfigvariant_SPIRAM_OCT.cmake",
                    "boards/ESP32_GENERIC_S3/mpconfigboard.h"]
    for member in used:
        assert mpy_esp32(member)          # each exists in MicroPython v1.28.0
    base = mpy_esp32("boards/sdkconfig.base")
    for key in re.findall(r'"(CONFIG_[A-Z0-9_]+)=', cmake):   # each setting replaces one of the base's
        assert re.search(rf"^{key}=", base, re.M) or key == "CONFIG_ESPTOOLPY_FLASHSIZE_8MB", key
    assert "CONFIG_ESPTOOLPY_FLASHSIZE_4MB=y" in base
