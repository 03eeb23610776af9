"""The book's front page: the headline results of the run the book shows, computed from the tables that run
wrote (never typed), one line per question, and the numbers the front page's prose quotes.

Every line says which corpus and which teacher produced it, its seeds, the two rows it compares (mean +- s.d.
over seeds), the paired difference and a verdict computed by the evidence layer (:mod:`fslib.claims`): the
same rule as on the question's own page, so the front page can never disagree with the page it summarises.
A question the run did not answer (its rows were not run at this profile) is a line that says so.

The findings page (``notebooks/20_findings.ipynb``) builds the table with :func:`table` and glues it and
:func:`numbers` with myst-nb (:func:`glue`); the front page (``book/intro.md``) pastes them by key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import claims as claims_mod
from . import findings
from . import results as results_table
from .islr import tables as islr_tables
from .recognizer import tables as fs_tables
from .teachers.registry import REFERENCE, upper_bounds

COLUMNS = ["question", "data", "teacher", "result", "against", "difference", "seeds", "verdict"]
ASL = "ChicagoFSWild"  # the fingerspelling alphabet of the ASL corpus (synthetic or real)
METRIC = "letter_accuracy"  # plain letter accuracy on the test signers
# The front page's words for each outcome of the recognizer pages' one learning rule
# (:func:`fslib.recognizer.tables.learning_outcome`).
LEARNED_TEXT = {
    "nothing": "learned nothing (at or below the constant output)",
    "one seed": "one seed: no spread to judge the margin by",
    "barely": f"barely learned (margin within {fs_tables.LEARNED_SDS:g} seed s.d.s)",
    "learned": f"learned (margin above {fs_tables.LEARNED_SDS:g} seed s.d.s)",
}


def _mean_sd(values: Sequence[float] | pd.Series, digits: int = 3) -> str:
    v = np.asarray(list(values), float)
    if not len(v):
        return "-"
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def _corpus_label(corpus: str, alphabet: str) -> str:
    kind = "synthetic" if corpus == "synthetic" else f"real ({corpus})"
    return f"{kind} {'ASL' if alphabet == ASL else alphabet} fingerspelling (test signers)"


def _fingerspelling(results: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(alphabet, data label, rows) of each fingerspelling corpus with its constant-output row
    (:func:`fslib.findings.fingerspelling_corpora`), ASL first."""
    parts = []
    for _, part in findings.fingerspelling_corpora(results):
        corpus, alphabet = str(part["corpus"].iloc[0]), str(part["alphabet"].iloc[0])
        parts.append((alphabet, _corpus_label(corpus, alphabet), part))
    yield from sorted(parts, key=lambda p: p[0] != ASL)


# Why a claim is not testable, in the few words a table cell has room for (the findings page says it in full).
SHORT_REASONS = {
    "not run": "not run at this profile",
    "too few seeds": f"fewer than {claims_mod.MIN_SEEDS} seeds",
    "ceiling": "both rows at the ceiling",
    "below baseline": "a row at the learned-nothing baseline",
}


def _verdict_text(v: claims_mod.Verdict) -> str:
    return v.outcome if v.outcome != "not testable" else f"not testable ({SHORT_REASONS[v.reason]})"


def _pair_line(
    question: str, data: str, teacher: str, part: pd.DataFrame, v: claims_mod.Verdict, a, b, metric: str, split: str
) -> dict[str, Any]:
    va = claims_mod.seed_values(part, *a, metric, split)
    vb = claims_mod.seed_values(part, *b, metric, split)
    return {
        "question": question,
        "data": data,
        "teacher": teacher,
        "result": f"{v.a_name}: {_mean_sd(va)}",
        "against": f"{v.b_name}: {_mean_sd(vb)}",
        "difference": _mean_sd(v.differences, 3) if v.seeds else "-",
        "seeds": v.seeds,
        "verdict": _verdict_text(v),
    }


def distillation_lines(results: pd.DataFrame, reference: str = REFERENCE) -> list[dict[str, Any]]:
    """Distilled versus not distilled (the full model against the same model without the distillation
    term), per fingerspelling corpus: the loss-ablation page's claim "Distillation helps the full model"."""
    out = []
    for _, data, part in _fingerspelling(results):
        v = next(
            v for v in fs_tables.ablation_claims(part, reference) if v.claim == "Distillation helps the full model"
        )
        out.append(
            _pair_line(
                "Does distillation help the RGB recognizer?",
                data,
                reference,
                part,
                v,
                ("full", reference),
                ("ctc_both_kl", ""),
                METRIC,
                "test",
            )
        )
    return out


def learned_lines(results: pd.DataFrame, reference: str = REFERENCE) -> list[dict[str, Any]]:
    """The full model against the learned-nothing row (the best constant string), per fingerspelling corpus,
    judged by the recognizer pages' rule (:func:`fslib.recognizer.tables.learning_outcome`)."""
    out = []
    for _, data, part in _fingerspelling(results):
        base = fs_tables.baseline_value(part, METRIC, "test")
        v = claims_mod.seed_values(part, "full", reference, METRIC, "test")
        margins = v - base
        if not len(v):
            verdict = "not run at this profile"
        else:
            std = float(v.std(ddof=1)) if len(v) > 1 else float("nan")
            verdict = LEARNED_TEXT[fs_tables.learning_outcome(float(v.mean()), std, base)]
        out.append(
            {
                "question": "Did the recognizer learn?",
                "data": data,
                "teacher": reference,
                "result": f"full model: {_mean_sd(v)}",
                "against": f"constant output: {base:.3f}",
                "difference": _mean_sd(margins) if len(v) else "-",
                "seeds": len(v),
                "verdict": verdict,
            }
        )
    return out


def teacher_lines(results: pd.DataFrame, reference: str = REFERENCE) -> list[dict[str, Any]]:
    """The best hand-model teacher against ``reference`` (HaMeR) on the ASL corpus: when HaMeR is the best, the
    line compares it with the runner-up; upper bounds (the oracle pose) are not hand models and are left out.
    No line when the run distilled from HaMeR only."""
    for alphabet, data, part in _fingerspelling(results):
        if alphabet != ASL:
            continue
        full = part[(part["variant"] == "full") & (part["metric"] == METRIC) & (part["split"] == "test")]
        means = full.groupby(full["teacher"].fillna("none"))["value"].mean().drop(list(upper_bounds()), errors="ignore")
        if reference not in means or len(means) < 2:
            return []
        ranked = means.sort_values(ascending=False)
        best = str(ranked.index[0])
        other = str(ranked.index[1]) if best == reference else best
        v = claims_mod.compare(
            part,
            f"{reference} teaches better than {other}",
            ("full", reference),
            ("full", other),
            (reference, other),
            METRIC,
            "test",
            baseline=fs_tables.baseline_value(part, METRIC, "test"),
            label="letter accuracy",
        )
        question = "Is HaMeR the best teacher?"
        if best != reference:
            question += f" ({best} scores higher on average here)"
        return [
            _pair_line(
                question, data, f"{reference} vs {other}", part, v, ("full", reference), ("full", other), METRIC, "test"
            )
        ]
    return []


def speed_lines(tables: Path, claimed_factor: float = 3.0) -> list[dict[str, Any]]:
    """The RGB student's per-frame inference time against a pose stream that first runs the released-size
    HaMeR on every crop (the recognizer page's speed table, measured on this run's machine, batch of one
    clip); the source claims the student is more than ``claimed_factor`` times faster."""
    designs = tables / "efficiency_designs.csv"
    if designs.exists():  # the efficiency page's table: every design measured side by side
        return efficiency_lines(pd.read_csv(designs), claimed_factor)
    path = tables / "recognizer_inference_speed.csv"
    if not path.exists():
        return []
    speed = pd.read_csv(path).set_index("pipeline")
    student = speed.iloc[0]
    released = [i for i in speed.index if str(i).startswith("released")]
    line = {
        "question": "Is the RGB student cheaper at inference than a pose stream?",
        "data": "one synthetic clip on this run's CPU, batch of one",
        "teacher": "released-size HaMeR (timing only)",
        "result": f"RGB student: {student['ms_per_frame']:.2f} ms/frame",
        "seeds": "1 timing run",
    }
    if not released:
        return [
            {**line, "against": "-", "difference": "-", "verdict": "not testable (the released HaMeR was not timed)"}
        ]
    r = speed.loc[released[0]]
    f = float(r["times_slower_than_student"])
    return [
        {
            **line,
            "against": f"HaMeR + student: {r['ms_per_frame']:.1f} ms/frame",
            "difference": f"{f:.0f}x slower",
            "verdict": f"replicates (> {claimed_factor:g}x)" if f > claimed_factor else "opposite",
        }
    ]


def efficiency_lines(designs: pd.DataFrame, claimed_factor: float = 3.0) -> list[dict[str, Any]]:
    """The efficiency page's comparisons (:func:`fslib.recognizer.efficiency.comparisons`): the whole
    ``fslib recognize`` pipeline against each design with a second stream, per frame on this run's CPU."""
    from .recognizer import efficiency

    pipe = efficiency.row_of(designs, efficiency.PIPELINE)
    if pipe is None:
        return []
    out = []
    for c in efficiency.comparisons(designs, claimed_factor):
        out.append(
            {
                "question": "Is the RGB student more than 3x cheaper at inference than a pose stream?",
                "data": f"synthetic 640x480 video on this run's CPU, streaming ({pipe['video_frames_per_s']:.0f} video frames/s)",
                "teacher": "released-size HaMeR (timing only)" if "HaMeR" in c["against"] else "MediaPipe landmarks",
                "result": f"RGB student pipeline: {c['student_ms']:.1f} ms/frame",
                "against": f"{c['against']}: {c['against_ms']:.1f} ms/frame",
                "difference": f"{c['factor']:.1f}x",
                "seeds": "1 timing run",
                "verdict": f"replicates (> {claimed_factor:g}x)"
                if c["verdict"] == "replicates"
                else "does not replicate",
            }
        )
    return out


def _ordering(means: Mapping[str, float], digits: int) -> str:
    ranked = sorted(((float(m), r) for r, m in means.items() if not pd.isna(m)), reverse=True)
    return " > ".join(f"{r} {m:.{digits}f}" for m, r in ranked)


def _source_top1() -> dict[str, float]:
    """The source's temporal-model table, validation top-1 (%); a range (the BiLSTM's) by its upper end."""
    return {r: float(str(v[0]).split("-")[-1]) for r, v in islr_tables.SOURCE_TEMPORAL.items()}


def islr_lines(results: pd.DataFrame, glosses: int | None) -> list[dict[str, Any]]:
    """The isolated-sign normalization and temporal-model orderings (validation top-1, as the source's
    tables): our ordering of the rows' means against the source's, and the page's claims tallied."""
    part = results[results["study"] == "isolated_signs"]
    if part.empty or not glosses:
        return []
    out = []
    for name, question in (
        ("normalization", "Which normalization is best for isolated signs?"),
        ("temporal", "Which temporal model is best for isolated signs?"),
    ):
        spec = islr_tables.TABLES[name]
        table = islr_tables.summary(part, list(spec.rows), metrics=("top1",), splits=("val",))
        seeds = int(table["seeds"].min())
        if seeds == 0:
            continue
        verdicts = islr_tables.ordering_verdicts(part, spec.claims, 1.0 / glosses)
        counts = pd.Series([v.outcome for v in verdicts]).value_counts()
        tally = ", ".join(f"{counts[o]} {o}" for o in claims_mod.OUTCOMES if o in counts)
        source = islr_tables.SOURCE_NORMALIZATION if name == "normalization" else _source_top1()
        ranked = table.sort_values("val_top1_mean", ascending=False)
        out.append(
            {
                "question": question,
                "data": f"synthetic landmarks, {glosses} glosses (validation)",
                "teacher": "none",
                "result": "ours: "
                + " > ".join(f"{r} {t.replace('+-', '±')}" for r, t in zip(ranked["row"], ranked["val top1"])),
                "against": "source (%): " + _ordering(source, 1),
                "difference": "-",
                "seeds": seeds,
                "verdict": f"{tally} (of {len(verdicts)} source orderings)",
            }
        )
    return out


# The headline's lines, in the order the front page shows them: each takes the run's tables folder and its
# results table and returns zero or more lines of :data:`COLUMNS`. A new results page adds its line here.
LINES: tuple[Callable[[Path, pd.DataFrame], list[dict[str, Any]]], ...] = (
    lambda tables, results: distillation_lines(results),
    lambda tables, results: teacher_lines(results),
    lambda tables, results: learned_lines(results),
    lambda tables, results: speed_lines(tables),
    lambda tables, results: islr_lines(results, findings.islr_glosses(tables)),
)


def table(tables: str | Path) -> pd.DataFrame:
    """The headline table of the run whose tables are in the folder ``tables`` (a run's ``<out_dir>/tables``):
    the lines of every builder in :data:`LINES`."""
    tables = Path(tables)
    results = results_table.read(tables / "results.csv")
    return pd.DataFrame([row for lines in LINES for row in lines(tables, results)], columns=COLUMNS)


def styled(headline: pd.DataFrame):
    """The headline table as the front page shows it: no index, text left-aligned, wrapped in its cells."""
    return (
        headline.style.hide(axis="index")
        .set_properties(**{"text-align": "left", "white-space": "normal"})
        .set_table_attributes('class="headline-table"')
    )


def claim_lines(claims: pd.DataFrame) -> pd.DataFrame:
    """One line per source claim, for the front page: the claim, its corpus and its verdict, and for a claim
    that is not testable, why (the findings table's detail)."""
    why = claims["detail"].where(claims["verdict"] == "not testable", "")
    return pd.DataFrame(
        {
            "claim": claims["claim"],
            "page": claims["page"],
            "data": claims["corpus"],
            "verdict": claims["verdict"],
            "why not testable": why.str.rstrip("."),
        }
    )


def numbers(tables: str | Path, claims: pd.DataFrame) -> dict[str, Any]:
    """The figures the front page's prose quotes, by glue key: verdict counts over all claims and per study,
    and the ASL full model's letter accuracy and constant output (NaN when not run)."""
    counts = claims["verdict"].value_counts()
    out: dict[str, Any] = {"claims_total": int(len(claims))}
    for o in claims_mod.OUTCOMES:
        out[f"claims_{o.replace(' ', '_')}"] = int(counts.get(o, 0))
    results = results_table.read(Path(tables) / "results.csv")
    out["asl_full_accuracy"] = out["asl_constant_accuracy"] = float("nan")
    out["asl_full_seeds"] = 0
    for alphabet, _, part in _fingerspelling(results):
        if alphabet == ASL:
            v = claims_mod.seed_values(part, "full", REFERENCE, METRIC, "test")
            out["asl_full_accuracy"] = float(v.mean()) if len(v) else float("nan")
            out["asl_full_seeds"] = int(len(v))
            out["asl_constant_accuracy"] = fs_tables.baseline_value(part, METRIC, "test")
    return out


def glue(headline: pd.DataFrame, claims: pd.DataFrame, values: Mapping[str, Any]) -> None:
    """Glue the headline table, the claim lines and each of ``values`` for the front page (not displayed
    here: the findings page shows the full claims table itself)."""
    from myst_nb import glue as nb_glue

    nb_glue("headline_table", styled(headline), display=False)
    nb_glue("headline_claims", claim_lines(claims).style.hide(axis="index"), display=False)
    for key, value in values.items():
        nb_glue(key, value, display=False)
