"""``python -m training``: train a model from a text file or folder."""

import contextlib
import os
import sys

from .cli import main

status = main()
# Everything is written (or, abandoned, nothing is left to keep), so leave at once: tearing torch
# down took most of a second more, which the app's Esc promises under and a finished run would
# spend idle after its model is written.
for stream in (sys.stdout, sys.stderr):
    with contextlib.suppress(OSError):  # its reader has gone: nothing more can reach it
        stream.flush()
os._exit(status)
