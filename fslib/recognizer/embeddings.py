"""The student's per-frame features, read like a teacher's: what the embedding page plots and scores.

:class:`StudentFeatures` runs a trained recognizer's ResNet34 over the crops of one sequence at a time and
returns the per-frame backbone features (the vectors the distillation loss pulls towards the teacher,
before the projection), with the ``vectors(filename)`` interface of a teacher's
:class:`~fslib.teachers.FeatureStore`, so :func:`fslib.teachers.analysis.letter_separability` and
:func:`~fslib.teachers.analysis.umap_grid` read students and teachers alike.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

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
            parts = [self.model.encode_frames(to_input(crops[i:i + self.batch_size], self.model.cfg.input_size))
                     for i in range(0, len(crops), self.batch_size)]
            self.model.train(was_training)
            self._cache[filename] = torch.cat(parts).float().numpy() if parts else \
                np.zeros((0, self.model.backbone.out_dim), np.float32)
        return self._cache[filename]

    @property
    def dim(self) -> int:
        return int(self.model.backbone.out_dim)


# ------------------------------------------------------------------------------- the embedding page's scores
def letter_scores(systems: Mapping[str, Any], frames: pd.DataFrame, reference: str,
                  train_partitions: Sequence[str] = ("train", "dev"), test_partition: str = "test") -> pd.DataFrame:
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
