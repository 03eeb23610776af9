"""The front page's headline table and glued numbers, computed from a hand-made run's tables."""

from __future__ import annotations

import pandas as pd
import pytest

from fslib import headline
from fslib.results import COLUMNS


def _rows(
    variant,
    teacher,
    values,
    corpus="synthetic",
    alphabet="ChicagoFSWild",
    study="fingerspelling",
    metric="letter_accuracy",
    split="test",
):
    return [
        dict(
            run_id=f"{variant}-{teacher}-{s}",
            study=study,
            corpus=corpus,
            alphabet=alphabet,
            variant=variant,
            teacher=teacher,
            seed=s,
            split=split,
            metric=metric,
            value=v,
        )
        for s, v in enumerate(values)
    ]


def write_run(tmp_path, *, greek=False, teachers=True, islr=True, speed=True):
    rows = _rows("constant", "none", [0.20])
    rows += _rows("full", "hamer", [0.50, 0.55, 0.52])
    rows += _rows("ctc_both_kl", "none", [0.30, 0.33, 0.31])
    for v in ("ctc_gru", "ctc_both"):
        rows += _rows(v, "none", [0.30, 0.31, 0.29])
    rows += _rows("ctc_gru_distill", "hamer", [0.45, 0.46, 0.47])
    if teachers:
        rows += _rows("full", "mediapipe", [0.60, 0.65, 0.62])  # beats HaMeR on every seed
        rows += _rows("full", "oracle_pose", [0.90, 0.90, 0.90])  # an upper bound: never "the best teacher"
    if greek:
        rows += _rows("constant", "none", [0.25], alphabet="Greek")
        rows += _rows("full", "hamer", [0.26], alphabet="Greek")  # one seed: not testable
        rows += _rows("ctc_both_kl", "none", [0.24], alphabet="Greek")
    if islr:
        for name, vals in {
            "none": [0.30, 0.31, 0.32],
            "nose_anchored": [0.20, 0.21, 0.22],
            "face_anchored": [0.40, 0.41, 0.42],
            "per_frame": [0.50, 0.52, 0.51],
            "LSTM, raw": [0.2, 0.2, 0.2],
            "BiLSTM, raw": [0.30, 0.31, 0.32],
            "BiLSTM, normalized": [0.50, 0.52, 0.51],
            "PoseTransformer, normalized": [0.4, 0.4, 0.4],
        }.items():
            rows += _rows(name, "", vals, alphabet="", study="isolated_signs", metric="top1", split="val")
    pd.DataFrame(rows, columns=COLUMNS).to_csv(tmp_path / "results.csv", index=False)
    if islr:
        pd.DataFrame({"value": [10.0]}, index=["glosses"]).to_csv(tmp_path / "islr_corpus.csv")
    if speed:
        pd.DataFrame(
            {
                "pipeline": ["RGB student (this page)", "released HaMeR (ViT-H/16) + student"],
                "ms_per_frame": [0.5, 5.0],
                "frames_per_s": [2000.0, 200.0],
                "times_slower_than_student": [1.0, 10.0],
            }
        ).to_csv(tmp_path / "recognizer_inference_speed.csv", index=False)
    return tmp_path


def line(table, question_start, data_contains=""):
    hit = table[table["question"].str.startswith(question_start) & table["data"].str.contains(data_contains)]
    assert len(hit) == 1, f"expected one line for {question_start!r} {data_contains!r}, got {len(hit)}"
    return hit.iloc[0]


def test_every_headline_line_is_computed_from_the_run(tmp_path):
    t = headline.table(write_run(tmp_path))
    assert list(t.columns) == headline.COLUMNS
    d = line(t, "Does distillation", "ASL")
    assert d["verdict"] == "replicates" and d["seeds"] == 3
    assert d["result"] == "full model: 0.523 ± 0.025" and d["against"].endswith("0.313 ± 0.015")
    assert d["difference"].startswith("0.210")
    learned = line(t, "Did the recognizer learn", "ASL")
    assert learned["verdict"].startswith("learned") and learned["against"] == "constant output: 0.200"
    # mediapipe beats HaMeR on every seed: the line says so, and the oracle pose (upper bound) is not counted
    teacher = line(t, "Is HaMeR the best teacher")
    assert "mediapipe scores higher" in teacher["question"] and teacher["verdict"] == "opposite"
    assert teacher["teacher"] == "hamer vs mediapipe"
    speed = line(t, "Is the RGB student cheaper")
    assert speed["difference"] == "10x slower" and speed["verdict"].startswith("replicates")
    norm = line(t, "Which normalization")
    assert norm["result"].startswith("ours: per_frame 0.510 ± 0.010 > face_anchored")
    assert norm["against"].startswith("source (%): per_frame 66.2 > none 50.3")
    assert "(of 3 source orderings)" in norm["verdict"]
    assert "3 replicates" in norm["verdict"]


def test_hamer_best_is_compared_with_the_runner_up_and_missing_rows_are_said(tmp_path):
    t = headline.table(write_run(tmp_path, teachers=False, islr=False, speed=False, greek=True))
    assert not t["question"].str.startswith("Is HaMeR the best teacher").any()  # HaMeR was the only teacher
    assert not t["question"].str.startswith("Which").any() and not t["question"].str.startswith("Is the RGB").any()
    greek = line(t, "Does distillation", "Greek")
    assert greek["verdict"] == "not testable (fewer than 2 seeds)" and greek["seeds"] == 1
    assert line(t, "Did the recognizer learn", "Greek")["verdict"].startswith("one seed")
    # the ASL corpus comes first whatever order the results table has
    assert t.iloc[0]["data"].startswith("synthetic ASL")


def test_a_model_below_the_constant_is_said_to_have_learned_nothing(tmp_path):
    run = write_run(tmp_path, teachers=False, islr=False, speed=False)
    r = pd.read_csv(run / "results.csv")
    r.loc[(r["variant"] == "full"), "value"] = 0.1
    r.to_csv(run / "results.csv", index=False)
    t = headline.table(run)
    assert line(t, "Did the recognizer learn")["verdict"].startswith("learned nothing")


def test_numbers_and_claim_lines(tmp_path):
    run = write_run(tmp_path)
    claims = pd.DataFrame(
        {
            "study": ["fingerspelling", "isolated signs"],
            "page": ["05", "11"],
            "corpus": ["synthetic, ASL", "synthetic, landmarks"],
            "teacher": ["hamer", "none"],
            "claim": ["a", "b"],
            "verdict": ["replicates", "not testable"],
            "detail": ["replicates here (...).", "not run at this profile (no run of x)."],
        }
    )
    n = headline.numbers(run, claims)
    assert n["claims_total"] == 2 and n["claims_replicates"] == 1 and n["claims_not_testable"] == 1
    assert n["claims_opposite"] == 0 and n["asl_full_seeds"] == 3
    assert n["asl_full_accuracy"] == pytest.approx(0.52333, abs=1e-4) and n["asl_constant_accuracy"] == 0.2
    lines = headline.claim_lines(claims)
    assert lines["why not testable"].tolist() == ["", "not run at this profile (no run of x)"]
    html = headline.styled(headline.table(run)).to_html()
    assert "headline-table" in html and "Does distillation" in html
