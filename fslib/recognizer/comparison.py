"""Seed-aware comparisons of recognizer configurations, read from the long-format results table.

A row of a study table is one configuration (a loss variant with a teacher) trained with several seeds.
:func:`summarise` gives mean +- s.d. over seeds; :func:`paired` compares two configurations seed by seed
(seed k of both runs shares the data order and initialisation of everything the configurations have in
common), and calls a difference real only when it exceeds the spread; :func:`claim_verdict` turns such
a comparison into the sentence a page prints for a claim of the source study: replicates, does not
replicate, or not testable here (with the reason). Nothing is written by hand.

Decision rule for "exceeds the spread" (documented, deliberately simple for 3-5 seeds): every seed's
difference has the same sign, and the mean difference is larger than one standard deviation of the
per-seed differences. With fewer than ``MIN_SEEDS`` seeds in common the comparison is not testable.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

MIN_SEEDS = 2


def seed_values(table: pd.DataFrame, variant: str, teacher: str, metric: str, split: str,
                corpus: str | None = None) -> pd.Series:
    """One row's score per seed (index: seed) for ``metric`` on ``split``; teacher "" and "none" match."""
    teachers = table["teacher"].fillna("none").replace("", "none")     # the results table writes "none"
    t = table[(table["variant"] == variant) & (teachers == (teacher or "none"))
              & (table["metric"] == metric) & (table["split"] == split)]
    if corpus is not None:
        t = t[t["corpus"] == corpus]
    return t.groupby("seed")["value"].first()


def summarise(table: pd.DataFrame, rows: Sequence[tuple[str, str]], metric: str, split: str = "test",
              corpus: str | None = None) -> pd.DataFrame:
    """One line per ``(variant, teacher)`` row: seeds, mean, std (ddof 1; NaN for one seed), and the
    mean +- std as text. Rows absent from the table get 0 seeds (shown, not dropped)."""
    out = []
    for variant, teacher in rows:
        v = seed_values(table, variant, teacher, metric, split, corpus)
        std = float(v.std(ddof=1)) if len(v) > 1 else np.nan
        mean = float(v.mean()) if len(v) else np.nan
        text = "-" if not len(v) else (f"{mean:.3f}" if np.isnan(std) else f"{mean:.3f} +- {std:.3f}")
        out.append({"variant": variant, "teacher": teacher or "none", "seeds": len(v), "mean": mean, "std": std,
                    metric: text})
    return pd.DataFrame(out)


def paired(table: pd.DataFrame, a: tuple[str, str], b: tuple[str, str], metric: str, split: str = "test",
           corpus: str | None = None) -> dict:
    """Compare configuration ``a`` against ``b`` (each ``(variant, teacher)``) on the seeds both have.

    Returns {"seeds": n, "differences": per-seed a - b, "mean": mean difference, "std": s.d. of the
    differences (NaN below 2 seeds), "outcome": "better" / "worse" / "within noise" / "not testable"}.
    """
    va, vb = seed_values(table, *a, metric, split, corpus), seed_values(table, *b, metric, split, corpus)
    common = sorted(set(va.index) & set(vb.index))
    d = np.array([va[s] - vb[s] for s in common], float)
    res = {"seeds": len(common), "differences": d.tolist(), "mean": float(d.mean()) if len(d) else np.nan,
           "std": float(d.std(ddof=1)) if len(d) > 1 else np.nan}
    if len(d) < MIN_SEEDS:
        res["outcome"] = "not testable"
    elif (d > 0).all() and d.mean() > res["std"]:
        res["outcome"] = "better"
    elif (d < 0).all() and -d.mean() > res["std"]:
        res["outcome"] = "worse"
    else:
        res["outcome"] = "within noise"
    return res


def claim_verdict(claim: str, comparison: dict, a_name: str, b_name: str, metric: str = "letter accuracy",
                  baseline: float | None = None, a_mean: float | None = None, b_mean: float | None = None) -> str:
    """The sentence for one claim of the source study ("``a`` is better than ``b``") from :func:`paired`.

    ``baseline``: the learned-nothing score on the same split; when given with both means, a claim between
    two models that are not both above it is "not testable here" (a comparison of models that learned
    nothing says nothing about the claim).
    """
    n = comparison["seeds"]
    if n < MIN_SEEDS:
        return (f"{claim}: not testable here ({n} seed(s) in common; at least {MIN_SEEDS} are needed to tell a "
                f"difference from seed noise).")
    if baseline is not None and a_mean is not None and b_mean is not None and min(a_mean, b_mean) <= baseline:
        return (f"{claim}: not testable here ({a_name if a_mean <= baseline else b_name} is not above the "
                f"learned-nothing baseline {baseline:.3f}, so the comparison is between models that did not learn).")
    diffs = ", ".join(f"{x:+.3f}" for x in comparison["differences"])
    detail = (f"{a_name} - {b_name} in {metric}, per seed: {diffs}; mean {comparison['mean']:+.3f}, "
              f"s.d. {comparison['std']:.3f}")
    outcome = comparison["outcome"]
    if outcome == "better":
        return f"{claim}: replicates here ({detail})."
    if outcome == "worse":
        return f"{claim}: does NOT replicate here; the opposite holds ({detail})."
    return f"{claim}: does NOT replicate here; the difference is within seed noise ({detail})."


def check_claim(table: pd.DataFrame, claim: str, a: tuple[str, str], b: tuple[str, str], names: tuple[str, str],
                metric: str, split: str = "test", baseline: float | None = None, label: str | None = None) -> tuple[dict, str]:
    """:func:`paired` of rows ``a`` and ``b`` plus their means, turned into :func:`claim_verdict`'s sentence.
    Returns (the comparison with ``a_mean`` / ``b_mean`` added, the sentence); ``label`` names the metric in it."""
    c = paired(table, a, b, metric, split)
    c["a_mean"], c["b_mean"] = (float(summarise(table, [r], metric, split)["mean"].iloc[0]) for r in (a, b))
    return c, claim_verdict(claim, c, names[0], names[1], metric=label or metric, baseline=baseline,
                            a_mean=c["a_mean"], b_mean=c["b_mean"])
