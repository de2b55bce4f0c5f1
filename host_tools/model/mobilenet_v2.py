"""MobileNetV2 (Sandler et al. 2018, Table 2), written to read like the paper.

    conv 3x3/2, 32a
    bottleneck blocks: t (expansion), c (output channels x alpha), n (repeats), s (first stride)
    conv 1x1, 1280 (more when alpha > 1)
    average pool over the last map -> dense(classes) -> softmax

A bottleneck is expand 1x1 (when t > 1) -> depthwise 3x3 -> linear project 1x1,
each with BatchNorm, ReLU6 after the first two, and a residual add when the
shapes allow. Layer names and weight shapes are those of
keras.applications.MobileNetV2, so its ImageNet weights copy layer by layer.
The input is pixels 0..255 as float; `rescale=True` puts the -1..1 scaling
ImageNet weights expect inside the model.
"""
import keras
from keras import layers

from .mobilenet import check_args, classifier, scaling

# (expansion t, channels c, repeats n, first stride s) for the 7 bottleneck rows of Table 2.
V2_BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
             (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
V2_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
_BN = dict(epsilon=1e-3, momentum=0.999)


def _divisible(v, divisor=8):
    """Round channels to a multiple of 8, never more than 10% down (the reference code's rule)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _bottleneck(x, expansion, filters, stride, block):
    inputs, in_channels = x, x.shape[-1]
    prefix = f"block_{block}_" if block else "expanded_conv_"
    if expansion != 1:
        x = layers.Conv2D(expansion * in_channels, 1, use_bias=False, name=prefix + "expand")(x)
        x = layers.BatchNormalization(name=prefix + "expand_BN", **_BN)(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False,
                               name=prefix + "depthwise")(x)
    x = layers.BatchNormalization(name=prefix + "depthwise_BN", **_BN)(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=prefix + "project")(x)
    x = layers.BatchNormalization(name=prefix + "project_BN", **_BN)(x)  # linear: no ReLU
    if stride == 1 and in_channels == filters:
        x = layers.Add(name=prefix + "add")([inputs, x])
    return x


def mobilenet_v2(alpha=0.35, size=96, channels=3, classes=2, dropout=0.0, rescale=False):
    """MobileNetV2 classifier taking (size, size, channels) pixels 0..255."""
    check_args(alpha, V2_ALPHAS, size, channels, classes)
    inputs = keras.Input((size, size, channels), name="pixels")
    x = scaling(inputs) if rescale else inputs
    x = layers.Conv2D(_divisible(32 * alpha), 3, strides=2, padding="same", use_bias=False,
                      name="Conv1")(x)
    x = layers.BatchNormalization(name="bn_Conv1", **_BN)(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    block = 0
    for t, c, n, s in V2_BLOCKS:
        for i in range(n):
            x = _bottleneck(x, t, _divisible(int(c * alpha)), s if i == 0 else 1, block)
            block += 1
    last = _divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(name="Conv_1_bn", **_BN)(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    outputs = classifier(x, size, classes, dropout)
    return keras.Model(inputs, outputs, name=f"mobilenet_v2_{alpha}_{size}")
