"""The findings page: every claim of the two source studies in one table, each computed from the tables of
the profile that built the book, by the same paired seed rule as on its own page.

Sources: ``results.csv`` (every training run of the fingerspelling and the isolated-sign pages, long
format), ``islr_corpus.csv`` (the isolated-sign corpus's size, for the chance level) and
``embedding_letter_separability.csv`` (the embedding page's scores per seed). A claim whose rows were not
run at this profile is "not testable", with the reason; nothing here is written by hand. Each row is read
off a :class:`fslib.claims.Verdict`: its outcome is the verdict column, its sentence after the claim the
detail column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import results as results_table
from .claims import OUTCOMES, Verdict, compare
from .islr import tables as islr_tables
from .recognizer import tables as fs_tables
from .teachers.registry import REFERENCE, upper_bounds

# (page, claims, trained under both sources): page 14's proposed system follows the paper's text only
ISLR_PAGES = (
    ("11 normalization", islr_tables.NORMALIZATION_CLAIMS, True),
    ("12 temporal models", islr_tables.TEMPORAL_CLAIMS, True),
    ("13 dropout and augmentation", islr_tables.DROPOUT_CLAIMS + islr_tables.AUGMENT_CLAIMS, True),
    ("14 video and pose", islr_tables.VIDEO_CLAIMS, False),
)
EMBEDDING_CLAIM = "Distillation makes the encoder's per-frame features separate the letters better"

# The provenance box of the findings page, and the colour of each verdict in its table.
DATA = "the corpus named in each row (the pages 04-13 of this run trained on them)"
COLOURS = {"replicates": "#d9f2d9", "opposite": "#f8d7d7", "within noise": "#fff3cd", "not testable": "#e9ecef"}
SHOWN = ["study", "page", "corpus", "teacher", "claim", "verdict"]
# findings.csv: the shown columns, the sentence behind each verdict, its flip margin (the smallest change of one
# seed's result that changes the verdict, :func:`fslib.claims.flip_margin`) and the s.d. of its per-seed
# differences (NaN where not testable)
COLUMNS = [*SHOWN, "detail", "margin", "sd"]


def _row(study: str, page: str, corpus: str, teacher: str, v: Verdict) -> dict[str, str]:
    return {
        "study": study,
        "page": page,
        "corpus": corpus,
        "teacher": teacher,
        "claim": v.claim,
        "verdict": v.outcome,
        "detail": v.detail,
        "margin": v.margin,
        "sd": v.std,
    }


def _corpus_name(corpus: str, alphabet: str) -> str:
    kind = "synthetic" if corpus == "synthetic" else f"real ({corpus})"
    return f"{kind}, {'ASL' if alphabet == 'ChicagoFSWild' else alphabet}"


def fingerspelling_corpora(results: pd.DataFrame):
    """(name, rows) of each fingerspelling corpus of ``results`` that has its constant-output row."""
    fs = results[results["study"] == "fingerspelling"]
    for (corpus, alphabet), part in fs.groupby(["corpus", "alphabet"], sort=False):
        if (part["variant"] == "constant").any():
            yield _corpus_name(corpus, alphabet), part


def fingerspelling_claims(results: pd.DataFrame, best: str = REFERENCE) -> list[dict[str, str]]:
    """The loss-ablation claims on each fingerspelling corpus of ``results`` and, where the full model was
    distilled from other hand models, "``best`` teaches better than X" (the oracle pose, an upper bound, is
    not a hand model and is left out, as on the teacher page)."""
    out = []
    for name, part in fingerspelling_corpora(results):
        for v in fs_tables.ablation_claims(part, best):
            # the teacher behind a claim's rows: the distillation claims compare with the distilled rows
            teacher = best if v.claim.startswith("Distillation") else "none"
            out.append(_row("fingerspelling", "05 loss ablation", name, teacher, v))
        others = sorted(set(part.loc[part["variant"] == "full", "teacher"].dropna()) - {best, *upper_bounds()})
        if others and (part["teacher"] == best).any():
            out += [
                _row("fingerspelling", "06 teacher comparison", name, f"{best} vs {t}", v)
                for t, v in zip(others, fs_tables.teacher_claims(part, [best, *others], best))
            ]
    return out


def embedding_claims(
    scores: pd.DataFrame,
    distilled: str = "student, distilled",
    undistilled: str = "student, not distilled",
    corpus: str = "synthetic, ASL",
    teacher: str = REFERENCE,
) -> list[dict[str, str]]:
    """ "Distillation makes the features separate the letters better", per measure (nearest centroid,
    linear probe), from the embedding page's scores: the paired per-seed comparison of the two students,
    against chance."""
    long = []
    for r in scores.itertuples():
        variant = {distilled: "distilled", undistilled: "undistilled"}.get(r.system)
        if variant:
            long += [
                dict(variant=variant, teacher="", seed=r.seed, split="test", metric=m, value=getattr(r, m))
                for m in ("nearest_centroid", "linear_probe")
            ]
    long = pd.DataFrame(long, columns=["variant", "teacher", "seed", "split", "metric", "value"])
    chance = float(scores["chance"].iloc[0]) if len(scores) else None
    out = []
    for m in ("nearest_centroid", "linear_probe"):
        label = m.replace("_", " ")
        v = compare(
            long,
            f"{EMBEDDING_CLAIM} ({label})",
            ("distilled", ""),
            ("undistilled", ""),
            ("distilled", "undistilled"),
            m,
            "test",
            baseline=chance,
            label=f"{label} accuracy",
            not_run="the embedding page scored no pair of students",
        )
        out.append(_row("fingerspelling", "07 embeddings", corpus, teacher, v))
    return out


def islr_claims(results: pd.DataFrame, glosses: int) -> list[dict[str, str]]:
    """The isolated-sign pages' orderings (validation top-1, as the source's tables), from ``results``."""
    part = results[results["study"] == "isolated_signs"]
    if part.empty:
        return []
    corpus = _corpus_name(str(part["corpus"].iloc[0]), "landmarks")
    # one row per claim and source (the paper's text, the authors' code); single-difference sources are the
    # normalization page's own analysis, not claims of the source study
    sources = [s for s in islr_tables.sources_in(part) if "+" not in s]
    return [
        _row("isolated signs", page, corpus, "none", v)
        for page, page_claims, both in ISLR_PAGES
        for source in (sources if both else ["text"])
        for v in islr_tables.ordering_verdicts(part, islr_tables.source_claims(page_claims, source), 1.0 / glosses)
    ]


def islr_glosses(tables: str | Path) -> int | None:
    """The isolated-sign corpus's gloss count (its chance level is 1 / glosses), from ``islr_corpus.csv`` in the
    folder ``tables``; None when the run has no isolated-sign pages."""
    corpus = Path(tables) / "islr_corpus.csv"
    return int(pd.read_csv(corpus, index_col=0)["value"]["glosses"]) if corpus.exists() else None


def collect(tables: str | Path) -> pd.DataFrame:
    """Every claim computed from the tables in the folder ``tables`` (a run's ``<out_dir>/tables``)."""
    tables = Path(tables)
    results = results_table.read(tables / "results.csv")
    rows = fingerspelling_claims(results)
    emb = tables / "embedding_letter_separability.csv"
    if emb.exists():
        rows += embedding_claims(pd.read_csv(emb))
    glosses = islr_glosses(tables)
    if glosses:
        rows += islr_claims(results, glosses)
    return pd.DataFrame(rows, columns=COLUMNS)


def learning_margins(tables: str | Path) -> pd.DataFrame:
    """Per fingerspelling corpus of the run, :func:`fslib.recognizer.tables.learning_note` on its loss
    ablation: whether the table's best row is clearly above the constant output (a verdict on models that
    barely learned is weak however it comes out)."""
    rows = [
        {"corpus": name, "margin": fs_tables.learning_note(part, fs_tables.ablation_rows(REFERENCE))}
        for name, part in fingerspelling_corpora(results_table.read(Path(tables) / "results.csv"))
    ]
    return pd.DataFrame(rows, columns=["corpus", "margin"])


def tally(claims: pd.DataFrame) -> pd.DataFrame:
    """Counts of each verdict per study (columns in the order of :data:`fslib.claims.OUTCOMES`)."""
    t = pd.crosstab(claims["study"], pd.Categorical(claims["verdict"], categories=OUTCOMES), dropna=False)
    t.columns.name = None
    return t


def teacher_line(hamer_checkpoint: str) -> str:
    """The teacher line of the findings page's provenance box: which HaMeR ``hamer`` in the table is."""
    teacher = (
        "HaMeR from the official checkpoint"
        if hamer_checkpoint
        else "this study's HaMeR network pretrained on synthetic hands (notebook 03), not the released model"
    )
    return f"`hamer` in the table is {teacher}"


def styled(claims: pd.DataFrame):
    """The claims table as the page shows it: the :data:`SHOWN` columns, no index, each verdict cell
    coloured by :data:`COLOURS` (a pandas Styler)."""
    return claims[SHOWN].style.hide(axis="index").map(lambda v: f"background-color: {COLOURS[v]}", subset=["verdict"])


def margin_lines(tables: str | Path) -> str:
    """ "corpus: margin" for each fingerspelling corpus of :func:`learning_margins`, one a line."""
    return "\n".join(f"{r.corpus}: {r.margin}" for r in learning_margins(tables).itertuples())


def robustness(claims: pd.DataFrame) -> pd.DataFrame:
    """The decided and within-noise verdicts of :func:`collect` with their flip margin beside the s.d. of
    their per-seed differences, smallest margin first. ``robust``: the margin exceeds that s.d., so the verdict
    survives one seed's result moving by as much as the seeds differ among themselves, which bounds what
    another machine's rounding does to a run (it sends training down another path, like another seed)."""
    part = claims[claims["verdict"] != "not testable"].copy()
    part["robust"] = part["margin"] > part["sd"]
    return part[["page", "corpus", "claim", "verdict", "margin", "sd", "robust"]].sort_values("margin")


def robustness_line(claims: pd.DataFrame) -> str:
    """One computed sentence on :func:`robustness`: how many verdicts are robust, and which decided ones
    (replicates or opposite) are not."""
    r = robustness(claims)
    if r.empty:
        return "No claim is testable in this run, so there is no verdict to test for robustness."
    head = (
        f"{int(r['robust'].sum())} of {len(r)} testable verdicts keep their outcome when any one seed's result "
        "moves by as much as the s.d. of their per-seed differences"
    )
    fragile = r[~r["robust"] & r["verdict"].isin(["replicates", "opposite"])]
    if fragile.empty:
        return head + "; every decided verdict (replicates or opposite) is among them."
    names = "; ".join(
        f"{x.claim} ({x.page}, {x.corpus}: {x.verdict}, margin {x.margin:.3f} against s.d. {x.sd:.3f})"
        for x in fragile.itertuples()
    )
    return f"{head}. Decided verdicts that one seed's noise could change, to read as tentative: {names}."


def detail_lines(claims: pd.DataFrame) -> str:
    """ "[verdict] claim (page; corpus): detail" for each claim of :func:`collect`, one a line."""
    return "\n".join(f"[{r.verdict}] {r.claim} ({r.page}; {r.corpus}): {r.detail}" for r in claims.itertuples())


def islr_by_source(claims: pd.DataFrame) -> pd.DataFrame:
    """The isolated-sign claims of :func:`collect`, one line per claim with its verdict under each source (the
    paper's text, the authors' code): which source reproduces which of the source study's orderings."""
    from .islr.source import LABELS

    part = claims[claims["study"] == "isolated signs"]
    if part.empty:
        return pd.DataFrame(columns=["page", "claim", *LABELS.values()])
    suffixes = {f" ({lab})": lab for name, lab in LABELS.items() if name != "text"}
    lines: dict[tuple[str, str], dict[str, str]] = {}
    for r in part.itertuples():
        claim, source = r.claim, LABELS["text"]
        for suffix, lab in suffixes.items():
            if claim.endswith(suffix):
                claim, source = claim[: -len(suffix)], lab
        lines.setdefault((r.page, claim), {"page": r.page, "claim": claim})[source] = r.verdict
    return pd.DataFrame(list(lines.values())).fillna("not run")
