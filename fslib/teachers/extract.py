"""One extraction interface for every teacher: a batch of uint8 crops in, per-frame vectors out.

Every teacher is a :class:`Teacher`: ``extract(crops, right=None, truth=None)`` takes square RGB crops
``(N, S, S, 3)`` uint8 (the corpus crops of :mod:`fslib.preprocess`, already mirrored to right hands unless
``right`` says otherwise) and returns a dict of per-frame numpy arrays whose first axis is N. The entry named
``teacher.vector_key`` is the teacher's per-frame vector ``(N, D)`` that the student is distilled towards.

For HaMeR (:class:`HamerTeacher`): ``embedding`` (N, token_dim) (1024 for the release) is the vector;
``pose`` (N, 16, 3, 3) rotation matrices (global orientation first), ``betas`` (N, n_betas), ``cam`` (N, 3)
and, for the synthetic teacher, ``keypoints2d`` (N, 21, 2) in crop units, are the decoded outputs.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from ..config import as_dict
from .hamer import Hamer, HamerConfig, build_hamer
from .preprocess import to_model_input


def check_crops(crops: np.ndarray, who: str) -> np.ndarray:
    """Validate (N, S, S, 3) uint8 crops; returns them as an array."""
    crops = np.asarray(crops)
    if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[-1] != 3 or crops.shape[1] != crops.shape[2]:
        raise ValueError(f"{who}: expected square uint8 RGB crops (N, S, S, 3), got {crops.dtype} {crops.shape}")
    return crops


class Teacher(abc.ABC):
    """A hand model that turns crops into per-frame vectors.

    name: short id used in tables and cache keys; label: a sentence for the book; vector_key: the output that
    is the per-frame vector; needs_truth: True if :meth:`extract` needs the ground truth (oracle only).
    """

    name: str = "teacher"
    label: str = ""
    vector_key: str = "vector"
    needs_truth: bool = False

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]:
        """JSON-able identity (configuration, weights' identity) that keys the feature cache."""

    @abc.abstractmethod
    def extract(
        self, crops: np.ndarray, right: np.ndarray | None = None, truth: Mapping[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """crops (N, S, S, 3) uint8 -> dict of (N, ...) float32 arrays, including ``vector_key``."""

    def vectors(
        self, crops: np.ndarray, right: np.ndarray | None = None, truth: Mapping[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """(N, D) float32: the per-frame vectors."""
        out = self.extract(crops, right=right, truth=truth)[self.vector_key]
        return out.reshape(len(out), -1)


def pad_context(crops: np.ndarray, scale: float) -> np.ndarray:
    """Zero-pad square crops around their centre so that the original spans 1/scale of the new side
    (same output size): makes tight corpus crops look like HaMeR's looser (x2 box) crops."""
    if scale <= 1.0:
        return crops
    import cv2

    n, s = crops.shape[:2]
    big = int(round(s * scale))
    off = (big - s) // 2
    canvas = np.zeros((n, big, big, 3), np.uint8)
    canvas[:, off : off + s, off : off + s] = crops
    return np.stack([cv2.resize(c, (s, s), interpolation=cv2.INTER_AREA) for c in canvas])


def hamer_context_scale(margin: float) -> float:
    """How much wider HaMeR's crop is than a corpus crop of ``margin`` for a roughly square hand box:
    HaMeR's side is 2 x the box grown to 3:4 (= 2 x 4/3 x side of a square box), the corpus side is
    (1 + 2 margin) x the box side."""
    return 2.0 * (4.0 / 3.0) / (1.0 + 2.0 * margin)


class HamerTeacher(Teacher):
    """A (released or synthetic) HaMeR network as a teacher.

    model: a :class:`Hamer`; source: "official" (hamer.ckpt) or "synthetic"; identity: a string that names
    the weights (checkpoint file hash or cache key); context_scale: zero-padding applied to corpus crops
    before resizing (1 for the synthetic teacher, trained on corpus-style crops; for the release see
    :func:`hamer_context_scale`); batch_size: crops per forward pass.
    """

    vector_key = "embedding"

    def __init__(
        self,
        model: Hamer,
        source: str,
        identity: str,
        context_scale: float = 1.0,
        batch_size: int = 64,
        name: str = "hamer",
    ):
        self.model = model.eval()
        self.source, self.identity, self.context_scale, self.batch_size = source, identity, context_scale, batch_size
        self.name = name
        c = model.config
        what = "the official HaMeR checkpoint" if source == "official" else "HaMeR pretrained on synthetic hands"
        self.label = (
            f"{what}: ViT {c.vit_width}x{c.vit_depth} on {c.crop_hw[0]}x{c.crop_hw[1]} px, "
            f"{c.token_dim}-d transformer-head embedding"
        )

    @property
    def dim(self) -> int:
        return self.model.config.token_dim

    def describe(self) -> dict[str, Any]:
        return {
            "teacher": self.name,
            "source": self.source,
            "identity": self.identity,
            "config": as_dict(self.model.config),
            "context_scale": self.context_scale,
        }

    @torch.no_grad()
    def extract(self, crops, right=None, truth=None) -> dict[str, np.ndarray]:
        crops = check_crops(crops, f"{self.name} teacher")
        size = self.model.config.image_size
        outs: dict[str, list[np.ndarray]] = {}
        for s in range(0, len(crops), self.batch_size):
            part = pad_context(np.asarray(crops[s : s + self.batch_size]), self.context_scale)
            r = None if right is None else np.asarray(right)[s : s + self.batch_size]
            o = self.model(to_model_input(part, size, r))
            o["pose"] = torch.cat([o.pop("global_orient"), o.pop("hand_pose")], 1)
            o.pop("pose_6d")
            for k, v in o.items():
                outs.setdefault(k, []).append(v.float().numpy())
        if not outs:
            return self._empty()
        return {k: np.concatenate(v) for k, v in outs.items()}

    def _empty(self) -> dict[str, np.ndarray]:
        c = self.model.config
        out = {
            "embedding": np.zeros((0, c.token_dim), np.float32),
            "pose": np.zeros((0, c.joints, 3, 3), np.float32),
            "betas": np.zeros((0, c.betas), np.float32),
            "cam": np.zeros((0, 3), np.float32),
        }
        if c.keypoints:
            out["keypoints2d"] = np.zeros((0, c.keypoints, 2), np.float32)
        return out


def hamer_teacher(
    checkpoint: str = "", synthetic: Any = None, margin: float = 0.25, batch_size: int = 64, progress: bool = True
) -> HamerTeacher:
    """The study's HaMeR teacher.

    checkpoint: path to the official ``hamer.ckpt``; empty -> the synthetic-pretrained teacher
    (``synthetic``: a :class:`~fslib.teachers.synthetic.SyntheticTeacherConfig`, pretrained or read from
    the cache). margin: the corpus crop margin (sets how much context is added for the release).
    """
    if checkpoint:
        from pathlib import Path

        from ..cache import file_digest
        from .checkpoint import load_hamer_checkpoint

        path = Path(checkpoint).expanduser()
        model = load_hamer_checkpoint(path, HamerConfig())
        return HamerTeacher(model, "official", file_digest(path, length=16), hamer_context_scale(margin), batch_size)
    from .synthetic import SyntheticTeacherConfig, pretrain, teacher_dir

    cfg = synthetic or SyntheticTeacherConfig()
    pre = pretrain(cfg, progress=progress)
    return HamerTeacher(pre.hamer, "synthetic", teacher_dir(cfg).name, 1.0, batch_size)


def measure_latency(
    config: HamerConfig | None = None, crops: int = 1, repeats: int = 2, threads: int | None = None, warmup: bool = True
) -> dict[str, float]:
    """Milliseconds per crop of a HaMeR forward pass on CPU (default: the released size, random weights).

    Builds the network (fast initialisation), runs one warm-up pass (unless ``warmup=False``), then ``repeats`` timed passes on a
    batch of ``crops`` random crops; reports the best and the mean. On a shared machine these are upper
    bounds of the idle latency.
    """
    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    model = build_hamer(config or HamerConfig(), init="fast").eval()
    build_s = time.perf_counter() - t0
    s = model.config.image_size
    x = torch.randn(crops, 3, s, s)
    times = []
    with torch.inference_mode():
        if warmup:
            model(x)
        for _ in range(repeats):
            t = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t) * 1000 / crops)
    return {
        "ms_per_crop_best": min(times),
        "ms_per_crop_mean": float(np.mean(times)),
        "crops": crops,
        "repeats": repeats,
        "threads": torch.get_num_threads(),
        "build_seconds": build_s,
        "parameters_millions": model.parameter_counts()["total"] / 1e6,
    }
