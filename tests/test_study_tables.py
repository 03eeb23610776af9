"""The fingerspelling table pages' helpers: separability of letters and of signers, the student's features
read like a teacher's, the coverage sentence, the run-configuration table and the rows figure."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from fslib import results
from fslib.recognizer import figures, tables
from fslib.teachers import analysis


def frames_table(signers=6, clips=4, frames=5, letters="abcd", seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(signers):
        part = "test" if s >= signers // 2 else "train"
        for c in range(clips):
            for t in range(frames):
                rows.append(
                    {
                        "filename": f"s{s}c{c}",
                        "frame": t,
                        "letter": letters[rng.integers(len(letters))],
                        "signer": f"p{s}",
                        "partition": part,
                    }
                )
    return pd.DataFrame(rows)


def one_hot(values):
    names = sorted(set(values))
    return np.eye(len(names))[[names.index(v) for v in values]]


def test_separability_scores_informative_features_high_and_noise_at_chance():
    f = frames_table()
    rng = np.random.default_rng(1)
    good = one_hot(f["letter"]) * 3 + rng.normal(0, 0.1, (len(f), 4))
    noise = rng.normal(size=(len(f), 4))
    train, test = (f["partition"] == "train").to_numpy(), (f["partition"] == "test").to_numpy()
    out = analysis.separability(
        {"good": good, "noise": noise}, f["letter"].to_numpy(), train, test, f["signer"].to_numpy(), reference="noise"
    ).set_index("system")
    assert out.loc["good", "nearest_centroid"] == 1.0 and out.loc["good", "linear_probe"] == 1.0
    assert out.loc["noise", "nearest_centroid"] < 0.6
    # paired interval of good - noise lies above zero; intervals bracket the estimate
    assert out.loc["good", "nearest_centroid_vs_ref_lo"] > 0
    assert (
        out.loc["noise", "nearest_centroid_lo"]
        <= out.loc["noise", "nearest_centroid"]
        <= out.loc["noise", "nearest_centroid_hi"]
    )
    assert out.loc["good", "test_groups"] == 3 and out.loc["good", "chance"] == 0.25


def test_too_few_groups_give_no_interval():
    f = frames_table(signers=4)  # 2 test signers
    x = one_hot(f["letter"])
    out = analysis.separability(
        {"x": x},
        f["letter"].to_numpy(),
        (f["partition"] == "train").to_numpy(),
        (f["partition"] == "test").to_numpy(),
        f["signer"].to_numpy(),
    )
    assert np.isnan(out["nearest_centroid_lo"].iloc[0]) and out["nearest_centroid"].iloc[0] == 1.0


def test_signer_separability_tells_who_from_what():
    f = frames_table()
    rng = np.random.default_rng(2)
    who = one_hot(f["signer"]) * 3 + rng.normal(0, 0.1, (len(f), 6))
    what = one_hot(f["letter"]) * 3 + rng.normal(0, 0.1, (len(f), 4))
    out = analysis.signer_separability({"who": who, "what": what}, f).set_index("system")
    assert out.loc["who", "nearest_centroid"] == 1.0
    assert out.loc["what", "nearest_centroid"] < 0.7
    assert out.loc["who", "signers"] == 3 and out.loc["who", "chance"] == pytest.approx(1 / 3)
    # clips are split, not frames: no clip has frames on both sides
    assert out.loc["who", "test_sequences"] == 3 * 2


def test_student_features_match_the_backbone():
    from fslib.recognizer.config import make_config
    from fslib.recognizer.embeddings import StudentFeatures
    from fslib.recognizer.model import build_recognizer, to_input

    class Store:
        def load(self, name):
            return np.random.default_rng(len(name)).integers(0, 255, (7, 32, 32, 3), dtype=np.uint8)

    cfg = make_config({"width": 4, "input_size": 16, "teacher": ""}, variant="ctc_both_kl")
    model = build_recognizer(cfg, 5).eval()
    sf = StudentFeatures(model, Store(), batch_size=3)
    v = sf.vectors("clip")
    with torch.no_grad():
        ref = model.encode_frames(to_input(torch.from_numpy(Store().load("clip")), 16)).numpy()
    assert v.shape == (7, sf.dim) and np.allclose(v, ref, atol=1e-5)
    assert sf.vectors("clip") is v  # computed once
    f = pd.DataFrame({"filename": ["clip", "clip"], "frame": [6, 0]})
    assert np.allclose(analysis.frame_vectors(sf, f), v[[6, 0]])


def test_coverage_note_run_configs_and_rows_figure(tmp_path):
    path = tmp_path / "tables" / "results.csv"
    base = dict(study="fingerspelling", corpus="synthetic", alphabet="fswild", teacher="hamer")
    for s, acc in enumerate([0.4, 0.5, 0.45]):
        results.record(
            path,
            dict(base, run_id=f"full-{s}", variant="full", seed=s),
            {"test": {"letter_accuracy": acc}},
            config={"w_distill": 1.0, "teacher": "hamer", "epochs": 3},
        )
    results.record(
        path,
        dict(base, run_id="kl-0", variant="ctc_both_kl", teacher="none", seed=0),
        {"test": {"letter_accuracy": 0.3}},
        config={"w_distill": 0.0, "teacher": ""},
    )
    results.record(
        path,
        dict(base, run_id="constant", variant="constant", teacher="none", seed=0),
        {"test": {"letter_accuracy": 0.2}},
    )
    table = results.read(path)
    rows = [("full", "hamer"), ("ctc_both_kl", ""), ("ctc_gru", "")]
    note = tables.coverage_note(table, rows, 3)
    assert "+ KL between the stages (none): 1 seed(s)" in note and "CTC on the BiGRU only (none): 0 seed(s)" in note
    assert "distillation (full model)" not in note
    assert tables.coverage_note(table, rows[:1], 3) == "Every row has at least 3 seeds."
    cfgs = tables.run_configs(table, path).set_index("run_id")
    assert list(cfgs.index) == ["full-0", "full-1", "full-2", "kl-0"]
    assert cfgs.loc["kl-0", "w_distill"] == 0.0 and cfgs.loc["full-1", "configuration"] == "tables/configs/full-1.json"
    assert json.loads((tmp_path / "tables" / "configs" / "full-1.json").read_text())["epochs"] == 3
    claims = tables.ablation_claims(table, "hamer")
    assert (claims[0].outcome, claims[0].reason) == ("not testable", "too few seeds")
    assert claims[0].sentence.startswith("Distillation helps the full model: not testable here (1 seed(s)")
    assert (claims[1].outcome, claims[1].reason) == ("not testable", "not run")
    assert claims[1].sentence == (
        "Distillation alone helps: not run at this profile (no run of CTC on the BiGRU + "
        "distillation or CTC on the BiGRU only in the table)."
    )
    fig = figures.rows_figure(table, rows, ["full", "no distillation", "CTC only"], 0.2)
    assert len(fig.axes[0].collections) == 2  # one dot series per row that has runs


def test_teacher_scatter_reads_columns_with_spaces():
    t = pd.DataFrame(
        {
            "teacher": ["hamer", "mediapipe"],
            "teacher separability (NC)": [0.3, 0.2],
            "letter_accuracy_mean": [0.4, 0.35],
            "letter_accuracy_std": [0.02, float("nan")],
        }
    )
    fig = figures.teacher_scatter(t, "teacher separability (NC)")
    assert [a.get_text() for a in fig.axes[0].texts] == ["hamer", "mediapipe"]


def test_embedding_page_scores_and_sentences():
    from fslib.recognizer import embeddings

    f = frames_table(signers=8)
    rng = np.random.default_rng(3)
    good = one_hot(f["letter"]) * 3 + rng.normal(0, 0.3, (len(f), 4))

    class Vectors:  # the vectors(filename) interface, from a frame-level array
        def __init__(self, x):
            self.x = x

        def vectors(self, name):
            rows = (f["filename"] == name).to_numpy()
            return self.x[rows][np.argsort(f.loc[rows, "frame"].to_numpy())]

    systems = {"good": Vectors(good), "noise": Vectors(rng.normal(size=(len(f), 4)))}
    letters = embeddings.letter_scores(systems, f, reference="noise")
    shown = embeddings.display_table(letters, "noise")
    assert shown.loc["noise", "nearest centroid - noise"] == ""
    assert shown.loc["good", "nearest centroid - noise"].startswith("+")
    assert "higher, beyond the 95 % interval" in embeddings.difference_sentence(letters, "good", "noise")
    assert "lower, beyond" in embeddings.difference_sentence(
        letters.assign(nearest_centroid_vs_ref_lo=-0.2, nearest_centroid_vs_ref_hi=-0.1), "good", "noise"
    )
    who = embeddings.signer_scores(systems, f)
    assert set(who["system"]) == {"good", "noise"} and who["signers"].iloc[0] == 4
    assert "nearest centroid - " not in " ".join(embeddings.display_table(who).columns)
