"""Load the pretrained person/no-person weights into our MobileNetV1 builder.

Keras 3 cannot deserialize the Keras 2 h5 (its DepthwiseConv2D config carries
`groups`), so the architecture is ours and the weights are copied layer by
layer, in graph order, with h5py.
"""
import json

import h5py
import numpy as np

from .mobilenet import mobilenet_v1, weighted_layers
from .weights import vww_h5

LABELS = ["person", "non_person"]
_WEIGHTED = ("Conv2D", "DepthwiseConv2D", "BatchNormalization", "Dense")
_ORDER = {  # Keras weight order per layer kind
    "Conv2D": ("kernel", "bias"),
    "DepthwiseConv2D": ("depthwise_kernel", "bias"),
    "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance"),
    "Dense": ("kernel", "bias"),
}


def read_h5_weights(path):
    """[(layer kind, [arrays])] in the h5's graph order."""
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        out = []
        for layer in config["config"]["layers"]:
            kind, name = layer["class_name"], layer["config"]["name"]
            if kind not in _WEIGHTED:
                continue
            group = f["model_weights"][name][name]
            out.append((kind, [np.array(group[k + ":0"]) for k in _ORDER[kind]]))
    return out


def pretrained_vww(classes=2, channels=3, alpha=0.25, size=96):
    """MobileNetV1 0.25 with the pretrained backbone; the head too when classes == 2.

    With channels == 1 the first conv's kernel is summed over RGB, which is
    exactly what a gray pixel repeated in R, G and B would give.
    """
    if alpha != 0.25:
        raise ValueError(f"--init vww has weights for alpha 0.25 only; got {alpha}")
    model = mobilenet_v1(0.25, size, channels, classes)
    source = read_h5_weights(vww_h5())
    target = weighted_layers(model)
    if len(source) != len(target):
        raise RuntimeError(f"weight layers: h5 has {len(source)}, model has {len(target)}")
    for (kind, arrays), layer in zip(source, target):
        if type(layer).__name__ != kind:
            raise RuntimeError(f"layer {layer.name} is {type(layer).__name__}, h5 has {kind}")
        if layer is target[0] and channels == 1:
            arrays = [arrays[0].sum(axis=2, keepdims=True), arrays[1]]
        if kind == "Dense" and classes != 2:
            continue  # a new head starts from Keras' initializer
        layer.set_weights(arrays)
    return model
