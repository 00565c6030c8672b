"""Per-word latency of one generation step: onnxruntime against torch eager, side by side.

For the shipped default model and for the classic example's 2×512 network (random weights,
the default model's vocabulary), one word at a time (batch 1, sequence 1, state carried),
both engines on one thread, interleaved in rounds so machine noise hits them alike. Also
prints the floor set by reading every weight once from memory at the measured bandwidth.

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
from training.config import TrainConfig
from training.export import to_onnx_bytes
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
        _, _, state[0] = model(ids, state[0])

    return step


def weight_bytes(model: LanguageModel) -> int:
    """Bytes one step must read: the LSTM and the output layer (one embedding row is negligible)."""
    lstm = sum(p.numel() for p in model.lstm.parameters())
    head = model.head.weight.numel() + model.head.bias.numel()
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

    networks = []
    # The shipped model: its own file for onnxruntime; the same weights can't be had back from
    # ONNX cheaply, so torch runs an identically shaped network (speed depends on shape only).
    shipped = LanguageModel(vocab, TrainConfig(layers=card.layers, units=card.units, dropout=0)).eval()
    networks.append(
        (f"default ({card.layers}×{card.units}, vocab {vocab:,})", default.path.read_bytes(), shipped)
    )
    seed = LanguageModel(vocab, TrainConfig(layers=2, units=512, dropout=0)).eval()
    seed_card = ModelCard("seed", card.vocabulary, card.tokenizer, 2, 512, 3)
    networks.append((f"seed's 2×512 (vocab {vocab:,})", to_onnx_bytes(seed, seed_card), seed))

    bandwidth = memory_bandwidth()
    rows = []
    for name, data, net in networks:
        ort_step = onnx_stepper(data, net.layers, net.units)
        torch_step = torch_stepper(net)
        for warm in (ort_step, torch_step):
            time_steps(warm, 50)
        ort_times, torch_times = [], []
        for _ in range(args.rounds):
            ort_times.append(time_steps(ort_step, args.steps))
            torch_times.append(time_steps(torch_step, args.steps))
        ort_median, torch_median = statistics.median(ort_times), statistics.median(torch_times)
        floor = weight_bytes(net) / bandwidth
        rows.append((name, ort_median, torch_median, floor, weight_bytes(net)))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.system()}"
    )
    print(
        f"versions: onnxruntime {ort.__version__}, torch {torch.__version__}, numpy {np.__version__}; "
        f"1 thread each; {args.rounds} rounds × {args.steps} steps; memory read {bandwidth / 1e9:.1f} GB/s"
    )
    print()
    print(
        "| network | onnxruntime µs/word | words/s | torch eager µs/word | words/s | torch ÷ ort "
        "| weights MB | memory floor µs | ort ÷ floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, ort_s, torch_s, floor, size in rows:
        print(
            f"| {name} | {ort_s * 1e6:.0f} | {1 / ort_s:,.0f} | {torch_s * 1e6:.0f} | {1 / torch_s:,.0f} | "
            f"{torch_s / ort_s:.2f} | {size / 1e6:.1f} | {floor * 1e6:.0f} | {ort_s / floor:.1f} |"
        )


if __name__ == "__main__":
    main()
