"""The ISLR pages' tables and verdicts on hand-made results, and a table's rows trained and recorded."""

import pandas as pd

from fslib import results as results_table
from fslib.islr import experiment, tables


def results(rows):
    return pd.DataFrame(
        [
            dict(
                run_id=f"{r}{s}",
                study="isolated_signs",
                corpus="synthetic",
                alphabet="",
                variant=r,
                teacher="none",
                seed=s,
                split="val",
                metric="top1",
                value=v,
            )
            for r, vals in rows.items()
            for s, v in enumerate(vals)
        ]
    )


def test_verdicts_win_tie_loss_and_ceiling():
    res = results(
        {
            "per_frame": [0.8, 0.85, 0.82],
            "none": [0.5, 0.52, 0.49],
            "nose_anchored": [0.6, 0.62, 0.58],
            "face_anchored": [0.81, 0.84, 0.83],
            "a": [1.0, 1.0, 1.0],
            "b": [0.99, 1.0, 1.0],
        }
    )
    verdicts = tables.ordering_verdicts(
        res,
        [
            ("per-frame best", "per_frame", "none"),
            ("nose worse than none", "none", "nose_anchored"),
            ("per-frame beats face", "per_frame", "face_anchored"),
            ("a beats b", "a", "b"),
        ],
        chance=0.05,
    )
    assert [v.outcome for v in verdicts] == ["replicates", "opposite", "within noise", "not testable"]
    assert verdicts[3].reason == "ceiling" and "too easy" in verdicts[3].sentence
    assert verdicts[0].sentence == (
        "per-frame best: replicates here (per_frame - none in val top1, per seed: +0.300, "
        "+0.330, +0.330; mean +0.320, s.d. 0.017)."
    )
    table = tables.summary(res, ["per_frame", "none"], metrics=("top1",), splits=("val",))
    assert (
        list(table.columns[:3]) == ["row", "seeds", "val top1"]
        and tables.best_row(table, "val_top1_mean") == "per_frame"
    )


def test_rows_at_chance_are_not_testable():
    res = results({"per_frame": [0.3, 0.35, 0.32], "none": [0.1, 0.1, 0.1]})
    v = tables.ordering_verdicts(res, [("per-frame best", "per_frame", "none")], chance=0.12)[0]
    assert (v.outcome, v.reason) == ("not testable", "below baseline")


def test_rows_are_trained_recorded_as_isolated_signs_and_tabulated(tmp_path, monkeypatch):
    import torch

    torch.set_num_threads(1)
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    params = dict(islr_glosses=3, islr_train_signers=2, islr_val_signers=1, islr_test_signers=1, seed=0)
    root = experiment.corpus_root(params, progress=False)
    assert experiment.corpus_root({**params, "islr_corpus_path": str(root)}) == root
    rows = {k: tables.NORMALIZATION_ROWS[k] for k in ("per_frame", "none")}
    path = tmp_path / "tables" / "results.csv"
    res = experiment.run_rows(root, rows, [0, 1], {"epochs": 1, "hidden": 8}, path, progress=False)
    table = results_table.read(path)
    assert len(table) == len(res) and set(table["study"]) == {"isolated_signs"} and table["alphabet"].isna().all()
    assert set(table["variant"]) == set(rows) and set(table["seed"]) == {0, 1} and set(table["corpus"]) == {"synthetic"}
    summary = tables.summary(table, list(rows))
    assert summary["seeds"].tolist() == [2, 2]
    v = tables.ordering_verdicts(table, tables.NORMALIZATION_CLAIMS[:1], 1 / 3)[0]
    assert v.seeds == 2 and v.reason != "not run"


# The source paper's result tables (islr-segmentation-pose, section IV-C: validation set, 100-gloss subset of
# ASL Citizen, %), transcribed as printed, independently of fslib.islr.tables.
PAPER_TABLE_I = {  # Bi-LSTM; normalization strategy -> Val Acc
    "None (Raw Coordinates)": 50.29,
    "Global Nose-Anchored": 39.0,
    "Global Head-Anchored": 47.98,
    "Per-Frame Center of Mass": 66.18,
}
PAPER_TABLE_II = [  # model, bidirectional, normalize, Acc, Top5 Acc
    ("LSTM", "No", "No", 45.66, 78.90),
    ("LSTM", "Yes", "No", 50.29, 79.19),
    ("LSTM (Trial 1)", "Yes", "Yes", 61.27, 86.99),
    ("LSTM (Trial 2)", "Yes", "Yes", 65.61, 89.01),
    ("LSTM (Trial 3)", "Yes", "Yes", 66.18, 89.60),
    ("PoseTransformer", "N/A", "Yes", 60.40, 85.67),
]
PAPER_TABLE_III = {0: (61.56, 85.26), 10: (68.50, 89.60), 20: (66.47, 89.60), 30: (63.87, 87.28)}  # dropout %


def test_source_numbers_are_the_papers():
    strategies = {
        "none": "None (Raw Coordinates)",
        "nose_anchored": "Global Nose-Anchored",
        "face_anchored": "Global Head-Anchored",
        "per_frame": "Per-Frame Center of Mass",
    }
    assert tables.SOURCE_NORMALIZATION == {name: PAPER_TABLE_I[row] for name, row in strategies.items()}

    def row(model, bidirectional, normalize):
        (found,) = [r[3:] for r in PAPER_TABLE_II if r[:3] == (model, bidirectional, normalize)]
        return found

    trials = [r[3:] for r in PAPER_TABLE_II if r[0].startswith("LSTM (Trial")]
    acc, top5 = zip(*trials)
    assert tables.SOURCE_TEMPORAL == {
        "LSTM, raw": row("LSTM", "No", "No"),
        "BiLSTM, raw": row("LSTM", "Yes", "No"),
        "BiLSTM, normalized": (f"{min(acc):.2f}-{max(acc):.2f}", f"{min(top5):.2f}-{max(top5):.2f}"),  # 3 trials
        "PoseTransformer, normalized": row("PoseTransformer", "N/A", "Yes"),
    }
    assert tables.SOURCE_DROPOUT == {pct / 100: accuracy for pct, (accuracy, _) in PAPER_TABLE_III.items()}
    # the tables' source columns show these numbers on the rows they belong to
    assert dict(tables.TABLES["normalization"].source) == tables.SOURCE_NORMALIZATION
    assert dict(tables.TABLES["dropout"].source) == {f"dropout {p}%": a for p, (a, _) in PAPER_TABLE_III.items()}
    # and every ordering a page checks is one the paper's numbers show (a range by its lower end)
    for name in ("normalization", "temporal", "dropout"):
        spec = tables.TABLES[name]
        top1 = {r: float(str(v).split(" / ")[0].split("-")[0]) for r, v in spec.source.items()}
        for claim, better, worse in spec.claims:
            assert top1[better] > top1[worse], claim


def test_rows_of_each_source_are_named_apart_and_their_claims_checked_apart():
    res = results(
        {
            "per_frame": [0.5, 0.55, 0.52],
            "none": [0.3, 0.32, 0.31],
            "per_frame [code]": [0.3, 0.31, 0.3],
            "none [code]": [0.5, 0.52, 0.51],
        }
    )
    assert tables.sources_in(res) == ["text", "code"]
    claim = tables.NORMALIZATION_CLAIMS[:1]
    text = tables.ordering_verdicts(res, tables.source_claims(claim, "text"), chance=0.1)[0]
    code = tables.ordering_verdicts(res, tables.source_claims(claim, "code"), chance=0.1)[0]
    assert (text.outcome, code.outcome) == ("replicates", "opposite")
    assert code.claim.endswith("(authors' code)") and not text.claim.endswith(")")
    spec = tables.TableSpec({"per_frame": {}, "none": {}}, claim, "x.csv", {"per_frame": 66.18, "none": 50.29}, "src")
    table = tables.spec_table(res, spec, ["text", "code"])
    assert table["source"].tolist() == ["paper's text", "paper's text", "authors' code", "authors' code"]
    assert table["row"].tolist() == ["per_frame", "none"] * 2 and table["src"].tolist() == [66.18, 50.29] * 2
    assert tables.best_rows(table) == {"paper's text": "per_frame", "authors' code": "none"}


def test_findings_set_each_isolated_sign_claim_under_both_sources_side_by_side():
    from fslib import findings

    res = results(
        {"per_frame": [0.5, 0.55], "none": [0.3, 0.32], "per_frame [code]": [0.3, 0.31], "none [code]": [0.5, 0.52]}
    )
    res = pd.concat([res, results({"per_frame [text+zero_fill]": [0.5, 0.5], "none [text+zero_fill]": [0.1, 0.1]})])
    claims = pd.DataFrame(findings.islr_claims(res, glosses=10))
    page11 = claims[claims["page"] == "11 normalization"]
    assert len(page11) == 2 * len(tables.NORMALIZATION_CLAIMS)  # text and code; single differences left out
    side = findings.islr_by_source(claims)
    first = side[side["claim"] == tables.NORMALIZATION_CLAIMS[0][0]].iloc[0]
    assert (first["paper's text"], first["authors' code"]) == ("replicates", "opposite")


def test_isolated_sign_page_parameters_are_checked_before_any_work():
    import pytest

    good = dict(islr_seeds=[0, 1], islr_epochs=3, islr_hidden=16, islr_sources=["text", "code"], islr_glosses=4)
    experiment.validate_params(good)
    for name, bad in [
        ("islr_seeds", []),
        ("islr_seeds", [0.5]),
        ("islr_epochs", 0),
        ("islr_sources", ["text", "paper"]),
        ("islr_sources", []),
        ("islr_glosses", 1),
        ("islr_corpus_path", "/nonexistent/landmarks"),
    ]:
        with pytest.raises(ValueError, match=f"parameter {name}="):
            experiment.validate_params({**good, name: bad})
