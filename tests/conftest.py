import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # host_tools, tests.support
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from host_tools import DEFAULT_BLOB  # noqa: E402
from tests.support import DATASET  # noqa: E402


@pytest.fixture(scope="session")
def default_blob(tmp_path_factory):
    """The default person/no-person blob; built into a temp dir if `make model` has not run."""
    if os.path.exists(DEFAULT_BLOB):
        return DEFAULT_BLOB
    from host_tools.model.build import build_default
    return build_default(str(tmp_path_factory.mktemp("model") / "vww_96.blob"))


@pytest.fixture(scope="session")
def openmv_mice():
    """The openmv-mice photos (train/ and validation/, classes black and white), kept outside
    the repository. Every test that needs them takes this fixture: without them it fails
    (CI has them), with one line saying where they belong; it never skips."""
    missing = [d for d in ("train/black", "train/white", "validation/black", "validation/white")
               if not os.path.isdir(os.path.join(DATASET, d))]
    if missing:
        pytest.fail(f"the openmv-mice photo set is missing: {DATASET} needs {', '.join(missing)}/ "
                    "(one JPEG per file; CI has it)", pytrace=False)
    return DATASET


@pytest.fixture(scope="session")
def photos():
    """Paths of real photos shipped with scikit-image."""
    from host_tools.data.samples import CALIBRATION, sample_path
    return [sample_path(n) for n in CALIBRATION]
