"""Measured choices of the synthetic teacher's pretraining: loss weights and input resolution.

Each variant is a :class:`~fslib.teachers.synthetic.SyntheticTeacherConfig` that differs from a base in a
few fields; its HaMeR is pretrained (cached under its own configuration, so a variant equal to the main
teacher's configuration is not trained twice) and scored on the held-out crops of unseen hands beside the
learned-nothing baseline of the same crops. The teacher page shows the table; the profile's choice of
weights and resolution is the one the table supports.

Equal compute across input resolutions: a larger crop costs more per sample, so its variant sees fewer
samples, scaled by the ratio of forward FLOPs per crop (counted by :class:`torch.utils.flop_counter.FlopCounterMode`,
a deterministic count, so cache keys do not depend on the machine's speed). The measured seconds are
reported beside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pandas as pd
import torch

from .analysis import prior_errors
from .hamer import build_hamer
from .synthetic import SyntheticTeacherConfig, _load_data, pretrain_hamer

# loss-weight variants compared on the teacher page (fields of SyntheticTeacherConfig)
LOSS_VARIANTS: dict[str, dict[str, Any]] = {
    "pose and 2D decoder": {"w_pose": 1.0, "w_kp2d": 1.0, "w_kp3d": 0.0, "w_reproj": 0.0, "kp3d_frame": "camera"},
    "HaMeR losses": {"w_pose": 1.0, "w_kp2d": 1.0, "w_kp3d": 1.0, "w_reproj": 1.0, "kp3d_frame": "camera"},
    "HaMeR losses, hand-frame 3D": {"w_pose": 1.0, "w_kp2d": 1.0, "w_kp3d": 1.0, "w_reproj": 1.0, "kp3d_frame": "hand"},
    "3D and reprojection only": {"w_pose": 0.0, "w_kp2d": 0.0, "w_kp3d": 1.0, "w_reproj": 1.0, "kp3d_frame": "camera"},
}
METRICS = {
    "val_finger_joint_deg": "finger joints (deg)",
    "val_global_orient_deg": "global orientation (deg)",
    "val_keypoint3d_mm": "3D keypoints via hand model (mm)",
    "val_reprojection_px": "reprojection (px)",
    "val_keypoint2d_px": "2D decoder (px)",
    "val_shape_rmse": "shape (std. RMSE)",
}


def forward_flops(cfg: SyntheticTeacherConfig) -> int:
    """FLOPs of one forward pass of the configuration's HaMeR on one crop."""
    from torch.utils.flop_counter import FlopCounterMode

    model = build_hamer(cfg.hamer_config()).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, cfg.crop_size, cfg.crop_size))
    return int(counter.get_total_flops())


def equal_compute_variants(base: SyntheticTeacherConfig, sizes: list[int]) -> dict[str, dict[str, Any]]:
    """Variants of ``base`` at other input sizes with their sample count scaled so that every variant costs
    the base's forward FLOPs x samples x epochs (the held-out set keeps its size)."""
    ref = forward_flops(base)
    out = {}
    for size in sizes:
        cfg = dataclasses.replace(base, crop_size=size)
        n = (
            base.samples
            if size == base.crop_size
            else max(cfg.batch_size, round(base.samples * ref / forward_flops(cfg)))
        )
        out[f"{size} px"] = {"crop_size": size, "samples": n}
    return out


def compare_pretraining(
    base: SyntheticTeacherConfig, variants: Mapping[str, Mapping[str, Any]], progress: bool = True
) -> pd.DataFrame:
    """Pretrain the HaMeR of every variant (``name -> overrides of base``) and tabulate its held-out errors.

    Columns: variant, the overridden fields as text, samples, seconds (training, from the cache record),
    each metric of :data:`METRICS`, the learned-nothing finger and keypoint errors of the same held-out
    crops, and ``finger_gain`` (relative reduction of the finger-joint error below its baseline).
    """
    rows = []
    loaded: dict[Any, tuple] = {}
    priors: dict[Any, dict[str, float]] = {}
    for name, overrides in variants.items():
        cfg = dataclasses.replace(base, **dict(overrides))
        key = cfg.data_config()
        if key not in loaded:
            loaded.clear()  # keep one resolution's crops in memory at a time
            loaded[key] = _load_data(cfg, progress)
            priors.setdefault(key, prior_errors(*loaded[key]))
        _, record = pretrain_hamer(cfg, progress, loaded[key])
        last = record["history"][-1] if record["history"] else {}
        prior = priors[key]
        rows.append(
            {
                "variant": name,
                "changes": ", ".join(f"{k}={v}" for k, v in overrides.items()) or "(base)",
                "samples": cfg.samples,
                "epochs": cfg.epochs,
                "seconds": record["seconds"],
                **{label: last.get(key) for key, label in METRICS.items()},
                "finger baseline (deg)": prior["finger_joint_deg"],
                "3D keypoint baseline (mm)": prior["keypoint3d_mm"],
                "finger_gain": 1 - last.get("val_finger_joint_deg", float("nan")) / prior["finger_joint_deg"],
            }
        )
    return pd.DataFrame(rows)


def comparison_base(cfg: SyntheticTeacherConfig, samples: int, epochs: int, **more: Any) -> SyntheticTeacherConfig:
    """The main teacher's configuration at the comparison's budget (``samples`` crops, ``epochs``)."""
    return dataclasses.replace(cfg, samples=samples, epochs=epochs, **more)


def matching_variant(cfg: SyntheticTeacherConfig, variants: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Name of the variant whose overrides ``cfg`` already has (the profile's choice), or None."""
    for name, overrides in variants.items():
        if all(getattr(cfg, k) == v for k, v in overrides.items()):
            return name
    return None


def choice_verdict(table: pd.DataFrame, cfg: SyntheticTeacherConfig, kind: str, tolerance_deg: float = 0.3) -> str:
    """Sentence on a :func:`compare_pretraining` table: which variant reads the fingers best on the held-out
    hands, by how much, and whether the profile's teacher (``cfg``) uses it. ``kind``: "loss" (variants of
    :data:`LOSS_VARIANTS`) or "resolution" (input sizes). Differences below ``tolerance_deg`` are called ties."""
    col = METRICS["val_finger_joint_deg"]
    t = table.sort_values(col)
    best, runner = t.iloc[0], (t.iloc[1] if len(t) > 1 else None)
    text = (
        f"Lowest held-out finger-joint error: {best['variant']} ({best[col]:.2f} deg, baseline "
        f"{best['finger baseline (deg)']:.2f}, gain {best['finger_gain']:+.0%})"
    )
    if runner is not None:
        gap = runner[col] - best[col]
        text += f"; next {runner['variant']} at {runner[col]:.2f} deg" + (
            f" (a tie: within {tolerance_deg} deg)" if gap < tolerance_deg else f" ({gap:.2f} deg worse)"
        )
    text += ". "
    if kind == "loss":
        chosen = matching_variant(cfg, LOSS_VARIANTS)
        text += (
            f"This profile's teacher is pretrained with the weights of '{chosen}'"
            if chosen
            else "This profile's teacher uses weights that are not one of these variants"
        )
    else:
        chosen = f"{cfg.crop_size} px"
        text += f"This profile's teacher reads {chosen} crops"
    if chosen == best["variant"]:
        return text + ", the best row here."
    return text + (
        ", not the best row of this run; the choice was made on the full profile's comparison "
        "(the smaller profiles' comparisons are shorter and noisier)."
    )


def loss_variants(names) -> dict[str, dict[str, Any]]:
    """The :data:`LOSS_VARIANTS` named in ``names``, in that order (a page's ``loss_variants`` parameter)."""
    unknown = [n for n in names if n not in LOSS_VARIANTS]
    if unknown:
        raise KeyError(f"unknown loss variant(s) {unknown}; known: {list(LOSS_VARIANTS)}")
    return {name: LOSS_VARIANTS[name] for name in names}


# what each loss weight of SyntheticTeacherConfig switches on, in the words of the teacher page
LOSS_TERMS = {
    "w_pose": "rotation matrices (MSE)",
    "w_shape": "hand shape (MSE)",
    "w_kp2d": "2D-keypoint decoder (L1)",
    "w_kp3d": "3D keypoints through the hand model (L1)",
    "w_reproj": "reprojection through the predicted camera (L1)",
}


def recipe_line(cfg: SyntheticTeacherConfig) -> str:
    """The losses this run's synthetic HaMeR is pretrained with, read from its configuration ``cfg``: the
    terms with a non-zero weight (and the weight), those switched off, the frame of the 3D term when it is
    on, and the :data:`LOSS_VARIANTS` row these weights equal, if any."""
    on = [f"{label} x {getattr(cfg, w):g}" for w, label in LOSS_TERMS.items() if getattr(cfg, w)]
    off = [label for w, label in LOSS_TERMS.items() if not getattr(cfg, w)]
    text = f"This run's synthetic HaMeR is pretrained with: {'; '.join(on) if on else 'no loss term'}"
    if cfg.w_kp3d:
        text += f" (3D term in the {cfg.kp3d_frame} frame)"
    text += f". Switched off (weight 0): {', '.join(off)}." if off else ". No term is switched off."
    variant = matching_variant(cfg, LOSS_VARIANTS)
    return text + (f" These are the weights of the loss variant '{variant}'." if variant else "")
