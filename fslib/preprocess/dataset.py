"""PyTorch access to the crop cache: a Dataset (no image decoding), a collate function and a length-bucketing
batch sampler."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch

from ..alphabet import Alphabet
from .store import CropStore


class CropDataset(torch.utils.data.Dataset):
    """Sequences of cached crops with their encoded labels.

    Each item is a dict: ``frames`` uint8 tensor (T', S, S, 3) RGB; ``target`` int64 (L,) label indices
    (1-based, 0 is the CTC blank); ``length`` T'; ``filename``. T' = frames kept after subsampling: every
    ``subsample``-th frame (with a random phase when ``random_phase``, else phase 0), then at most
    ``max_frames`` (evenly spaced) when given.

    partitions: keep only these CSV partitions (e.g. ``("train",)``); None keeps all.
    bad_labels: what to do with labels outside the alphabet: 'skip' (left out, counted in
    ``self.skipped``) or 'strip' (the outside characters are removed; left out if nothing remains).
    """

    def __init__(
        self,
        store: CropStore,
        alphabet: Alphabet | None = None,
        *,
        partitions: Iterable[str] | None = None,
        filenames: Iterable[str] | None = None,
        subsample: int = 1,
        max_frames: int | None = None,
        random_phase: bool = False,
        bad_labels: str = "skip",
        seed: int = 0,
    ):
        if bad_labels not in ("skip", "strip"):
            raise ValueError(f"bad_labels={bad_labels!r}: use 'skip' or 'strip'")
        if subsample < 1:
            raise ValueError(f"subsample={subsample}: keep every k-th frame with k >= 1")
        self.store = store
        self.alphabet = alphabet or store.corpus.alphabet
        self.subsample, self.max_frames, self.random_phase = subsample, max_frames, random_phase
        self.rng = np.random.default_rng(seed)
        seqs = store.sequences
        wanted = set(filenames) if filenames is not None else None
        parts = set(partitions) if partitions is not None else None
        self.items: list[tuple[str, list[int]]] = []
        self.skipped: dict[str, str] = {}
        for fn in store.filenames:
            s = seqs[fn]
            if (wanted is not None and fn not in wanted) or (parts is not None and s.partition not in parts):
                continue
            label = s.label
            if self.alphabet.invalid(label):
                if bad_labels == "skip":
                    self.skipped[fn] = f"label {label!r} outside the {self.alphabet.name} alphabet"
                    continue
                label = "".join(ch for ch in label if ch in self.alphabet)
                if not label:
                    self.skipped[fn] = "label empty after removing characters outside the alphabet"
                    continue
            self.items.append((fn, self.alphabet.encode(label)))
        self._lengths = None

    def __len__(self) -> int:
        return len(self.items)

    def _indices(self, T: int, phase: int = 0) -> np.ndarray:
        idx = np.arange(min(phase, T - 1), T, self.subsample)
        if self.max_frames and len(idx) > self.max_frames:
            idx = idx[np.linspace(0, len(idx) - 1, self.max_frames).round().astype(int)]
        return idx

    def lengths(self) -> list[int]:
        """Frames per item after subsampling (phase 0), for length bucketing; reads only array headers."""
        if self._lengths is None:
            self._lengths = [len(self._indices(self.store.load(fn).shape[0])) for fn, _ in self.items]
        return self._lengths

    def __getitem__(self, i: int) -> dict:
        fn, target = self.items[i]
        arr = self.store.load(fn)
        phase = int(self.rng.integers(self.subsample)) if self.random_phase and self.subsample > 1 else 0
        idx = self._indices(arr.shape[0], phase)
        frames = torch.from_numpy(np.ascontiguousarray(arr[idx]))
        return dict(frames=frames, target=torch.tensor(target, dtype=torch.long), length=len(idx), filename=fn)


def collate(batch: list[dict]) -> dict:
    """Pad a list of items to the longest.

    Returns ``frames`` uint8 (B, T_max, S, S, 3) zero-padded; ``lengths`` int64 (B,); ``targets`` int64
    (sum L,) concatenated (the CTC convention); ``target_lengths`` int64 (B,); ``filenames`` list.
    """
    B = len(batch)
    T = max(b["length"] for b in batch)
    S = batch[0]["frames"].shape[1:]
    frames = torch.zeros((B, T, *S), dtype=torch.uint8)
    for k, b in enumerate(batch):
        frames[k, : b["length"]] = b["frames"]
    return dict(
        frames=frames,
        lengths=torch.tensor([b["length"] for b in batch], dtype=torch.long),
        targets=torch.cat([b["target"] for b in batch]),
        target_lengths=torch.tensor([len(b["target"]) for b in batch], dtype=torch.long),
        filenames=[b["filename"] for b in batch],
    )


class LengthBucketSampler(torch.utils.data.Sampler):
    """Batches of similar length (less padding): items sorted by length, cut into batches of
    ``batch_size``, batch order shuffled each epoch (and ties broken randomly) when ``shuffle``."""

    def __init__(
        self, lengths: list[int], batch_size: int, shuffle: bool = True, seed: int = 0, drop_last: bool = False
    ):
        self.lengths = np.asarray(lengths)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _batches(self) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed + self.epoch)
        tie = rng.random(len(self.lengths)) if self.shuffle else np.arange(len(self.lengths))
        order = np.lexsort((tie, self.lengths))
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches = batches[:-1]
        if self.shuffle:
            rng.shuffle(batches)
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        for b in self._batches():
            yield [int(i) for i in b]

    def __len__(self) -> int:
        n = len(self.lengths) // self.batch_size
        return n if self.drop_last or len(self.lengths) % self.batch_size == 0 else n + 1
