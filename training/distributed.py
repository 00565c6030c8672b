"""Training on several processes at once, started by torchrun.

``torchrun --nproc_per_node=N -m training CORPUS ...`` starts N copies of the trainer. Each
reads the same corpus and makes the same random choices (same seed), then takes its own
rows of every batch: rank r of N gets rows ``r·B/N … (r+1)·B/N`` of the B parallel streams,
and its share of the windows. DistributedDataParallel averages the gradients, so each step
is the step one process would take on the whole batch, and the model is the same up to
float rounding (dropout aside: each process draws its own masks). Every process evaluates
the same weights and so makes the same decisions (under a time budget they read one clock, the
slowest process's); only the first one reports and writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from torch import distributed


@dataclass(frozen=True)
class Group:
    """This process's place among the training processes."""

    rank: int
    world: int
    local_rank: int

    @property
    def primary(self) -> bool:
        return self.rank == 0

    def share(self, rows: np.ndarray) -> np.ndarray:
        """This process's rows of a batch (the batch divides evenly; ``check`` made sure)."""
        size = len(rows) // self.world
        return rows[self.rank * size : (self.rank + 1) * size]

    def check(self, what: str, rows: int) -> None:
        if rows % self.world:
            raise ValueError(f"the {what} ({rows}) does not divide among {self.world} processes")

    def agree(self, code: int, device: torch.device) -> int:
        """The largest ``code`` any process gives (how all stop at the same step)."""
        value = torch.tensor([code], device=device)
        distributed.all_reduce(value, op=distributed.ReduceOp.MAX)
        return int(value.item())


def join(device: torch.device) -> Group | None:
    """Join the group torchrun set up (gloo on the CPU, nccl on GPUs); None when run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    if not distributed.is_available():
        raise RuntimeError("this torch was built without distributed training")
    distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Group(distributed.get_rank(), distributed.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def leave(group: Group | None) -> None:
    if group is not None and distributed.is_initialized():
        distributed.destroy_process_group()
