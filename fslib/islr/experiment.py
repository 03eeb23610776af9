"""The isolated-sign pages' runs: the corpus folder of a page's parameters, the prepared splits the models
train on (with the report of what was skipped: the data page's counts), and the training of a table's rows.

A table row is a named configuration (normalization strategy plus :class:`~fslib.islr.train.IslrConfig`
overrides, :mod:`fslib.islr.tables`), trained at every seed (cached per configuration, data and seed),
scored top-1 / top-5 on the validation and test signers, and recorded in ``<out_dir>/tables/results.csv``
(:mod:`fslib.results`) with the fingerspelling runs (study "isolated_signs", variant = the row's name,
teacher "none", no alphabet).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from .. import report
from .. import results as results_table
from ..claims import Verdict
from . import corpus as C
from . import landmarks as lm
from . import tables as T
from .data import prepare_clip
from .train import Split, make_config, train


def corpus_root(params: Mapping[str, Any], progress: bool = True) -> Path:
    """The corpus folder: ``islr_corpus_path`` if given (a GISLR-layout folder with a split column), else the
    synthetic corpus of the page's parameters (generated or found in the cache)."""
    if params.get("islr_corpus_path"):
        return Path(params["islr_corpus_path"])
    cfg = C.CorpusConfig(
        glosses=params["islr_glosses"],
        train_signers=params["islr_train_signers"],
        val_signers=params["islr_val_signers"],
        test_signers=params["islr_test_signers"],
        seed=params.get("seed", 0),
    )
    return C.generate(cfg, progress=progress)


# The teacher line of the isolated-sign pages' provenance box.
NO_TEACHER = "none (pose landmarks only; no hand model is involved)"


def describe_corpus_params(params: Mapping[str, Any]) -> str:
    """The data line of an isolated-sign page's provenance box from its parameters (a notebook's globals):
    the synthetic corpus's glosses, signers per split and seed, or the landmark corpus's path
    (``islr_corpus_path``; absent or empty means synthetic)."""
    if params.get("islr_corpus_path"):
        return f"landmark corpus at `{report.shown_path(params['islr_corpus_path'])}`"
    return (
        f"synthetic isolated-sign corpus (fslib.islr): {params['islr_glosses']} glosses, signers "
        f"{params['islr_train_signers']} / {params['islr_val_signers']} / {params['islr_test_signers']} "
        f"(train / val / test), seed {params['seed']}"
    )


class IslrPage(NamedTuple):
    """What an isolated-sign page works on: ``root, tables, figures = open_page(globals())``."""

    root: Path
    tables: Path
    figures: Path


def open_page(params: Mapping[str, Any]) -> IslrPage:
    """The set-up of an isolated-sign page (notebooks 10-13) from its parameters: the corpus folder
    (:func:`corpus_root`, generated or found in the cache), then the provenance box
    (:func:`describe_corpus_params`, no teacher) and the output folders (:func:`fslib.report.open_page`)."""
    root = corpus_root(params)
    dirs = report.open_page(
        params["profile"], params["out_dir"], data=describe_corpus_params(params), teacher=NO_TEACHER
    )
    return IslrPage(root, dirs.tables, dirs.figures)


def load_splits(root: str | Path, strategy: str, stride: int = 2, progress: bool = False, source: str = "text"):
    """``(splits, classes, report)``: :class:`~fslib.islr.train.Split` per split of ``train.csv``'s ``split``
    column, the number of glosses, and a per-clip report (frames, kept frames, skipped and why). A clip is
    skipped, and counted, when its parquet cannot be read, when it has no hand in any frame, or when the
    face-anchored strategy finds no face point; its gloss must be in ``sign_to_prediction_index_map.json``
    (an unknown gloss is an error naming the clip). ``source``: the text's or the authors' code's input
    (:mod:`fslib.islr.source`: face points, frame order, missing points, normalizations)."""
    from ..progress import tqdm
    from . import source as S

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
            points = S.select_points(lm.read_parquet(root / r.path), source)
            clip, rep = prepare_clip(points, strategy, stride, source)
            row.update(frames=rep.frames, kept=rep.kept, unanchored=rep.unanchored)
            if not rep.kept:
                row["skipped"] = (
                    f"no frame with a hand and the {strategy} anchor" if rep.unanchored else "no hand in any frame"
                )
        except (OSError, ValueError) as err:
            row["skipped"] = f"{type(err).__name__}: {err}"
        rows.append(row)
        if not row["skipped"]:
            splits.setdefault(r.split, Split([], []))
            splits[r.split].clips.append(clip)
            splits[r.split].labels.append(index[r.sign])
    return splits, len(index), pd.DataFrame(rows)


def run_rows(
    root: Path,
    rows: Mapping[str, Mapping[str, Any]],
    seeds: Sequence[int],
    train_params: Mapping[str, Any],
    results_path: Path,
    progress: bool = True,
) -> pd.DataFrame:
    """Train every row at every seed; record val/test top-1/top-5 and training seconds; return the rows'
    results (long format). ``train_params``: IslrConfig fields shared by all rows (epochs, hidden, ...)."""
    prepared: dict[str, Any] = {}
    corpus = "synthetic" if (root / "signers.json").exists() else root.name
    out = []
    for name, overrides in rows.items():
        strategy = overrides.get("normalization", "per_frame")
        source = overrides.get("source", train_params.get("source", "text"))
        if (strategy, source) not in prepared:
            prepared[strategy, source] = load_splits(root, strategy, source=source)
        splits, classes, _ = prepared[strategy, source]
        for seed in seeds:
            cfg = make_config({**train_params, **overrides}, seed=seed)
            res = train(cfg, splits, classes, progress=progress)
            metrics = {
                "val": res.report["val"],
                "test": res.report.get("test", {}),
                "train": {"train_seconds": res.report["train_seconds"]},
            }
            run = dict(
                run_id=f"islr-{res.folder.name}",
                study="isolated_signs",
                corpus=corpus,
                alphabet="",
                variant=name,
                teacher="none",
                seed=seed,
            )
            results_table.record(results_path, run, metrics, config=res.report["config"])
            out += [{**run, "split": s, "metric": m, "value": v} for s, ms in metrics.items() for m, v in ms.items()]
    return pd.DataFrame(out)


def preparation_summary(prep: pd.DataFrame) -> pd.DataFrame:
    """The data page's counts from :func:`load_splits`'s per-clip report: clips, clips skipped, mean frames
    after subsampling every second frame, and mean frames kept (with a hand)."""
    return pd.Series(
        {
            "clips": len(prep),
            "skipped": int((prep["skipped"] != "").sum()),
            "frames after subsampling (mean)": ((prep["frames"] + 1) // 2).mean(),
            "frames kept (mean)": prep["kept"].mean(),
        }
    ).to_frame("value")


@dataclasses.dataclass(frozen=True)
class TableRun:
    """One trained table of pages 11-13 (:func:`run_table`): the rows' results (long format), the summary
    table with the source study's numbers beside it (as written to the CSV), the chance row, the seeds per
    row and the source's orderings checked on it."""

    spec: T.TableSpec
    results: pd.DataFrame
    table: pd.DataFrame
    chance: dict[str, float]
    seeds: int
    verdicts: list[Verdict]

    @property
    def shown(self) -> pd.DataFrame:
        """The table as the page displays it (:func:`fslib.islr.tables.shown`)."""
        return T.shown(self.table)

    @property
    def sentences(self) -> str:
        """Each verdict's sentence, one a line."""
        return "\n".join(v.sentence for v in self.verdicts)

    @property
    def chance_line(self) -> str:
        return T.chance_line(self.chance, self.seeds)

    @property
    def best_line(self) -> str:
        return T.best_line(self.table, self.spec.source_best)


def run_table(
    root: Path,
    name: str,
    seeds: Sequence[int],
    train_params: Mapping[str, Any],
    tables: str | Path,
    progress: bool = True,
) -> TableRun:
    """Train the rows of the table ``name`` (:data:`fslib.islr.tables.TABLES`) at every seed
    (:func:`run_rows`, recorded in ``tables/results.csv``), write its summary with the source's numbers to
    ``tables/<spec.csv>`` and check the source's orderings against chance (1 / the corpus's glosses)."""
    spec = T.TABLES[name]
    tables = Path(tables)
    results = run_rows(root, spec.rows, seeds, train_params, tables / "results.csv", progress=progress)
    table = T.spec_table(results, spec)
    chance = T.chance_row(len(C.read_index(root)["sign"].unique()))
    table.to_csv(tables / spec.csv, index=False)
    verdicts = T.ordering_verdicts(results, spec.claims, chance["top1"])
    return TableRun(spec, results, table, chance, len(seeds), verdicts)
