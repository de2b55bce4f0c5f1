"""Training in a separate process: `python -m host_tools train ... --events FILE`.

The studio runs the very `train` command a terminal would, into OUT with
--force. train writes everything into a temporary folder beside OUT and
renames it over OUT only at the very end, so a cancelled or failed run leaves
the photos and any earlier model as they were. One run at a time.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from .. import ROOT, UserError
from ..quiet import quiet_tensorflow
from ..train import EPOCHS

ARCHS = {"v1": "mobilenet_v1", "v2": "mobilenet_v2"}
# train's own defaults: V1 0.25 trains with the cached recipe, V2 with the full one (train.Config)
DEFAULT_EPOCHS = {"v1": EPOCHS["cached"], "v2": EPOCHS["full"]}


class Busy(UserError):
    """A second run of something that runs one at a time (HTTP 409)."""
MAX_EPOCHS = 500
LOG_LINES = 200


class TrainingJob:
    def __init__(self, data_dir, out_dir):
        self.data_dir, self.out_dir = os.path.abspath(data_dir), os.path.abspath(out_dir)
        self._lock = threading.Lock()
        self._proc = None
        self._state = "idle"       # idle, running, cancelling, done, failed, cancelled
        self._options = {}
        self._events_path = None
        self._log_path = None
        self._started = self._ended = None
        self._message = ""

    # --- control ----------------------------------------------------------------------

    def start(self, arch="v1", epochs=None, grayscale=False):
        if arch not in ARCHS:
            raise UserError(f"model {arch!r}: choose one of {', '.join(ARCHS)}")
        if epochs is None:
            epochs = DEFAULT_EPOCHS[arch]
        try:
            epochs = int(epochs)
        except (TypeError, ValueError, OverflowError):
            epochs = 0
        if not 1 <= epochs <= MAX_EPOCHS:
            raise UserError(f"epochs must be a whole number from 1 to {MAX_EPOCHS}")
        with self._lock:
            if self._state in ("running", "cancelling"):
                raise Busy("a training run is already going: wait for it to end, or cancel it, "
                                "before starting another")
            self._remove_work()   # the last run's events and log: read, no longer shown
            work = tempfile.mkdtemp(prefix="studio-train-")
            self._events_path = os.path.join(work, "events.jsonl")
            self._log_path = os.path.join(work, "train.log")
            cmd = [sys.executable, "-m", "host_tools", "train", self.data_dir, "--out", self.out_dir,
                   "--force", "--arch", ARCHS[arch], "--epochs", str(epochs), "--events", self._events_path]
            if grayscale:
                cmd.append("--grayscale")
            self._options = {"arch": arch, "epochs": epochs, "grayscale": bool(grayscale)}
            log = open(self._log_path, "wb")
            env = quiet_tensorflow(dict(os.environ, PYTHONUNBUFFERED="1"))
            self._proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, env=env, start_new_session=True)
            log.close()
            self._state, self._message = "running", ""
            self._started, self._ended = time.time(), None
            threading.Thread(target=self._wait, args=(self._proc,), daemon=True).start()

    def cancel(self):
        with self._lock:
            if self._state != "running":
                raise UserError("no training run is going")
            self._state = "cancelling"
            proc = self._proc
        _interrupt(proc)

    def _wait(self, proc):
        code = proc.wait()
        _remove_partial(self.out_dir, proc.pid)
        with self._lock:
            self._ended = time.time()
            if self._state == "cancelling":
                self._state, self._message = "cancelled", "cancelled: the photos and any earlier model are unchanged"
            elif code == 0:
                self._state, self._message = "done", "done"
            else:
                self._state = "failed"
                self._message = _last_error(self._log_path) or f"training stopped (exit status {code})"

    def stop(self):
        """On shutdown: stop a running process (and wait for it)."""
        with self._lock:
            proc = self._proc if self._state in ("running", "cancelling") else None
            if proc:
                self._state = "cancelling"
        if proc:
            _interrupt(proc)
            proc.wait()
        with self._lock:
            self._remove_work()

    def _remove_work(self):
        """Remove the temporary folder of the last run (its events and log); under self._lock."""
        if self._events_path:
            shutil.rmtree(os.path.dirname(self._events_path), ignore_errors=True)
            self._events_path = self._log_path = None

    # --- reading ------------------------------------------------------------------------

    def status(self):
        with self._lock:
            state, options, message = self._state, dict(self._options), self._message
            started, ended = self._started, self._ended
        events = _read_events(self._events_path)
        log = _tail(self._log_path)
        report = self.report_summary() if state == "done" else None
        elapsed = ((ended or time.time()) - started) if started else 0
        return {"state": state, "options": options, "message": message, "epochs": events, "stage": stage(log),
                "log": log, "elapsed": round(elapsed, 1), "report": report,
                "model_ready": os.path.isfile(os.path.join(self.out_dir, "model.blob"))}

    def report_summary(self):
        """The report's figures the Train page shows; None without a report (or one from an older run)."""
        from ..train.held_out import headline
        path = os.path.join(self.out_dir, "report.json")
        try:
            with open(path, encoding="utf-8") as f:
                r = json.load(f)
            accuracy, images, words = headline(r)
            return {"labels": r["labels"], "float_accuracy": r["float"]["accuracy"],
                    "int8_accuracy": r["int8"]["accuracy"], "validation_images": r["int8"]["images"],
                    "near_copies": r["held_out_near_copies"], "bursts": r["dataset"]["near_copies"]["bursts"],
                    "honest_accuracy": accuracy, "honest_images": images, "honest_words": words,
                    "stopped_early": r["training"]["stopped_early"], "epochs_run": r["training"]["epochs_run"],
                    "advice": r["advice"], "model_bytes": r["model"]["model_bytes"],
                    "arena_bytes": r["model"]["arena_bytes"], "confusion": r["int8"]["confusion"],
                    "history": r["history"]}
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _interrupt(proc):
    """Ctrl-C to the run (train cleans its temporary folder), then a kill if it does not stop."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
    except ProcessLookupError:
        return

    def _kill_later():
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    threading.Thread(target=_kill_later, daemon=True).start()


def _remove_partial(out_dir, pid):
    """train's temporary folder, if a kill left it behind (it removes it itself otherwise)."""
    parent, name = os.path.split(out_dir)
    for path in glob.glob(os.path.join(parent, f".{glob.escape(name)}.partial-{pid}")):
        shutil.rmtree(path, ignore_errors=True)


def _read_events(path):
    if not path or not os.path.exists(path):
        return []
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except ValueError:
                break   # the last line, half written
    return rows


def _tail(path, n=LOG_LINES):
    if not path or not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").replace("\r", "\n").splitlines()
    return [line for line in lines if line.strip()][-n:]


def _last_error(path):
    """The last line train printed: its one-line error (or a crash's last line)."""
    lines = _tail(path)
    return lines[-1].removeprefix("train: ") if lines else None


STAGES = (("train: loading", "Reading the photos…"), ("train: decoding", "Reading the photos…"),
          ("train: mobilenet", "Training…"), ("train: epoch", "Training…"),
          ("train: converting", "Converting the model to int8, as the board runs it…"),
          ("train: evaluating", "Checking the int8 model on the held-out photos…"),
          ("train: held-out", "Writing the report…"), ("train: model ", "Writing the report…"))


def stage(log):
    """What the run is doing now, in words, from train's own progress lines."""
    for line in reversed(log):
        for prefix, words in STAGES:
            if line.startswith(prefix):
                return words
    return "Starting…"
