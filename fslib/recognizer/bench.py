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


def _train_step(model, opt, images, batch, cfg, precision) -> None:
    """One training step of :func:`step_rates`: forward under the trainer's CPU autocast for ``precision``,
    losses, backward, AdamW."""
    from .train import cpu_autocast

    with cpu_autocast(precision):
        out = model(images, batch["lengths"])
    loss, _ = total_loss(out, batch, cfg)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def step_rates(
    cfg,
    batch: dict[str, Any],
    classes: int,
    teacher_dim: int = 0,
    *,
    precisions=("fp32", "bf16"),
    input_sizes=None,
    steps: int = 5,
    matmul_gflops: float | None = None,
) -> list[dict[str, Any]]:
    """Training-step rates of the recognizer of ``cfg`` on one ``batch`` (as collated for training) for each
    precision ("fp32", "bf16") and input size (default: the configuration's): one warm-up step, then
    ``steps`` timed steps (forward under autocast, losses, backward, AdamW), measured in one process so the
    rows compare. Each row: precision, input_size, frames/s, GFLOP/s (the float32 FLOP count of the step) and
    that as a fraction of ``matmul_gflops`` (this CPU's float32 matmul rate)."""
    import dataclasses

    from .model import build_recognizer, to_input

    rows = []
    frames = int(batch["lengths"].sum())
    for size in input_sizes or (cfg.input_size,):
        c = dataclasses.replace(cfg, input_size=int(size))
        torch.manual_seed(0)
        model = build_recognizer(c, classes, teacher_dim)
        B, T = batch["frames"].shape[:2]
        images = to_input(batch["frames"].flatten(0, 1), c.input_size).unflatten(0, (B, T))
        flops = training_flops_per_frame(model, {**batch, "frames": images}) * frames
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        model.train()
        for precision in precisions:
            _train_step(model, opt, images, batch, c, precision)  # warm-up
            t0 = time.perf_counter()
            for _ in range(steps):
                _train_step(model, opt, images, batch, c, precision)
            dt = (time.perf_counter() - t0) / steps
            achieved = flops / dt / 1e9
            rows.append(
                {
                    "precision": precision,
                    "input_size": int(size),
                    "frames_per_s": frames / dt,
                    "achieved_gflops": achieved,
                    "fraction_of_matmul": achieved / matmul_gflops if matmul_gflops else float("nan"),
                }
            )
    return rows
