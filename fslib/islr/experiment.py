"""The isolated-sign pages' runs: the corpus folder of a page's parameters, the prepared splits the models
train on (with the report of what was skipped: the data page's counts), and the training of a table's rows.

A table row is a named configuration (normalization strategy plus :class:`~fslib.islr.train.IslrConfig`
overrides, :mod:`fslib.islr.tables`), trained at every seed (cached per configuration, data and seed),
scored top-1 / top-5 on the validation and test signers, and recorded in ``<out_dir>/tables/results.csv``
(:mod:`fslib.results`) with the fingerspelling runs (study "isolated_signs", variant = the row's name,
teacher "none", no alphabet).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from .. import results as results_table
from . import corpus as C
from . import landmarks as lm
from .data import prepare_clip
from .train import Split, make_config, train


def corpus_root(params: Mapping[str, Any], progress: bool = True) -> Path:
    """The corpus folder: ``islr_corpus_path`` if given (a GISLR-layout folder with a split column), else the
    synthetic corpus of the page's parameters (generated or found in the cache)."""
    if params.get("islr_corpus_path"):
        return Path(params["islr_corpus_path"])
    cfg = C.CorpusConfig(glosses=params["islr_glosses"], train_signers=params["islr_train_signers"],
                         val_signers=params["islr_val_signers"], test_signers=params["islr_test_signers"],
                         seed=params.get("seed", 0))
    return C.generate(cfg, progress=progress)


def load_splits(root: str | Path, strategy: str, stride: int = 2, progress: bool = False):
    """``(splits, classes, report)``: :class:`~fslib.islr.train.Split` per split of ``train.csv``'s ``split``
    column, the number of glosses, and a per-clip report (frames, kept frames, skipped and why). A clip is
    skipped, and counted, when its parquet cannot be read, when it has no hand in any frame, or when the
    face-anchored strategy finds no face point; its gloss must be in ``sign_to_prediction_index_map.json``
    (an unknown gloss is an error naming the clip)."""
    from ..progress import tqdm

    root = Path(root)
    df = C.read_index(root)
    if "split" not in df:
        raise ValueError(f"{root / 'train.csv'}: no 'split' column; add train/val/test per participant")
    index = json.loads((root / "sign_to_prediction_index_map.json").read_text())
    unknown = sorted(set(df["sign"]) - set(index))
    if unknown:
        raise ValueError(f"{root / 'train.csv'}: gloss(es) {unknown[:5]} not in sign_to_prediction_index_map.json")
    splits = {s: Split([], []) for s in ("train", "val", "test")}
    rows = []
    for r in tqdm(df.itertuples(), total=len(df), desc=f"preparing clips ({strategy})", disable=not progress):
        row = {"sequence_id": r.sequence_id, "split": r.split, "sign": r.sign, "skipped": ""}
        try:
            points = lm.select_points(lm.read_parquet(root / r.path))
            clip, rep = prepare_clip(points, strategy, stride)
            row.update(frames=rep.frames, kept=rep.kept)
            if not rep.kept:
                row["skipped"] = "no hand in any frame"
        except (OSError, ValueError) as err:
            row["skipped"] = f"{type(err).__name__}: {err}"
        rows.append(row)
        if not row["skipped"]:
            splits.setdefault(r.split, Split([], []))
            splits[r.split].clips.append(clip)
            splits[r.split].labels.append(index[r.sign])
    return splits, len(index), pd.DataFrame(rows)


def run_rows(root: Path, rows: Mapping[str, Mapping[str, Any]], seeds: Sequence[int], train_params: Mapping[str, Any],
             results_path: Path, progress: bool = True) -> pd.DataFrame:
    """Train every row at every seed; record val/test top-1/top-5 and training seconds; return the rows'
    results (long format). ``train_params``: IslrConfig fields shared by all rows (epochs, hidden, ...)."""
    prepared: dict[str, Any] = {}
    corpus = "synthetic" if (root / "signers.json").exists() else root.name
    out = []
    for name, overrides in rows.items():
        strategy = overrides.get("normalization", "per_frame")
        if strategy not in prepared:
            prepared[strategy] = load_splits(root, strategy)
        splits, classes, _ = prepared[strategy]
        for seed in seeds:
            cfg = make_config({**train_params, **overrides}, seed=seed)
            res = train(cfg, splits, classes, progress=progress)
            metrics = {"val": res.report["val"], "test": res.report.get("test", {}),
                       "train": {"train_seconds": res.report["train_seconds"]}}
            run = dict(run_id=f"islr-{res.folder.name}", study="isolated_signs", corpus=corpus, alphabet="",
                       variant=name, teacher="none", seed=seed)
            results_table.record(results_path, run, metrics, config=res.report["config"])
            out += [{**run, "split": s, "metric": m, "value": v} for s, ms in metrics.items() for m, v in ms.items()]
    return pd.DataFrame(out)
