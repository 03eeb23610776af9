"""The ISLR pages' tables and verdicts on hand-made results."""
import pandas as pd

from fslib.islr import study


def results(rows):
    return pd.DataFrame([dict(run_id=f"{r}{s}", corpus="synthetic", alphabet="islr", variant=r, teacher="none", seed=s,
                              split="val", metric="top1", value=v) for r, vals in rows.items() for s, v in enumerate(vals)])


def test_verdicts_win_tie_loss_and_ceiling():
    res = results({"per_frame": [0.8, 0.85, 0.82], "none": [0.5, 0.52, 0.49], "nose_anchored": [0.6, 0.62, 0.58],
                   "a": [1.0, 1.0, 1.0], "b": [0.99, 1.0, 1.0]})
    lines = study.ordering_verdicts(res, [("per-frame best", "per_frame", "none"),
                                          ("nose worse than none", "none", "nose_anchored"),
                                          ("a beats b", "a", "b")], chance=0.05)
    assert "replicates here" in lines[0]
    assert "the opposite holds" in lines[1]
    assert "too easy" in lines[2]
    table = study.summary(res, ["per_frame", "none"], metrics=("top1",), splits=("val",))
    assert list(table.columns[:3]) == ["row", "seeds", "val top1"] and study.best_row(table, "val_top1_mean") == "per_frame"
