"""A raw pseudo-terminal pair for the tests' fake boards: opened once, closed once."""
import os
import tty


def open_raw():
    """(master, slave, port): no echo, no newline translation, the master non-blocking."""
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    return master, slave, os.ttyname(slave)


def close(*fds):
    """Close each fd that is open; one already closed is fine."""
    for fd in fds:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
