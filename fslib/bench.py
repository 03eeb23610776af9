"""Small throughput probes that the book reports (never timed tests: figures, not pass/fail)."""

from __future__ import annotations

import time


def resnet34_train_fps(size: int = 64, batch: int = 32, steps: int = 3, seed: int = 0) -> dict:
    """Frames per second of ResNet34 training steps (forward + backward + SGD) on ``size`` px crops.

    One warm-up step is not timed. Returns size, batch, steps, seconds and frames/s.
    """
    import torch
    import torchvision

    torch.manual_seed(seed)
    model = torchvision.models.resnet34(num_classes=32)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 32, (batch,))

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    return {
        "size_px": size,
        "batch": batch,
        "steps": steps,
        "seconds": round(dt, 3),
        "frames_per_s": round(batch * steps / dt, 1),
    }


def matmul_gflops(n: int = 1024, repeats: int = 5) -> float:
    """float32 matrix-multiply throughput of torch on this CPU, GFLOP/s."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return round(2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9, 1)


def resnet34_train_fps_table(sizes, steps: int = 3, seed: int = 0, batch: int = 32):
    """:func:`resnet34_train_fps` at each crop size of ``sizes``, one row per size in that order
    (a DataFrame: size_px, batch, steps, seconds, frames_per_s)."""
    import pandas as pd

    return pd.DataFrame([resnet34_train_fps(size, batch=batch, steps=steps, seed=seed) for size in sizes])
