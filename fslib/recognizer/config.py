"""The recognizer's configuration: one frozen dataclass for the model, the losses and the training recipe.

Every field is a choice the source study does not state (it gives the architecture and the loss terms, not
their sizes or weights); the defaults are the ones this study measured on 2 CPU cores, and notebook 04 says
why each was chosen. The resolved configuration travels inside every checkpoint and results row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..config import ConfigError, build_config

LOSS_VARIANTS = {
    # name: (ctc on the 1D-CNN, KL between the stages, distillation); CTC on the BiGRU is always on
    "full": (True, True, True),
    "ctc_gru": (False, False, False),
    "ctc_both": (True, False, False),
    "ctc_both_kl": (True, True, False),
    "ctc_gru_distill": (False, False, True),
}


@dataclasses.dataclass(frozen=True)
class RecognizerConfig:
    """Student architecture, losses and training.

    Model: ``width`` is the base channel count of the ResNet34 (BasicBlock [3, 4, 6, 3]; torchvision's is
    64, so 64 is the paper's network and 16 a quarter of its width); ``input_size`` the side in px the crops
    are resized to before the backbone (area averaging); ``imagenet``: start from torchvision's ImageNet
    weights found in the local torch cache (width 64 only; never downloaded). ``conv_channels``,
    ``conv_kernel``, ``conv_layers``: the 1D-CNN (same-length temporal convolutions); ``gru_hidden``,
    ``gru_layers``: the BiGRU (per direction); ``dropout`` before each classifier. ``pose_hidden`` > 0 adds a
    second input stream (the two-stream design the source compares with, page 08): MediaPipe's 21 landmarks
    of the signing hand in each frame, in crop coordinates, through a two-layer MLP of that width, concatenated
    with the backbone's features before the 1D-CNN (0 = RGB only, the student).

    Losses: ``w_ctc_gru`` on the BiGRU's CTC; ``w_ctc_cnn`` on the 1D-CNN's CTC (0 = off); ``w_kl`` the KL
    between the stages: KL(p_gru || p_cnn) per frame at temperature ``kl_temperature``, the BiGRU's
    distribution detached, so the 1D-CNN stage learns from the sequence model (as in visual-alignment
    constraints for continuous sign recognition); ``w_distill`` the cosine distillation of the projected
    per-frame backbone features towards the teacher's vectors (0 = off), ``teacher`` its name (a
    :data:`fslib.teachers.TEACHERS` entry, or "" for none); ``projection``: "linear" or "mlp" head from the
    backbone features to the teacher's dimension; ``teacher_norm``: the teacher's vectors minus their
    training-split mean ("center"), also divided by their per-dimension s.d. ("standardize"), or as they are
    ("none").

    Training: AdamW (``lr``, ``weight_decay``) with a linear warm-up over ``warmup`` of the steps then
    cosine decay to zero, ``clip`` gradient-norm clipping, ``epochs`` over the training split, ``batch_size``
    sequences per step (length-bucketed); frames: every ``subsample``-th frame (random phase in training),
    at most ``max_frames``. Augmentation (training only): ``speed`` range of temporal resampling factors,
    ``jitter`` crop shift/scale as a fraction of the side, ``color`` brightness/contrast jitter, ``rotate``
    in-plane rotation in degrees. ``seed``
    seeds initialisation, data order and augmentation. ``threads``: torch threads (0 = torch's default).
    ``precision`` of the training step on a CPU: "fp32", "bf16" (bfloat16 autocast: matrix products and
    convolutions in bfloat16, the losses in float32) or "auto" (bf16 where the CPU has AVX512_BF16 or AMX,
    else fp32); on CUDA training always uses float16 autocast with a gradient scaler. Evaluation is float32.
    ``train_fraction``: train on this share of the training sequences (nested subsets; learning curves).
    """

    # model
    width: int = 16
    input_size: int = 32
    imagenet: bool = False
    conv_channels: int = 256
    conv_kernel: int = 5
    conv_layers: int = 2
    gru_hidden: int = 128
    gru_layers: int = 1
    dropout: float = 0.2
    pose_hidden: int = 0
    # losses
    w_ctc_gru: float = 1.0
    w_ctc_cnn: float = 1.0
    w_kl: float = 1.0
    kl_temperature: float = 8.0
    w_distill: float = 1.0
    teacher: str = "hamer"
    projection: str = "linear"
    teacher_norm: str = "center"
    # training
    epochs: int = 20
    batch_size: int = 8
    lr: float = 3e-3
    weight_decay: float = 1e-2
    warmup: float = 0.05
    clip: float = 5.0
    subsample: int = 1
    max_frames: int = 0
    speed: tuple[float, float] = (0.8, 1.25)
    jitter: float = 0.1
    color: float = 0.3
    rotate: float = 20.0
    seed: int = 0
    threads: int = 0
    precision: str = "fp32"
    train_fraction: float = 1.0

    def validate(self) -> None:
        from ..teachers import TEACHERS

        if self.width < 4:
            raise ConfigError(f"width={self.width}: the ResNet34 needs at least 4 base channels (64 = the paper's)")
        if self.imagenet and self.width != 64:
            raise ConfigError(f"imagenet=True needs width=64 (torchvision's ResNet34); got width={self.width}")
        if self.input_size < 16:
            raise ConfigError(
                f"input_size={self.input_size} px is too small for ResNet34's five stride-2 stages; use at least 16"
            )
        if self.teacher and self.teacher not in TEACHERS:
            raise ConfigError(f"teacher={self.teacher!r} is unknown; choose from {', '.join(TEACHERS)} or '' (none)")
        if self.w_distill > 0 and not self.teacher:
            raise ConfigError("w_distill > 0 needs a teacher; set teacher or w_distill=0")
        if self.teacher_norm not in ("center", "standardize", "none"):
            raise ConfigError(f"teacher_norm={self.teacher_norm!r}: use 'center', 'standardize' or 'none'")
        if self.projection not in ("linear", "mlp"):
            raise ConfigError(f"projection={self.projection!r}: use 'linear' or 'mlp'")
        if self.w_ctc_gru <= 0:
            raise ConfigError("w_ctc_gru must be > 0: the BiGRU's CTC is the loss that trains the recognizer")
        if self.pose_hidden < 0:
            raise ConfigError(f"pose_hidden={self.pose_hidden}: the landmark stream's width, >= 0 (0 = RGB only)")
        if self.subsample < 1 or self.epochs < 1 or self.batch_size < 1:
            raise ConfigError("subsample, epochs and batch_size must be >= 1")
        if not 0 < self.train_fraction <= 1:
            raise ConfigError(f"train_fraction={self.train_fraction}: a share of the training sequences in (0, 1]")
        if self.precision not in ("fp32", "bf16", "auto"):
            raise ConfigError(f"precision={self.precision!r}: use 'fp32', 'bf16' or 'auto'")
        if len(self.speed) != 2 or not (0 < self.speed[0] <= self.speed[1]):
            raise ConfigError(f"speed={self.speed!r}: a (low, high) range of positive factors, e.g. (0.8, 1.25)")

    @property
    def distills(self) -> bool:
        return self.w_distill > 0 and bool(self.teacher)

    @property
    def variant(self) -> str:
        """The loss variant's name (see :data:`LOSS_VARIANTS`), or "custom"."""
        flags = (self.w_ctc_cnn > 0, self.w_kl > 0, self.distills)
        for name, v in LOSS_VARIANTS.items():
            if v == flags:
                return name
        return "custom"

    def model_fields(self) -> dict[str, Any]:
        """The fields that define the network's shape (a checkpoint loads only into the same)."""
        names = (
            "width",
            "input_size",
            "conv_channels",
            "conv_kernel",
            "conv_layers",
            "gru_hidden",
            "gru_layers",
            "projection",
            "pose_hidden",
        )
        return {n: getattr(self, n) for n in names}


def variant_overrides(variant: str) -> dict[str, Any]:
    """The settings that switch off the loss terms loss variant ``variant`` lacks (see :data:`LOSS_VARIANTS`)."""
    if variant not in LOSS_VARIANTS:
        raise ConfigError(f"variant={variant!r} is unknown; choose from {', '.join(LOSS_VARIANTS)}")
    cnn, kl, distill = LOSS_VARIANTS[variant]
    off: dict[str, Any] = {}
    if not cnn:
        off["w_ctc_cnn"] = 0.0
    if not kl:
        off["w_kl"] = 0.0
    if not distill:
        off.update(w_distill=0.0, teacher="")
    return off


def make_config(
    overrides: Mapping[str, Any] | None = None, *, variant: str | None = None, **more: Any
) -> RecognizerConfig:
    """:class:`RecognizerConfig` from overrides (unknown keys rejected), validated. ``variant`` (a
    :data:`LOSS_VARIANTS` name) switches the loss terms off by zeroing their weights."""
    values = {**(overrides or {}), **more}
    if variant is not None:
        values.update(variant_overrides(variant))
    cfg = build_config(RecognizerConfig, values)
    cfg.validate()
    return cfg
