"""The differentiable hand model used by the teachers' 3D and reprojection losses, and the signer bootstrap."""

import numpy as np
import pytest
import torch

from fslib import stats
from fslib.synth import hand
from fslib.teachers.components.kinematics import forward_kinematics, project, shape_from_betas
from fslib.teachers.components.rotation import axis_angle_to_matrix


def test_torch_kinematics_equals_the_renderers_numpy_kinematics():
    rng = np.random.default_rng(3)
    poses = hand.sample_random_pose(rng, 40)
    shapes = [hand.HandShape.sample(rng) for _ in range(40)]
    ref = np.stack([hand.forward_kinematics(p, s).keypoints for p, s in zip(poses, shapes)])
    vec = torch.tensor(np.stack([s.as_vector() for s in shapes]), dtype=torch.float64)
    got = forward_kinematics(axis_angle_to_matrix(torch.from_numpy(poses)), vec).numpy()
    assert np.abs(got - ref).max() < 1e-5
    # and the fingertips really move with the pose (not a rest-pose copy)
    assert np.abs(got - got[:1]).max() > 0.05


def test_torch_kinematics_gradients():
    rng = np.random.default_rng(0)
    rot = torch.from_numpy(hand.sample_random_pose(rng, 2)).requires_grad_(True)
    shape = torch.tensor(
        np.stack([hand.HandShape.sample(rng).as_vector() for _ in range(2)]), dtype=torch.float64, requires_grad=True
    )
    assert torch.autograd.gradcheck(lambda r, s: forward_kinematics(axis_angle_to_matrix(r), s), (rot, shape))


def test_shape_and_projection_conventions():
    avg = hand.HandShape.default().as_vector()
    assert np.allclose(shape_from_betas(torch.zeros(1, 23), 0.1).numpy(), avg)
    assert np.allclose(shape_from_betas(torch.ones(1, 23), 0.1).numpy(), 1.1 * avg)
    kp = torch.tensor([[[1.0, -2.0, 5.0], [0.0, 0.5, -1.0]]])
    uv = project(kp, torch.tensor([[0.5, 0.1, -0.2]]))
    assert torch.allclose(uv, torch.tensor([[[0.6, -1.2], [0.1, 0.05]]]))
    with pytest.raises(ValueError, match="rotations"):
        forward_kinematics(torch.zeros(1, 15, 3, 3), torch.zeros(1, 23))


def test_hamer_keypoint_losses_reach_camera_and_shape():
    from fslib.teachers.hamer import build_hamer
    from fslib.teachers.synthetic import _hamer_loss, make_config

    torch.manual_seed(0)
    model = build_hamer("tiny")
    cfg = make_config(w_kp3d=1.0, w_reproj=1.0, w_pose=0.0, w_shape=0.0, w_kp2d=0.0)
    t = {
        "rot": torch.eye(3).expand(2, 16, 3, 3),
        "kp2d": torch.zeros(2, 21, 2),
        "kp3d": torch.ones(2, 21, 3),
        "shape": torch.zeros(2, 23),
    }
    loss, parts = _hamer_loss(cfg)(model(torch.randn(2, 3, 64, 64)), t)
    assert set(parts) >= {"kp3d", "reproj"}
    loss.backward()
    head = model.mano_head
    assert head.deccam.weight.grad.abs().sum() > 0 and head.decshape.weight.grad.abs().sum() > 0
    assert head.decpose.weight.grad.abs().sum() > 0


def test_signer_bootstrap_resamples_signers_and_pairs_systems():
    groups = np.repeat(["a", "b", "c", "d"], 25)
    good = np.repeat([1, 1, 0, 0], 25).astype(bool)  # two signers right, two wrong
    boot = stats.signer_bootstrap({"x": good, "y": good, "z": ~good}, groups, n_boot=500)
    lo, hi = stats.interval(boot["x"])
    assert lo <= 0.25 and hi >= 0.75  # only 4 signers: a wide interval
    assert stats.interval(boot["x"] - boot["y"]) == (0.0, 0.0)  # paired: identical systems never differ
    assert np.allclose(boot["x"] + boot["z"], 1.0)
    uniform = stats.signer_bootstrap({"x": np.tile(np.r_[np.ones(15), np.zeros(10)], 4)}, groups, n_boot=200)["x"]
    assert np.allclose(uniform, 0.6)  # every signer at 0.6: no spread
    with pytest.raises(ValueError, match="3 scores for 100 frames"):
        stats.signer_bootstrap({"x": np.ones(3)}, groups)


def test_separability_verdict_names_teachers_within_noise():
    import pandas as pd

    from fslib.teachers import analysis

    def table(mp_diff):
        rows = [
            dict(
                teacher="hamer",
                nearest_centroid=0.5,
                linear_probe=0.6,
                chance=0.04,
                majority=0.1,
                nearest_centroid_vs_hamer_lo=0.0,
                nearest_centroid_vs_hamer_hi=0.0,
                linear_probe_vs_hamer_lo=0.0,
                linear_probe_vs_hamer_hi=0.0,
            ),
            dict(
                teacher="mediapipe",
                nearest_centroid=0.4,
                linear_probe=0.5,
                chance=0.04,
                majority=0.1,
                nearest_centroid_vs_hamer_lo=mp_diff[0],
                nearest_centroid_vs_hamer_hi=mp_diff[1],
                linear_probe_vs_hamer_lo=mp_diff[0],
                linear_probe_vs_hamer_hi=mp_diff[1],
            ),
        ]
        return pd.DataFrame(rows)

    assert "replicates here" in analysis.separability_verdict(table((-0.2, -0.05)))
    tied = analysis.separability_verdict(table((-0.2, 0.03)))
    assert "replicates only within noise" in tied and "interval of HaMeR: mediapipe" in tied


def test_equal_compute_variants_give_larger_crops_fewer_samples():
    from fslib.teachers import comparison
    from fslib.teachers.synthetic import make_config

    base = make_config(size="tiny", crop_size=32, samples=1000, batch_size=8)
    v = comparison.equal_compute_variants(base, [32, 48])
    assert v["32 px"] == {"crop_size": 32, "samples": 1000}
    f32, f48 = comparison.forward_flops(base), comparison.forward_flops(make_config(size="tiny", crop_size=48))
    assert f48 > f32 and v["48 px"]["samples"] == round(1000 * f32 / f48) < 1000


def test_choice_verdict_names_the_best_variant_and_the_profiles_choice():
    import pandas as pd

    from fslib.teachers import comparison
    from fslib.teachers.synthetic import make_config

    col = comparison.METRICS["val_finger_joint_deg"]
    table = pd.DataFrame(
        {
            "variant": ["pose and 2D decoder", "HaMeR losses"],
            col: [29.0, 25.0],
            "finger baseline (deg)": [30.0, 30.0],
            "finger_gain": [1 / 30, 1 / 6],
        }
    )
    chosen = make_config(**comparison.LOSS_VARIANTS["HaMeR losses"])
    text = comparison.choice_verdict(table, chosen, "loss")
    assert text.startswith("Lowest held-out finger-joint error: HaMeR losses (25.00 deg")
    assert "(4.00 deg worse)" in text and text.endswith("the best row here.")
    other = comparison.choice_verdict(table, make_config(**comparison.LOSS_VARIANTS["pose and 2D decoder"]), "loss")
    assert "not the best row of this run" in other
    tie = table.assign(**{col: [25.1, 25.0]})
    assert "a tie" in comparison.choice_verdict(tie, chosen, "loss")
    assert comparison.matching_variant(make_config(w_pose=0.5), comparison.LOSS_VARIANTS) is None


def test_goal_table_marks_met_and_missed_targets():
    import pandas as pd

    from fslib.teachers import analysis

    heldout = pd.DataFrame(
        [
            ("synthetic HaMeR", "finger joint rotation error (deg)", 21.0, 30.0, 0.30),
            ("keypoint regressor", "3D keypoint error, wrist-relative (mm)", 40.0, 100.0, 0.6),
        ],
        columns=["model", "metric", "value", "learned-nothing baseline", "gain"],
    )
    fingers = pd.DataFrame({"finger": ["thumb", "index"], "gain": [0.05, 0.4]})
    sep = pd.DataFrame({"teacher": ["hamer", "mediapipe"], "linear_probe": [0.65, 0.5], "nearest_centroid": [0.4, 0.2]})
    met = analysis.goal_table(heldout, fingers, sep).set_index("goal")["met"].tolist()
    assert met == [True, False, False, True, True, False]
    assert len(analysis.goal_table(heldout, None, None)) == 2


def test_letter_separability_carries_signer_bootstrap_intervals():
    import pandas as pd

    from fslib.teachers import analysis

    rng = np.random.default_rng(0)
    letters = np.array(list("abcd"))
    rows = []
    for s in range(10):
        part = "test" if s >= 6 else "train"
        for i in range(40):
            rows.append(
                {"filename": f"s{s}", "frame": i, "letter": letters[i % 4], "signer": f"p{s}", "partition": part}
            )
    frames = pd.DataFrame(rows)
    onehot = np.eye(4)[np.arange(40) % 4]

    class Store:
        def __init__(self, noise):
            self.v = {f"s{s}": onehot * (1 - noise) + noise * rng.normal(size=(40, 4)) for s in range(10)}

        def vectors(self, f):
            return self.v[f]

    sep = analysis.letter_separability({"hamer": Store(0.0), "noise": Store(1.0)}, frames, n_boot=200)
    h, n = sep.set_index("teacher").loc["hamer"], sep.set_index("teacher").loc["noise"]
    assert h["nearest_centroid"] == 1.0 and h["nearest_centroid_lo"] == 1.0
    assert n["nearest_centroid_lo"] <= n["nearest_centroid"] <= n["nearest_centroid_hi"]
    assert n["nearest_centroid_vs_hamer_hi"] < 0 and sep["test_signers"].iloc[0] == 4
    two = analysis.letter_separability({"hamer": Store(0.0)}, frames[frames["signer"].isin(["p0", "p1", "p8", "p9"])])
    assert two["nearest_centroid_lo"].isna().all() and two["test_signers"].iloc[0] == 2
