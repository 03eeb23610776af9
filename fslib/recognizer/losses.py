"""The recognizer's loss terms, each a pure function of model outputs and targets.

- :func:`ctc`: CTC of per-frame logits against the label (blank = 0), mean over the batch of the
  per-sequence loss divided by its label length (``torch.nn.functional.ctc_loss``'s 'mean').
- :func:`stage_kl`: KL(p_gru || p_cnn) per valid frame at a temperature, the BiGRU's distribution detached
  (the target), scaled by T^2 so its gradient does not shrink with the temperature.
- :func:`cosine_distillation`: 1 - cos(projected student feature, teacher vector) averaged over the frames
  where both exist (``mask``); in [0, 2].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ctc(
    logits: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor, target_lengths: torch.Tensor
) -> torch.Tensor:
    """logits (B, T, C) raw; lengths (B,) valid frames; targets (sum L,) concatenated 1-based labels;
    target_lengths (B,). Returns a scalar."""
    logp = logits.float().log_softmax(-1).transpose(0, 1)  # (T, B, C)
    return F.ctc_loss(logp, targets, lengths, target_lengths, blank=0, reduction="mean", zero_infinity=True)


def stage_kl(
    cnn_logits: torch.Tensor, gru_logits: torch.Tensor, mask: torch.Tensor, temperature: float = 8.0
) -> torch.Tensor:
    """Mean over valid frames (``mask`` (B, T) bool) of KL(softmax(gru / t) || softmax(cnn / t)) * t^2; the
    BiGRU side carries no gradient. Zero when the two stages agree."""
    t = float(temperature)
    target = (gru_logits.detach().float() / t).log_softmax(-1)
    pred = (cnn_logits.float() / t).log_softmax(-1)
    kl = (target.exp() * (target - pred)).sum(-1)  # (B, T)
    m = mask.to(kl.dtype)
    return (kl * m).sum() / m.sum().clamp_min(1.0) * t * t


def cosine_distillation(projected: torch.Tensor, teacher: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """projected (B, T, D) student features in the teacher's space; teacher (B, T, D); mask (B, T) bool, False
    on padding and on frames where the teacher gave no vector (e.g. MediaPipe found no hand). Mean of
    1 - cosine similarity over the masked frames (0 when no frame is left, so such a batch adds nothing)."""
    cos = F.cosine_similarity(projected.float(), teacher.float(), dim=-1, eps=1e-8)
    m = mask.to(cos.dtype)
    return ((1.0 - cos) * m).sum() / m.sum().clamp_min(1.0)


def total_loss(
    out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], cfg
) -> tuple[torch.Tensor, dict[str, float]]:
    """The weighted sum of the terms switched on in ``cfg`` (a RecognizerConfig) and each term's value."""
    lengths, targets, tl = batch["lengths"], batch["targets"], batch["target_lengths"]
    terms: dict[str, torch.Tensor] = {"ctc_gru": ctc(out["gru_logits"], lengths, targets, tl)}
    loss = cfg.w_ctc_gru * terms["ctc_gru"]
    if cfg.w_ctc_cnn > 0:
        terms["ctc_cnn"] = ctc(out["cnn_logits"], lengths, targets, tl)
        loss = loss + cfg.w_ctc_cnn * terms["ctc_cnn"]
    if cfg.w_kl > 0:
        terms["kl"] = stage_kl(out["cnn_logits"], out["gru_logits"], out["mask"], cfg.kl_temperature)
        loss = loss + cfg.w_kl * terms["kl"]
    if cfg.distills and "projected" in out:
        terms["distill"] = cosine_distillation(out["projected"], batch["teacher"], out["mask"] & batch["teacher_mask"])
        loss = loss + cfg.w_distill * terms["distill"]
    return loss, {k: float(v.detach()) for k, v in terms.items()}
