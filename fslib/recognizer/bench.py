"""How fast the recognizer trains, as a fraction of what this CPU's matrix multiply can do."""

from __future__ import annotations

import time
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
    return {
        "train_frames_per_s": frames_per_s,
        "gflop_per_frame": flops_per_frame / 1e9,
        "achieved_gflops": achieved,
        "matmul_gflops": matmul_gflops,
        "fraction_of_matmul": achieved / matmul_gflops if matmul_gflops else float("nan"),
    }


@torch.no_grad()
def inference_frames_per_s(model: Recognizer, clip: dict[str, Any], repeats: int = 3) -> float:
    """Frames per second of ``model`` decoding one clip at a time, as on a live stream: one warm-up pass over
    ``clip`` (an item of :class:`~fslib.recognizer.data.RecognizerData`: ``frames``, ``length``), then
    ``repeats`` timed passes. The model is run in whatever mode it is in."""
    frames, lengths = clip["frames"][None], torch.tensor([clip["length"]])
    model(frames, lengths)
    t0 = time.perf_counter()
    for _ in range(repeats):
        model(frames, lengths)
    return repeats * clip["length"] / (time.perf_counter() - t0)
