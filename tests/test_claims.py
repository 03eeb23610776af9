"""Seed-aware comparisons and the verdicts on claims, on hand-made results tables: every outcome and every
reason a claim is not testable, read from the Verdict's fields, and each sentence character for character
as the pages printed it before verdicts were records."""

import numpy as np
import pandas as pd
import pytest

from fslib import claims, results


def table(rows, metric="letter_accuracy", split="test"):
    """rows: (variant, teacher, seed, value) -> a long-format results table."""
    return pd.DataFrame(
        [
            {
                "run_id": f"{v}-{t}-{s}",
                "study": "fingerspelling",
                "corpus": "synthetic",
                "alphabet": "fswild",
                "variant": v,
                "teacher": t,
                "seed": s,
                "split": split,
                "metric": metric,
                "value": x,
            }
            for v, t, s, x in rows
        ],
        columns=results.COLUMNS,
    )


def seeds(variant, teacher, values):
    return [(variant, teacher, s, x) for s, x in enumerate(values)]


FULL, CTC = ("full", "hamer"), ("ctc_gru", "")
NAMES = ("full model", "CTC only")


def verdict(rows, **kw):
    return claims.compare(
        table(rows),
        "Distillation helps",
        FULL,
        CTC,
        NAMES,
        "letter_accuracy",
        **{"baseline": 0.18, "label": "letter accuracy", **kw},
    )


def test_clear_win_replicates():
    t = table(seeds(*FULL, [0.50, 0.55, 0.52]) + seeds(*CTC, [0.40, 0.42, 0.41]))
    c = claims.paired(t, FULL, CTC, "letter_accuracy")
    assert c["outcome"] == "better" and c["seeds"] == 3 and np.allclose(c["differences"], [0.10, 0.13, 0.11])
    v = verdict(seeds(*FULL, [0.50, 0.55, 0.52]) + seeds(*CTC, [0.40, 0.42, 0.41]))
    assert v.outcome == "replicates" and v.reason == "" and v.seeds == 3
    assert np.allclose(v.differences, [0.10, 0.13, 0.11]) and isinstance(v.differences, tuple)
    assert v.a_mean == pytest.approx((0.50 + 0.55 + 0.52) / 3) and v.b_mean == pytest.approx(0.41)
    assert (v.a_name, v.b_name, v.metric) == ("full model", "CTC only", "letter accuracy")
    assert v.sentence == (
        "Distillation helps: replicates here (full model - CTC only in letter accuracy, per seed: "
        "+0.100, +0.130, +0.110; mean +0.113, s.d. 0.015)."
    )


def test_tie_within_noise_does_not_replicate():
    v = verdict(seeds(*FULL, [0.50, 0.45, 0.52]) + seeds(*CTC, [0.48, 0.47, 0.49]))
    assert v.outcome == "within noise" and v.std > abs(v.mean)
    assert v.sentence == (
        "Distillation helps: does NOT replicate here; the difference is within seed noise (full "
        "model - CTC only in letter accuracy, per seed: +0.020, -0.020, +0.030; mean +0.010, s.d. "
        "0.026)."
    )


def test_loss_is_reported_as_the_opposite():
    v = verdict(seeds(*FULL, [0.30, 0.31, 0.29]) + seeds(*CTC, [0.40, 0.42, 0.41]))
    assert v.outcome == "opposite" and v.mean == pytest.approx(-0.11)
    assert v.sentence == (
        "Distillation helps: does NOT replicate here; the opposite holds (full model - CTC only in "
        "letter accuracy, per seed: -0.100, -0.110, -0.120; mean -0.110, s.d. 0.010)."
    )


def test_one_seed_is_not_testable():
    v = verdict(seeds(*FULL, [0.5]) + seeds(*CTC, [0.4]))
    assert (v.outcome, v.reason, v.seeds) == ("not testable", "too few seeds", 1)
    assert v.sentence == (
        "Distillation helps: not testable here (1 seed(s) in common; at least 2 are needed to tell "
        "a difference from seed noise)."
    )


@pytest.mark.parametrize(
    "full, ctc, below",
    [([0.30, 0.31, 0.32], [0.1, 0.1, 0.1], "CTC only"), ([0.1, 0.12, 0.11], [0.30, 0.31, 0.32], "full model")],
)
def test_a_row_at_the_learned_nothing_baseline_is_not_testable(full, ctc, below):
    v = verdict(seeds(*FULL, full) + seeds(*CTC, ctc))
    assert (v.outcome, v.reason) == ("not testable", "below baseline")
    assert v.sentence == (
        f"Distillation helps: not testable here ({below} is not above the learned-nothing baseline "
        "0.180, so the comparison is between models that did not learn)."
    )
    assert verdict(seeds(*FULL, full) + seeds(*CTC, ctc), baseline=None).outcome != "not testable"


def test_a_row_not_run_is_named():
    v = verdict(seeds(*FULL, [0.5, 0.6]))
    assert (v.outcome, v.reason, v.seeds) == ("not testable", "not run", 0) and np.isnan(v.b_mean)
    assert v.sentence == "Distillation helps: not run at this profile (no run of CTC only in the table)."
    none = claims.compare(
        table(seeds(*FULL, [0.5, 0.6])),
        "Distillation helps",
        ("x", ""),
        CTC,
        ("X", "CTC only"),
        "letter_accuracy",
        label="letter accuracy",
    )
    assert none.sentence == "Distillation helps: not run at this profile (no run of X or CTC only in the table)."
    page = verdict([], not_run="the embedding page scored no pair of students")
    assert page.detail == "not run at this profile (the embedding page scored no pair of students)."


def test_rows_at_a_ceiling_cannot_be_ordered():
    t = table(seeds("a", "", [1.0, 1.0, 1.0]) + seeds("b", "", [0.99, 1.0, 1.0]), metric="top1", split="val")
    v = claims.compare(
        t, "a beats b", ("a", ""), ("b", ""), ("a", "b"), "top1", "val", baseline=0.05, label="val top1", ceiling=0.98
    )
    assert (v.outcome, v.reason) == ("not testable", "ceiling")
    assert v.sentence == (
        "a beats b: not testable here (both rows reach val top1 >= 0.98: this corpus is too easy at "
        "this size to tell them apart)."
    )
    one = table(seeds("a", "", [1.0]) + seeds("b", "", [0.99]), metric="top1", split="val")
    assert (
        claims.compare(
            one, "a beats b", ("a", ""), ("b", ""), ("a", "b"), "top1", "val", baseline=0.05, ceiling=0.98
        ).reason
        == "too few seeds"
    )  # fewer seeds comes first


def test_the_corpus_selects_rows():
    t = pd.concat(
        [
            table(seeds(*FULL, [0.5, 0.6]) + seeds(*CTC, [0.4, 0.5])),
            table(seeds(*FULL, [0.1, 0.1])).assign(corpus="other"),
        ]
    )
    assert claims.compare(t, "c", FULL, CTC, NAMES, "letter_accuracy", corpus="other").reason == "not run"
    assert claims.compare(t, "c", FULL, CTC, NAMES, "letter_accuracy", corpus="synthetic").seeds == 2


def test_a_verdict_takes_only_known_outcomes_and_a_reason_with_not_testable():
    fields = dict(
        claim="c",
        a_name="a",
        b_name="b",
        metric="m",
        differences=(),
        seeds=0,
        mean=np.nan,
        std=np.nan,
        a_mean=np.nan,
        b_mean=np.nan,
    )
    with pytest.raises(ValueError, match="unknown outcome"):
        claims.Verdict(outcome="better", **fields)
    with pytest.raises(ValueError, match="goes with 'not testable'"):
        claims.Verdict(outcome="not testable", **fields)
    with pytest.raises(ValueError, match="goes with 'not testable'"):
        claims.Verdict(outcome="replicates", reason="ceiling", **fields)
    v = claims.Verdict(outcome="not testable", reason="not run", explanation="nothing", **fields)
    assert v.sentence == "c: not run at this profile (nothing)."
    with pytest.raises(AttributeError):
        v.outcome = "replicates"  # a record: frozen


def test_summary_shows_mean_std_and_missing_rows():
    t = table(seeds(*FULL, [0.5, 0.6, 0.7]) + [("ctc_gru", "", 0, 0.4)])
    s = claims.summarise(t, [FULL, CTC, ("full", "oracle_pose")], "letter_accuracy").set_index("teacher")
    assert s.loc["hamer", "letter_accuracy"] == "0.600 +- 0.100" and s.loc["hamer", "seeds"] == 3
    assert s.loc["none", "letter_accuracy"] == "0.400" and np.isnan(s.loc["none", "std"])
    assert s.loc["oracle_pose", "seeds"] == 0 and s.loc["oracle_pose", "letter_accuracy"] == "-"


def test_the_flip_margin_is_the_smallest_single_seed_change_that_changes_the_verdict():
    # +0.03 and +0.05: moving the first seed down by 0.022 makes the s.d. (0.0297) exceed the mean (0.029)
    assert claims.paired_outcome([0.03, 0.05]) == "better"
    assert claims.flip_margin([0.03, 0.05]) == pytest.approx(0.022)
    assert claims.paired_outcome([0.03 - 0.022, 0.05]) == "within noise"
    assert claims.paired_outcome([0.03 - 0.021, 0.05]) == "better"  # and no smaller move does it
    # a clear, tight win needs a larger move than a small one
    assert claims.flip_margin([0.20, 0.21, 0.22]) > claims.flip_margin([0.02, 0.021, 0.022])
    # within noise: the smallest move that makes it decided (here +0.011 on the negative seed makes every seed
    # positive with the mean above the s.d.)
    m = claims.flip_margin([-0.01, 0.05, 0.06])
    assert claims.paired_outcome([-0.01 + m, 0.05, 0.06]) == "better" and m == pytest.approx(0.011)
    assert np.isnan(claims.flip_margin([0.1]))  # one seed: not testable


def test_a_verdict_carries_its_margin():
    v = verdict(seeds(*FULL, [0.40, 0.45, 0.50]) + seeds(*CTC, [0.30, 0.30, 0.30]))
    assert v.outcome == "replicates" and v.margin == claims.flip_margin(v.differences) > 0
    not_testable = verdict(seeds(*FULL, [0.40]) + seeds(*CTC, [0.30]))
    assert not_testable.outcome == "not testable" and np.isnan(not_testable.margin)
