"""Uncertainty of accuracies measured on a few test signers: a cluster bootstrap over signers.

Frames of one signer are not independent (same hand, same look, same camera), so resampling frames would
understate the spread. Every function here resamples whole signers with replacement and recomputes the
pooled accuracy (correct frames / frames of the drawn signers). Scores of several systems measured on the
same frames are resampled with the same draws, so their differences get a paired interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def signer_bootstrap(
    correct: Mapping[str, np.ndarray], groups: Sequence, n_boot: int = 1000, seed: int = 0
) -> dict[str, np.ndarray]:
    """Pooled accuracy of each system on ``n_boot`` resamples of the signers.

    correct: system name -> (N,) booleans (or 0/1), one per test frame, all in the same frame order.
    groups: (N,) signer of each frame. Returns name -> (n_boot,) accuracies; every system sees the same
    resampled signers in resample b. Raises ValueError on mismatched lengths or no frames.
    """
    groups = np.asarray(groups)
    if len(groups) == 0:
        raise ValueError("signer_bootstrap: no test frames to resample")
    for name, c in correct.items():
        if len(c) != len(groups):
            raise ValueError(f"signer_bootstrap: {name!r} has {len(c)} scores for {len(groups)} frames")
    ids, inverse = np.unique(groups, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(ids)).astype(float)
    draws = np.random.default_rng(seed).integers(0, len(ids), (n_boot, len(ids)))
    weight = np.stack([np.bincount(d, minlength=len(ids)) for d in draws]).astype(float)  # (n_boot, signers)
    total = weight @ counts
    out = {}
    for name, c in correct.items():
        hits = np.bincount(inverse, weights=np.asarray(c, float), minlength=len(ids))
        out[name] = (weight @ hits) / total
    return out


def interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap samples (default 95 %)."""
    a = (1 - level) / 2
    lo, hi = np.quantile(np.asarray(samples, float), [a, 1 - a])
    return float(lo), float(hi)
