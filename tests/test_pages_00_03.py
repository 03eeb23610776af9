"""The page helpers of notebooks 00-03 (set-up, tables and verdict sentences moved out of the pages)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fslib import bench, report
from fslib.config import build_config
from fslib.data import read_corpus
from fslib.data.fixtures import write_fswild_fixture
from fslib.preprocess import PreprocessConfig, evaluate
from fslib.preprocess.bench import overhead_verdict
from fslib.synth import realism

CORPUS_PARAMS = dict(alphabet="fswild", corpus_signers=3, corpus_sequences=5, image_size=96, seed=7)
TEACHER_PARAMS = dict(
    teacher_size="tiny",
    teacher_input_size=0,
    crop_size=32,
    margin=0.2,
    pretrain_samples=64,
    pretrain_val_samples=32,
    pretrain_signers=20,
    pretrain_epochs=3,
    seed=7,
)


# ------------------------------------------------------------------------------------------------- report
def test_describe_params_match_the_explicit_calls():
    assert report.describe_corpus_params(CORPUS_PARAMS) == report.describe_corpus(
        "", alphabet="fswild", signers=3, sequences=5, image_size=96, seed=7
    )
    assert "synthetic fswild corpus: 3 signers, 5 sequences, 96 px frames, seed 7" in report.describe_corpus_params(
        CORPUS_PARAMS
    )
    assert report.describe_corpus_params({**CORPUS_PARAMS, "corpus_path": "/data/x"}) == "real corpus at `.../data/x`"
    assert report.describe_teacher_params(TEACHER_PARAMS) == report.describe_teacher(
        "", size="tiny", samples=64, epochs=3
    )
    assert (
        report.describe_teacher_params({**TEACHER_PARAMS, "hamer_checkpoint": "h.ckpt"})
        == "the official HaMeR checkpoint `h.ckpt`"
    )


def test_open_page_shows_provenance_and_creates_folders(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(report, "show_provenance", lambda profile, **kw: shown.append((profile, kw)))
    tables, figures = report.open_page("ci", str(tmp_path / "run"), data="D", teacher="T")
    assert tables == tmp_path / "run" / "tables" and tables.is_dir()
    assert figures == tmp_path / "run" / "figures" and figures.is_dir()
    assert shown == [("ci", dict(data="D", teacher="T", note=""))]


# -------------------------------------------------------------------------------------------- 00 machine
def test_resnet34_train_fps_table_one_row_per_size_in_order(monkeypatch):
    calls = []

    def fake(size, batch=32, steps=3, seed=0):
        calls.append((size, batch, steps, seed))
        return {"size_px": size, "batch": batch, "steps": steps, "seconds": 1.0, "frames_per_s": 10.0 * size}

    monkeypatch.setattr(bench, "resnet34_train_fps", fake)
    table = bench.resnet34_train_fps_table([64, 32], steps=2, seed=5)
    assert calls == [(64, 32, 2, 5), (32, 32, 2, 5)]
    assert list(table.columns) == ["size_px", "batch", "steps", "seconds", "frames_per_s"]
    assert table["size_px"].tolist() == [64, 32] and table["frames_per_s"].tolist() == [640.0, 320.0]


# --------------------------------------------------------------------------------------------- 01 corpus
def _realism_frames(detected: list[bool], errors: list[float]) -> pd.DataFrame:
    n = len(detected)
    return pd.DataFrame(
        dict(
            filename=[f"s/{i % 2}" for i in range(n)],
            visible=[True] * n,
            detected=detected,
            error_norm=errors,
            error_px=np.asarray(errors) * 50,
        )
    )


def test_realism_verdict_met_and_missed():
    good = _realism_frames([True] * 10, [0.05] * 10)
    text = realism.verdict(good, realism.summary(good), 128)
    assert text == (
        "On 10 frames of 2 sequences at 128 px, MediaPipe found the signing hand in **100.0%** of the "
        "frames where it is visible (target 90 %: met), with a median normalised landmark error of "
        "**0.050** (target 0.10: met)."
    )
    bad = _realism_frames([True] * 8 + [False] * 2, [0.15] * 10)
    text = realism.verdict(bad, realism.summary(bad), 64)
    assert "at 64 px" in text and "**80.0%**" in text
    assert "(target 90 %: missed by 10.0%)" in text and "(target 0.10: missed by 0.050)" in text


# -------------------------------------------------------------------------------------------- 02 crops
@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fswild")
    write_fswild_fixture(root)
    return root


def test_page_corpus_reads_the_real_corpus(fixture_root):
    corpus = evaluate.page_corpus({**CORPUS_PARAMS, "corpus_path": str(fixture_root)})
    assert [s.filename for s in corpus.sequences] == [s.filename for s in read_corpus(fixture_root).sequences]
    assert len(corpus) > 0


def test_page_corpus_generates_the_synthetic_corpus_of_the_parameters(fixture_root, monkeypatch):
    from fslib.synth import corpus as synth

    seen = []
    monkeypatch.setattr(synth, "generate", lambda cfg, **kw: seen.append(cfg) or fixture_root)
    corpus = evaluate.page_corpus({**CORPUS_PARAMS, "corpus_path": ""})
    assert seen == [synth.make_config(alphabet="fswild", signers=3, sequences=5, image_size=96, seed=7)]
    assert len(corpus) == len(read_corpus(fixture_root))


def test_page_crop_config():
    p02 = dict(crop_size=48, margin=0.3, mirror_left=False, min_detection=0.4, workers=2, seed=0)
    assert evaluate.page_crop_config(p02) == build_config(
        PreprocessConfig, dict(crop_size=48, margin=0.3, mirror_left=False, min_detection=0.4, min_tracking=0.4)
    )
    p03 = dict(crop_size=32, margin=0.25, min_detection=0.3)  # no mirror_left: the default
    cfg = evaluate.page_crop_config(p03)
    assert cfg == build_config(PreprocessConfig, dict(crop_size=32, margin=0.25, min_detection=0.3, min_tracking=0.3))
    assert cfg.mirror_left == PreprocessConfig().mirror_left


def test_hand_choice_verdict():
    seqs = pd.DataFrame(
        dict(
            partition=["train", "train", "test", "test"],
            hand_correct=[1.0, 1.0, 1.0, 0.0],
            side_correct=[1.0, 0.0, 0.0, 0.0],
            side_correct_per_sequence=[1.0] * 4,
            detection_rate=[0.9] * 4,
            iou_crop=[0.8] * 4,
        )
    )
    choice = evaluate.hand_choice_summary(seqs)
    assert evaluate.hand_choice_verdict(choice, seqs) == (
        "chosen hand is the signing hand in 75% of 4 sequences; its left/right side is right in 25%"
    )
    assert evaluate.hand_choice_verdict(choice, seqs.iloc[:0]) == "no ground truth"


def test_overhead_verdict():
    text = overhead_verdict(dict(overhead=0.1, overhead_within_stage=0.2))
    assert text == (
        "overhead of the stage over MediaPipe alone: 10.0% measured against separate MediaPipe calls, "
        "20.0% measured inside the stage's own calls (meets the 25% target)"
    )
    assert overhead_verdict(dict(overhead=0.1, overhead_within_stage=0.3)).endswith("(misses the 25% target)")
    assert overhead_verdict(dict(overhead=0.26, overhead_within_stage=0.0)).endswith("(misses the 25% target)")


# ------------------------------------------------------------------------------------------ 03 teachers
def test_pretrain_config_input_size_defaults_to_the_crop_size():
    from fslib.teachers import analysis
    from fslib.teachers.synthetic import make_config

    expected = make_config(
        size="tiny", crop_size=32, margin=0.2, samples=64, val_samples=32, signers=20, epochs=3, seed=7
    )
    assert analysis.pretrain_config(TEACHER_PARAMS) == expected
    assert analysis.pretrain_config({**TEACHER_PARAMS, "teacher_input_size": 48}).crop_size == 48


def test_teacher_open_page_on_a_real_corpus_drops_the_oracle(tmp_path, monkeypatch, capsys):
    from fslib.teachers import analysis

    shown = []
    monkeypatch.setattr(report, "show_provenance", lambda profile, **kw: shown.append((profile, kw)))
    params = dict(
        TEACHER_PARAMS,
        **CORPUS_PARAMS,
        profile="smoke",
        out_dir=str(tmp_path),
        corpus_path="/data/x",
        hamer_checkpoint="",
        teachers=["hamer", "mediapipe", "oracle_pose"],
    )
    synthetic, teachers, cfg, tables, figs = analysis.open_page(params)
    assert synthetic is False and teachers == ["hamer", "mediapipe"]
    assert "oracle_pose" in capsys.readouterr().out
    assert cfg == analysis.pretrain_config(params)
    assert tables == tmp_path / "tables" and figs.is_dir()
    assert shown == [
        ("smoke", dict(data="real corpus at `.../data/x`", teacher=report.describe_teacher_params(params), note=""))
    ]
    page = analysis.open_page({**params, "corpus_path": ""})
    assert page.synthetic and page.teachers == ["hamer", "mediapipe", "oracle_pose"]


def test_loss_variants_keep_the_order_and_reject_unknown_names():
    from fslib.teachers import comparison

    names = ["HaMeR losses", "pose and 2D decoder"]
    picked = comparison.loss_variants(names)
    assert list(picked) == names and picked["HaMeR losses"] == comparison.LOSS_VARIANTS["HaMeR losses"]
    with pytest.raises(KeyError, match="no such variant"):
        comparison.loss_variants(["no such variant"])


def test_recipe_line_names_the_terms_on_and_off_and_the_matching_variant():
    import dataclasses

    from fslib.teachers import comparison
    from fslib.teachers.synthetic import make_config

    base = make_config()
    pose_2d = dataclasses.replace(base, **comparison.LOSS_VARIANTS["pose and 2D decoder"])
    line = comparison.recipe_line(pose_2d)
    on, off = line.split("Switched off")
    assert "rotation matrices (MSE) x 1" in on and "2D-keypoint decoder (L1) x 1" in on
    assert "3D keypoints" not in on and "reprojection" not in on
    assert "3D keypoints through the hand model" in off and "reprojection" in off
    assert line.endswith("the loss variant 'pose and 2D decoder'.")
    hamer = comparison.recipe_line(dataclasses.replace(base, **comparison.LOSS_VARIANTS["HaMeR losses, hand-frame 3D"]))
    assert "3D keypoints through the hand model (L1) x 1" in hamer and "(3D term in the hand frame)" in hamer
    assert "No term is switched off" in hamer and hamer.endswith("'HaMeR losses, hand-frame 3D'.")
    odd = comparison.recipe_line(dataclasses.replace(pose_2d, w_kp2d=0.5))
    assert "2D-keypoint decoder (L1) x 0.5" in odd and "loss variant" not in odd


class _Teacher:
    def __init__(self, label):
        self.label = label


class _Store:
    def __init__(self, dim, vectors):
        self.dim, self._vectors = dim, vectors

    @property
    def filenames(self):
        return list(self._vectors)


def test_teacher_stores_and_overview(monkeypatch):
    from fslib.teachers import analysis

    models = {"mediapipe": _Teacher("MediaPipe landmarks"), "hamer": _Teacher("HaMeR embedding")}
    fake = {"mediapipe": _Store(63, {"a": 1}), "hamer": _Store(16, {"a": 1})}
    monkeypatch.setattr(analysis, "teacher_features", lambda store, t: ("features", store, t.label))
    stores = analysis.teacher_stores("crops", models)
    assert list(stores) == ["mediapipe", "hamer"] and stores["hamer"] == ("features", "crops", "HaMeR embedding")
    monkeypatch.setattr(analysis, "coverage", lambda fs: 0.5 if fs.dim == 63 else 1.0)
    overview = analysis.teacher_overview(models, fake)
    assert overview.to_dict("list") == dict(
        teacher=["mediapipe", "hamer"],
        description=["MediaPipe landmarks", "HaMeR embedding"],
        dim=[63, 16],
        frames_with_vector=[0.5, 1.0],
    )
