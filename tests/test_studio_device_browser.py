"""The studio in headless Chromium: Cancel ends a capture and a flash that wait on a silent port,
a stale error goes when another board starts, and Flash is not offered for an emulated
board that runs the app on the host. (Driven as tests/test_studio_browser.py drives it.)"""
import os

import serial

from tests.support import DATASET
from test_studio_browser import browser, console_errors, shoot, text, wait  # noqa: F401 (fixture)
from tests.support.ptyboards import PtyPort
from tests.support.studio_client import studio  # noqa: F401 (fixture)


def test_cancel_a_flash_and_no_flash_for_an_emulated_board(browser, studio):
    d, c = browser, studio.client
    folder = os.path.join(DATASET, "train", "white")
    names = sorted(os.listdir(folder))[:2]
    assert c.post("/api/class/add", {"class": "white"})[0] == 200
    for name in names:   # the emulated camera shows the folder's photos
        with open(os.path.join(folder, name), "rb") as f:
            assert c.upload("white", [(name, f.read())])[0] == 200

    # the Photos page: Cancel ends a capture that waits for a silent board
    d.get(studio.url.rstrip("/") + "/dataset")
    wait(d, lambda d: d.find_elements("css selector", "#target option[value=white]"), what="the class list")
    with PtyPort("silent") as p:
        cap = d.find_element("id", "cap-port")
        cap.clear()
        cap.send_keys(p.port)
        d.find_element("id", "cap-go").click()
        wait(d, lambda d: d.find_element("id", "cap-cancel").is_displayed(), what="the capture's Cancel")
        wait(d, lambda d: b"@frame" in p.received, timeout=60, what="the capture asking for a frame")
        d.find_element("id", "cap-cancel").click()
        wait(d, lambda d: "cancelled" in text(d, "#cap-status"), timeout=60, what="the capture cancelled")
        assert text(d, "#cap-status") == "cancelled after 0 photos (those are kept)"
        assert not d.find_element("id", "cap-cancel").is_displayed()

    d.get(studio.url.rstrip("/") + "/device")
    wait(d, lambda d: "fits" in text(d, "#boards"), timeout=60, what="the board table")
    d.find_element("id", "board-esp32s3_eye").click()
    with PtyPort("silent") as p:
        port = d.find_element("id", "port")
        port.clear()
        port.send_keys(p.port)
        d.find_element("id", "flash").click()
        wait(d, lambda d: d.find_element("id", "flash-cancel").is_displayed(), what="the Cancel button")
        wait(d, lambda d: b"\x01" in p.received, timeout=60, what="the flash asking for the REPL")
        assert d.find_element("id", "flash").get_attribute("disabled")   # one flash at a time
        d.find_element("id", "flash-cancel").click()
        wait(d, lambda d: "cancelled" in text(d, "#flash-state"), timeout=60, what="the flash cancelled")
        assert text(d, "#flash-state") == "cancelled while waiting for the board's REPL; nothing was changed"
        assert not d.find_element("id", "flash-cancel").is_displayed()
        assert not d.find_element("id", "flash").get_attribute("disabled")
        s = serial.Serial(p.port, exclusive=True)   # the studio let go of the port
        s.close()
    shoot(d, "device-cancelled.png")

    # a failed flash leaves a red error ...
    port.clear()
    port.send_keys("/dev/no-such-port")
    d.find_element("id", "flash").click()
    wait(d, lambda d: "failed" in d.find_element("id", "flash-state").get_attribute("class"), timeout=60,
         what="the flash failing")
    assert "cannot open /dev/no-such-port" in text(d, "#flash-state")
    # ... which goes when another board starts; that one runs the app here: no Flash for it
    d.find_element("css selector", "#emu-board option[value=esp32s3_eye]").click()
    d.find_element("id", "emu-start").click()
    wait(d, lambda d: text(d, "#flash-state") == "", what="the stale error cleared")
    wait(d, lambda d: "running on" in text(d, "#emu-state"), timeout=60, what="the emulated board")
    assert d.find_element("id", "port").get_attribute("value").startswith("/dev/pts/")
    wait(d, lambda d: d.find_element("id", "flash").get_attribute("disabled"), what="Flash not offered")
    assert "takes no flash" in text(d, "#flash-note")
    shoot(d, "device-emulated-no-flash.png")
    d.find_element("id", "emu-stop").click()
    wait(d, lambda d: text(d, "#emu-state") == "")
    wait(d, lambda d: not d.find_element("id", "flash").get_attribute("disabled"), what="Flash offered again")
    assert console_errors(d) == []
