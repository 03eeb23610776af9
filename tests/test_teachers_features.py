"""Teacher feature extraction and its cache, the other teachers, and synthetic pretraining (fslib.teachers)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from fslib.teachers.extract import HamerTeacher, Teacher, hamer_context_scale, pad_context
from fslib.teachers.features import teacher_features
from fslib.teachers.hamer import build_hamer, hamer_config
from fslib.teachers.others import MediaPipeTeacher, OracleTeacher, PoseRotationTeacher, normalise_landmarks


@dataclasses.dataclass(frozen=True)
class _Config:
    mirror_left: bool = True


class _Corpus:
    def __init__(self, root: Path):
        self.groundtruth_root = root / "groundtruth"


class _Store:
    """The part of fslib.preprocess.CropStore that teachers use, over crops written by the test."""

    def __init__(self, root: Path, lengths: dict[str, int], seed: int = 0):
        self.root, self.config, self.corpus = root, _Config(), _Corpus(root)
        rng = np.random.default_rng(seed)
        self._crops = {}
        for name, t in lengths.items():
            self._crops[name] = rng.integers(0, 255, (t, 64, 64, 3), dtype=np.uint8)
            gt = self.corpus.groundtruth_root / f"{name}.npz"
            gt.parent.mkdir(parents=True, exist_ok=True)
            np.savez(gt, pose=rng.normal(0, 0.5, (t, 16, 3)).astype(np.float32))

    @property
    def filenames(self):
        return list(self._crops)

    def load(self, filename):
        return self._crops[filename]

    def meta(self, filename):
        return {"side": "right"}


class _Counting(Teacher):
    """Mean colour per frame; counts the frames it is asked for."""

    name, vector_key = "counting", "vector"

    def __init__(self, tag="a"):
        self.tag, self.calls = tag, 0

    def describe(self):
        return {"teacher": self.name, "tag": self.tag}

    def extract(self, crops, right=None, truth=None):
        self.calls += len(crops)
        return {"vector": crops.reshape(len(crops), -1, 3).mean(1).astype(np.float32)}


@pytest.fixture()
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    return _Store(tmp_path / "crops", {"src/a_0001": 5, "src/b_0002": 3, "src/c_0003": 7})


def test_features_are_cached_resumed_and_keyed_by_teacher(store):
    teacher = _Counting()
    fs = teacher_features(store, teacher, progress=False)
    assert teacher.calls == 15 and fs.filenames == store.filenames
    assert fs.vectors("src/b_0002").shape == (3, 3)
    assert np.allclose(fs.vectors("src/c_0003"), store.load("src/c_0003").reshape(7, -1, 3).mean(1), atol=1e-4)
    # a rerun computes nothing
    again = _Counting()
    assert teacher_features(store, again, progress=False).root == fs.root and again.calls == 0
    # an interrupted run (one entry missing) redoes only that sequence; no temporary files are left behind
    os.remove(fs.path("src/c_0003"))
    resumed = _Counting()
    teacher_features(store, resumed, progress=False)
    assert resumed.calls == 7
    assert not [p for p in fs.root.rglob("*") if ".tmp" in p.name]
    # another teacher configuration gets its own cache entry
    assert teacher_features(store, _Counting("b"), progress=False).root != fs.root


class _Blind(_Counting):
    """Finds a 'hand' only in the first frame of every sequence (zeros elsewhere, as MediaPipe writes)."""

    name = "blind"

    def extract(self, crops, right=None, truth=None):
        v = super().extract(crops, right, truth)["vector"]
        v[1:] = 0
        return {"vector": v}


def test_coverage_counts_frames_with_a_vector(store):
    from fslib.teachers import coverage

    assert coverage(teacher_features(store, _Counting(), progress=False)) == 1.0
    blind = teacher_features(store, _Blind(), progress=False)
    assert coverage(blind) == pytest.approx(3 / 15)
    assert coverage(blind, ["src/b_0002"]) == pytest.approx(1 / 3)
    assert np.isnan(coverage(blind, []))


def test_hamer_pose_rotation_and_oracle_teachers_per_sequence(store):
    torch.manual_seed(0)
    hamer = HamerTeacher(build_hamer(hamer_config("tiny")), "synthetic", "test", batch_size=4)
    fs = teacher_features(store, hamer, progress=False)
    out = fs.load("src/a_0001")
    assert out["embedding"].shape == (5, 128) and out["pose"].shape == (5, 16, 3, 3)
    assert out["keypoints2d"].shape == (5, 21, 2) and fs.dim == 128
    rot = teacher_features(store, PoseRotationTeacher(hamer), progress=False).vectors("src/a_0001")
    assert rot.shape == (5, 144) and np.allclose(rot, out["pose"].reshape(5, -1), atol=1e-6)
    oracle = teacher_features(store, OracleTeacher(), progress=False)
    r = oracle.load("src/c_0003")["pose"]
    assert r.shape == (7, 16, 3, 3)
    assert np.allclose(np.linalg.det(r), 1, atol=1e-5)
    # the oracle's output is the ground-truth pose it was given (axis-angle in groundtruth/<name>.npz) as
    # rotation matrices, here by Rodrigues' formula, for every sequence
    for name in store.filenames:
        truth = np.load(store.corpus.groundtruth_root / f"{name}.npz")["pose"].astype(np.float64)
        expected = rodrigues(truth)
        out = oracle.load(name)
        assert out["pose"].shape == expected.shape
        np.testing.assert_allclose(out["pose"], expected, atol=1e-5)
        np.testing.assert_allclose(oracle.vectors(name), expected.reshape(len(truth), 144), atol=1e-5)
        # each matrix leaves its own rotation axis where it is
        axis = truth / np.linalg.norm(truth, axis=-1, keepdims=True)
        np.testing.assert_allclose(np.einsum("...ij,...j->...i", out["pose"], axis), axis, atol=1e-5)
    with pytest.raises(ValueError, match="ground-truth pose"):
        OracleTeacher().extract(store.load("src/a_0001"), truth=None)


def rodrigues(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) rotation matrices: R = I + sin(a) K + (1 - cos(a)) K^2."""
    angle = np.linalg.norm(rotvec, axis=-1)[..., None, None]
    k = rotvec / np.maximum(angle[..., 0], 1e-12)
    zero = np.zeros(k.shape[:-1])
    K = np.stack(
        [
            np.stack([zero, -k[..., 2], k[..., 1]], -1),
            np.stack([k[..., 2], zero, -k[..., 0]], -1),
            np.stack([-k[..., 1], k[..., 0], zero], -1),
        ],
        -2,
    )
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * (K @ K)


def test_process_pool_gives_the_same_features(store, tmp_path):
    torch.manual_seed(0)
    hamer = HamerTeacher(build_hamer(hamer_config("tiny")), "synthetic", "pool", batch_size=4)
    serial = teacher_features(store, hamer, progress=False)
    pooled = teacher_features(store, hamer, progress=False, workers=2, root=tmp_path / "pooled")
    for f in store.filenames:
        assert np.allclose(serial.vectors(f), pooled.vectors(f), atol=1e-5)


def test_context_padding_for_the_released_model():
    assert hamer_context_scale(0.25) == pytest.approx(2 * 4 / 3 / 1.5)
    crops = np.full((1, 60, 60, 3), 200, np.uint8)
    padded = pad_context(crops, 2.0)
    assert padded.shape == crops.shape
    assert padded[0, 0, 0, 0] == 0 and padded[0, 30, 30, 0] == 200  # border black, centre kept


def test_landmark_normalisation_is_translation_and_scale_invariant():
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(4, 21, 3))
    moved = pts * 3.0 + np.array([5.0, -2.0, 1.0])
    assert np.allclose(normalise_landmarks(pts), normalise_landmarks(moved))
    assert np.allclose(np.linalg.norm(normalise_landmarks(pts)[:, 9], axis=-1), 1)


def test_mediapipe_teacher_on_rendered_hand_and_blank_crop():
    from fslib.synth import hand, render
    from fslib.synth.primitives import Camera

    pose = np.zeros((16, 3))
    kp = hand.forward_kinematics(pose, None, "right", np.array([0.0, 0.08, 0.45])).keypoints
    cam = Camera.from_fov(128, 128, 50)
    img, _ = render.render(hand.hand_primitives(kp), cam, np.full((128, 128, 3), 60, np.uint8))
    truth = np.stack([cam.fx * kp[:, 0] / kp[:, 2] + cam.cx, cam.fy * kp[:, 1] / kp[:, 2] + cam.cy], -1) / 128
    crops = np.stack([img, np.zeros_like(img)])
    for tracking in (False, True):
        out = MediaPipeTeacher(tracking=tracking).extract(crops)
        assert out["landmarks"].shape == (2, 21, 3) and out["vector"].shape == (2, 63)
        assert out["detected"].tolist() == [1.0, 0.0] and np.all(out["vector"][1] == 0)
        # landmarks come back in crop units, on the rendered hand despite the padding and resizing
        err = np.linalg.norm(out["landmarks"][0, :, :2] - truth, axis=-1)
        assert np.median(err) < 0.06, np.median(err)


def test_synthetic_pretraining_is_cached_and_frozen(tmp_path, monkeypatch):
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    from fslib.teachers.synthetic import evaluate_hamer, history_frame, make_config, pretrain

    cfg = make_config(
        size="tiny",
        samples=32,
        val_samples=8,
        signers=6,
        val_signers=3,
        epochs=2,
        batch_size=16,
        kp_width=8,
        data_chunk=8,
    )
    with pytest.raises(Exception, match="unknown key"):
        make_config(sizes="tiny")
    first = pretrain(cfg, progress=False)
    assert all(not p.requires_grad for p in first.hamer.parameters()) and not first.hamer.training
    rep = first.report
    assert len(rep["hamer_history"]) == 2 and len(rep["kp_history"]) == 2
    for key in ("val_global_orient_deg", "val_finger_joint_deg", "val_keypoint2d_px"):
        assert 0 <= rep["hamer_val"][key] < 1e3
    assert set(history_frame(rep)["model"]) == {"synthetic HaMeR", "keypoint regressor"}
    stamp = (first.folder / "report.json").stat().st_mtime_ns
    second = pretrain(cfg, progress=False)
    assert second.folder == first.folder and (first.folder / "report.json").stat().st_mtime_ns == stamp
    x = torch.randn(2, 3, 64, 64)
    assert torch.allclose(first.hamer(x)["embedding"], second.hamer(x)["embedding"])
    # the held-out split is a different set of signers: its crops differ from the training ones
    from fslib.teachers.pretrain_data import load_split

    tr, va = load_split(cfg.data_config(), "train"), load_split(cfg.data_config(), "val")
    assert tr["images"].shape == (32, 64, 64, 3) and va["images"].shape == (8, 64, 64, 3)
    assert not np.array_equal(tr["shape"][0], va["shape"][0])
    assert evaluate_hamer(second.hamer, va, 64)["finger_joint_deg"] == pytest.approx(
        rep["hamer_val"]["val_finger_joint_deg"], rel=1e-4
    )


def test_teachers_for_corpus_drops_the_oracle_on_real_data_and_says_so(capsys):
    import pytest

    from fslib.teachers import teachers_for_corpus

    names = ["hamer", "oracle_pose", "mediapipe"]
    assert teachers_for_corpus(names, synthetic=True) == names
    assert teachers_for_corpus(names, synthetic=False) == ["hamer", "mediapipe"]
    assert "oracle_pose" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown teacher.*nope"):
        teachers_for_corpus(["nope"], synthetic=True)


def test_provenance_lines_name_corpus_and_teacher():
    from fslib import report

    syn = report.describe_corpus("", alphabet="fswild", signers=8, sequences=48, image_size=128, seed=0)
    assert "synthetic" in syn and "8 signers" in syn and "48 sequences" in syn
    assert (
        report.describe_corpus("/data/fswild", alphabet="fswild", signers=8, sequences=48, image_size=128, seed=0)
        == "real corpus at `.../data/fswild`"  # outside the study: its last two parts only
    )
    t = report.describe_teacher("", size="small", samples=100, epochs=2)
    assert "synthetic" in t and "no official HaMeR weights" in t
    assert "official HaMeR checkpoint `x.ckpt`" in report.describe_teacher("x.ckpt", size="small", samples=1, epochs=1)


def test_heldout_table_baseline_and_verdict_follow_the_numbers():
    from fslib.teachers import analysis

    rng = np.random.default_rng(0)

    def split(n):
        return {
            "pose": rng.normal(0, 0.5, (n, 16, 3)).astype(np.float32),
            "images": np.zeros((n, 64, 64, 3), np.uint8),
            "keypoints2d": rng.uniform(-0.4, 0.4, (n, 21, 2)).astype(np.float32),
            "keypoints3d": rng.normal(0, 0.03, (n, 21, 3)).astype(np.float32),
        }

    prior = analysis.prior_errors(split(400), split(200))
    assert set(prior) == {"global_orient_deg", "finger_joint_deg", "keypoint2d_px", "keypoint3d_mm"}
    # a constant predictor's 3D error: mean norm of N(0, 30 mm) 3-vectors ~ 30 * sqrt(8 / pi) = 47.9 mm
    assert 44 < prior["keypoint3d_mm"] < 52
    report = {
        "config": {"crop_size": 64},
        "kp_val": {"val_keypoint3d_mm": 0.5 * prior["keypoint3d_mm"]},
        "hamer_val": {
            "val_global_orient_deg": 0.5 * prior["global_orient_deg"],
            "val_finger_joint_deg": 0.97 * prior["finger_joint_deg"],
            "val_keypoint2d_px": 0.8 * prior["keypoint2d_px"],
            "val_shape_rmse": 0.9,
        },
    }
    table = analysis.heldout_table(report, prior)
    assert np.allclose(table["gain"].dropna().to_numpy(), [0.5, 0.03, 0.2, 0.5])
    verdict = analysis.learning_verdict(table)
    assert "NOT 10% below it: finger joint rotation error (deg);" in verdict
    report["hamer_val"]["val_finger_joint_deg"] = 0.5 * prior["finger_joint_deg"]
    assert analysis.learning_verdict(analysis.heldout_table(report, prior)).startswith("Every measured error")
    assert "learned-nothing baseline" not in analysis.heldout_table(report)


def test_per_finger_errors_of_a_perfect_and_a_constant_model():
    import torch

    from fslib.teachers import analysis
    from fslib.teachers.components.rotation import axis_angle_to_matrix

    rng = np.random.default_rng(1)

    def split(n):
        return {"pose": rng.normal(0, 0.4, (n, 16, 3)).astype(np.float32), "images": np.zeros((n, 64, 64, 3), np.uint8)}

    train, val = split(300), split(50)

    class Fixed(torch.nn.Module):  # returns given finger rotations, whatever the image
        def __init__(self, rots):
            super().__init__()
            self.rots, self.i = rots, 0

        def forward(self, x):
            out = self.rots[self.i : self.i + len(x)]
            self.i += len(x)
            return {"hand_pose": out}

    perfect = analysis.per_finger_errors(
        Fixed(axis_angle_to_matrix(torch.from_numpy(val["pose"][:, 1:]).double())), train, val, 64, batch=16
    )
    assert list(perfect["finger"]) == ["thumb", "index", "middle", "ring", "pinky"]
    assert perfect["error_deg"].max() < 0.1 and np.allclose(perfect["gain"], 1.0, atol=0.01)  # acos near 1
    const = analysis.per_finger_errors(
        Fixed(analysis.mean_rotation(train["pose"])[1:].expand(50, 15, 3, 3)), train, val, 64, batch=16
    )
    assert np.allclose(const["error_deg"], const["learned-nothing baseline"]) and np.allclose(const["gain"], 0.0)


def test_separability_verdict_reads_both_rankings():
    import pandas as pd

    from fslib.teachers import analysis

    def table(hamer, mp):
        return pd.DataFrame(
            [
                dict(teacher="hamer", nearest_centroid=hamer[0], linear_probe=hamer[1], chance=0.04, majority=0.1),
                dict(teacher="mediapipe", nearest_centroid=mp[0], linear_probe=mp[1], chance=0.04, majority=0.1),
                dict(teacher="oracle_pose", nearest_centroid=0.9, linear_probe=0.95, chance=0.04, majority=0.1),
            ]
        )

    assert "replicates here (HaMeR ranks first under both" in analysis.separability_verdict(
        table((0.3, 0.4), (0.1, 0.2))
    )
    partly = analysis.separability_verdict(table((0.25, 0.28), (0.06, 0.40)))
    assert "replicates only partly" in partly and "linear-probe: mediapipe > hamer" in partly
    assert "does NOT replicate" in analysis.separability_verdict(table((0.1, 0.1), (0.2, 0.2)))
