"""Teacher outputs per sequence, cached like the crops.

``teacher_features(store, teacher)`` runs a teacher over every cached sequence of a
:class:`~fslib.preprocess.CropStore` and keeps, per sequence, one ``.npz`` of its per-frame outputs (the
arrays of :meth:`Teacher.extract`, first axis = frames). The cache folder is
``cache_dir()/features/<key>`` where ``key`` hashes the crop store (its own key already covers the corpus,
the preprocessing configuration and code), the teacher's identity (:meth:`Teacher.describe`: configuration
and weights) and the source of the modules that compute features. Each file is written atomically, so an
interrupted run keeps what it finished and a rerun extracts only the missing sequences. Work is batched
inside a sequence and spread over sequences by a process pool (``workers``) or a Dask cluster
(``scheduler``), with a progress bar.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from fslib.progress import tqdm

from ..cache import atomic_path, cache_key, write_json_atomic
from ..paths import cache_dir
from .extract import Teacher

CODE = [
    "fslib.teachers.features",
    "fslib.teachers.extract",
    "fslib.teachers.others",
    "fslib.teachers.preprocess",
    "fslib.teachers.hamer",
    "fslib.teachers.heads",
    "fslib.teachers.backbones",
    "fslib.teachers.components",
    "fslib.teachers.checkpoint",
    "fslib.mediapipe_hands",
]


def load_truth(corpus: Any, filename: str) -> dict[str, np.ndarray] | None:
    """Ground truth of one sequence of a synthetic corpus (``<root>/groundtruth/<filename>.npz``), else None."""
    root = getattr(corpus, "groundtruth_root", None)
    if root is None:
        return None
    path = Path(root) / f"{filename}.npz"
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


class FeatureStore:
    """Cached teacher outputs of one crop store x one teacher.

    Layout: ``<root>/seqs/<filename>.npz`` (the teacher's per-frame arrays) and ``teacher.json``.
    """

    def __init__(self, root: Path, store: Any, teacher: Teacher):
        self.root, self.store, self.teacher = Path(root), store, teacher

    def path(self, filename: str) -> Path:
        return self.root / "seqs" / f"{filename}.npz"

    def has(self, filename: str) -> bool:
        return self.path(filename).exists()

    @property
    def filenames(self) -> list[str]:
        """Sequences with features, in the crop store's (CSV) order."""
        return [f for f in self.store.filenames if self.has(f)]

    def load(self, filename: str) -> dict[str, np.ndarray]:
        """All outputs of one sequence: dict of (T, ...) arrays."""
        if not self.has(filename):
            raise KeyError(
                f"no {self.teacher.name} features for {filename!r} in {self.root}; "
                "run teacher_features(store, teacher) first"
            )
        with np.load(self.path(filename), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def vectors(self, filename: str) -> np.ndarray:
        """(T, D) float32 per-frame vectors of one sequence."""
        v = self.load(filename)[self.teacher.vector_key]
        return v.reshape(len(v), -1).astype(np.float32)

    @property
    def dim(self) -> int:
        names = self.filenames
        if not names:
            raise ValueError(f"feature store {self.root} is empty")
        return self.vectors(names[0]).shape[1]


def features_dir(store: Any, teacher: Teacher) -> Path:
    key = cache_key({"crops": str(Path(store.root).resolve()), "teacher": teacher.describe()}, code=CODE)
    return cache_dir() / "features" / key


def _right_flags(store: Any, filename: str, n: int) -> np.ndarray | None:
    """Crops from fslib.preprocess are already mirrored to right hands when ``mirror_left`` is set;
    otherwise left-hand sequences must be mirrored by the teacher."""
    if getattr(store.config, "mirror_left", True):
        return None
    side = store.meta(filename).get("side", "right")
    return np.full(n, side == "right")


def _extract_one(teacher: Teacher, store: Any, filename: str, out: Path) -> None:
    crops = np.asarray(store.load(filename))
    truth = load_truth(store.corpus, filename) if teacher.needs_truth else None
    if teacher.needs_truth and truth is None:
        raise ValueError(
            f"teacher {teacher.name} needs ground truth, but {filename!r} has none "
            "(only synthetic corpora carry groundtruth/<filename>.npz)"
        )
    result = teacher.extract(crops, right=_right_flags(store, filename, len(crops)), truth=truth)
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **{k: np.asarray(v) for k, v in result.items()})


def _extract_many(teacher: Teacher, store: Any, jobs: list[tuple[str, str]]) -> int:
    import torch

    torch.set_num_threads(1)
    for filename, out in jobs:
        _extract_one(teacher, store, filename, Path(out))
    return len(jobs)


def teacher_features(
    store: Any,
    teacher: Teacher,
    *,
    filenames: Iterable[str] | None = None,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
    root: str | os.PathLike | None = None,
) -> FeatureStore:
    """Run (or resume) ``teacher`` over the cached sequences of ``store``; returns the :class:`FeatureStore`.

    filenames: a subset (default: every cached sequence). workers: processes (1 = in this process, where
    torch uses its own threads). scheduler: a Dask ``distributed.Client`` or scheduler address; sequences are
    then extracted on the cluster's workers (each needs the cache folders on a shared file system).
    """
    root = Path(root) if root else features_dir(store, teacher)
    fs = FeatureStore(root, store, teacher)
    if not (root / "teacher.json").exists():
        write_json_atomic(root / "teacher.json", {"label": teacher.label, **teacher.describe()})
    names = list(filenames) if filenames is not None else list(store.filenames)
    todo = [(f, str(fs.path(f))) for f in names if not fs.has(f)]
    if not todo:
        return fs
    bar = tqdm(total=len(todo), desc=f"{teacher.name} features (sequences)", disable=not progress)
    if scheduler is not None:
        from distributed import Client

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        chunks = [todo[i : i + 4] for i in range(0, len(todo), 4)]
        futures = client.map(_extract_many, [teacher] * len(chunks), [store] * len(chunks), chunks, pure=False)
        from distributed import as_completed

        for fut in as_completed(futures):
            bar.update(fut.result())
    elif workers > 1 and len(todo) > 1:
        chunks = [todo[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(workers) as pool:
            for done in pool.map(_extract_many, [teacher] * len(chunks), [store] * len(chunks), chunks):
                bar.update(done)
    else:
        for filename, out in todo:
            _extract_one(teacher, store, filename, Path(out))
            bar.update()
    bar.close()
    return fs


def stack_frames(fs: FeatureStore, filenames: Iterable[str], mask_fn=None) -> tuple[np.ndarray, list[int]]:
    """Concatenate per-frame vectors of several sequences: (sum T, D) and the per-sequence lengths.
    ``mask_fn(filename) -> (T,) bool`` keeps only some frames."""
    vecs, lengths = [], []
    for f in filenames:
        v = fs.vectors(f)
        if mask_fn is not None:
            v = v[mask_fn(f)]
        vecs.append(v)
        lengths.append(len(v))
    return (np.concatenate(vecs) if vecs else np.zeros((0, 0), np.float32)), lengths


def coverage(fs: FeatureStore, filenames: Iterable[str] | None = None) -> float:
    """Fraction of frames whose vector is not all zeros (a teacher that finds no hand, like MediaPipe, writes
    zeros); NaN for an empty store."""
    vecs, _ = stack_frames(fs, fs.filenames if filenames is None else filenames)
    return float(np.any(vecs != 0, axis=1).mean()) if len(vecs) else float("nan")


def summary(fs: FeatureStore) -> Mapping[str, Any]:
    """Sequences, frames and vector size of a feature store."""
    names = fs.filenames
    frames = sum(len(fs.vectors(f)) for f in names)
    return {
        "teacher": fs.teacher.name,
        "sequences": len(names),
        "frames": frames,
        "dim": fs.dim if names else 0,
        "folder": str(fs.root),
    }
