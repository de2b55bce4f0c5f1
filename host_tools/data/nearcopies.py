"""Near-copies: photos that are almost the same picture, such as the frames of a burst.

A held-out photo that is a near-copy of a training photo tests memory, not
recognition: a burst split at random between training and held-out photos makes
the held-out accuracy flatter. Each photo gets a difference hash (dHash) of the
model's own input pixels: the image in gray, shrunk to 17x16 box averages, one bit
per pair of horizontal neighbours (is the right one brighter?), 256 bits. Two photos
are near-copies when at most NEAR_COPY_BITS of those bits differ.

The threshold, measured on real photos (openmv-mice, OpenMV H7 frames taken about
0.5 s apart, 96x96): frames 30 to 33 bits apart show the same pose moved a little;
frames 40 to 45 bits apart show another pose. Linking photos within 32 bits into
groups makes groups of at most 51 of the 501 photos of a class (they chain beyond:
at 40 bits one group holds 125). tests/test_dataset.py checks these facts.
"""
import numpy as np

HASH_SIDE = 16                 # 16 x 16 = 256 bits
HASH_BITS = HASH_SIDE * HASH_SIDE
NEAR_COPY_BITS = 32            # at most this many bits differ: a near-copy (1 in 8)


def dhash(pixels):
    """The 256-bit difference hash of one image (H, W, C) uint8, as 4 uint64 words."""
    from PIL import Image
    img = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    gray = np.asarray(img.convert("L").resize((HASH_SIDE + 1, HASH_SIDE), Image.BOX), np.int16)
    bits = (gray[:, 1:] > gray[:, :-1]).ravel()
    return np.packbits(bits).view(np.uint64)


def hashes(pixels):
    """dhash of each image of (N, H, W, C) uint8: (N, 4) uint64."""
    return np.array([dhash(p) for p in pixels], np.uint64).reshape(len(pixels), HASH_BITS // 64)


def distances(a, b, rows=64):
    """Bits that differ between each hash of a and each hash of b: (len(a), len(b)) int."""
    out = np.empty((len(a), len(b)), np.int32)
    for i in range(0, len(a), rows):
        out[i:i + rows] = np.bitwise_count(a[i:i + rows, None, :] ^ b[None, :, :]).sum(axis=2)
    return out


def groups(h):
    """A group number for each hash: photos linked by near-copy pairs share one (union-find)."""
    parent = list(range(len(h)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = 256  # a block of rows at a time: memory stays small for thousands of photos
    for start in range(0, len(h), rows):
        near = distances(h[start:start + rows], h) <= NEAR_COPY_BITS
        for i, j in zip(*np.nonzero(near)):
            if start + i < j:
                parent[root(start + i)] = root(j)
    roots = [root(i) for i in range(len(h))]
    return np.unique(roots, return_inverse=True)[1] if roots else np.zeros(0, np.int64)


def near_copies(held_out, training):
    """For each held-out hash: is some training hash within NEAR_COPY_BITS of it?"""
    if not len(held_out) or not len(training):
        return np.zeros(len(held_out), bool)
    return distances(held_out, training).min(axis=1) <= NEAR_COPY_BITS
