"""Training data of the recognizer: cached crops, their labels and the teacher's vectors, frame-aligned.

:class:`RecognizerData` wraps a :class:`~fslib.preprocess.dataset.CropDataset` (label checks against the
alphabet) and a teacher's :class:`~fslib.teachers.FeatureStore` (vectors of the same crop cache). Each item
holds the kept frames (every ``subsample``-th, random phase in training, then an optional temporal speed
change) and the teacher vectors of exactly those frames.

Bad input, each counted in :attr:`RecognizerData.skipped` (filename -> reason) or raised:
- a label outside the alphabet: skipped (CropDataset's rule);
- a label CTC cannot emit in the clip (more letters, counting a blank between repeated letters, than kept
  frames): skipped, reason ``ctc_too_short``;
- an empty clip: skipped, ``empty_clip``;
- a teacher cache made from other crops, or whose frame count differs from the crops': :class:`DataError`.

With ``pose=True`` each item also holds ``pose`` (T, 64): the crop store's MediaPipe landmarks of the signing
hand in each kept frame (:func:`pose_vectors`), for the two-stream model (``RecognizerConfig.pose_hidden``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..alphabet import Alphabet
from ..preprocess.dataset import CropDataset, LengthBucketSampler

SKIP_REASONS = {
    "label_outside_alphabet": "left out: the label has characters outside the alphabet",
    "ctc_too_short": "left out: the clip has fewer kept frames than CTC needs for its label",
    "empty_clip": "left out: the clip has no frame",
}


class DataError(ValueError):
    """Training data that cannot be used as given (names the input and what to do)."""


def nested_subset(n: int, fraction: float) -> list[int]:
    """Positions (sorted) of the first ``fraction`` (at least one) of ``n`` items in one fixed shuffled order
    (seed 0): a smaller share is a subset of a larger one, whatever the share (learning curves)."""
    if fraction >= 1.0:
        return list(range(n))
    order = np.random.default_rng(0).permutation(n)
    return sorted(order[: max(1, round(fraction * n))].tolist())


POSE_DIM = 21 * 3 + 1


def pose_vectors(meta: dict) -> np.ndarray:
    """(T, 64) float32 per frame from a crop store entry's metadata: the 21 landmarks of the signing hand in
    the coordinates of its crop (x, y in [0, 1] across the crop's box, z scaled by the box side; mirrored with
    the crop when the crop is), then 1 where MediaPipe detected the hand in that frame; frames without a
    detection are all zeros. The crop augmentation of training is not applied to them."""
    lm = np.asarray(meta["landmarks"], np.float64)  # (T, 21, 3) frame pixels, NaN where not detected
    boxes = np.asarray(meta["boxes"], np.float64)  # (T, 4) the crop boxes
    side = np.maximum(boxes[:, 2] - boxes[:, 0], 1e-6)[:, None]
    x = (lm[..., 0] - boxes[:, None, 0]) / side
    y = (lm[..., 1] - boxes[:, None, 1]) / side
    if bool(meta.get("mirrored", False)):
        x = 1.0 - x
    z = lm[..., 2] / side
    seen = ~np.isnan(lm).any(axis=(1, 2))
    out = np.concatenate([np.stack([x, y, z], -1).reshape(len(lm), -1), seen[:, None].astype(np.float64)], 1)
    out[~seen] = 0.0
    return out.astype(np.float32)


def ctc_min_frames(target: Sequence[int]) -> int:
    """Frames CTC needs to emit ``target``: one per letter plus a blank between equal neighbours."""
    return len(target) + sum(1 for a, b in zip(target, target[1:]) if a == b)


@dataclasses.dataclass
class TeacherStats:
    """Per-dimension mean and s.d. of a teacher's non-empty vectors on the training split."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def of(cls, features: Any, filenames: Iterable[str]) -> TeacherStats:
        vecs = [features.vectors(f) for f in filenames]
        x = np.concatenate(vecs) if vecs else np.zeros((0, features.dim), np.float32)
        x = x[np.any(x != 0, axis=1)]
        if len(x) == 0:
            raise DataError(
                f"teacher {features.teacher.name}: no training frame has a vector "
                f"(features in {features.root}); choose another teacher or check the crops"
            )
        return cls(x.mean(0).astype(np.float32), (x.std(0) + 1e-6).astype(np.float32))


class RecognizerData(torch.utils.data.Dataset):
    """One split of crops + labels (+ teacher vectors).

    store: a :class:`~fslib.preprocess.CropStore`; partitions: e.g. ("train",); features: a teacher's
    FeatureStore on the same store, or None; teacher_norm: 'center' (minus the mean of ``stats``, computed on
    this split when not given), 'standardize' (also divided by the per-dimension s.d.) or 'none'. fraction: keep
    only this share of the usable sequences (the first of one fixed shuffled order, so a smaller share is a subset
    of a larger one; for learning curves). train: random subsampling phase
    and speed change; speed: (low, high) factor range (>1 = faster, fewer frames). seed: the random stream
    (call :meth:`set_epoch` so every epoch draws anew yet reproducibly).
    """

    def __init__(
        self,
        store: Any,
        alphabet: Alphabet,
        partitions: Sequence[str],
        *,
        features: Any = None,
        subsample: int = 1,
        max_frames: int = 0,
        train: bool = False,
        speed: tuple[float, float] = (1.0, 1.0),
        teacher_norm: str = "center",
        stats: TeacherStats | None = None,
        seed: int = 0,
        fraction: float = 1.0,
        pose: bool = False,
    ):
        if teacher_norm not in ("standardize", "center", "none"):
            raise ValueError(f"teacher_norm={teacher_norm!r}: use 'standardize', 'center' or 'none'")
        self.crops = CropDataset(
            store,
            alphabet,
            partitions=partitions,
            subsample=subsample,
            max_frames=max_frames or None,
            random_phase=train,
        )
        self.store, self.alphabet, self.features, self.train = store, alphabet, features, train
        self.pose = pose
        self.subsample, self.speed, self.seed, self.epoch = subsample, tuple(speed), seed, 0
        self.skipped: dict[str, str] = {fn: "label_outside_alphabet" for fn in self.crops.skipped}
        if features is not None:
            self._check_features(features, store)
        keep = []
        for i, (fn, target) in enumerate(self.crops.items):
            n = self.crops.lengths()[i]
            if n == 0:
                self.skipped[fn] = "empty_clip"
            elif n < ctc_min_frames(target):
                self.skipped[fn] = "ctc_too_short"
            else:
                keep.append(i)
        keep = [keep[j] for j in nested_subset(len(keep), fraction)]
        self.crops.items = [self.crops.items[i] for i in keep]
        self.crops._lengths = None
        self.teacher_norm = teacher_norm
        self.stats = None
        if features is not None and teacher_norm != "none":
            self.stats = stats or TeacherStats.of(features, self.filenames)

    # ------------------------------------------------------------------------------------------ checks
    def _check_features(self, features: Any, store: Any) -> None:
        if Path(features.store.root).resolve() != Path(store.root).resolve():
            raise DataError(
                f"teacher cache {features.root} was made from the crops in {features.store.root}, "
                f"not from {store.root}; extract the teacher on these crops "
                "(fslib.teachers.teacher_features(store, teacher))"
            )
        missing = [fn for fn, _ in self.crops.items if not features.has(fn)]
        if missing:
            raise DataError(
                f"teacher {features.teacher.name} has no vectors for {len(missing)} sequence(s), e.g. "
                f"{missing[0]!r}; run teacher_features(store, teacher) on the whole store"
            )

    # ------------------------------------------------------------------------------------------- items
    @property
    def filenames(self) -> list[str]:
        return [fn for fn, _ in self.crops.items]

    def __len__(self) -> int:
        return len(self.crops.items)

    def lengths(self) -> list[int]:
        return self.crops.lengths()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _rng(self, i: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, self.epoch, i]))

    def indices(self, i: int, T: int) -> np.ndarray:
        """The frame indices item ``i`` (of ``T`` frames) uses this epoch."""
        _, target = self.crops.items[i]
        rng = self._rng(i)
        phase = int(rng.integers(self.subsample)) if self.train and self.subsample > 1 else 0
        idx = self.crops._indices(T, phase)
        if len(idx) < ctc_min_frames(target):
            idx = self.crops._indices(T, 0)
        if self.train and self.speed != (1.0, 1.0):
            factor = float(np.exp(rng.uniform(np.log(self.speed[0]), np.log(self.speed[1]))))
            n = min(max(int(round(len(idx) / factor)), ctc_min_frames(target)), T)
            idx = np.round(np.linspace(idx[0], T - 1, n)).astype(int)
        return idx

    def __getitem__(self, i: int) -> dict:
        fn, target = self.crops.items[i]
        arr = self.store.load(fn)
        idx = self.indices(i, arr.shape[0])
        item = dict(
            frames=torch.from_numpy(np.ascontiguousarray(arr[idx])),
            target=torch.tensor(target),
            length=len(idx),
            filename=fn,
        )
        if self.pose:
            item["pose"] = torch.from_numpy(pose_vectors(self.store.meta(fn))[idx])
        if self.features is not None:
            vec = self.features.vectors(fn)
            if len(vec) != arr.shape[0]:
                raise DataError(
                    f"teacher {self.features.teacher.name}: {fn!r} has {len(vec)} vectors for "
                    f"{arr.shape[0]} crops; the teacher cache is stale, delete {self.features.root}"
                )
            v = vec[idx]
            has = np.any(v != 0, axis=1)
            if self.stats is not None:
                v = v - self.stats.mean
                if self.teacher_norm == "standardize":
                    v = v / self.stats.std
            v[~has] = 0.0
            item["teacher"] = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
            item["teacher_mask"] = torch.from_numpy(has)
        return item


def collate(batch: list[dict]) -> dict:
    """Pad to the longest item: ``frames`` uint8 (B, T, S, S, 3), ``lengths`` (B,), ``targets`` (sum L,),
    ``target_lengths`` (B,), ``filenames``; with a teacher also ``teacher`` (B, T, D) and ``teacher_mask``
    (B, T) bool (False on padding and on frames without a vector)."""
    B, T = len(batch), max(b["length"] for b in batch)
    frames = torch.zeros((B, T, *batch[0]["frames"].shape[1:]), dtype=torch.uint8)
    for k, b in enumerate(batch):
        frames[k, : b["length"]] = b["frames"]
    out = dict(
        frames=frames,
        lengths=torch.tensor([b["length"] for b in batch], dtype=torch.long),
        targets=torch.cat([b["target"] for b in batch]).long(),
        target_lengths=torch.tensor([len(b["target"]) for b in batch], dtype=torch.long),
        filenames=[b["filename"] for b in batch],
    )
    if "teacher" in batch[0]:
        D = batch[0]["teacher"].shape[1]
        teacher = torch.zeros((B, T, D))
        tmask = torch.zeros((B, T), dtype=torch.bool)
        for k, b in enumerate(batch):
            teacher[k, : b["length"]] = b["teacher"]
            tmask[k, : b["length"]] = b["teacher_mask"]
        out.update(teacher=teacher, teacher_mask=tmask)
    if "pose" in batch[0]:
        pose = torch.zeros((B, T, batch[0]["pose"].shape[1]))
        for k, b in enumerate(batch):
            pose[k, : b["length"]] = b["pose"]
        out["pose"] = pose
    return out


def loader(data: RecognizerData, batch_size: int, *, shuffle: bool, seed: int = 0) -> torch.utils.data.DataLoader:
    """A DataLoader with length-bucketed batches (less padding); in this process (crops are memory-mapped
    uint8, so loading costs little next to the backbone)."""
    sampler = LengthBucketSampler(data.lengths(), batch_size, shuffle=shuffle, seed=seed)
    return torch.utils.data.DataLoader(data, batch_sampler=sampler, collate_fn=collate, num_workers=0)


def skip_report(*datasets: RecognizerData) -> dict[str, dict[str, Any]]:
    """kind -> {count, action, examples} over the given splits."""
    out: dict[str, dict[str, Any]] = {}
    for d in datasets:
        for fn, kind in d.skipped.items():
            row = out.setdefault(kind, {"count": 0, "action": SKIP_REASONS[kind], "examples": []})
            row["count"] += 1
            if len(row["examples"]) < 3:
                row["examples"].append(fn)
    return out
