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
    return C.generate(corpus_config(params), progress=progress)


def corpus_config(params: Mapping[str, Any]) -> C.CorpusConfig:
    """The synthetic corpus a page's parameters describe (glosses, signers per split, seed)."""
    return C.CorpusConfig(
        glosses=params["islr_glosses"],
        train_signers=params["islr_train_signers"],
        val_signers=params["islr_val_signers"],
        test_signers=params["islr_test_signers"],
        seed=params.get("seed", 0),
    )


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


def validate_params(params: Mapping[str, Any]) -> None:
    """A clear ``ValueError`` naming the first impossible isolated-sign page parameter: seeds that are not a
    list of integers, a count below its minimum, an unknown source, a corpus path that does not exist."""
    from ..config import ConfigError
    from .source import get as get_source

    def fail(name: str, why: str) -> None:
        raise ConfigError(f"isolated-sign page parameter {name}={params[name]!r}: {why}")

    for name in ("islr_seeds", "islr_difference_seeds"):
        if name in params:
            v = params[name]
            if not isinstance(v, (list, tuple)) or not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
                fail(name, "a list of integer seeds, e.g. [0, 1, 2]")
    if "islr_seeds" in params and not params["islr_seeds"]:
        fail("islr_seeds", "at least one seed")
    minimum = {"islr_epochs": 1, "islr_hidden": 4, "islr_code_epochs": 1, "islr_glosses": 2, "islr_frame_size": 8}
    minimum.update({"islr_video_width": 64, "islr_realism_clips": 0})
    minimum.update({f"islr_{s}_signers": 1 for s in ("train", "val", "test")})
    for name, low in minimum.items():
        if name in params and (not isinstance(params[name], int) or params[name] < low):
            fail(name, f"an integer of at least {low}")
    if "islr_sources" in params:
        if not isinstance(params["islr_sources"], (list, tuple)) or not params["islr_sources"]:
            fail("islr_sources", "a list of one or more of 'text', 'code'")
        for s in params["islr_sources"]:
            try:
                get_source(s)
            except ValueError as err:
                fail("islr_sources", str(err))
    path = params.get("islr_corpus_path")
    if path and not Path(path).is_dir():
        fail(
            "islr_corpus_path", "no such folder; give a GISLR-layout landmark folder (fslib ingest isolated makes one)"
        )
    videos = params.get("islr_video_path")
    if videos and not (Path(videos) / "videos").is_dir():
        fail("islr_video_path", "no videos/ folder there; give the folder holding videos/ (as ASL Citizen's)")
    if videos and not path:
        fail("islr_video_path", "set islr_corpus_path too: the landmarks of those videos (fslib islr-extract)")


def open_page(params: Mapping[str, Any]) -> IslrPage:
    """The set-up of an isolated-sign page (notebooks 10-13) from its parameters: the corpus folder
    (:func:`corpus_root`, generated or found in the cache), then the provenance box
    (:func:`describe_corpus_params`, no teacher) and the output folders (:func:`fslib.report.open_page`).
    The page's parameters are checked first (:func:`validate_params`), before any work."""
    validate_params(params)
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
    from . import source as S

    root = Path(root)

    def prepare(r) -> tuple[Any, dict[str, Any]]:
        points = S.select_points(lm.read_parquet(root / r.path), source)
        clip, rep = prepare_clip(points, strategy, stride, source)
        info: dict[str, Any] = dict(frames=rep.frames, kept=rep.kept, unanchored=rep.unanchored)
        if not rep.kept:
            info["skipped"] = (
                f"no frame with a hand and the {strategy} anchor" if rep.unanchored else "no hand in any frame"
            )
        return clip, info

    return gather(root, prepare, f"preparing clips ({strategy})", progress)


def gather(root: str | Path, prepare: Any, desc: str, progress: bool = False):
    """``(splits, classes, report)`` from a landmark corpus: ``prepare(row of train.csv)`` gives each clip and a
    dict for its report line (``skipped``: why it is left out, if it is); a clip whose preparation raises an
    OSError or ValueError is skipped with that error. ``train.csv`` needs a ``split`` column and every gloss
    in ``sign_to_prediction_index_map.json``."""
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
    for r in tqdm(df.itertuples(), total=len(df), desc=desc, disable=not progress):
        row: dict[str, Any] = {"sequence_id": r.sequence_id, "split": r.split, "sign": r.sign, "skipped": ""}
        try:
            clip, info = prepare(r)
            row.update(info)
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
    sources: Sequence[str] = ("text",),
    transformer_epochs: int = 500,
) -> pd.DataFrame:
    """Train every row under every source at every seed; record val/test top-1/top-5 and training seconds;
    return the rows' results (long format; a row trained under a source other than the text is the variant
    ``"<row> [<source>]"``, :func:`fslib.islr.tables.variant`). ``train_params``: IslrConfig fields shared by all
    rows (epochs, hidden, ...); ``sources``: :mod:`fslib.islr.source` names; ``transformer_epochs``: the epoch
    cap of the code's PoseTransformer recipe (:func:`fslib.islr.source.training_overrides`)."""
    from .source import training_overrides

    prepared: dict[str, Any] = {}
    corpus = "synthetic" if (root / "signers.json").exists() else root.name
    out = []
    for source, (name, row) in ((s, r) for s in sources for r in rows.items()):
        overrides = training_overrides(row, source, transformer_epochs)
        strategy = overrides.get("normalization", "per_frame")
        if (strategy, source) not in prepared:
            prepared[strategy, source] = load_splits(root, strategy, source=source)
        splits, classes, _ = prepared[strategy, source]
        for seed in seeds:
            cfg = make_config({**train_params, **overrides}, seed=seed)
            res = train(cfg, splits, classes, progress=progress)
            out += record_run(res, T.variant(name, source), corpus, seed, results_path)
    return pd.DataFrame(out)


def record_run(res: Any, variant: str, corpus: str, seed: int, results_path: Path) -> list[dict[str, Any]]:
    """Record one finished isolated-sign run (:class:`fslib.islr.train.IslrResult`) in ``results_path`` as the
    row ``variant``: validation and test top-1 / top-5, training seconds and epochs run; returns its long rows."""
    metrics = {
        "val": res.report["val"],
        "test": res.report.get("test", {}),
        "train": {"train_seconds": res.report["train_seconds"], "epochs": len(res.report["history"])},
    }
    run = dict(
        run_id=f"islr-{res.folder.name}",
        study="isolated_signs",
        corpus=corpus,
        alphabet="",
        variant=variant,
        teacher="none",
        seed=seed,
    )
    results_table.record(results_path, run, metrics, config=res.report["config"])
    return [{**run, "split": s, "metric": m, "value": v} for s, ms in metrics.items() for m, v in ms.items()]


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


def training_cost(run: TableRun) -> str:
    """One line on what each row's training cost per source (mean over seeds): seconds and epochs run (early
    stopping can end a run before its epoch cap)."""
    from .source import label

    r = run.results[run.results["split"] == "train"]
    sources = T.sources_in(r)
    parts = []
    for source in sources:
        for row in run.spec.rows:
            v = r[r["variant"] == T.variant(row, source)]
            sec, ep = v[v["metric"] == "train_seconds"]["value"], v[v["metric"] == "epochs"]["value"]
            if len(sec):
                name = f"{row} ({label(source)})" if len(sources) > 1 else row
                parts.append(f"{name}: {sec.mean():.0f} s, {ep.mean():.0f} epochs")
    return "Training per run (mean over seeds): " + "; ".join(parts) + "."


def run_table(
    root: Path,
    name: str,
    seeds: Sequence[int],
    train_params: Mapping[str, Any],
    tables: str | Path,
    progress: bool = True,
    sources: Sequence[str] = ("text",),
    transformer_epochs: int = 500,
) -> TableRun:
    """Train the rows of the table ``name`` (:data:`fslib.islr.tables.TABLES`) under every source at every seed
    (:func:`run_rows`, recorded in ``tables/results.csv``), write its summary with the source's numbers to
    ``tables/<spec.csv>`` and check the source's orderings against chance (1 / the corpus's glosses), once per
    source."""
    spec = T.TABLES[name]
    tables = Path(tables)
    results = run_rows(
        root,
        spec.rows,
        seeds,
        train_params,
        tables / "results.csv",
        progress=progress,
        sources=sources,
        transformer_epochs=transformer_epochs,
    )
    table = T.spec_table(results, spec, sources)
    chance = T.chance_row(len(C.read_index(root)["sign"].unique()))
    table.to_csv(tables / spec.csv, index=False)
    verdicts = [
        v
        for source in sources
        for v in T.ordering_verdicts(results, T.source_claims(spec.claims, source), chance["top1"])
    ]
    return TableRun(spec, results, table, chance, len(seeds), verdicts)


def single_differences(
    root: Path,
    seeds: Sequence[int],
    train_params: Mapping[str, Any],
    tables: str | Path,
    switches: Sequence[str] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Which of the code's differences moves the normalization ordering: the normalization table's rows trained
    under the text, under the text with one difference of the code switched on (``text+<switch>``, each of
    ``switches``, default all of :data:`fslib.islr.source.SWITCHES`) and under the code, at every seed; one
    line per source with each row's mean validation top-1 and each of the source study's normalization
    orderings as the paired seed rule decides it there. Written to ``tables/islr_single_differences.csv``."""
    from . import source as S

    spec = T.TABLES["normalization"]
    tables = Path(tables)
    if not seeds:
        return pd.DataFrame()
    switches = list(S.SWITCHES if switches is None else switches)
    sources = ["text", *(f"text+{s}" for s in switches), "code"]
    results = run_rows(root, spec.rows, seeds, train_params, tables / "results.csv", progress=progress, sources=sources)
    chance = T.chance_row(len(C.read_index(root)["sign"].unique()))["top1"]
    lines = []
    for source in sources:
        line: dict[str, Any] = {"source": S.label(source)}
        for row in spec.rows:
            vals = results[
                (results["variant"] == T.variant(row, source))
                & (results["split"] == "val")
                & (results["metric"] == "top1")
            ]["value"]
            line[f"{row} val top-1"] = round(float(vals.mean()), 3) if len(vals) else float("nan")
        for (claim, _, _), v in zip(
            spec.claims, T.ordering_verdicts(results, T.source_claims(spec.claims, source), chance)
        ):
            line[claim] = v.outcome
        lines.append(line)
    table = pd.DataFrame(lines)
    table.to_csv(tables / "islr_single_differences.csv", index=False)
    return table
