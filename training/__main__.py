"""``python -m training``: train a model from a text file or folder."""

import sys

from .cli import main

sys.exit(main())
