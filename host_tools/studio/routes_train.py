"""Train page: options, start, live epochs, cancel, the report."""
import os

from starlette.responses import FileResponse, Response
from starlette.routing import Route

from . import fields
from .jobs import ARCHS, DEFAULT_EPOCHS, MAX_EPOCHS
from .web import api, blocking, json_body, page, studio


async def train_page(request):
    return page(request, "train.html", "Train", epochs=DEFAULT_EPOCHS)


@api
async def start(request):
    body = await json_body(request)
    s = studio(request)
    arch = fields.choice(body, "arch", "v1", ARCHS)
    epochs = fields.integer(body, "epochs", DEFAULT_EPOCHS[arch], 1, MAX_EPOCHS)   # train's EPOCHS
    await blocking(s.training.start, arch, epochs, fields.boolean(body, "grayscale"))
    return {"ok": True}


@api
async def cancel(request):
    studio(request).training.cancel()
    return {"ok": True}


@api
async def status(request):
    return await blocking(studio(request).training.status)


async def report(request):
    """The training report (report.html, one self-contained file), shown in the page."""
    path = os.path.join(studio(request).training.out_dir, "report.html")
    if not os.path.isfile(path):
        return Response("no report yet: train a model first", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-cache"})


routes = [
    Route("/train", train_page),
    Route("/api/train/start", start, methods=["POST"]),
    Route("/api/train/cancel", cancel, methods=["POST"]),
    Route("/api/train/status", status),
    Route("/report", report),
]
