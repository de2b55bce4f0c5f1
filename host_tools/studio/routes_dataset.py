"""Dataset page: classes, photos, uploads, the browser's webcam and the board's camera."""
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import UserError
from . import fields, safety
from .capture import MAX_COUNT
from .web import api, blocking, json_body, page, studio, uploaded_files


async def home(request):
    return RedirectResponse("/dataset", status_code=303)


async def dataset_page(request):
    from ..data.dataset import MIN_PER_CLASS
    return page(request, "dataset.html", "Photos", min_per_class=MIN_PER_CLASS)


@api
async def summary(request):
    return await blocking(studio(request).photos.summary)


def _image(method, respond):
    """GET /{photo,thumb}/LABEL/NAME[?split=train|validation]: respond(photos.<method>(label, name, split));
    404 for a bad name."""
    async def endpoint(request):
        p = request.path_params
        try:
            found = await blocking(getattr(studio(request).photos, method), p["label"], p["name"],
                                   fields.split(request.query_params))
        except UserError as e:
            return Response(str(e), status_code=404, media_type="text/plain")
        return respond(found)
    return endpoint


def _thumb_response(png):
    if png is None:   # unreadable: the page says why under it
        return Response(_BROKEN, media_type="image/svg+xml")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})


_BROKEN = (b'<svg xmlns="http://www.w3.org/2000/svg" width="112" height="112"><rect width="112" height="112" '
           b'fill="#eee"/><path d="M30 30L82 82M82 30L30 82" stroke="#c33" stroke-width="6"/></svg>')


def _change(method, *keys):
    """An endpoint calling photos.<method>(body[key] for key in keys): add, rename, delete."""
    @api
    async def endpoint(request):
        body = await json_body(request)
        s = studio(request)
        await blocking(getattr(s.photos, method),
                       *(fields.split(body) if k == "split" else fields.text(body, k) for k in keys))
        return {"ok": True}
    return endpoint


@api
async def upload(request):
    """Each photo saved or refused on its own: {"saved": [names], "refused": [messages]}."""
    form_class = request.query_params.get("class")
    safety.class_name(form_class)                  # the names are checked before anything is read
    split = fields.split(request.query_params)
    photos = studio(request).photos
    await blocking(photos.root, split)             # a split only where DATA has train/ and validation/
    files = await uploaded_files(request)
    saved, refused = await blocking(photos.add_photos, form_class, files, split)
    return {"saved": saved, "refused": refused}


@api
async def capture(request):
    body = await json_body(request)
    s = studio(request)
    label, port = fields.text(body, "class"), await blocking(fields.port, body)   # checked before any folder
    count = fields.integer(body, "count", 10, 1, MAX_COUNT)
    every = fields.number(body, "every", 0.5, 0, 60)
    await blocking(s.photos.class_dir, label, True)
    await blocking(s.capture.start, s.photos, label, port, count, every, s.monitor)
    return {"ok": True}


@api
async def capture_cancel(request):
    await blocking(studio(request).capture.stop)
    return {"ok": True}


@api
async def capture_status(request):
    return studio(request).capture.status()


routes = [
    Route("/", home),
    Route("/dataset", dataset_page),
    Route("/api/dataset", summary),
    Route("/photo/{label}/{name}", _image("photo_path", FileResponse)),
    Route("/thumb/{label}/{name}", _image("thumbnail", _thumb_response)),
    Route("/api/class/add", _change("add_class", "class"), methods=["POST"]),
    Route("/api/class/rename", _change("rename_class", "class", "new"), methods=["POST"]),
    Route("/api/class/delete", _change("delete_class", "class"), methods=["POST"]),
    Route("/api/photo/delete", _change("delete_photo", "class", "name", "split"), methods=["POST"]),
    Route("/api/photo/upload", upload, methods=["POST"]),
    Route("/api/capture", capture, methods=["POST"]),
    Route("/api/capture/status", capture_status),
    Route("/api/capture/cancel", capture_cancel, methods=["POST"]),
]
