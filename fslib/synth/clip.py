"""One synthetic fingerspelling clip, rendered by the corpus generator and written as an mp4: a clip a reader
can give to ``fslib recognize`` (by default a signer of a corpus seed the study never trains on, so the
model has not seen this signer)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

DEMO_SEED = 2026  # no profile's corpus uses this seed: its signers are new to every trained model


def render_clip(
    word: str, *, alphabet: str = "fswild", seed: int = DEMO_SEED, signer: int = 0, image_size: int = 256, fps: int = 15
) -> list[np.ndarray]:
    """The RGB frames of signer ``signer`` of corpus seed ``seed`` spelling ``word`` at ``fps`` frames/s."""
    from .corpus import make_config, render_sequence, signer_plan

    cfg = make_config(
        alphabet=alphabet,
        signers=max(3, signer + 1),
        sequences=max(3, signer + 1),
        image_size=image_size,
        seed=seed,
        fps=fps,
        words=(word,),
    )
    frames, _gt, _shot = render_sequence(cfg, signer_plan(cfg)[signer], signer, word)
    return frames


def write_clip(word: str, path: str | os.PathLike, *, fps: int = 15, **kwargs) -> Path:
    """:func:`render_clip` written as an mp4 at ``path``."""
    from ..data.video import write_video

    return write_video(render_clip(word, fps=fps, **kwargs), path, fps)
