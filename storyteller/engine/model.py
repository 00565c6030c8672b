"""Loading a self-describing storyteller ONNX model and running one step of its network.

A model file is data from a stranger: it is read as bytes (so it cannot pull in external
weight files), its metadata is parsed as JSON with bounded sizes, and its graph is checked
against what the metadata claims before anything else trusts it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from ..errors import StorytellerError
from .card_upgrades import FORMAT_VERSION, upgrade_card
from .files import FileProblem, TooDeep, check_depth, loads_json, read_untrusted
from .limits import MAX_LAYERS, MAX_UNITS, MAX_VOCABULARY, MAX_WINDOW
from .tokenizer import TokenizerConfig
from .upgrades import NewerVersion, NoVersion
from .vocab import SPECIALS, Vocabulary

FORMAT = "storyteller-lstm"
METADATA_KEY = "storyteller"
INPUTS = ("input_ids", "h0", "c0")
OUTPUTS = ("logits", "hn", "cn")

MAX_FILE_BYTES = 2**31 - 1  # protobuf's own limit for one message
MAX_METADATA_CHARS = 64 * 2**20
"""A card larger than this is refused before it is parsed (a million-word vocabulary fits)."""

State = tuple[np.ndarray, np.ndarray]


class ModelError(StorytellerError):
    """A model file that cannot be used, with the reason in one sentence."""


@dataclass(frozen=True)
class ModelCard:
    """What a model file says about itself (its ONNX metadata)."""

    name: str
    """A short display name."""
    vocabulary: Vocabulary
    """Every token the model knows, by id."""
    tokenizer: TokenizerConfig
    """How text was tokenised for training; inference must do the same."""
    layers: int
    """Stacked LSTM layers."""
    units: int
    """Hidden units per LSTM layer."""
    window: int
    """Words of context the model was trained to predict from (the default windowed mode)."""
    training: dict[str, Any] = field(default_factory=dict)
    """The training configuration, as given."""
    corpus: dict[str, Any] = field(default_factory=dict)
    """Where the model learnt: sha256, words, files."""
    metrics: dict[str, Any] = field(default_factory=dict)
    """Held-out figures of the model and of the unigram/bigram baselines."""
    created: str = ""
    """ISO 8601 time of export."""
    version: str = ""
    """The storyteller version that exported it."""
    cache: dict[str, Any] = field(default_factory=dict)
    """The story's memory as fitted at export: weight, scale and the grid searched (optional:
    older models have none and get the defaults)."""

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "name": self.name,
                "vocabulary": list(self.vocabulary.tokens),
                "tokenizer": self.tokenizer.to_dict(),
                "network": {"layers": self.layers, "units": self.units},
                "window": self.window,
                "training": self.training,
                "corpus": self.corpus,
                "metrics": self.metrics,
                "created": self.created,
                "storyteller_version": self.version,
                **({"cache": self.cache} if self.cache else {}),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        """Parse and check metadata; raises ``ValueError`` naming the first thing wrong."""
        try:
            data = loads_json(text)
        except TooDeep:
            raise ValueError("its metadata is nested too deeply") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"its metadata is not valid JSON ({error.msg})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("its metadata does not describe a storyteller model")
        try:
            data = upgrade_card(data)
        except NoVersion:
            raise ValueError("its metadata has no format version") from None
        except NewerVersion as newer:
            raise ValueError(
                f"it was made by a newer storyteller (format {newer.version}; "
                f"this version reads format {newer.current})"
            ) from None
        tokens = data.get("vocabulary")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError("its metadata has no vocabulary list")
        if not len(SPECIALS) < len(tokens) <= MAX_VOCABULARY:
            raise ValueError(f"its vocabulary size {len(tokens)} is out of range")
        try:
            vocabulary = Vocabulary(tokens)
            tokenizer = TokenizerConfig.from_dict(_dict(data, "tokenizer"))
        except ValueError as error:
            raise ValueError(f"its metadata is inconsistent ({error})") from None
        network = _dict(data, "network")
        layers = _bounded_int(network.get("layers"), "layers", MAX_LAYERS)
        units = _bounded_int(network.get("units"), "units", MAX_UNITS)
        window = _bounded_int(data.get("window"), "window", MAX_WINDOW)
        return cls(
            name=str(data.get("name", "")),
            vocabulary=vocabulary,
            tokenizer=tokenizer,
            layers=layers,
            units=units,
            window=window,
            training=_dict(data, "training"),
            corpus=_dict(data, "corpus"),
            metrics=_dict(data, "metrics"),
            created=str(data.get("created", "")),
            version=str(data.get("storyteller_version", "")),
            cache=_dict(data, "cache"),
        )


def _dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"its metadata field '{key}' is not a mapping")
    try:
        check_depth(value)  # kept, shown and written again: it must not nest without a bound
    except TooDeep:
        raise ValueError(f"its metadata field '{key}' is nested too deeply") from None
    return value


def _bounded_int(value: object, what: str, limit: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
        raise ValueError(f"its metadata gives an invalid number of {what} ({value!r})")
    return value


class Model:
    """A loaded model: its card and the onnxruntime session that runs its network."""

    def __init__(
        self, session: ort.InferenceSession, card: ModelCard, path: Path | None = None, sha256: str = ""
    ):
        self.session = session
        self.card = card
        self.path = path
        self.sha256 = sha256
        """Hash of the model file's bytes ('' for an injected session): stories record it."""

    @property
    def name(self) -> str:
        """The name the writer knows it by: its file's (what ``--model`` and the models screen
        use, and what a rename changes), else the name it was trained under."""
        return self.path.stem if self.path else (self.card.name or "model")

    @property
    def vocabulary(self) -> Vocabulary:
        return self.card.vocabulary

    def zero_state(self, batch: int = 1) -> State:
        shape = (self.card.layers, batch, self.card.units)
        return np.zeros(shape, np.float32), np.zeros(shape, np.float32)

    def run(self, ids: np.ndarray, state: State | None = None) -> tuple[np.ndarray, State]:
        """Feed ``ids`` [batch, seq] from ``state`` (zeros if None); return logits and the new state.

        Raises ``ModelError`` when the network fails or scores anything as NaN or infinite: the
        load-time probe reads one token, and a crafted model can hide bad scores behind others.
        """
        try:
            logits, state = self._run(ids, state)
        except Exception:  # onnxruntime raises several unrelated types
            raise ModelError(
                f"Model '{self.name}' failed to run on {np.size(ids):,} tokens of this text."
            ) from None
        # A float64 sum is NaN or infinite exactly when some score is (float32 scores cannot
        # overflow it), and costs far less than the network step that made them.
        if not math.isfinite(float(logits.sum(dtype=np.float64))):
            raise ModelError(
                f"Model '{self.name}' gave non-finite scores (NaN or infinity) for this text, "
                "so it cannot be used."
            )
        return logits, state

    def _run(self, ids: np.ndarray, state: State | None = None) -> tuple[np.ndarray, State]:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        h0, c0 = state if state is not None else self.zero_state(ids.shape[0])
        logits, hn, cn = self.session.run(OUTPUTS, {"input_ids": ids, "h0": h0, "c0": c0})
        return logits, (hn, cn)


def session_options() -> ort.SessionOptions:
    """One thread: a batch-1 step is latency-bound, and the UI needs the other core."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # fatal only: every error becomes our own sentence
    return options


def load(path: str | Path, session: ort.InferenceSession | None = None) -> Model:
    """Load and validate a model file; every problem becomes one ``ModelError`` sentence.

    ``session`` lets a caller (a test) supply the onnxruntime session; the file is then
    not read.
    """
    path = Path(path)
    shown = f"'{path}'"
    digest = ""
    if session is None:
        data = _read(path, shown)
        digest = hashlib.sha256(data).hexdigest()
        session = _open_session(data, shown)
    try:
        metadata = session.get_modelmeta().custom_metadata_map
    except Exception:  # onnxruntime raises several unrelated types
        raise ModelError(f"Model file {shown} has unreadable metadata.") from None
    if METADATA_KEY not in metadata:
        raise ModelError(f"{shown} is an ONNX model but not a storyteller model (no storyteller metadata).")
    if len(metadata[METADATA_KEY]) > MAX_METADATA_CHARS:
        raise ModelError(f"Model file {shown} cannot be used: its metadata is implausibly large.")
    try:
        card = ModelCard.from_json(metadata[METADATA_KEY])
    except ValueError as error:
        raise ModelError(f"Model file {shown} cannot be used: {error}.") from None
    _check_graph(session, card, shown)
    return Model(session, card, path, digest)


def _read(path: Path, shown: str) -> bytes:
    try:
        data = read_untrusted(path, MAX_FILE_BYTES, "Model file")
    except FileProblem as error:
        raise ModelError(str(error)) from None
    if not data:
        raise ModelError(f"Model file {shown} is empty.")
    return data


def open_session(data: bytes) -> ort.InferenceSession:
    """An onnxruntime session for a model's bytes: the one way storyteller opens a graph (from
    bytes, a graph that points at external weight files cannot open them)."""
    return ort.InferenceSession(data, session_options(), providers=["CPUExecutionProvider"])


def _open_session(data: bytes, shown: str) -> ort.InferenceSession:
    try:
        return open_session(data)
    except Exception as error:  # onnxruntime raises several unrelated types
        if "external" in str(error).lower():
            raise ModelError(
                f"Model file {shown} keeps its weights in external files, which storyteller never loads."
            ) from None
        raise ModelError(
            f"Model file {shown} is not a readable ONNX model (truncated, corrupt or not ONNX)."
        ) from None


def _check_graph(session: ort.InferenceSession, card: ModelCard, shown: str) -> None:
    """Check the graph's signature, then run it to prove it matches the card: one step of every
    word the card lists (see ``_probe``), so that no word hides non-finite scores."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if set(inputs) != set(INPUTS) or not set(OUTPUTS) <= set(outputs):
        raise ModelError(
            f"Model file {shown} has inputs {sorted(inputs)} and outputs {sorted(outputs)}; "
            f"a storyteller model has {list(INPUTS)} and {list(OUTPUTS)}."
        )
    if inputs["input_ids"].type != "tensor(int64)" or any(
        inputs[name].type != "tensor(float)" for name in ("h0", "c0")
    ):
        raise ModelError(f"Model file {shown} has inputs of the wrong types.")
    model = Model(session, card)
    try:
        logits, (hn, cn) = model._run(np.full((2, 3), 1, np.int64))
    except Exception:  # onnxruntime raises several unrelated types
        raise ModelError(
            f"Model file {shown} fails to run with the {card.layers}×{card.units} network "
            "its metadata describes."
        ) from None
    vocab = len(card.vocabulary)
    if logits.shape != (2, 3, vocab):
        raise ModelError(
            f"Model file {shown}'s metadata lists {vocab:,} words but its network "
            f"scores {logits.shape[-1]:,}."
        )
    if hn.shape != (card.layers, 2, card.units) or cn.shape != hn.shape:
        raise ModelError(f"Model file {shown}'s state shape disagrees with its metadata.")
    if not math.isfinite(float(np.abs(logits).max())) or not _probe(model, vocab):
        raise ModelError(f"Model file {shown} produces non-finite scores.")


PROBE_SCORES = 1 << 22
"""Scores one probing call may return (16 MB): the words are probed in chunks this size."""
PROBED_SCORES = 1 << 26
"""Scores the whole probe may return: every word of a vocabulary up to 8,192 words is probed;
a larger one has this many scores' worth of words probed, spread over it (the run-time checks
still catch the rest, in one sentence)."""


def _probe(model: Model, vocab: int) -> bool:
    """Whether every word probed, each one step from a fresh state, gives finite scores."""
    ids = np.arange(vocab, dtype=np.int64)
    if vocab * vocab > PROBED_SCORES:
        ids = np.unique(np.linspace(0, vocab - 1, PROBED_SCORES // vocab).astype(np.int64))
    chunk = max(1, PROBE_SCORES // vocab)
    for start in range(0, len(ids), chunk):
        try:
            logits, _ = model._run(ids[start : start + chunk, None])
        except Exception:  # onnxruntime raises several unrelated types
            return False
        if not np.isfinite(logits).all():
            return False
    return True
