"""What keeps a web page elsewhere from driving the studio, and bad names and files out of DATA.

- Every request must carry a Host header naming this server (127.0.0.1:PORT,
  localhost:PORT): a page on another site that resolves its own name to
  127.0.0.1 (DNS rebinding) is refused.
- Requests that change anything (anything but GET and HEAD) must also carry
  this run's token (X-Studio-Token; a new random one per run, written into
  the studio's own pages) and an Origin header equal to the studio's own.
- Class and file names are checked, and every path is resolved and must lie
  inside DATA.
- Uploads must be images Pillow can decode, at most MAX_UPLOAD_BYTES each.
"""
import hmac
import os
import secrets

from starlette.responses import JSONResponse

from .. import UserError
from ..data.dataset import SPLIT_DIRS, check_label
from ..data.images import IMAGE_EXTENSIONS

TOKEN_HEADER = "x-studio-token"
SAFE_METHODS = ("GET", "HEAD")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024   # one photo
MAX_FILES = 200                       # per request
MAX_REQUEST_BYTES = 200 * 1024 * 1024


def new_token():
    return secrets.token_urlsafe(24)


def allowed_hosts(host, port):
    """Host header values that name this server."""
    names = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    return {f"{n}:{port}" for n in names}


def refusal(request, token, hosts):
    """None if the request may go on, else (status, message)."""
    host = request.headers.get("host", "")
    if host not in hosts:
        return 403, f"refused: unexpected Host header {host!r} (the studio answers only to {sorted(hosts)[0]})"
    if request.method in SAFE_METHODS:
        return None
    origin = request.headers.get("origin")
    if origin is None:
        return 403, "refused: a request that changes something must come from the studio's own page (no Origin)"
    if origin != f"http://{host}":
        return 403, f"refused: request from another site ({origin})"
    sent = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return 403, "refused: missing or wrong studio token (reload the page)"
    return None


class Guard:
    """ASGI middleware applying refusal() to every HTTP request."""

    def __init__(self, app, token, hosts):
        self.app, self.token, self.hosts = app, token, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            from starlette.requests import Request
            why = refusal(Request(scope), self.token, self.hosts)
            if why:
                await JSONResponse({"error": why[1]}, status_code=why[0])(scope, receive, send)
                return
        await self.app(scope, receive, send)


# --- names and paths -------------------------------------------------------------------

def class_name(name):
    """A class (folder) name the studio may create: one path part, a valid label."""
    name = (name or "").strip()
    if not name:
        raise UserError("a class needs a name")
    if "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
        raise UserError(f"class name {name!r}: no slashes and not '.' or '..' (it is one folder)")
    if name.startswith("."):
        raise UserError(f"class name {name!r}: cannot start with '.' (such folders are hidden, training skips them)")
    if name in SPLIT_DIRS:
        raise UserError(f"class name {name!r}: reserved for the train/validation folder layout; choose another")
    return check_label(name, name)


def file_name(name):
    """An existing photo's file name: one path part, not hidden, an image extension."""
    name = name or ""
    if not name or "/" in name or "\\" in name or "\0" in name or name in (".", "..") or name.startswith("."):
        raise UserError(f"file name {name!r}: not a photo's name (one file inside a class folder)")
    if os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
        raise UserError(f"file name {name!r}: not an image file name ({', '.join(IMAGE_EXTENSIONS)})")
    return name


def inside(data_dir, *parts):
    """The path DATA/parts..., refused unless it resolves (symlinks too) to a place inside DATA."""
    root = os.path.realpath(data_dir)
    path = os.path.realpath(os.path.join(root, *parts))
    if path == root or not path.startswith(root + os.sep):
        raise UserError(f"{os.path.join(*parts)}: outside the photo folder; refused")
    return path


def safe_stem(filename):
    """A tidy stem for a saved upload: letters, digits, - and _ from the sent name."""
    stem = os.path.splitext(os.path.basename((filename or "").replace("\\", "/")))[0]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem).strip("_")[:60]
    return stem or "photo"


def error(message, status=400):
    return JSONResponse({"error": message}, status_code=status)
