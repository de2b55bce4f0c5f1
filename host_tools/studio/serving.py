"""How the studio's server treats connections and its own log.

- A connection must send a request's headers within HEADER_TIMEOUT seconds
  of opening (or of the previous answer); otherwise it is closed. Requests
  that never finish their headers cannot pile up.
- At most max_connections() connections at once (a quarter of the files the
  process may open, at most MAX_CONNECTIONS): one more is closed at once, so
  the server keeps the files it needs to answer.
- A log line repeated within REPEAT_WINDOW seconds is written once, then
  counted ("... (N more times)"), so a failing accept() cannot fill a disk.
"""
import logging
import resource
import threading
import time

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
MAX_CONNECTIONS = 200
REPEAT_WINDOW = 60.0


def max_connections():
    """Raises the soft limit on open files to the hard one; a quarter of it, at most MAX_CONNECTIONS."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(4, min(MAX_CONNECTIONS, soft // 4))


def protocol(header_timeout=HEADER_TIMEOUT, limit=None):
    """An h11 protocol class for uvicorn.Config(http=...) with the header timeout and connection limit."""
    limit = limit or max_connections()

    class Protocol(H11Protocol):
        _timer = None
        _armed_for = None

        def connection_made(self, transport):
            super().connection_made(transport)
            if len(self.connections) > limit:
                transport.close()
                return
            self._arm()

        def _arm(self):
            self._disarm()
            self._armed_for = self.cycle
            self._timer = self.loop.call_later(header_timeout, self._late)

        def _disarm(self):
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _late(self):
            self._timer = None
            if self.cycle is self._armed_for and not self.transport.is_closing():
                self.transport.close()   # no request's headers in time

        def handle_events(self):
            super().handle_events()
            if self._timer is not None and self.cycle is not self._armed_for:
                self._disarm()           # the headers came

        def on_response_complete(self):
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._arm()

        def connection_lost(self, exc):
            self._disarm()
            super().connection_lost(exc)

    return Protocol


class RepeatFilter(logging.Filter):
    """Lets a message through once per REPEAT_WINDOW; the next one after it says how many were held back."""

    def __init__(self, window=REPEAT_WINDOW):
        super().__init__()
        self.window = window
        self._seen = {}      # message -> [time let through, held back since]
        self._lock = threading.Lock()

    def filter(self, record):
        try:
            text = record.getMessage()[:300]
        except Exception:  # noqa: BLE001 - a record that cannot format: let logging report it
            return True
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get((record.name, text))
            if seen and now - seen[0] < self.window:
                seen[1] += 1
                return False
            if len(self._seen) > 1000:
                self._seen.clear()
            self._seen[(record.name, text)] = [now, 0]
        if seen and seen[1]:
            record.msg, record.args = f"{record.getMessage()} ({seen[1]} more times before this)", None
        return True


_FILTER = RepeatFilter()


def quiet_repeats(names=("asyncio", "uvicorn", "uvicorn.error")):
    """Installs the one RepeatFilter on these loggers (once)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
