"""The studio in a real browser: Debian's headless Chromium, driven by Selenium through
the system chromedriver (no browser download).

One whole user journey, from an empty photo folder to a model running on a board:
upload photos of two classes (openmv-mice), take photos with Chromium's fake
camera, capture from an emulated board (capture's @frame protocol), train for 2
epochs and read the report, classify a dropped photo, flash to a fake board and
watch its live results and camera view (the real app, run with the flashed model). Any JavaScript
console error fails the test. Screenshots of each page go to test-output/studio/.
"""
import base64
import os
import re
import shutil

import pytest

from tests.support import DATASET, ROOT
from host_tools.blob import read
from host_tools.infer.classify import classify
from tests.support.fakedevice import FakeDevice
from tests.support.studio_client import studio  # noqa: F401 (fixture)

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = os.path.join(ROOT, "test-output", "studio")
MICE = os.path.realpath(os.path.join(DATASET, "train"))
pytestmark = pytest.mark.usefixtures("openmv_mice")  # every test here uploads mice photos


def mice(label, n, start=0):
    names = sorted(os.listdir(os.path.join(MICE, label)))[start:start + n]
    return [os.path.join(MICE, label, f) for f in names]


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    for path in (CHROMIUM, CHROMEDRIVER):   # a missing browser fails here (make setup installs it)
        assert os.path.exists(path), f"{path} missing: run make setup (apt-get install chromium chromium-driver)"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    shoot(driver, "last.png")   # where it ended (or stopped, for the person reading a failure)
    driver.quit()


def wait(driver, condition, timeout=20, what="the page"):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: condition(d), message=f"waiting for {what}")


def console_errors(driver):
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def shoot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    driver.execute_script("document.querySelectorAll('.toast').forEach((t) => t.remove())")  # passing notes
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(900, height + 20), 2400))
    driver.save_screenshot(os.path.join(SHOTS, name))
    driver.set_window_size(1280, 900)


def text(driver, css):
    return driver.find_element("css selector", css).text


def class_count(driver, label):
    cards = driver.find_elements("css selector", f'section[data-class="{label}"] .thumb')
    return len(cards)


def add_class(driver, label):
    driver.find_element("id", "new-class").send_keys(label)
    driver.find_element("id", "add-class").click()
    wait(driver, lambda d: d.find_elements("css selector", f'section[data-class="{label}"]'), what=f"class {label}")
    wait(driver, lambda d: d.find_element("id", "target").get_attribute("value") == label)


def upload(driver, paths, label):
    driver.find_element("css selector", f"#target option[value={label}]").click()
    before = class_count(driver, label)
    driver.find_element("id", "files").send_keys("\n".join(paths))
    wait(driver, lambda d: class_count(d, label) == before + len(paths), what=f"{len(paths)} photos in {label}")


def test_whole_journey_in_chromium(browser, studio, tmp_path, default_blob):
    from host_tools.emulate.backends import emulated_board
    d, url = browser, studio.url
    data = tmp_path / "photos"

    # An emulated board (the app on the host, console on a pty): its camera shows white mice.
    board = emulated_board("esp32s3_eye", mice("white", 3, start=100), default_blob, fps=20).start()
    try:
        # --- 1. Photos: two classes by upload, the webcam, the board's camera ------------
        d.get(url)
        wait(d, lambda d: "Add at least two classes" in text(d, "#readiness"))
        add_class(d, "black")
        upload(d, mice("black", 8), "black")
        add_class(d, "white")
        upload(d, mice("white", 6), "white")

        d.find_element("css selector", "#target option[value=black]").click()
        d.find_element("id", "cam-on").click()
        wait(d, lambda d: d.execute_script("return document.getElementById('video').videoWidth > 0"),
             what="the fake camera")
        for n in (9, 10):
            d.find_element("id", "cam-shot").click()
            wait(d, lambda d: class_count(d, "black") == n, what="a webcam photo")
        d.find_element("id", "cam-off").click()
        webcam = sorted(f for f in os.listdir(data / "black") if f.startswith("webcam"))
        assert len(webcam) == 2 and read_size(data / "black" / webcam[0]) == (640, 480)

        d.find_element("css selector", "#target option[value=white]").click()
        port = d.find_element("id", "cap-port")
        port.clear()
        port.send_keys(board.port)
        count = d.find_element("id", "cap-count")
        count.clear()
        count.send_keys("3")
        d.find_element("id", "cap-go").click()
        wait(d, lambda d: "3 photos from the board" in text(d, "#cap-status"), timeout=60, what="board capture")
        wait(d, lambda d: class_count(d, "white") == 9, what="captured photos shown")
        captured = sorted(f for f in os.listdir(data / "white") if f.endswith(".png"))
        assert captured == ["0006.png", "0007.png", "0008.png"]   # numbered after 00000.jpg .. 00005.jpg
        assert read_size(data / "white" / captured[0]) == (96, 96)   # the model's input, as the board sees it

        # A photo train would skip is flagged next to it: the same bytes twice.
        upload(d, mice("black", 1), "black")
        wait(d, lambda d: "duplicate of" in text(d, 'section[data-class="black"]'), what="the duplicate flagged")
        # found and clicked in one step: the list may be redrawn in between otherwise
        d.execute_script("document.querySelector('section[data-class=\"black\"] .thumb.flagged .del').click()")
        wait(d, lambda d: class_count(d, "black") == 10, what="the duplicate deleted")
        wait(d, lambda d: "Ready to train" in text(d, "#readiness"))
        shoot(d, "1-photos.png")

        # --- 2. Train for 2 epochs; the report shows in the page ---------------------------
        d.find_element("link text", "2 Train").click()
        epochs = d.find_element("id", "epochs")
        epochs.clear()
        epochs.send_keys("2")
        d.find_element("id", "start").click()
        wait(d, lambda d: "Done." in text(d, "#state") or "Failed" in text(d, "#state"), timeout=150,
             what="training")
        assert text(d, "#state") == "Done.", text(d, "#log")
        assert "epoch 2 of 2" in text(d, "#progress-text")
        assert len(d.find_elements("css selector", "#acc-chart polyline")) == 2
        assert "100%" in text(d, "#acc-chart") and "%" not in text(d, "#loss-chart")  # a loss is no percentage
        assert "black, white" in text(d, "#figures")
        assert "held-out photos were near-copies of training photos" in text(d, "#honesty")
        assert "make evaluate MODEL=" in text(d, "#advice")
        assert d.find_element("id", "progress").get_attribute("style") == "width: 100%;"
        d.switch_to.frame(d.find_element("id", "report"))
        wait(d, lambda d: "confusion" in d.page_source.lower(), what="the report in the page")
        d.switch_to.default_content()
        shoot(d, "2-train.png")
        blob_path = str(tmp_path / "out" / "model.blob")
        assert read(blob_path).labels == ["black", "white"]

        # --- 3. Test: a dropped photo, labelled by the engine classify uses --------------
        d.find_element("link text", "3 Test").click()
        wait(d, lambda d: "Model trained here" in text(d, "#model"))
        photo = os.path.join(DATASET, "validation", "white", sorted(os.listdir(os.path.join(DATASET, "validation", "white")))[0])
        with open(photo, "rb") as f:
            d.execute_script(DROP, base64.b64encode(f.read()).decode(), os.path.basename(photo), "#drop")
        wait(d, lambda d: d.find_elements("css selector", "#results .result .label"), timeout=30,
             what="the classification")
        (_, want, _), = classify(read(blob_path), [photo], workers=1)
        result = d.find_element("css selector", "#results .result")
        assert result.get_attribute("data-label") == want["label"] == text(d, "#results .result .label")
        assert float(result.get_attribute("data-confidence")) == want["confidence"]   # the same number
        shown = float(re.search(r"([\d.]+) %", result.text).group(1))              # shown to 0.1 %
        assert abs(shown - 100 * want["confidence"]) <= 0.05 + 1e-9
        d.find_element("id", "evaluate").click()
        wait(d, lambda d: d.find_elements("css selector", "#evaluation table.matrix"), timeout=60,
             what="the confusion matrix")
        shoot(d, "3-test.png")

        # --- 4. Device: fit, flash to a fake board running the real app, live results, camera --
        fake_root = tmp_path / "board"
        fake_root.mkdir()
        shown = mice("white", 2, start=200) + mice("black", 2, start=200)
        fake = FakeDevice(str(fake_root), app=("esp32s3_eye", shown)).start()
        try:
            d.find_element("link text", "4 Device").click()
            wait(d, lambda d: "fits" in text(d, "#boards"), timeout=60, what="the board table")
            d.find_element("id", "board-esp32s3_eye").click()
            p = d.find_element("id", "port")
            p.clear()
            p.send_keys(fake.port)
            d.find_element("id", "flash").click()
            wait(d, lambda d: not d.find_element("id", "flash").get_attribute("disabled")
                 and text(d, "#flash-state"), timeout=90, what="flashing")
            assert "flashed" in text(d, "#flash-state"), text(d, "#flash-log")
            assert "model.blob" in text(d, "#flash-log")
            assert (fake_root / "model.blob").read_bytes() == open(blob_path, "rb").read()
            # the app now runs on the board with the flashed model: its results, live
            wait(d, lambda d: text(d, "#live-label") in ("black", "white"), timeout=60, what="live results")
            assert "frame" in text(d, "#live-lines")
            shoot(d, "4-device.png")
            d.find_element("id", "unwatch").click()
            wait(d, lambda d: not d.find_element("id", "watch").get_attribute("disabled"))

            # the camera view: the board's frames, with the result of each
            d.find_element("id", "camera").click()
            d.find_element("id", "watch").click()
            wait(d, lambda d: d.execute_script("const v = document.getElementById('view'); "
                                              "return v.complete && v.naturalWidth > 0"), timeout=30,
                 what="the camera view")
            wait(d, lambda d: text(d, "#live-label") in ("black", "white"), timeout=30)
            shoot(d, "5-device-camera.png")
            d.find_element("id", "unwatch").click()
            wait(d, lambda d: not d.find_element("id", "watch").get_attribute("disabled"))
        finally:
            fake.stop()

        # --- 5. No board: the app on an emulated board, with the trained model, one click ------
        d.find_element("css selector", "#emu-board option[value=esp32s3_eye]").click()
        d.find_element("id", "emu-start").click()
        wait(d, lambda d: "running on" in text(d, "#emu-state"), timeout=60, what="the emulated board")
        wait(d, lambda d: d.execute_script("const v = document.getElementById('view'); "
                                          "return v.complete && v.naturalWidth > 0"), timeout=60,
             what="the emulated board's camera")
        wait(d, lambda d: text(d, "#live-label") in ("black", "white"), timeout=30, what="its results")
        shoot(d, "6-device-emulated.png")
        d.find_element("id", "emu-stop").click()
        wait(d, lambda d: text(d, "#emu-state") == "")
    finally:
        board.stop()
    assert console_errors(d) == []


def test_a_split_folder_the_background_class_and_the_train_page_in_chromium(browser, studio, tmp_path):
    """A train/ + validation/ folder is shown by split (not "Loading…" for good), a photo goes to
    validation/, the "nothing" class is one click; the Train page shows train's default epochs and
    no chart axis before training."""
    from host_tools.train import EPOCHS
    d, data = browser, tmp_path / "photos"
    for split, n in (("train", 5), ("validation", 1)):
        for label in ("black", "white"):
            os.makedirs(data / split / label)
            for path in mice(label, n, start=40 * (split == "validation")):
                shutil.copy(path, data / split / label / os.path.basename(path))
    d.get(studio.url)
    wait(d, lambda d: "Ready to train" in text(d, "#readiness"), what="the split folder read")
    card = 'section[data-class="white"] .thumbs[data-split="validation"] .thumb'
    assert len(d.find_elements("css selector", card)) == 1
    assert "validation/" in text(d, 'section[data-class="white"]')
    d.find_element("css selector", "#target option[value=white]").click()
    d.find_element("css selector", "#target-split option[value=validation]").click()
    d.find_element("id", "files").send_keys(mice("white", 1, start=200)[0])
    wait(d, lambda d: len(d.find_elements("css selector", card)) == 2, what="the photo in validation/")
    assert len(os.listdir(data / "validation" / "white")) == 2 and len(os.listdir(data / "train" / "white")) == 5
    assert "nothing in particular" in text(d, "#background-tip")
    d.find_element("id", "add-background").click()
    wait(d, lambda d: d.find_elements("css selector", 'section[data-class="nothing"]'), what="the nothing class")
    assert (data / "train" / "nothing").is_dir() and (data / "validation" / "nothing").is_dir()
    wait(d, lambda d: not d.find_element("id", "background-tip").is_displayed(), what="the tip gone")
    shoot(d, "split-photos.png")

    d.find_element("link text", "2 Train").click()
    wait(d, lambda d: "No epochs yet." in text(d, "#loss-chart"), what="the empty charts")
    for chart in ("#loss-chart", "#acc-chart"):
        assert text(d, chart) == "No epochs yet."   # no axis of zeros
    epochs = d.find_element("id", "epochs")
    assert epochs.get_attribute("value") == str(EPOCHS["cached"])
    d.find_element("css selector", "#arch option[value=v2]").click()
    assert epochs.get_attribute("value") == str(EPOCHS["full"])
    assert console_errors(d) == []


def test_an_early_stop_fills_the_bar_and_says_why_in_chromium(browser, studio, tmp_path):
    """Bursts of real photos in two classes nothing tells apart (tests/test_dataset.py): trained
    with the page's defaults, the held-out loss rises at once and training stops early."""
    import json
    from tests.support.bursts import make_bursts
    d = browser
    make_bursts(tmp_path / "photos", per_class=12, step=15)
    d.get(studio.url + "train")
    d.find_element("id", "start").click()
    wait(d, lambda d: "Done." in text(d, "#state") or "Failed" in text(d, "#state"), timeout=150,
         what="training")
    assert text(d, "#state") == "Done.", text(d, "#log")
    run = json.loads((tmp_path / "out" / "report.json").read_text())["training"]
    assert run["epochs_run"] < run["epochs_max"] == 10
    assert text(d, "#progress-text").startswith(run["stopped_early"])
    assert run["stopped_early"].startswith(f"Stopped early after epoch {run['epochs_run']} of 10: held-out loss")
    assert d.find_element("id", "progress").get_attribute("style") == "width: 100%;"
    honesty = text(d, "#honesty")
    assert "0 of the 18 held-out photos were near-copies of training photos" in honesty
    assert "each burst was kept whole on one side" in honesty
    shoot(d, "early-stop.png")
    assert console_errors(d) == []


def read_size(path):
    from PIL import Image
    with Image.open(path) as img:
        return img.size


# Drops a photo's bytes, as a File, on the drop zone (a drag from the desktop cannot be
# scripted; the page handles this very drop event).
DROP = """
const [b64, name, target] = arguments;
const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const dt = new DataTransfer();
dt.items.add(new File([bytes], name, {type: "image/jpeg"}));
const zone = document.querySelector(target);
zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
"""
