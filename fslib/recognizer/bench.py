"""How fast the recognizer trains, as a fraction of what this CPU's matrix multiply can do."""
from __future__ import annotations

from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from .losses import total_loss
from .model import Recognizer


def training_flops_per_frame(model: Recognizer, batch: dict[str, Any]) -> float:
    """Floating-point operations of one training step (forward and backward, counted by torch's
    FlopCounterMode: convolutions, matrix products, GRU cells) divided by the batch's valid frames."""
    was = model.training
    model.train()
    with FlopCounterMode(display=False) as counter:
        out = model(batch["frames"], batch["lengths"])
        loss, _ = total_loss(out, batch, model.cfg)
        loss.backward()
    model.zero_grad(set_to_none=True)
    model.train(was)
    return counter.get_total_flops() / float(batch["lengths"].sum())


def efficiency(frames_per_s: float, flops_per_frame: float, matmul_gflops: float) -> dict[str, float]:
    """Training frames/s, the GFLOP/s they amount to, and that as a fraction of the matmul rate."""
    achieved = frames_per_s * flops_per_frame / 1e9
    return {"train_frames_per_s": frames_per_s, "gflop_per_frame": flops_per_frame / 1e9,
            "achieved_gflops": achieved, "matmul_gflops": matmul_gflops,
            "fraction_of_matmul": achieved / matmul_gflops if matmul_gflops else float("nan")}
