"""Training of the recognizer through the study's one loop (:func:`fslib.training.fit`: AdamW with warm-up
and cosine decay, gradient clipping, model selection on dev letter accuracy, per-epoch resumable state);
this module supplies the recognizer's batches, loss step and dev evaluation, and caches one result per
configuration and data.

Entry point: :func:`train`. One run lives in ``cache_dir()/recognizer/<key>/`` where the key hashes the
configuration (seed included), the crop cache, the teacher's feature cache, the alphabet and the code of
this package: ``resume.pt`` (written atomically after every epoch: weights, optimiser, schedule, history,
best weights so far) and, when the run is finished, ``model.pt`` (the selected weights with the
configuration, the alphabet and the history) and ``report.json``. A finished run is loaded, not retrained; an
interrupted one continues from its last finished epoch and ends with the same weights and metrics as an
uninterrupted run (every random draw of an epoch is seeded by (seed, epoch); the data load in this process).

Several GPUs: start the same entry point under ``torchrun --nproc_per_node=N``; each process takes every
N-th batch, gradients are averaged by DistributedDataParallel, rank 0 evaluates and writes. At the end of
every epoch the processes compare digests of their weights and stop with an error if they differ; the report
records ``world_size`` and, when it is above 1, ``ranks_agree``. Mixed precision (float16 autocast with a
gradient scaler) is used on CUDA.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

import torch

from ..alphabet import Alphabet
from ..cache import atomic_path, cache_key, write_json_atomic
from ..config import as_dict
from ..paths import cache_dir
from ..training import fit, warmup_cosine
from .augment import augment_images
from .config import RecognizerConfig
from .data import RecognizerData, loader, skip_report
from .evaluate import predict, split_metrics
from .losses import total_loss
from .model import Recognizer, build_recognizer, to_input

# What a trained run depends on (its cache key): the modules that build, feed, train and select the model.
# The pages' helpers (tables, figures, comparisons, experiment, benchmarks) are left out on purpose, so
# editing a table does not retrain every model.
CODE = [
    "fslib.recognizer.config",
    "fslib.recognizer.backbones",
    "fslib.recognizer.heads",
    "fslib.recognizer.model",
    "fslib.recognizer.losses",
    "fslib.recognizer.data",
    "fslib.recognizer.augment",
    "fslib.recognizer.train",
    "fslib.recognizer.evaluate",
    "fslib.recognizer.decode",
    "fslib.recognizer.metrics",
    "fslib.preprocess.dataset",
    "fslib.alphabet",
    "fslib.training",
]
FORMAT = 1


class CheckpointMismatch(ValueError):
    """A recognizer checkpoint of another configuration or alphabet than the one asked for."""


@dataclasses.dataclass
class TrainResult:
    """A finished run: the selected ``model`` (eval mode), its ``history`` (one dict per epoch), ``report``
    (configuration, data sizes, skipped inputs, timings, best epoch) and ``folder``."""

    model: Recognizer
    history: list[dict[str, Any]]
    report: dict[str, Any]
    folder: Path

    @property
    def run_id(self) -> str:
        return self.report["run_id"]


# ------------------------------------------------------------------------------------------- helpers
def _distributed() -> tuple[int, int]:
    """(rank, world size); initialises the process group when started by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return (torch.distributed.get_rank() if world > 1 else 0), world


def _check_ranks_agree(model: torch.nn.Module, epoch: int) -> None:
    """Every process must hold bit-identical weights after an epoch (DistributedDataParallel averages the
    gradients, so they take the same steps); raise naming each rank's digest when they do not."""
    h = hashlib.sha256()
    for name, p in model.named_parameters():
        h.update(name.encode())
        h.update(p.detach().cpu().contiguous().flatten().view(torch.uint8).numpy().tobytes())
    digests: list[Any] = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(digests, h.hexdigest()[:16])
    if len(set(digests)) > 1:
        raise RuntimeError(
            f"after epoch {epoch + 1} the {len(digests)} processes hold different weights "
            f"(parameter digest by rank: {digests}); the data-parallel run is not training one model"
        )


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512_BF16 or AMX tiles), from /proc/cpuinfo (Linux)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_autocast_dtype(precision: str):
    """The autocast dtype of a CPU training step for ``precision`` ("fp32", "bf16", "auto"), None for float32."""
    if precision == "bf16" or (precision == "auto" and cpu_has_bf16()):
        return torch.bfloat16
    return None


def cpu_autocast(precision: str):
    """The autocast context of a CPU training step for ``precision`` (float32: a disabled autocast)."""
    dtype = cpu_autocast_dtype(precision)
    return torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None)


def run_key(cfg: RecognizerConfig, store: Any, alphabet: Alphabet, features: Any = None) -> str:
    ident = {
        "format": FORMAT,
        "config": cfg,
        "crops": str(Path(store.root).resolve()),
        "alphabet": alphabet.symbols,
        "teacher": str(Path(features.root).resolve()) if features is not None else None,
        # "auto" resolves per machine: a run in bfloat16 is not reused where float32 would run, nor the reverse
        "cpu_arithmetic": "bf16" if cpu_autocast_dtype(cfg.precision) is not None else "fp32",
    }
    return cache_key(ident, code=CODE)


def run_id(cfg: RecognizerConfig, key: str) -> str:
    return f"{cfg.variant}-{cfg.teacher or 'none'}-seed{cfg.seed}-{key[:8]}"


def save_checkpoint(path: Path, model: Recognizer, alphabet: Alphabet, extra: dict[str, Any]) -> None:
    """The selected weights with everything needed to rebuild and check them."""
    payload = {
        "format": FORMAT,
        "config": as_dict(model.cfg),
        "alphabet": {"name": alphabet.name, "symbols": list(alphabet.symbols)},
        "teacher_dim": model.teacher_dim,
        "state": model.state_dict(),
        **extra,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(
    path: str | os.PathLike, cfg: RecognizerConfig | None = None, alphabet: Alphabet | None = None
) -> tuple[Recognizer, dict[str, Any]]:
    """A recognizer from ``model.pt``. With ``cfg`` / ``alphabet`` given, a checkpoint whose network shape or
    alphabet differs raises :class:`CheckpointMismatch` naming the differences."""
    from .config import make_config

    payload = torch.load(path, map_location="cpu", weights_only=False)
    saved = make_config({k: v for k, v in payload["config"].items()})
    if cfg is not None:
        diff = {k: (v, cfg.model_fields()[k]) for k, v in saved.model_fields().items() if cfg.model_fields()[k] != v}
        if diff:
            raise CheckpointMismatch(
                f"{path}: the checkpoint's network differs from the configuration asked for: "
                + ", ".join(f"{k} saved {a!r} vs asked {b!r}" for k, (a, b) in diff.items())
            )
    if alphabet is not None and tuple(payload["alphabet"]["symbols"]) != tuple(alphabet.symbols):
        raise CheckpointMismatch(
            f"{path}: trained on the {payload['alphabet']['name']} alphabet "
            f"({''.join(payload['alphabet']['symbols'])!r}), not on {alphabet.name} "
            f"({''.join(alphabet.symbols)!r}); train a model for this alphabet"
        )
    model = Recognizer(saved, len(payload["alphabet"]["symbols"]) + 1, payload["teacher_dim"])
    model.load_state_dict(payload["state"])
    return model.eval(), payload


# ---------------------------------------------------------------------------------------------- train
def make_splits(
    cfg: RecognizerConfig,
    store: Any,
    alphabet: Alphabet,
    features: Any = None,
    train_partitions=("train",),
    dev_partitions=("dev",),
) -> tuple[RecognizerData, RecognizerData]:
    """The training split (augmented, with the teacher's vectors standardised on it) and the dev split."""
    tr = RecognizerData(
        store,
        alphabet,
        train_partitions,
        features=features if cfg.distills else None,
        subsample=cfg.subsample,
        max_frames=cfg.max_frames,
        train=True,
        speed=cfg.speed,
        teacher_norm=cfg.teacher_norm,
        seed=cfg.seed,
        fraction=cfg.train_fraction,
        pose=cfg.pose_hidden > 0,
    )
    dev = RecognizerData(
        store, alphabet, dev_partitions, subsample=cfg.subsample, max_frames=cfg.max_frames, pose=cfg.pose_hidden > 0
    )
    if len(tr) == 0:
        raise ValueError(
            f"no usable training sequence in {store.root} (partitions {train_partitions}); skipped: {skip_report(tr)}"
        )
    return tr, dev


def train(
    cfg: RecognizerConfig,
    store: Any,
    alphabet: Alphabet,
    features: Any = None,
    *,
    progress: bool = True,
    device: str | None = None,
    stop_after: int | None = None,
    root: str | os.PathLike | None = None,
    eval_every: int = 1,
) -> TrainResult | None:
    """Train (or load, or resume) the recognizer of ``cfg`` on ``store``'s train split, selecting the epoch by
    dev letter accuracy.

    features: the teacher's FeatureStore on ``store`` (required when ``cfg`` distils). stop_after: stop after
    this many epochs of this call, leaving the resumable state (returns None when the run is not finished).
    root: the run folder (default: ``cache_dir()/recognizer/<key>``). eval_every: dev evaluation every k
    epochs (and always at the last).
    """
    if cfg.distills and features is None:
        raise ValueError(f"configuration distils from teacher {cfg.teacher!r} but no teacher features were given")
    if cfg.distills and getattr(features.teacher, "name", cfg.teacher) != cfg.teacher:
        raise ValueError(
            f"configuration names teacher {cfg.teacher!r} but the features are {features.teacher.name!r}'s"
        )
    key = run_key(cfg, store, alphabet, features if cfg.distills else None)
    folder = Path(root) if root else cache_dir() / "recognizer" / key
    final = folder / "model.pt"
    if final.exists():
        model, payload = load_checkpoint(final, cfg, alphabet)
        return TrainResult(model, payload["history"], payload["report"], folder)

    rank, world = _distributed()
    dev_name = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    tr, dev = make_splits(cfg, store, alphabet, features)
    torch.manual_seed(cfg.seed)
    teacher_dim = features.dim if cfg.distills else 0
    model = build_recognizer(cfg, alphabet.size, teacher_dim).to(dev_name)
    net = model
    if world > 1:
        # without the 1D-CNN's CTC and the KL term its classifier gets no gradient: DDP must be told
        unused = cfg.w_ctc_cnn == 0 and cfg.w_kl == 0
        net = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=unused)
    train_loader = loader(tr, cfg.batch_size, shuffle=True, seed=cfg.seed)
    steps_per_epoch = len(train_loader) // world if world > 1 else len(train_loader)
    if steps_per_epoch == 0:
        raise ValueError(
            f"{len(train_loader)} training batches cannot be shared by {world} processes; "
            "lower batch_size or the number of processes"
        )
    amp = dev_name.startswith("cuda")
    cpu_dtype = cpu_autocast_dtype(cfg.precision) if not amp else None

    def batches(rnd):
        """This process's share of the epoch's batches, as network inputs, augmented."""
        tr.set_epoch(rnd.epoch)
        train_loader.batch_sampler.set_epoch(rnd.epoch)
        for b, batch in enumerate(train_loader):
            if b >= steps_per_epoch * world:
                break  # every process takes the same number of steps
            if b % world != rank:
                continue
            B, T = batch["frames"].shape[:2]
            images = to_input(batch["frames"].flatten(0, 1), cfg.input_size).unflatten(0, (B, T))
            images = augment_images(images, cfg.jitter, cfg.color, cfg.rotate, generator=rnd.torch).to(dev_name)
            yield images, {k: (v.to(dev_name) if torch.is_tensor(v) else v) for k, v in batch.items()}
        if world > 1:  # reached once the epoch's last step is taken (fit draws the batches to the end)
            _check_ranks_agree(model, rnd.epoch)

    def step(item):
        images, batch = item
        if amp:
            with torch.autocast("cuda"):
                out = net(images, batch["lengths"], batch.get("pose"))
        else:
            with cpu_autocast(cfg.precision):
                out = net(images, batch["lengths"], batch.get("pose"))
        loss, terms = total_loss(out, batch, cfg)
        return loss, terms, int(batch["lengths"].sum())

    def evaluate():
        metrics = split_metrics(predict(model, dev, device=dev_name)) if len(dev) else {}
        return {k: v for k, v in metrics.items() if k != "sequences"}

    report = {
        "run_id": run_id(cfg, key),
        "key": key,
        "config": as_dict(cfg),
        "variant": cfg.variant,
        "teacher": cfg.teacher if cfg.distills else "",
        "alphabet": alphabet.name,
        "train_sequences": len(tr),
        "dev_sequences": len(dev),
        "skipped": skip_report(tr, dev),
        "parameters": model.parameter_counts(),
        "device": dev_name,
        "world_size": world,
        "threads": torch.get_num_threads(),
        "precision": "fp16" if amp else ("bf16" if cpu_dtype is not None else "fp32"),
    }
    if cfg.distills:
        report["teacher_features"] = str(Path(features.root).name)
    fitted = fit(
        model,
        batches=batches,
        step=step,
        steps_per_epoch=steps_per_epoch,
        epochs=cfg.epochs,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        seed=cfg.seed,
        resume=folder / "resume.pt",
        evaluate=evaluate,
        eval_prefix="dev",
        select="letter_accuracy",
        eval_every=eval_every,
        schedule=warmup_cosine(cfg.epochs * steps_per_epoch, round(cfg.warmup * cfg.epochs * steps_per_epoch)),
        clip=cfg.clip,
        amp=amp,
        unit="frames",
        module=net,
        rank=rank,
        desc=f"train {report['run_id']}",
        progress=progress,
        stop_after=stop_after,
        device=dev_name,
    )
    if fitted is None:
        return None
    model.eval()
    history = fitted.history
    report.update(
        best_epoch=fitted.best_epoch,
        best_dev_letter_accuracy=fitted.best_value,
        train_seconds=sum(h["train_seconds"] for h in history),
        train_frames_per_s=sum(h["train_frames_per_s"] * h["train_seconds"] for h in history)
        / max(sum(h["train_seconds"] for h in history), 1e-9),
    )
    if world > 1:
        report["ranks_agree"] = True  # checked after every epoch by _check_ranks_agree, which raises otherwise
    if rank == 0:
        save_checkpoint(final, model, alphabet, {"history": history, "report": report})
        write_json_atomic(folder / "report.json", report)
        (folder / "resume.pt").unlink(missing_ok=True)
    return TrainResult(model, history, report, folder)
