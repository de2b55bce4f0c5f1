"""Host tools: build, quantize, pack, classify, emulate and deploy MobileNet models."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, ".cache")
MODELS = os.path.join(ROOT, "models")
DEFAULT_BLOB = os.path.join(MODELS, "vww_96.blob")

from .quiet import quiet_tensorflow  # noqa: E402

quiet_tensorflow()  # before anything imports TensorFlow: no C++ or oneDNN lines on any path


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit status 2."""
