"""Figures of the isolated-sign pages: skeleton filmstrips and the per-signer spread of position and size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..synth.hand import SKELETON  # MediaPipe's 21-point hand: the same bones in both studies
from . import landmarks as lm

ARM_BONES = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24))


def _draw(ax, clip: Mapping[str, np.ndarray], t: int) -> None:
    pose = clip["pose"][t]
    for a, b in ARM_BONES:
        ax.plot(pose[[a, b], 0], pose[[a, b], 1], "-", color="0.55", lw=1)
    face = clip["face"][t][list(lm.FACE_SUBSET)]
    ax.plot(face[:, 0], face[:, 1], ".", color="0.35", ms=2)
    ax.plot(*clip["face"][t][lm.NOSE_TIP, :2], "o", color="C3", ms=3)
    for side, colour in (("left_hand", "C0"), ("right_hand", "C1")):
        h = clip[side][t]
        if np.isnan(h).all():
            continue
        for a, b in SKELETON:
            ax.plot(h[[a, b], 0], h[[a, b], 1], "-", color=colour, lw=0.8)


def filmstrip(clips: Sequence[Mapping[str, np.ndarray]], titles: Sequence[str], frames: int = 6):
    """One row per clip, ``frames`` evenly spaced frames per row (a filmstrip, page wide), drawn in image
    coordinates (y down); hands in blue (left) and orange (right), the nose in red, missing hands not drawn."""
    from .. import style

    side = style.PAGE_WIDTH / (frames + 0.6)
    fig, axes = style.subplots(len(clips), frames, height=(side * 480 / 640 + 0.3) * len(clips), squeeze=False)
    for row, (clip, title) in enumerate(zip(clips, titles)):
        T = len(clip["face"])
        for col, t in enumerate(np.linspace(0, T - 1, frames).round().astype(int)):
            ax = axes[row, col]
            _draw(ax, clip, t)
            ax.set_xlim(0, 1)
            ax.set_ylim(1, 0)
            style.image_panel(ax)
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color("0.8")
            ax.set_aspect(480 / 640)
            if col == 0:
                ax.set_ylabel(title, fontsize=8)
            ax.set_title(f"frame {t}", fontsize=8)
    return fig


def corpus_filmstrip(root: str | Path, clips: int = 3, frames: int = 6):
    """:func:`filmstrip` of the first clip of each of the corpus's first ``clips`` glosses (in the order of
    its ``train.csv``), each row titled "gloss (signer)"."""
    from .corpus import read_index

    root = Path(root)
    picks = read_index(root).groupby("sign").head(1).head(clips)
    return filmstrip(
        [lm.read_parquet(root / p) for p in picks["path"]],
        [f"{r.sign} ({r.participant_id})" for r in picks.itertuples()],
        frames,
    )


def spread_plot(spread: pd.DataFrame):
    """Per signer: face position in the frame (left) and body size (shoulder width, right), coloured by split."""
    from .. import style

    fig, ax = style.grid(2, ncols=2)
    for split, sub in spread.groupby("split"):
        ax[0].scatter(sub["face_x"], sub["face_y"], label=split, s=18)
        ax[1].scatter(sub["face_x"], sub["shoulder_width"], label=split, s=18)
    ax[0].set(
        xlim=(0, 1),
        ylim=(1, 0),
        xlabel="face x (fraction of image width)",
        ylabel="face y (fraction of image height)",
        title="where each signer's face sits",
    )
    ax[1].set(
        xlabel="face x (fraction of image width)",
        ylabel="shoulder width (normalised image units)",
        title="how large each signer appears",
    )
    ax[0].legend(title="split")
    return fig


def results_bars(
    table: pd.DataFrame, source: Mapping[str, float] | None, column: str = "val_top1_mean", title: str = ""
):
    """Bars of the rows' mean validation top-1 in this run, one bar per source of the table (its ``source``
    column: the paper's text, the authors' code), beside the source study's numbers (where it has them)."""
    from .. import style

    rows = list(dict.fromkeys(table["row"]))
    ours = list(dict.fromkeys(table["source"])) if "source" in table else [""]
    series = [(f"this run, {o}" if o else "this run", table[table["source"] == o] if o else table) for o in ours]
    if source:
        vals = [source.get(r, np.nan) for r in rows]
        series.append(
            ("source study (ASL Citizen)", [v / 100 if isinstance(v, (int, float)) else np.nan for v in vals])
        )
    n = len(series)
    width = 0.8 / n
    fig, ax = style.subplots(width=min(style.PAGE_WIDTH, max(5, 0.6 * n * len(rows) + 1.5)), height=3.4)
    x = np.arange(len(rows))
    for k, (name, values) in enumerate(series):
        if isinstance(values, pd.DataFrame):
            values = values.set_index("row")[column].reindex(rows).to_numpy()
        ax.bar(x + (k - (n - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(x, rows, rotation=15, ha="right")
    ax.set(xlabel="table row", ylabel="validation top-1 (fraction)", title=title, ylim=(0, 1))
    ax.legend(fontsize=8)
    return fig
