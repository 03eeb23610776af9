"""The page helpers of notebooks 04-07 (tables, figures, the loss-ablation table of one corpus, the timing and
the embedding page's steps moved out of the pages), on stand-ins and hand-made tables."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from fslib import results
from fslib.recognizer import bench, embeddings, experiment, figures, tables
from fslib.recognizer.config import make_config


# --------------------------------------------------------------------------------------- stand-ins
class Run:
    def __init__(self, cfg, history=None, report=None):
        self.cfg, self.run_id = cfg, f"{cfg.variant}-{cfg.teacher}-{cfg.seed}"
        self.history, self.report, self.model = history or [], report or {}, f"model {self.run_id}"


class FakeExperiment:
    """Records the configurations trained; 'accuracy' = 0.2 + 0.1 per active loss term + seed / 100."""

    def __init__(self, path, teacher="hamer"):
        self.params = {"width": 4, "epochs": 1, "teacher": teacher, "seed": 0}
        self.path, self.trained, self.store = path, [], "store"

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
            {"test": {"letter_accuracy": 0.2, "letter_accuracy_htk": 0.15}},
        )

    def row_config(self, variant, teacher, seed=0):
        return make_config({"width": 4, "teacher": teacher}, variant=variant, seed=seed)

    def train(self, cfg):
        self.trained.append((cfg.variant, cfg.teacher, cfg.seed))
        return Run(cfg)

    def evaluate(self, run):
        cfg = run.cfg
        acc = 0.2 + 0.1 * ((cfg.w_ctc_cnn > 0) + (cfg.w_kl > 0) + 2 * cfg.distills) + cfg.seed / 100
        results.record(
            self.path,
            dict(
                run_id=run.run_id,
                study="fingerspelling",
                corpus="synthetic",
                alphabet="fswild",
                variant=cfg.variant,
                teacher=cfg.teacher or "none",
                seed=cfg.seed,
            ),
            {"test": {"letter_accuracy": acc, "letter_accuracy_htk": acc - 0.05}},
        )


def results_rows(accs_by_teacher, constant=0.2):
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
    for (variant, teacher), accs in accs_by_teacher.items():
        rows += [
            dict(
                run_id=f"{variant}{teacher}{s}",
                corpus="synthetic",
                alphabet="fswild",
                variant=variant,
                teacher=teacher or "none",
                seed=s,
                split="test",
                metric="letter_accuracy",
                value=a,
            )
            for s, a in enumerate(accs)
        ]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------- 04 recognizer
def test_parameter_config_and_value_tables():
    model = SimpleNamespace(parameter_counts=lambda: {"backbone": 10, "inference": 12, "total": 15})
    counts = tables.parameter_table(model)
    assert list(counts.columns) == ["parameters"] and counts["parameters"].to_dict() == {
        "backbone": 10,
        "inference": 12,
        "total": 15,
    }
    cfg = make_config({"width": 4, "teacher": ""}, variant="ctc_gru", seed=2)
    shown = tables.config_table(cfg)
    assert list(shown.columns) == ["value"] and shown.loc["width", "value"] == "4"
    assert shown.loc["w_ctc_cnn", "value"] == "0.0" and shown.loc["seed", "value"] == "2"
    assert len(shown) == len(vars(cfg))
    values = tables.value_table({"a": 1.5, "b": 2})
    assert values.to_dict() == {"value": {"a": 1.5, "b": 2}}


class Split:
    def __init__(self, filenames, lengths, skipped=None):
        self.filenames, self._lengths, self.skipped = filenames, lengths, skipped or {}

    def __len__(self):
        return len(self.filenames)

    def lengths(self):
        return self._lengths


def test_split_table_and_skipped_line():
    seq = lambda signer, label: SimpleNamespace(signer=signer, label=label)  # noqa: E731
    sequences = {"a": seq("p1", "ab"), "b": seq("p1", "abcd"), "c": seq("p2", "xyz"), "d": seq("p3", "q")}
    splits = {"train": Split(["a", "b", "c"], [10, 20, 30]), "test": Split(["d"], [7])}
    t = tables.split_table(splits, sequences)
    assert list(t.index) == ["train", "test"]
    assert t.loc["train"].to_dict() == {"sequences": 3, "frames": 60, "signers": 2, "mean label length": 3.0}
    assert t.loc["test", "signers"] == 1 and t.loc["test", "mean label length"] == 1.0
    assert tables.skipped_line(splits) == "skipped sequences: none"
    splits["dev"] = Split([], [], skipped={"x": "empty_clip"})
    line = tables.skipped_line(splits)
    assert line.startswith("skipped sequences: {'empty_clip': {'count': 1") and "'examples': ['x']" in line


def test_final_epochs_and_teacher_latency(tmp_path):
    cfg = make_config({"width": 4, "teacher": ""}, variant="ctc_both_kl")
    runs = {
        3: Run(cfg, [{"epoch": 0, "loss": 2.0}, {"epoch": 1, "loss": 1.0}], {"best_epoch": 0}),
        1: Run(cfg, [{"epoch": 0, "loss": 3.0}], {"best_epoch": 0}),
    }
    t = tables.final_epochs(runs)
    assert t.to_dict("records") == [
        {"seed": 3, "epoch": 1, "loss": 1.0, "best epoch": 0},
        {"seed": 1, "epoch": 0, "loss": 3.0, "best epoch": 0},
    ]
    missing = tables.teacher_latency(tmp_path / "teacher_latency.csv")
    assert missing.empty and list(missing.columns) == ["ms_per_crop_best"]
    pd.DataFrame({"network": ["synthetic", "released"], "ms_per_crop_best": [2.0, 40.0]}).to_csv(
        tmp_path / "teacher_latency.csv", index=False
    )
    latency = tables.teacher_latency(tmp_path / "teacher_latency.csv")
    speed = tables.speed_table(100.0, latency)  # 10 ms a frame for the student
    assert speed.loc["released + student", "times_slower_than_student"] == pytest.approx(5.0)


def test_seed_learning_curves_labels_each_seed():
    hist = [
        {"epoch": e, "train_ctc_gru": 2.0 - e, "dev_letter_accuracy": 0.1 * e, "dev_letter_accuracy_htk": 0.05 * e}
        for e in range(3)
    ]
    cfg = make_config({"width": 4, "teacher": ""}, variant="ctc_both_kl")
    fig = figures.seed_learning_curves({0: Run(cfg, hist), 4: Run(cfg, hist)}, baseline=0.15)
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "plain (seed 0)" in labels and "HTK (seed 4)" in labels and "constant output" in labels


def test_inference_frames_per_s_warms_up_then_times_repeats():
    calls = []

    def model(frames, lengths):
        calls.append((tuple(frames.shape), lengths.tolist()))

    clip = {"frames": torch.zeros(9, 8, 8, 3, dtype=torch.uint8), "length": 9}
    rate = bench.inference_frames_per_s(model, clip, repeats=4)
    assert calls == [((1, 9, 8, 8, 3), [9])] * 5 and rate > 0


def test_throughput_wires_the_rates_together(monkeypatch):
    import fslib.bench as machine
    import fslib.recognizer.data as data
    import fslib.recognizer.train as train

    seen = {}
    monkeypatch.setattr(train, "make_splits", lambda cfg, store, alphabet, features: (list(range(10)), None))
    monkeypatch.setattr(data, "collate", lambda items: seen.setdefault("batch", items))
    monkeypatch.setattr(machine, "matmul_gflops", lambda: 50.0)
    monkeypatch.setattr(bench, "training_flops_per_frame", lambda model, batch: 2e9 if model == "fresh" else 0.0)
    monkeypatch.setattr(
        bench,
        "inference_frames_per_s",
        lambda model, clip, repeats: seen.setdefault("inference", (model, clip, repeats)) and 123.0,
    )
    exp = SimpleNamespace(
        store="store",
        alphabet="abc",
        features=lambda: "vectors",
        student=lambda cfg: "fresh",
        splits=lambda: {"test": ["clip0", "clip1"]},
    )
    cfg = make_config({"width": 4, "teacher": "", "batch_size": 4}, variant="ctc_both_kl")
    runs = {
        0: Run(cfg, report={"train_frames_per_s": 10.0, "train_seconds": 60.0}),
        1: Run(cfg, report={"train_frames_per_s": 20.0, "train_seconds": 180.0}),
    }
    eff = experiment.throughput(exp, cfg, runs)
    assert seen["batch"] == [0, 1, 2, 3]  # the first batch_size items the trainer sees
    assert seen["inference"] == (runs[0].model, "clip0", 3)  # the first run, the first test clip
    assert eff["train_frames_per_s"] == 15.0 and eff["gflop_per_frame"] == 2.0
    assert eff["achieved_gflops"] == 30.0 and eff["fraction_of_matmul"] == pytest.approx(0.6)
    assert eff["inference_frames_per_s"] == 123.0 and eff["train_minutes_per_run"] == 2.0
    assert list(eff)[-2:] == ["inference_frames_per_s", "train_minutes_per_run"]


def test_experiment_derive_row_config_and_per_seed_helpers():
    exp = experiment.Experiment(
        {
            "teacher": "hamer",
            "width": 4,
            "epochs": 1,
            "seed": 3,
            "alphabet": "fswild",
            "teacher_size": "tiny",
            "pretrain_samples": 64,
            "pretrain_epochs": 2,
        }
    )
    exp._cache["corpus"] = "cached"
    greek = exp.derive(alphabet="greek", corpus_signers=2)
    assert greek.params["alphabet"] == "greek" and greek.params["width"] == 4 and greek._cache == {}
    assert exp.params["alphabet"] == "fswild" and "corpus_signers" not in exp.params
    assert exp.teacher_name == "hamer" and experiment.Experiment({}).teacher_name == ""
    cfg = exp.row_config("ctc_gru", "", 2)
    assert (cfg.variant, cfg.teacher, cfg.seed, cfg.width, cfg.w_ctc_cnn) == ("ctc_gru", "", 2, 4, 0.0)
    assert not cfg.distills
    assert exp.row_config("full", "oracle_pose", 0).teacher == "oracle_pose"
    both = exp.describe_teachers(["hamer", "oracle_pose"])
    assert both == f"{exp.describe_teacher('hamer')}; {exp.describe_teacher('oracle_pose')}; and none"
    assert exp.describe_teachers(["hamer"], none=False) == exp.describe_teacher("hamer")
    trained = []
    exp.train = lambda cfg: trained.append((cfg.seed, cfg.epochs)) or f"run {cfg.seed}"  # noqa: E731
    runs = exp.train_each([5, 1], epochs=2)
    assert runs == {5: "run 5", 1: "run 1"} and trained == [(5, 2), (1, 2)]
    exp.evaluate = lambda run, **kw: {"metrics": {"test": {"acc": run}, "dev": {}}, "kw": kw}  # noqa: E731
    evals = exp.evaluate_each(runs, beam=0)
    assert list(evals) == [5, 1] and evals[1]["kw"] == {"beam": 0}
    assert experiment.metrics_of(evals, "test") == {5: {"acc": "run 5"}, 1: {"acc": "run 1"}}


# ------------------------------------------------------------------------------------- 05 loss ablation
def test_loss_ablation_of_one_corpus(tmp_path):
    exp = FakeExperiment(tmp_path / "results.csv")
    ab = experiment.loss_ablation(exp, ["ctc_both_kl", "full"], [0, 1, 2], "Greek synthetic corpus", wanted=3)
    assert ab.rows == [("ctc_both_kl", ""), ("full", "hamer")] and len(exp.trained) == 6
    assert list(ab.table["row"]) == [
        "+ KL between the stages",
        "+ distillation (full model)",
        "constant output (learned nothing)",
    ]
    assert list(ab.shown.columns) == ["row", "teacher", "seeds", "letter_accuracy", "letter_accuracy_htk"]
    assert ab.coverage == "Every row has at least 3 seeds."
    assert ab.learning.startswith("Best row + distillation (full model) (hamer): 0.610")
    assert [v.outcome for v in ab.claims] == ["replicates", "not testable", "not testable", "not testable"]
    assert ab.claim_lines.splitlines()[0] == "- " + ab.claims[0].sentence and len(ab.claim_lines.splitlines()) == 4
    assert ab.not_run == ["CTC on the BiGRU only", "+ CTC on the 1D-CNN", "CTC on the BiGRU + distillation"]
    assert ab.notes() == f"{ab.coverage}\n{ab.learning}"
    assert ab.notes(not_run_on="Greek").splitlines()[2] == (
        "Not run on Greek at this profile: CTC on the BiGRU only; + CTC on the 1D-CNN; CTC on the BiGRU + distillation"
    )
    assert ab.title == "loss ablation, Greek synthetic corpus, teacher hamer"
    fig = ab.figure()
    assert fig.axes[0].get_title() == ab.title
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(ab.table["row"][:2])
    every = experiment.loss_ablation(FakeExperiment(tmp_path / "all.csv"), list(tables.VARIANT_LABELS), [0], "ASL")
    assert every.not_run == [] and every.notes(not_run_on="ASL") == every.notes()
    assert "1 seed(s)" in every.coverage


# --------------------------------------------------------------------------------- 06 teacher comparison
def test_teacher_separability_on_a_real_corpus_is_empty():
    sep = experiment.teacher_separability(SimpleNamespace(synthetic=False), ("hamer", "mediapipe"))
    assert list(sep["teacher"]) == ["hamer", "mediapipe"]
    assert sep[["nearest_centroid", "linear_probe"]].isna().all().all()


def test_with_separability_labels_and_claim_lines():
    res = results_rows(
        {
            ("full", "hamer"): [0.5, 0.52, 0.48],
            ("full", "mediapipe"): [0.3, 0.31, 0.29],
            ("full", "oracle_pose"): [0.7, 0.71, 0.69],
            ("ctc_both_kl", ""): [0.3, 0.3, 0.31],
        }
    )
    rows = tables.teacher_rows(["hamer", "mediapipe", "oracle_pose"])
    table = tables.table(res, rows, metrics=("letter_accuracy",))
    sep = pd.DataFrame(
        {
            "teacher": ["hamer", "mediapipe"],
            "nearest_centroid": [0.4, 0.2],
            "linear_probe": [0.5, 0.3],
            "chance": [0.25, 0.25],
        }
    )
    both = tables.with_separability(table, sep).set_index("teacher")
    assert both.loc["hamer", "teacher separability (NC)"] == 0.4
    assert both.loc["mediapipe", "teacher separability (LP)"] == 0.3
    assert pd.isna(both.loc["oracle_pose", "teacher separability (NC)"]) and "chance" not in both
    assert set(tables.COMPARISON_COLUMNS) - {"letter_accuracy_htk"} <= set(both.reset_index().columns)
    assert tables.teacher_labels(rows) == ["hamer", "mediapipe", "oracle_pose", "+ KL between the stages, no teacher"]
    lines = tables.teacher_claim_lines(res, ["hamer", "mediapipe", "oracle_pose"]).splitlines()
    assert lines == [
        "- " + tables.teacher_claims(res, ["hamer", "mediapipe", "oracle_pose"])[0].sentence,
        "- " + tables.upper_bound_gap(res, "hamer", "oracle_pose"),
        "- " + tables.ablation_claims(res, "hamer")[0].sentence,
    ]
    assert lines[0].startswith("- hamer teaches better than mediapipe: replicates")


def test_separability_relation_three_cases():
    def both(accs, nc=(0.1, 0.2, 0.3, 0.4)):
        return pd.DataFrame(
            {
                "teacher": ["a", "b", "c", "d"][: len(accs)],
                "teacher separability (NC)": nc[: len(accs)],
                "letter_accuracy_mean": accs,
                "letter_accuracy_std": 0.01,
            }
        )

    few = tables.separability_relation(both([0.5, 0.6]), ["a", "b"], 0.2)
    assert (few.plot, few.sentence, len(few.models)) == (False, "", 2)
    flat = tables.separability_relation(both([0.5, 0.1, 0.15, 0.6]), ["a", "b", "c", "d"], 0.2)
    assert not flat.plot and flat.sentence.startswith("Only 2 of 4 distilled students are above the constant output")
    read = tables.separability_relation(both([0.3, 0.4, 0.5, 0.45]), ["a", "b", "c"], 0.2)
    assert read.plot and list(read.models["teacher"]) == ["a", "b", "c"]
    assert read.sentence.startswith(
        "Spearman rank correlation of teacher separability and student accuracy over 3 teachers: +1.00"
    )
    fig = figures.separability_scatter(read.models)
    assert fig.axes[0].get_xlabel() == "teacher letter separability (nearest centroid)"
    assert [t.get_text() for t in fig.axes[0].texts] == ["a", "b", "c"]


# ------------------------------------------------------------------------------------------ 07 embeddings
def test_students_train_every_row_at_every_seed(tmp_path):
    exp = FakeExperiment(tmp_path / "results.csv")
    rows = {"student, distilled": ("full", "hamer"), "student, not distilled": ("ctc_both_kl", "")}
    st = embeddings.students(exp, rows, [2, 0])
    assert exp.trained == [("full", "hamer", 2), ("ctc_both_kl", "", 2), ("full", "hamer", 0), ("ctc_both_kl", "", 0)]
    assert list(st) == [2, 0] and list(st[0]) == list(rows)
    assert (
        st[0]["student, distilled"].model == "model full-hamer-0"
        and st[0]["student, distilled"].name == "student, distilled"
    )
    systems = embeddings.with_teacher(st, "teacher (hamer)", "vectors")
    assert list(systems[2]) == [*rows, "teacher (hamer)"] and systems[0]["teacher (hamer)"] == "vectors"
    assert "teacher (hamer)" not in st[2]


def test_scores_by_seed_summaries_and_sentences():
    rng = np.random.default_rng(3)
    rows = []
    for s in range(8):
        for c in range(4):
            rows += [
                {
                    "filename": f"s{s}c{c}",
                    "frame": t,
                    "letter": "abcd"[rng.integers(4)],
                    "signer": f"p{s}",
                    "partition": "test" if s >= 4 else "train",
                }
                for t in range(5)
            ]
    f = pd.DataFrame(rows)
    good = np.eye(4)[["abcd".index(x) for x in f["letter"]]] * 3 + rng.normal(0, 0.3, (len(f), 4))

    class Vectors:
        def __init__(self, x):
            self.x = x

        def vectors(self, name):
            sel = (f["filename"] == name).to_numpy()
            return self.x[sel][np.argsort(f.loc[sel, "frame"].to_numpy())]

    one = {"good": Vectors(good), "noise": Vectors(rng.normal(size=(len(f), 4)))}
    systems = {7: one, 1: one}
    letters = embeddings.letter_scores_by_seed(systems, f, "noise")
    single = embeddings.letter_scores(one, f, "noise")
    assert list(letters["seed"]) == [7, 7, 1, 1]
    assert embeddings.first_seed(letters).drop(columns="seed").reset_index(drop=True).equals(single)
    first = single.iloc[0]
    assert embeddings.letter_summary(letters) == (
        f"seed 7; chance {first['chance']:.3f}, majority letter {first['majority']:.3f}, "
        f"{int(first['test_frames'])} test frames of {int(first['test_groups'])} signers"
    )
    spread = embeddings.seed_spread(letters)
    assert spread.loc["good", ("nearest_centroid", "std")] == 0.0
    good = single.set_index("system").loc["good", "nearest_centroid"]
    assert spread.loc["good", ("nearest_centroid", "mean")] == round(good, 3)
    sentence = embeddings.difference_sentence(single, "good", "noise")
    assert embeddings.difference_sentences(letters, "good", "noise") == f"seed 7: {sentence}\nseed 1: {sentence}"
    signers = embeddings.signer_scores_by_seed(systems, f)
    assert list(signers["seed"]) == [7, 7, 1, 1]
    s0 = signers.iloc[0]
    assert embeddings.signer_summary(signers) == (
        f"seed 7; {int(s0['signers'])} signers, chance {s0['chance']:.3f}; intervals from a bootstrap over "
        f"{int(s0['test_sequences'])} held-out clips"
    )


def test_teacher_pose_line_is_built_from_notebook_03s_tables(tmp_path):
    assert tables.teacher_pose_line(tmp_path) == (
        "Notebook 03's held-out errors (teacher_heldout_errors.csv) are not among this run's tables."
    )
    pd.DataFrame(
        {
            "model": ["synthetic HaMeR", "synthetic HaMeR", "synthetic HaMeR", "keypoint regressor"],
            "metric": [
                "global orientation error (deg)",
                "finger joint rotation error (deg)",
                "shape error (standardised RMSE)",
                "3D keypoint error, wrist-relative (mm)",
            ],
            "value": [40.0, 27.0, 0.9, 120.0],
            "learned-nothing baseline": [110.0, 30.0, None, 100.0],
            "gain": [0.636, 0.1, None, -0.2],
        }
    ).to_csv(tmp_path / tables.HELDOUT_FILE, index=False)
    line = tables.teacher_pose_line(tmp_path)
    assert line == (
        "On notebook 03's held-out hands, the synthetic HaMeR's finger-joint rotation error is 27.0 deg against "
        "30.0 deg for the best constant prediction (10% lower); the keypoint regressor's 3D keypoint error is "
        "120.0 mm against 100.0 mm (20% higher)."
    )
    pd.DataFrame({"finger": ["thumb", "index", "ring"], "gain": [0.05, 0.15, -0.02]}).to_csv(
        tmp_path / tables.FINGERS_FILE, index=False
    )
    line = tables.teacher_pose_line(tmp_path, hamer_checkpoint="hamer.ckpt")
    assert line.startswith("The HaMeR teacher of this run is the official checkpoint;")
    assert "; per finger, from 2% higher (ring) to 15% lower (index);" in line
