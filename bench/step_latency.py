"""Per-word latency of one generation step: onnxruntime against torch eager, side by side.

For the default model's shape and for the classic example's 2×512 network (random weights,
the default model's vocabulary; speed depends on the shape only), one word at a time (batch 1,
sequence 1, state carried): onnxruntime fp32 and int8 (dynamic, per-channel) and torch eager,
each on one thread, interleaved in rounds so machine noise hits them alike. Also prints the
floor set by reading every weight once from memory at the measured bandwidth.

    python bench/step_latency.py [--steps 300] [--rounds 7]

Prints a Markdown table; paste it into bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import onnxruntime as ort
import torch

from storyteller.engine import load, resolve
from storyteller.engine.model import OUTPUTS, ModelCard, session_options
from storyteller.figures import weights_line
from training.config import TrainConfig
from training.export import quantize, to_onnx_bytes
from training.network import LanguageModel


def memory_bandwidth(megabytes: int = 256, repeats: int = 5) -> float:
    """Bytes per second for reading a large array (best of a few passes)."""
    data = np.ones(megabytes * 2**20 // 8)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        data.sum()
        best = min(best, time.perf_counter() - start)
    return data.nbytes / best


def time_steps(step, steps: int) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of one call of ``step`` over ``steps`` calls."""
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def onnx_stepper(data: bytes, layers: int, units: int):  # type: ignore[no-untyped-def]
    session = ort.InferenceSession(data, session_options(), providers=["CPUExecutionProvider"])
    ids = np.array([[5]], np.int64)
    state = [np.zeros((layers, 1, units), np.float32)] * 2

    def step() -> None:
        _, state[0], state[1] = session.run(OUTPUTS, {"input_ids": ids, "h0": state[0], "c0": state[1]})

    return step


def torch_stepper(model: LanguageModel):  # type: ignore[no-untyped-def]
    ids = torch.tensor([[5]])
    state = [model.zero_state(1)]

    @torch.no_grad()
    def step() -> None:
        _, state[0] = model(ids, state[0])

    return step


def weight_bytes(model: LanguageModel) -> int:
    """Bytes one step must read: the LSTM and the output layer (one embedding row is negligible)."""
    lstm = sum(p.numel() for p in model.lstm.parameters())
    output = model.adaptive or model.head
    assert output is not None
    head = sum(p.numel() for p in output.parameters())
    return 4 * (lstm + head)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps per round (%(default)s)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (%(default)s)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    default = load(resolve("default"))
    card = default.card
    vocab = len(card.vocabulary)
    bandwidth = memory_bandwidth()
    rows = []
    # Speed depends on the network's shape only, so each shape gets random weights, exported
    # both as fp32 and as int8; torch eager runs the same network.
    for name, layers, units in (
        (f"default shape ({card.layers}×{card.units}, vocab {vocab:,})", card.layers, card.units),
        (f"seed's 2×512 (vocab {vocab:,})", 2, 512),
    ):
        rows += _time_shape(card, name, layers, units, args, bandwidth)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.system()}"
    )
    print(
        f"versions: onnxruntime {ort.__version__}, torch {torch.__version__}, numpy {np.__version__}; "
        f"1 thread each; {args.rounds} rounds × {args.steps} steps; memory read {bandwidth / 1e9:.1f} GB/s"
    )
    quantization = card.training.get("quantization")
    if quantization:
        print(
            f"shipped default model: {weights_line(card.training).removeprefix('weights: ')}, "
            f"largest probability difference {quantization['largest_difference']}"
        )
    print()
    print("| network | engine | µs/word | words/s | speed-up vs ort fp32 | memory floor µs | ÷ floor |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, engine, seconds, speedup, floor in rows:
        print(
            f"| {name} | {engine} | {seconds * 1e6:.0f} | {1 / seconds:,.0f} | {speedup:.2f} | "
            f"{floor * 1e6:.0f} | {seconds / floor:.1f} |"
        )


def _time_shape(
    card: ModelCard, name: str, layers: int, units: int, args: argparse.Namespace, bandwidth: float
) -> list[tuple[str, str, float, float, float]]:
    """Each engine's median seconds a step for one network shape: a table row each."""
    vocab = len(card.vocabulary)
    net = LanguageModel(vocab, TrainConfig(layers=layers, units=units, dropout=0)).eval()
    fp32 = to_onnx_bytes(net, ModelCard(name, card.vocabulary, card.tokenizer, layers, units, 3))
    int8 = quantize(fp32)
    steppers = {
        "onnxruntime fp32": onnx_stepper(fp32, layers, units),
        "onnxruntime int8": onnx_stepper(int8, layers, units),
        "torch eager fp32": torch_stepper(net),
    }
    for step in steppers.values():
        time_steps(step, 50)
    times: dict[str, list[float]] = {engine: [] for engine in steppers}
    for _ in range(args.rounds):
        for engine, step in steppers.items():
            times[engine].append(time_steps(step, args.steps))
    medians = {engine: statistics.median(values) for engine, values in times.items()}
    fp32_bytes = weight_bytes(net)
    floors = {
        "onnxruntime fp32": fp32_bytes,
        "onnxruntime int8": fp32_bytes / 4,
        "torch eager fp32": fp32_bytes,
    }
    rows = []
    for engine, seconds in medians.items():
        floor = floors[engine] / bandwidth
        rows.append((name, engine, seconds, medians["onnxruntime fp32"] / seconds, floor))
    return rows


if __name__ == "__main__":
    main()
