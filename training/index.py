"""The corpus index a run leaves beside its model (``--no-index`` leaves it out).

The index is built by the engine (numpy only); this is the trainer's part: when, where, and
what the run says about it.
"""

from __future__ import annotations

import time
from pathlib import Path

from storyteller.engine.corpus import Corpus
from storyteller.engine.corpus_index import index_path
from storyteller.engine.index_build import build_index
from storyteller.engine.tokenizer import TokenizerConfig
from storyteller.errors import StorytellerError


def write_index(corpus: Corpus, tokenizer: TokenizerConfig, root: Path, model: Path) -> str:
    """Index ``corpus`` beside ``model``; returns one line saying what was written."""
    began = time.perf_counter()
    index = build_index(corpus, tokenizer, root)
    out = index_path(model)
    try:
        index.save(out)
    except OSError as error:
        raise StorytellerError(
            f"The model was written, but its corpus index could not be ({out}: {error.strerror})."
        ) from None
    held = "" if index.total == index.tokens else f" (the first {index.tokens:,} of {index.total:,})"
    return (
        f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB; {index.tokens:,} tokens{held}; "
        f"{time.perf_counter() - began:.1f} s)"
    )


def drop_index(model: Path) -> None:
    """``--no-index``: an index left beside ``model`` by an earlier run would describe another model."""
    index_path(model).unlink(missing_ok=True)
