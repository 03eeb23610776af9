"""The isolated-sign study as its paper describes it (``text``) and as its authors' public code does it (``code``).

The source study's code (dperkins3pi/SignLanguageTransformers, :cite:`perkins2025code`) differs from its text in
ways that can move the orderings the pages test. Each difference is a field of :class:`Source`, so that one
difference can be switched on its own and its effect measured; :data:`SOURCES` holds the two complete recipes.
This module covers the input side (which points, which frames, how missing points and the normalizations
behave, the gloss subset); every function here is pure.

Differences (``text`` = this project's reading of the paper, ``code`` = the authors' code):

- ``face_points``: the 37 face-mesh indices. ``text``: our choice for the groups the paper names
  (:data:`fslib.islr.landmarks.FACE_SUBSET`); ``code``: the indices the extraction keeps
  (:data:`FACE_POINTS_CODE`).
  On the synthetic corpus only the text's 37 points are placed on the face (:mod:`fslib.islr.corpus`); the
  code's other 23 lie on the head's surface and move rigidly with it, so there this difference changes which
  head points the model sees, not whether it sees the mouth or the brows move (the synthetic faces do not).
- ``frame_order``: ``text`` keeps every 2nd frame, then drops frames without a hand; ``code`` drops the frames
  without a hand first, then keeps every 2nd.
- ``zero_fill``: ``code`` writes a missing hand or face as 0.0 at extraction, so the normalizations count those
  zeros as points (the per-frame centre and scale include them); ``text`` leaves them missing (NaN) until the
  model's input.
- ``face_scale``: the face-anchored normalization of ``code`` anchors the clip at the mean of its valid face
  points (the mean of all non-zero joints when the clip has no face) and then divides the whole clip by its
  largest absolute deviation; ``text`` only translates.
- the nose-anchored normalization is not in the public code: both sources use the text's version.
- ``networks``: the models as the text describes them or as the code builds them
  (:class:`fslib.islr.models.ModelConfig` ``style``).
- ``recipe``: the training recipe. ``code``: dropout 0.2 where a row sets none, the notebook's augmentation
  (noise s.d. 0.005, then scale 0.9-1.1, then frame dropout 0.1) where a row augments, and the PoseTransformer
  notebook's optimiser, batch, clipping, plateau schedule and early stopping (:data:`CODE_TRANSFORMER_RECIPE`)
  for a transformer row.
- ``subset_rule``: the 100-gloss subset skips a gloss whose base is already chosen. ``text``: the base is the
  gloss without its trailing number (``NEAR2`` -> ``NEAR``); ``code``: the base is the gloss minus its last
  character whatever it is, so ``DOG1`` (base ``DOG``) is kept beside ``DOG`` (base ``DO``), and a gloss that
  pandas reads as missing (``NA``, ``NULL``, ...) is lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import landmarks as lm
from .augment import CODE as AUGMENT_CODE
from .normalize import normalize

# the face-mesh indices the authors' extraction keeps: mouth 18, eyes 8, eyebrows 6, stabilising 5
FACE_POINTS_CODE: tuple[int, ...] = (
    *(13, 14, 61, 291, 78, 308, 82, 312, 84, 314, 178, 402, 81, 311, 91, 324, 185, 415),
    *(33, 133, 144, 153, 263, 362, 373, 382),
    *(52, 55, 105, 282, 285, 334),
    *(1, 6, 4, 10, 338),
)
# what pandas' read_csv turns into a missing value by default (the authors read the gloss lists with it)
PANDAS_MISSING = frozenset(
    ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A")
    + ("NA", "NULL", "NaN", "None", "n/a", "nan", "null")
)


@dataclasses.dataclass(frozen=True)
class Source:
    """How the isolated-sign input is made (see the module docstring for each field)."""

    name: str = "text"
    face_points: tuple[int, ...] = lm.FACE_SUBSET
    frame_order: str = "subsample_first"  # or "drop_first"
    zero_fill: bool = False
    face_scale: bool = False
    subset_rule: str = "text"  # or "code"
    networks: str = "text"  # or "code"
    recipe: str = "text"  # or "code"

    def __post_init__(self) -> None:
        if len(self.face_points) != len(lm.FACE_SUBSET) or lm.NOSE_TIP not in self.face_points:
            raise ValueError(f"face_points: {len(lm.FACE_SUBSET)} face-mesh indices including the nose tip (1)")
        if self.frame_order not in ("subsample_first", "drop_first"):
            raise ValueError(f"frame_order={self.frame_order!r}: 'subsample_first' or 'drop_first'")
        for field in ("subset_rule", "networks", "recipe"):
            if getattr(self, field) not in ("text", "code"):
                raise ValueError(f"{field}={getattr(self, field)!r}: 'text' or 'code'")

    @property
    def nose(self) -> int:
        """Position of the nose tip inside the 79 selected points."""
        return 42 + self.face_points.index(lm.NOSE_TIP)


# the authors' PoseTransformer notebook: Adam at lr 1e-4 and weight decay 1e-4, batch 450, gradient clipping 1.0,
# reduce-on-plateau (factor 0.1 after 10 epochs) and early stopping (30 epochs) on the validation loss, up to 500
# epochs (IslrConfig fields; their BiLSTM script trains at batch 8, lr 1e-3)
CODE_TRANSFORMER_RECIPE = dict(
    optimizer="adam",
    lr=1e-4,
    weight_decay=1e-4,
    batch_size=450,
    clip=1.0,
    select="loss",
    plateau=(0.1, 10),
    early_stop=30,
    epochs=500,
)

TEXT = Source()
CODE = Source(
    "code",
    FACE_POINTS_CODE,
    "drop_first",
    zero_fill=True,
    face_scale=True,
    subset_rule="code",
    networks="code",
    recipe="code",
)
SOURCES = {"text": TEXT, "code": CODE}
# the differences a single-difference source can switch on: ``text+<switch>`` is the text with that one taken
# from the code (the gloss subset rule matters only when a subset is drawn from ASL Citizen, not on the pages)
SWITCHES = ("face_points", "frame_order", "zero_fill", "face_scale", "networks", "recipe")
LABELS = {"text": "paper's text", "code": "authors' code"}


def get(name: str | Source) -> Source:
    """A source by name: ``text``, ``code``, or ``text+<switch>[+<switch>...]`` (the text with those
    :data:`SWITCHES` taken from the code); or the :class:`Source` given."""
    if isinstance(name, Source):
        return name
    if name in SOURCES:
        return SOURCES[name]
    base, *switches = str(name).split("+")
    unknown = [s for s in switches if s not in SWITCHES]
    if base != "text" or not switches or unknown:
        raise ValueError(
            f"unknown isolated-sign source {name!r}; choose text, code, or text+<switch> with a switch of "
            f"{', '.join(SWITCHES)}"
        )
    return dataclasses.replace(TEXT, name=str(name), **{s: getattr(CODE, s) for s in switches})


def label(name: str) -> str:
    """How a page names a source: "paper's text", "authors' code", "text + code's zero_fill"."""
    if name in LABELS:
        return LABELS[name]
    return "text + code's " + " + ".join(get(name).name.split("+")[1:])


def training_overrides(row: Mapping[str, Any], source: str | Source, transformer_epochs: int = 500) -> dict:
    """The :class:`fslib.islr.train.IslrConfig` overrides of one table row trained under ``source``: the row's
    own settings, the source's name, and what its ``networks`` and ``recipe`` change (see the module
    docstring); ``transformer_epochs``: the epoch cap of the code's PoseTransformer recipe (500 in the
    authors' notebook; early stopping usually ends it sooner)."""
    src = get(source)
    out = {**row, "source": src.name}
    if src.networks == "code":
        out["model_style"] = "code"
    if src.recipe == "code":
        out.setdefault("dropout", 0.2)
        if any(k in row for k in ("jitter", "scale", "frame_dropout")):
            out.update(
                jitter=AUGMENT_CODE.jitter,
                scale=AUGMENT_CODE.scale,
                frame_dropout=AUGMENT_CODE.frame_dropout,
                augment_order=AUGMENT_CODE.order,
            )
        if row.get("kind") == "transformer":
            out.update(CODE_TRANSFORMER_RECIPE, epochs=transformer_epochs)
    return out


def select_points(frames: dict[str, np.ndarray], source: str | Source = "text") -> np.ndarray:
    """``{type: (T, n, 3)}`` -> ``(T, 79, 3)``: left hand, right hand, the source's 37 face points."""
    return lm.select_points(frames, get(source).face_points)


def frame_indices(points: np.ndarray, stride: int = 2, source: str | Source = "text") -> np.ndarray:
    """Indices of the frames the model reads: every ``stride``-th frame and only those with a hand, in the
    source's order."""
    p = np.asarray(points, np.float32)
    hands = np.concatenate([p[:, lm.LEFT_HAND], p[:, lm.RIGHT_HAND]], 1)
    has_hand = np.nonzero(~np.isnan(hands).all(axis=(1, 2)))[0]
    if get(source).frame_order == "subsample_first":
        return has_hand[has_hand % stride == 0]
    return has_hand[::stride]


def select_frames(points: np.ndarray, stride: int = 2, source: str | Source = "text") -> np.ndarray:
    """The frames the model reads (:func:`frame_indices`)."""
    return np.asarray(points, np.float32)[frame_indices(points, stride, source)]


def face_anchored_code(points: np.ndarray, face: Sequence[int]) -> np.ndarray:
    """The code's face-anchored normalization of a zero-filled clip: minus the mean of the valid (non-zero)
    face points over the clip (without any, the mean of all non-zero joints), divided by the largest absolute
    deviation over every point of the clip, zero-filled ones included."""
    p = np.asarray(points, np.float64)

    def found(x: np.ndarray) -> np.ndarray:  # points neither zero-filled nor NaN (NaN: the text's missing points)
        x = x.reshape(-1, 3)
        return x[np.isfinite(x).all(axis=1) & np.any(x != 0, axis=1)]

    valid = found(p[:, list(face)])
    if not len(valid):
        valid = found(p)
    anchor = valid.mean(0) if len(valid) else np.zeros(3)
    q = p - anchor
    # the largest absolute deviation over the clip's points (NaN ones, only when this runs without zero fill,
    # are left out rather than turning the scale into NaN)
    scale = float(np.nanmax(np.abs(q))) if np.isfinite(q).any() else 0.0
    return (q / scale if scale > 0 else q).astype(np.float32)


def normalize_clip(points: np.ndarray, strategy: str, source: str | Source = "text") -> np.ndarray:
    """The clip's selected frames normalised as the source does (``text``: :func:`fslib.islr.normalize.normalize`
    on NaN-marked missing points)."""
    src = get(source)
    p = np.nan_to_num(np.asarray(points, np.float32), nan=0.0) if src.zero_fill else np.asarray(points, np.float32)
    face = lm.FACE
    if strategy == "face_anchored" and src.face_scale:
        return face_anchored_code(p, face)
    return normalize(p, strategy, nose=src.nose, face=face)


def gloss_base(gloss: str, rule: str = "text") -> str:
    """The base a gloss subset compares: ``text`` strips a trailing number (``NEAR2`` -> ``NEAR``); ``code``
    strips the last character whatever it is (``DOG1`` -> ``DOG``, ``DOG`` -> ``DO``)."""
    g = gloss.strip()
    if rule == "code":
        return g[:-1]
    base = g.rstrip("0123456789")
    return base or g


def subset_glosses(counts: dict[str, int], n: int = 100, rule: str = "text") -> list[str]:
    """The ``n`` most frequent glosses (ties alphabetical), skipping one whose base is already chosen; under
    ``code`` a gloss pandas reads as missing is lost first."""
    names = [g for g in counts if not (rule == "code" and g.strip() in PANDAS_MISSING)]
    chosen, bases = [], set()
    for g in sorted(names, key=lambda g: (-counts[g], g)):
        b = gloss_base(g, rule)
        if b in bases:
            continue
        chosen.append(g)
        bases.add(b)
        if len(chosen) == n:
            break
    return chosen
