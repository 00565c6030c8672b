"""The figures table (model beside its unigram and bigram baselines), shared by every command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ROWS = ("model", "unigram", "bigram")


def weights_line(training: Mapping[str, Any]) -> str:
    """What a model's weights are: fp32, or int8 with what quantising cost, measured at export."""
    quantization = training.get("quantization")
    if not isinstance(quantization, Mapping):
        return "weights: fp32"
    kind = quantization.get("weights", "?")
    try:
        agreed = float(quantization["top1_agreement"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return f"weights: {kind}"
    try:
        fp32, quantised = (float(p) for p in quantization["perplexity"])
    except (KeyError, TypeError, ValueError, OverflowError):  # exported before perplexity was kept
        return f"weights: {kind} (same next word as fp32 on {agreed:.1%} of the held-out text)"
    return (
        f"weights: {kind} (perplexity {quantised:.2f} against fp32's {fp32:.2f}, "
        f"same next word on {agreed:.1%} of the held-out text)"
    )


def figures_table(metrics: Mapping[str, Any]) -> list[str]:
    """Lines of a small table from a model card's ``metrics``; unreadable rows say so."""
    if not isinstance(metrics.get("model"), Mapping):
        return ["no figures recorded"]
    where = "held-out text" if metrics.get("held_out") else "training text (nothing held out)"
    lines = [f"figures on {where}:", f"  {'':8} {'perplexity':>10} {'top-1':>7} {'top-5':>7} {'windowed':>9}"]
    for name in ROWS:
        row = metrics.get(name)
        if not isinstance(row, Mapping):
            continue
        try:
            lines.append(
                f"  {name:8} {float(row['perplexity']):10.1f} {float(row['top1']):7.1%} "
                f"{float(row['top5']):7.1%} {float(row['windowed']):9.1%}"
            )
        except (KeyError, TypeError, ValueError, OverflowError):
            lines.append(f"  {name:8} (unreadable)")
    return lines


def count(value: object) -> str:
    """A count from a model card, with thousands separators; '?' when the card's value is no count."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**15:
        return f"{value:,}"
    return "?"
