"""The recognizer pages' figures: learning curves, the letter confusion matrix, and the study tables' rows
(each seed a dot) beside the learned-nothing line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import style

TERM_LABELS = {
    "train_ctc_gru": "CTC (BiGRU)",
    "train_ctc_cnn": "CTC (1D-CNN)",
    "train_kl": "KL (stages)",
    "train_distill": "distillation (1 - cos)",
}


def learning_curves(histories: Mapping[str, Sequence[dict]], baseline: float | None = None):
    """Left: each training loss term per epoch; right: dev letter accuracy per epoch (both conventions), with
    the constant-output baseline as a dashed line. ``histories``: label (e.g. seed) -> per-epoch rows."""
    from matplotlib.ticker import FuncFormatter

    fig, (ax1, ax2) = style.grid(2, ncols=2, panel_height=4.2)
    styles = ["-", "--", ":", "-."]
    for i, (label, hist) in enumerate(histories.items()):
        h = pd.DataFrame(hist)
        for j, (col, name) in enumerate(TERM_LABELS.items()):
            if col in h:
                ax1.plot(h["epoch"], h[col], styles[i % 4], color=f"C{j}", label=f"{name}" if i == 0 else None)
        if "dev_letter_accuracy" in h:
            d = h.dropna(subset=["dev_letter_accuracy"])
            ax2.plot(
                d["epoch"],
                d["dev_letter_accuracy"],
                styles[i % 4],
                color="C0",
                marker="o",
                ms=3,
                label=f"plain ({label})",
            )
            ax2.plot(
                d["epoch"],
                d["dev_letter_accuracy_htk"],
                styles[i % 4],
                color="C1",
                marker="s",
                ms=3,
                label=f"HTK ({label})",
            )
    ax1.set(
        xlabel="epoch", ylabel="training loss (log scale, no unit)", yscale="log", title="loss terms (training split)"
    )
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax1.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))
    ax1.tick_params(axis="y", which="minor", labelsize=7)
    below = dict(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=8)
    ax1.legend(ncol=2, **below)
    if baseline is not None:
        ax2.axhline(baseline, color="grey", ls="--", lw=1, label="constant output")
    ax2.set(xlabel="epoch", ylabel="letter accuracy (fraction)", title="dev signers (model selection)")
    ax2.legend(ncol=2, **below)
    return fig


def seed_learning_curves(runs: Mapping[int, object], baseline: float | None = None):
    """:func:`learning_curves` of trained runs (seed -> run with a ``history``), labelled "seed k"."""
    return learning_curves({f"seed {s}": r.history for s, r in runs.items()}, baseline=baseline)


def confusion_figure(mat: pd.DataFrame, title: str = "letter confusions (test signers)"):
    """Row-normalised confusion matrix (reference letter -> decoded letter, ∅ = deleted / inserted)."""
    m = mat.to_numpy().astype(float)
    rows = m.sum(1, keepdims=True)
    norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    n = len(mat)
    width = min(style.PAGE_WIDTH, 0.24 * n + 1.8)
    fig, ax = style.subplots(width=width, height=width * 0.88)
    im = ax.imshow(norm, cmap="viridis", vmin=0, vmax=1)
    ax.grid(False)
    ax.set_xticks(range(n), [repr(c)[1:-1] if c == " " else c for c in mat.columns], fontsize=8)
    ax.set_yticks(range(n), [repr(c)[1:-1] if c == " " else c for c in mat.index], fontsize=8)
    ax.set(xlabel="decoded letter", ylabel="reference letter", title=title)
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of the reference letter (fraction)")
    return fig


def rows_figure(
    results: pd.DataFrame,
    rows: Sequence[tuple[str, str]],
    labels: Sequence[str],
    baseline: float,
    metric: str = "letter_accuracy",
    split: str = "test",
    title: str = "",
):
    """One line per table row: every seed's score as a dot, the mean as a bar, and the constant output as a
    dashed line, so a reader sees at a glance whether rows differ by more than their seeds do."""
    from ..claims import seed_values

    fig, ax = style.subplots(height=0.45 * len(rows) + 1.4)
    for i, (row, _label) in enumerate(zip(rows, labels)):
        v = seed_values(results, *row, metric, split)
        if len(v):
            ax.barh(i, v.mean(), color="C0", alpha=0.25)
            ax.scatter(v.to_numpy(), np.full(len(v), i), color="C0", s=18, zorder=3)
    ax.axvline(baseline, color="grey", ls="--", lw=1, label=f"constant output {baseline:.3f}")
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    unit = ", fraction" if "accuracy" in metric else ""
    ax.set(
        xlabel=f"{metric.replace('_', ' ')} ({split}{unit})", ylabel="table row (dots: seeds, bar: mean)", title=title
    )
    ax.legend(loc="lower right")
    return fig


def teacher_scatter(table: pd.DataFrame, x: str, y: str = "letter_accuracy", xlabel: str = "", ylabel: str = ""):
    """Each teacher's student accuracy (mean +- s.d. over seeds) against a property of the teacher (its
    letter separability), labelled by teacher name. ``table``: columns teacher, ``x``, ``y``_mean, ``y``_std."""
    fig, ax = style.subplots(width=5.2, height=3.8)
    for _, r in table.iterrows():  # column names may hold spaces
        ax.errorbar(r[x], r[f"{y}_mean"], yerr=r[f"{y}_std"], fmt="o", capsize=3)
        ax.annotate(r["teacher"], (r[x], r[f"{y}_mean"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set(xlabel=xlabel or x, ylabel=ylabel or y)
    return fig


def separability_scatter(models: pd.DataFrame, x: str = "teacher separability (NC)"):
    """Page 06's :func:`teacher_scatter`: each distilled student's test letter accuracy against its teacher's
    nearest-centroid letter separability (the ``models`` of :func:`fslib.recognizer.tables.separability_relation`)."""
    return teacher_scatter(
        models, x, xlabel="teacher letter separability (nearest centroid)", ylabel="student letter accuracy (test)"
    )


def ceiling_figure(table: pd.DataFrame):
    """The encoder's held-frame letter accuracy on the test signers (exact frame labels,
    :func:`fslib.recognizer.ceiling.frame_ceiling`) against the number of training sequences, one line per input
    size, with the majority letter's share as a dashed line."""
    fig, ax = style.subplots(height=3.6)
    for i, (size, g) in enumerate(table.sort_values("train_sequences").groupby("input_size")):
        ax.plot(
            g["train_sequences"], g["test_frame_accuracy"], marker="o", color=f"C{i}", label=f"{int(size)} px input"
        )
    ax.axhline(float(table["majority"].iloc[0]), color="grey", ls="--", label="majority letter")
    ax.set(
        xlabel="training sequences",
        ylabel="held-frame letter accuracy (fraction)",
        ylim=(0, 1),
        title="the encoder with exact frame labels, unseen test signers",
    )
    ax.legend(fontsize=8)
    return fig


def data_curve_figure(curve: pd.DataFrame, histories: Mapping, baseline: float):
    """Left: test letter accuracy against the number of training sequences, one line per loss variant (the mean
    over seeds, each seed a dot); right: dev letter accuracy per epoch of each variant on all the training data
    (mean over seeds). The constant output's accuracy is dashed on both."""
    fig, (ax1, ax2) = style.grid(2, ncols=2, panel_height=3.8)
    for i, (variant, g) in enumerate(curve.groupby("variant", sort=False)):
        m = g.groupby("train_sequences")["letter_accuracy"].mean()
        ax1.plot(m.index, m.values, marker="o", color=f"C{i}", label=variant)
        ax1.scatter(g["train_sequences"], g["letter_accuracy"], s=10, color=f"C{i}", alpha=0.5)
        top = g["fraction"].max()
        runs = [pd.DataFrame(h) for (v, f, _), h in histories.items() if v == variant and f == top]
        if runs:
            d = pd.concat(runs).dropna(subset=["dev_letter_accuracy"]).groupby("epoch")["dev_letter_accuracy"].mean()
            ax2.plot(d.index, d.values, color=f"C{i}", label=variant)
    for ax in (ax1, ax2):
        ax.axhline(baseline, color="grey", ls="--", label="constant output")
        ax.set_ylim(0, 1)
    ax1.set(xlabel="training sequences", ylabel="test letter accuracy (fraction)", title="against data")
    ax2.set(xlabel="epoch", ylabel="dev letter accuracy (fraction)", title="against epochs (all the data)")
    ax1.legend(fontsize=8)
    return fig
