"""The study's one figure style: a seaborn theme sized for the book's content column.

Every figure of ``fslib`` is made through :func:`subplots` or :func:`grid` (both call :func:`apply` first), so a
figure looks the same whichever page draws it, and is drawn at the width the book shows it: about
:data:`PAGE_WIDTH` inches at :data:`DPI` dots per inch, which is the width of the content column of the
book's theme (about 750-850 px), so the fonts below are read at their nominal size rather than shrunk.

Figures use matplotlib's constrained layout (set per figure: a global default would make the
``fig.tight_layout()`` of hand-drawn notebook figures warn). Multi-panel figures are grids of at most three
panels a row (:func:`grid`), except image tables whose columns are the frames of one sequence.
"""

from __future__ import annotations

import math
from typing import Any

PAGE_WIDTH = 7.5  # inches: the book's content column at DPI
DPI = 100  # screen resolution of the figures shown inline (7.5 in -> 750 px)
SAVE_DPI = 120  # what the pages' savefig calls use
FONT_SIZE = 10  # points: a little below the book's body text at DPI
PANEL_ASPECT = 0.75  # height / width of a grid panel

RC: dict[str, Any] = {
    "figure.figsize": (PAGE_WIDTH, PAGE_WIDTH * 0.45),
    "figure.dpi": DPI,
    "savefig.dpi": SAVE_DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE - 1,
    "ytick.labelsize": FONT_SIZE - 1,
    "legend.fontsize": FONT_SIZE - 1.5,
    "legend.title_fontsize": FONT_SIZE - 1,
    "figure.titlesize": FONT_SIZE + 1,
    "axes.titlepad": 4.0,
    "lines.markersize": 4.5,
    "lines.linewidth": 1.5,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "image.cmap": "viridis",
    "image.interpolation": "nearest",
}
THEME = dict(context="notebook", style="whitegrid", palette="colorblind")


def apply() -> None:
    """Set the study's theme (seaborn ``whitegrid``, colour-blind palette, the sizes of :data:`RC`). Calling it
    again sets the same values, so every figure function calls it before drawing."""
    import matplotlib as mpl
    import seaborn as sns

    if _applied(mpl.rcParams):
        return
    sns.set_theme(**THEME, rc=RC)


def _applied(rc) -> bool:
    """True when the theme is already in ``rc`` (sizes, dpi and the palette's first colour)."""
    import seaborn as sns

    first = sns.color_palette(THEME["palette"]).as_hex()[0]
    cycle = rc["axes.prop_cycle"].by_key().get("color", [])
    if not cycle or str(cycle[0]).lower() != first.lower():
        return False
    return all(_same(rc[k], v) for k, v in RC.items())


def _same(a, b) -> bool:
    if isinstance(b, tuple):
        return list(a) == list(b)
    return a == b


def subplots(nrows: int = 1, ncols: int = 1, *, width: float = PAGE_WIDTH, height: float | None = None, **kwargs):
    """``plt.subplots`` in the study's style and constrained layout, ``width`` x ``height`` inches (default
    height: :data:`PANEL_ASPECT` of a panel's width per row)."""
    import matplotlib.pyplot as plt

    apply()
    if height is None:
        height = nrows * width / ncols * PANEL_ASPECT
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)


def grid(
    n_panels: int,
    ncols: int = 2,
    *,
    width: float = PAGE_WIDTH,
    panel_height: float | None = None,
    **kwargs,
):
    """A figure of ``n_panels`` panels in rows of ``ncols`` (fewer when there are fewer panels), ``width``
    inches wide; the unused cells of the last row are hidden. Returns ``(fig, axes)``: ``axes`` a flat array
    of the ``n_panels`` visible axes in reading order. ``kwargs`` go to ``plt.subplots`` (``sharex``...)."""
    import numpy as np

    if n_panels < 1:
        raise ValueError(f"grid of {n_panels} panels: need at least one")
    ncols = max(1, min(ncols, n_panels))
    nrows = math.ceil(n_panels / ncols)
    if panel_height is None:
        panel_height = width / ncols * PANEL_ASPECT
    fig, axes = subplots(nrows, ncols, width=width, height=panel_height * nrows, squeeze=False, **kwargs)
    flat = axes.ravel()
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, np.asarray(flat[:n_panels])


def balanced_ncols(n_panels: int, most: int = 3) -> int:
    """The fewest columns (at most ``most``) that keep the rows as full as ``most`` would: 4 -> 2, 5 -> 3."""
    rows = math.ceil(max(n_panels, 1) / most)
    return math.ceil(max(n_panels, 1) / rows)


def image_panel(ax, row_label: str | None = None, **label_kwargs) -> None:
    """Make ``ax`` an image panel: no ticks, grid or frame. ``row_label`` (the first panel of a filmstrip row)
    is written horizontally to its left as the axis's y label, so the layout makes room for it."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if row_label is not None:
        ax.set_ylabel(row_label, rotation=0, ha="right", va="center", **label_kwargs)
