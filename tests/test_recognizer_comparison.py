"""Seed-aware comparisons and claim verdicts on hand-made results tables (a clear win, a tie, a loss)."""
import numpy as np
import pandas as pd

from fslib.recognizer import comparison


def table(rows):
    """rows: (variant, teacher, seed, value) -> a long-format results table (test letter accuracy)."""
    return pd.DataFrame([{"run_id": f"{v}-{t}-{s}", "corpus": "synthetic", "alphabet": "fswild", "variant": v,
                          "teacher": t, "seed": s, "split": "test", "metric": "letter_accuracy", "value": x}
                         for v, t, s, x in rows])


FULL, CTC = ("full", "hamer"), ("ctc_gru", "")


def test_clear_win_replicates():
    t = table([("full", "hamer", s, x) for s, x in enumerate([0.50, 0.55, 0.52])] +
              [("ctc_gru", "", s, x) for s, x in enumerate([0.40, 0.42, 0.41])])
    c = comparison.paired(t, FULL, CTC, "letter_accuracy")
    assert c["outcome"] == "better" and c["seeds"] == 3 and np.allclose(c["differences"], [0.10, 0.13, 0.11])
    text = comparison.claim_verdict("distillation helps", c, "full", "CTC only", baseline=0.2, a_mean=0.52, b_mean=0.41)
    assert text.startswith("distillation helps: replicates here") and "+0.100, +0.130, +0.110" in text


def test_tie_within_noise_does_not_replicate():
    t = table([("full", "hamer", s, x) for s, x in enumerate([0.50, 0.45, 0.52])] +
              [("ctc_gru", "", s, x) for s, x in enumerate([0.48, 0.47, 0.49])])
    c = comparison.paired(t, FULL, CTC, "letter_accuracy")
    assert c["outcome"] == "within noise"
    assert "within seed noise" in comparison.claim_verdict("distillation helps", c, "full", "CTC only")


def test_loss_is_reported_as_the_opposite():
    t = table([("full", "hamer", s, x) for s, x in enumerate([0.30, 0.31, 0.29])] +
              [("ctc_gru", "", s, x) for s, x in enumerate([0.40, 0.42, 0.41])])
    c = comparison.paired(t, FULL, CTC, "letter_accuracy")
    assert c["outcome"] == "worse"
    assert "the opposite holds" in comparison.claim_verdict("distillation helps", c, "full", "CTC only")


def test_one_seed_or_unlearned_models_are_not_testable():
    t = table([("full", "hamer", 0, 0.5), ("ctc_gru", "", 0, 0.4)])
    c = comparison.paired(t, FULL, CTC, "letter_accuracy")
    assert c["outcome"] == "not testable"
    assert "not testable here (1 seed(s)" in comparison.claim_verdict("distillation helps", c, "full", "CTC only")
    t3 = table([("full", "hamer", s, 0.3 + s / 100) for s in range(3)] + [("ctc_gru", "", s, 0.1) for s in range(3)])
    c3 = comparison.paired(t3, FULL, CTC, "letter_accuracy")
    text = comparison.claim_verdict("distillation helps", c3, "full", "CTC only", baseline=0.18, a_mean=0.31, b_mean=0.1)
    assert "not testable here (CTC only is not above the learned-nothing baseline 0.180" in text


def test_summary_shows_mean_std_and_missing_rows():
    t = table([("full", "hamer", s, x) for s, x in enumerate([0.5, 0.6, 0.7])] + [("ctc_gru", "", 0, 0.4)])
    s = comparison.summarise(t, [FULL, CTC, ("full", "oracle_pose")], "letter_accuracy").set_index("teacher")
    assert s.loc["hamer", "letter_accuracy"] == "0.600 +- 0.100" and s.loc["hamer", "seeds"] == 3
    assert s.loc["none", "letter_accuracy"] == "0.400" and np.isnan(s.loc["none", "std"])
    assert s.loc["oracle_pose", "seeds"] == 0 and s.loc["oracle_pose", "letter_accuracy"] == "-"

