"""The GISLR parquet layout and the 79-point selection."""

import numpy as np
import pandas as pd
import pytest

from fslib.islr import landmarks as lm


def holistic(t=4, seed=0):
    rng = np.random.default_rng(seed)
    out = {k: rng.random((t, n, 3)).astype(np.float32) for k, n in lm.TYPES.items()}
    out["left_hand"][1:3] = np.nan  # the left hand not found in two frames
    return out


def test_parquet_round_trip(tmp_path):
    clip = holistic()
    path = lm.write_parquet(tmp_path / "clip.parquet", clip)
    back = lm.read_parquet(path)
    for k in lm.TYPES:
        np.testing.assert_array_equal(back[k], clip[k])
    df = pd.read_parquet(path)
    assert list(df.columns) == ["frame", "row_id", "type", "landmark_index", "x", "y", "z"]
    assert len(df) == 4 * 543 and df["row_id"].iloc[0] == "0-face-0"
    assert list(df["type"].iloc[[0, 468, 489, 522]]) == ["face", "left_hand", "pose", "right_hand"]


def test_bad_tables_name_the_problem():
    df = lm.to_long(holistic())
    with pytest.raises(ValueError, match=r"clip.parquet: no rows of landmark type\(s\) \['pose'\]"):
        lm.from_long(df[df["type"] != "pose"], source="clip.parquet")
    with pytest.raises(ValueError, match="unknown landmark type"):
        lm.from_long(df.assign(type=df["type"].replace("pose", "body")))
    with pytest.raises(ValueError, match="columns"):
        lm.from_long(df.drop(columns=["z"]))
    # absent rows become NaN, frames are renumbered in order
    part = lm.from_long(df[~((df["frame"] == 2) & (df["type"] == "right_hand"))])
    assert np.isnan(part["right_hand"][2]).all() and not np.isnan(part["right_hand"][1]).any()


def test_select_points_layout():
    clip = holistic()
    pts = lm.select_points(clip)
    assert pts.shape == (4, 79, 3) and len(lm.FACE_SUBSET) == 37 == len(set(lm.FACE_SUBSET))
    assert [len(v) for v in lm.FACE_POINTS.values()] == [18, 8, 6, 5]
    np.testing.assert_array_equal(pts[:, lm.RIGHT_HAND], clip["right_hand"])
    np.testing.assert_array_equal(pts[:, lm.NOSE], clip["face"][:, lm.NOSE_TIP])
    with pytest.raises(ValueError, match="'face'"):
        lm.select_points({k: v for k, v in clip.items() if k != "face"})
