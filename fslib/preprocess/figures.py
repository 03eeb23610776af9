"""Figures of the preprocessing page: detection rates, IoU distributions, example crops, failures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.frames import decode_jpeg
from .evaluate import load_groundtruth
from .store import CropStore


def detection_rates(report_sequences: pd.DataFrame):
    """Histogram of per-sequence detection rates (chosen hand found by MediaPipe) and of frames with any
    hand, by partition."""
    from .. import style

    fig, axes = style.grid(2, ncols=2, sharey=True)
    s = report_sequences[~report_sequences["skipped"].astype(bool)]
    bins = np.linspace(0, 1, 21)
    for part, sub in s.groupby("partition"):
        axes[0].hist(sub["detection_rate"], bins=bins, alpha=0.6, label=f"{part} ({len(sub)})")
        axes[1].hist(sub["any_hand_rate"], bins=bins, alpha=0.6, label=part)
    axes[0].set(
        xlabel="fraction of frames with the\nchosen hand detected", ylabel="sequences (count)", title="chosen hand"
    )
    axes[1].set(
        xlabel="fraction of frames where\nMediaPipe finds any hand", ylabel="sequences (count)", title="any hand"
    )
    axes[0].legend(title="split (sequences)")
    return fig


def iou_distribution(frames: pd.DataFrame):
    """Crop-box IoU with the ground-truth box (same squaring rule), by box source, and coverage."""
    from .. import style

    fig, axes = style.grid(2, ncols=2)
    bins = np.linspace(0, 1, 26)
    for src, sub in frames.groupby("source"):
        axes[0].hist(sub["iou_crop"].dropna(), bins=bins, alpha=0.6, label=f"{src} ({len(sub)})")
        axes[1].hist(sub["coverage"].dropna(), bins=bins, alpha=0.6, label=src)
    axes[0].set(
        xlabel="IoU of the crop box with the\nground-truth square (fraction)",
        ylabel="frames (count)",
        title="crop box overlap",
    )
    axes[1].set(
        xlabel="fraction of the ground-truth\nhand box inside the crop",
        ylabel="frames (count)",
        title="hand coverage",
    )
    axes[0].legend(title="box source (frames)")
    return fig


def crop_grid(store: CropStore, filenames: list[str], frames_per_row: int = 8):
    """Rows of evenly spaced crops, one row per sequence (a filmstrip, page wide), titled with the label and
    the chosen side."""
    from .. import style

    side = style.PAGE_WIDTH / frames_per_row
    fig, axes = style.subplots(
        len(filenames), frames_per_row, height=(side + 0.2) * len(filenames) + 0.3, squeeze=False
    )
    for r, fn in enumerate(filenames):
        crops, meta = store.load(fn), store.meta(fn)
        idx = np.linspace(0, len(crops) - 1, frames_per_row).round().astype(int)
        for c, t in enumerate(idx):
            ax = axes[r, c]
            ax.imshow(crops[t])
            style.image_panel(ax)
            if meta["source"][t] != 0:
                for sp in ax.spines.values():
                    sp.set_visible(True)
                    sp.set_color("red")
                    sp.set_linewidth(2)
        axes[r, 0].set_title(f"{store.sequences[fn].label!r} ({meta['side']})", fontsize=9, loc="left")
    fig.suptitle("crops (red frame: box not detected in that frame)")
    return fig


def failure_gallery(store: CropStore, frames: pd.DataFrame, n: int = 4):
    """The ``n`` frames with the lowest crop IoU: the frame with our crop box (yellow) and the ground-truth
    square (green), and our crop."""
    import matplotlib.patches as patches

    from .. import style

    worst = frames.dropna(subset=["iou_crop"]).nsmallest(n, "iou_crop")
    cols = max(len(worst), 1)
    side = style.PAGE_WIDTH / max(cols, 3)
    fig, axes = style.subplots(2, cols, width=side * cols, height=2 * side + 0.5, squeeze=False)
    from .crops import square_to_box, to_square

    for c, row in enumerate(worst.itertuples()):
        seq = store.sequences[row.filename]
        img, _ = decode_jpeg(seq.frame_path(row.t + 1))
        meta, gt = store.meta(row.filename), load_groundtruth(store, row.filename)
        ax = axes[0, c]
        if img is not None:
            ax.imshow(img)
        for box, col in (
            (meta["boxes"][row.t], "yellow"),
            (square_to_box(to_square(gt["hand_box"][row.t], store.config.margin)), "lime"),
        ):
            ax.add_patch(
                patches.Rectangle(
                    (box[0], box[1]), box[2] - box[0], box[3] - box[1], fill=False, edgecolor=col, linewidth=1.5
                )
            )
        ax.set_title(f"{row.filename.split('/')[-1]} #{row.t + 1}\nIoU {row.iou_crop:.2f}, {row.source}", fontsize=8)
        style.image_panel(ax, "frame" if c == 0 else None)
        axes[1, c].imshow(store.load(row.filename)[row.t])
        style.image_panel(axes[1, c], "our crop" if c == 0 else None)
    return fig
