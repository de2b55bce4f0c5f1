"""The studio's app and server: `python -m host_tools studio [--port N] [--data DIR] [--host H]`.

Starlette app, served by uvicorn on one socket bound before start (so the
printed address is the real one, even with --port 0).
"""
import os
import socket
import threading

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import DEFAULT_BLOB, UserError
from . import guard, routes_dataset, routes_device, routes_test, routes_train, safety, serving
from .capture import CaptureJob
from .devices import FlashJob, Monitor, model_label
from .emulator import Emulator
from .jobs import TrainingJob
from .photos import Photos
from .web import HERE


class Studio:
    """Everything one run of the studio holds: paths, token, jobs."""

    def __init__(self, data_dir, out_dir, token=None):
        from ..train.train import check_out_dir
        try:
            if os.path.exists(data_dir) and not os.path.isdir(data_dir):
                raise UserError(f"{data_dir}: not a folder")
            check_out_dir(out_dir, data_dir, force=True)   # OUT beside DATA, not inside it
        except UserError as e:  # named as the user typed them: make studio DATA= OUT=, or --data --out
            raise UserError(f"{e} (the photo folder: DATA= with make studio, --data otherwise; the model "
                            "folder: OUT=, or --out)") from None
        self.photos = Photos(data_dir)
        self.training = TrainingJob(data_dir, out_dir)
        self.monitor = Monitor()
        self.flashing = FlashJob()
        self.capture = CaptureJob()
        self.emulator = Emulator()
        self.token = token or safety.new_token()
        self._cache = {}
        self._cache_lock = threading.Lock()

    def model_path(self):
        """The model the Test and Device pages use: the last one trained here, else the default."""
        trained = os.path.join(self.training.out_dir, "model.blob")
        return trained if os.path.isfile(trained) else DEFAULT_BLOB

    def model_info(self):
        path = self.model_path()
        return {**self.cached(("model", path), model_label, path),
                "trained": path != DEFAULT_BLOB}

    def cached(self, key, fn, *args):
        """fn(*args), remembered while the model file (key[1]) is unchanged."""
        st = os.stat(key[1])
        full = (*key, st.st_size, st.st_mtime_ns)
        with self._cache_lock:
            if full in self._cache:
                return self._cache[full]
        value = fn(*args)
        with self._cache_lock:
            self._cache[full] = value
        return value

    def close(self):
        self.training.stop()
        self.capture.stop()
        self.flashing.stop()
        self.monitor.stop()
        self.emulator.stop()


async def favicon(request):
    from starlette.responses import FileResponse
    return FileResponse(os.path.join(HERE, "static", "favicon.svg"), media_type="image/svg+xml")


def make_app(studio, host="127.0.0.1", port=8000):
    routes = (routes_dataset.routes + routes_train.routes + routes_test.routes + routes_device.routes
              + [Route("/favicon.ico", favicon),
                 Mount("/static", StaticFiles(directory=os.path.join(HERE, "static")), name="static")])
    app = Starlette(routes=routes, middleware=[
        Middleware(guard.Guard, token=studio.token, hosts=safety.allowed_hosts(host, port))])
    app.state.studio = studio
    return app


class Server:
    """The studio on a socket: start() in a thread (tests) or serve() here (the command)."""

    def __init__(self, data_dir, out_dir, host="127.0.0.1", port=8000, header_timeout=serving.HEADER_TIMEOUT):
        import uvicorn
        self.sock = _bind(host, port)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.studio = Studio(data_dir, out_dir)
        self.app = make_app(self.studio, host, self.port)
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2, http=serving.protocol(header_timeout))
        serving.quiet_repeats()   # after uvicorn set its loggers up
        self.server = uvicorn.Server(config)
        self._thread = None

    def serve(self):
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.studio.close()

    def start(self):
        self.server.config.install_signal_handlers = False
        self._thread = threading.Thread(target=self.serve, daemon=True)
        self._thread.start()
        import time
        while not self.server.started and self._thread.is_alive():
            time.sleep(0.02)
        return self

    def stop(self):
        self.server.should_exit = True
        if self._thread:
            self._thread.join(10)
        self.sock.close()


def _bind(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port} ({e.strerror}); is a studio already running? "
                        "choose another --port") from None
    sock.listen(64)
    return sock


def run(args):
    """The `studio` command: serve until Ctrl-C."""
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port must be from 0 to 65535; got {args.port}")
    server = Server(args.data, args.out, args.host, args.port)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"studio: listening on {args.host}: other computers on the network may reach it "
              "(they still need the token shown in its pages)", flush=True)
    print(f"studio: photos in {server.studio.photos.data_dir}, models in {server.studio.training.out_dir}",
          flush=True)
    print(f"studio: open {server.url} in a browser (Ctrl-C stops)", flush=True)
    server.serve()
    return 0
