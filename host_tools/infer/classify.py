"""Classify images in order with a blob's model on a device-exact engine.

Many images: worker processes each decode and run a chunk of images at a
time; a bounded window of chunks is in flight, so the paths are read lazily
and memory stays flat however many there are. Results come back in input order.
"""
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

import numpy as np

from .. import UserError
from ..blob import read
from .board_input import BoardInput
from .engine import ENGINES, make_engine, prepare
from ..data.images import ImageError, input_quantizer, load_pixels
from .results import format_line, result

CHUNK = 32  # images per worker task: fewer round trips between processes
BATCH = 8   # images per LiteRT invoke (as fast per image as larger batches, less padding)
AHEAD = 2   # chunks in flight per worker


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class _Runner:
    """Decode, quantize and infer a chunk of images (in a worker, or here)."""

    def __init__(self, model, engine, size, channels, in_scale, in_zero, camera=None):
        self.engine = make_engine(model, engine, batch=BATCH)
        self.size, self.channels = size, channels
        if camera is None:   # the host photo pipeline
            quantize = input_quantizer(in_scale, in_zero)
            self.load = lambda path, out: quantize(load_pixels(path, size, channels), out)
        else:                # the board's camera frame and its own preprocessing
            self.load = BoardInput(camera, size, size, channels, in_scale, in_zero)

    def __call__(self, paths):
        """[(int8 scores or None, error message or None)] for paths, in order."""
        xs = np.empty((len(paths), self.size, self.size, self.channels), np.int8)
        errors, n = [], 0
        for path in paths:
            try:
                self.load(path, xs[n])  # decoded straight into the batch
                n += 1
                errors.append(None)
            except ImageError as e:
                errors.append(str(e))
        scores = iter(self.engine.run_many(xs[:n]) if n else ())
        return [(None, err) if err else (next(scores), None) for err in errors]


_runner = None  # one per worker process


def _init_worker(*args):
    global _runner
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent
    _sigmask(signal.SIG_UNBLOCK)  # (blocked while the parent started this process)
    _runner = _Runner(*args)


def _run_chunk(paths):
    return _runner(paths)


def process_context():
    """How to start worker processes: fork (milliseconds) unless TensorFlow's
    threads run here, which make fork unsafe; then spawn."""
    if sys.platform.startswith("linux") and "tensorflow" not in sys.modules:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _parallel(args, paths, workers, chunk_size):
    paths = iter(paths)
    pending = deque()
    context = process_context()
    if context.get_start_method() == "fork":
        prepare(args[0], args[1])
    pool = ProcessPoolExecutor(workers, mp_context=context,
                               initializer=_init_worker, initargs=args)

    def submit():
        chunk = list(islice(paths, chunk_size))
        if chunk:
            pending.append((chunk, pool.submit(_run_chunk, chunk)))
        return bool(chunk)

    finished = False
    try:
        with _ctrl_c_held():  # the first submit starts the workers; they ignore Ctrl-C
            while len(pending) < workers * AHEAD and submit():
                pass
        while pending:
            chunk, future = pending.popleft()
            try:
                done = future.result()
            except BrokenProcessPool:
                raise UserError("a worker process died (did tflite-micro or LiteRT abort on this model?)") from None
            submit()  # keep the window full while the caller consumes this chunk
            for path, (scores, err) in zip(chunk, done):
                yield path, scores, err
        finished = True
    finally:
        with _ctrl_c_held():  # another Ctrl-C must not cut the clean-up short
            if finished:
                pool.shutdown(wait=True)
            else:  # interrupted, failed or abandoned: stop the workers now
                _stop_workers(pool)


@contextlib.contextmanager
def _one_ctrl_c():
    """In the block, the first Ctrl-C raises KeyboardInterrupt and later ones are ignored."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return

    def once(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, once)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _sigmask(how):
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(how, {signal.SIGINT})


@contextlib.contextmanager
def _ctrl_c_held():
    """Hold SIGINT back in this thread for the block; it arrives afterwards."""
    _sigmask(signal.SIG_BLOCK)
    try:
        yield
    finally:
        _sigmask(signal.SIG_UNBLOCK)


def _stop_workers(pool):
    # Like Python 3.14's pool.terminate_workers(): shutdown alone can leave
    # workers waiting for work forever when Ctrl-C came at a bad moment.
    # The pool's manager thread reaps the workers itself: wait for it rather than
    # join them here too, since two threads waiting on one pid race (one loses
    # the exit status and its Process looks alive forever).
    workers = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in workers:
        p.terminate()
    if manager is not None:
        manager.join(10)
    for p in workers:
        p.join(10)
        if p.exitcode is None:
            p.kill()
            p.join()


def scores(blob, paths, engine="litert", workers=None, camera=None):
    """Yield (path, int8 scores or None, error message or None) in input order.

    workers: processes decoding and running images (default: all CPUs);
    1 runs everything in this process. camera: a board.json's "camera": each
    photo as that camera frames it, through the device's preprocessing
    (board_input.py), as `emulate --board` computes it.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}; got {engine}")
    workers = cpu_count() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1; got {workers}")
    chunk_size = CHUNK
    if hasattr(paths, "__len__"):  # a short list: spread it over fewer, smaller chunks
        workers = min(workers, len(paths))
        chunk_size = max(1, min(CHUNK, -(-len(paths) // max(workers, 1))))
    args = (bytes(blob.model), engine, blob.height, blob.channels, blob.in_scale, blob.in_zero, camera)
    if workers <= 1:
        run = _Runner(*args)
        paths = iter(paths)
        while chunk := list(islice(paths, chunk_size)):
            for path, (q, err) in zip(chunk, run(chunk)):
                yield path, q, err
    else:
        with _one_ctrl_c():
            yield from _parallel(args, paths, workers, chunk_size)


def classify(blob, paths, engine="litert", workers=None, camera=None):
    """Yield (path, result or None, error message or None) in input order."""
    for path, q, err in scores(blob, paths, engine, workers, camera):
        yield path, (None if err else result(path, q, blob)), err


def run(model_path, paths, as_json=False, engine="litert", prog="classify", workers=None, camera=None):
    """Print one line per image; return the exit status (1 if any image failed).
    camera: as in scores()."""
    blob = read(model_path)
    failed = 0
    results = classify(blob, paths, engine, workers, camera)
    try:
        for path, r, err in results:
            if err:
                failed += 1
                print(f"{prog}: {err}", file=sys.stderr, flush=True)
            else:
                print(format_line(r, as_json), flush=True)
    finally:
        results.close()  # stops the workers now, even on Ctrl-C
    return 1 if failed else 0
