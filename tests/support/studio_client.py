"""The studio on a free port for a test (`studio` fixture: .url, .client), and a plain HTTP
client for its API that calls it as its pages do (token and Origin included)."""
import json
import re
import urllib.error
import urllib.request

import pytest

from host_tools.studio.server import Server


@pytest.fixture
def studio(tmp_path):
    """The studio serving tmp_path/photos (empty) and tmp_path/out, on 127.0.0.1 and a free port."""
    server = Server(str(tmp_path / "photos"), str(tmp_path / "out"), port=0).start()
    server.client = Client(server.url)
    yield server
    server.stop()


class Client:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.token = ""
        html = self.get("/dataset")[1]
        self.token = re.search(r'name="studio-token" content="([^"]+)"', html).group(1)

    def request(self, method, path, body=None, headers=None, raw=None, content_type="application/json"):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method)
        sent = {"Origin": self.url, "X-Studio-Token": self.token, "Content-Type": content_type}
        sent.update(headers or {})
        for k, v in sent.items():
            if v is not None:
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, text = r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode("utf-8", "replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def get(self, path, headers=None):
        return self.request("GET", path, headers={"Origin": None, "X-Studio-Token": None,
                                                  "Content-Type": None, **(headers or {})})

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def upload(self, label, files, **kw):
        """Photos to a class: files are [(name, bytes)]."""
        return self.upload_to(f"/api/photo/upload?class={label}", files, **kw)

    def upload_to(self, path, files, **kw):
        """files: [(name, bytes)] as multipart form data ("photos" parts)."""
        boundary = "studio-test-boundary"
        parts = []
        for name, data in files:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="{name}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        raw = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, raw=raw,
                            content_type=f"multipart/form-data; boundary={boundary}", **kw)
