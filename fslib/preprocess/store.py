"""The crop cache (:class:`CropStore`) and the runners that fill it (process pool or Dask)."""

from __future__ import annotations

import dataclasses
import json
import os
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from ..cache import atomic_path, cache_key, file_digest, write_json_atomic
from ..config import as_dict
from ..data.readers import Corpus, Issue, Sequence, read_corpus
from ..paths import cache_dir
from .config import PreprocessConfig
from .report import PreprocessReport

# modules whose source is part of the cache key (the ones that compute crops)
CODE = [
    "fslib.preprocess.config",
    "fslib.preprocess.hands",
    "fslib.preprocess.crops",
    "fslib.preprocess.sequence",
    "fslib.preprocess.store",
    "fslib.preprocess.report",
    "fslib.alphabet",
    "fslib.data.frames",
    "fslib.data.readers",
    "fslib.mediapipe_hands",
]

PROCESSING_ERROR = "processing_error"
_ERROR_ACTION = "sequence left out of this run (unexpected error, message listed); a rerun retries it"


def corpus_identity(corpus: Corpus) -> dict:
    """What names a corpus in the cache key: its CSV's content hash and its frames root."""
    h = file_digest(corpus.csv_path, length=16)
    return dict(
        csv_sha256=h,
        frames_root=str(corpus.frames_root.resolve()),
        bbox_root=str(corpus.bbox_root.resolve()) if corpus.bbox_root else None,
    )


class CropStore:
    """Cached crops of one corpus under one :class:`PreprocessConfig`.

    Layout: ``<root>/seqs/<filename>.npy`` (uint8 (T, S, S, 3) RGB) and ``<filename>.npz`` (per-frame
    metadata, written last: an entry exists iff its ``.npz`` exists), ``<filename>.skip.json`` for sequences
    skipped as documented (no readable frame), ``config.json``, ``corpus.json`` and ``report.json``.
    """

    def __init__(self, root: str | os.PathLike, corpus: Corpus, config: PreprocessConfig):
        self.root = Path(root)
        self.corpus = corpus
        self.config = config
        self.run_issues: list[Issue] = []  # processing errors of the last run (not cached: a rerun retries)
        self._sides: dict[str, str] | None = None
        self._stored: dict[str, tuple[bool, str]] = {}  # filename -> (crops stored mirrored, sequence's side)

    @classmethod
    def open(cls, corpus: Corpus, config: PreprocessConfig, root: str | os.PathLike | None = None) -> CropStore:
        """The store of ``corpus`` x ``config`` under ``cache_dir()/crops/<key>`` (or ``root``)."""
        if root is None:
            key = cache_key(dict(preprocess=config, corpus=corpus_identity(corpus)), code=CODE)
            root = cache_dir() / "crops" / key
        store = cls(root, corpus, config)
        store.root.mkdir(parents=True, exist_ok=True)
        if not (store.root / "config.json").exists():
            write_json_atomic(store.root / "config.json", as_dict(config))
            write_json_atomic(
                store.root / "corpus.json", dict(name=corpus.name, kind=corpus.kind, **corpus_identity(corpus))
            )
        return store

    # paths -------------------------------------------------------------------------------------------
    def _base(self, filename: str) -> Path:
        return self.root / "seqs" / filename

    def crops_path(self, filename: str) -> Path:
        return self._base(filename).with_name(self._base(filename).name + ".npy")

    def meta_path(self, filename: str) -> Path:
        return self._base(filename).with_name(self._base(filename).name + ".npz")

    def skip_path(self, filename: str) -> Path:
        return self._base(filename).with_name(self._base(filename).name + ".skip.json")

    # queries -----------------------------------------------------------------------------------------
    def has(self, filename: str) -> bool:
        """True when the crops of ``filename`` are cached (its metadata, written last, exists)."""
        return self.meta_path(filename).exists() and self.crops_path(filename).exists()

    def done(self, filename: str) -> bool:
        return self.has(filename) or self.skip_path(filename).exists()

    @property
    def filenames(self) -> list[str]:
        """Cached sequences, in CSV order."""
        return [s.filename for s in self.corpus.sequences if self.has(s.filename)]

    @property
    def sequences(self) -> dict[str, Sequence]:
        return self.corpus.by_filename()

    def pending(self) -> list[Sequence]:
        return [s for s in self.corpus.sequences if not self.done(s.filename)]

    def load(self, filename: str, mmap: bool = True) -> np.ndarray:
        """uint8 (T, S, S, 3) RGB crops of one sequence (memory-mapped unless ``mmap=False``, or unless the
        signer-level side decision mirrors it: then a contiguous copy)."""
        if not self.has(filename):
            raise KeyError(
                f"{filename!r} has no cached crops in {self.root}; run crops_for(...) / "
                f"preprocess_corpus(...) first (or it was skipped: see store.report)"
            )
        arr = np.load(self.crops_path(filename), mmap_mode="r" if mmap else None)
        self.signer_sides()
        stored = self._stored.get(filename)
        if stored is None:
            raw = self._raw_meta(filename)
            stored = (bool(raw["mirrored"]), str(raw["side"]))
        if stored[0] != self._mirrored(filename, stored[1]):
            arr = np.ascontiguousarray(arr[:, :, ::-1])
        return arr

    def _raw_meta(self, filename: str) -> dict[str, Any]:
        with np.load(self.meta_path(filename), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def _mirrored(self, filename: str, side_sequence: str) -> bool:
        side = self.signer_sides().get(filename, side_sequence)
        return bool(self.config.mirror_left and side == "left")

    def signer_sides(self) -> dict[str, str]:
        """filename -> the final 'right' / 'left' of each cached sequence with a detected hand. With
        ``config.side_by_signer``, the sign of the sum of the per-sequence votes of all the signer's cached
        sequences (each sequence one ballot in [-1, 1]); otherwise each sequence's own vote."""
        if self._sides is None:
            votes: dict[str, float] = {}
            per_seq: dict[str, tuple[str, float]] = {}
            self._stored = {}
            seqs = self.corpus.by_filename() if self.corpus is not None else {}
            for fn in self.filenames:
                raw = self._raw_meta(fn)
                self._stored[fn] = (bool(raw["mirrored"]), str(raw["side"]))
                if str(raw["side"]) == "none":
                    continue
                v = float(raw["side_vote"]) if "side_vote" in raw else (1.0 if str(raw["side"]) == "right" else -1.0)
                signer = seqs[fn].signer if fn in seqs else fn
                per_seq[fn] = (signer, v)
                votes[signer] = votes.get(signer, 0.0) + v
            self._sides = {
                fn: ("right" if (votes[sg] if self.config.side_by_signer else v) >= 0 else "left")
                for fn, (sg, v) in per_seq.items()
            }
        return self._sides

    def meta(self, filename: str) -> dict[str, Any]:
        """Per-frame metadata (see :mod:`fslib.preprocess`), plus ``stats`` (dict) and ``issues`` (list).
        ``side`` / ``mirrored`` are the final decision (per signer when ``config.side_by_signer``);
        ``side_sequence`` is the sequence's own vote."""
        d = self._raw_meta(filename)
        d["stats"] = json.loads(str(d.pop("stats_json")))
        d["issues"] = json.loads(str(d.pop("issues_json")))
        d["side_sequence"] = str(d["side"])
        d["side"] = self.signer_sides().get(filename, d["side_sequence"])
        d["mirrored"] = self._mirrored(filename, d["side_sequence"])
        return d

    # writing -----------------------------------------------------------------------------------------
    def write(self, filename: str, result) -> None:
        """Store one :class:`~fslib.preprocess.sequence.SequenceCrops` atomically (crops first, metadata
        last); a skipped sequence leaves a ``.skip.json`` with its statistics and issues."""
        issues = [dataclasses.asdict(i) for i in result.issues]
        if result.crops is None:
            write_json_atomic(self.skip_path(filename), dict(stats=result.stats, issues=issues))
            return
        with atomic_path(self.crops_path(filename)) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, result.crops)
        with atomic_path(self.meta_path(filename)) as tmp:
            with open(tmp, "wb") as f:
                np.savez(
                    f,
                    **result.meta,
                    stats_json=np.str_(json.dumps(result.stats)),
                    issues_json=np.str_(json.dumps(issues)),
                )

    # report ------------------------------------------------------------------------------------------
    def _entry(self, filename: str) -> tuple[dict | None, list[dict]]:
        if self.has(filename):
            m = self.meta(filename)
            stats = dict(m["stats"], side_sequence=m["side_sequence"], side=m["side"], mirrored=m["mirrored"])
            return stats, m["issues"]
        if self.skip_path(filename).exists():
            d = json.loads(self.skip_path(filename).read_text())
            return d["stats"], d["issues"]
        return None, []

    @property
    def report(self) -> PreprocessReport:
        """Per-sequence statistics and all bad input: the reader's (bad rows, folders, frame counts, labels),
        the stage's (corrupt JPEGs, no hand, ...) and this run's processing errors."""
        stats, issues = [], list(self.corpus.issues)
        for s in self.corpus.sequences:
            st, iss = self._entry(s.filename)
            if st is not None:
                stats.append(dict(st, label=s.label, label_ok=s.label_ok))
            issues.extend(Issue(**i) for i in iss)
        issues.extend(self.run_issues)
        return PreprocessReport.build(stats, issues)


def _work(seq: Sequence, cfg: PreprocessConfig, root: str) -> dict:
    """Process and store one sequence; never raises (an unexpected error comes back as an issue)."""
    from .sequence import process_sequence

    try:
        res = process_sequence(seq, cfg)
        CropStore(root, None, cfg).write(seq.filename, res)  # type: ignore[arg-type]  (writing needs no corpus)
        return dict(filename=seq.filename, n_frames=res.stats["n_frames"], error=None)
    except Exception as err:  # noqa: BLE001 - reported, the run goes on
        tb = traceback.format_exception_only(type(err), err)[-1].strip()
        return dict(filename=seq.filename, n_frames=0, error=tb)


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)


def preprocess_corpus(
    corpus: Corpus,
    config: PreprocessConfig,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = True,
    root: str | os.PathLike | None = None,
) -> CropStore:
    """Crop every sequence of ``corpus`` not yet in the cache; return the :class:`CropStore`.

    workers: processes of the local pool (default: all cores; 1 = in this process). They are spawned, so a
    script that calls this with more than one must do so under ``if __name__ == "__main__":``
    (:mod:`fslib.parallel`; without it the call stops with a :class:`~fslib.parallel.WorkerStartError`).
    scheduler: a Dask scheduler address (``"tcp://host:8786"``) or a ``distributed.Client``; the work then
    runs on that cluster's workers (which need fslib installed and the corpus at the same path).
    """
    from ..progress import enabled, tqdm

    store = CropStore.open(corpus, config, root)
    pending = store.pending()
    store._sides = None
    store.run_issues = []
    if pending:
        desc = f"hand crops ({len(pending)} of {len(corpus.sequences)} sequences to do)"
        bar = tqdm(total=len(pending), desc=desc, unit="seq", disable=not (progress and enabled()))
        results = []
        if scheduler is not None:
            results = _run_dask(pending, config, store, scheduler, bar)
        elif (workers or os.cpu_count() or 1) <= 1 or len(pending) == 1:
            _init_worker()
            for seq in pending:
                results.append(_work(seq, config, str(store.root)))
                bar.update()
        else:
            results = _run_pool(pending, config, store, workers or os.cpu_count() or 1, bar)
        bar.close()
        store._sides = None  # new sequences vote
        for r in results:
            if r["error"]:
                store.run_issues.append(Issue(PROCESSING_ERROR, r["filename"], 0, r["error"], _ERROR_ACTION))
    if pending or not (store.root / "report.json").exists():
        store.report.save(store.root / "report.json")
    return store


def _run_pool(pending, config, store, workers, bar) -> list[dict]:
    from concurrent.futures import as_completed

    from ..parallel import spawn_pool

    out = []
    # spawn, not fork: MediaPipe's graph threads do not survive a fork (a script needs a __main__ guard)
    with spawn_pool(min(workers, len(pending)), initializer=_init_worker) as ex:
        futs = [ex.submit(_work, s, config, str(store.root)) for s in pending]
        for f in as_completed(futs):
            out.append(f.result())
            bar.update()
    return out


def _run_dask(pending, config, store, scheduler, bar) -> list[dict]:
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futs = client.map(_work, pending, cfg=config, root=str(store.root), pure=False)
        out = []
        for f in as_completed(futs):
            out.append(f.result())
            bar.update()
        return out
    finally:
        if own:
            client.close()


def crops_for(
    corpus_root: str | os.PathLike | Corpus,
    config: PreprocessConfig | None = None,
    *,
    kind: str = "auto",
    alphabet: Any = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = True,
    root: str | os.PathLike | None = None,
) -> CropStore:
    """The crop store of a corpus (a path read with :func:`fslib.data.read_corpus`, or a :class:`Corpus`),
    preprocessing whatever is not cached yet."""
    corpus = corpus_root if isinstance(corpus_root, Corpus) else read_corpus(corpus_root, kind=kind, alphabet=alphabet)
    return preprocess_corpus(
        corpus, config or PreprocessConfig(), workers=workers, scheduler=scheduler, progress=progress, root=root
    )
