"""Progress on stderr: tqdm bars on a terminal, plain lines otherwise.

    for path in bar(paths, "train: decoding"):
        ...
    note("train: converting to int8")

When stderr is not a terminal (a log file, CI, a pipe), a bar prints a
few plain lines instead (at most about ten per loop, plus the last), so logs
stay short and readable.
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
    """The tqdm calls used here, written as plain lines."""

    def __init__(self, iterable, desc, total, unit, lines=10):
        self.iterable, self.desc, self.unit = iterable, desc, unit
        self.total = total if total is not None else _len(iterable)
        self.every = max(1, -(-self.total // lines)) if self.total else 1
        self.n, self.postfix, self.start = 0, "", time.monotonic()

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)

    def update(self, k=1):
        self.n += k
        if self.n == self.total or self.n % self.every == 0:
            self._line()

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def _line(self):
        total = f"/{self.total}" if self.total else ""
        extra = f" {self.postfix}" if self.postfix else ""
        note(f"{self.desc}: {self.n}{total} {self.unit} ({time.monotonic() - self.start:.1f} s){extra}")

    def write(self, text):
        note(text)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _len(iterable):
    try:
        return len(iterable)
    except TypeError:
        return None


def bar(iterable=None, desc="", total=None, unit="it", lines=10):
    """A progress bar over iterable (or a manual one: .update(k), .close())."""
    if is_tty():
        from tqdm import tqdm
        return tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr,
                    dynamic_ncols=True, leave=True)
    return _Lines(iterable if iterable is not None else (), desc, total, unit, lines)


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
