"""The dev sweep of the loss-ablation rows: same budget and draws for every row, settings only where a row has
them, the best dev score chosen (the page's own settings on ties), and the chosen settings reaching the table."""

from __future__ import annotations

import types

import pytest

from fslib.recognizer import sweep
from fslib.recognizer.config import make_config


def test_each_row_tunes_only_the_settings_it_has():
    assert sweep.tuned_settings("ctc_gru") == ["lr"]
    assert sweep.tuned_settings("ctc_both") == ["lr", "w_ctc_cnn"]
    assert sweep.tuned_settings("ctc_both_kl") == ["lr", "w_ctc_cnn", "w_kl", "kl_temperature"]
    assert sweep.tuned_settings("ctc_gru_distill") == ["lr", "w_distill"]
    assert sweep.tuned_settings("full") == ["lr", "w_ctc_cnn", "w_kl", "kl_temperature", "w_distill"]
    with pytest.raises(ValueError, match="unknown loss variant"):
        sweep.tuned_settings("nosuch")


def test_candidates_start_with_the_page_settings_and_share_draws_across_rows():
    full = sweep.candidates("full", 4, seed=0)
    plain = sweep.candidates("ctc_gru", 4, seed=0)
    assert full[0] == {} and plain[0] == {}
    assert len(full) == len(plain) == 4  # the same budget
    for a, b in zip(full[1:], plain[1:]):
        assert a["lr"] == b["lr"]  # a setting both rows have is drawn the same
        assert set(b) == {"lr"}
        lo, hi = sweep.SPACE["lr"]
        assert lo <= a["lr"] <= hi
        assert a["kl_temperature"] in sweep.SPACE["kl_temperature"]
    assert sweep.candidates("full", 4, seed=0) == full  # deterministic
    assert sweep.candidates("full", 4, seed=1) != full
    assert len({c["lr"] for c in full[1:]}) == 3
    with pytest.raises(ValueError, match="at least 1"):
        sweep.candidates("full", 0)


class FakeExperiment:
    """Trains nothing: a run's dev score is a function of its learning rate, so the best trial is known."""

    teacher_name = "oracle_pose"

    def __init__(self, score):
        self.score, self.trained = score, []

    def row_config(self, variant, teacher, seed=0):
        return make_config({"width": 4, "input_size": 16, "teacher": teacher}, variant=variant, seed=seed)

    def train(self, cfg):
        self.trained.append(cfg)
        return types.SimpleNamespace(report={"best_dev_letter_accuracy": self.score(cfg)})


def test_the_best_dev_trial_is_chosen_and_the_page_settings_win_ties():
    best_lr = sweep.candidates("ctc_gru", 3)[2]["lr"]
    exp = FakeExperiment(lambda cfg: 0.5 if cfg.lr == best_lr else 0.1)
    result = sweep.sweep(exp, ["ctc_gru", "full"], 3, epochs=2)
    assert result.chosen["ctc_gru"] == {"lr": best_lr}
    assert result.chosen["full"] == sweep.candidates("full", 3)[2]  # the same draw of lr wins there too
    assert len(exp.trained) == 6 and all(c.epochs == 2 for c in exp.trained)
    assert {c.teacher for c in exp.trained if c.variant == "full"} == {"oracle_pose"}
    assert {c.teacher for c in exp.trained if c.variant == "ctc_gru"} == {""}
    chosen_rows = result.trials[result.trials["chosen"]]
    assert list(chosen_rows["trial"]) == [2, 2]
    assert "2 rows had 3 trial(s)" in result.line() and "won in 0 of 2" in result.line()

    flat = FakeExperiment(lambda cfg: 0.2)  # every trial ties: the page's own settings are kept
    tie = sweep.sweep(flat, ["ctc_both"], 3)
    assert tie.chosen == {"ctc_both": {}}
    assert list(tie.trials["chosen"]) == [True, False, False]
    assert "won in 1 of 1" in tie.line()


def test_train_rows_applies_the_chosen_settings(monkeypatch):
    from fslib.recognizer import experiment

    seen = []

    class Exp:
        params = {"width": 4, "input_size": 16, "teacher": "oracle_pose", "lr": 0.003}

        def record_baseline(self):
            pass

        def baseline_id(self):
            return "base"

        def train(self, cfg):
            seen.append(cfg)
            return types.SimpleNamespace(run_id=f"{cfg.variant}-{cfg.seed}")

        def evaluate(self, result):
            pass

        def results_path(self):
            return "unused"

    monkeypatch.setattr(experiment.results_table, "read", lambda path: __import__("pandas").DataFrame({"run_id": []}))
    experiment.train_rows(Exp(), [("ctc_gru", ""), ("full", "oracle_pose")], [0, 1], overrides={"full": {"lr": 0.007}})
    lrs = {(c.variant, c.seed): c.lr for c in seen}
    assert lrs == {("ctc_gru", 0): 0.003, ("ctc_gru", 1): 0.003, ("full", 0): 0.007, ("full", 1): 0.007}
