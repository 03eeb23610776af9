"""What the student's encoder can learn from this data when it is told the answer for every frame.

The recognizer learns from word labels only (CTC): it must find out by itself which frames show which letter.
On a synthetic corpus the generator knows, for every frame, which letter the hand is holding (the
ground-truth ``letters`` sidecar; transitions are marked -1). :func:`frame_ceiling` trains the recognizer's
own per-frame encoder (the ResNet34 of the same width, from scratch, with the recognizer's augmentation)
plus one linear layer to classify the *held* frames of the training signers, and scores held frames of the
unseen test signers, for nested fractions of the training sequences and for several input sizes.

It answers two questions a reader of a recognizer that barely learns has: is the visual task learnable at
all from this many signers, and does accuracy grow with data or with resolution? With exact per-frame labels
it is an optimistic bound on what the encoder alone extracts, not a bound on the recognizer's letter accuracy
(which also depends on segmentation by CTC, and is scored on strings, not frames).

Real corpora carry no per-frame letters: :func:`held_frames` raises a clear error for them.

Every run goes through the study's training loop (:func:`fslib.training.fit`; the epoch is selected on the
dev signers' held frames) and is cached under ``cache_dir()/ceiling/<key>/`` (``result.json``), the key
hashing the crop cache, the settings and this code.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..cache import cache_key, write_json_atomic
from ..paths import cache_dir
from ..progress import tqdm
from ..training import fit, warmup_cosine

CODE = [
    "fslib.recognizer.ceiling",
    "fslib.recognizer.backbones",
    "fslib.recognizer.augment",
    "fslib.recognizer.model",
    "fslib.recognizer.config",
    "fslib.recognizer.data",
    "fslib.recognizer.heads",
    "fslib.alphabet",
    "fslib.training",
]


class NoFrameLabels(ValueError):
    """The corpus has no per-frame letter labels (only synthetic corpora do)."""


@dataclasses.dataclass
class HeldFrames:
    """Held frames of one split: ``images`` uint8 (N, S, S, 3), ``labels`` (N,) 0-based letter indices of the
    alphabet, ``sequence`` (N,) index of the sequence each frame comes from (in ``filenames`` order)."""

    images: np.ndarray
    labels: np.ndarray
    sequence: np.ndarray
    filenames: list[str]


def held_frames(exp: Any, partition: str) -> HeldFrames:
    """The crops of ``exp``'s corpus (a :class:`~fslib.recognizer.experiment.Experiment`) in ``partition`` whose
    frame holds a letter of the alphabet, with that letter."""
    from ..synth.corpus import load_groundtruth

    if not exp.synthetic:
        raise NoFrameLabels(
            f"{exp.params.get('corpus_path')}: a real corpus has no per-frame letter labels; the encoder's ceiling "
            "is measured on synthetic corpora only"
        )
    store, alphabet = exp.store, exp.alphabet
    index = {s: i for i, s in enumerate(alphabet.symbols)}
    images, labels, seq, names = [], [], [], []
    for fn, s in store.sequences.items():
        if s.partition != partition or not store.has(fn):
            continue
        gt = load_groundtruth(exp.corpus.root, fn)
        crops = store.load(fn)
        letters, label = gt["letters"], gt["label"]
        keep = [t for t in range(min(len(letters), len(crops))) if letters[t] >= 0 and label[letters[t]] in index]
        if not keep:
            continue
        images.append(np.asarray(crops[keep]))
        labels.append(np.array([index[label[letters[t]]] for t in keep]))
        seq.append(np.full(len(keep), len(names)))
        names.append(fn)
    if not names:
        raise NoFrameLabels(f"no held frame in the {partition} split of {exp.corpus_name()}")
    return HeldFrames(np.concatenate(images), np.concatenate(labels), np.concatenate(seq), names)


def _subset(frames: HeldFrames, fraction: float) -> HeldFrames:
    """The held frames of the first ``fraction`` of the sequences in a fixed shuffled order (seed 0), so that
    smaller fractions are subsets of larger ones."""
    from .data import nested_subset

    keep_seq = set(nested_subset(len(frames.filenames), fraction))
    keep = np.array([s in keep_seq for s in frames.sequence])
    names = [frames.filenames[i] for i in sorted(keep_seq)]
    return HeldFrames(frames.images[keep], frames.labels[keep], frames.sequence[keep], names)


def _accuracy(model: nn.Module, frames: HeldFrames, size: int, batch: int = 256) -> float:
    from .model import to_input

    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(frames.labels), batch):
            x = to_input(torch.from_numpy(np.ascontiguousarray(frames.images[i : i + batch])), size)
            right += int((model(x).argmax(1).numpy() == frames.labels[i : i + batch]).sum())
    return right / max(1, len(frames.labels))


def train_frame_classifier(
    exp: Any,
    splits: dict[str, HeldFrames],
    *,
    fraction: float,
    input_size: int,
    width: int,
    epochs: int,
    batch_size: int = 64,
    lr: float = 3e-3,
    augment: tuple[float, float, float] = (0.1, 0.3, 20.0),
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """One run: the encoder + a linear layer on the held frames of ``fraction`` of the training sequences;
    returns (and caches) the dev-selected epoch's held-frame accuracy on dev and test."""
    from .augment import augment_images
    from .backbones import resnet34
    from .model import to_input

    train = _subset(splits["train"], fraction)
    settings = dict(
        fraction=fraction,
        input_size=input_size,
        width=width,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        augment=list(augment),
        seed=seed,
    )
    key = cache_key({"crops": str(Path(exp.store.root).resolve()), **settings}, code=CODE)
    folder = cache_dir() / "ceiling" / key
    done = folder / "result.json"
    if done.exists():
        return json.loads(done.read_text())
    torch.manual_seed(seed)
    n_classes = exp.alphabet.size - 1
    encoder = resnet34(width)
    model = nn.Sequential(encoder, nn.Linear(encoder.out_dim, n_classes))
    images = torch.from_numpy(np.ascontiguousarray(train.images))
    labels = torch.from_numpy(train.labels).long()
    steps = max(1, len(labels) // batch_size)

    def batches(rnd):
        perm = torch.randperm(len(labels), generator=rnd.torch)
        for k in range(steps):
            idx = perm[k * batch_size : (k + 1) * batch_size]
            x = to_input(images[idx], input_size)
            x = augment_images(x[:, None], *augment, generator=rnd.torch)[:, 0]
            yield x, labels[idx]

    def step(item):
        x, y = item
        return nn.functional.cross_entropy(model(x), y), {}, len(y)

    fitted = fit(
        model,
        batches=batches,
        step=step,
        steps_per_epoch=steps,
        epochs=epochs,
        lr=lr,
        weight_decay=1e-2,
        seed=seed,
        resume=folder / "resume.pt",
        evaluate=lambda: {"frame_accuracy": _accuracy(model, splits["dev"], input_size)},
        eval_prefix="dev",
        select="frame_accuracy",
        schedule=warmup_cosine(epochs * steps, round(0.05 * epochs * steps)),
        unit="frames",
        desc=f"encoder ceiling {fraction:.0%} of train, {input_size} px",
        progress=progress,
    )
    result = {
        **settings,
        "train_sequences": len(train.filenames),
        "train_frames": int(len(labels)),
        "best_epoch": fitted.best_epoch,
        "dev_frame_accuracy": fitted.best_value,
        "test_frame_accuracy": _accuracy(model, splits["test"], input_size),
        "train_seconds": fitted.seconds,
    }
    write_json_atomic(done, result)
    (folder / "resume.pt").unlink(missing_ok=True)
    return result


def frame_ceiling(
    exp: Any,
    *,
    fractions: Sequence[float] = (0.25, 0.5, 1.0),
    sizes: Sequence[int] = (32, 64),
    epochs: int = 12,
    width: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per (input size, fraction of the training sequences): the held-frame letter accuracy of the
    encoder trained with exact frame labels on dev and test signers, beside the majority letter's share of
    the test frames. ``width`` defaults to the page's recognizer width."""
    bad = [f for f in fractions if not 0 < f <= 1]
    if bad:
        raise ValueError(f"fractions={list(fractions)}: each must be in (0, 1]")
    if any(s < 16 for s in sizes):
        raise ValueError(f"sizes={list(sizes)}: ResNet34 needs inputs of at least 16 px")
    width = width or int(exp.params.get("width", 16))
    splits = {p: held_frames(exp, p) for p in ("train", "dev", "test")}
    majority = float(np.bincount(splits["test"].labels).max() / len(splits["test"].labels))
    runs = [(s, f) for s in sizes for f in sorted(fractions)]
    rows = []
    for size, frac in tqdm(runs, desc="encoder ceiling", disable=not progress):
        r = train_frame_classifier(
            exp, splits, fraction=frac, input_size=size, width=width, epochs=epochs, seed=seed, progress=progress
        )
        rows.append(
            {
                "input_size": size,
                "fraction": frac,
                "train_sequences": r["train_sequences"],
                "train_frames": r["train_frames"],
                "dev_frame_accuracy": r["dev_frame_accuracy"],
                "test_frame_accuracy": r["test_frame_accuracy"],
                "majority": majority,
                "train_seconds": r["train_seconds"],
            }
        )
    return pd.DataFrame(rows)


def ceiling_line(
    table: pd.DataFrame, recognizer_accuracy: float | Mapping[Any, Mapping[str, float]] | None = None
) -> str:
    """One computed sentence: the best held-frame accuracy, how it moves with data and with resolution, and the
    recognizer's letter accuracy beside it (different units: frames vs letters of strings). ``recognizer_accuracy``:
    a number, or the recognizer's test metrics per seed (their mean letter accuracy is shown)."""
    if isinstance(recognizer_accuracy, Mapping):
        recognizer_accuracy = float(np.mean([m["letter_accuracy"] for m in recognizer_accuracy.values()]))
    best = table.loc[table["test_frame_accuracy"].idxmax()]
    parts = [
        f"With exact per-frame labels the encoder reaches {best.test_frame_accuracy:.2f} held-frame accuracy on the "
        f"test signers ({int(best.input_size)} px, {int(best.train_sequences)} training sequences; the majority "
        f"letter is {best.majority:.2f})."
    ]
    for size, g in table.groupby("input_size"):
        g = g.sort_values("fraction")
        if len(g) > 1:
            lo, hi = g.iloc[0], g.iloc[-1]
            parts.append(
                f"At {int(size)} px it goes from {lo.test_frame_accuracy:.2f} with {int(lo.train_sequences)} "
                f"sequences to {hi.test_frame_accuracy:.2f} with {int(hi.train_sequences)}."
            )
    full = table[table["fraction"] == table["fraction"].max()]
    if full["input_size"].nunique() > 1:
        small, large = full.sort_values("input_size").iloc[[0, -1]].itertuples()
        parts.append(
            f"On all the training data, {int(large.input_size)} px gives {large.test_frame_accuracy:.2f} against "
            f"{small.test_frame_accuracy:.2f} at {int(small.input_size)} px."
        )
    if recognizer_accuracy is not None:
        parts.append(
            f"The recognizer, which sees only word labels, reaches {recognizer_accuracy:.2f} letter accuracy on the "
            "same test signers."
        )
    return " ".join(parts)
