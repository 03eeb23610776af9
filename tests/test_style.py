"""The study's one figure style (fslib/style.py) and the layout of the figures drawn with it: every multi-panel
figure is a grid of at most three panels a row, and every panel with data has both axis labels.

Exempt from both checks, being tables of images whose columns are the frames of one sequence or a set of
examples (no axes with units): the letter gallery and the corpus filmstrip (fslib.synth.corpus), the crop
filmstrip and the failure gallery (fslib.preprocess.figures), the skeleton filmstrip (fslib.islr.figures);
the realism worst cases are image panels too (no labels) but do follow the three-a-row rule.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from fslib import style  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def panels(fig) -> list:
    """The visible axes of ``fig`` that are panels (colour bars are not), after the layout has run."""
    fig.canvas.draw()
    return [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]


def rows_of(fig) -> list[list]:
    """The panels of ``fig`` grouped into rows: panels whose vertical extents overlap share a row."""
    rows: list[list] = []
    for ax in sorted(panels(fig), key=lambda a: -a.get_position().y1):
        box = ax.get_position()
        for row in rows:
            other = row[0].get_position()
            if min(box.y1, other.y1) - max(box.y0, other.y0) > 0.5 * min(box.height, other.height):
                row.append(ax)
                break
        else:
            rows.append([ax])
    return rows


def assert_grid(fig, most: int = 3) -> None:
    widths = [len(r) for r in rows_of(fig)]
    assert widths and max(widths) <= most, f"panels per row {widths}: more than {most} in a row"
    assert fig.get_size_inches()[0] <= style.PAGE_WIDTH + 1e-6, "wider than the book's content column"


def assert_labelled(fig) -> None:
    for ax in panels(fig):
        assert ax.get_xlabel().strip(), f"panel {ax.get_title()!r} has no x label"
        assert ax.get_ylabel().strip(), f"panel {ax.get_title()!r} has no y label"


# ------------------------------------------------------------------------------------------ the style
def test_apply_sets_the_theme_and_is_idempotent():
    matplotlib.rcParams.update({"font.size": 20, "figure.dpi": 55, "axes.labelsize": 30})
    style.apply()
    fig = plt.figure()
    assert fig.dpi == style.DPI
    assert matplotlib.rcParams["font.size"] == style.FONT_SIZE
    assert matplotlib.rcParams["axes.labelsize"] == style.FONT_SIZE
    assert matplotlib.rcParams["savefig.dpi"] == style.SAVE_DPI
    assert matplotlib.rcParams["axes.grid"]  # seaborn whitegrid
    assert list(matplotlib.rcParams["figure.figsize"])[0] == style.PAGE_WIDTH
    before = dict(matplotlib.rcParams)
    style.apply()
    assert dict(matplotlib.rcParams) == before


def test_figures_are_drawn_in_the_theme():
    matplotlib.rcParams.update({"font.size": 20, "figure.dpi": 55})
    fig, ax = style.subplots()
    assert fig.dpi == style.DPI
    assert ax.xaxis.label.get_fontsize() == style.FONT_SIZE
    assert fig.get_size_inches()[0] == style.PAGE_WIDTH
    assert fig.get_layout_engine() is not None  # constrained layout


def test_grid_of_five_in_threes_is_two_rows_with_one_hidden_cell():
    fig, axes = style.grid(5, ncols=3)
    assert len(axes) == 5 and all(ax.get_visible() for ax in axes)
    assert len(fig.axes) == 6
    hidden = [ax for ax in fig.axes if not ax.get_visible()]
    assert len(hidden) == 1 and hidden[0] not in list(axes)
    assert [len(r) for r in rows_of(fig)] == [3, 2]
    assert fig.axes[-1] is hidden[0]  # the last cell of the last row
    assert fig.get_size_inches()[0] == style.PAGE_WIDTH


def test_grid_never_makes_more_columns_than_panels():
    fig, axes = style.grid(2, ncols=3)
    assert len(fig.axes) == 2 and [len(r) for r in rows_of(fig)] == [2]
    with pytest.raises(ValueError):
        style.grid(0)


def test_balanced_columns():
    assert [style.balanced_ncols(n) for n in range(1, 10)] == [1, 2, 3, 2, 3, 3, 3, 3, 3]


def test_the_checks_catch_a_row_of_four_and_a_missing_label():
    fig, axes = plt.subplots(1, 4, figsize=(7, 2))
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set(xlabel="x (px)", ylabel="y (px)")
    with pytest.raises(AssertionError, match="more than 3"):
        assert_grid(fig)
    axes[2].set_ylabel("")
    with pytest.raises(AssertionError, match="no y label"):
        assert_labelled(fig)


# ----------------------------------------------------------------------------- multi-panel figures
def test_pretraining_curves_is_two_by_two_and_labelled():
    from fslib.teachers import analysis

    ep = np.arange(1, 5)
    hamer = pd.DataFrame(
        dict(
            epoch=ep,
            train_loss=1 / ep,
            val_global_orient_deg=40 / ep,
            val_finger_joint_deg=20 / ep,
            val_keypoint2d_px=10 / ep,
            val_reprojection_px=12 / ep,
            val_keypoint3d_mm=50 / ep,
        )
    )
    kp = pd.DataFrame(dict(epoch=ep, train_loss=2 / ep, val_keypoint3d_mm=60 / ep))
    report = {
        "hamer_history": hamer.to_dict("records"),
        "kp_history": kp.to_dict("records"),
        "config": {"crop_size": 64},
    }
    fig = analysis.pretraining_curves(report)
    assert [len(r) for r in rows_of(fig)] == [2, 2]
    assert_grid(fig)
    assert_labelled(fig)
    assert "degrees" in fig.axes[1].get_ylabel() and "mm" in fig.axes[3].get_ylabel()
    assert "64" in fig.axes[2].get_ylabel()


class _Store:
    """A feature store whose vectors separate the letters."""

    def __init__(self, frames: pd.DataFrame, noise: float, seed: int = 0):
        rng = np.random.default_rng(seed)
        centres = {c: rng.normal(size=8) * 3 for c in sorted(frames["letter"].unique())}
        self.vectors_of = {
            f: np.stack([centres[c] for c in g["letter"]]) + rng.normal(size=(len(g), 8)) * noise
            for f, g in frames.groupby("filename")
        }

    def vectors(self, filename):
        return self.vectors_of[filename]


def _hold_frames() -> pd.DataFrame:
    rows = [
        dict(filename=f"s{f}", frame=t, letter="abcdef"[(f + t) % 6], signer=f"p{f % 3}")
        for f in range(6)
        for t in range(8)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("systems", "colour_by", "widths"),
    [(5, "letter", [3, 2]), (3, ("letter", "signer"), [3, 3]), (4, ("letter", "signer"), [2, 2, 2, 2])],
)
def test_embedding_grid_has_at_most_three_panels_a_row(systems, colour_by, widths):
    from fslib.teachers import analysis

    frames = _hold_frames()
    stores = {f"system {i}": _Store(frames, noise=0.5 + i, seed=i) for i in range(systems)}
    fig = analysis.umap_grid(stores, frames, method="pca", colour_by=colour_by)
    assert [len(r) for r in rows_of(fig)] == widths
    assert_grid(fig)
    assert_labelled(fig)
    titles = [ax.get_title() for ax in panels(fig)]
    colourings = [colour_by] if isinstance(colour_by, str) else list(colour_by)
    assert titles == [f"system {i}, by {c}" for c in colourings for i in range(systems)]


def test_realism_distributions_is_a_grid_with_units():
    from fslib.synth import realism

    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        dict(
            visible=True,
            detected=rng.random(n) > 0.1,
            error_norm=rng.gamma(2, 0.04, n),
            skin_tone_name=rng.choice(["I very light", "III medium light", "VI very dark"], n),
            filename=rng.choice(["a", "b", "c"], n),
        )
    )
    fig = realism.plot_distributions(df)
    assert [len(r) for r in rows_of(fig)] == [2, 1]
    assert_grid(fig)
    assert_labelled(fig)
    assert "fraction" in fig.axes[1].get_ylabel()


def test_realism_worst_cases_three_a_row(monkeypatch):
    from fslib.synth import corpus, realism

    kp = np.stack([np.linspace(40, 60, 21), np.linspace(30, 70, 21)], axis=1)
    monkeypatch.setattr(corpus, "load_groundtruth", lambda root, f: {"keypoints2d": np.stack([kp] * 5)})
    monkeypatch.setattr(corpus, "load_frames", lambda root, f, m=None: np.zeros((5, 96, 96, 3), np.uint8))
    monkeypatch.setattr(realism, "evaluate_sequence", lambda frames, gt, cfg: {"mp_landmarks": gt["keypoints2d"]})
    worst = pd.DataFrame(
        dict(
            filename=[f"s{i}" for i in range(8)],
            frame=3,
            signer="p0",
            skin_tone_name="V dark",
            letter="a",
            detected=[False, True] * 4,
            error_norm=0.3,
        )
    )
    fig = realism.plot_worst_cases("unused", worst)
    assert [len(r) for r in rows_of(fig)] == [3, 3, 2]
    assert_grid(fig)


def test_preprocess_histograms_labelled_with_units():
    from fslib.preprocess import figures

    rng = np.random.default_rng(0)
    seqs = pd.DataFrame(
        dict(
            skipped=False,
            partition=rng.choice(["train", "dev", "test"], 30),
            detection_rate=rng.random(30),
            any_hand_rate=rng.random(30),
        )
    )
    frames = pd.DataFrame(
        dict(source=rng.choice(["detected", "interpolated"], 100), iou_crop=rng.random(100), coverage=rng.random(100))
    )
    for fig in (figures.detection_rates(seqs), figures.iou_distribution(frames)):
        assert [len(r) for r in rows_of(fig)] == [2]
        assert_grid(fig)
        assert_labelled(fig)
        assert all("count" in ax.get_ylabel() for ax in panels(fig))


def test_islr_spread_and_bars_labelled():
    from fslib.islr import figures

    spread = pd.DataFrame(
        dict(
            signer=["a", "b", "c"],
            split=["train", "val", "test"],
            face_x=[0.4, 0.5, 0.6],
            face_y=[0.3, 0.2, 0.25],
            shoulder_width=[0.2, 0.25, 0.3],
        )
    )
    fig = figures.spread_plot(spread)
    assert [len(r) for r in rows_of(fig)] == [2]
    assert_grid(fig)
    assert_labelled(fig)
    table = pd.DataFrame(
        dict(row=["none", "per_frame", "x", "y", "z", "w"], val_top1_mean=[0.3, 0.4, 0.2, 0.1, 0.5, 0.6])
    )
    fig = figures.results_bars(table, {"none": 50.0})
    assert_grid(fig)
    assert_labelled(fig)


def test_islr_filmstrip_is_page_wide():
    from fslib.islr import figures

    T = 10
    clip = dict(
        pose=np.full((T, 33, 3), 0.5),
        face=np.full((T, 478, 3), 0.4),
        left_hand=np.full((T, 21, 3), 0.45),
        right_hand=np.full((T, 21, 3), np.nan),
    )
    fig = figures.filmstrip([clip, clip], ["A (p0)", "B (p1)"], frames=6)
    assert fig.get_size_inches()[0] <= style.PAGE_WIDTH
    assert len(rows_of(fig)) == 2  # one row a clip: an image table, exempt from three a row


def test_recognizer_figures_labelled_with_units():
    from fslib.recognizer import figures

    hist = [
        dict(epoch=e, train_ctc_gru=3 / e, train_ctc_cnn=3.2 / e, train_kl=0.5, train_distill=0.8 / e,
             dev_letter_accuracy=0.1 * e, dev_letter_accuracy_htk=0.09 * e)
        for e in range(1, 5)
    ]  # fmt: skip
    fig = figures.learning_curves({"seed 0": hist, "seed 1": hist}, baseline=0.2)
    assert [len(r) for r in rows_of(fig)] == [2]
    assert_grid(fig)
    assert_labelled(fig)
    assert "fraction" in fig.axes[1].get_ylabel()

    letters = list("abc") + ["∅"]
    mat = pd.DataFrame(np.arange(16).reshape(4, 4), index=letters, columns=letters)
    fig = figures.confusion_figure(mat)
    assert_grid(fig)
    assert_labelled(fig)

    res = pd.DataFrame(
        dict(variant="full", teacher="hamer", seed=[0, 1], split="test", metric="letter_accuracy", value=[0.3, 0.4])
    )
    fig = figures.rows_figure(res, [("full", "hamer")], ["full"], 0.2)
    assert_labelled(fig)
    assert "fraction" in fig.axes[0].get_xlabel()

    t = pd.DataFrame(
        dict(teacher=["a", "b"], sep=[0.2, 0.5], letter_accuracy_mean=[0.3, 0.4], letter_accuracy_std=0.02)
    )
    fig = figures.teacher_scatter(t, "sep", xlabel="separability (fraction)", ylabel="accuracy (fraction)")
    assert_grid(fig)
    assert_labelled(fig)


def test_letter_frequencies_figure_labelled():
    from fslib.synth import corpus

    freq = pd.DataFrame({"train": [5, 3], "dev": [1, 2], "test": [2, 0]}, index=["a", "b"])
    fig = corpus.plot_letter_frequencies(freq)
    assert_grid(fig)
    assert_labelled(fig)
