"""The study's trained recognizer as a file a reader can use without training.

Page 04 trains the full model at every seed; :func:`save_study_model` keeps the seed with the best dev letter
accuracy (the selection rule the training loop itself uses for epochs) as ``<out_dir>/models/recognizer.pt``:
the checkpoint format of :func:`fslib.recognizer.train.save_checkpoint` (network configuration, alphabet,
weights) plus a ``provenance`` block (profile, corpus, teacher, run id, dev and test letter accuracy), so
that `fslib recognize` can say what it is running. :func:`load_study_model` reads it back and checks it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ..cache import atomic_path

MODEL_FILE = Path("models") / "recognizer.pt"


def model_path(out_dir: str | os.PathLike) -> Path:
    """Where a study run keeps its trained recognizer."""
    return Path(out_dir) / MODEL_FILE


def best_seed(runs: Mapping[int, Any]) -> int:
    """The seed whose run has the best dev letter accuracy (ties: the first seed listed)."""
    if not runs:
        raise ValueError("no trained runs to choose a model from")
    return max(
        runs, key=lambda s: (runs[s].report.get("best_dev_letter_accuracy", float("-inf")), -list(runs).index(s))
    )


def save_study_model(
    runs: Mapping[int, Any],
    out_dir: str | os.PathLike,
    *,
    provenance: Mapping[str, Any],
    test_accuracy: Mapping[int, float] | None = None,
) -> Path:
    """Copy the best-dev run of ``runs`` (seed -> TrainResult) to ``<out_dir>/models/recognizer.pt`` with a
    ``provenance`` block; returns the path."""
    seed = best_seed(runs)
    run = runs[seed]
    payload = torch.load(Path(run.folder) / "model.pt", map_location="cpu", weights_only=False)
    payload["provenance"] = {
        **dict(provenance),
        "run_id": run.run_id,
        "seed": seed,
        "selected_by": f"best dev letter accuracy of the seeds {list(runs)}",
        "dev_letter_accuracy": run.report.get("best_dev_letter_accuracy"),
        "test_letter_accuracy": None if test_accuracy is None else test_accuracy.get(seed),
    }
    path = model_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def describe(path: str | os.PathLike) -> str:
    """One line on a saved study model: what it was trained on and how well it did."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    p = payload.get("provenance", {})
    acc = p.get("test_letter_accuracy")
    cfg = payload["config"]
    return (
        f"{Path(path).name}: run {p.get('run_id', '?')} of the {p.get('profile', '?')} profile, "
        f"{payload['alphabet']['name']} alphabet, {cfg['input_size']} px crops, 1 frame in {cfg['subsample']}"
        + (f", test letter accuracy {acc:.3f}" if acc is not None else "")
        + (f"; corpus: {p['corpus']}" if p.get("corpus") else "")
    )
