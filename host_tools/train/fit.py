"""Fitting the Keras model: the `cached` recipe (early blocks frozen, their features
computed once) or the `full` one (the whole network on augmented batches), with
early stopping on the held-out loss. See docs/training.md, "The recipe".
"""
import time

import numpy as np

from ..progress import EpochProgress, note
from .loop import run_epochs


def augmentation(seed):
    import keras
    from keras import layers
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomRotation(0.05, fill_mode="reflect", seed=seed + 1),
        layers.RandomZoom(0.1, fill_mode="reflect", seed=seed + 2),
    ], name="augmentation")


def freeze_batchnorm(model):
    """BatchNorm in inference mode: its statistics and scale stay as pretrained."""
    from keras import layers
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False


def fit(model, data, cfg, log_epochs=True):
    """Fine-tune model in place on data.train; returns (history dict, the float
    model's held-out probabilities with its final weights).

    recipe "cached" (default): blocks 1-3 frozen, their features for each photo and
    COPIES augmented copies computed once (host_tools.train.cached); an epoch is one
    pass over those, in a plain training loop (host_tools.train.loop). recipe "full"
    (the previous one): Keras' fit on the whole network, augmented batches made
    each epoch. Both stop once the held-out loss has not improved for
    `patience` epochs and keep the weights of the best epoch (patience None: never).
    """
    import keras
    from .cached import split

    if cfg.init != "none":
        freeze_batchnorm(model)
    else:  # from scratch: BatchNorm learns its statistics, fast enough for a short run
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = 0.9
    parts = split(model) if cfg.recipe == "cached" else None
    if parts:
        return _fit_cached(*parts, data, cfg, log_epochs)
    return _fit_full(model, data, cfg, log_epochs)


def _fit_cached(front, trainer, data, cfg, log_epochs):
    """Features of the frozen blocks once, then the plain loop (host_tools.train.loop)."""
    from .cached import features, runner, training_features
    t = time.monotonic()
    front.trainable = False
    plain = runner(front)  # traced once, for the training and the held-out photos
    x, y = training_features(front, data.train.pixels, data.train.y,
                             augmentation(cfg.seed) if cfg.augment else None, cfg.copies if cfg.augment else 0,
                             run=plain)
    validation = validation_callback(trainer, features(front, data.val.pixels, run=plain), data.val.y)
    note(f"train: frozen blocks' features of {len(x)} training images (with augmented copies) and "
         f"{len(data.val)} validation images in {time.monotonic() - t:.1f} s")
    history = run_epochs(trainer, x, y, cfg, validation, _callbacks(cfg, log_epochs))
    return history, validation.probabilities()


def _fit_full(model, data, cfg, log_epochs):
    """The previous recipe: Keras' fit on the whole network, augmented batches each epoch."""
    import keras
    import tensorflow as tf
    inputs = keras.Input(model.input_shape[1:], name="pixels")
    aug = augmentation(cfg.seed)(inputs) if cfg.augment else inputs
    trainer = keras.Model(inputs, model(aug), name="trainer")
    x, y = data.train.pixels, data.train.y
    steps = cfg.epochs * -(-len(x) // cfg.batch_size)
    # Cosine decay to zero: the last epochs take small steps, so the final weights
    # are settled (a constant rate let the loss jump late in a run).
    rate = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, steps)
    trainer.compile(optimizer=keras.optimizers.Adam(rate), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"], jit_compile=False)

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=cfg.seed, reshuffle_each_iteration=True)
    ds = ds.batch(cfg.batch_size).map(lambda a, b: (tf.cast(a, tf.float32), b)).prefetch(2)
    validation = validation_callback(model, data.val.pixels, data.val.y)
    callbacks = [validation]
    stopping = cfg.patience is not None and len(data.val)
    if stopping:
        callbacks.append(keras.callbacks.EarlyStopping("val_loss", patience=cfg.patience,
                                                       restore_best_weights=True))
    callbacks += _callbacks(cfg, log_epochs)
    history = trainer.fit(ds, epochs=cfg.epochs, verbose=0, shuffle=False, callbacks=callbacks)
    out = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    if stopping:
        out["best_epoch"] = int(np.argmin(out["val_loss"])) + 1
    return out, validation.probabilities()


def _callbacks(cfg, log_epochs):
    """Progress on the terminal, and the studio's per-epoch events file if asked for."""
    out = [EpochProgress(cfg.epochs, "train").callback] if log_epochs else []
    if cfg.events:
        out.append(epoch_events(cfg.events, cfg.epochs))
    return out


def validation_callback(model, x, y, batch=64):
    """Adds val_loss and val_accuracy to each epoch's logs (float model, held-out images:
    x their pixels, or their cached features for a model that takes those).

    One traced forward function: cheaper than Keras' own validation loop,
    whose tracing alone costs seconds on a 2-core machine.
    """
    import keras
    import tensorflow as tf

    spec = tf.TensorSpec((None, *np.shape(x)[1:]), tf.float32)  # one trace for any batch size
    forward = tf.function(lambda x: model(x, training=False), input_signature=[spec])

    class _Validation(keras.callbacks.Callback):
        def probabilities(self):
            """The model's outputs for the held-out images now (no new tracing)."""
            if not len(y):
                return np.zeros((0, model.output_shape[-1]), np.float32)
            return np.concatenate([forward(tf.cast(x[i:i + batch], tf.float32)).numpy()
                                   for i in range(0, len(y), batch)])

        def on_epoch_end(self, epoch, logs=None):
            if logs is None or not len(y):
                return
            probs = self.probabilities()
            picked = np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)
            logs["val_loss"] = float(-np.mean(np.log(picked)))
            logs["val_accuracy"] = float(np.mean(probs.argmax(1) == y))

    return _Validation()


def epoch_events(path, epochs):
    """Appends {"epoch", "epochs", <metric>: value} as one JSON line per finished epoch."""
    import json
    import keras

    class _Events(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1, "epochs": epochs, **{k: float(v) for k, v in (logs or {}).items()}}
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")

    return _Events()
