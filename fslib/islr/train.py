"""Training and evaluation of the isolated-sign models through the study's one loop
(:func:`fslib.training.fit`: AdamW, model selection on validation top-1, per-epoch resumable state); this
module supplies the batches, the cross-entropy step and top-1 / top-5 scoring, and caches one result per
configuration and data.

A run lives in ``cache_dir()/islr/<key>/``; the key hashes the :class:`IslrConfig` (seed included), a
digest of the prepared clips and labels, and the code of this package. ``resume.pt`` is written atomically
after every epoch (weights, optimiser, history, best weights, the random state); ``model.pt`` and
``report.json`` when the run is finished, so a finished run is loaded, not retrained, and an interrupted
one continues from its last finished epoch with the same result as an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..cache import atomic_path, cache_key, write_json_atomic
from ..config import as_dict, build_config
from ..paths import cache_dir
from ..training import fit
from .augment import AugmentConfig, augment
from .data import collate
from .models import ModelConfig, build_model

# What a trained run depends on (its cache key; the prepared clips enter through their digest): the pages'
# helpers, the corpus generator and the extraction are left out, so editing them does not retrain.
CODE = [
    "fslib.islr.train",
    "fslib.islr.models",
    "fslib.islr.video_models",
    "fslib.islr.augment",
    "fslib.islr.data",
    "fslib.training",
]


@dataclasses.dataclass(frozen=True)
class IslrConfig:
    """One training run. kind, hidden, layers, heads, dropout: the model (:class:`ModelConfig`);
    normalization, source: the strategy and the source (``text`` or ``code``, :mod:`fslib.islr.source`) the
    clips were prepared with (recorded, and part of the key); epochs,
    batch_size, lr, weight_decay: AdamW as in the source (1e-3, 1e-3, batch 8); jitter, scale, frame_dropout,
    augment_order: augmentation (:class:`AugmentConfig`, off by default); model_style: the networks as the
    text describes them or as the authors' code builds them (:class:`ModelConfig`); optimizer, clip, select,
    plateau, early_stop: the training recipe (the text's: AdamW, a fixed number of epochs, the best validation
    top-1 kept; the authors' PoseTransformer notebook: Adam, clipping, reduce-on-plateau and early stopping on
    the validation loss, see :data:`fslib.islr.source.CODE_TRANSFORMER_RECIPE`); seed."""

    kind: str = "bilstm"
    hidden: int = 256
    layers: int = 2
    heads: int = 4
    dropout: float = 0.0
    normalization: str = "per_frame"
    source: str = "text"
    model_style: str = "text"
    epochs: int = 20
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-3
    jitter: float = 0.0
    scale: tuple[float, float] = (1.0, 1.0)
    frame_dropout: float = 0.0
    augment_order: str = "scale_first"
    optimizer: str = "adamw"
    clip: float = 0.0  # gradient-norm clipping (0: none)
    select: str = "top1"  # validation metric that picks the epoch kept: "top1" (higher) or "loss" (lower)
    plateau: tuple[float, int] = (0.0, 0)  # reduce-on-plateau (factor, epochs) on `select`; factor 0: none
    early_stop: int = 0  # stop after this many epochs without a better `select` (0: never)
    streams: str = "pose"  # "video" or "video+pose": the source's proposed system (fslib.islr.video_models)
    frame_size: int = 0  # side of the grayscale frames the video stream reads
    seed: int = 0

    def model_config(self, in_dim: int, classes: int) -> ModelConfig:
        return ModelConfig(
            self.kind,
            in_dim,
            classes,
            self.hidden,
            self.layers,
            self.heads,
            self.dropout,
            self.model_style,
            self.streams,
            self.frame_size,
        )

    def augment_config(self) -> AugmentConfig:
        return AugmentConfig(self.jitter, tuple(self.scale), self.frame_dropout, self.augment_order)


def make_config(overrides: Mapping[str, Any] | None = None, **more: Any) -> IslrConfig:
    """:class:`IslrConfig` from overrides; unknown keys rejected."""
    return build_config(IslrConfig, overrides, **more)


@dataclasses.dataclass
class Split:
    """Prepared clips of one split: ``clips`` list of ``(T_i, D)`` float32, ``labels`` class indices."""

    clips: list[np.ndarray]
    labels: list[int]

    def digest(self) -> str:
        h = hashlib.sha256()
        for c, y in zip(self.clips, self.labels):
            h.update(np.ascontiguousarray(c).tobytes())
            h.update(str(y).encode())
        return h.hexdigest()


def topk_accuracy(logits: torch.Tensor, labels: torch.Tensor, ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Share of clips whose label is among the ``k`` highest logits, for each k (k capped at the classes)."""
    out = {}
    for k in ks:
        top = logits.topk(min(k, logits.shape[1]), dim=1).indices
        out[f"top{k}"] = float((top == labels[:, None]).any(1).float().mean()) if len(labels) else float("nan")
    return out


@torch.no_grad()
def evaluate(model: torch.nn.Module, split: Split, batch_size: int = 64) -> dict[str, float]:
    """Top-1 and top-5 accuracy of ``model`` on a split."""
    model.eval()
    logits, labels = [], []
    for s in range(0, len(split.clips), batch_size):
        x, lengths, y = collate(split.clips[s : s + batch_size], split.labels[s : s + batch_size])
        logits.append(model(x, lengths))
        labels.append(y)
    logits, labels = torch.cat(logits), torch.cat(labels)
    return {**topk_accuracy(logits, labels), "loss": float(torch.nn.functional.cross_entropy(logits, labels))}


@dataclasses.dataclass
class IslrResult:
    """A finished run: the selected model (eval mode), its report (config, history, best epoch, val and test
    accuracy, seconds) and its cache folder."""

    model: torch.nn.Module
    report: dict[str, Any]
    folder: Path


def run_dir(cfg: IslrConfig, data: Mapping[str, Split], classes: int) -> Path:
    ident = {"config": as_dict(cfg), "classes": classes, "data": {k: v.digest() for k, v in sorted(data.items())}}
    return cache_dir() / "islr" / cache_key(ident, code=CODE)


def train(cfg: IslrConfig, data: Mapping[str, Split], classes: int, progress: bool = True) -> IslrResult:
    """Train (or load, or resume) one run on ``data`` {"train", "val", and optionally "test"}."""
    for need in ("train", "val"):
        if need not in data or not data[need].clips:
            raise ValueError(f"islr.train: the {need!r} split is empty; the corpus has no usable clip there")
    folder = run_dir(cfg, data, classes)
    folder.mkdir(parents=True, exist_ok=True)
    in_dim = data["train"].clips[0].shape[1]
    model = build_model(cfg.model_config(in_dim, classes))
    final, report_path = folder / "model.pt", folder / "report.json"
    if final.exists() and report_path.exists():
        model.load_state_dict(torch.load(final, map_location="cpu", weights_only=True))
        return IslrResult(model.eval(), json.loads(report_path.read_text()), folder)

    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model_config(in_dim, classes))
    train_split, aug = data["train"], cfg.augment_config()
    n = len(train_split.clips)

    def batches(rnd):
        """The epoch's clips in a random order, augmented, in batches of ``batch_size``."""
        order = rnd.numpy.permutation(n)
        for s in range(0, n, cfg.batch_size):
            idx = order[s : s + cfg.batch_size]
            yield collate(
                [augment(train_split.clips[i], aug, rnd.numpy) for i in idx], [train_split.labels[i] for i in idx]
            )

    def step(batch):
        x, lengths, y = batch
        return torch.nn.functional.cross_entropy(model(x, lengths), y), {}, len(y)

    fitted = fit(
        model,
        batches=batches,
        step=step,
        steps_per_epoch=-(-n // cfg.batch_size),
        epochs=cfg.epochs,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        seed=cfg.seed,
        resume=folder / "resume.pt",
        evaluate=lambda: evaluate(model, data["val"]),
        eval_prefix="val",
        select=cfg.select,
        select_mode="min" if cfg.select == "loss" else "max",
        optimizer=cfg.optimizer,
        clip=cfg.clip or None,
        plateau=tuple(cfg.plateau) if cfg.plateau[0] > 0 else None,
        patience=cfg.early_stop or None,
        unit="clips",
        desc=f"ISLR {cfg.kind} ({cfg.normalization})",
        progress=progress,
    )
    model.eval()
    history, best_epoch, seconds = fitted.history, fitted.best_epoch, fitted.seconds
    report = {
        "config": as_dict(cfg),
        "classes": classes,
        "history": history,
        "best_epoch": best_epoch,
        "val": evaluate(model, data["val"]),
        "train_seconds": seconds,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    if "test" in data and data["test"].clips:
        report["test"] = evaluate(model, data["test"])
    with atomic_path(final) as tmp:
        torch.save(model.state_dict(), tmp)
    write_json_atomic(report_path, report)
    (folder / "resume.pt").unlink(missing_ok=True)
    return IslrResult(model, json.loads(report_path.read_text()), folder)  # as a cached load returns it
