"""Export to one self-describing ONNX file, checked against torch, written atomically."""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import onnx
import torch

from storyteller import __version__
from storyteller.engine.corpus_index import MAX_INDEX_TOKENS
from storyteller.engine.counts import CorpusCounts
from storyteller.engine.files import write_atomically
from storyteller.engine.model import INPUTS, METADATA_KEY, OUTPUTS, ModelCard, open_session

from .mix_fit import fit_mix, unknown_scale
from .network import LanguageModel, OnnxSignature
from .train import TrainResult

OPSET = 17
"""The ONNX opset of every exported model."""

PARITY_TOLERANCE = 1e-4
"""Largest allowed difference between torch's and onnxruntime's log-probabilities."""

PARITY_CASES = ((1, 1), (1, 3), (1, 50), (4, 1), (4, 3), (4, 50))
"""(batch, sequence length) pairs the parity check runs."""

INT8_PERPLEXITY = 1.01
"""An int8 export's perplexity on the figures' text may be at most this many times fp32's ..."""

INT8_TOP1 = 0.005
"""... and its top-1 accuracy there at most this far below fp32's. How often the two pick the
same next word is recorded but not gated: near-ties flip under any rounding (the 1×256 default
agrees 98.6% of the time while its perplexity moves by 0.01), so agreement refuses models that
lose nothing and says nothing of the loss itself."""


class ExportError(Exception):
    """The export failed; nothing was written. The message is one sentence."""


def counts_of(result: TrainResult) -> CorpusCounts | None:
    """The counts of the training text the export weighs against the network (the first
    ``MAX_INDEX_TOKENS``, as the index beside the model holds at most)."""
    text = result.training_text[:MAX_INDEX_TOKENS]
    return CorpusCounts.of_ids(text, result.vocabulary) if len(text) else None


def card_for(result: TrainResult, name: str) -> ModelCard:
    return ModelCard(
        name=name,
        vocabulary=result.vocabulary,
        tokenizer=result.tokenizer,
        layers=result.config.layers,
        units=result.config.units,
        window=result.config.window,
        training={
            **result.config.to_dict(),
            "stopped": result.stopped,
            "epochs_run": round(result.epochs, 2),
            "seconds": round(result.seconds, 1),
        },
        corpus=result.corpus,
        metrics={"held_out": result.held_out, "model": result.metrics, **result.baselines},
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        version=__version__,
        # Fitted on held-out text only (the counts of the training text): without any, the defaults serve.
        cache=fit_mix(result.model, result.check_text, counts=counts_of(result)) if result.held_out else {},
    )


def to_onnx_bytes(model: LanguageModel, card: ModelCard) -> bytes:
    """The network as ONNX with named inputs/outputs, dynamic batch and sequence, and ``card`` inside."""
    model = model.cpu().eval()
    wrapper = OnnxSignature(model)
    ids = torch.zeros((1, 3), dtype=torch.long)
    h0, c0 = model.zero_state(1)
    batch_seq = {0: "batch", 1: "seq"}
    state_axes = {1: "batch"}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            wrapper,
            (ids, h0, c0),
            buffer,  # type: ignore[arg-type]  # the TorchScript exporter accepts a file object
            dynamo=False,  # the dynamo exporter fixes the LSTM's sequence axis to the example's
            opset_version=OPSET,
            input_names=list(INPUTS),
            output_names=list(OUTPUTS),
            dynamic_axes={
                "input_ids": batch_seq,
                "h0": state_axes,
                "c0": state_axes,
                "logits": batch_seq,
                "hn": state_axes,
                "cn": state_axes,
            },
        )
    proto = onnx.load_from_string(buffer.getvalue())
    del proto.metadata_props[:]
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, card.to_json()
    proto.producer_name = "storyteller"
    proto.producer_version = __version__
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def parity(model: LanguageModel, data: bytes, seed: int = 0) -> float:
    """Largest |log p_torch − log p_onnxruntime| over random sequences of several shapes."""
    session = open_session(data)
    model = model.cpu().eval()
    generator = np.random.default_rng(seed)
    vocab = model.embed.num_embeddings
    worst = 0.0
    for batch, length in PARITY_CASES:
        ids = generator.integers(0, vocab, (batch, length), dtype=np.int64)
        h0 = generator.standard_normal((model.layers, batch, model.units)).astype(np.float32) * 0.1
        c0 = generator.standard_normal((model.layers, batch, model.units)).astype(np.float32) * 0.1
        logits, hn, cn = session.run(OUTPUTS, {"input_ids": ids, "h0": h0, "c0": c0})
        with torch.no_grad():
            expected, (eh, ec) = model(torch.from_numpy(ids), (torch.from_numpy(h0), torch.from_numpy(c0)))
        got = torch.log_softmax(torch.from_numpy(logits), -1)
        want = torch.log_softmax(expected, -1)
        worst = max(
            worst,
            float((got - want).abs().max()),
            float(np.abs(hn - eh.numpy()).max()),
            float(np.abs(cn - ec.numpy()).max()),
        )
    return worst


def quantize(data: bytes) -> bytes:
    """Dynamic int8 quantisation of the weights (per output channel, 7 bits: without them the
    8-bit products can saturate on CPUs without VNNI), metadata kept."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder, "fp32.onnx"), Path(folder, "int8.onnx")
        source.write_bytes(data)
        logging.disable(logging.WARNING)  # its advice to pre-process is for image models
        try:
            quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
        finally:
            logging.disable(logging.NOTSET)
        return target.read_bytes()


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Two models side by side on the same text: each one's perplexity and top-1 accuracy, how
    often they pick the same next word, and the largest difference between their probabilities."""

    perplexity: tuple[float, float]
    top1: tuple[float, float]
    agreement: float
    largest_difference: float

    def refusal(self) -> str | None:
        """Why the second (quantised) model may not replace the first, or None."""
        (reference, candidate), (right, got) = self.perplexity, self.top1
        if candidate > reference * INT8_PERPLEXITY or got < right - INT8_TOP1:
            return (
                f"The int8 model scores perplexity {candidate:.2f} and top-1 {got:.1%} against fp32's "
                f"{reference:.2f} and {right:.1%} (at most {INT8_PERPLEXITY - 1:.0%} and {INT8_TOP1:.1%} "
                "worse is allowed); export it without int8. Nothing was written."
            )
        return None


def compare(reference: bytes, candidate: bytes, text: list[np.ndarray]) -> Comparison:
    """``reference`` and ``candidate`` read ``text`` (chunks of ids, each from a fresh state)."""
    sessions = [open_session(data) for data in (reference, candidate)]
    losses, right = [0.0, 0.0], [0, 0]
    same = count = 0
    largest = 0.0
    for chunk in text:
        if len(chunk) < 2:
            continue
        inputs, targets = chunk[None, :-1], chunk[1:]
        picks = []
        for side, session in enumerate(sessions):
            layers, _, units = session.get_inputs()[1].shape
            state = np.zeros((layers, 1, units), np.float32)
            logits, _, _ = session.run(OUTPUTS, {"input_ids": inputs, "h0": state, "c0": state})
            log_p = torch.log_softmax(torch.from_numpy(logits[0]), -1).numpy()
            losses[side] -= float(log_p[np.arange(len(targets)), targets].sum())
            right[side] += int((log_p.argmax(-1) == targets).sum())
            picks.append(log_p)
        same += int((picks[0].argmax(-1) == picks[1].argmax(-1)).sum())
        largest = max(largest, float(np.abs(np.exp(picks[0]) - np.exp(picks[1])).max()))
        count += len(targets)
    count = max(1, count)
    return Comparison(
        perplexity=(math.exp(losses[0] / count), math.exp(losses[1] / count)),
        top1=(right[0] / count, right[1] / count),
        agreement=same / count,
        largest_difference=largest,
    )


def _with_card(data: bytes, card: ModelCard) -> bytes:
    proto = onnx.load_from_string(data)
    for entry in proto.metadata_props:
        if entry.key == METADATA_KEY:
            entry.value = card.to_json()
    return proto.SerializeToString()


def export(result: TrainResult, path: Path, name: str | None = None, int8: bool = False) -> float:
    """Export ``result`` to ``path``; returns the parity difference. Raises ``ExportError``.

    With ``int8`` the checked fp32 model is quantised, and written only if it reads the figures'
    text nearly as well as fp32 (``INT8_PERPLEXITY``, ``INT8_TOP1``).
    """
    card = card_for(result, name or result.config.name or path.stem)
    with result.model.scaled_unknown(unknown_scale(card.cache)):  # baked into the network
        data = to_onnx_bytes(result.model, card)
        difference = parity(result.model, data)
    if not difference <= PARITY_TOLERANCE:
        raise ExportError(
            f"The exported model disagrees with torch by {difference:.2e} "
            f"(more than {PARITY_TOLERANCE:.0e}); nothing was written."
        )
    if int8:
        quantized = quantize(data)
        comparison = compare(data, quantized, result.check_text)
        refusal = comparison.refusal()
        if refusal:
            raise ExportError(refusal)
        weights = {
            "weights": "int8",
            "perplexity": [round(p, 3) for p in comparison.perplexity],
            "top1": [round(t, 4) for t in comparison.top1],
            "top1_agreement": round(comparison.agreement, 4),
            "largest_difference": round(comparison.largest_difference, 4),
        }
        card = dataclasses.replace(card, training={**card.training, "quantization": weights})
        data = _with_card(quantized, card)
    try:
        write_atomically(data, path)
    except OSError as error:
        raise ExportError(f"The model could not be written to '{path}' ({error.strerror}).") from None
    return difference
