"""The student's per-frame features, read like a teacher's: what the embedding page plots and scores.

:class:`StudentFeatures` runs a trained recognizer's ResNet34 over the crops of one sequence at a time and
returns the per-frame backbone features (the vectors the distillation loss pulls towards the teacher,
before the projection), with the ``vectors(filename)`` interface of a teacher's
:class:`~fslib.teachers.FeatureStore`, so :func:`fslib.teachers.analysis.letter_separability` and
:func:`~fslib.teachers.analysis.umap_grid` read students and teachers alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from .model import Recognizer, to_input


class StudentFeatures:
    """Per-frame backbone features of ``model`` on the crops of ``store`` (computed on first use, kept in
    memory). ``name`` labels the student in tables and plots."""

    def __init__(self, model: Recognizer, store: Any, name: str = "student", batch_size: int = 256):
        self.model, self.store, self.name, self.batch_size = model, store, name, batch_size
        self._cache: dict[str, np.ndarray] = {}

    @torch.no_grad()
    def vectors(self, filename: str) -> np.ndarray:
        """(T, F) float32 features of every frame of ``filename``."""
        if filename not in self._cache:
            was_training = self.model.training
            self.model.eval()
            crops = torch.from_numpy(np.array(self.store.load(filename)))  # a writable copy
            parts = [
                self.model.encode_frames(to_input(crops[i : i + self.batch_size], self.model.cfg.input_size))
                for i in range(0, len(crops), self.batch_size)
            ]
            self.model.train(was_training)
            self._cache[filename] = (
                torch.cat(parts).float().numpy() if parts else np.zeros((0, self.model.backbone.out_dim), np.float32)
            )
        return self._cache[filename]

    @property
    def dim(self) -> int:
        return int(self.model.backbone.out_dim)


# ------------------------------------------------------------------------------- the embedding page's scores
def letter_scores(
    systems: Mapping[str, Any],
    frames: pd.DataFrame,
    reference: str,
    train_partitions: Sequence[str] = ("train", "dev"),
    test_partition: str = "test",
) -> pd.DataFrame:
    """Letter separability of each system's vectors on the hold ``frames``, with the paired interval of
    each system minus ``reference`` (:func:`fslib.teachers.analysis.hold_frame_separability`)."""
    from ..teachers.analysis import hold_frame_separability

    return hold_frame_separability(systems, frames, reference, train_partitions, test_partition)


def signer_scores(systems: Mapping[str, Any], frames: pd.DataFrame, partition: str = "test") -> pd.DataFrame:
    """Signer separability of each system's vectors on the hold frames of the ``partition`` signers
    (:func:`fslib.teachers.analysis.signer_separability`)."""
    from ..teachers.analysis import frame_vectors, signer_separability

    frames = frames[frames["partition"] == partition].reset_index(drop=True)
    return signer_separability({n: frame_vectors(f, frames) for n, f in systems.items()}, frames, partition)


def display_table(scores: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """A separability table for reading (:func:`fslib.teachers.analysis.separability_text`): each accuracy
    with its 95 % interval and, with ``reference``, each system's difference from it with the paired
    interval, as text."""
    from ..teachers.analysis import separability_text

    return separability_text(scores, key="system", reference=reference).rename_axis("features")


def difference_sentence(scores: pd.DataFrame, system: str, reference: str, what: str = "letter separability") -> str:
    """Whether ``system`` separates better than ``reference`` under each measure, judged by the paired
    bootstrap interval of the difference (from :func:`letter_scores` with that ``reference``)."""
    t = scores.set_index("system")
    parts = []
    for m in ("nearest_centroid", "linear_probe"):
        lo, hi = t.loc[system, f"{m}_vs_ref_lo"], t.loc[system, f"{m}_vs_ref_hi"]
        diff = t.loc[system, m] - t.loc[reference, m]
        if pd.isna(lo):
            verdict = "no interval: too few test signers"
        elif lo > 0:
            verdict = "higher, beyond the 95 % interval"
        elif hi < 0:
            verdict = "lower, beyond the 95 % interval"
        else:
            verdict = "within the 95 % interval"
        parts.append(f"{m.replace('_', '-')} {diff:+.3f} ({verdict})")
    return f"{system} minus {reference}, {what}: " + "; ".join(parts) + "."


# ------------------------------------------------------------------------------- the embedding page's steps
def students(
    exp: Any, rows: Mapping[str, tuple[str, str]], seeds: Sequence[int]
) -> dict[int, dict[str, StudentFeatures]]:
    """seed -> name -> the :class:`StudentFeatures` of the row ``(variant, teacher)`` of ``rows`` (name ->
    row), trained at that seed by :class:`~fslib.recognizer.experiment.Experiment` ``exp`` (or loaded from
    the cache: the same runs as the ablation page's)."""
    return {
        s: {
            name: StudentFeatures(exp.train(exp.row_config(v, t, s)).model, exp.store, name)
            for name, (v, t) in rows.items()
        }
        for s in seeds
    }


def with_teacher(systems: Mapping[int, Mapping[str, Any]], name: str, features: Any) -> dict[int, dict[str, Any]]:
    """Each seed's systems (seed -> name -> features, from :func:`students`) with the teacher's ``features``
    added under ``name``."""
    return {s: {**by_name, name: features} for s, by_name in systems.items()}


def _by_seed(score, systems: Mapping[int, Mapping[str, Any]], *args: Any) -> pd.DataFrame:
    return pd.concat([score(by_name, *args).assign(seed=s) for s, by_name in systems.items()], ignore_index=True)


def letter_scores_by_seed(
    systems: Mapping[int, Mapping[str, Any]], frames: pd.DataFrame, reference: str
) -> pd.DataFrame:
    """:func:`letter_scores` of each seed's systems (seed -> name -> features), one table with a ``seed``
    column, seeds in the order of ``systems``."""
    return _by_seed(letter_scores, systems, frames, reference)


def signer_scores_by_seed(systems: Mapping[int, Mapping[str, Any]], frames: pd.DataFrame) -> pd.DataFrame:
    """:func:`signer_scores` of each seed's systems, one table with a ``seed`` column."""
    return _by_seed(signer_scores, systems, frames)


def first_seed(scores: pd.DataFrame) -> pd.DataFrame:
    """The rows of the first seed of a ``..._by_seed`` table."""
    return scores[scores["seed"] == scores["seed"].iloc[0]]


def letter_summary(letters: pd.DataFrame) -> str:
    """What the first seed's letter scores rest on: chance, the majority letter's share, test frames and
    signers (from :func:`letter_scores_by_seed`)."""
    first = first_seed(letters)
    return (
        f"seed {first['seed'].iloc[0]}; chance {first['chance'].iloc[0]:.3f}, majority letter "
        f"{first['majority'].iloc[0]:.3f}, {int(first['test_frames'].iloc[0])} test frames of "
        f"{int(first['test_groups'].iloc[0])} signers"
    )


def signer_summary(signers: pd.DataFrame) -> str:
    """What the first seed's signer scores rest on (from :func:`signer_scores_by_seed`)."""
    first = first_seed(signers)
    return (
        f"seed {first['seed'].iloc[0]}; {int(first['signers'].iloc[0])} signers, chance "
        f"{first['chance'].iloc[0]:.3f}; intervals from a bootstrap over {int(first['test_sequences'].iloc[0])} "
        "held-out clips"
    )


def seed_spread(scores: pd.DataFrame) -> pd.DataFrame:
    """Each system's separability over the seeds of a ``..._by_seed`` table: mean and s.d. of both measures."""
    return scores.groupby("system")[["nearest_centroid", "linear_probe"]].agg(["mean", "std"]).round(3)


def difference_sentences(letters: pd.DataFrame, system: str, reference: str) -> str:
    """:func:`difference_sentence` of ``system`` against ``reference`` at each seed, one "seed k: " line each."""
    return "\n".join(
        f"seed {s}: " + difference_sentence(letters[letters["seed"] == s], system, reference)
        for s in letters["seed"].unique()
    )
