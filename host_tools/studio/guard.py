"""The middleware in front of every request: who may ask (safety.refusal), how much it may send,
and the headers that keep the answers from being framed, sniffed or read by other sites.

- One byte limit per request body, however it is sent: a Content-Length over
  it is refused before anything is read, a chunked body is counted as it
  arrives and refused as soon as it passes the limit (nothing further is
  read). Photo uploads may send MAX_REQUEST_BYTES, everything else
  fields.MAX_JSON_BYTES.
- Every answer: X-Content-Type-Options nosniff, Cross-Origin-Resource-Policy
  same-origin (a page elsewhere cannot embed photos or thumbnails), no
  referrer, and a Content-Security-Policy: the studio's pages run only its
  own /static scripts and cannot be framed (frame-ancestors 'none',
  X-Frame-Options DENY); the training report runs no script at all, is
  sandboxed, and may be framed only by the studio's own Train page.
"""
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import fields, safety

UPLOAD_PATHS = ("/api/photo/upload", "/api/classify")
REPORT_PATH = "/report"

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'")
REPORT_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'self'; sandbox")
OTHER_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


class BodyTooLarge(Exception):
    pass


def body_limit(path):
    return safety.MAX_REQUEST_BYTES if path in UPLOAD_PATHS else fields.MAX_JSON_BYTES


def security_headers(path, content_type):
    """[(name, value)] added to an answer for path (bytes, as ASGI sends them)."""
    if path == REPORT_PATH:
        csp, frame = REPORT_CSP, "SAMEORIGIN"
    else:
        csp, frame = (PAGE_CSP if content_type.startswith("text/html") else OTHER_CSP), "DENY"
    pairs = [("content-security-policy", csp), ("x-frame-options", frame),
             ("x-content-type-options", "nosniff"), ("cross-origin-resource-policy", "same-origin"),
             ("cross-origin-opener-policy", "same-origin"), ("referrer-policy", "no-referrer")]
    return [(k.encode(), v.encode()) for k, v in pairs]


def _declared_length(scope):
    for k, v in scope.get("headers", ()):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


class Guard:
    """ASGI middleware: refusals, the body limit and the security headers, for every HTTP request."""

    def __init__(self, app, token, hosts):
        self.app, self.token, self.hosts = app, token, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                ctype = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
                message = {**message, "headers": headers + security_headers(path, ctype)}
            await send(message)

        limit = body_limit(path)
        why = safety.refusal(Request(scope), self.token, self.hosts)
        declared = _declared_length(scope)
        if why is None and declared is not None and declared > limit:
            why = 413, f"{declared:,} bytes in one request, over the limit of {limit:,}; send less at a time"
        if why:   # (a refusal closes the connection: an unread body is not read)
            await JSONResponse({"error": why[1]}, status_code=why[0],
                               headers={"connection": "close"})(scope, receive, send_with_headers)
            return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await JSONResponse({"error": f"the request body is over the limit of {limit:,} bytes; "
                                             "send less at a time"}, status_code=413,
                                   headers={"connection": "close"})(scope, receive, send_with_headers)
