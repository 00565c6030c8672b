"""The training configuration: one dataclass, a docstring per field; the CLI maps flags onto it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from storyteller.engine.limits import check_training
from storyteller.engine.presets import preset_named

DEFAULT_LR = {"adam": 1e-2, "sgd": 20.0, "asgd": 20.0}
"""Each optimiser's learning rate at the start. Adam's is large, and measured best on real prose
in CPU budgets of minutes (bench/README.md): the rate falls along the schedule and halves on a
plateau, so the last steps are small. SGD's is the textbook loop's (its steps are clipped)."""
DEFAULT_CLIP = {"adam": 1.0, "sgd": 0.25, "asgd": 0.25}
"""Each optimiser's gradient norm clipping (SGD's as the textbook loop and AWD-LSTM clip)."""
OPTIMIZERS = ("auto", *DEFAULT_LR)
PRECISIONS = ("auto", "fp32", "bf16")
DEFAULT_CHANGE_PENALTY = 1.0
"""The change penalty's weight for a text that holds text out (see ``TrainConfig.change_penalty``)."""
DEFAULT_COUNTS_SHARE = 0.15
"""The counts' share in the training loss of a run of many passes (see ``counts_share_for``):
about the share the export fits for them on 50,000 words of real prose."""
DEFAULT_RARE_AS_UNKNOWN = 0.5
"""The share of the rarest kept words' occurrences read as ``<unk>`` each pass where the
vocabulary is cut (see ``TrainConfig.rare_as_unknown``)."""
ASGD_FROM_PASSES = 4.0
"""With 'auto', a run expected to read its text this many times or more takes averaged SGD;
a shorter one, Adam. Measured on real prose (bench/README.md): Adam learns more in one or two
passes, averaged SGD keeps improving over many and ends lower."""
ADAPTIVE_FROM = 10_000
"""With 'auto', vocabularies this large get the adaptive softmax."""
DEFAULT_SEQ_LEN = 32
"""Tokens a stateful piece reads before back-propagating, when none is given."""
MAX_CHECKPOINT_BYTES = 64 * 2**30
"""Larger than the largest model the limits allow, with its optimiser state and best copy."""


def counts_share_for(passes: float) -> float:
    """The counts' share in the training loss for a run of about ``passes`` over its text (see
    ``TrainConfig.counts_share``). Measured on real prose (bench/README.md), the mix read 0.5%
    lower after 10 passes and 0.7% lower after 12, level after 2 and 1.6% higher after half of
    one: only a run of many passes has it."""
    return DEFAULT_COUNTS_SHARE if passes >= ASGD_FROM_PASSES else 0.0


class TrainingError(Exception):
    """Training cannot start or go on; the message is one sentence for the user."""


@dataclass
class TrainConfig:
    """Everything that decides what a training run does."""

    name: str = ""
    """The model's display name (default: the corpus's name)."""
    layers: int = 1
    """Stacked LSTM layers (one learns fastest in the minutes a CPU run has: see bench/README.md)."""
    units: int = 256
    """Hidden units per LSTM layer."""
    embedding: int | None = None
    """Word embedding size (default: the number of units, which allows weight tying)."""
    tie_weights: bool = True
    """Share the embedding with the output layer when their sizes agree (fewer weights, better fit)."""
    softmax: str = "auto"
    """'full' (score every word), 'adaptive' (frequent words in full, rare ones in clusters: several
    times faster with a large vocabulary) or 'auto' (adaptive from 10,000 words on)."""
    dropout: float | None = None
    """Dropout on the LSTM's input and output (one mask per sequence) and between layers,
    during training only (None: sized to the run's expected number of epochs, from 0.1 for
    one pass to 0.5 from 20 on; with a time budget, estimated after the first steps)."""
    weight_drop: float = 0.0
    """Dropout on the LSTM's recurrent weights, drawn afresh every step, during training only."""
    word_drop: float = 0.0
    """Share of the vocabulary's words whose embedding is dropped whole for a step, wherever they
    occur in it, during training only (Merity et al.'s embedding dropout)."""
    change_penalty: float | None = None
    """Weight of the mean square of the LSTM's output's change from one word to the next, added to
    the stateful loss during training only (Merity et al.'s temporal activation regularisation;
    measured on real prose in bench/README.md). None: 1, or 0 for a text too small to hold any
    out, which can only be learnt by heart."""
    counts_share: float | None = None
    """The share α of the training text's counts in the stream objective: the network is trained
    as the mix ``(1 - α) p_net + α p_counts`` that the app reads, each word's counts leaving that
    word out (``training.counts``), so it learns most where the counts are weak. The export fits
    its own α on held-out text. None: sized to the run's passes, as 'auto''s optimiser is (see
    ``counts_share_for``): 0.15 from 4 passes on, else 0; and 0 for a text too small to hold any
    out, which can only be learnt by heart, or longer than the corpus index holds (8,000,000
    tokens)."""
    rare_as_unknown: float | None = None
    """The share of the rarest kept words' occurrences that each pass reads as ``<unk>``, drawn
    afresh every pass, during training only. The rarest are those the training text has as few
    times as any: ``min_count`` times, unless ``max_vocab`` cut rarer words. A new text's
    ``<unk>`` are the words the training text had fewer than ``min_count`` times or never, so it
    meets ``<unk>`` more often than the training text shows (on the fortunes, 17.9% of held-out
    words against 10% of training words): read this way, the rarest words stand in for those
    the training text lacks, in the contexts where such words come (on 50,000 words at 60 s, the
    mix as the app reads it ended about 1.5% lower; bench/README.md). None: 0.5 where the
    vocabulary is cut (``min_count`` 2 or more), else 0 (every word kept, or a text too small to
    hold any out)."""
    window: int = 3
    """Words of context for the windowed objective and accuracy (the classic example used 3)."""
    seq_len: int | None = None
    """Truncated back-propagation length of the stateful objective, in tokens (None: 32; with no
    batch size given either, a text learnt by heart that fits in one judged piece is read whole,
    as one row: see ``training.setup.SetUp._read_text``)."""
    batch_size: int | None = None
    """Parallel token streams per step of the stateful objective (None: 32, or fewer for a text
    that 32 would read in under 140 steps a pass: 24 under about 143,000 training tokens, 16
    under 107,000, 12 under 72,000; see ``training.setup.auto_batch``)."""
    window_batch: int = 128
    """Fresh-state windows per step of the windowed objective (0: train the stateful objective only)."""
    epochs: int = 40
    """Passes over the training text, at most (early stopping may end sooner)."""
    time_budget: float | None = None
    """Stop after this many seconds of training, keeping the best model so far."""
    optimizer: str = "auto"
    """'adam'; 'sgd' (plain stochastic gradient descent, as the textbook loop); 'asgd': SGD
    whose weights are averaged from the first epoch that does not improve the held-out loss on
    (Merity et al.'s NT-ASGD), or from half the run if that comes first, the average being what
    is judged and kept; or 'auto': 'asgd' for a
    run expected to read its text at least 4 times, else 'adam' (with a time budget, decided
    after the first steps, as the dropout is; Adam whenever a learning rate or clipping is given,
    since their scale is the optimiser's)."""
    lr: float | None = None
    """The learning rate at the start (see ``schedule``; None: 0.01 for Adam, 20 for SGD); halved
    whenever an epoch does not improve the held-out loss (with 'asgd', until the averaging begins)."""
    schedule: str = "cosine"
    """'cosine': the learning rate falls along a half cosine to 5% by the run's end (its time
    budget, or its last epoch); 'constant': it stays. Either way it halves after an epoch that did
    not improve the held-out loss."""
    clip: float | None = None
    """Gradient norm clipping (None: 1 for Adam, 0.25 for SGD)."""
    patience: int = 3
    """Epochs without improvement before stopping early."""
    min_count: int | None = None
    """Words seen fewer times than this become <unk> (None: 1 for a text under 20,000 training
    tokens, else 2, so that the words seen once teach the model what an unknown word costs)."""
    max_vocab: int | None = 30_000
    """Largest vocabulary, specials included (None: no limit)."""
    lowercase: bool = True
    """Fold words to lower case."""
    holdout: float = 0.1
    """Share of the corpus held out (in contiguous chunks) for honest figures."""
    seed: int = 0
    """Seeds every random choice: same corpus, config and seed give the same model."""
    precision: str = "auto"
    """'fp32'; 'bf16': matrix products in bfloat16 under autocast, the weights kept in fp32 (a
    CPU without bf16 instructions only gets slower); or 'auto': 'bf16' on a CPU with AMX tiles,
    which multiply bfloat16 natively (measured there: 1.3-1.45 times the words a second and a
    held-out perplexity level or better, bench/README.md), else 'fp32' (on GPUs bf16 is
    unmeasured). The figures and the exported model are fp32 either way."""
    device: str = "auto"
    """'auto' (a GPU when there is one), 'cpu' or 'cuda'."""
    threads: int | None = None
    """CPU threads for torch (None: torch's default, all cores)."""

    def check(self) -> None:
        """Raise ``ValueError`` with one sentence naming the first setting out of range."""
        positive = ("layers", "units", "window", "seq_len", "batch_size", "epochs")
        for name in positive:
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be at least 1")
        if self.window_batch < 0:
            raise ValueError("window batch must be at least 0")
        if self.embedding is not None and self.embedding < 1:
            raise ValueError("embedding size must be at least 1")
        if self.dropout is not None and not 0 <= self.dropout < 1:
            raise ValueError("dropout must be at least 0 and below 1")
        if not 0 <= self.weight_drop < 1:
            raise ValueError("weight drop must be at least 0 and below 1")
        if not 0 <= self.word_drop < 1:
            raise ValueError("word drop must be at least 0 and below 1")
        if self.change_penalty is not None and not 0 <= self.change_penalty <= 100:
            raise ValueError("the change penalty must be at least 0 and at most 100")
        if self.counts_share is not None and not 0 <= self.counts_share < 1:
            raise ValueError("the counts' share must be at least 0 and below 1")
        if self.rare_as_unknown is not None and not 0 <= self.rare_as_unknown <= 1:
            raise ValueError("the rare words' share read as <unk> must be at least 0 and at most 1")
        if not 0 <= self.holdout < 0.5:
            raise ValueError("the held-out share must be at least 0 and below 0.5")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError("optimizer must be auto, adam, sgd or asgd")
        if self.lr is not None and not self.lr > 0:
            raise ValueError("the learning rate must be above 0")
        if self.clip is not None and not self.clip > 0:
            raise ValueError("the gradient clipping must be above 0")
        if self.time_budget is not None and not self.time_budget > 0:
            raise ValueError("the time budget must be above 0 seconds")
        if self.min_count is not None and self.min_count < 1:
            raise ValueError("min count must be at least 1")
        if self.max_vocab is not None and self.max_vocab < 3:
            raise ValueError("the vocabulary must allow at least 3 entries")
        if self.softmax not in ("auto", "full", "adaptive"):
            raise ValueError("softmax must be auto, full or adaptive")
        if self.schedule not in ("cosine", "constant"):
            raise ValueError("schedule must be cosine or constant")
        if self.precision not in PRECISIONS:
            raise ValueError("precision must be auto, fp32 or bf16")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError("device must be auto, cpu or cuda")
        check_training(self)  # the sizes a model may have: the loader refuses the same

    def start_rate(self) -> float:
        """The learning rate at the start: the one given, or the optimiser's own ('auto' runs
        as Adam until it has chosen)."""
        return DEFAULT_LR.get(self.optimizer, DEFAULT_LR["adam"]) if self.lr is None else self.lr

    def clip_norm(self) -> float:
        """The largest gradient norm a step takes: the one given, or the optimiser's own."""
        return DEFAULT_CLIP.get(self.optimizer, DEFAULT_CLIP["adam"]) if self.clip is None else self.clip

    def optimizer_for(self, passes: float) -> str:
        """The optimiser 'auto' stands for in a run expected to read its text ``passes`` times
        (any other choice stands for itself)."""
        if self.optimizer != "auto":
            return self.optimizer
        rates_given = self.lr is not None or self.clip is not None
        return "asgd" if passes >= ASGD_FROM_PASSES and not rates_given else "adam"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_preset(cls, preset: str | None, **given: Any) -> TrainConfig:
        """The defaults, then the preset's network (``engine/presets.py``), then the settings given,
        which win over both; a setting given as None is not given. An unknown preset is a
        ``ValueError`` in one sentence listing the presets."""
        base = preset_named(preset).settings() if preset is not None else {}
        return cls(**{**base, **{name: value for name, value in given.items() if value is not None}})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
