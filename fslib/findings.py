"""The findings page: every claim of the two source studies in one table, each computed from the tables of
the profile that built the book, by the same paired seed rule as on its own page.

Sources: ``results.csv`` (every training run of the fingerspelling and the isolated-sign pages, long
format), ``islr_corpus.csv`` (the isolated-sign corpus's size, for the chance level) and
``embedding_letter_separability.csv`` (the embedding page's scores per seed). A claim whose rows were not
run at this profile is "not testable", with the reason; nothing here is written by hand.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .islr import study as islr_study
from .recognizer import ablation, comparison

VERDICTS = ("replicates", "opposite", "within noise", "not testable")

ISLR_PAGES = (("11 normalization", islr_study.NORMALIZATION_CLAIMS), ("12 temporal models", islr_study.TEMPORAL_CLAIMS),
              ("13 dropout and augmentation", islr_study.DROPOUT_CLAIMS + islr_study.AUGMENT_CLAIMS))
EMBEDDING_CLAIM = "Distillation makes the encoder's per-frame features separate the letters better"


def verdict(sentence: str) -> str:
    """The short verdict (one of :data:`VERDICTS`) of a claim sentence written by
    :func:`fslib.recognizer.comparison.claim_verdict` or the pages' claim helpers built on it."""
    if ": replicates here" in sentence:
        return "replicates"
    if "the opposite holds" in sentence:
        return "opposite"
    if "within seed noise" in sentence:
        return "within noise"
    if ": not testable here" in sentence or ": not run at this profile" in sentence:
        return "not testable"
    raise ValueError(f"not a claim sentence of this study: {sentence!r}")


def _row(study: str, page: str, corpus: str, teacher: str, sentence: str) -> dict[str, str]:
    claim, _, detail = sentence.partition(": ")
    return {"study": study, "page": page, "corpus": corpus, "teacher": teacher, "claim": claim,
            "verdict": verdict(sentence), "detail": detail}


def _corpus_name(corpus: str, alphabet: str) -> str:
    kind = "synthetic" if corpus == "synthetic" else f"real ({corpus})"
    return f"{kind}, {'ASL' if alphabet == 'ChicagoFSWild' else alphabet}"


def _fingerspelling_corpora(results: pd.DataFrame):
    """(name, rows) of each fingerspelling corpus of ``results`` that has its constant-output row."""
    fs = results[results["alphabet"] != "islr"]
    for (corpus, alphabet), part in fs.groupby(["corpus", "alphabet"], sort=False):
        if (part["variant"] == "constant").any():
            yield _corpus_name(corpus, alphabet), part


def fingerspelling_claims(results: pd.DataFrame, best: str = "hamer") -> list[dict[str, str]]:
    """The loss-ablation claims on each fingerspelling corpus of ``results`` and, where the full model was
    distilled from other hand models, "``best`` teaches better than X" (the oracle pose, an upper bound, is
    not a hand model and is left out, as on the teacher page)."""
    out = []
    for name, part in _fingerspelling_corpora(results):
        # the teacher behind a claim's rows: the distillation claims compare with the distilled rows
        out += [_row("fingerspelling", "05 loss ablation", name, best if s.startswith("Distillation") else "none", s)
                for s in ablation.ablation_claims(part, best)]
        others = sorted(set(part.loc[part["variant"] == "full", "teacher"].dropna()) - {best, *ablation.UPPER_BOUNDS})
        if others and (part["teacher"] == best).any():
            out += [_row("fingerspelling", "06 teacher comparison", name, f"{best} vs {t}", s)
                    for t, s in zip(others, ablation.teacher_claims(part, [best, *others], best))]
    return out


def embedding_claims(scores: pd.DataFrame, distilled: str = "student, distilled",
                     undistilled: str = "student, not distilled", corpus: str = "synthetic, ASL",
                     teacher: str = "hamer") -> list[dict[str, str]]:
    """"Distillation makes the features separate the letters better", per measure (nearest centroid,
    linear probe), from the embedding page's scores: the paired per-seed comparison of the two students,
    against chance."""
    long = []
    for r in scores.itertuples():
        variant = {distilled: "distilled", undistilled: "undistilled"}.get(r.system)
        if variant:
            long += [dict(variant=variant, teacher="", seed=r.seed, split="test", metric=m, value=getattr(r, m))
                     for m in ("nearest_centroid", "linear_probe")]
    long = pd.DataFrame(long, columns=["variant", "teacher", "seed", "split", "metric", "value"])
    chance = float(scores["chance"].iloc[0]) if len(scores) else None
    out = []
    for m in ("nearest_centroid", "linear_probe"):
        label = m.replace("_", " ")
        claim = f"{EMBEDDING_CLAIM} ({label})"
        if long.empty or not (long["variant"] == "distilled").any() or not (long["variant"] == "undistilled").any():
            sentence = f"{claim}: not run at this profile (the embedding page scored no pair of students)."
        else:
            sentence = comparison.check_claim(long, claim, ("distilled", ""), ("undistilled", ""),
                                              ("distilled", "undistilled"), m, "test", baseline=chance,
                                              label=f"{label} accuracy")[1]
        out.append(_row("fingerspelling", "07 embeddings", corpus, teacher, sentence))
    return out


def islr_claims(results: pd.DataFrame, glosses: int) -> list[dict[str, str]]:
    """The isolated-sign pages' orderings (validation top-1, as the source's tables), from ``results``."""
    part = results[results["alphabet"] == "islr"]
    if part.empty:
        return []
    corpus = _corpus_name(str(part["corpus"].iloc[0]), "landmarks")
    out = []
    for page, claims in ISLR_PAGES:
        for claim, a, b in claims:
            if {a, b} <= set(part["variant"]):
                sentence = islr_study.ordering_verdicts(part, [(claim, a, b)], 1.0 / glosses)[0]
            else:
                sentence = f"{claim}: not run at this profile (no run of {a} or {b} in the table)."
            out.append(_row("isolated signs", page, corpus, "none", sentence))
    return out


def collect(tables: str | Path) -> pd.DataFrame:
    """Every claim computed from the tables in the folder ``tables`` (a run's ``<out_dir>/tables``)."""
    from .recognizer import results as results_table

    tables = Path(tables)
    results = results_table.read(tables / "results.csv")
    rows = fingerspelling_claims(results)
    emb = tables / "embedding_letter_separability.csv"
    if emb.exists():
        rows += embedding_claims(pd.read_csv(emb))
    corpus = tables / "islr_corpus.csv"
    if corpus.exists():
        glosses = int(pd.read_csv(corpus, index_col=0)["value"]["glosses"])
        rows += islr_claims(results, glosses)
    return pd.DataFrame(rows, columns=["study", "page", "corpus", "teacher", "claim", "verdict", "detail"])


def learning_margins(tables: str | Path) -> pd.DataFrame:
    """Per fingerspelling corpus of the run, :func:`fslib.recognizer.ablation.learning_note` on its loss
    ablation: whether the table's best row is clearly above the constant output (a verdict on models that
    barely learned is weak however it comes out)."""
    from .recognizer import results as results_table

    rows = [{"corpus": name, "margin": ablation.learning_note(part, ablation.ablation_rows("hamer"))}
            for name, part in _fingerspelling_corpora(results_table.read(Path(tables) / "results.csv"))]
    return pd.DataFrame(rows, columns=["corpus", "margin"])


def tally(claims: pd.DataFrame) -> pd.DataFrame:
    """Counts of each verdict per study (columns in the order of :data:`VERDICTS`)."""
    t = pd.crosstab(claims["study"], pd.Categorical(claims["verdict"], categories=VERDICTS), dropna=False)
    t.columns.name = None
    return t
