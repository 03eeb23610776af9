"""The claims of the source studies, checked on the long-format results table (:mod:`fslib.results`) by
paired comparisons over seeds; one evidence layer for both studies.

A row of a study table is one configuration (a ``(variant, teacher)`` pair; teacher "" for the isolated-sign
rows) trained with several seeds. :func:`summarise` gives mean +- s.d. over seeds; :func:`paired` compares
two rows seed by seed (seed k of both runs shares the data order and initialisation of everything the
configurations have in common), and calls a difference real only when it exceeds the spread;
:func:`compare` turns such a comparison into a :class:`Verdict` on a claim ("``a`` is better than ``b``"):
it replicates, the opposite holds, the difference is within seed noise, or the claim is not testable here
(with the reason). A verdict is a record, read by field; :attr:`Verdict.sentence` is what a page prints.
Nothing is written by hand.

Decision rule for "exceeds the spread" (documented, deliberately simple for 3-5 seeds): every seed's
difference has the same sign, and the mean difference is larger than one standard deviation of the
per-seed differences. With fewer than ``MIN_SEEDS`` seeds in common the comparison is not testable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

MIN_SEEDS = 2

OUTCOMES = ("replicates", "opposite", "within noise", "not testable")
# why a claim is not testable: a row has no run, too few seeds in common, both rows at a ceiling, or a row
# not above the learned-nothing baseline (checked in this order)
REASONS = ("not run", "too few seeds", "ceiling", "below baseline")
# the verdict on "a is better than b" for each testable outcome of :func:`paired`
PAIRED_OUTCOMES = {"better": "replicates", "worse": "opposite", "within noise": "within noise"}


def seed_values(
    table: pd.DataFrame, variant: str, teacher: str, metric: str, split: str, corpus: str | None = None
) -> pd.Series:
    """One row's score per seed (index: seed) for ``metric`` on ``split``; teacher "" and "none" match."""
    teachers = table["teacher"].fillna("none").replace("", "none")  # the results table writes "none"
    t = table[
        (table["variant"] == variant)
        & (teachers == (teacher or "none"))
        & (table["metric"] == metric)
        & (table["split"] == split)
    ]
    if corpus is not None:
        t = t[t["corpus"] == corpus]
    return t.groupby("seed")["value"].first()


def summarise(
    table: pd.DataFrame, rows: Sequence[tuple[str, str]], metric: str, split: str = "test", corpus: str | None = None
) -> pd.DataFrame:
    """One line per ``(variant, teacher)`` row: seeds, mean, std (ddof 1; NaN for one seed), and the
    mean +- std as text. Rows absent from the table get 0 seeds (shown, not dropped)."""
    out = []
    for variant, teacher in rows:
        v = seed_values(table, variant, teacher, metric, split, corpus)
        std = float(v.std(ddof=1)) if len(v) > 1 else np.nan
        mean = float(v.mean()) if len(v) else np.nan
        text = "-" if not len(v) else (f"{mean:.3f}" if np.isnan(std) else f"{mean:.3f} +- {std:.3f}")
        out.append(
            {"variant": variant, "teacher": teacher or "none", "seeds": len(v), "mean": mean, "std": std, metric: text}
        )
    return pd.DataFrame(out)


def paired(
    table: pd.DataFrame,
    a: tuple[str, str],
    b: tuple[str, str],
    metric: str,
    split: str = "test",
    corpus: str | None = None,
) -> dict:
    """Compare configuration ``a`` against ``b`` (each ``(variant, teacher)``) on the seeds both have.

    Returns {"seeds": n, "differences": per-seed a - b, "mean": mean difference, "std": s.d. of the
    differences (NaN below 2 seeds), "outcome": "better" / "worse" / "within noise" / "not testable"}.
    """
    va, vb = seed_values(table, *a, metric, split, corpus), seed_values(table, *b, metric, split, corpus)
    common = sorted(set(va.index) & set(vb.index))
    d = np.array([va[s] - vb[s] for s in common], float)
    res = {
        "seeds": len(common),
        "differences": d.tolist(),
        "mean": float(d.mean()) if len(d) else np.nan,
        "std": float(d.std(ddof=1)) if len(d) > 1 else np.nan,
    }
    res["outcome"] = paired_outcome(d)
    return res


def paired_outcome(differences: Sequence[float]) -> str:
    """The decision rule of the module docstring on per-seed differences a - b: "better", "worse", "within
    noise", or "not testable" below :data:`MIN_SEEDS` seeds."""
    d = np.asarray(differences, float)
    if len(d) < MIN_SEEDS:
        return "not testable"
    return _OUTCOME_NAMES[int(_outcome_codes(d[None, :])[0])]


_OUTCOME_NAMES = ("within noise", "better", "worse")


def _outcome_codes(d: np.ndarray) -> np.ndarray:
    """:func:`paired_outcome` of each row of ``d`` (rows: sets of per-seed differences), as indices into
    :data:`_OUTCOME_NAMES`."""
    mean, std = d.mean(1), d.std(1, ddof=1)
    better = (d > 0).all(1) & (mean > std)
    worse = (d < 0).all(1) & (-mean > std)
    return np.where(better, 1, np.where(worse, 2, 0))


def flip_margin(differences: Sequence[float], step: float = 0.001, limit: float = 1.0) -> float:
    """The smallest change of one seed's result that changes the outcome of :func:`paired_outcome` on
    ``differences`` (searched in steps of ``step`` up to ``limit``, either direction, every seed; NaN when
    none within ``limit`` or the comparison is not testable). Runs of one configuration on two machines differ
    (another CPU, another BLAS: other rounding, then another training path); a verdict whose margin is well
    above that difference does not depend on the machine."""
    d = np.asarray(differences, float)
    if len(d) < MIN_SEEDS:
        return float("nan")
    base = _outcome_codes(d[None, :])[0]
    deltas = np.arange(1, int(round(limit / step)) + 1) * step
    first = np.inf
    for i in range(len(d)):
        for sign in (1.0, -1.0):
            moved = np.repeat(d[None, :], len(deltas), 0)
            moved[:, i] += sign * deltas
            changed = np.flatnonzero(_outcome_codes(moved) != base)
            if len(changed):
                first = min(first, deltas[changed[0]])
    return float(round(first, 6)) if np.isfinite(first) else float("nan")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The verdict on one claim "``a_name`` is better than ``b_name``" in ``metric`` (the metric's name in
    the sentence), from :func:`compare`.

    ``outcome`` is one of :data:`OUTCOMES`; when it is "not testable", ``reason`` (one of :data:`REASONS`)
    says why and ``explanation`` says it in words; both are "" otherwise. ``differences``: per seed in
    common, a - b; ``mean`` / ``std``: their mean and s.d. (NaN below 2 seeds); ``a_mean`` / ``b_mean``:
    each row's mean over all its seeds (NaN for a row not run)."""

    claim: str
    outcome: str
    a_name: str
    b_name: str
    metric: str
    differences: tuple[float, ...]
    seeds: int
    mean: float
    std: float
    a_mean: float
    b_mean: float
    reason: str = ""
    explanation: str = ""

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; choose from {', '.join(OUTCOMES)}")
        if (self.outcome == "not testable") != (self.reason in REASONS):
            raise ValueError(
                f"outcome {self.outcome!r} with reason {self.reason!r}: a reason (one of "
                f"{', '.join(REASONS)}) goes with 'not testable' and only with it"
            )

    @property
    def detail(self) -> str:
        """The sentence after the claim: the verdict and the numbers (or the reason) behind it."""
        if self.outcome == "not testable":
            head = "not run at this profile" if self.reason == "not run" else "not testable here"
            return f"{head} ({self.explanation})."
        diffs = ", ".join(f"{x:+.3f}" for x in self.differences)
        numbers = (
            f"{self.a_name} - {self.b_name} in {self.metric}, per seed: {diffs}; mean {self.mean:+.3f}, "
            f"s.d. {self.std:.3f}"
        )
        head = {
            "replicates": "replicates here",
            "opposite": "does NOT replicate here; the opposite holds",
            "within noise": "does NOT replicate here; the difference is within seed noise",
        }[self.outcome]
        return f"{head} ({numbers})."

    @property
    def margin(self) -> float:
        """:func:`flip_margin` of the per-seed differences: how far one seed's result must move (in the
        metric's units) before this verdict changes; NaN when not testable."""
        return float("nan") if self.outcome == "not testable" else flip_margin(self.differences)

    @property
    def sentence(self) -> str:
        """What a page prints: "<claim>: <detail>"."""
        return f"{self.claim}: {self.detail}"


def compare(
    table: pd.DataFrame,
    claim: str,
    a: tuple[str, str],
    b: tuple[str, str],
    names: tuple[str, str],
    metric: str,
    split: str = "test",
    baseline: float | None = None,
    label: str | None = None,
    ceiling: float | None = None,
    corpus: str | None = None,
    not_run: str | None = None,
) -> Verdict:
    """The verdict on ``claim`` ("row ``a`` is better than row ``b``", each ``(variant, teacher)``, named
    ``names`` in the sentence) from :func:`paired` on ``metric`` / ``split`` (``label``: the metric's name
    in the sentence; default ``metric``).

    Not testable, in this order of precedence: a row has no run (``not_run``: the explanation; default,
    the rows missing from the table); fewer than :data:`MIN_SEEDS` seeds in common; both rows' means at or
    above ``ceiling`` (the task is too easy to tell them apart); a row's mean at or below ``baseline``, the
    learned-nothing score on the same split (a comparison of models that learned nothing says nothing
    about the claim)."""
    label = label or metric
    c = paired(table, a, b, metric, split, corpus)
    s = summarise(table, [a, b], metric, split, corpus)
    a_mean, b_mean = (float(m) for m in s["mean"])
    missing = [n for n, seeds in zip(names, s["seeds"]) if not seeds]
    if missing:
        reason, why = "not run", not_run or f"no run of {' or '.join(missing)} in the table"
    elif c["seeds"] < MIN_SEEDS:
        reason, why = (
            "too few seeds",
            (f"{c['seeds']} seed(s) in common; at least {MIN_SEEDS} are needed to tell a difference from seed noise"),
        )
    elif ceiling is not None and min(a_mean, b_mean) >= ceiling:
        reason, why = (
            "ceiling",
            (f"both rows reach {label} >= {ceiling:.2f}: this corpus is too easy at this size to tell them apart"),
        )
    elif baseline is not None and min(a_mean, b_mean) <= baseline:
        reason, why = (
            "below baseline",
            (
                f"{names[0] if a_mean <= baseline else names[1]} is not above the "
                f"learned-nothing baseline {baseline:.3f}, so the comparison is between "
                "models that did not learn"
            ),
        )
    else:
        reason, why = "", ""
    outcome = "not testable" if reason else PAIRED_OUTCOMES[c["outcome"]]
    return Verdict(
        claim,
        outcome,
        names[0],
        names[1],
        label,
        tuple(c["differences"]),
        c["seeds"],
        c["mean"],
        c["std"],
        a_mean,
        b_mean,
        reason,
        why,
    )
