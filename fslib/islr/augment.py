"""The source study's pose augmentations, on one prepared clip ``(T, P * 3)`` (normalised coordinates).

Gaussian jitter of every coordinate, a random scale of the whole skeleton in [0.8, 1.2], and temporal
dropout (a random fraction of frames zeroed, as an occlusion or tracking failure would). Pure: returns a
new array; ``rng`` is a numpy Generator, so runs are reproducible.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """jitter: s.d. of the Gaussian noise (normalised units); scale: (low, high) of the uniform scale
    factor; frame_dropout: probability that a frame is zeroed. All off = identity."""

    jitter: float = 0.0
    scale: tuple[float, float] = (1.0, 1.0)
    frame_dropout: float = 0.0

    @property
    def active(self) -> bool:
        return self.jitter > 0 or self.scale != (1.0, 1.0) or self.frame_dropout > 0


SOURCE = AugmentConfig(jitter=0.01, scale=(0.8, 1.2), frame_dropout=0.1)


def augment(clip: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Apply :class:`AugmentConfig` to a ``(T, D)`` clip (never drops every frame)."""
    x = np.asarray(clip, np.float32).copy()
    if not cfg.active or not len(x):
        return x
    x *= rng.uniform(*cfg.scale)
    if cfg.jitter > 0:
        x += rng.normal(0, cfg.jitter, x.shape).astype(np.float32)
    if cfg.frame_dropout > 0 and len(x) > 1:
        drop = rng.random(len(x)) < cfg.frame_dropout
        if drop.all():
            drop[rng.integers(len(x))] = False
        x[drop] = 0.0
    return x
