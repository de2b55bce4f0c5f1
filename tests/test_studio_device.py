"""The studio's serial jobs over HTTP: Cancel stops flash, capture and the live view at any
point (the port is closed), Flash only where a flash can go, ports likeliest first.

The ports are real pseudo-terminals (tests/support/ptyboards.py); a silent one keeps
each job waiting, so only the Cancel can end it before its deadline.
"""
import time

import pytest
import serial
import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo

from tests.support import DATASET
from host_tools.device import monitor as mon
from host_tools.device import transport
from tests.support.ptyboards import PtyPort
from tests.support.studio_client import studio  # noqa: F401 (fixture)

HANG_GUARD = 60   # seconds: only so that a regression cannot hang the test run


def until(fn, what):
    """fn()'s first true value, polled; fails after HANG_GUARD seconds."""
    end = time.monotonic() + HANG_GUARD
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"waited {HANG_GUARD} s for {what}")


def port_is_free(port):
    """Nobody holds the port: an exclusive open (flock, as mpremote opens it) succeeds."""
    s = serial.Serial(port, exclusive=True)
    s.close()
    return True


def test_cancel_stops_a_flash_that_waits_for_a_silent_board(studio, monkeypatch):
    monkeypatch.setattr(transport, "HANDSHAKE_TIMEOUT", 3600)   # only the cancel can end it
    c = studio.client
    with PtyPort("silent") as p:
        assert c.post("/api/flash", {"board": "esp32s3_eye", "port": p.port}) == (200, {"ok": True})
        until(lambda: b"\x01" in p.received, "the raw-REPL request")   # it is waiting now
        with pytest.raises(serial.SerialException):
            port_is_free(p.port)                                     # the flash holds the port
        assert c.post("/api/flash/cancel") == (200, {"ok": True})
        status, s = c.get("/api/flash/status")
        assert s["state"] == "cancelled"
        assert s["message"] == "cancelled while waiting for the board's REPL; nothing was changed"
        assert port_is_free(p.port)
    assert c.post("/api/flash/cancel") == (400, {"error": "no flash is going"})


def test_cancel_stops_a_capture_from_a_silent_board(studio, monkeypatch):
    c = studio.client
    assert c.post("/api/class/add", {"class": "mug"})[0] == 200
    with PtyPort("silent") as p:
        assert c.post("/api/capture", {"class": "mug", "port": p.port, "count": 5})[0] == 200
        until(lambda: b"@frame" in p.received, "the first @frame request")
        assert c.post("/api/capture/cancel") == (200, {"ok": True})
        s = c.get("/api/capture/status")[1]
    assert (s["state"], s["message"], s["done"]) == ("cancelled", "cancelled after 0 photos (those are kept)", 0)


def test_the_live_view_stops_at_once_and_says_when_no_result_comes(studio, monkeypatch):
    monkeypatch.setattr(mon, "QUIET", 0.5)
    c = studio.client
    with PtyPort("silent") as p:
        assert c.post("/api/monitor/start", {"port": p.port}) == (200, {"ok": True})
        s = until(lambda: (lambda s: s if s["message"] else None)(c.get("/api/monitor/status")[1]),
                  "the no-results note")
        assert s["state"] == "running"
        assert s["message"] == (f"no results yet from {p.port} after 0.5 s: is the app flashed? "
                                f"(the Flash button above)")
        # the camera view, waiting for a frame the board never sends: Stop ends it
        assert c.post("/api/monitor/start", {"port": p.port, "camera": True}) == (200, {"ok": True})
        until(lambda: b"@frame" in p.received, "the @frame request")
        assert c.post("/api/monitor/stop") == (200, {"ok": True})
        assert studio.studio.monitor._thread is None   # joined: the reader has ended
        assert c.get("/api/monitor/status")[1]["state"] == "stopped"


def test_ports_are_offered_likeliest_first(studio, monkeypatch):
    found = []
    for device, vid in (("/dev/ttyS0", None), ("/dev/ttyS1", None), ("/dev/ttyUSB0", 0x10C4),
                        ("/dev/ttyACM1", 0x303A), ("/dev/ttyACM0", 0x303A), ("/dev/rfcomm0", None)):
        info = ListPortInfo(device, skip_link_detection=True)
        info.vid, info.pid = vid, (1 if vid else None)
        found.append(info)
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *a, **k: list(found))
    ports = studio.client.get("/api/ports")[1]["ports"]
    assert [p["device"] for p in ports] == ["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyUSB0",
                                            "/dev/rfcomm0", "/dev/ttyS0", "/dev/ttyS1"]
    assert [p["likely"] for p in ports] == [True, True, True, False, False, False]
    assert transport.find_port() == "/dev/ttyACM0"


def test_flash_is_offered_only_where_a_flash_can_go(studio, default_blob):
    import os
    c = studio.client
    rows = c.get("/api/boards")[1]["boards"]
    assert [r["name"] for r in rows if not r["flash"]] == ["unix"]   # no serial line: nothing to flash
    assert c.post("/api/class/add", {"class": "white"})[0] == 200
    folder = os.path.join(DATASET, "train", "white")
    name = sorted(os.listdir(folder))[0]
    with open(os.path.join(folder, name), "rb") as f:
        assert c.upload("white", [(name, f.read())])[0] == 200
    status, r = c.post("/api/emulate/start", {"board": "esp32s3_eye"})
    assert status == 200, r
    try:
        first = c.get("/api/ports")[1]["ports"][0]
        assert first == {"device": r["port"], "flash": False, "likely": True,
                         "description": "emulated esp32s3_eye (runs the app here: takes no flash)"}
        status, e = c.post("/api/flash", {"board": "esp32s3_eye", "port": r["port"]})
        assert status == 400 and e["error"] == (
            f"{r['port']} is the emulated esp32s3_eye board: it runs the app on this computer and "
            f"takes no flash; flash a board on a USB port, or the emulated qemu_m7")
        assert c.get("/api/flash/status")[1]["state"] == "idle"   # nothing started
    finally:
        c.post("/api/emulate/stop")
