"""The firmware recipe: pinned sources, their checks, incremental builds (the ESP32-S3 recipe:
test_firmware_recipe_esp32.py)."""
import os
import subprocess
import sys

from tests.support import firmware as fw

SOURCES = os.path.join(fw.ROOT, "host_tools", "firmware", "firmware_sources.py")
VENDOR = os.path.join(fw.ROOT, "..", "shared", "vendor")
from host_tools.firmware import firmware_sources as sources  # noqa: E402


def run_sources(*args, env=None):
    return subprocess.run([sys.executable, SOURCES, *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_lock_pins_the_vendor_tarballs_sha256sums():
    sums = {}
    with open(os.path.join(VENDOR, "SHA256SUMS")) as f:
        for line in f:
            digest, name = line.split()
            sums[name] = digest
    pins = sources.read_lock()
    assert {"micropython", "tflite-micro", "cmsis-nn", "flatbuffers"} <= set(pins)
    for name, pin in pins.items():
        assert sums[pin["tarball"]] == pin["sha256"], name
        assert sources.sha256_of(os.path.join(VENDOR, pin["tarball"])) == pin["sha256"], name
        assert len(pin["commit"]) == 40


def test_a_tarball_that_does_not_match_its_pin_is_refused(tmp_path):
    vendor, dest = tmp_path / "vendor", tmp_path / "src"
    vendor.mkdir()
    ruy = sources.read_lock()["ruy"]
    (vendor / ruy["tarball"]).write_bytes(b"not the pinned archive")
    r = run_sources("--vendor", str(vendor), "--dest", str(dest), "ruy")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith(f"sources: ruy: {vendor / ruy['tarball']} has sha256 ")
    assert lines[0].endswith(f"but sources.lock pins {ruy['sha256']}; refusing it")
    assert not (dest / "ruy").exists()


def test_the_pinned_tarball_unpacks_once(tmp_path):
    dest = tmp_path / "src"
    first = run_sources("--vendor", VENDOR, "--dest", str(dest), "ruy")
    assert first.returncode == 0, first.stderr
    assert (dest / "ruy" / "ruy" / "profiler").is_dir()
    second = run_sources("--vendor", VENDOR, "--dest", str(dest), "ruy")
    assert second.returncode == 0 and second.stdout == ""


def test_without_vendor_folder_and_network_the_download_fails_in_one_line(tmp_path):
    # No vendor folder, and every connection goes to a closed local port: an offline machine.
    proxy = "http://127.0.0.1:9"
    env = dict(os.environ, http_proxy=proxy, https_proxy=proxy, HTTP_PROXY=proxy, HTTPS_PROXY=proxy,
               ALL_PROXY=proxy, all_proxy=proxy, no_proxy="", NO_PROXY="")
    r = run_sources("--vendor", str(tmp_path / "no-such-vendor"), "--dest", str(tmp_path / "src"),
                    "micropython", env=env)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith("sources: micropython: no vendor folder, and fetching ")
    assert "e0e9fbb17ed6 failed (offline?)" in lines[0]
    assert not (tmp_path / "src" / "micropython").exists()


def test_a_second_build_compiles_nothing():
    for board in ("unix", "qemu_m7"):
        fw.build(board)
        again = fw.build(board)
        compiled = [line for line in again.splitlines() if line.startswith(("CC ", "CXX ", "LINK "))]
        assert compiled == [], f"{board}: {compiled[:5]}"
