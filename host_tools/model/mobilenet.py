"""MobileNetV1 (Howard et al. 2017, Table 1), written to read like the paper.

    conv 3x3/2, 32a
    13 x [depthwise 3x3 (stride s) -> pointwise 1x1 (filters f)]
    average pool over the last map -> dense(classes) -> softmax

Every conv has a bias and is followed by BatchNorm and ReLU, as in the
pretrained person/no-person model, so its weights copy layer by layer.
The input is raw RGB (or gray) pixels 0..255 as float: no scaling inside,
unless `rescale=True` puts one (pixels / 127.5 - 1, what ImageNet weights
expect) inside the model. `activation="relu6"` matches Keras' ImageNet MobileNet.
"""
import keras
from keras import layers

# (pointwise filters at alpha 1, depthwise stride) for the 13 blocks.
V1_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
             (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
V1_ALPHAS = (0.25, 0.5, 0.75, 1.0)
MIN_SIZE = 32


ACTIVATIONS = {"relu": None, "relu6": 6.0}  # ReLU max_value


def _conv_bn(x, filters, kernel, stride, name, act="relu"):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", name=name)(x)
    x = layers.BatchNormalization(epsilon=1e-3, name=name + "_bn")(x)
    return layers.ReLU(ACTIVATIONS[act], name=name + "_relu")(x)


def _depthwise_separable(x, filters, stride, block, act="relu"):
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", name=f"conv_dw_{block}")(x)
    x = layers.BatchNormalization(epsilon=1e-3, name=f"conv_dw_{block}_bn")(x)
    x = layers.ReLU(ACTIVATIONS[act], name=f"conv_dw_{block}_relu")(x)
    return _conv_bn(x, filters, 1, 1, f"conv_pw_{block}", act)


def scaling(x):
    """Pixels 0..255 to -1..1 inside the model (Keras' ImageNet preprocessing, mode "tf")."""
    return layers.Rescaling(1 / 127.5, offset=-1.0, name="scale")(x)


def classifier(x, size, classes, dropout):
    """The head on the last feature map: average pool -> [dropout] -> dense(classes) -> softmax."""
    pool = size // 32  # the last feature map is (size/32) x (size/32)
    x = layers.AveragePooling2D(pool, name="avg_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(classes, name="logits")(x)
    return layers.Softmax(name="scores")(x)


def check_args(alpha, alphas, size, channels, classes):
    """The builder arguments' rules, shared by MobileNetV1 and V2 (alphas: the allowed widths)."""
    if alpha not in alphas:
        raise ValueError(f"alpha must be one of {', '.join(map(str, alphas))}; got {alpha}")
    if size < MIN_SIZE or size % 32:
        raise ValueError(f"size must be a multiple of 32 and at least {MIN_SIZE}; got {size}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels}")
    if classes < 2:
        raise ValueError(f"classes must be at least 2; got {classes}")


def mobilenet_v1(alpha=0.25, size=96, channels=3, classes=2, dropout=0.0, activation="relu",
                 rescale=False):
    """MobileNetV1 classifier taking (size, size, channels) pixels 0..255."""
    check_args(alpha, V1_ALPHAS, size, channels, classes)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation}")
    inputs = keras.Input((size, size, channels), name="pixels")
    x = scaling(inputs) if rescale else inputs
    x = _conv_bn(x, int(32 * alpha), 3, 2, "conv1", activation)
    for block, (filters, stride) in enumerate(V1_BLOCKS, start=1):
        x = _depthwise_separable(x, int(filters * alpha), stride, block, activation)
    outputs = classifier(x, size, classes, dropout)
    return keras.Model(inputs, outputs, name=f"mobilenet_v1_{alpha}_{size}")


def weighted_layers(model):
    """Conv, depthwise, BatchNorm and dense layers, in graph order."""
    kinds = (layers.Conv2D, layers.DepthwiseConv2D, layers.BatchNormalization, layers.Dense)
    return [l for l in model.layers if isinstance(l, kinds)]
