"""Fine-tuning on cached features: the early layers run once, not every epoch.

MobileNetV1 is a chain of layers. Its first three blocks (the pretrained edge
and texture detectors) stay frozen; their outputs for every training photo and
for a few augmented copies of it (flip, rotation, zoom) are computed once.
Each epoch then trains only the later blocks and the classifier on those
features: no augmentation, no pass through the frozen blocks, a much smaller
graph to trace. Validation features are computed once too.

`split(model, cut)` -> (front, back) sharing the model's layers, so training
`back` trains `model`, which is converted and evaluated as a whole.
"""
import numpy as np

CUT = "conv_pw_3_relu"   # blocks 1-3 frozen (24x24x32 maps at 96x96), blocks 4-13 and the head trained
COPIES = 4               # augmented copies per training photo, besides the photo itself


def chain_after(model, cut):
    """The layers after `cut`, if the model is a plain chain from there on; else None."""
    names = [layer.name for layer in model.layers]
    if cut not in names:
        return None
    rest = model.layers[names.index(cut) + 1:]
    prev = model.get_layer(cut)
    for layer in rest:
        inbound = layer._inbound_nodes
        if len(inbound) != 1 or [t._keras_history[0] for t in inbound[0].input_tensors] != [prev]:
            return None
        prev = layer
    return rest


def split(model, cut=CUT):
    """(front, back) Keras models with the model's own layers; None if it cannot be cut there."""
    import keras
    rest = chain_after(model, cut)
    if not rest:
        return None
    front = keras.Model(model.input, model.get_layer(cut).output, name="front")
    x = inputs = keras.Input(front.output.shape[1:], name="features")
    for layer in rest:
        x = layer(x)
    return front, keras.Model(inputs, x, name="back")


def runner(front, augment=None):
    """One traced function: uint8 pixels -> front's outputs, through `augment` first if given."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def run(x):
        x = tf.cast(x, tf.float32)
        if augment is not None:
            x = augment(x, training=True)
        return front(x, training=False)
    return run


def features(front, pixels, batch=64, run=None):
    """front's outputs for uint8 pixels (N, H, W, C) (run: a runner to use)."""
    run = run or runner(front)
    if not len(pixels):
        return np.zeros((0, *front.output.shape[1:]), np.float32)
    return np.concatenate([run(pixels[i:i + batch]).numpy() for i in range(0, len(pixels), batch)])


def training_features(front, pixels, y, augment, copies=COPIES, run=None):
    """Features of the photos and of `copies` augmented copies of each, with their labels
    (run: a runner of front to use for the photos themselves)."""
    feats = [features(front, pixels, run=run)]
    if augment is not None and copies:
        run = runner(front, augment)
        feats += [features(front, pixels, run=run) for _ in range(copies)]
    return np.concatenate(feats), np.tile(np.asarray(y), len(feats))
