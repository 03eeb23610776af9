"""The study's one training loop: every model the study trains (the recognizer, the isolated-sign models and
the synthetic teachers) goes through :func:`fit`, and supplies only what is its own: how to draw an epoch's
batches, one step's loss, and how to score the model on held-out data.

What the loop does for all of them:

- AdamW (``lr``, ``weight_decay``; or Adam with ``optimizer="adam"``) with an optional per-step
  learning-rate factor (:func:`warmup_cosine`) or a reduce-on-plateau schedule on the selected metric
  (``plateau``), gradient clipping (``clip``), and on CUDA a float16 gradient scaler (``amp``);
- per-epoch seeding: at the start of epoch ``e`` the global torch generator (dropout masks) is seeded with
  ``seed * 100003 + e``, and :class:`EpochRandom` hands the batch function a torch and a numpy generator
  seeded by (seed, epoch), plus one run-long torch stream that is saved with the resume state; an epoch's
  draws therefore do not depend on whether the run was interrupted before it;
- resume: after every epoch the whole state (weights, optimiser, schedule, scaler, run-long stream,
  history, the best weights so far) is written atomically to ``resume``; a later call continues from the
  last finished epoch and ends with the same weights and metrics as an uninterrupted run;
- evaluation every ``eval_every`` epochs (and at the last) and best-epoch selection on one metric (higher
  is better, or lower with ``select_mode="min"``; the first evaluated epoch wins ties); without ``select``
  the last epoch's weights are kept; early stopping (``patience``): the run ends when the selected metric has
  not improved for that many epochs, keeping the best epoch's weights;
- one history row per epoch: ``epoch``, ``steps``, ``lr``, the mean of each loss term as ``train_<term>``,
  ``train_seconds``, ``train_<unit>_per_s``, and the held-out metrics as ``<prefix>_<metric>`` with
  ``<prefix>_seconds``;
- a progress bar over the run's steps.

The trainers keep what differs between them: which files a finished run writes and how a finished run is
loaded (their checkpoint formats differ), and their cache keys (each lists this module in its code).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .cache import atomic_path
from .progress import tqdm

# A step returns the loss to minimise, its terms (floats or 0-d tensors, averaged over the epoch in the
# history beside the loss itself) and how many items (frames, clips, crops) it trained on (throughput).
Step = Callable[[Any], "tuple[torch.Tensor, Mapping[str, float], int]"]


def warmup_cosine(total_steps: int, warmup_steps: int, *, cosine_from_start: bool = False) -> Callable[[int], float]:
    """Learning-rate factor per optimiser step: a linear warm-up to 1 over ``warmup_steps`` (at least 1), then a
    cosine decay to 0 at ``total_steps``.

    Two shapes are in use. By default the cosine starts where the warm-up ends (the recognizer's). With
    ``cosine_from_start`` the cosine runs over the whole run from step 0 and the warm-up multiplies it (the
    synthetic teachers' schedule, kept so that their pretrained weights did not change when the loops were
    merged)."""
    warm = max(1, int(warmup_steps))
    total = max(1, int(total_steps))

    def factor(step: int) -> float:
        if cosine_from_start:
            return min(1.0, (step + 1) / warm) * 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
        if step < warm:
            return (step + 1) / warm
        progress = (step - warm) / max(1, total - warm)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


@dataclasses.dataclass
class EpochRandom:
    """The random streams of one epoch: ``torch`` and ``numpy`` are seeded by (seed, epoch); ``run`` is one
    torch stream for the whole run (seeded by seed, saved and restored with the resume state)."""

    epoch: int
    torch: torch.Generator
    numpy: np.random.Generator
    run: torch.Generator


@dataclasses.dataclass
class FitResult:
    """A finished :func:`fit`: the per-epoch ``history``, the selected epoch and its metric value (the last
    epoch and NaN without selection), and the training seconds over all calls (resumes included)."""

    history: list[dict[str, Any]]
    best_epoch: int
    best_value: float
    seconds: float


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of the global torch generator and of :attr:`EpochRandom.torch` at the start of ``epoch``."""
    return seed * 100003 + epoch


def fit(
    model: torch.nn.Module,
    *,
    batches: Callable[[EpochRandom], Iterable[Any]],
    step: Step,
    steps_per_epoch: int,
    epochs: int,
    lr: float,
    weight_decay: float,
    seed: int,
    resume: str | Path,
    evaluate: Callable[[], Mapping[str, float]] | None = None,
    eval_prefix: str = "val",
    select: str | None = None,
    eval_every: int = 1,
    schedule: Callable[[int], float] | None = None,
    clip: float | None = None,
    amp: bool = False,
    unit: str = "items",
    module: torch.nn.Module | None = None,
    rank: int = 0,
    desc: str = "training",
    progress: bool = True,
    stop_after: int | None = None,
    device: str | None = None,
    optimizer: str = "adamw",
    select_mode: str = "max",
    plateau: tuple[float, int] | None = None,
    patience: int | None = None,
) -> FitResult | None:
    """Train ``model`` for ``epochs`` epochs (module docstring), or continue an interrupted run from ``resume``.

    batches: the epoch's batches from its :class:`EpochRandom` (the loop counts the steps it takes). step:
    one batch -> (loss, terms, items). evaluate: held-out metrics of the model as it is (rank 0 only), stored
    as ``<eval_prefix>_<name>``; select: the metric that picks the epoch whose weights are kept.
    schedule: learning-rate factor per step (constant without). module: what is put in training mode each
    epoch when it is not ``model`` itself (a DistributedDataParallel wrapper). rank: only rank 0 evaluates,
    writes ``resume`` and shows the bar. stop_after: return None after this many epochs of this call, leaving
    the resumable state (the run is not finished). device: where ``resume`` is loaded to. optimizer: "adamw"
    or "adam" (weight decay as an L2 term). select_mode: "max" or "min" for ``select``. plateau: (factor,
    epochs) of a reduce-on-plateau schedule on ``select`` (instead of ``schedule``). patience: early stopping
    after this many epochs without a better ``select`` value.
    """
    resume = Path(resume)
    if optimizer not in ("adamw", "adam") or select_mode not in ("max", "min"):
        raise ValueError(f"fit: optimizer {optimizer!r} (adamw, adam), select_mode {select_mode!r} (max, min)")
    if (plateau is not None or patience is not None) and (select is None or evaluate is None):
        raise ValueError("fit: plateau and patience need a selected metric (select=...) and evaluate")
    if plateau is not None and schedule is not None:
        raise ValueError("fit: give either a per-step schedule or a plateau schedule, not both")
    make = torch.optim.AdamW if optimizer == "adamw" else torch.optim.Adam
    opt = make(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule) if schedule is not None else None
    on_plateau = (
        torch.optim.lr_scheduler.ReduceLROnPlateau(opt, select_mode, factor=plateau[0], patience=plateau[1])
        if plateau is not None
        else None
    )
    sign = 1.0 if select_mode == "max" else -1.0  # best["value"] is kept as "higher is better"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    run_stream = torch.Generator().manual_seed(seed)
    history: list[dict[str, Any]] = []
    best: dict[str, Any] = {"epoch": -1, "value": -math.inf, "state": None}
    start, seconds = 0, 0.0
    if resume.exists():
        st = torch.load(resume, map_location=device or "cpu", weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["optimizer"])
        if sched is not None:
            sched.load_state_dict(st["scheduler"])
        if on_plateau is not None:
            on_plateau.load_state_dict(st["plateau"])
        scaler.load_state_dict(st["scaler"])
        run_stream.set_state(st["run_stream"])
        history, best, start, seconds = st["history"], st["best"], st["epoch"], st["seconds"]
    bar = tqdm(
        total=epochs * steps_per_epoch, initial=start * steps_per_epoch, desc=desc, disable=not progress or rank > 0
    )
    done_now = 0
    # a run that stopped early before an interruption stays stopped on resume
    stopped = patience is not None and best["epoch"] > 0 and start - best["epoch"] >= patience
    for epoch in range(start, start if stopped else epochs):
        torch.manual_seed(epoch_seed(seed, epoch))  # dropout masks of this epoch
        rnd = EpochRandom(
            epoch,
            torch.Generator().manual_seed(epoch_seed(seed, epoch)),
            np.random.default_rng([seed, epoch]),
            run_stream,
        )
        (module or model).train()
        terms: dict[str, list[float]] = {}
        items, steps, t0 = 0, 0, time.perf_counter()
        for batch in batches(rnd):
            loss, parts, n = step(batch)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if clip is not None:
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            scaler.step(opt)
            scaler.update()
            if sched is not None:
                sched.step()
            for k, v in {"loss": loss, **parts}.items():
                terms.setdefault(k, []).append(float(v.detach() if torch.is_tensor(v) else v))
            items += int(n)
            steps += 1
            bar.update()
        took = time.perf_counter() - t0
        seconds += took
        row: dict[str, Any] = {
            "epoch": epoch + 1,
            "steps": steps,
            "lr": opt.param_groups[0]["lr"],
            **{f"train_{k}": float(np.mean(v)) for k, v in terms.items()},
            "train_seconds": took,
            f"train_{unit}_per_s": items / took if took > 0 else math.nan,
        }
        if evaluate is not None and rank == 0 and ((epoch + 1) % eval_every == 0 or epoch + 1 == epochs):
            t1 = time.perf_counter()
            metrics = dict(evaluate())
            row.update(
                {f"{eval_prefix}_{k}": v for k, v in metrics.items()},
                **{f"{eval_prefix}_seconds": time.perf_counter() - t1},
            )
            value = sign * metrics.get(select, -sign * math.inf) if select else -math.inf
            if select and (value > best["value"] or best["state"] is None):
                best = {"epoch": epoch + 1, "value": value, "state": copy.deepcopy(model.state_dict())}
            if on_plateau is not None:
                on_plateau.step(sign * value)
        history.append(row)
        if rank == 0:
            with atomic_path(resume) as tmp:
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict() if sched is not None else None,
                        "plateau": on_plateau.state_dict() if on_plateau is not None else None,
                        "scaler": scaler.state_dict(),
                        "run_stream": run_stream.get_state(),
                        "history": history,
                        "best": best,
                        "epoch": epoch + 1,
                        "seconds": seconds,
                    },
                    tmp,
                )
        bar.set_postfix(
            {k: f"{v:.3g}" for k, v in row.items() if k == "train_loss" or (select and k == f"{eval_prefix}_{select}")}
        )
        done_now += 1
        if patience is not None and best["epoch"] > 0 and epoch + 1 - best["epoch"] >= patience:
            break  # early stopping: no better value for `patience` epochs
        if stop_after is not None and done_now >= stop_after and epoch + 1 < epochs:
            bar.close()
            return None
    bar.close()
    if best["state"] is not None:
        model.load_state_dict(best["state"])
        return FitResult(history, best["epoch"], float(sign * best["value"]), seconds)
    return FitResult(history, epochs, math.nan, seconds)
