"""Synthetic photo folders for the dataset and training tests (always available, no download)."""
import os

import numpy as np
from PIL import Image


def pattern(kind, i, size=(64, 48)):
    """A synthetic photo: light horizontal stripes or a dark checkerboard, never twice the same."""
    rng = np.random.default_rng(1000 * (kind == "checks") + i)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    period = int(rng.integers(6, 12))
    if kind == "stripes":
        mask = (yy // period) % 2 == 0
    else:
        mask = ((yy // period) + (xx // period)) % 2 == 0
    low = 140 if kind == "stripes" else 0
    a, b = rng.integers(low, low + 116, 3), rng.integers(low, low + 116, 3)
    img = np.where(mask[..., None], a, b) + rng.integers(-20, 21, (h, w, 3))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def make_dataset(root, per_class=8, classes=("checks", "stripes"), start=0):
    for c in classes:
        os.makedirs(root / c, exist_ok=True)
        for i in range(start, start + per_class):
            pattern(c, i).save(root / c / f"{i:03d}.png")
    return root
