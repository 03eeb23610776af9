"""Run a trained recognizer over a split: decoded strings beside the references, and the split's metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from . import decode
from .data import RecognizerData, loader
from .metrics import accuracies
from .model import Recognizer, to_input


@torch.no_grad()
def predict(
    model: Recognizer,
    data: RecognizerData,
    *,
    batch_size: int = 16,
    beam: int = 0,
    stage: str = "gru",
    device: str | torch.device = "cpu",
) -> pd.DataFrame:
    """One row per sequence of ``data``: filename, signer, partition, reference, hypothesis (greedy, or
    prefix beam search of width ``beam`` when > 0), frames. ``stage``: which classifier decodes ('gru', the
    recognizer's output, or 'cnn', the 1D-CNN's)."""
    was_training = model.training
    model.eval()
    seqs = data.store.sequences
    targets = dict(data.crops.items)
    rows = []
    for batch in loader(data, batch_size, shuffle=False):
        B, T = batch["frames"].shape[:2]
        images = to_input(batch["frames"].flatten(0, 1), model.cfg.input_size).unflatten(0, (B, T)).to(device)
        pose = batch["pose"].to(device) if "pose" in batch else None
        out = model(images, batch["lengths"].to(device), pose)
        logp = out[f"{stage}_logits"].float().log_softmax(-1).cpu().numpy()
        for k, fn in enumerate(batch["filenames"]):
            n = int(batch["lengths"][k])
            ids = decode.beam_search(logp[k, :n], beam) if beam > 0 else decode.greedy(logp[k, :n])
            s = seqs[fn]
            rows.append(
                {
                    "filename": fn,
                    "signer": s.signer,
                    "partition": s.partition,
                    "reference": data.alphabet.decode(targets[fn]),
                    "hypothesis": data.alphabet.decode(ids),
                    "frames": n,
                }
            )
    model.train(was_training)
    order = {fn: i for i, fn in enumerate(data.filenames)}
    return pd.DataFrame(rows).sort_values("filename", key=lambda c: c.map(order)).reset_index(drop=True)


def split_metrics(pred: pd.DataFrame) -> dict[str, Any]:
    """Letter accuracy in both conventions and the number of sequences of a :func:`predict` table."""
    return {**accuracies(list(pred["reference"]), list(pred["hypothesis"])), "sequences": len(pred)}


def decoded_examples(pred: pd.DataFrame, n: int = 10, seed: int = 0) -> pd.DataFrame:
    """``n`` rows of a prediction table (spread over signers), with each row's edit errors."""
    from rapidfuzz.distance import Levenshtein

    rng = np.random.default_rng(seed)
    take = pred.iloc[np.sort(rng.choice(len(pred), size=min(n, len(pred)), replace=False))].copy()
    take["errors"] = [Levenshtein.distance(r, h) for r, h in zip(take["reference"], take["hypothesis"])]
    return take[["signer", "reference", "hypothesis", "errors"]].reset_index(drop=True)
