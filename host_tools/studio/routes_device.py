"""Device page: boards and fit, serial ports, flash with progress, live results and camera view."""
from starlette.responses import Response
from starlette.routing import Route

from .devices import board_table, serial_ports
from .emulator import emulated_boards
from . import fields
from .web import api, blocking, json_body, page, studio


async def device_page(request):
    return page(request, "device.html", "Device")


@api
async def boards(request):
    s = studio(request)
    model = s.model_path()
    return {"model": await blocking(s.model_info),
            "boards": await blocking(s.cached, ("boards", model), board_table, model),
            "emulated": emulated_boards(), "emulator": s.emulator.status()}


@api
async def ports(request):
    return {"ports": await blocking(serial_ports, studio(request).emulator.status())}


@api
async def flash(request):
    body = await json_body(request)
    s = studio(request)
    port = await blocking(fields.port, body) if fields.text(body, "port", "").strip() else ""
    s.flashing.start(fields.text(body, "board", limit=64), port, s.model_path(), s.monitor,
                     s.emulator.status())
    return {"ok": True}


@api
async def flash_cancel(request):
    await blocking(studio(request).flashing.cancel)
    return {"ok": True}


@api
async def flash_status(request):
    return studio(request).flashing.status()


@api
async def monitor_start(request):
    body = await json_body(request)
    port, camera = await blocking(fields.port, body), fields.boolean(body, "camera")
    await blocking(studio(request).monitor.start, port, camera)
    return {"ok": True}


@api
async def monitor_stop(request):
    await blocking(studio(request).monitor.stop)
    return {"ok": True}


@api
async def emulate_start(request):
    body = await json_body(request)
    s = studio(request)
    port = await blocking(s.emulator.start, fields.text(body, "board", limit=64), s.photos, s.model_path(), s.monitor)
    return {"port": port}


@api
async def emulate_stop(request):
    s = studio(request)
    await blocking(s.emulator.stop, s.monitor)
    return {"ok": True}


@api
async def monitor_status(request):
    return studio(request).monitor.status()


async def camera_frame(request):
    """The last camera frame the board sent, as PNG (404 until there is one)."""
    png = studio(request).monitor.frame_png()
    if png is None:
        return Response("no frame from the board yet", status_code=404, media_type="text/plain")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


routes = [
    Route("/device", device_page),
    Route("/api/boards", boards),
    Route("/api/ports", ports),
    Route("/api/flash", flash, methods=["POST"]),
    Route("/api/flash/status", flash_status),
    Route("/api/flash/cancel", flash_cancel, methods=["POST"]),
    Route("/api/monitor/start", monitor_start, methods=["POST"]),
    Route("/api/monitor/stop", monitor_stop, methods=["POST"]),
    Route("/api/monitor/status", monitor_status),
    Route("/api/emulate/start", emulate_start, methods=["POST"]),
    Route("/api/emulate/stop", emulate_stop, methods=["POST"]),
    Route("/api/monitor/frame.png", camera_frame),
]
