"""Checkpoints: written atomically after an epoch, read back without unpickling anything but
tensors and plain data, and checked whole before a resumed run uses any of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from storyteller.engine.corpus import Corpus
from storyteller.engine.files import FileProblem, check_untrusted, write_atomically
from storyteller.engine.vocab import Vocabulary

from .config import MAX_CHECKPOINT_BYTES, TrainConfig, TrainingError
from .network import LanguageModel

CHECKPOINT_FORMAT = "storyteller-checkpoint"
CHECKPOINT_VERSION = 1


def save_checkpoint(
    path: Path,
    model: LanguageModel,
    optimizer: torch.optim.Optimizer,
    vocabulary: Vocabulary,
    config: TrainConfig,
    corpus: Corpus,
    epoch: int,
    best_loss: float,
    bad_epochs: int,
    best_state: dict[str, torch.Tensor] | None,
    slowdown: float = 1.0,
    average: dict[str, torch.Tensor] | None = None,
    averaged: int = 0,
) -> str | None:
    """State dicts and plain data only (loadable with ``weights_only=True``), written atomically.

    A disk that refuses the checkpoint (full, gone, read-only) costs the checkpoint, not the run:
    the temporary file goes, the last good checkpoint stays, and one sentence is printed on stderr
    and returned.
    """
    import sys

    from storyteller.text import visible

    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": config.to_dict(),
        "vocabulary": list(vocabulary.tokens),
        "corpus_sha256": corpus.sha256,
        "epoch": epoch,
        "best_loss": best_loss,
        "bad_epochs": bad_epochs,
        "slowdown": slowdown,
        "model": model.state_dict(),
        "best_model": best_state,
        "optimizer": optimizer.state_dict(),
        "average": average,
        "averaged": averaged,
    }
    try:
        write_atomically(lambda file: torch.save(payload, file), path)
    except (OSError, RuntimeError) as error:  # torch reports a failed write as a RuntimeError
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "the write failed"
        problem = (
            f"The checkpoint after epoch {epoch} could not be saved to '{path}' ({reason}); training goes on."
        )
        print(f"storyteller: warning: {visible(problem)}", file=sys.stderr)
        return problem
    return None


def load_checkpoint(path: Path, corpus: Corpus) -> dict[str, Any]:
    """Read a checkpoint without unpickling anything but tensors and plain data, and check all of
    it (types, keys, every tensor's shape against the network its configuration describes) before
    any of it is used: an edited checkpoint is one sentence, never a traceback mid-run."""
    import warnings

    shown = f"Checkpoint '{path}'"
    try:  # a named pipe would block torch.load forever
        check_untrusted(path, MAX_CHECKPOINT_BYTES, "Checkpoint")
    except FileProblem as error:
        raise TrainingError(str(error)) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a refused pickle is our sentence, not torch's warning
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise TrainingError(f"{shown} does not exist.") from None
    except Exception:
        raise TrainingError(f"{shown} is not a readable storyteller checkpoint.") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise TrainingError(f"'{path}' is not a storyteller checkpoint.")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise TrainingError(
            f"{shown} has format version {str(payload.get('version'))[:20]}, not {CHECKPOINT_VERSION}."
        )
    if payload.get("corpus_sha256") != corpus.sha256:
        raise TrainingError(f"{shown} was made from a different corpus.")
    try:
        _check_checkpoint(payload)
    except (ValueError, TypeError, KeyError) as error:
        raise TrainingError(f"{shown} has been altered or is damaged: {error}.") from None
    return payload


def _check_checkpoint(payload: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the first part of a checkpoint that is not what it should be."""
    from storyteller.engine.limits import check_training

    if not isinstance(payload.get("config"), dict):
        raise ValueError("its configuration is missing")
    config = TrainConfig.from_dict(payload["config"])
    check_training(config)
    config.check()
    tokens = payload.get("vocabulary")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise ValueError("its vocabulary is not a list of words")
    vocabulary = Vocabulary(tokens)
    for key in ("epoch", "bad_epochs", "averaged"):
        value = payload.get(key, 0)  # no 'averaged': a checkpoint from before 'asgd'
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"its '{key}' is not a count")
    if not isinstance(payload.get("best_loss"), int | float) or isinstance(payload["best_loss"], bool):
        raise ValueError("its 'best_loss' is not a number")
    with torch.device("meta"):  # shapes only: nothing is allocated, whatever the sizes claim
        network = LanguageModel(len(vocabulary), config)
    expected = {name: tuple(t.shape) for name, t in network.state_dict().items()}
    for key in ("model", "best_model", "average"):
        state = payload.get(key)
        if state is None and key != "model":
            continue
        if not isinstance(state, dict):
            raise ValueError(f"its '{key}' weights are missing")
        shapes = {name: tuple(t.shape) for name, t in state.items() if isinstance(t, torch.Tensor)}
        if len(shapes) != len(state) or shapes != expected:
            raise ValueError(f"its '{key}' weights do not fit the network its configuration describes")
    optimizer = payload.get("optimizer")
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("param_groups"), list):
        raise ValueError("its optimiser state is missing")
    parameters = [tuple(p.shape) for p in network.parameters()]
    listed = [
        i for group in optimizer["param_groups"] if isinstance(group, dict) for i in group.get("params", [])
    ]
    if len(listed) != len(parameters) or not isinstance(optimizer.get("state"), dict):
        raise ValueError("its optimiser state does not fit the network")
    for index, entry in optimizer["state"].items():
        if index not in listed or not isinstance(entry, dict):
            raise ValueError("its optimiser state does not fit the network")
        for name, value in entry.items():
            if not isinstance(value, torch.Tensor):
                raise ValueError("its optimiser state holds something other than tensors")
            if name != "step" and tuple(value.shape) != parameters[listed.index(index)]:
                raise ValueError("its optimiser state does not fit the network")
