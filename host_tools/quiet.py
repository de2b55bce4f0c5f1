"""Capture what C code writes to the process's stdout/stderr file descriptors."""
import contextlib
import os
import sys
import tempfile


@contextlib.contextmanager
def captured_fds(fds=(1, 2)):
    """Redirect fds to a temporary file; yields a list that receives the text."""
    out = []
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    with tempfile.TemporaryFile() as tmp:
        try:
            for fd in fds:
                os.dup2(tmp.fileno(), fd)
            yield out
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, old in zip(fds, saved):
                os.dup2(old, fd)
                os.close(old)
            tmp.seek(0)
            out.append(tmp.read().decode("utf-8", "replace"))
