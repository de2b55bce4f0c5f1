"""Which network to train and where its first weights come from.

    --arch mobilenet_v1 | mobilenet_v2    --alpha A    --size S    --init vww | imagenet | none

- vww: the pretrained person/no-person MobileNetV1 0.25 (offline; host_tools.model.vww).
- imagenet: Keras' ImageNet weights (keras.applications, include_top=False),
  downloaded once into ~/.keras/models; offline this fails at once. The
  -1..1 input scaling those weights expect goes inside the model.
- none: random weights (needs far more photos than the others).

Every rule is checked before anything slow starts.
"""
import os
import socket
import threading

from .. import UserError

ARCHS = ("mobilenet_v1", "mobilenet_v2")
INITS = ("vww", "imagenet", "none")
# The builders' own lists (mobilenet.V1_ALPHAS, mobilenet_v2.V2_ALPHAS), repeated here so
# that arguments are checked without importing Keras; a test keeps them equal.
ALPHAS = {"mobilenet_v1": (0.25, 0.5, 0.75, 1.0), "mobilenet_v2": (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)}
DEFAULT_ALPHA = {"mobilenet_v1": 0.25, "mobilenet_v2": 0.35}
MIN_SIZE, MAX_SIZE = 32, 224
WEIGHTS_HOST = "storage.googleapis.com"
PROBE_SECONDS = 2.0
# Sizes Keras has ImageNet weights for; other sizes use the 224 file (the
# convolutions do not depend on the input size).
IMAGENET_ROWS = {"mobilenet_v1": (128, 160, 192, 224), "mobilenet_v2": (96, 128, 160, 192, 224)}


def _fmt(values):
    return ", ".join(f"{v:g}" for v in values)


def default_init(arch, alpha):
    return "vww" if arch == "mobilenet_v1" and alpha == 0.25 else "imagenet"


def check(arch, alpha, size, init):
    """Fill in defaults and check the combination: (alpha, init). Raises UserError."""
    if arch not in ARCHS:
        raise UserError(f"--arch must be one of {', '.join(ARCHS)}; got {arch}")
    if alpha is None:
        alpha = DEFAULT_ALPHA[arch]
    if alpha not in ALPHAS[arch]:
        raise UserError(f"--alpha for {arch} must be one of {_fmt(ALPHAS[arch])}; got {alpha:g}")
    if size % 32 or not MIN_SIZE <= size <= MAX_SIZE:
        raise UserError(f"--size must be a multiple of 32 from {MIN_SIZE} to {MAX_SIZE}; got {size}")
    if init is None:
        init = default_init(arch, alpha)
    if init not in INITS:
        raise UserError(f"--init must be one of {', '.join(INITS)}; got {init}")
    if init == "vww" and (arch != "mobilenet_v1" or alpha != 0.25):
        raise UserError(f"--init vww has weights for mobilenet_v1 with alpha 0.25 only; got "
                        f"--arch {arch} --alpha {alpha:g} (use --init imagenet or --init none)")
    return alpha, init


def imagenet_file(arch, alpha, size):
    """(file name, URL) of the Keras ImageNet no-top weights this model starts from."""
    if arch == "mobilenet_v1":
        rows = size if size in IMAGENET_ROWS[arch] else 224
        text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}[alpha]
        name = f"mobilenet_{text}_{rows}_tf_no_top.h5"
        return name, f"https://{WEIGHTS_HOST}/tensorflow/keras-applications/mobilenet/{name}"
    rows = size if size in IMAGENET_ROWS[arch] else 224
    name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}_no_top.h5"
    return name, f"https://{WEIGHTS_HOST}/tensorflow/keras-applications/mobilenet_v2/{name}"


def keras_cache_dirs():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return [os.path.join(home, "models"), os.path.join("/tmp", ".keras", "models")]


def _reachable(host, port=443, seconds=PROBE_SECONDS):
    """Can a TCP connection be made within `seconds` (name lookup included)? Never blocks longer."""
    if os.environ.get("HOST_TOOLS_OFFLINE"):
        return False
    ok = []

    def probe():
        try:
            socket.create_connection((host, port), timeout=seconds).close()
            ok.append(True)
        except OSError:
            pass

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(seconds + 0.5)
    return bool(ok)


def check_imagenet_available(arch, alpha, size):
    """The cached weight file, or None when it must (and can) be downloaded; else UserError at once."""
    name, url = imagenet_file(arch, alpha, size)
    for d in keras_cache_dirs():
        if os.path.isfile(os.path.join(d, name)):
            return os.path.join(d, name)
    if not _reachable(WEIGHTS_HOST):
        raise UserError(f"--init imagenet: {name} is not in {keras_cache_dirs()[0]} and {WEIGHTS_HOST} "
                        f"cannot be reached (offline?); use --init vww (mobilenet_v1 alpha 0.25, "
                        f"works offline) or --init none, or download {url} into {keras_cache_dirs()[0]}/")
    return None


def _weighted(model):
    from keras import layers
    kinds = (layers.Conv2D, layers.DepthwiseConv2D, layers.BatchNormalization, layers.Dense)
    return [l for l in model.layers if isinstance(l, kinds)]


def copy_weights(source, target):
    """Copy a Keras application's weights into our builder's model, layer by layer in graph order.

    Missing conv biases become zeros; a gray target gets the first kernel summed over RGB.
    The target's classifier head (not in the source) keeps its initial weights.
    """
    import numpy as np
    src, dst = _weighted(source), _weighted(target)
    if len(src) > len(dst):
        raise RuntimeError(f"weight layers: source has {len(src)}, target has {len(dst)}")
    for i, (s, d) in enumerate(zip(src, dst)):
        if type(s).__name__ != type(d).__name__:
            raise RuntimeError(f"layer {d.name} is {type(d).__name__}, source {s.name} is {type(s).__name__}")
        arrays = s.get_weights()
        want = [w.shape for w in d.get_weights()]
        if i == 0 and arrays[0].shape[2] == 3 and want[0][2] == 1:
            arrays[0] = arrays[0].sum(axis=2, keepdims=True)
        if len(arrays) + 1 == len(want):  # our V1 convs carry a bias, Keras' do not
            arrays.append(np.zeros(want[-1], arrays[0].dtype))
        d.set_weights(arrays)


def keras_application(arch, alpha, size, weights):
    """keras.applications MobileNet / MobileNetV2 without its top, 3 channels."""
    import warnings

    import keras
    build = keras.applications.MobileNet if arch == "mobilenet_v1" else keras.applications.MobileNetV2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "weights for (224, 224) will be loaded": we know
        return build(input_shape=(size, size, 3), alpha=alpha, include_top=False, weights=weights)


def build(arch, alpha, size, channels, classes, init):
    """Our Keras model for (arch, alpha, size), with the initial weights `init`."""
    from .mobilenet import mobilenet_v1
    from .mobilenet_v2 import mobilenet_v2
    if init == "vww":
        from .vww import pretrained_vww
        return pretrained_vww(classes, channels, alpha, size)
    imagenet = init == "imagenet"
    if arch == "mobilenet_v1":
        model = mobilenet_v1(alpha, size, channels, classes, activation="relu6" if imagenet else "relu",
                             rescale=imagenet)
    else:
        model = mobilenet_v2(alpha, size, channels, classes, rescale=imagenet)
    if imagenet:
        copy_weights(keras_application(arch, alpha, size, "imagenet"), model)
    else:
        he_normal_kernels(model)
    return model


def he_normal_kernels(model, seed=0):
    """Random convolution kernels that keep the activations' scale through the depth (He et al. 2015).

    Keras' default (Glorot) makes a deep MobileNetV2 shrink its activations
    towards 1e-8, which int8 conversion cannot represent.
    """
    import numpy as np
    from keras import layers
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D)):
            weights = layer.get_weights()
            k = weights[0]
            fan_in = k.shape[0] * k.shape[1] * (1 if isinstance(layer, layers.DepthwiseConv2D) else k.shape[2])
            weights[0] = rng.normal(0.0, np.sqrt(2.0 / fan_in), k.shape).astype(k.dtype)
            layer.set_weights(weights)
