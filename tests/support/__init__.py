"""What the tests share, imported one way everywhere:

    from tests.support import DATASET, ROOT, run_cli
    from tests.support.<module> import ...

conftest.py holds only fixtures (among them `mice`, the one way to reach the photo set
that lives outside the repository)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATASET = os.path.normpath(os.path.join(ROOT, "..", "shared", "datasets", "openmv-mice"))


def run_cli(*argv):
    """Run `python -m host_tools ARGV` in a subprocess: (status, stdout, stderr)."""
    r = subprocess.run([sys.executable, "-m", "host_tools", *argv], capture_output=True, text=True, cwd=ROOT)
    return r.returncode, r.stdout, r.stderr


def mice_photos(folder):
    """Every openmv-mice photo under folder (the `openmv_mice` fixture's), in a fixed order."""
    import glob
    return sorted(glob.glob(os.path.join(folder, "*", "*", "*.jpg")))
