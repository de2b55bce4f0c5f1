"""Bursts of near-identical frames made from real photos, as a camera's burst mode gives."""
import os

import numpy as np
from PIL import Image

from tests.support import DATASET

MICE = os.path.join(DATASET, "train", "black")


def make_bursts(root, per_class=30, copies=3, step=6):
    """Two classes of bursts of real photos that nothing tells apart: black mice (openmv-mice),
    every other photo to class a, the others to b. Each photo becomes `copies` frames, each
    moved by up to 2 pixels and with a little noise, as a camera taking a burst would give."""
    rng = np.random.default_rng(0)
    names = sorted(os.listdir(MICE))[::step][:2 * per_class]
    for i, name in enumerate(names):
        folder = root / ("a" if i % 2 == 0 else "b")
        os.makedirs(folder, exist_ok=True)
        img = np.asarray(Image.open(os.path.join(MICE, name)).convert("RGB"), np.int16)
        for k in range(copies):
            moved = np.roll(img, tuple(rng.integers(-2, 3, 2)), axis=(0, 1))
            noisy = np.clip(moved + rng.normal(0, 2, moved.shape), 0, 255).astype(np.uint8)
            Image.fromarray(noisy).save(folder / f"{name[:-4]}-{k}.png")
    return root


def burst_of(path):
    return os.path.basename(path).rsplit("-", 1)[0]
