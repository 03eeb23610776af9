"""Choosing each loss-ablation row's settings on the dev signers, with the same budget for every row.

The source study gives the loss terms but not their weights, the KL temperature or the learning rate. Tuning
only the full model would make "distillation helps" an unfair comparison, so every row of the ablation gets the
same number of trials (``trials``) and the same rule: the first trial is the page's own settings, the others are
random draws (seeded, the same draws for every row) of the settings that row *has*:

- ``lr`` for every row (log-uniform over :data:`SPACE`);
- ``w_ctc_cnn`` for rows with the 1D-CNN's CTC; ``w_kl`` and ``kl_temperature`` for rows with the KL term;
- ``w_distill`` for distilled rows.

Each trial trains one seed (``seed``, optionally with fewer ``epochs`` than the table's runs) and is scored by
its best dev letter accuracy (the trainer's own model selection); the trial with the highest score is chosen
(ties: the earlier trial, so the page's settings win a tie). Test signers are never looked at. The trials are
ordinary cached recognizer runs (:func:`fslib.recognizer.train.train`), so a rerun reuses them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .config import LOSS_VARIANTS

# name -> (low, high): log-uniform range of a continuous setting; kl_temperature draws from a list
SPACE: dict[str, Any] = {
    "lr": (1e-3, 1e-2),
    "w_ctc_cnn": (0.1, 3.0),
    "w_kl": (0.1, 3.0),
    "kl_temperature": (1.0, 2.0, 4.0, 8.0),
    "w_distill": (0.1, 10.0),
}


def tuned_settings(variant: str) -> list[str]:
    """The settings a row of loss variant ``variant`` has (and so gets tuned)."""
    if variant not in LOSS_VARIANTS:
        raise ValueError(f"unknown loss variant {variant!r}; choose from {', '.join(LOSS_VARIANTS)}")
    cnn, kl, distill = LOSS_VARIANTS[variant]
    names = ["lr"]
    if cnn:
        names.append("w_ctc_cnn")
    if kl:
        names += ["w_kl", "kl_temperature"]
    if distill:
        names.append("w_distill")
    return names


def candidates(variant: str, trials: int, seed: int = 0) -> list[dict[str, float]]:
    """``trials`` setting overrides for a row of ``variant``: {} (the page's settings) first, then draws from
    :data:`SPACE` of :func:`tuned_settings`. Trial k draws every setting from the stream (seed, k, setting), so
    two rows share the draws of the settings they both have."""
    if trials < 1:
        raise ValueError(f"trials={trials}: at least 1 (the page's own settings)")
    out: list[dict[str, float]] = [{}]
    for k in range(1, trials):
        trial = {}
        for name in tuned_settings(variant):
            rng = np.random.default_rng([seed, k, sorted(SPACE).index(name)])
            space = SPACE[name]
            if name == "kl_temperature":
                trial[name] = float(space[int(rng.integers(len(space)))])
            else:
                lo, hi = space
                trial[name] = float(round(math.exp(rng.uniform(math.log(lo), math.log(hi))), 5))
        out.append(trial)
    return out


@dataclasses.dataclass
class Sweep:
    """The trials (one row per (variant, trial): the settings drawn, dev letter accuracy, chosen) and the
    chosen overrides per variant."""

    trials: pd.DataFrame
    chosen: dict[str, dict[str, float]]

    def line(self) -> str:
        """One computed sentence: how many trials each row had and how often the page's own settings won."""
        n = self.trials.groupby("variant")["trial"].nunique()
        kept = sum(1 for v in self.chosen.values() if not v)
        return (
            f"Each of the {len(n)} rows had {int(n.max())} trial(s) on the dev signers (same draws, same rule); the "
            f"page's own settings won in {kept} of {len(n)} rows, and the rows below train the winner at every seed."
        )


def sweep(exp: Any, variants: Sequence[str], trials: int, *, seed: int = 0, epochs: int | None = None) -> Sweep:
    """Run the trials of every row of ``variants`` on ``exp`` (an :class:`~fslib.recognizer.experiment.Experiment`,
    distilling from its teacher) and choose each row's settings by dev letter accuracy."""
    teacher = exp.teacher_name
    rows, chosen = [], {}
    for variant in variants:
        best, best_value, best_trial = {}, -math.inf, 0
        for k, over in enumerate(candidates(variant, trials, seed)):
            cfg = exp.row_config(variant, teacher if LOSS_VARIANTS[variant][2] else "", seed=seed)
            cfg = dataclasses.replace(cfg, **over, **({"epochs": int(epochs)} if epochs else {}))
            cfg.validate()
            result = exp.train(cfg)
            value = float(result.report["best_dev_letter_accuracy"])
            rows.append(
                {
                    "variant": variant,
                    "trial": k,
                    **{n: getattr(cfg, n) for n in tuned_settings(variant)},
                    "dev_letter_accuracy": value,
                }
            )
            if value > best_value:
                best, best_value, best_trial = over, value, k
        chosen[variant] = best
        for row in rows:
            if row["variant"] == variant:
                row["chosen"] = row["trial"] == best_trial
    table = pd.DataFrame(rows)
    settings = [n for n in ("lr", "w_ctc_cnn", "w_kl", "kl_temperature", "w_distill") if n in table]
    return Sweep(table[["variant", "trial", *settings, "dev_letter_accuracy", "chosen"]], chosen)
