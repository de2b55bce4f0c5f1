import sys

from .cli import main  # (importing host_tools quiets TensorFlow: host_tools/quiet.py)

sys.exit(main())
