"""Connections that never finish their headers, a server short of files, and its log (issue 16, item 7).

The studio runs in a child process allowed only 64 open files, with a header
timeout of 1 s. 200 connections send half a request each and wait. The server
must close them, answer a normal request afterwards, and keep its log short.
"""
import logging
import socket
import subprocess
import sys
import time
import urllib.request

from tests.support import ROOT
from host_tools.studio import serving
from tests.support.studio_client import studio  # noqa: F401 (fixture)

SERVE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
from host_tools.studio.server import Server
s = Server(sys.argv[1], sys.argv[2], port=0, header_timeout=1.0)
print(s.url, flush=True)
s.serve()
"""


def get(url, tries=60):
    """GET url, retrying while the server is busy: (status, body)."""
    last = None
    for _ in range(tries):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read()
        except OSError as e:
            last = e
            time.sleep(0.5)
    raise AssertionError(f"{url}: no answer ({last})")


def test_half_sent_requests_are_closed_and_the_server_still_answers(tmp_path):
    err_path = tmp_path / "stderr.txt"
    with open(err_path, "wb") as err:
        p = subprocess.Popen([sys.executable, "-c", SERVE, str(tmp_path / "photos"), str(tmp_path / "out")],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        url = p.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        assert get(url + "dataset")[0] == 200
        half = []
        for _ in range(200):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.sendall(f"GET /dataset HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode())
                half.append(s)
            except OSError:
                pass   # the backlog was full: that connection never started
        assert len(half) >= 50
        closed = 0
        for s in half:                                    # each is closed by the server (recv gives b"")
            s.settimeout(30)
            try:
                closed += s.recv(1024) == b""
            except ConnectionResetError:
                closed += 1
            s.close()
        assert closed == len(half)
        status, body = get(url + "dataset")
        assert status == 200 and b"studio-token" in body
        assert p.poll() is None
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
    log = err_path.read_text(errors="replace").splitlines()
    assert len(log) < 100, log[:20]


def test_a_repeated_log_line_is_written_once_then_counted():
    logger = logging.getLogger("studio-test-repeats")
    got = []

    class Keep(logging.Handler):
        def emit(self, record):
            got.append(record.getMessage())
    handler = Keep()
    logger.addHandler(handler)
    logger.propagate = False
    quiet = serving.RepeatFilter(window=0.5)
    logger.addFilter(quiet)
    try:
        for _ in range(10000):
            logger.error("socket.accept() out of system resource")
        logger.error("another message")
        assert got == ["socket.accept() out of system resource", "another message"]
        time.sleep(0.6)
        logger.error("socket.accept() out of system resource")
        assert got[-1] == "socket.accept() out of system resource (9999 more times before this)"
    finally:
        logger.removeHandler(handler)
        logger.removeFilter(quiet)


def test_the_servers_loggers_hold_repeats_back(studio):
    for name in ("asyncio", "uvicorn.error"):   # installed by the studio's Server, after uvicorn's own setup
        assert any(isinstance(f, serving.RepeatFilter) for f in logging.getLogger(name).filters), name
