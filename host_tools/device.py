"""Import the device modules (firmware/) on the host, unchanged."""
import os
import sys

from . import ROOT

FIRMWARE = os.path.join(ROOT, "firmware")
if FIRMWARE not in sys.path:
    sys.path.insert(0, FIRMWARE)

import blobfmt  # noqa: E402
