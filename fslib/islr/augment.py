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
    order: str = "scale_first"  # "noise_first": the authors' code adds the noise, then scales

    @property
    def active(self) -> bool:
        return self.jitter > 0 or self.scale != (1.0, 1.0) or self.frame_dropout > 0


SOURCE = AugmentConfig(jitter=0.01, scale=(0.8, 1.2), frame_dropout=0.1)
# the authors' notebook: noise s.d. 0.005, then a scale in [0.9, 1.1], then frame dropout 0.1 (their training
# script uses scale 0.95-1.05 and no frame dropout)
CODE = AugmentConfig(jitter=0.005, scale=(0.9, 1.1), frame_dropout=0.1, order="noise_first")


def augment(clip: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Apply :class:`AugmentConfig` to a ``(T, D)`` clip (never drops every frame)."""
    x = np.asarray(clip, np.float32).copy()
    if not cfg.active or not len(x):
        return x
    if cfg.order not in ("scale_first", "noise_first"):
        raise ValueError(f"augmentation order {cfg.order!r}: 'scale_first' or 'noise_first'")
    factor = rng.uniform(*cfg.scale)
    noise = rng.normal(0, cfg.jitter, x.shape).astype(np.float32) if cfg.jitter > 0 else 0.0
    x = (x * factor + noise) if cfg.order == "scale_first" else (x + noise) * factor
    if cfg.frame_dropout > 0 and len(x) > 1:
        drop = rng.random(len(x)) < cfg.frame_dropout
        if drop.all():
            drop[rng.integers(len(x))] = False
        x[drop] = 0.0
    return x
