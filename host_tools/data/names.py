"""File names printed so that a reader (or a script) can find the file again.

A name on the command line is a str; bytes that are not valid UTF-8 arrive as
lone surrogates (Python's surrogateescape), which cannot be printed as UTF-8.

- plain text (`shown`): a name is printed as it is, unless it holds a control
  character (a newline...), a byte that is not UTF-8, a backslash, or starts with
  a quote; then it is printed quoted, 'like\\nthis', with backslash escapes:
  \\n \\r \\t \\\\ \\' and \\xNN for any other control character or raw byte.
- JSON (`json_text`): valid UTF-8 JSON, where each byte that is not UTF-8 is the
  escape "\\udcNN"; json.loads gives back the str, os.fsencode(str) the exact bytes.
"""
import json
import re

_NEEDS_QUOTES = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\\ud800-\udfff]|^'")
_ESCAPED = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\'\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", "'": "\\'"}


def _escape(m):
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    return f"\\x{code - 0xdc00 if 0xdc80 <= code <= 0xdcff else code:02x}" if code < 0x100 or 0xdc80 <= code <= 0xdcff \
        else f"\\u{code:04x}"


def shown(name):
    """name (str, or os.PathLike) as one unambiguous line of text."""
    name = str(name)
    if not _NEEDS_QUOTES.search(name):
        return name
    return "'" + _ESCAPED.sub(_escape, name) + "'"


def one_line(text):
    """Any message as one line: control characters and raw bytes escaped."""
    return _ESCAPED.sub(lambda m: m.group() if m.group() in "\\'" else _escape(m), str(text))


def json_text(obj, **kwargs):
    """json.dumps(obj) as UTF-8-safe text, non-ASCII kept, undecodable bytes as \\udcNN escapes."""
    text = json.dumps(obj, ensure_ascii=False, **kwargs)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
