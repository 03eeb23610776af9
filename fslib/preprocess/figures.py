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
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    s = report_sequences[~report_sequences["skipped"].astype(bool)]
    bins = np.linspace(0, 1, 21)
    for part, sub in s.groupby("partition"):
        axes[0].hist(sub["detection_rate"], bins=bins, alpha=0.6, label=f"{part} ({len(sub)})")
        axes[1].hist(sub["any_hand_rate"], bins=bins, alpha=0.6, label=part)
    axes[0].set(xlabel="frames where the chosen hand is detected", ylabel="sequences")
    axes[1].set(xlabel="frames where MediaPipe finds any hand")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def iou_distribution(frames: pd.DataFrame):
    """Crop-box IoU with the ground-truth box (same squaring rule), by box source, and coverage."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    bins = np.linspace(0, 1, 26)
    for src, sub in frames.groupby("source"):
        axes[0].hist(sub["iou_crop"].dropna(), bins=bins, alpha=0.6, label=f"{src} ({len(sub)})")
        axes[1].hist(sub["coverage"].dropna(), bins=bins, alpha=0.6, label=src)
    axes[0].set(xlabel="IoU of crop box with ground-truth square", ylabel="frames")
    axes[1].set(xlabel="fraction of the ground-truth hand box inside the crop")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def crop_grid(store: CropStore, filenames: list[str], frames_per_row: int = 8):
    """Rows of evenly spaced crops, one row per sequence, titled with the label and the chosen side."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        len(filenames), frames_per_row, figsize=(frames_per_row * 1.1, len(filenames) * 1.25), squeeze=False
    )
    for r, fn in enumerate(filenames):
        crops, meta = store.load(fn), store.meta(fn)
        idx = np.linspace(0, len(crops) - 1, frames_per_row).round().astype(int)
        for c, t in enumerate(idx):
            ax = axes[r, c]
            ax.imshow(crops[t])
            ax.set_xticks([])
            ax.set_yticks([])
            if meta["source"][t] != 0:
                for sp in ax.spines.values():
                    sp.set_color("red")
                    sp.set_linewidth(2)
        axes[r, 0].set_title(f"{store.sequences[fn].label!r} ({meta['side']})", fontsize=8, loc="left")
    fig.suptitle("crops (red frame: box not detected in that frame)", fontsize=9)
    fig.tight_layout()
    return fig


def failure_gallery(store: CropStore, frames: pd.DataFrame, n: int = 4):
    """The ``n`` frames with the lowest crop IoU: the frame with our crop box (yellow) and the ground-truth
    square (green), and our crop."""
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt

    worst = frames.dropna(subset=["iou_crop"]).nsmallest(n, "iou_crop")
    fig, axes = plt.subplots(2, max(len(worst), 1), figsize=(2.6 * max(len(worst), 1), 5), squeeze=False)
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
        ax.set_title(f"{row.filename.split('/')[-1]} #{row.t + 1}\nIoU {row.iou_crop:.2f}, {row.source}", fontsize=7)
        ax.axis("off")
        axes[1, c].imshow(store.load(row.filename)[row.t])
        axes[1, c].axis("off")
    fig.tight_layout()
    return fig
