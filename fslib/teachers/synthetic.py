"""The embedded default teacher: a small HaMeR pretrained on synthetic hands, plus the keypoint regressor.

Why: the official HaMeR weights cannot be downloaded here. The same network classes (ViT backbone,
transformer-decoder MANO head) are built at a CPU size and trained, as HaMeR was, on general hand crops
(random poses in all orientations, many hand shapes; not fingerspelling letters, not signing sequences) to
regress the ground-truth pose (16 rotations), hand shape and 2D keypoints. After pretraining the network is
frozen; the study reads its 1xD output token as the pose embedding to distil.

Losses (per crop), HaMeR's kinds: ``w_kp3d`` x L1 of the 21 wrist-relative 3D keypoints (decimetres) that the
predicted rotations and shape give through the differentiable hand model
(:mod:`fslib.teachers.components.kinematics`); ``w_reproj`` x L1 of those keypoints projected by the
predicted weak-perspective camera onto the crop (crop units); ``w_pose`` x MSE between predicted and true
rotation matrices (16 x 3 x 3); ``w_shape`` x MSE of the standardised shape vector
((shape / average - 1) / 0.1); and ``w_kp2d`` x L1 of an extra linear 2D-keypoint decoder (crop units; not
in the released HaMeR, kept for the comparison). The keypoint regressor gets the 3D loss and, through a
camera of its own, the reprojection loss. The default weights (pose and 2D decoder; the 3D and reprojection
terms off) are what the measured comparison supports so far (held-out hands, ``small`` preset, 12,000 crops
at 64 px): after 12 epochs the finger-joint error was 29.0 deg with them and 29.2 deg with HaMeR's losses
(3D in the hand frame), global orientation 56 vs 62 deg; after 4 epochs 29.9 vs 31.6 deg with HaMeR's
camera-frame losses. The teacher page repeats the comparison in every run
(:mod:`fslib.teachers.comparison`).

Cache: ``cache_dir()/teachers/synthetic/<key>/`` with ``teacher.ckpt`` (HaMeR checkpoint layout plus the
configuration), ``report.json`` (history, held-out errors) and a per-epoch ``resume.pt`` so an interrupted
pretraining continues where it stopped. The key hashes the configuration and the source of every module
that renders data or defines/trains the network.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..cache import atomic_path, cache_key, write_json_atomic
from ..config import as_dict, build_config
from ..paths import cache_dir
from ..training import fit, warmup_cosine
from .augment import augment_batch
from .checkpoint import load_hamer_checkpoint, save_hamer_checkpoint
from .components.kinematics import forward_kinematics, project, shape_from_betas
from .components.rotation import axis_angle_to_matrix, geodesic_angle
from .hamer import Hamer, build_hamer, hamer_config
from .keypoint_regressor import KeypointRegressor, KeypointRegressorConfig, build_keypoint_regressor
from .preprocess import to_model_input
from .pretrain_data import PretrainDataConfig, generate, load_split

CODE = [
    "fslib.teachers.synthetic",
    "fslib.teachers.pretrain_data",
    "fslib.teachers.augment",
    "fslib.teachers.hamer",
    "fslib.teachers.backbones",
    "fslib.teachers.heads",
    "fslib.teachers.components",
    "fslib.teachers.preprocess",
    "fslib.teachers.keypoint_regressor",
    "fslib.synth.hand",
    "fslib.synth.render",
    "fslib.synth.scene",
    "fslib.synth.primitives",
    "fslib.teachers.checkpoint",
    "fslib.training",
]
SHAPE_SCALE = 0.1


@dataclasses.dataclass(frozen=True)
class SyntheticTeacherConfig:
    """Pretraining of the synthetic teachers.

    size: HaMeR preset (``tiny`` / ``small`` / ``base``, see :data:`fslib.teachers.hamer.PRESETS`).
    crop_size: crop side in pixels (the corpus crop size; the network input). margin: crop box convention
    (``PreprocessConfig.margin``). samples / val_samples: training crops and held-out crops.
    signers / val_signers: disjoint pools of hand shapes and looks. epochs, batch_size, lr, weight_decay:
    AdamW with linear warm-up (first 5% of steps) and cosine decay. w_kp3d, w_reproj, w_pose, w_shape, w_kp2d:
    loss weights (module docstring); 0 switches a term off.
    kp_width: base channels of the keypoint-regressor ConvNet. rotation_deg: in-plane rotation augmentation,
    uniform in +-rotation_deg per crop, targets rotated with the image (:mod:`fslib.teachers.augment`).
    min_resolution: half of the training crops are resampled through a side drawn in [min_resolution,
    crop_size] (corpus crops of small hands are upsampled, hence blurrier than rendered ones; 0 = off).
    zoom_range, max_shift: scale (log-uniform) and shift (crop units) jitter of the training crops: the
    corpus crops come from MediaPipe's landmark box, which is often tighter or off-centre compared with the
    true box (notebook 02 measures the overlap), so the teacher must not rely on exact framing.
    facing_fraction: share of camera-facing global orientations in the rendered set (the rest uniform over
    SO(3); :class:`~fslib.teachers.pretrain_data.PretrainDataConfig`). data_chunk: rendered samples per cache file
    (keep it fixed so profiles share rendered chunks). seed: data and initialisation.
    """

    size: str = "small"
    crop_size: int = 64
    margin: float = 0.25
    samples: int = 3000
    val_samples: int = 300
    signers: int = 200
    val_signers: int = 40
    epochs: int = 8
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    w_pose: float = 1.0
    w_kp2d: float = 1.0
    w_shape: float = 0.05
    w_kp3d: float = 0.0
    w_reproj: float = 0.0
    kp3d_frame: str = "camera"
    kp_width: int = 24
    rotation_deg: float = 180.0
    min_resolution: int = 32
    zoom_range: tuple[float, float] = (0.85, 1.35)
    max_shift: float = 0.08
    facing_fraction: float = 0.5
    data_chunk: int = 100
    seed: int = 0

    def data_config(self) -> PretrainDataConfig:
        return PretrainDataConfig(
            crop_size=self.crop_size,
            margin=self.margin,
            train_samples=self.samples,
            val_samples=self.val_samples,
            train_signers=self.signers,
            val_signers=self.val_signers,
            facing_fraction=self.facing_fraction,
            chunk=self.data_chunk,
            seed=self.seed,
        )

    def hamer_config(self):
        return hamer_config(self.size, image_size=self.crop_size)


def make_config(overrides: Mapping[str, Any] | None = None, **more: Any) -> SyntheticTeacherConfig:
    """:class:`SyntheticTeacherConfig` from overrides; unknown keys rejected."""
    return build_config(SyntheticTeacherConfig, overrides, **more)


# ------------------------------------------------------------------------------------------------ targets
def _average_shape() -> np.ndarray:
    from ..synth.hand import HandShape

    return HandShape.default().as_vector()


def _targets(data: Mapping[str, np.ndarray], idx: np.ndarray) -> dict[str, torch.Tensor]:
    pose = torch.from_numpy(data["pose"][idx]).double()
    return {
        "rot": axis_angle_to_matrix(pose).float(),  # (B, 16, 3, 3)
        "kp2d": torch.from_numpy(data["keypoints2d"][idx]),  # (B, 21, 2)
        "kp3d": torch.from_numpy(data["keypoints3d"][idx]) * 10.0,  # decimetres
        "shape": torch.from_numpy((data["shape"][idx] / _average_shape() - 1) / SHAPE_SCALE).float(),
    }


# ------------------------------------------------------------------------------------------------ metrics
@torch.no_grad()
def evaluate_hamer(model: Hamer, data: Mapping[str, np.ndarray], crop_size: int, batch: int = 128) -> dict[str, float]:
    """Held-out errors of a (synthetic) HaMeR on pretraining-format data.

    Returns global-orientation and finger-joint geodesic errors (degrees, mean over crops / joints), the
    wrist-relative 3D error of the keypoints its pose and shape give (mm), the error of their projection by
    its camera (pixels at ``crop_size``), the 2D keypoint decoder's error (pixels; only with that decoder)
    and the shape RMSE in standardised units.
    """
    model.eval()
    n = len(data["images"])
    glob, fing, kp, shp, kp3, rep = [], [], [], [], [], []
    for s in range(0, n, batch):
        idx = np.arange(s, min(s + batch, n))
        out = model(to_model_input(data["images"][idx], crop_size))
        t = _targets(data, idx)
        rot = torch.cat([out["global_orient"], out["hand_pose"]], 1)
        ang = torch.rad2deg(geodesic_angle(rot, t["rot"]))
        glob.append(ang[:, 0])
        fing.append(ang[:, 1:].mean(1))
        if "keypoints2d" in out:
            kp.append((out["keypoints2d"] - t["kp2d"]).norm(dim=-1).mean(1) * crop_size)
        shp.append((out["betas"] - t["shape"]).pow(2).mean(1))
        k3 = hamer_keypoints(out)
        kp3.append((k3 - t["kp3d"]).norm(dim=-1).mean(1) * 100.0)  # dm -> mm
        rep.append((project(k3, out["cam"]) - t["kp2d"]).norm(dim=-1).mean(1) * crop_size)
    res = {
        "global_orient_deg": float(torch.cat(glob).mean()),
        "finger_joint_deg": float(torch.cat(fing).mean()),
        "shape_rmse": float(torch.cat(shp).mean().sqrt()),
        "keypoint3d_mm": float(torch.cat(kp3).mean()),
        "reprojection_px": float(torch.cat(rep).mean()),
    }
    if kp:
        res["keypoint2d_px"] = float(torch.cat(kp).mean())
    return res


@torch.no_grad()
def evaluate_keypoint_regressor(
    model: KeypointRegressor, data: Mapping[str, np.ndarray], crop_size: int, batch: int = 256
) -> dict[str, float]:
    """Mean per-joint 3D position error (mm, wrist-relative) of the keypoint regressor on held-out data."""
    model.eval()
    errs = []
    n = len(data["images"])
    for s in range(0, n, batch):
        idx = np.arange(s, min(s + batch, n))
        pred = model(to_model_input(data["images"][idx], crop_size))["keypoints3d"]
        errs.append((pred - _targets(data, idx)["kp3d"]).norm(dim=-1).mean(1) * 100.0)  # dm -> mm
    return {"keypoint3d_mm": float(torch.cat(errs).mean())}


# ------------------------------------------------------------------------------------------------ training
def _fit(
    model: torch.nn.Module,
    loss_fn: Callable,
    evaluate: Callable,
    train: Mapping[str, np.ndarray],
    val: Mapping[str, np.ndarray],
    cfg: SyntheticTeacherConfig,
    folder: Path,
    desc: str,
    progress: bool,
) -> list[dict[str, float]]:
    """Pretrain ``model`` through the study's loop (:func:`fslib.training.fit`): warm-up (first 5% of the
    steps) and cosine decay over the whole run, gradient clipping at 1, held-out errors every epoch, the
    last epoch kept. The crops' order and augmentation come from one run-long stream."""
    n = len(train["images"])
    steps_per_epoch = max(1, n // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs

    def batches(rnd):
        perm = torch.randperm(n, generator=rnd.run).numpy()
        for s in range(steps_per_epoch):
            idx = np.sort(perm[s * cfg.batch_size : (s + 1) * cfg.batch_size])
            yield augment_batch(
                to_model_input(train["images"][idx], cfg.crop_size),
                _targets(train, idx),
                rnd.run,
                cfg.rotation_deg,
                cfg.min_resolution,
                cfg.zoom_range,
                cfg.max_shift,
            )

    def step(batch):
        x, target = batch
        loss, parts = loss_fn(model(x), target)
        return loss, parts, len(x)

    return fit(
        model,
        batches=batches,
        step=step,
        steps_per_epoch=steps_per_epoch,
        epochs=cfg.epochs,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        seed=cfg.seed,
        resume=folder / f"resume_{desc}.pt",
        evaluate=lambda: evaluate(model, val, cfg.crop_size),
        eval_prefix="val",
        schedule=warmup_cosine(total, total // 20, cosine_from_start=True),
        clip=1.0,
        unit="crops",
        desc=f"pretraining {desc}",
        progress=progress,
    ).history


def hamer_keypoints(out: Mapping[str, torch.Tensor], global_orient: torch.Tensor | None = None) -> torch.Tensor:
    """``(B, 21, 3)`` wrist-relative 3D keypoints (decimetres, camera frame) that a HaMeR output's rotations and
    shape give through the differentiable hand model; ``global_orient`` (B, 1, 3, 3) replaces the predicted
    one (the hand-frame variant of the 3D loss, which scores only the fingers and the shape)."""
    rot = torch.cat([out["global_orient"] if global_orient is None else global_orient, out["hand_pose"]], 1)
    return forward_kinematics(rot, shape_from_betas(out["betas"], SHAPE_SCALE)) * 10.0


def _hamer_loss(cfg: SyntheticTeacherConfig):
    def loss_fn(out: dict[str, torch.Tensor], t: dict[str, torch.Tensor]):
        rot = torch.cat([out["global_orient"], out["hand_pose"]], 1)
        parts = {"pose": (rot - t["rot"]).pow(2).mean(), "shape": (out["betas"] - t["shape"]).pow(2).mean()}
        if cfg.w_kp2d:
            parts["kp2d"] = (out["keypoints2d"] - t["kp2d"]).abs().mean()
        if cfg.w_kp3d or cfg.w_reproj:
            kp3d = hamer_keypoints(out)
            if cfg.kp3d_frame == "hand":
                parts["kp3d"] = (hamer_keypoints(out, t["rot"][:, :1]) - t["kp3d"]).abs().mean()
            else:
                parts["kp3d"] = (kp3d - t["kp3d"]).abs().mean()
            parts["reproj"] = (project(kp3d, out["cam"]) - t["kp2d"]).abs().mean()
        weights = {
            "pose": cfg.w_pose,
            "shape": cfg.w_shape,
            "kp2d": cfg.w_kp2d,
            "kp3d": cfg.w_kp3d,
            "reproj": cfg.w_reproj,
        }
        loss = sum(weights[k] * v for k, v in parts.items())
        return loss, {"loss": loss, **parts}

    return loss_fn


def _kp_loss(cfg: SyntheticTeacherConfig):
    def loss_fn(out: dict[str, torch.Tensor], t: dict[str, torch.Tensor]):
        parts = {"kp3d": (out["keypoints3d"] - t["kp3d"]).abs().mean()}
        if cfg.w_reproj:
            parts["reproj"] = (project(out["keypoints3d"], out["cam"]) - t["kp2d"]).abs().mean()
        loss = (cfg.w_kp3d or 1.0) * parts["kp3d"] + cfg.w_reproj * parts.get("reproj", 0.0)
        return loss, {"loss": loss, **parts}

    return loss_fn


@dataclasses.dataclass
class PretrainedTeachers:
    """What :func:`pretrain` returns: the frozen networks and their pretraining report.

    hamer: the synthetic HaMeR (eval mode, gradients off); keypoint_regressor: the ConvNet 3D-keypoint
    regressor (eval, frozen); report: {"config", "hamer_history", "kp_history", "hamer_val", "kp_val",
    "parameters", "seconds"}; folder: the cache entry.
    """

    hamer: Hamer
    keypoint_regressor: KeypointRegressor
    report: dict[str, Any]
    folder: Path
    config: SyntheticTeacherConfig


def teacher_dir(cfg: SyntheticTeacherConfig) -> Path:
    return cache_dir() / "teachers" / "synthetic" / cache_key(cfg, code=CODE)


def _freeze(model: torch.nn.Module) -> torch.nn.Module:
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _load_data(cfg: SyntheticTeacherConfig, progress: bool):
    data_cfg = cfg.data_config()
    folder = generate(data_cfg, progress=progress)
    return load_split(data_cfg, "train", folder), load_split(data_cfg, "val", folder)


def pretrain_hamer(cfg: SyntheticTeacherConfig, progress: bool = True, data=None) -> tuple[Hamer, dict[str, Any]]:
    """Pretrain (or load, or resume) the synthetic HaMeR alone: ``(frozen model, {"history", "seconds"})``.
    Cached in :func:`teacher_dir` as ``teacher.ckpt`` (HaMeR checkpoint layout) and ``hamer_history.json``.
    ``data``: the (train, val) splits when the caller has them loaded."""
    folder = teacher_dir(cfg)
    folder.mkdir(parents=True, exist_ok=True)
    ckpt, hist_path = folder / "teacher.ckpt", folder / "hamer_history.json"
    if not (hist_path.exists() and ckpt.exists()):
        train, val = data or _load_data(cfg, progress)
        t0 = time.perf_counter()
        torch.manual_seed(cfg.seed)
        model = build_hamer(cfg.hamer_config())
        with torch.no_grad():  # weak-perspective scale of fslib's camera: about 0.3 crop units per decimetre
            model.mano_head.init_cam.copy_(torch.tensor([[0.3, 0.0, 0.0]]))
        history = _fit(model, _hamer_loss(cfg), evaluate_hamer, train, val, cfg, folder, "hamer", progress)
        save_hamer_checkpoint(model, ckpt, {"pretrain": as_dict(cfg)})
        write_json_atomic(hist_path, {"history": history, "seconds": time.perf_counter() - t0})
        (folder / "resume_hamer.pt").unlink(missing_ok=True)
    return _freeze(load_hamer_checkpoint(ckpt)), json.loads(hist_path.read_text())


def pretrain_keypoint_regressor(
    cfg: SyntheticTeacherConfig, progress: bool = True, data=None
) -> tuple[KeypointRegressor, dict[str, Any]]:
    """As :func:`pretrain_hamer`, for the keypoint regressor (``keypoint_regressor.pt``, ``kp_history.json``)."""
    folder = teacher_dir(cfg)
    folder.mkdir(parents=True, exist_ok=True)
    kp_cfg = KeypointRegressorConfig(image_size=cfg.crop_size, width=cfg.kp_width)
    ckpt, hist_path = folder / "keypoint_regressor.pt", folder / "kp_history.json"
    if not (hist_path.exists() and ckpt.exists()):
        train, val = data or _load_data(cfg, progress)
        t0 = time.perf_counter()
        torch.manual_seed(cfg.seed + 1)
        model = build_keypoint_regressor(kp_cfg)
        history = _fit(
            model, _kp_loss(cfg), evaluate_keypoint_regressor, train, val, cfg, folder, "keypoints", progress
        )
        with atomic_path(ckpt) as tmp:
            torch.save({"state_dict": model.state_dict(), "fslib_config": as_dict(kp_cfg)}, tmp)
        write_json_atomic(hist_path, {"history": history, "seconds": time.perf_counter() - t0})
        (folder / "resume_keypoints.pt").unlink(missing_ok=True)
    model = build_keypoint_regressor(kp_cfg)
    model.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"])
    return _freeze(model), json.loads(hist_path.read_text())


def pretrain(cfg: SyntheticTeacherConfig | None = None, progress: bool = True) -> PretrainedTeachers:
    """Pretrain (or load from the cache, or resume) the synthetic HaMeR and the keypoint regressor."""
    cfg = cfg or SyntheticTeacherConfig()
    folder = teacher_dir(cfg)
    folder.mkdir(parents=True, exist_ok=True)
    report_path = folder / "report.json"
    if report_path.exists():
        hamer, _ = pretrain_hamer(cfg, progress)
        kp_model, _ = pretrain_keypoint_regressor(cfg, progress)
        return PretrainedTeachers(hamer, kp_model, json.loads(report_path.read_text()), folder, cfg)
    t0 = time.perf_counter()
    data = _load_data(cfg, progress)
    t_data = time.perf_counter() - t0
    hamer, h = pretrain_hamer(cfg, progress, data)
    kp_model, k = pretrain_keypoint_regressor(cfg, progress, data)
    report = {
        "config": as_dict(cfg),
        "hamer_config": as_dict(hamer.config),
        "hamer_history": h["history"],
        "kp_history": k["history"],
        "hamer_val": h["history"][-1] if h["history"] else {},
        "kp_val": k["history"][-1] if k["history"] else {},
        "parameters": hamer.parameter_counts(),
        "kp_parameters": sum(p.numel() for p in kp_model.parameters()),
        "data_seconds": t_data,
        "hamer_seconds": h["seconds"],
        "kp_seconds": k["seconds"],
        "seconds": time.perf_counter() - t0,
        "train_signers": cfg.signers,
        "val_signers": cfg.val_signers,
    }
    write_json_atomic(report_path, report)
    return PretrainedTeachers(hamer, kp_model, report, folder, cfg)


def history_frame(report: Mapping[str, Any]):
    """Pretraining curves as a long pandas table: model, epoch, metric, value."""
    import pandas as pd

    rows = []
    for model_name, key in (("synthetic HaMeR", "hamer_history"), ("keypoint regressor", "kp_history")):
        for row in report.get(key, []):
            for k, v in row.items():
                if k != "epoch":
                    rows.append({"model": model_name, "epoch": row["epoch"], "metric": k, "value": v})
    return pd.DataFrame(rows)
