"""The JSON bodies the studio's API reads: parsed within limits, each field checked for type and range.

A body that is not a flat JSON object of plain values (too deep, a lone
surrogate, NaN or Infinity, a number where text goes, true where a number
goes) is a UserError, so the answer is 400 with one line, never a 500.
Messages never repeat more than a short piece of what was sent.
"""
import json
import math

from .. import UserError
from ..device.ports import check as check_port, shown

MAX_JSON_BYTES = 64 * 1024
MAX_DEPTH = 8
MAX_TEXT = 4096


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _depth(value, level=0):
    """Raises UserError if value nests deeper than MAX_DEPTH (walked without recursion limits)."""
    stack = [(value, level)]
    while stack:
        v, d = stack.pop()
        if d > MAX_DEPTH:
            raise UserError(f"the request body nests deeper than {MAX_DEPTH} levels")
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
            stack.extend((k, d + 1) for k in v)
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
        elif isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise UserError("the request body holds text that is not valid Unicode "
                                "(a lone surrogate)") from None


def parse(raw):
    """The dict a JSON body holds; UserError for anything else."""
    if len(raw) > MAX_JSON_BYTES:
        raise UserError(f"the request body is over {MAX_JSON_BYTES:,} bytes")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise UserError(f"the request body nests deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise UserError("the request body is not JSON (UTF-8, numbers finite)") from None
    if not isinstance(body, dict):
        raise UserError("the request body must be a JSON object")
    _depth(body)
    return body


def text(body, key, default=None, limit=MAX_TEXT):
    """body[key] as a str (stripped); default when missing or null."""
    v = body.get(key)
    if v is None:
        return default
    if not isinstance(v, str):
        raise UserError(f"{key} must be text, not {_kind(v)}")
    if len(v) > limit:
        raise UserError(f"{key}: {len(v):,} characters, at most {limit:,}")
    return v


def integer(body, key, default, low, high):
    """body[key] as an int from low to high (true/false and 2.5 are refused; 3.0 is 3)."""
    v = body.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
        raise UserError(f"{key} must be a whole number from {low} to {high}, not {_kind(v)}")
    if not low <= v <= high:
        raise UserError(f"{key} must be a whole number from {low} to {high}")
    return int(v)


def number(body, key, default, low, high):
    """body[key] as a finite float from low to high."""
    v = body.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise UserError(f"{key} must be a number from {low:g} to {high:g}, not {_kind(v)}")
    if not low <= v <= high:
        raise UserError(f"{key} must be a number from {low:g} to {high:g}")
    return float(v)


def boolean(body, key, default=False):
    v = body.get(key, default)
    if not isinstance(v, bool):
        raise UserError(f"{key} must be true or false, not {_kind(v)}")
    return v


def choice(body, key, default, options):
    v = body.get(key, default)
    if not isinstance(v, str) or v not in options:
        raise UserError(f"{key} must be one of {', '.join(options)}; got {shown(v, 20)}")
    return v


def split(body, key="split"):
    """None (missing, null or empty), "train" or "validation": a half of a train/ + validation/ folder."""
    from .splits import check
    return check(text(body, key, None, 20))


def port(body, key="port"):
    """A serial port name checked by device.ports (never a pyserial URL)."""
    name = text(body, key, "").strip()
    if not name:
        raise UserError("choose or type the board's serial port")
    return check_port(name)


def _kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, float) and not math.isfinite(v):
        return "not a finite number"
    return {int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}.get(type(v), "that")
