"""Progress bars for long work: tqdm, switched off where nobody can see them.

``fslib study`` sets ``FSLIB_PROGRESS=0`` for the notebooks it executes (their output becomes the book's
page, and the run shows papermill's per-cell bar instead); everywhere else the bars show.
"""

from __future__ import annotations

import os

from tqdm import tqdm as _tqdm


def enabled() -> bool:
    return os.environ.get("FSLIB_PROGRESS", "1") != "0"


def tqdm(*args, **kwargs) -> _tqdm:
    """``tqdm.tqdm``, disabled whenever ``FSLIB_PROGRESS=0`` (whatever the caller passes) or asked to be."""
    kwargs["disable"] = bool(kwargs.get("disable", False)) or not enabled()
    return _tqdm(*args, **kwargs)
