import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from host_tools import DEFAULT_BLOB  # noqa: E402

DATASET = os.path.join(ROOT, "..", "shared", "datasets", "openmv-mice")


@pytest.fixture(scope="session")
def default_blob(tmp_path_factory):
    """The default person/no-person blob; built into a temp dir if `make model` has not run."""
    if os.path.exists(DEFAULT_BLOB):
        return DEFAULT_BLOB
    from host_tools.model.build import build_default
    return build_default(str(tmp_path_factory.mktemp("model") / "vww_96.blob"))


@pytest.fixture(scope="session")
def photos():
    """Paths of real photos shipped with scikit-image."""
    from host_tools.data.samples import CALIBRATION, sample_path
    return [sample_path(n) for n in CALIBRATION]


def run_cli(*argv):
    """Run `python -m host_tools ARGV` in a subprocess: (status, stdout, stderr)."""
    import subprocess
    r = subprocess.run([sys.executable, "-m", "host_tools", *argv], capture_output=True, text=True, cwd=ROOT)
    return r.returncode, r.stdout, r.stderr
