"""``python -m training``: train a model from a text file or folder."""

import os
import sys

from .cli import main
from .stopping import ABANDONED

status = main()
if status == ABANDONED:
    # Given up: nothing was written and nothing is left to keep, so leave at once. Tearing
    # down torch would take most of a second more, and the app's Esc promises under one.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
sys.exit(status)
