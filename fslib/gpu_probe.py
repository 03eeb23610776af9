"""One prepared benchmark of this study's networks on a GPU: what they cost at the source study's size.

Run from the repository root (``PYTHONPATH=.`` where fslib is not installed)::

    python -m fslib.gpu_probe --out DIR [--device cuda] [--budget-s 300] [--quick] [--only inference,hamer]

Measurements (each variant in its own try/except: a failure is an ``error`` row, a measurement started after
``--budget-s`` is a ``skipped`` row; the files are always written and the exit status is 0):

- ``environment``: GPU, capability, memory, SMs, driver / CUDA / cuDNN / NCCL / torch versions.
- ``matmul``: n x n x n products (n = 8192) in float32 with TF32 off (``fp32``) and on (``tf32``), bfloat16 and
  float16 tensors; TFLOP/s.
- ``check``: whether the Recognizer runs forward under fp16 / bf16 autocast (its per-frame feature buffer takes
  the backbone's dtype; ``tests/test_recognizer.py`` pins it). When it does not, the inference and training
  measurements under autocast fail and say so in their error rows.
- ``inference``: the student as it runs at test time (:class:`fslib.recognizer.model.Recognizer` without a
  teacher: ResNet34 -> 1D-CNN -> BiGRU -> CTC logits) at the paper's size: one clip of T frames at batch 1
  (``clip_b1``: latency of the clip, and per frame = clip / T), one frame at a time through the backbone
  (``frame_b1_backbone``: the per-frame part of a streaming pipeline), and throughput at 32 clips
  (``throughput_b32``); fp32, tf32, bf16 and fp16 autocast.
- ``hamer``: the released-size HaMeR (:func:`fslib.teachers.hamer.build_hamer`, ViT-H/16 on the central
  256 x 192 of a 256 px crop, random weights) at batch 1 (latency), batch T (one clip's crops) and batch 64
  (throughput); same precisions.
- ``ratio``: per-frame time of (student + HaMeR in the loop) / (student alone), per precision, in three regimes:
  ``frame`` (one frame at a time), ``clip`` (a T-frame clip at batch 1 plus HaMeR on its T crops), ``throughput``
  (32 clips; HaMeR at batch 64). It is the factor by which a pipeline that also runs HaMeR per frame is slower.
- ``train``: training steps of the student at the ``paper`` profile's settings (fslib/study.yml: width 64 =
  torchvision's ResNet34, input 224 px, batch 16 sequences, AdamW lr 1e-3, clip 5) with the distillation
  projection to a 1024-d teacher vector (random teacher vectors), the full loss of
  :func:`fslib.recognizer.losses.total_loss` (both CTCs, KL, cosine distillation): fp32, tf32, bf16 autocast,
  fp16 autocast with a gradient scaler (what fslib.recognizer.train does on CUDA), bf16 with
  cudnn.benchmark, and fp16 / bf16 inside DistributedDataParallel on one GPU (NCCL, world size 1). The
  Recognizer keeps its backbone and inputs channels_last in every variant (model.py), so channels_last is not
  a variant of its own. A batch that does not fit (or whose first step takes longer than 30 s) is halved and
  the note says so.

Sequences are T = 48 frames (1.6 s at 30 frames/s, a typical ChicagoFSWild clip length; chosen, not measured
from the corpus), all of full length; labels of 6 letters. Inputs are random, already normalised float crops
on the device: crop decoding and preprocessing are not timed. Timings: warm-up calls excluded, a
synchronisation before and after each timed call, the median of the repeats. Peak memory:
``torch.cuda.max_memory_allocated`` reset before each measurement (it includes the model's weights).

Outputs in ``--out``: ``gpu_probe.json`` (everything, with each measurement's settings), ``gpu_probe.csv``
(long format: measurement, variant, precision, batch, metric, value, unit, note) and ``gpu_probe.txt`` (the
printed summary), rewritten after every measurement; a watchdog writes them and exits (status 0) if the
run is still going ``--hard-limit-s`` after its start (default: budget + 50 s), e.g. on a hung collective.
``--quick``: tiny sizes and 1-2 timed calls, to check the script on a CPU.

Only torch, torchvision and fslib modules that need nothing else are imported: the HaMeR module is loaded
without the :mod:`fslib.teachers` package's ``__init__`` (which imports every teacher) when that import
fails, e.g. on a machine without OpenCV or MediaPipe.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime
import gc
import importlib
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
import types
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

MEASUREMENTS = ("environment", "matmul", "inference", "hamer", "ratio", "train")  # "check" runs with the last two
PRECISIONS = ("fp32", "tf32", "bf16", "fp16")
FILES = ("gpu_probe.json", "gpu_probe.csv", "gpu_probe.txt")
CSV_FIELDS = ("measurement", "variant", "precision", "batch", "metric", "value", "unit", "note")


@dataclasses.dataclass(frozen=True)
class Sizes:
    """What is measured at which size. ``PAPER`` is the source study's scale, ``QUICK`` a CPU smoke test."""

    matmul_n: int = 8192
    width: int = 64  # ResNet34 base width (64 = torchvision's)
    input_size: int = 224
    batch: int = 16  # sequences per training step
    frames: int = 48  # frames per sequence (T)
    fps: int = 30
    label_len: int = 6
    teacher_dim: int = 1024  # the released HaMeR's embedding
    infer_clips: int = 32
    hamer_size: str = "released"
    hamer_throughput_batch: int = 64
    warmup: int = 3
    repeats: int = 10
    train_warmup: int = 3
    train_repeats: int = 6
    max_step_s: float = 30.0  # a first training step slower than this halves the batch

    @property
    def hamer_batches(self) -> tuple[int, ...]:
        return tuple(sorted({1, self.frames, self.hamer_throughput_batch}))


PAPER = Sizes()
QUICK = Sizes(
    matmul_n=128,
    width=4,
    input_size=16,
    batch=2,
    frames=4,
    label_len=1,
    infer_clips=2,
    hamer_size="tiny",
    hamer_throughput_batch=6,
    warmup=1,
    repeats=2,
    train_warmup=1,
    train_repeats=1,
    max_step_s=math.inf,
)


# --------------------------------------------------------------------------------------------- plumbing
def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_nan_to_none(v) for v in x]
    return x


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def _free_memory(dev: torch.device) -> None:
    if dev.type == "cuda":
        gc.collect()
        torch.cuda.empty_cache()


def _time_calls(fn: Callable[[], Any], dev: torch.device, warmup: int, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones, synchronised."""
    for _ in range(warmup):
        fn()
    _sync(dev)
    times = []
    for _ in range(repeats):
        _sync(dev)
        t0 = time.perf_counter()
        fn()
        _sync(dev)
        times.append(time.perf_counter() - t0)
    return times


def _get_tf32() -> dict[str, Any]:
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, get in (
            ("matmul_allow_tf32", lambda: torch.backends.cuda.matmul.allow_tf32),
            ("cudnn_allow_tf32", lambda: torch.backends.cudnn.allow_tf32),
        ):
            try:
                out[name] = bool(get())
            except Exception as exc:  # torch's mixed legacy / new TF32 API check
                out[name] = f"unreadable ({type(exc).__name__})"
    return out


def _set_tf32(on: bool) -> None:
    # The legacy flags are the consistent way to set both across torch 2.x (the fp32_precision API of
    # torch >= 2.9 raises on reads when the two are mixed).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.backends.cuda.matmul.allow_tf32 = on
        torch.backends.cudnn.allow_tf32 = on


@contextlib.contextmanager
def _precision(
    dev: torch.device, precision: str, benchmark: bool = False, autocast: bool = True
) -> Iterator[dict[str, Any]]:
    """TF32 on for ``tf32`` only; autocast to bfloat16 / float16 for ``bf16`` / ``fp16`` (unless ``autocast`` is
    False: the caller opens it); cudnn.benchmark; yields the settings used."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: use one of {PRECISIONS}")
    saved = _get_tf32()
    saved_bench = torch.backends.cudnn.benchmark
    _set_tf32(precision == "tf32")
    torch.backends.cudnn.benchmark = benchmark
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    settings = {
        "precision": precision,
        "autocast": str(dtype).replace("torch.", "") if dtype else None,
        "tf32": precision == "tf32",
        "cudnn_benchmark": benchmark,
    }
    ctx = torch.autocast(dev.type, dtype=dtype) if dtype is not None and autocast else contextlib.nullcontext()
    try:
        with ctx:
            yield settings
    finally:
        torch.backends.cudnn.benchmark = saved_bench
        if all(isinstance(v, bool) for v in saved.values()):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.backends.cuda.matmul.allow_tf32 = saved["matmul_allow_tf32"]
                torch.backends.cudnn.allow_tf32 = saved["cudnn_allow_tf32"]


class _TooSlow(Exception):
    pass


def _is_oom(exc: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None)
    return (oom is not None and isinstance(exc, oom)) or "out of memory" in str(exc).lower()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _process_group(dev: torch.device) -> Iterator[dict[str, Any]]:
    """A one-process group (NCCL on CUDA, gloo on CPU) on a free local port, destroyed afterwards."""
    import torch.distributed as dist

    backend = "nccl" if dev.type == "cuda" else "gloo"
    port = _free_port()
    env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        dist.init_process_group(backend, rank=0, world_size=1, timeout=datetime.timedelta(seconds=120))
        try:
            yield {"backend": backend, "world_size": 1, "rank": 0, "master": f"127.0.0.1:{port}"}
        finally:
            dist.destroy_process_group()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ------------------------------------------------------------------------------------- light imports
def load_hamer_module() -> tuple[types.ModuleType, str]:
    """:mod:`fslib.teachers.hamer` and how it was imported.

    The normal import runs the :mod:`fslib.teachers` package's ``__init__``, which imports every teacher
    (OpenCV, MediaPipe, tqdm ...). When that fails, the package is replaced by an empty namespace over the same
    folder (so only hamer.py's own chain is imported: the ViT, the MANO head, the crop preprocessing), and
    if OpenCV is missing, preprocess.py's module-level ``import cv2`` is given an empty placeholder for the
    duration of the import (the network uses only its ``central_columns``, a tensor slice).
    """
    try:
        return importlib.import_module("fslib.teachers.hamer"), "normal import"
    except Exception as exc:  # ImportError, or a broken OpenCV / MediaPipe build
        first = f"{type(exc).__name__}: {exc}"
    import fslib

    folder = Path(fslib.__file__).resolve().parent / "teachers"
    pkg = types.ModuleType("fslib.teachers")
    pkg.__path__ = [str(folder)]
    pkg.__file__ = str(folder / "__init__.py")
    pkg.__package__ = "fslib.teachers"
    sys.modules["fslib.teachers"] = pkg
    absent = object()
    saved: Any = None  # what sys.modules held for cv2 before the placeholder (absent: nothing)
    placeholder = False
    try:
        import cv2  # noqa: F401
    except Exception:
        placeholder, saved = True, sys.modules.get("cv2", absent)
        sys.modules["cv2"] = types.ModuleType("cv2")
    try:
        mod = importlib.import_module("fslib.teachers.hamer")
    finally:
        if placeholder:
            if saved is absent:
                sys.modules.pop("cv2", None)
            else:
                sys.modules["cv2"] = saved
    how = "package __init__ bypassed" + (", placeholder for cv2" if placeholder else "")
    return mod, f"{how} (normal import failed: {first})"


def student_config(sizes: Sizes):
    """The ``paper`` profile's recognizer configuration (fslib/study.yml, 04_recognizer), full loss, HaMeR
    teacher; built directly (its ``validate`` imports the whole teachers package), validated when possible."""
    from fslib.recognizer.config import RecognizerConfig

    cfg = RecognizerConfig(
        width=sizes.width,
        input_size=sizes.input_size,
        imagenet=False,
        epochs=30,
        batch_size=sizes.batch,
        lr=0.001,
        teacher="hamer",
        seed=0,
    )
    try:
        cfg.validate()
        checked = "validated"
    except Exception as exc:
        from fslib.config import ConfigError

        if isinstance(exc, ConfigError):
            raise
        checked = f"not validated (RecognizerConfig.validate needs the teachers package: {exc})"
    return cfg, checked


def _classes() -> int:
    from fslib import alphabet

    return alphabet.get("fswild").size


# ------------------------------------------------------------------------------------------- recorder
class Probe:
    """Runs measurements under a time budget and collects long-format rows and per-measurement records."""

    def __init__(self, dev: torch.device, sizes: Sizes, budget_s: float, quick: bool):
        self.dev, self.sizes, self.budget_s, self.quick = dev, sizes, budget_s, quick
        self.t0 = time.monotonic()
        self.rows: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = []
        self.cache: dict[str, Any] = {}
        self.after: Callable[[dict[str, Any]], None] | None = None  # called after each measurement
        self.lock = threading.Lock()  # held while the rows change or the files are written

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def row(self, measurement, variant, precision, batch, metric, value, unit="", note="") -> None:
        self.rows.append(
            dict(
                measurement=measurement,
                variant=variant,
                precision=precision,
                batch=batch if batch is not None else "",
                metric=metric,
                value=float(value) if value is not None else math.nan,
                unit=unit,
                note=note,
            )
        )

    def shared(self, key: str, build: Callable[[], Any]) -> Any:
        """Build once per group of measurements (a failure is re-raised to each of them)."""
        if key not in self.cache:
            try:
                self.cache[key] = build()
            except Exception as exc:
                self.cache[key] = exc
        got = self.cache[key]
        if isinstance(got, Exception):
            raise RuntimeError(f"building {key} failed: {type(got).__name__}: {got}") from got
        return got

    def release(self) -> None:
        self.cache.clear()
        _free_memory(self.dev)

    def measure(
        self,
        measurement: str,
        variant: str,
        precision: str,
        batch: int | None,
        fn: Callable[[dict[str, Any]], dict[str, tuple[float, str]]],
        settings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run ``fn(entry)`` (it returns {metric: (value, unit)} and may set entry's batch, note, settings,
        details); record its rows, or an ``error`` / ``skipped`` row."""
        entry: dict[str, Any] = {
            "measurement": measurement,
            "variant": variant,
            "precision": precision,
            "batch": batch,
            "status": "running",
            "settings": dict(settings or {}),
            "metrics": {},
            "note": "",
        }
        with self.lock:
            self.entries.append(entry)
        if self.elapsed() > self.budget_s:
            with self.lock:
                entry.update(status="skipped", seconds=0.0)
                entry["note"] = f"budget of {self.budget_s:.0f} s spent ({self.elapsed():.0f} s elapsed)"
                self.row(measurement, variant, precision, batch, "skipped", math.nan, "", entry["note"])
            if self.after is not None:
                self.after(entry)
            return entry
        t0 = time.perf_counter()
        cuda = self.dev.type == "cuda"
        try:
            _free_memory(self.dev)
            if cuda:
                torch.cuda.reset_peak_memory_stats(self.dev)
            metrics = dict(fn(entry))
            if cuda and measurement not in ("environment", "ratio"):
                metrics["peak_memory_gb"] = (torch.cuda.max_memory_allocated(self.dev) / 1e9, "GB")
                entry["details"] = {
                    **entry.get("details", {}),
                    "peak_reserved_gb": torch.cuda.max_memory_reserved(self.dev) / 1e9,
                }
            with self.lock:
                entry["metrics"] = {k: {"value": v, "unit": u} for k, (v, u) in metrics.items()}
                entry["status"] = "ok"
                for k, (v, u) in metrics.items():
                    self.row(measurement, variant, precision, entry["batch"], k, v, u, entry["note"])
        except Exception as exc:
            msg = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:600]
            with self.lock:
                entry.update(status="error", error=msg, traceback=traceback.format_exc(limit=12))
                self.row(measurement, variant, precision, entry["batch"], "error", math.nan, "", msg)
            del exc
        finally:
            entry["seconds"] = time.perf_counter() - t0
            _free_memory(self.dev)
        if self.after is not None:
            self.after(entry)
        return entry

    def metric(self, measurement: str, variant: str, precision: str, metric: str) -> float:
        for e in self.entries:
            if (e["measurement"], e["variant"], e["precision"]) == (measurement, variant, precision):
                m = e["metrics"].get(metric)
                if m is not None:
                    return float(m["value"])
        raise KeyError(f"no {metric} for {measurement}/{variant}/{precision} (measurement failed or skipped)")


# --------------------------------------------------------------------------------------- measurements
def _nvidia_smi() -> dict[str, str]:
    fields = ["driver_version", "power.limit", "clocks.max.sm", "clocks.max.mem", "mig.mode.current"]
    try:
        out = subprocess.run(
            ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        if out.returncode == 0 and out.stdout.strip():
            vals = [v.strip() for v in out.stdout.strip().splitlines()[0].split(",")]
            return dict(zip(fields, vals))
        return {"nvidia_smi": f"exit {out.returncode}: {out.stderr.strip()[:200]}"}
    except Exception as exc:
        return {"nvidia_smi": f"{type(exc).__name__}: {exc}"}


def measure_environment(p: Probe, entry: dict[str, Any]) -> dict[str, tuple[float, str]]:
    import torchvision

    info: dict[str, Any] = {
        "device": str(p.dev),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cuda_build": torch.version.cuda,
        "python": sys.version.split()[0],
        "tf32_defaults": _get_tf32(),
        "cudnn_benchmark_default": torch.backends.cudnn.benchmark,
    }
    with contextlib.suppress(Exception):
        from fslib import envinfo

        info["machine"] = envinfo.machine()
    metrics: dict[str, tuple[float, str]] = {"cpu_count": (float(os.cpu_count() or 0), "cores")}
    with contextlib.suppress(Exception):
        info["cudnn"] = torch.backends.cudnn.version()
    if p.dev.type == "cuda":
        idx = p.dev.index if p.dev.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(idx)
        info.update(
            gpu_name=props.name,
            capability=f"{props.major}.{props.minor}",
            gpu_count=torch.cuda.device_count(),
            sms=props.multi_processor_count,
            memory_gb=props.total_memory / 1e9,
            l2_cache_mb=getattr(props, "L2_cache_size", 0) / 2**20,
            bf16_supported=torch.cuda.is_bf16_supported(),
            **_nvidia_smi(),
        )
        with contextlib.suppress(Exception):
            v = torch.cuda.nccl.version()
            info["nccl"] = ".".join(map(str, v)) if isinstance(v, tuple) else str(v)
        metrics.update(
            capability=(props.major + props.minor / 10, ""),
            sms=(float(props.multi_processor_count), "SMs"),
            memory_gb=(props.total_memory / 1e9, "GB"),
            gpu_count=(float(torch.cuda.device_count()), "GPUs"),
        )
    entry["details"] = info
    strings = (
        "gpu_name",
        "driver_version",
        "cuda_build",
        "cudnn",
        "nccl",
        "torch",
        "torchvision",
        "python",
        "mig.mode.current",
    )
    entry["note"] = "; ".join(f"{k}={info[k]}" for k in strings if k in info)
    return metrics


def measure_matmul(p: Probe, precision: str) -> Callable[[dict[str, Any]], dict[str, tuple[float, str]]]:
    def fn(entry):
        n = p.sizes.matmul_n
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
        g = torch.Generator(device=p.dev).manual_seed(0)
        a = torch.randn(n, n, device=p.dev, dtype=dtype, generator=g)
        b = torch.randn(n, n, device=p.dev, dtype=dtype, generator=g)
        with _precision(p.dev, "tf32" if precision == "tf32" else "fp32") as st:
            times = _time_calls(lambda: a @ b, p.dev, p.sizes.warmup, p.sizes.repeats)
        med = statistics.median(times)
        entry["settings"].update(n=n, dtype=str(dtype).replace("torch.", ""), tf32=st["tf32"], repeats=len(times))
        entry["details"] = {"seconds": times}
        return {"tflops": (2 * n**3 / med / 1e12, "TFLOP/s"), "seconds": (med, "s")}

    return fn


def measure_autocast_check(p: Probe, precision: str) -> Callable[[dict[str, Any]], dict[str, tuple[float, str]]]:
    """Does the Recognizer run forward under autocast? (Its forward writes the backbone's features into a
    buffer by index, which requires the buffer to take their dtype.) A failure is recorded, not worked around."""

    def fn(entry):
        from fslib.recognizer.config import RecognizerConfig
        from fslib.recognizer.model import Recognizer

        cfg = RecognizerConfig(width=4, input_size=16, teacher="", w_distill=0.0)
        model = Recognizer(cfg, _classes(), 0).to(p.dev)
        x = torch.randn(1, 3, 3, 16, 16, device=p.dev)
        lengths = torch.tensor([3], device=p.dev)
        entry["settings"].update(
            what="unmodified Recognizer forward (width 4, 16 px, 3 frames) under torch.autocast",
            autocast=precision,
        )
        try:
            with _precision(p.dev, precision):
                model(x, lengths)
            ok = 1.0
        except RuntimeError as exc:
            if "dtype" not in str(exc):
                raise
            ok = 0.0
            entry["note"] = (
                f"{exc} -- fslib/recognizer/model.py no longer runs under autocast (see "
                "tests/test_recognizer.py::test_forward_under_bf16_autocast_keeps_the_features_dtype)"
            ).replace("\n", " ")
        return {"unpatched_autocast_forward_ok": (ok, "bool")}

    return fn


def _student(p: Probe, teacher_dim: int):
    from fslib.recognizer.model import Recognizer

    cfg, checked = student_config(p.sizes)
    torch.manual_seed(0)
    model = Recognizer(cfg, _classes(), teacher_dim).to(p.dev)
    return model, cfg, checked


def _model_settings(p: Probe, model, cfg, checked: str) -> dict[str, Any]:
    counts = model.parameter_counts()
    return {
        "model": "fslib.recognizer.model.Recognizer: ResNet34 -> 1D-CNN -> BiGRU -> CTC"
        + (" + projection to the teacher" if model.project is not None else " (no projection: test time)"),
        "config": dataclasses.asdict(cfg),
        "config_check": checked,
        "classes": model.classes,
        "teacher_dim": model.teacher_dim,
        "frames_per_sequence": p.sizes.frames,
        "fps": p.sizes.fps,
        "parameters_millions": {k: v / 1e6 for k, v in counts.items()},
        "input": "random normalised float crops on the device (preprocessing not timed)",
    }


def measure_inference(p: Probe, kind: str, precision: str) -> Callable[[dict[str, Any]], dict[str, tuple[float, str]]]:
    def fn(entry):
        model, cfg, checked = p.shared("student_eval", lambda: _student(p, 0))
        model.eval()
        s, T = cfg.input_size, p.sizes.frames
        g = torch.Generator(device=p.dev).manual_seed(1)
        if kind == "frame_b1_backbone":
            x = torch.randn(1, 3, s, s, device=p.dev, generator=g).contiguous(memory_format=torch.channels_last)
            frames = 1

            def call():
                return model.encode_frames(x)

        else:
            clips = 1 if kind == "clip_b1" else p.sizes.infer_clips
            x = torch.randn(clips, T, 3, s, s, device=p.dev, generator=g)
            lengths = torch.full((clips,), T, dtype=torch.long, device=p.dev)
            frames = clips * T

            def call():
                return model(x, lengths)

        reps = p.sizes.repeats * (3 if kind != "throughput" and not p.quick else 1)
        with torch.inference_mode(), _precision(p.dev, precision) as st:
            times = _time_calls(call, p.dev, p.sizes.warmup, reps)
        med = statistics.median(times)
        entry["settings"].update(_model_settings(p, model, cfg, checked), **st, frames_per_call=frames, repeats=reps)
        entry["details"] = {"seconds": times}
        return {
            "call_ms": (med * 1e3, "ms"),
            "per_frame_ms": (med * 1e3 / frames, "ms/frame"),
            "frames_per_s": (frames / med, "frames/s"),
        }

    return fn


def _hamer(p: Probe):
    mod, how = load_hamer_module()
    t0 = time.perf_counter()
    model = mod.build_hamer(p.sizes.hamer_size, init="fast")
    build_s = time.perf_counter() - t0
    model = model.to(p.dev).eval()
    return model, how, build_s


def measure_hamer_build(p: Probe, entry: dict[str, Any]) -> dict[str, tuple[float, str]]:
    model, how, build_s = p.shared("hamer", lambda: _hamer(p))
    counts = model.parameter_counts()
    entry["settings"].update(
        size=p.sizes.hamer_size,
        config=dataclasses.asdict(model.config),
        import_path=how,
        weights="random (build_hamer init='fast')",
    )
    return {
        "parameters_millions": (counts["total"] / 1e6, "M"),
        "backbone_parameters_millions": (counts["backbone"] / 1e6, "M"),
        "build_s": (build_s, "s"),
    }


def measure_hamer(p: Probe, batch: int, precision: str) -> Callable[[dict[str, Any]], dict[str, tuple[float, str]]]:
    def fn(entry):
        model, how, _ = p.shared("hamer", lambda: _hamer(p))
        s = model.config.image_size
        g = torch.Generator(device=p.dev).manual_seed(2)
        x = torch.randn(batch, 3, s, s, device=p.dev, generator=g)
        reps = p.sizes.repeats * (2 if batch == 1 and not p.quick else 1)
        with torch.inference_mode(), _precision(p.dev, precision) as st:
            times = _time_calls(lambda: model(x)["embedding"], p.dev, p.sizes.warmup, reps)
        med = statistics.median(times)
        entry["settings"].update(
            size=p.sizes.hamer_size,
            input=f"({batch}, 3, {s}, {s}) random normalised crops; the backbone sees {model.config.crop_hw}",
            import_path=how,
            repeats=reps,
            **st,
        )
        entry["details"] = {"seconds": times}
        return {
            "call_ms": (med * 1e3, "ms"),
            "per_crop_ms": (med * 1e3 / batch, "ms/crop"),
            "crops_per_s": (batch / med, "crops/s"),
        }

    return fn


def measure_ratio(p: Probe, regime: str, precision: str) -> Callable[[dict[str, Any]], dict[str, tuple[float, str]]]:
    T, clips, hb = p.sizes.frames, p.sizes.infer_clips, p.sizes.hamer_throughput_batch

    def fn(entry):
        if regime == "frame":
            student = p.metric("inference", "frame_b1_backbone", precision, "per_frame_ms")
            hamer = p.metric("hamer", "b1", precision, "per_crop_ms")
            how = "student backbone on one frame (batch 1) vs + HaMeR on that frame's crop (batch 1)"
        elif regime == "clip":
            student = p.metric("inference", "clip_b1", precision, "per_frame_ms")
            hamer = p.metric("hamer", f"b{T}", precision, "per_crop_ms")
            how = f"student on one {T}-frame clip (batch 1) vs + HaMeR on the clip's {T} crops (batch {T}); per frame"
        else:
            student = p.metric("inference", f"throughput_b{clips}", precision, "per_frame_ms")
            hamer = p.metric("hamer", f"b{hb}", precision, "per_crop_ms")
            how = f"student at {clips} clips x {T} frames vs + HaMeR at batch {hb}; per frame"
        entry["settings"].update(definition=how, formula="(student + hamer) / student, per-frame times")
        return {
            "slowdown_x": ((student + hamer) / student, "x"),
            "student_ms_per_frame": (student, "ms/frame"),
            "hamer_ms_per_frame": (hamer, "ms/frame"),
            "pipeline_ms_per_frame": (student + hamer, "ms/frame"),
        }

    return fn


def _train_batch(p: Probe, B: int, cfg, classes: int) -> dict[str, torch.Tensor]:
    T, L, s, D = p.sizes.frames, p.sizes.label_len, cfg.input_size, p.sizes.teacher_dim
    g = torch.Generator(device=p.dev).manual_seed(3)
    return {
        "images": torch.randn(B, T, 3, s, s, device=p.dev, generator=g),
        "lengths": torch.full((B,), T, dtype=torch.long, device=p.dev),
        "targets": torch.randint(1, classes, (B * L,), device=p.dev, generator=g),
        "target_lengths": torch.full((B,), L, dtype=torch.long, device=p.dev),
        "teacher": torch.randn(B, T, D, device=p.dev, generator=g),
        "teacher_mask": torch.ones(B, T, dtype=torch.bool, device=p.dev),
    }


def _train_once(p: Probe, B: int, precision: str, ddp: bool, benchmark: bool, entry: dict[str, Any]):
    from fslib.recognizer.losses import total_loss

    model, cfg, checked = _student(p, p.sizes.teacher_dim)
    model.train()
    net = model
    if ddp:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[p.dev.index or 0] if p.dev.type == "cuda" else None
        )
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scaler = torch.amp.GradScaler(p.dev.type, enabled=precision == "fp16")
    batch = _train_batch(p, B, cfg, model.classes)
    losses: list[dict[str, float]] = []

    autocast = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    with _precision(p.dev, precision, benchmark, autocast=False) as st:

        def step():
            # as fslib.training.fit with fslib.recognizer.train's step: the forward under autocast, the loss
            # outside it, scaled backward, unscale, clip, step
            opt.zero_grad(set_to_none=True)
            with torch.autocast(p.dev.type, dtype=autocast, enabled=autocast is not None):
                out = net(batch["images"], batch["lengths"])
            loss, terms = total_loss(out, batch, cfg)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            scaler.step(opt)
            scaler.update()
            losses.append(terms)

        _sync(p.dev)
        t0 = time.perf_counter()
        step()
        _sync(p.dev)
        first = time.perf_counter() - t0
        limit = p.sizes.max_step_s * (4 if benchmark else 1)  # cudnn.benchmark tries every algorithm first
        if first > limit and B > 1:
            raise _TooSlow(f"batch {B}: first step took {first:.1f} s (> {limit:.0f} s)")
        times = _time_calls(step, p.dev, max(p.sizes.train_warmup - 1, 0), p.sizes.train_repeats)
    entry["settings"].update(
        _model_settings(p, model, cfg, checked),
        **st,
        grad_scaler=precision == "fp16",
        ddp=ddp,
        optimizer=f"AdamW lr {cfg.lr} weight decay {cfg.weight_decay}, gradient clipping at {cfg.clip}",
        loss="fslib.recognizer.losses.total_loss: ctc_gru + ctc_cnn + kl + distill (cosine to random 1024-d vectors)",
        label_len=p.sizes.label_len,
        warmup_steps=p.sizes.train_warmup,
        timed_steps=len(times),
        channels_last="backbone and its inputs are channels_last in every variant (Recognizer does it)",
    )
    entry["details"] = {"seconds": times, "first_step_s": first, "last_terms": losses[-1] if losses else {}}
    finite = all(math.isfinite(v) for v in (losses[-1] if losses else {}).values())
    if not finite:
        entry["note"] = (entry["note"] + "; " if entry["note"] else "") + "non-finite loss term (random data)"
    return times, first


def measure_train(p: Probe, precision: str, ddp: bool = False, benchmark: bool = False):
    def fn(entry):
        notes: list[str] = []
        B = p.sizes.batch
        while B >= 1:
            failure = None
            try:
                if ddp:
                    with _process_group(p.dev) as pg:
                        times, first = _train_once(p, B, precision, ddp, benchmark, entry)
                    entry["settings"]["process_group"] = pg
                else:
                    times, first = _train_once(p, B, precision, ddp, benchmark, entry)
            except _TooSlow as exc:
                failure = str(exc)
            except Exception as exc:
                if not _is_oom(exc):
                    raise
                failure = f"batch {B}: out of memory"
            if failure is None:
                break
            notes.append(failure)
            _free_memory(p.dev)
            if p.dev.type == "cuda":
                torch.cuda.reset_peak_memory_stats(p.dev)
            B //= 2
        else:
            raise RuntimeError("no batch size fits: " + "; ".join(notes))
        if notes:
            entry["note"] = "; ".join(notes + [f"measured at batch {B}"] + ([entry["note"]] if entry["note"] else []))
        entry["batch"] = B
        med = statistics.median(times)
        frames = B * p.sizes.frames
        return {
            "step_s": (med, "s"),
            "step_s_min": (min(times), "s"),
            "frames_per_s": (frames / med, "frames/s"),
            "sequences_per_s": (B / med, "sequences/s"),
            "first_step_s": (first, "s"),
        }

    return fn


# ------------------------------------------------------------------------------------------------ run
def run_probe(p: Probe, only: tuple[str, ...] = MEASUREMENTS) -> Probe:
    """Run the measurements named in ``only`` (in the order of :data:`MEASUREMENTS`) into ``p``."""
    sizes, clips = p.sizes, p.sizes.infer_clips
    if "environment" in only:
        p.measure("environment", "device", "", None, lambda e: measure_environment(p, e))
    if "matmul" in only:
        for prec in PRECISIONS:
            p.measure("matmul", f"n{sizes.matmul_n}", prec, None, measure_matmul(p, prec))
    if "inference" in only or "train" in only:
        for prec in ("fp16", "bf16"):
            p.measure("check", "recognizer_autocast", prec, None, measure_autocast_check(p, prec))
    if "inference" in only:
        for prec in PRECISIONS:
            p.measure("inference", "clip_b1", prec, 1, measure_inference(p, "clip_b1", prec))
            p.measure("inference", "frame_b1_backbone", prec, 1, measure_inference(p, "frame_b1_backbone", prec))
            p.measure("inference", f"throughput_b{clips}", prec, clips, measure_inference(p, "throughput", prec))
        p.release()
    if "hamer" in only:
        p.measure("hamer", "build", "fp32", None, lambda e: measure_hamer_build(p, e))
        for prec in PRECISIONS:
            for b in sizes.hamer_batches:
                p.measure("hamer", f"b{b}", prec, b, measure_hamer(p, b, prec))
        p.release()
    if "ratio" in only:
        for prec in PRECISIONS:
            for regime in ("frame", "clip", "throughput"):
                p.measure("ratio", regime, prec, None, measure_ratio(p, regime, prec))
    if "train" in only:
        for prec in PRECISIONS:
            p.measure("train", "single", prec, sizes.batch, measure_train(p, prec))
        p.measure("train", "cudnn_benchmark", "bf16", sizes.batch, measure_train(p, "bf16", benchmark=True))
        for prec in ("fp16", "bf16"):
            p.measure("train", "ddp_1gpu", prec, sizes.batch, measure_train(p, prec, ddp=True))
    p.release()
    return p


def summary(p: Probe, width: int = 150) -> str:
    """One line per measurement: its main numbers (or its error / skip), cut at ``width`` characters."""
    key = {
        "environment": ("capability", "sms", "memory_gb"),
        "matmul": ("tflops",),
        "check": ("unpatched_autocast_forward_ok",),
        "inference": ("per_frame_ms", "frames_per_s", "peak_memory_gb"),
        "hamer": ("per_crop_ms", "crops_per_s", "peak_memory_gb", "parameters_millions"),
        "ratio": ("slowdown_x", "student_ms_per_frame", "hamer_ms_per_frame"),
        "train": ("frames_per_s", "step_s", "peak_memory_gb"),
    }
    lines = [f"gpu_probe on {p.dev} ({'quick' if p.quick else 'paper'} sizes), {p.elapsed():.0f} s"]
    for e in p.entries:
        head = f"{e['measurement']:<11} {e['variant']:<19} {e['precision']:<4} " + (
            f"b{e['batch']:<3}" if e["batch"] is not None else " " * 4
        )
        if e["status"] != "ok":
            line = f"{head} {e['status'].upper()}: {e.get('error') or e['note']}"
        else:
            shown = [
                f"{m}={e['metrics'][m]['value']:.4g}{' ' + e['metrics'][m]['unit'] if e['metrics'][m]['unit'] else ''}"
                for m in key.get(e["measurement"], ())
                if m in e["metrics"]
            ]
            line = f"{head} " + ", ".join(shown) + (f"  [{e['note']}]" if e["note"] else "")
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    errors = sum(e["status"] == "error" for e in p.entries)
    skipped = sum(e["status"] == "skipped" for e in p.entries)
    lines.append(f"{len(p.entries)} measurements, {errors} errors, {skipped} skipped (full notes in gpu_probe.json)")
    return "\n".join(lines)


def write_outputs(p: Probe, out: Path, argv: list[str], only: tuple[str, ...]) -> str:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "gpu_probe.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        for r in p.rows:
            w.writerow({**r, "value": "" if not math.isfinite(r["value"]) else repr(r["value"])})
    text = summary(p)
    doc = {
        "probe": {
            "module": "fslib.gpu_probe",
            "argv": argv,
            "device": str(p.dev),
            "quick": p.quick,
            "only": list(only),
            "budget_s": p.budget_s,
            "elapsed_s": p.elapsed(),
            "finished_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "sizes": dataclasses.asdict(p.sizes),
            "conventions": [
                "timings: warm-up calls excluded, synchronised before and after each timed call, median of repeats",
                "fp32 = float32 with TF32 off (matmul and cuDNN); tf32 = TF32 on; bf16 / fp16 = torch.autocast",
                "peak_memory_gb: torch.cuda.max_memory_allocated, reset before each measurement, weights included",
                f"sequences of {p.sizes.frames} frames ({p.sizes.frames / p.sizes.fps:.1f} s at {p.sizes.fps} frames/s, "
                "a typical ChicagoFSWild length, chosen), all of full length; random inputs",
            ],
        },
        "measurements": p.entries,
        "summary": text.splitlines(),
    }
    (out / "gpu_probe.json").write_text(json.dumps(_nan_to_none(doc), indent=1, default=str) + "\n")
    (out / "gpu_probe.txt").write_text(text + "\n")
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m fslib.gpu_probe", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder for gpu_probe.json, gpu_probe.csv, gpu_probe.txt")
    ap.add_argument("--device", default=None, help="cuda (default when available), cuda:N or cpu")
    ap.add_argument("--quick", action="store_true", help="tiny sizes and 1-2 timed calls (a smoke test)")
    ap.add_argument("--budget-s", type=float, default=300.0, help="measurements starting later are skipped")
    ap.add_argument(
        "--hard-limit-s",
        type=float,
        default=None,
        help="write what is done and exit (status 0) if still running after this many seconds "
        "(a hung measurement); default budget + 50",
    )
    ap.add_argument(
        "--only", default=",".join(MEASUREMENTS), help=f"comma-separated subset of {','.join(MEASUREMENTS)}"
    )
    return ap.parse_args(argv)


def _device(name: str | None) -> torch.device:
    dev = torch.device(name or ("cuda" if torch.cuda.is_available() else "cpu"))
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("CUDA is not available")
        dev = torch.device("cuda", dev.index if dev.index is not None else torch.cuda.current_device())
    return dev


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    # the command as typed, without any machine path: the output folder is written as <out>
    given = list(sys.argv[1:] if argv is None else argv)
    argv_used = ["python", "-m", "fslib.gpu_probe"] + [
        "<out>" if i and given[i - 1] == "--out" else a for i, a in enumerate(given)
    ]
    only = tuple(m.strip() for m in args.only.split(",") if m.strip())
    unknown = [m for m in only if m not in MEASUREMENTS]
    if unknown:
        print(f"gpu_probe: unknown measurement(s) {unknown}; choose from {MEASUREMENTS}", file=sys.stderr)
        only = tuple(m for m in only if m in MEASUREMENTS)
    try:
        dev = _device(args.device)
    except Exception as exc:
        print(f"gpu_probe: --device {args.device!r} unusable ({exc}); using cpu", file=sys.stderr)
        dev = torch.device("cpu")
    sizes = QUICK if args.quick else PAPER
    p = Probe(dev, sizes, args.budget_s, args.quick)

    def after(entry: dict[str, Any]) -> None:
        # progress, and the files rewritten after every measurement so that a killed run leaves its results
        print(
            f"{p.elapsed():6.0f}s {entry['measurement']}/{entry['variant']}/{entry['precision'] or '-'}: "
            f"{entry['status']} ({entry.get('seconds', 0.0):.1f} s)",
            flush=True,
        )
        with p.lock, contextlib.suppress(Exception):
            write_outputs(p, out, argv_used, only)

    def watchdog() -> None:
        # a measurement hangs (e.g. a collective that never returns): write what is done and leave
        got = p.lock.acquire(timeout=10)
        running = [e for e in p.entries if e["status"] == "running"]
        for e in running:
            e.update(status="error", error=f"still running after {p.elapsed():.0f} s: the watchdog ended the probe")
            p.row(e["measurement"], e["variant"], e["precision"], e["batch"], "error", math.nan, "", e["error"])
        msg = f"hard limit of {hard_limit:.0f} s reached (watchdog); measurements after this one never ran"
        p.row("probe", "watchdog", "", None, "error", math.nan, "", msg)
        p.entries.append({"measurement": "probe", "variant": "watchdog", "precision": "", "batch": None,
                          "status": "error", "error": msg, "metrics": {}, "settings": {}, "note": ""})  # fmt: skip
        with contextlib.suppress(Exception):
            print(write_outputs(p, out, argv_used, only), flush=True)
        print(f"gpu_probe: hard limit of {hard_limit:.0f} s reached; exiting", flush=True)
        if got:
            p.lock.release()
        os._exit(0)

    hard_limit = args.hard_limit_s if args.hard_limit_s is not None else args.budget_s + 50
    timer = threading.Timer(hard_limit, watchdog)
    timer.daemon = True
    timer.start()
    p.after = after
    try:
        run_probe(p, only)
    except BaseException as exc:  # never leave without files (KeyboardInterrupt included)
        with p.lock:
            p.row("probe", "run", "", None, "error", math.nan, "", f"{type(exc).__name__}: {exc}")
            p.entries.append({"measurement": "probe", "variant": "run", "precision": "", "batch": None, "status": "error",
                              "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                              "metrics": {}, "settings": {}, "note": ""})  # fmt: skip
    finally:
        timer.cancel()
    with p.lock:
        text = write_outputs(p, out, argv_used, only)
    print(text)
    print(f"wrote {', '.join(str(out / f) for f in FILES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
