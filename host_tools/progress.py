"""Progress on stderr: tqdm bars on a terminal, plain lines otherwise.

    for path in bar(paths, "train: decoding"):
        ...
    note("train: converting to int8")

When stderr is not a terminal (a log file, CI, a pipe), a bar prints two plain
lines: one as its stage starts (what and how many), one as it ends (how many
were done, and how long it took), so logs stay short and readable.
"""
import sys
import time


def is_tty():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def note(message):
    """One line on stderr, flushed."""
    print(message, file=sys.stderr, flush=True)


class _Lines:
    """The tqdm calls used here, written as two plain lines: the start and the end. The
    start line comes as the loop starts (a manual bar: at its first update), so a command
    refused before any step prints only its one-line error."""

    def __init__(self, iterable, desc, total, unit):
        self.iterable, self.desc, self.unit = iterable, desc, unit
        self.total = total if total is not None else _len(iterable)
        self.n, self.postfix, self.start = 0, "", time.monotonic()
        self.started = self.ended = False

    def __iter__(self):
        self._begin()
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def _begin(self):
        if not self.started:
            self.started = True
            self._line(time_too=False)

    def update(self, k=1):
        self._begin()
        self.n += k
        if self.total is not None and self.n >= self.total:
            self.close()

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def write(self, text):
        note(text)

    def close(self):
        """The end line, once (also for a stage stopped short: n of total)."""
        if self.ended or not self.started:
            return
        self.ended = True
        self._line(time_too=True)

    def _line(self, time_too):
        """"evaluate: 0/50 img" at the start, "evaluate: 50/50 img (3.2 s)" at the end."""
        total = f"/{self.total}" if self.total is not None else ""
        took = f" ({time.monotonic() - self.start:.1f} s)" if time_too else ""
        extra = f" {self.postfix}" if self.postfix and time_too else ""
        note(f"{self.desc}: {self.n}{total} {self.unit}{took}{extra}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _len(iterable):
    try:
        return len(iterable)
    except TypeError:
        return None


def bar(iterable=None, desc="", total=None, unit="it"):
    """A progress bar over iterable (or a manual one: .update(k), .close())."""
    if is_tty():
        from tqdm import tqdm
        return tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr,
                    dynamic_ncols=True, leave=True)
    return _Lines(iterable if iterable is not None else (), desc, total, unit)


class EpochProgress:
    """A Keras callback: one bar over the epochs on a terminal, one line per epoch otherwise."""

    def __init__(self, epochs, desc="train"):
        import keras

        outer = self

        class _Callback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                outer._start()

            def on_epoch_end(self, epoch, logs=None):
                outer._epoch(epoch, logs or {})

            def on_train_end(self, logs=None):
                outer._end()

        self.callback = _Callback()
        self.epochs, self.desc = epochs, desc
        self._bar, self._t0 = None, 0.0

    def _start(self):
        self._t0 = time.monotonic()
        if is_tty():
            from tqdm import tqdm
            self._bar = tqdm(total=self.epochs, desc=self.desc, unit="epoch", file=sys.stderr,
                             dynamic_ncols=True)

    def _epoch(self, epoch, logs):
        text = " ".join(f"{k} {v:.3f}" for k, v in logs.items() if k in _SHOWN)
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(1)
        else:
            note(f"{self.desc}: epoch {epoch + 1}/{self.epochs} {text} "
                 f"({time.monotonic() - self._t0:.1f} s)")

    def _end(self):
        if self._bar is not None:
            self._bar.close()


_SHOWN = ("loss", "accuracy", "val_loss", "val_accuracy")
