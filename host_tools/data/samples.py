"""Real photos shipped by scikit-image, for the demo and for calibration."""
import os

import numpy as np

from .images import open_image, to_pixels

# Natural photos in skimage/data (files inside the installed package).
DEMO = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "camera.png",
        "motorcycle_left.png")
CALIBRATION = ("astronaut.png", "camera.png", "chelsea.png", "coffee.png", "rocket.jpg",
               "motorcycle_left.png", "motorcycle_right.png", "hubble_deep_field.jpg",
               "retina.jpg", "ihc.png", "brick.png", "grass.png", "gravel.png", "coins.png",
               "moon.png", "page.png", "text.png", "clock_motion.png", "cell.png", "color.png")


def data_dir():
    import skimage.data
    return os.path.dirname(skimage.data.__file__)


def sample_path(name):
    return os.path.join(data_dir(), name)


def crops(path, size, channels=3, count=4, seed=0):
    """The centred square plus count-1 random square crops (60-90% of the short side)."""
    rng = np.random.default_rng(seed)
    img = open_image(path)
    out = [to_pixels(img, size, channels)]
    w, h = img.size
    for _ in range(count - 1):
        side = int(min(w, h) * rng.uniform(0.6, 0.9))
        left = int(rng.integers(0, w - side + 1))
        top = int(rng.integers(0, h - side + 1))
        out.append(to_pixels(img.crop((left, top, left + side, top + side)), size, channels))
    return out


def calibration_set(size, channels=3, per_photo=4):
    images = []
    for i, name in enumerate(CALIBRATION):
        images.extend(crops(sample_path(name), size, channels, per_photo, seed=i))
    return np.stack(images)


def demo_paths():
    return [sample_path(n) for n in DEMO]

