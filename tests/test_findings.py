"""The findings page: each claim's verdict computed from hand-made results tables (a clear win, a tie
within noise, a loss, rows not run), for the fingerspelling, embedding and isolated-sign claims; the
studies told apart by the results table's study column."""

from __future__ import annotations

import pandas as pd
import pytest

from fslib import claims as C
from fslib import findings, results
from fslib.islr import tables as islr_tables


def fs_rows(path, alphabet, rows, constant=0.2):
    """``rows``: (variant, teacher) -> per-seed test letter accuracy; plus the constant-output row."""
    results.record(
        path,
        dict(
            run_id=f"constant-{alphabet}",
            study="fingerspelling",
            corpus="synthetic",
            alphabet=alphabet,
            variant="constant",
            teacher="none",
            seed=0,
        ),
        {"test": {"letter_accuracy": constant}},
    )
    for (variant, teacher), accs in rows.items():
        for seed, acc in enumerate(accs):
            results.record(
                path,
                dict(
                    run_id=f"{variant}-{teacher}-{alphabet}-{seed}",
                    study="fingerspelling",
                    corpus="synthetic",
                    alphabet=alphabet,
                    variant=variant,
                    teacher=teacher,
                    seed=seed,
                ),
                {"test": {"letter_accuracy": acc}},
            )


def by_claim(claims, corpus=None):
    t = claims if corpus is None else claims[claims["corpus"] == corpus]
    return dict(zip(t["claim"], t["verdict"]))


def test_fingerspelling_claims_win_tie_loss_and_rows_not_run(tmp_path):
    path = tmp_path / "results.csv"
    fs_rows(
        path,
        "ChicagoFSWild",
        {
            ("full", "hamer"): [0.40, 0.42, 0.44],  # distillation: a clear win over ctc_both_kl
            ("ctc_both_kl", ""): [0.30, 0.31, 0.29],
            ("ctc_both", ""): [0.31, 0.28, 0.30],  # KL vs CNN-CTC: a tie within noise
            ("ctc_gru", ""): [0.35, 0.36, 0.37],  # the CNN-CTC makes it worse: a loss
            ("ctc_gru_distill", "hamer"): [0.45, 0.46, 0.47],
            ("full", "mediapipe"): [0.41, 0.43, 0.43],  # HaMeR vs MediaPipe: a tie
            ("full", "oracle_pose"): [0.60, 0.61, 0.62],  # an upper bound: not a claim
        },
    )
    fs_rows(path, "Greek", {("full", "hamer"): [0.3], ("ctc_both_kl", ""): [0.25]})  # one seed
    claims = findings.collect(tmp_path)
    asl = by_claim(claims, "synthetic, ASL")
    assert asl["Distillation helps the full model"] == "replicates"
    assert asl["Distillation alone helps"] == "replicates"
    assert asl["The KL term contributes"] == "within noise"
    assert asl["CTC on the 1D-CNN contributes"] == "opposite"
    assert asl["hamer teaches better than mediapipe"] == "within noise"
    assert not any("oracle_pose" in c for c in claims["claim"])
    greek = by_claim(claims, "synthetic, Greek")
    assert set(greek.values()) == {"not testable"} and len(greek) == 4
    detail = claims.set_index(["corpus", "claim"])["detail"]
    assert detail[("synthetic, Greek", "Distillation helps the full model")] == (
        "not testable here (1 seed(s) in common; at least 2 are needed to tell a difference from seed noise)."
    )
    assert detail[("synthetic, ASL", "Distillation helps the full model")] == (
        "replicates here (full model - full model without distillation in letter accuracy, per seed: +0.100, "
        "+0.110, +0.150; mean +0.120, s.d. 0.026)."
    )
    tally = findings.tally(claims)
    assert list(tally.columns) == list(C.OUTCOMES)
    assert tally.loc["fingerspelling"].sum() == len(claims)


def test_a_model_below_the_constant_output_makes_its_claims_untestable(tmp_path):
    path = tmp_path / "results.csv"
    fs_rows(
        path,
        "ChicagoFSWild",
        {("full", "hamer"): [0.40, 0.42, 0.44], ("ctc_both_kl", ""): [0.10, 0.11, 0.12]},
        constant=0.2,
    )
    claims = by_claim(findings.collect(tmp_path))
    assert claims["Distillation helps the full model"] == "not testable"
    assert claims["Distillation alone helps"] == "not testable"  # its rows were not run


def test_embedding_claims_per_measure():
    rows = []
    for seed, (nc_d, nc_u, lp_d, lp_u) in enumerate(
        [(0.5, 0.3, 0.40, 0.41), (0.55, 0.32, 0.42, 0.40), (0.52, 0.31, 0.41, 0.42)]
    ):
        rows += [
            dict(system="student, distilled", seed=seed, nearest_centroid=nc_d, linear_probe=lp_d, chance=0.04),
            dict(system="student, not distilled", seed=seed, nearest_centroid=nc_u, linear_probe=lp_u, chance=0.04),
            dict(system="teacher (hamer)", seed=seed, nearest_centroid=0.3, linear_probe=0.3, chance=0.04),
        ]
    out = {r["claim"]: r["verdict"] for r in findings.embedding_claims(pd.DataFrame(rows))}
    assert out[f"{findings.EMBEDDING_CLAIM} (nearest centroid)"] == "replicates"
    assert out[f"{findings.EMBEDDING_CLAIM} (linear probe)"] == "within noise"
    empty = findings.embedding_claims(pd.DataFrame(rows[:1]))
    assert all(r["verdict"] == "not testable" for r in empty)


def test_islr_claims_use_validation_accuracy_and_shared_runs(tmp_path):
    path = tmp_path / "results.csv"
    val = {
        "per_frame": [0.60, 0.62, 0.61],
        "none": [0.50, 0.52, 0.51],
        "face_anchored": [0.61, 0.60, 0.62],
        "nose_anchored": [0.55, 0.56, 0.57],
        "BiLSTM, raw": [0.50, 0.52, 0.51],
        "LSTM, raw": [0.40, 0.41, 0.42],
    }
    for variant, accs in val.items():
        for seed, acc in enumerate(accs):
            # one run under two row names, as on the pages (per_frame is also "BiLSTM, normalized")
            for name in [variant, "BiLSTM, normalized"] if variant == "per_frame" else [variant]:
                results.record(
                    path,
                    dict(
                        run_id=f"islr-{variant}-{seed}",
                        study="isolated_signs",
                        corpus="synthetic",
                        alphabet="",
                        variant=name,
                        teacher="none",
                        seed=seed,
                    ),
                    {"val": {"top1": acc}, "test": {"top1": 0.0}},
                )
    pd.DataFrame({"value": {"glosses": 100}}).to_csv(tmp_path / "islr_corpus.csv")
    claims = by_claim(findings.collect(tmp_path))
    assert claims["Per-frame normalization beats no normalization"] == "replicates"
    assert claims["Per-frame normalization beats the head-anchored one"] == "within noise"
    assert claims["The nose-anchored normalization is worse than none"] == "opposite"
    assert claims["The BiLSTM beats the LSTM (raw coordinates)"] == "replicates"
    assert claims["Normalization helps the BiLSTM"] == "replicates"
    assert claims["Augmentation helps"] == "not testable"  # not run
    assert claims["Pose alone beats segmented video + pose"] == "not testable"  # page 14 not run
    n = sum(len(c) for _, c, _ in findings.ISLR_PAGES)
    assert (
        len(claims)
        == n
        == len(
            islr_tables.NORMALIZATION_CLAIMS
            + islr_tables.TEMPORAL_CLAIMS
            + islr_tables.DROPOUT_CLAIMS
            + islr_tables.AUGMENT_CLAIMS
            + islr_tables.VIDEO_CLAIMS
        )
    )
    detail = findings.collect(tmp_path).set_index("claim")["detail"]
    assert detail["Augmentation helps"] == (
        "not run at this profile (no run of jitter + scale + frame dropout or no augmentation in the table)."
    )


def test_the_studies_are_told_apart_by_the_study_column(tmp_path):
    """An isolated-sign run is never a fingerspelling corpus, whatever its alphabet, and a table written
    before the study column (alphabet "islr") gives the same findings."""
    path = tmp_path / "results.csv"
    fs_rows(path, "ChicagoFSWild", {("full", "hamer"): [0.40, 0.42, 0.44], ("ctc_both_kl", ""): [0.30, 0.31, 0.29]})
    for seed, (a, b) in enumerate([(0.6, 0.5), (0.62, 0.52), (0.61, 0.51)]):
        for variant, acc in (("per_frame", a), ("none", b)):
            results.record(
                path,
                dict(
                    run_id=f"islr-{variant}-{seed}",
                    study="isolated_signs",
                    corpus="synthetic",
                    alphabet="",
                    variant=variant,
                    teacher="none",
                    seed=seed,
                ),
                {"val": {"top1": acc}},
            )
    pd.DataFrame({"value": {"glosses": 100}}).to_csv(tmp_path / "islr_corpus.csv")
    now = findings.collect(tmp_path)
    assert set(now.loc[now["study"] == "fingerspelling", "corpus"]) == {"synthetic, ASL"}
    assert (
        by_claim(now[now["study"] == "isolated signs"])["Per-frame normalization beats no normalization"]
        == "replicates"
    )
    old = pd.read_csv(path).drop(columns="study")
    old.loc[old["run_id"].str.startswith("islr-"), "alphabet"] = "islr"
    old.to_csv(path, index=False)
    pd.testing.assert_frame_equal(findings.collect(tmp_path), now)


def test_each_row_is_read_off_a_verdict():
    v = C.Verdict("a beats b", "within noise", "a", "b", "val top1", (0.01, -0.02), 2, -0.005, 0.021, 0.5, 0.505)
    row = findings._row("isolated signs", "11 normalization", "synthetic, landmarks", "none", v)
    assert row["claim"] == "a beats b" and row["verdict"] == "within noise"
    assert f"{row['claim']}: {row['detail']}" == v.sentence


def test_learning_margins_per_corpus(tmp_path):
    path = tmp_path / "results.csv"
    fs_rows(path, "ChicagoFSWild", {("full", "hamer"): [0.40, 0.42, 0.44]})
    fs_rows(path, "Greek", {("full", "hamer"): [0.22, 0.30, 0.21]}, constant=0.2)
    m = findings.learning_margins(tmp_path).set_index("corpus")["margin"]
    assert "the models learned" in m["synthetic, ASL"] and "barely learned" in m["synthetic, Greek"]


def test_each_verdict_s_margin_and_which_decided_verdicts_are_fragile(tmp_path):
    """A tight win survives one seed moving by its spread; a win whose mean barely clears its s.d. does not
    and is named in the sentence; not-testable claims have no margin."""
    path = tmp_path / "results.csv"
    fs_rows(
        path,
        "ChicagoFSWild",
        {
            ("full", "hamer"): [0.40, 0.42, 0.44],
            ("ctc_both_kl", ""): [0.30, 0.31, 0.29],  # distillation helps: +0.10, +0.11, +0.15, tight
            ("ctc_both", ""): [0.30, 0.30, 0.20],  # KL vs CNN-CTC: 0.00, +0.01, +0.09: within noise
            ("ctc_gru", ""): [0.33, 0.20, 0.32],  # CNN-CTC: -0.03, +0.10, -0.12 -> within noise
            ("ctc_gru_distill", "hamer"): [0.34, 0.29, 0.45],  # distillation alone: +0.01, +0.09, +0.13
        },
    )
    fs_rows(path, "Greek", {("full", "hamer"): [0.3], ("ctc_both_kl", ""): [0.25]})  # one seed
    claims = findings.collect(tmp_path)
    assert list(claims.columns) == findings.COLUMNS
    asl = claims[claims["corpus"] == "synthetic, ASL"].set_index("claim")
    tight, loose = asl.loc["Distillation helps the full model"], asl.loc["Distillation alone helps"]
    assert tight["verdict"] == loose["verdict"] == "replicates"
    assert tight["margin"] == pytest.approx(C.flip_margin([0.10, 0.11, 0.15]), abs=0.002)
    assert tight["margin"] > tight["sd"]
    assert loose["margin"] < loose["sd"]
    assert claims[claims["verdict"] == "not testable"]["margin"].isna().all()
    table = findings.robustness(claims)
    assert "not testable" not in set(table["verdict"]) and table["margin"].is_monotonic_increasing
    line = findings.robustness_line(claims)
    assert "Distillation alone helps (05 loss ablation, synthetic, ASL: replicates" in line
    assert "Distillation helps the full model" not in line
