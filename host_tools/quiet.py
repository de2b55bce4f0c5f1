"""Quiet TensorFlow, and capture what C code writes to the process's stdout/stderr.

TENSORFLOW_ENV is read by every path that may import TensorFlow: host_tools/__init__.py
puts it in os.environ before anything imports TensorFlow (so `python -m host_tools`,
the tests and the processes they start inherit it), and the studio passes it to the
training process it starts. TensorFlow 2.21 prints "oneDNN custom operations are on..."
through absl before its log level is read, so TF_CPP_MIN_LOG_LEVEL alone does not hide
it: only turning the oneDNN operations off does. Every run uses the same setting, so
numbers compared to the bit (tests/test_train.py) are computed alike.
"""
import contextlib
import os
import sys
import tempfile

TENSORFLOW_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",      # no C++ INFO/WARNING/ERROR lines (cpu_feature_guard, cuda)
    "TF_ENABLE_ONEDNN_OPTS": "0",     # no oneDNN custom operations, and no line announcing them
}


def quiet_tensorflow(environ=os.environ):
    """Set TENSORFLOW_ENV in environ where the user has not set the variable; returns environ."""
    for key, value in TENSORFLOW_ENV.items():
        environ.setdefault(key, value)
    return environ


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
