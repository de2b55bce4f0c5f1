"""Small helpers the page modules share: JSON answers, one-line errors, pages, uploads."""
import functools
import os

import jinja2

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.templating import Jinja2Templates

from .. import UserError
from . import fields, safety
from ..device.ports import shown
from .jobs import Busy

HERE = os.path.dirname(os.path.abspath(__file__))
templates = Jinja2Templates(env=jinja2.Environment(   # every {{ value }} HTML-escaped, whatever the file name
    loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")), autoescape=True))


def studio(request):
    """The Studio (state of this run) the request belongs to."""
    return request.app.state.studio


def page(request, name, title, **context):
    s = studio(request)
    return templates.TemplateResponse(request, name, {"title": title, "token": s.token,
                                                      "data_dir": s.photos.data_dir, "page": name, **context})


def api(fn):
    """An endpoint whose UserError becomes {"error": message} with status 400 (409 when busy)."""
    @functools.wraps(fn)
    async def endpoint(request):
        try:
            out = await fn(request)
        except UserError as e:
            return safety.error(str(e), 409 if isinstance(e, Busy) else 400)
        return out if hasattr(out, "status_code") else JSONResponse(out)
    return endpoint


async def blocking(fn, *args, **kw):
    """Run fn in a worker thread (file, model and serial work blocks)."""
    return await run_in_threadpool(fn, *args, **kw)


async def json_body(request):
    """The request's JSON object (fields.parse: limited, no NaN, no lone surrogates, not deep)."""
    return fields.parse(await request.body())


async def uploaded_files(request):
    """[(file name, bytes)] of the request's "photos" parts; over-size parts are refused here.

    (The request as a whole is limited by guard.Guard, however it is sent.)"""
    try:
        form = await request.form(max_files=safety.MAX_FILES)
    except HTTPException as e:
        raise UserError(f"the upload could not be read: {e.detail}") from None
    files = []
    try:
        for item in form.getlist("photos"):
            if isinstance(item, str):
                continue
            data = await item.read(safety.MAX_UPLOAD_BYTES + 1)
            if len(data) > safety.MAX_UPLOAD_BYTES:
                raise UserError(f"{shown(item.filename, 80)}: over the size limit of {safety.MAX_UPLOAD_BYTES:,} bytes; refused")
            files.append((item.filename or "photo", data))
    finally:
        await form.close()
    if not files:
        raise UserError("no photos in the request")
    return files
