"""Full int8 TFLite conversion: int8 weights (per channel), int8 input and output.

The calibration set always includes one 0..255 ramp so that the input range is
exactly 0..255: input scale 1.0 and zero point -128, i.e. `pixel - 128`.
"""
import warnings

import numpy as np


def ramp(size, channels):
    """One calibration image that spans every pixel value 0..255."""
    values = np.arange(size * size * channels) % 256
    return values.reshape(1, size, size, channels).astype(np.float32)


def to_int8_tflite(model, calibration, per_channel=True):
    """Full-int8 .tflite bytes; the converter's own log lines show only if it fails."""
    import sys

    from ..quiet import captured_fds
    text = []
    try:
        with captured_fds() as text:
            return _convert(model, calibration, per_channel)
    except Exception:
        sys.stderr.write("".join(text))
        raise


def _convert(model, calibration, per_channel):
    """Convert a Keras model to full-int8 .tflite bytes.

    calibration: uint8 array (N, H, W, C) of representative pixels.
    The model's forward pass is traced once with its weights frozen into the
    graph and handed to the converter directly: the same ops, scales and weights
    as exporting a SavedModel and converting that (compared on real photos),
    without writing and re-reading it, which took most of the conversion time.
    """
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    _, size, _, channels = model.input_shape

    def representative():
        yield [ramp(size, channels)]
        for image in calibration:
            yield [image[None].astype(np.float32)]

    # A fixed batch of one: no SHAPE/STRIDED_SLICE/PACK ops for a dynamic batch.
    spec = tf.TensorSpec([1, size, size, channels], tf.float32)
    forward = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    conv = tf.lite.TFLiteConverter.from_concrete_functions([convert_variables_to_constants_v2(forward)])
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    conv._experimental_disable_per_channel = not per_channel
    with warnings.catch_warnings():
        # From a graph, the converter asks for input statistics; calibration supplies them.
        warnings.filterwarnings("ignore", "Statistics for quantized inputs were expected")
        return conv.convert()
