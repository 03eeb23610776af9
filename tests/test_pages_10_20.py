"""The page helpers of notebooks 10-13 and 20 (set-up, tables, verdict sentences and displays moved out of the
pages), on hand-made corpora and results; no training (the rows' results are made by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fslib import findings, report
from fslib import results as results_table
from fslib.islr import experiment, figures, tables
from fslib.islr import landmarks as lm

PARAMS = dict(
    profile="ci",
    seed=3,
    islr_corpus_path="",
    islr_glosses=6,
    islr_train_signers=3,
    islr_val_signers=1,
    islr_test_signers=2,
)


def long_results(rows: dict[str, list[float]], metric="top1", split="val") -> pd.DataFrame:
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
                split=split,
                metric=metric,
                value=v,
            )
            for r, vals in rows.items()
            for s, v in enumerate(vals)
        ]
    )


def write_index(root, glosses=("a", "b", "c", "d"), signers=("s1", "s2")):
    root.mkdir(parents=True, exist_ok=True)
    rows = [
        dict(path=f"landmarks/{p}/{g}.parquet", participant_id=p, sequence_id=f"{p}{g}", sign=g, split="train")
        for p in signers
        for g in glosses
    ]
    pd.DataFrame(rows).to_csv(root / "train.csv", index=False)
    return root


# ----------------------------------------------------------------------------------------------- set-up
def test_describe_corpus_params_synthetic_and_landmark_folder():
    assert experiment.describe_corpus_params(PARAMS) == (
        "synthetic isolated-sign corpus (fslib.islr): 6 glosses, signers 3 / 1 / 2 (train / val / test), seed 3"
    )
    assert (
        experiment.describe_corpus_params({**PARAMS, "islr_corpus_path": "/data/gislr"})
        == "landmark corpus at `.../data/gislr`"  # a path outside the study: its last two parts only
    )


def test_open_page_box_matches_the_former_hand_built_one(tmp_path, monkeypatch):
    root = write_index(tmp_path / "corpus")
    params = {**PARAMS, "islr_corpus_path": str(root), "out_dir": str(tmp_path / "run")}
    shown = []
    monkeypatch.setattr(report, "show_provenance", lambda profile, **kw: shown.append(report.provenance(profile, **kw)))
    page = experiment.open_page(params)
    assert page.root == root
    assert page.tables == tmp_path / "run" / "tables" and page.tables.is_dir() and page.figures.is_dir()
    # the box the pages built by hand before they called open_page
    assert shown == [
        "```{admonition} What produced these results\n:class: note\n**Run profile:** `ci`  \n"
        f"**Data:** landmark corpus at `{report.shown_path(root)}`  \n"
        "**Teacher:** none (pose landmarks only; no hand model is involved)\n```"
    ]


# ----------------------------------------------------------------------------------------------- 10 data
def test_preparation_summary_counts_skipped_clips_and_frames():
    prep = pd.DataFrame(dict(frames=[10, 11, 4], kept=[5, 6, 0], skipped=["", "", "no hand in any frame"]))
    s = experiment.preparation_summary(prep)["value"]
    assert list(s.index) == ["clips", "skipped", "frames after subsampling (mean)", "frames kept (mean)"]
    assert s["clips"] == 3 and s["skipped"] == 1
    assert s["frames after subsampling (mean)"] == pytest.approx((5 + 6 + 2) / 3)
    assert s["frames kept (mean)"] == pytest.approx(11 / 3)


def test_spread_summary_three_rounded_numbers():
    spread = pd.DataFrame(
        dict(face_x=[0.4, 0.6], shoulder_width=[0.1, 0.3], nose_jitter=[0.02, 0.06], chin_jitter=[0.01, 0.02])
    )
    s = tables.spread_summary(spread)["value"]
    assert s["face x across signers (s.d.)"] == pytest.approx(0.141)
    assert s["shoulder width, largest / smallest signer"] == 3.0
    assert s["nose movement per frame / chin movement per frame"] == 2.5


def test_corpus_filmstrip_first_clip_of_the_first_glosses(tmp_path, monkeypatch):
    root = write_index(tmp_path / "corpus", glosses=("a", "b", "c", "d"), signers=("s1", "s2"))
    rng = np.random.default_rng(0)
    read = []
    for r in pd.read_csv(root / "train.csv").itertuples():
        clip = {t: rng.uniform(0.2, 0.8, (4, n, 3)).astype(np.float32) for t, n in lm.TYPES.items()}
        lm.write_parquet(root / r.path, clip)
    monkeypatch.setattr(lm, "read_parquet", lambda p, f=lm.read_parquet: read.append(p.name) or f(p))
    seen = {}
    monkeypatch.setattr(
        figures,
        "filmstrip",
        lambda clips, titles, frames: seen.update(clips=clips, titles=titles, frames=frames) or "fig",
    )
    assert figures.corpus_filmstrip(root, clips=3) == "fig"
    assert seen["titles"] == ["a (s1)", "b (s1)", "c (s1)"] and seen["frames"] == 6
    assert read == ["a.parquet", "b.parquet", "c.parquet"] and seen["clips"][0]["face"].shape == (4, 468, 3)


# ---------------------------------------------------------------------------------------- 11-13 tables
def test_table_specs_name_each_pages_rows_claims_and_csv():
    assert list(tables.TABLES) == ["normalization", "temporal", "dropout", "augmentation", "video"]
    assert tables.TABLES["normalization"].rows is tables.NORMALIZATION_ROWS
    assert tables.TABLES["dropout"].claims is tables.DROPOUT_CLAIMS
    assert [s.csv for s in tables.TABLES.values()] == [
        "islr_normalization.csv",
        "islr_temporal.csv",
        "islr_dropout.csv",
        "islr_augmentation.csv",
        "islr_video.csv",
    ]
    for spec in tables.TABLES.values():  # every claim compares two rows of its own table
        assert all(a in spec.rows and b in spec.rows for _, a, b in spec.claims)


def test_spec_table_puts_the_source_numbers_beside_each_row():
    res = long_results({r: [0.5] for r in tables.TEMPORAL_ROWS} | {r: [0.4] for r in tables.DROPOUT_ROWS})
    temporal = tables.spec_table(res, tables.TABLES["temporal"])
    assert temporal["source val top-1 / top-5 (%)"].tolist() == [
        "45.66 / 78.9",
        "50.29 / 79.19",
        "61.27-66.18 / 86.99-89.60",
        "60.4 / 85.67",
    ]
    dropout = tables.spec_table(res, tables.TABLES["dropout"])
    assert dict(zip(dropout["row"], dropout["source val top-1 (%)"])) == {
        "dropout 0%": 61.56,
        "dropout 10%": 68.50,
        "dropout 20%": 66.47,
        "dropout 30%": 63.87,
    }
    aug = tables.spec_table(res, tables.TABLES["augmentation"])
    assert list(aug.columns) == list(tables.summary(res, list(tables.AUGMENT_ROWS)).columns)  # no source column
    assert "val_top1_mean" in aug and "val_top1_mean" not in tables.shown(aug) and "val top1" in tables.shown(aug)


def test_run_table_writes_the_csv_and_checks_the_claims_against_chance(tmp_path, monkeypatch):
    root = write_index(tmp_path / "corpus")  # 4 glosses: chance 0.25 / 1.0
    made = long_results(
        {
            "per_frame": [0.8, 0.85, 0.82],
            "none": [0.5, 0.52, 0.49],
            "nose_anchored": [0.6, 0.62, 0.58],
            "face_anchored": [0.81, 0.84, 0.83],
        }
    )
    calls = []

    def fake_run_rows(root_, rows, seeds, train_params, results_path, progress=True, **sources):
        calls.append((root_, rows, list(seeds), dict(train_params), results_path))
        return made

    monkeypatch.setattr(experiment, "run_rows", fake_run_rows)
    (tmp_path / "tables").mkdir()  # the page's folder, from open_page
    run = experiment.run_table(root, "normalization", [0, 1, 2], {"epochs": 1, "hidden": 8}, tmp_path / "tables")
    assert calls == [
        (root, tables.NORMALIZATION_ROWS, [0, 1, 2], {"epochs": 1, "hidden": 8}, tmp_path / "tables" / "results.csv")
    ]
    written = pd.read_csv(tmp_path / "tables" / "islr_normalization.csv")
    assert written["row"].tolist() == list(tables.NORMALIZATION_ROWS)
    assert written["source val top-1 (%)"].tolist() == [50.29, 39.0, 47.98, 66.18]
    assert run.chance == {"top1": 0.25, "top5": 1.0} and run.seeds == 3
    assert run.chance_line == "chance: top-1 0.250, top-5 1.000; 3 seed(s) per row"
    assert [v.outcome for v in run.verdicts] == ["replicates", "within noise", "opposite"]
    assert run.sentences.split("\n") == [v.sentence for v in run.verdicts]
    assert run.best_line == "Best row here: face_anchored; in the source: per_frame."
    assert list(run.shown.columns) == [
        "row",
        "seeds",
        "val top1",
        "val top5",
        "test top1",
        "test top5",
        "source val top-1 (%)",
    ]


# -------------------------------------------------------------------------------------------- 20 findings
def test_findings_teacher_line():
    assert findings.teacher_line("") == (
        "`hamer` in the table is this study's HaMeR network pretrained on "
        "synthetic hands (notebook 03), not the released model"
    )
    assert findings.teacher_line("/w/hamer.ckpt") == "`hamer` in the table is HaMeR from the official checkpoint"


def claims_table():
    return pd.DataFrame(
        dict(
            study=["isolated signs", "fingerspelling"],
            page=["11 normalization", "05 loss ablation"],
            corpus=["synthetic, landmarks", "synthetic, ASL"],
            teacher=["none", "hamer"],
            claim=["A beats B", "C beats D"],
            verdict=["replicates", "not testable"],
            detail=["replicates here (x).", "not testable here (y)."],
        )
    )


def test_styled_claims_show_six_columns_coloured_by_verdict():
    html = findings.styled(claims_table()).to_html()
    assert "background-color: #d9f2d9" in html and "background-color: #e9ecef" in html
    assert "#f8d7d7" not in html and "detail" not in html and "replicates here (x)." not in html
    assert html.count("<th ") == len(findings.SHOWN)  # the column headings only: no index column


def test_detail_and_margin_lines(tmp_path):
    assert findings.detail_lines(claims_table()).split("\n") == [
        "[replicates] A beats B (11 normalization; synthetic, landmarks): replicates here (x).",
        "[not testable] C beats D (05 loss ablation; synthetic, ASL): not testable here (y).",
    ]
    path = tmp_path / "results.csv"
    for alphabet, accs in (("ChicagoFSWild", [0.40, 0.42, 0.44]), ("Greek", [0.22, 0.30, 0.21])):
        results_table.record(
            path,
            dict(
                run_id=f"c-{alphabet}",
                study="fingerspelling",
                corpus="synthetic",
                alphabet=alphabet,
                variant="constant",
                teacher="none",
                seed=0,
            ),
            {"test": {"letter_accuracy": 0.2}},
        )
        for seed, acc in enumerate(accs):
            results_table.record(
                path,
                dict(
                    run_id=f"f-{alphabet}-{seed}",
                    study="fingerspelling",
                    corpus="synthetic",
                    alphabet=alphabet,
                    variant="full",
                    teacher="hamer",
                    seed=seed,
                ),
                {"test": {"letter_accuracy": acc}},
            )
    margins = findings.learning_margins(tmp_path)
    assert findings.margin_lines(tmp_path).split("\n") == [f"{r.corpus}: {r.margin}" for r in margins.itertuples()]
    assert findings.margin_lines(tmp_path).startswith("synthetic, ASL: ") and len(margins) == 2


def test_single_differences_train_the_normalization_rows_under_each_switch_and_say_what_moves(tmp_path, monkeypatch):
    import torch

    torch.set_num_threads(1)
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    root = experiment.corpus_root({**PARAMS, "islr_glosses": 3, "islr_train_signers": 2}, progress=False)
    table = experiment.single_differences(
        root, [0, 1], {"epochs": 1, "hidden": 8}, tmp_path, switches=["zero_fill"], progress=False
    )
    assert table["source"].tolist() == ["paper's text", "text + code's zero_fill", "authors' code"]
    assert [c for c in table.columns if c.endswith("val top-1")] == [
        f"{r} val top-1" for r in tables.NORMALIZATION_ROWS
    ]
    assert set(table[tables.NORMALIZATION_CLAIMS[0][0]]) <= {"replicates", "opposite", "within noise", "not testable"}
    assert (tmp_path / "islr_single_differences.csv").exists()
    sentence = tables.difference_sentence(table)
    assert sentence.startswith(("No single difference", "Verdicts that change"))
    recorded = results_table.read(tmp_path / "results.csv")
    assert {"per_frame", "per_frame [text+zero_fill]", "per_frame [code]"} <= set(recorded["variant"])
    assert experiment.single_differences(root, [], {}, tmp_path).empty


def test_difference_sentence_names_each_verdict_that_moves():
    claims = tables.NORMALIZATION_CLAIMS
    base = {c: "replicates" for c, _, _ in claims}
    table = pd.DataFrame(
        [
            {"source": "paper's text", **base},
            {"source": "text + code's zero_fill", **base, claims[1][0]: "opposite"},
            {"source": "authors' code", **base},
        ]
    )
    assert tables.difference_sentence(table) == (
        f"Verdicts that change against the paper's text: text + code's zero_fill: '{claims[1][0]}' replicates -> opposite."
    )
    assert tables.difference_sentence(table.iloc[[0, 2]]).startswith("No single difference")


def test_a_users_path_is_shown_relative_to_the_study_or_by_its_last_two_parts(tmp_path, monkeypatch):
    from fslib.paths import repo_root

    root = repo_root()
    monkeypatch.chdir(tmp_path)  # a relative path outside the study stays as typed
    monkeypatch.setenv("FSLIB_ROOT", str(root))

    assert report.shown_path(root / "runs" / "mine") == "runs/mine"
    assert report.shown_path("/data/users/me/gislr") == ".../me/gislr"
    assert report.shown_path("my_corpus") == "my_corpus"
