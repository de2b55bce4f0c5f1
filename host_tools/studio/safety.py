"""What keeps a web page elsewhere from driving the studio, and bad names and files out of DATA.

- Every request must carry a Host header naming this server (127.0.0.1:PORT,
  localhost:PORT): a page on another site that resolves its own name to
  127.0.0.1 (DNS rebinding) is refused. A request with an Origin header
  naming another site is refused whatever its method; one with two Host,
  Origin or token headers too.
- Requests that change anything (anything but GET and HEAD) must also carry
  this run's token (X-Studio-Token; a new random one per run, written into
  the studio's own pages) and an Origin header equal to the studio's own.
- Class names follow the dataset walk's rules (what it hides is no class);
  photos are read only inside DATA (links resolved); changes act on the
  entry itself, never through a link (photos.Photos, listing.py).
- Uploads must be images Pillow can decode, at most MAX_UPLOAD_BYTES each.
- guard.Guard applies refusal() to every request, with the body limit and the
  security headers.
"""
import hmac
import os
import secrets

from starlette.responses import JSONResponse

from .. import UserError
from ..device.ports import shown
from ..data.dataset import SPLIT_DIRS, check_label
from ..data.dataset import _is_hidden as is_hidden   # the walk's rule: what it hides is no class
from ..data.images import IMAGE_EXTENSIONS

TOKEN_HEADER = "x-studio-token"
SAFE_METHODS = ("GET", "HEAD")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024   # one photo
MAX_UPLOAD_PIXELS = 40_000_000        # one photo (the model sees 96x96; a phone's photo is 12 MP)
MAX_FILES = 200                       # per request
MAX_REQUEST_BYTES = 200 * 1024 * 1024
MAX_NAME = 64                         # characters in a class name (the blob holds 64 bytes)


def new_token():
    return secrets.token_urlsafe(24)


def allowed_hosts(host, port):
    """Host header values that name this server."""
    names = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    return {f"{n}:{port}" for n in names}


def refusal(request, token, hosts):
    """None if the request may go on, else (status, message)."""
    for name in ("host", "origin", TOKEN_HEADER):
        if len(request.headers.getlist(name)) > 1:
            return 403, f"refused: more than one {name} header"
    host = request.headers.get("host", "")
    if host not in hosts:
        return 403, f"refused: unexpected Host header {shown(host)} (the studio answers only to {sorted(hosts)[0]})"
    origin = request.headers.get("origin")
    if origin is not None and origin != f"http://{host}":   # any method: a page elsewhere reads nothing
        return 403, f"refused: request from another site ({shown(origin)})"
    if request.method in SAFE_METHODS:
        return None
    if origin is None:
        return 403, "refused: a request that changes something must come from the studio's own page (no Origin)"
    sent = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return 403, "refused: missing or wrong studio token (reload the page)"
    return None


# --- names and paths -------------------------------------------------------------------

def class_name(name):
    """A class (folder) name the studio may create: one path part, a valid label, one the walk shows."""
    if name is not None and not isinstance(name, str):
        raise UserError("a class name must be text")
    name = (name or "").strip()
    if not name:
        raise UserError("a class needs a name")
    if len(name) > MAX_NAME:
        raise UserError(f"class name {shown(name)}: too long (at most {MAX_NAME} characters)")
    if "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
        raise UserError(f"class name {shown(name)}: no slashes and not '.' or '..' (it is one folder)")
    if is_hidden(name):
        raise UserError(f"class name {shown(name)}: training skips such names (hidden: starting with '.', "
                        "__MACOSX, Thumbs.db, desktop.ini); choose another")
    if name in SPLIT_DIRS:
        raise UserError(f"class name {shown(name)}: reserved for the train/validation folder layout; choose another")
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        raise UserError(f"class name {shown(name)}: no line breaks or control characters")
    return check_label(name, name)


def file_name(name):
    """An existing photo's file name: one path part, not hidden, an image extension."""
    if name is not None and not isinstance(name, str):
        raise UserError("a file name must be text")
    name = name or ""
    if (not name or len(name) > MAX_NAME * 4 or "/" in name or "\\" in name or "\0" in name
            or name in (".", "..") or is_hidden(name)):
        raise UserError(f"file name {shown(name)}: not a photo's name (one file inside a class folder)")
    if os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
        raise UserError(f"file name {shown(name)}: not an image file name ({', '.join(IMAGE_EXTENSIONS)})")
    return name


def inside(data_dir, *parts):
    """The path DATA/parts..., refused unless it resolves (symlinks too) to a place inside DATA."""
    root = os.path.realpath(data_dir)
    path = os.path.realpath(os.path.join(root, *parts))
    if path == root or not path.startswith(root + os.sep):
        raise UserError(f"{shown(os.path.join(*parts))}: outside the photo folder; refused")
    return path


def safe_stem(filename):
    """A tidy stem for a saved upload: letters, digits, - and _ from the sent name."""
    stem = os.path.splitext(os.path.basename((filename or "").replace("\\", "/")))[0]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem).strip("_")[:60]
    return stem or "photo"


def error(message, status=400):
    return JSONResponse({"error": message}, status_code=status)
