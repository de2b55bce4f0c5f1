"""Test page: classify dropped photos, evaluate a labelled folder (the `classify` and `evaluate` code)."""
import os
import tempfile

from starlette.routing import Route

from .. import UserError
from . import fields, listing, safety
from .web import api, blocking, json_body, page, studio, uploaded_files


async def test_page(request):
    return page(request, "test.html", "Test")


@api
async def model(request):
    return await blocking(studio(request).model_info)


def _classify(blob_path, files):
    """[{name, label, confidence, scores} or {name, error}] in order, by infer.classify.classify."""
    from ..blob import read
    from ..infer.classify import classify
    blob = read(blob_path)
    with tempfile.TemporaryDirectory(prefix="studio-classify-") as tmp:
        paths, shown = [], {}
        for i, (name, data) in enumerate(files):
            path = os.path.join(tmp, f"{i:04d}-{safety.safe_stem(name)}")
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
            shown[path] = os.path.basename(name)[:80]
        out = []
        for path, r, err in classify(blob, paths, workers=1):
            if err:
                out.append({"name": shown[path], "error": f"{shown[path]}: not an image (or a damaged one); refused"})
            else:
                out.append({"name": shown[path], "label": r["label"], "confidence": r["confidence"],
                            "scores": r["scores"]})
    return out


@api
async def classify(request):
    files = await uploaded_files(request)
    s = studio(request)
    return {"model": s.model_path(), "results": await blocking(_classify, s.model_path(), files)}


@api
async def evaluate(request):
    from ..infer.evaluate import evaluate as run_evaluate
    body = await json_body(request)
    s = studio(request)
    folder = (fields.text(body, "folder") or "").strip() or s.photos.data_dir
    folder = await blocking(_checked_folder, folder, (s.photos.data_dir, s.training.out_dir))
    r = await blocking(run_evaluate, s.model_path(), folder)
    return {"folder": folder, "labels": r["labels"], "accuracy": r["accuracy"], "images": r["images"],
            "correct": r["correct"], "per_class": r["per_class"], "confusion": r["confusion"],
            "skipped": [f"{os.path.relpath(x['path'], folder)}: {x['reason']}" for x in r["skipped"]
                        if x["reason"] != "hidden file or folder"]}


def _checked_folder(folder, roots):
    """folder, if it lies in the photo or the output folder and no link under it leads elsewhere.

    The messages never name a path outside those folders."""
    roots = [os.path.realpath(r) for r in roots]
    folder = os.path.abspath(os.path.expanduser(folder))
    if not any(listing.within(folder, r) for r in roots):
        raise UserError("the folder to check must be the photo folder, the output folder, or a folder "
                        "inside one of them; refused")
    if not os.path.isdir(folder):
        raise UserError("no such folder inside the photo or output folder")
    link = listing.links_out(folder, roots)
    if link:
        raise UserError(f"{link}: a link to outside the photo and output folders; the studio does not "
                        "follow it (remove it, or check another folder)")
    return folder


routes = [
    Route("/test", test_page),
    Route("/api/model", model),
    Route("/api/classify", classify, methods=["POST"]),
    Route("/api/evaluate", evaluate, methods=["POST"]),
]
