"""``python -m storyteller``: the same as the ``storyteller`` command."""

import sys

from .cli import main

sys.exit(main())
