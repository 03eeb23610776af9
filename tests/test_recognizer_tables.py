"""The study tables' orchestration (:func:`fslib.recognizer.experiment.train_rows`) and claims, on hand-made
results and a stand-in experiment."""

import pandas as pd

from fslib import results
from fslib.recognizer import experiment, tables


class Run:
    def __init__(self, cfg):
        self.cfg, self.run_id = cfg, f"{cfg.variant}-{cfg.teacher}-{cfg.seed}"


class FakeExperiment:
    """Records which configurations were trained; 'accuracy' = 0.2 + 0.1 per active loss term + seed/100."""

    def __init__(self, path):
        self.params = {"width": 4, "epochs": 1, "teacher": "hamer", "seed": 0}
        self.path, self.trained = path, []

    def results_path(self):
        return self.path

    def baseline_id(self):
        return "constant"

    def record_baseline(self):
        results.record(
            self.path,
            dict(
                run_id="constant",
                study="fingerspelling",
                corpus="synthetic",
                alphabet="fswild",
                variant="constant",
                teacher="none",
                seed=0,
            ),
            {"test": {"letter_accuracy": 0.2}},
        )

    def train(self, cfg):
        self.trained.append((cfg.variant, cfg.teacher, cfg.seed))
        return Run(cfg)

    def evaluate(self, run):
        cfg = run.cfg
        acc = 0.2 + 0.1 * ((cfg.w_ctc_cnn > 0) + (cfg.w_kl > 0) + 2 * cfg.distills) + cfg.seed / 100
        results.record(
            self.path,
            dict(
                run_id=f"{cfg.variant}-{cfg.teacher}-{cfg.seed}",
                study="fingerspelling",
                corpus="synthetic",
                alphabet="fswild",
                variant=cfg.variant,
                teacher=cfg.teacher or "none",
                seed=cfg.seed,
            ),
            {"test": {"letter_accuracy": acc}},
        )


def test_rows_are_trained_once_per_seed_and_tabulated(tmp_path):
    exp = FakeExperiment(tmp_path / "results.csv")
    # a run of another page (or corpus) already in the profile's table is not part of this page's table
    results.record(
        exp.path,
        dict(
            run_id="other-page",
            study="fingerspelling",
            corpus="synthetic",
            alphabet="greek",
            variant="full",
            teacher="hamer",
            seed=0,
        ),
        {"test": {"letter_accuracy": 0.99}},
    )
    rows = tables.ablation_rows("hamer")
    table = experiment.train_rows(exp, rows, [0, 1, 2])
    assert "other-page" not in set(table["run_id"]) and "other-page" in set(results.read(exp.path)["run_id"])
    assert len(exp.trained) == 15 and ("ctc_gru", "", 0) in exp.trained and ("full", "hamer", 2) in exp.trained
    t = tables.table(table, rows, metrics=("letter_accuracy",))
    assert list(t["row"])[-1] == "constant output (learned nothing)"
    full = t.set_index("variant").loc["full"]
    assert full["seeds"] == 3 and full["letter_accuracy"] == "0.610 +- 0.010"
    claims = tables.ablation_claims(table, "hamer")
    assert [v.outcome for v in claims] == ["replicates"] * 4, [v.sentence for v in claims]
    assert claims[0].sentence == (
        "Distillation helps the full model: replicates here (full model - full model without "
        "distillation in letter accuracy, per seed: +0.200, +0.200, +0.200; mean +0.200, "
        "s.d. 0.000)."
    )


def test_teacher_claims_tie_and_not_testable():
    rows = []
    for t, accs in (
        ("hamer", [0.5, 0.52, 0.48]),
        ("mediapipe", [0.51, 0.49, 0.50]),
        ("oracle_pose", [0.15, 0.16, 0.14]),
    ):
        rows += [
            dict(
                run_id=f"{t}{s}",
                corpus="synthetic",
                alphabet="fswild",
                variant="full",
                teacher=t,
                seed=s,
                split="test",
                metric="letter_accuracy",
                value=a,
            )
            for s, a in enumerate(accs)
        ]
    rows.append(
        dict(
            run_id="c",
            corpus="synthetic",
            alphabet="fswild",
            variant="constant",
            teacher="none",
            seed=0,
            split="test",
            metric="letter_accuracy",
            value=0.2,
        )
    )
    claims = tables.teacher_claims(pd.DataFrame(rows), ["hamer", "mediapipe", "oracle_pose"])
    # the oracle pose is an upper bound, not a hand model: never a verdict on the claim
    assert [(v.claim, v.outcome) for v in claims] == [("hamer teaches better than mediapipe", "within noise")]
    gap = tables.upper_bound_gap(pd.DataFrame(rows), "hamer", "oracle_pose")
    assert gap.startswith("hamer against oracle_pose (an upper bound") and "above the upper bound" in gap
    few = tables.teacher_claims(pd.DataFrame(rows[:1] + rows[3:4] + rows[-1:]), ["hamer", "mediapipe"])
    assert (few[0].outcome, few[0].reason) == ("not testable", "too few seeds")


def test_upper_bound_gap_below_level_and_untestable():
    def table(hamer, oracle):
        rows = []
        for t, accs in (("hamer", hamer), ("oracle_pose", oracle)):
            rows += [
                dict(
                    run_id=f"{t}{s}",
                    corpus="synthetic",
                    alphabet="fswild",
                    variant="full",
                    teacher=t,
                    seed=s,
                    split="test",
                    metric="letter_accuracy",
                    value=a,
                )
                for s, a in enumerate(accs)
            ]
        return pd.DataFrame(rows)

    below = tables.upper_bound_gap(table([0.4, 0.42, 0.38], [0.7, 0.71, 0.69]), "hamer", "oracle_pose")
    assert "below the upper bound" in below and "-0.300" in below
    level = tables.upper_bound_gap(table([0.5, 0.52, 0.48], [0.51, 0.49, 0.50]), "hamer", "oracle_pose")
    assert "level with the upper bound within seed noise" in level
    assert "not comparable here (1 seed(s)" in tables.upper_bound_gap(table([0.5], [0.6]), "hamer", "oracle_pose")


def test_learning_note_clear_barely_and_nothing():
    def table(accs, constant=0.2):
        rows = [
            dict(
                run_id="c",
                corpus="synthetic",
                alphabet="fswild",
                variant="constant",
                teacher="none",
                seed=0,
                split="test",
                metric="letter_accuracy",
                value=constant,
            )
        ]
        rows += [
            dict(
                run_id=f"f{s}",
                corpus="synthetic",
                alphabet="fswild",
                variant="full",
                teacher="hamer",
                seed=s,
                split="test",
                metric="letter_accuracy",
                value=a,
            )
            for s, a in enumerate(accs)
        ]
        return pd.DataFrame(rows)

    rows = [("full", "hamer"), ("ctc_gru", "")]
    assert "the models learned" in tables.learning_note(table([0.37, 0.40, 0.33]), rows)
    barely = tables.learning_note(table([0.23, 0.29, 0.20]), rows)
    assert "barely learned" in barely and "+0.040 above the constant output (0.200)" in barely
    nothing = tables.learning_note(table([0.15, 0.18, 0.19]), rows)
    assert "no model learned" in nothing and "at or below the constant output (0.200)" in nothing
    assert "one seed" in tables.learning_note(table([0.3]), rows)
