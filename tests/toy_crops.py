"""A toy stand-in for a CropStore, shared by the recognizer tests: crops made by the test, each letter a bright
square in its own quadrant over noise, held ``hold`` frames, with ``gap`` noise frames between letters
(``letters`` records which letter of the label each frame holds, -1 in a gap, like the synthetic ground truth)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from fslib.alphabet import Alphabet

ALPHA = Alphabet("toy", tuple("abcd"))


@dataclasses.dataclass
class ToySeq:
    filename: str
    label: str
    partition: str
    signer: str


class ToyCorpus:
    alphabet = ALPHA
    groundtruth_root = None

    def __init__(self, root: Path):
        self.root = root


class ToyStore:
    """What the recognizer and the encoder ceiling read of a CropStore. ``labels``: filename -> (label,
    partition); the signer is the filename's part before "_"."""

    def __init__(
        self,
        root: Path,
        labels: dict[str, tuple[str, str]],
        hold: int = 4,
        gap: int = 0,
        size: int = 16,
        seed: int = 0,
    ):
        self.root = Path(root)
        self.corpus = ToyCorpus(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(seed)
        self._crops, self._seqs, self.letters = {}, {}, {}
        for fn, (label, part) in labels.items():
            frames, letters = [], []
            for j, ch in enumerate(label):
                k = ALPHA.symbols.index(ch) if ch in ALPHA else 0
                img = rng.integers(0, 60, (size, size, 3)).astype(np.uint8)
                y, x = divmod(k, 2)
                img[y * size // 2 : (y + 1) * size // 2, x * size // 2 : (x + 1) * size // 2] = 230
                frames += [img] * hold
                letters += [j] * hold
                if gap and j + 1 < len(label):
                    frames += [rng.integers(0, 60, (size, size, 3)).astype(np.uint8)] * gap
                    letters += [-1] * gap
            self._crops[fn] = np.stack(frames) if frames else np.zeros((0, size, size, 3), np.uint8)
            self.letters[fn] = np.array(letters, np.int32)
            self._seqs[fn] = ToySeq(fn, label, part, fn.split("_")[0])

    @property
    def filenames(self):
        return list(self._crops)

    @property
    def sequences(self):
        return self._seqs

    def has(self, fn):
        return fn in self._crops

    def load(self, fn):
        return self._crops[fn]

    def meta(self, fn):
        """What the two-stream model reads of a crop store entry: 21 landmarks per frame at the centre of the
        frame's lit quadrant (NaN in a gap), the crop box (the whole crop) and no mirroring."""
        n, size = len(self._crops[fn]), self._crops[fn].shape[1] if len(self._crops[fn]) else 16
        label, lm = self._seqs[fn].label, np.full((n, 21, 3), np.nan, np.float32)
        for t, j in enumerate(self.letters[fn]):
            if j >= 0:
                k = ALPHA.symbols.index(label[j]) if label[j] in ALPHA else 0
                y, x = divmod(k, 2)
                lm[t, :, 0], lm[t, :, 1], lm[t, :, 2] = (x + 0.5) * size / 2, (y + 0.5) * size / 2, 0.0
        boxes = np.tile(np.array([0, 0, size, size], np.float32), (n, 1))
        return {"landmarks": lm, "boxes": boxes, "mirrored": False}
