"""The cached recipe's training loop: one traced step, whatever the batch size.

Keras' `fit` builds its train function on first use; for blocks 4-13 that took
5-7 s on 2 cores, before the first step. This loop traces one plain step
(forward, gradients, Adam update) in under 2 s, and each step runs faster.
Same loss, optimizer, learning-rate schedule, sample order per epoch and early
stopping rule as Keras' `fit` with EarlyStopping(restore_best_weights=True), the
cached recipe's loop before: with the same seed it gives the same weights, to
the bit (tests/test_train.py).
"""
import numpy as np


def train_step(model, optimizer, feature_shape):
    """A traced function (features, labels) -> (mean loss, correct count) that updates model."""
    import keras
    import tensorflow as tf
    weights = model.trainable_variables
    optimizer.build(weights)
    loss_of = keras.losses.SparseCategoricalCrossentropy()
    spec = (tf.TensorSpec((None, *feature_shape), tf.float32), tf.TensorSpec((None,), tf.int32))

    @tf.function(input_signature=spec)
    def step(x, y):
        with tf.GradientTape() as tape:
            p = model(x, training=True)
            loss = loss_of(y, p)
        optimizer.apply(tape.gradient(loss, weights), weights)
        hits = tf.equal(tf.argmax(p, axis=-1, output_type=tf.int32), y)
        return loss, tf.reduce_sum(tf.cast(hits, tf.int32))
    return step


def epoch_orders(n, seed):
    """Each epoch's sample order: that of Keras' fit on a tf.data dataset shuffled
    with this seed (reshuffle_each_iteration), which makes two iterators per epoch
    (the second unused): so the same seed gives the same weights as the previous fit."""
    import tensorflow as tf
    shuffled = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True)
    while True:
        order = np.fromiter(shuffled.as_numpy_iterator(), np.int64, n)
        iter(shuffled)
        yield order


class EarlyStopping:
    """Stop once val_loss has not improved for `patience` epochs; keep the best weights."""

    def __init__(self, weights, patience):
        self.weights, self.patience = weights, patience
        self.best, self.best_epoch, self.saved, self.wait = np.inf, None, None, 0

    def should_stop(self, epoch, val_loss):
        if self.saved is None:
            self.saved, self.best_epoch = [w.numpy() for w in self.weights], epoch
        self.wait += 1
        if val_loss < self.best:
            self.best, self.best_epoch, self.wait = val_loss, epoch, 0
            self.saved = [w.numpy() for w in self.weights]
            return False
        return self.wait >= self.patience and epoch > 0

    def restore(self):
        if self.saved is not None:
            for w, v in zip(self.weights, self.saved):
                w.assign(v)


def run_epochs(model, x, y, cfg, validation, callbacks=()):
    """Train model on features x, labels y; returns the per-epoch history dict.

    validation: a callback adding val_loss and val_accuracy to the logs (fit.validation_callback);
    callbacks: Keras callbacks, told of the start, each epoch's logs and the end.
    """
    import keras
    batch = cfg.batch_size
    steps = cfg.epochs * -(-len(x) // batch)
    # Cosine decay to zero, as in fit: the last epochs take small steps.
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(cfg.learning_rate, steps))
    step = train_step(model, optimizer, x.shape[1:])
    y = np.asarray(y, np.int32)
    orders = epoch_orders(len(x), cfg.seed)
    stopping = EarlyStopping(model.trainable_variables, cfg.patience) if cfg.patience else None
    history = {}
    for cb in callbacks:
        cb.on_train_begin()
    for epoch in range(cfg.epochs):
        order = next(orders)
        loss_sum, hits = 0.0, 0
        for i in range(0, len(x), batch):
            pick = order[i:i + batch]
            loss, n = step(x[pick], y[pick])
            loss_sum += float(loss) * len(pick)
            hits += int(n)
        logs = {"accuracy": hits / len(x), "loss": loss_sum / len(x)}
        validation.on_epoch_end(epoch, logs)
        for k, v in logs.items():
            history.setdefault(k, []).append(float(v))
        stop = stopping is not None and "val_loss" in logs and stopping.should_stop(epoch, logs["val_loss"])
        for cb in callbacks:
            cb.on_epoch_end(epoch, logs)
        if stop:
            break
    if stopping is not None:
        stopping.restore()
        if stopping.best_epoch is not None:
            history["best_epoch"] = stopping.best_epoch + 1
    for cb in callbacks:
        cb.on_train_end()
    return history
