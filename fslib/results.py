"""The long-format results table of a profile: one row per (run, split, metric), for both studies.

Columns: run_id, study, corpus, alphabet, variant, teacher, seed, split, metric, value. ``study`` is one of
:data:`STUDIES`; ``alphabet`` is the fingerspelling alphabet and blank for an isolated-sign run. Every
training run writes its rows with :func:`record` (replacing earlier rows of the same run, split and metric,
so re-executing a page does not duplicate them, and a page that evaluates a shared run again keeps the
metrics another page added, such as beam search) and its resolved configuration to
``configs/<run_id>.json`` beside the table. Pages pivot the table with pandas; :mod:`fslib.claims` compares
its rows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .cache import atomic_path, stable_json, write_json_atomic

COLUMNS = ["run_id", "study", "corpus", "alphabet", "variant", "teacher", "seed", "split", "metric", "value"]
RUN = COLUMNS[:7]  # what identifies a run's rows
STUDIES = ("fingerspelling", "isolated_signs")


def read(path: str | os.PathLike) -> pd.DataFrame:
    """The table at ``path`` (empty with the right columns if it does not exist yet). Empty cells read as NaN.

    A table written before the ``study`` column existed is read as if written now: its study is derived
    from the alphabet (alphabet "islr" meant an isolated-sign run, any other a fingerspelling run) and the
    "islr" alphabet is blanked."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    table = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"teacher": str})
    if "study" not in table:
        islr = table["alphabet"] == "islr"
        table.insert(COLUMNS.index("study"), "study", islr.map({True: "isolated_signs", False: "fingerspelling"}))
        table.loc[islr, "alphabet"] = float("nan")
    return table


def record(
    path: str | os.PathLike,
    run: Mapping[str, Any],
    metrics: Mapping[str, Mapping[str, float]],
    config: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Write one run's rows: ``run`` holds run_id, study, corpus, alphabet, variant, teacher, seed;
    ``metrics`` maps split -> {metric: value}. Rows of the same run_id, study, variant, teacher, split and
    metric are replaced; the run's other rows are kept. One run may stand in two tables under two row names
    (an isolated-sign run is both "per_frame" of the normalization table and "BiLSTM, normalized" of the
    temporal one): it is kept under each name. A run of another id recorded before for the same row and seed
    (study, corpus, alphabet, variant, teacher, seed: an older configuration or training code) is superseded
    and dropped, so the table holds one run per row and seed, the latest, and a reader of the whole table
    never mixes the two. With ``config``, the row's other seeds are superseded too when their saved
    configuration (``configs/<run_id>.json``) differs from ``config`` in anything but the seed: a table row's
    seeds then always share one configuration, and a page that now trains fewer seeds than an older version
    does not leave the older seeds to be averaged with the new ones. A run whose configuration was never
    saved is kept. Returns the whole table."""
    missing = [c for c in RUN if c not in run]
    if missing:
        raise ValueError(f"results row lacks {', '.join(missing)}")
    if run["study"] not in STUDIES:
        raise ValueError(f"unknown study {run['study']!r}; choose from {', '.join(STUDIES)}")
    path = Path(path)
    rows = [
        {**{c: run[c] for c in RUN}, "split": split, "metric": m, "value": float(v)}
        for split, ms in metrics.items()
        for m, v in ms.items()
    ]
    new = pd.DataFrame(rows, columns=COLUMNS)
    table = read(path)
    key = ["run_id", "study", "variant", "teacher", "split", "metric"]
    replaced = pd.MultiIndex.from_frame(new[key].fillna("").astype(str))
    keep = ~pd.MultiIndex.from_frame(table[key].fillna("").astype(str)).isin(replaced)
    ids = table["run_id"].astype(str)
    other_run = ids != str(run["run_id"])
    keep &= ~(_same(table, run, RUN[1:]) & other_run)
    if config is not None:
        same_unseeded = _same(table, run, [c for c in RUN[1:] if c != "seed"])
        for other in ids[keep & same_unseeded & other_run].unique():
            if _differs_beyond_seed(path.parent / "configs" / f"{other}.json", config):
                # only under this row's name: the same older run may stand in another table too
                keep &= ~(same_unseeded & (ids == other))
    table = pd.concat([table[keep], new], ignore_index=True)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    if config is not None:
        write_json_atomic(path.parent / "configs" / f"{run['run_id']}.json", dict(config))
    return table


def _same(table: pd.DataFrame, run: Mapping[str, Any], columns: list[str]) -> pd.Series:
    """Rows of ``table`` whose ``columns`` equal ``run``'s (compared as text, empty cells as "")."""
    return (table[columns].fillna("").astype(str) == pd.Series({c: str(run[c]) for c in columns})).all(axis=1)


def _differs_beyond_seed(saved: Path, config: Mapping[str, Any]) -> bool:
    """Whether the configuration saved at ``saved`` differs from ``config`` in anything but the seed (False
    when none was saved: nothing to judge by)."""
    if not saved.is_file():
        return False
    old = json.loads(saved.read_text())
    new = json.loads(stable_json(dict(config)))  # the form it is saved in (tuples as lists, paths as text)
    old.pop("seed", None)
    new.pop("seed", None)
    return old != new


def pivot(table: pd.DataFrame, index=("variant", "teacher", "seed"), split: str = "test") -> pd.DataFrame:
    """Rows ``index``, one column per metric, for one split."""
    t = table[table["split"] == split]
    return t.pivot_table(index=list(index), columns="metric", values="value", aggfunc="first")
