"""What it costs to recognize fingerspelling from video, each design measured side by side in one run: the
efficiency page (``notebooks/08_efficiency.ipynb``) and ``fslib bench``.

Designs (rows of :func:`design_table`), all on the same frames (a synthetic clip padded to the video size):

- ``student``: the RGB student alone (ResNet34 per crop, then the 1D-CNN and BiGRU), PyTorch and ONNX Runtime;
  latency = one new crop encoded plus the temporal head over a clip (batch of one, streaming), throughput =
  a clip's crops encoded in one batch;
- ``mediapipe``: MediaPipe Hands in tracking mode, and with the study's crop rule (the floor of every
  pipeline here: each one needs the hand found and cropped);
- ``pipeline``: ``fslib recognize`` end to end (MediaPipe in a second thread, the student on every
  ``subsample``-th frame), PyTorch and ONNX Runtime;
- ``two-stream``: the pipeline with the two-stream model (MediaPipe's landmarks through an MLP beside the RGB
  features); its landmarks come free with the crop stage, so it costs the MLP on top;
- ``released HaMeR in the loop`` and ``synthetic HaMeR in the loop``: the pipeline plus a HaMeR forward pass
  on every crop the student reads (float32 and, where the CPU has native bfloat16, bfloat16 autocast), as
  a pose stream built on HaMeR at inference would run (random weights: timing only).

Times are medians of repeated calls on this machine, ratios are taken within the run. Peak memory is each
design's resident-set high-water mark measured in a fresh process (``peak_rss_mb``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

VIDEO_SIZE = (640, 480)  # width, height: the reference video
VIDEO_FPS = 30.0  # frames/s of the reference video the pipeline reads (resampled to the model's rate)


# -------------------------------------------------------------------------------------------- helpers
def time_call(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def demo_frames(n: int, size: tuple[int, int] = VIDEO_SIZE, fps: int = 15, seed: int | None = None) -> list[np.ndarray]:
    """``n`` frames of synthetic signers spelling words, rendered at the video's height and padded (edge
    pixels repeated) to its width: what every design is timed on."""
    import cv2

    from ..synth.clip import DEMO_SEED, render_clip

    w, h = size
    frames: list[np.ndarray] = []
    words = ["hello", "world", "sign", "hand"]
    k = 0
    while len(frames) < n:
        for f in render_clip(
            words[k % len(words)], seed=DEMO_SEED if seed is None else seed, signer=k % 3, image_size=h, fps=fps
        ):
            pad = (w - h) // 2
            frames.append(cv2.copyMakeBorder(f, 0, 0, pad, w - h - pad, cv2.BORDER_REPLICATE))
        k += 1
    return frames[:n]


def flops_per_call(fn: Callable[[], Any]) -> float:
    """Floating-point operations of one call of ``fn`` (PyTorch's FLOP counter: matrix products and
    convolutions, 2 per multiply-add)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


_PEAK_SCRIPT = (
    "import json, sys\n"
    "from fslib.recognizer import efficiency\n"
    "efficiency.JOBS[sys.argv[1]](**json.loads(sys.argv[2]))\n"
    "print('peak_kib', efficiency.own_peak_kib())\n"
)


def own_peak_kib() -> int:
    """This process's resident-set high-water mark in KiB (``VmHWM``). Not ``getrusage``'s ``ru_maxrss``: Linux
    keeps that across ``execve``, so a child started from a large process would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status: peak memory is measured on Linux only")


def peak_rss_mb(job: str, **args: Any) -> float:
    """Resident-set high-water mark in MB of a fresh Python process that imports the study and runs
    ``JOBS[job](**args)`` once (the interpreter, torch and the job's own memory: what a deployment of that
    design holds). A subprocess rather than multiprocessing, so it works from a notebook or a script without
    a ``__main__`` guard."""
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, job, json.dumps(args)], capture_output=True, text=True, timeout=1800
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("peak_kib ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"peak-memory job {job!r} failed (exit {proc.returncode}): {tail}")
    return int(lines[-1].split()[1]) / 1024.0


# -------------------------------------------------------------------- jobs run in a fresh process
def _job_student(checkpoint: str, backend: str, onnx_path: str = "", frames: int = 32) -> None:
    from .pipeline import TorchStudent, load_model

    sm = load_model(checkpoint)
    student = TorchStudent(sm.model)
    if backend == "onnxruntime":
        from .onnx_export import OnnxStudent

        student = OnnxStudent(onnx_path, threads=1)
    crop = np.zeros((sm.preprocess.crop_size,) * 2 + (3,), np.uint8)
    feats = np.stack([student.encode(crop) for _ in range(frames)])
    student.head(feats)


def _job_mediapipe(frames: int = 30) -> None:
    from ..preprocess.config import PreprocessConfig
    from .pipeline import Timings, detections

    for _ in detections(demo_frames(frames), PreprocessConfig(), Timings()):
        pass


def _job_pipeline(checkpoint: str, frames: int = 30, onnx_path: str = "") -> None:
    from .pipeline import load_model, recognize

    sm = load_model(checkpoint)
    student = None
    if onnx_path:
        from .onnx_export import OnnxStudent

        student = OnnxStudent(onnx_path, threads=1)
    recognize(demo_frames(frames), sm, student=student)


def _job_hamer(size: str, image_size: int = 0, bf16: bool = False, checkpoint: str = "", frames: int = 0) -> None:
    import torch

    from ..teachers.hamer import build_hamer, hamer_config

    if checkpoint:  # the pipeline first, in the same process: what a HaMeR-in-the-loop deployment holds
        _job_pipeline(checkpoint, frames)
    cfg = hamer_config(size, **({"image_size": image_size} if image_size else {}))
    model = build_hamer(cfg, init="fast").eval()
    x = torch.randn(1, 3, cfg.image_size, cfg.image_size)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        model(x)


JOBS: dict[str, Callable[..., None]] = {
    "student": _job_student,
    "mediapipe": _job_mediapipe,
    "pipeline": _job_pipeline,
    "hamer": _job_hamer,
}


@contextlib.contextmanager
def _torch_threads(n: int):
    """PyTorch's intra-op threads set to ``n`` inside the block (streaming inference: one per stage)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ----------------------------------------------------------------------------------------- measures
@dataclasses.dataclass
class BenchSettings:
    """How much to time: ``frames`` at the model's frame rate (a 640x480 mp4 at 30 frames/s of that length goes
    through MediaPipe and the pipeline), ``clip_frames`` student frames per clip for the head, ``repeats`` of each
    student call, ``hamer_repeats`` HaMeR passes
    (0 skips the released-size HaMeR: a 670 M-parameter build), ``memory``: measure peak memory in fresh
    processes (a few seconds each)."""

    frames: int = 60
    clip_frames: int = 32
    repeats: int = 5
    hamer_repeats: int = 1
    memory: bool = True
    threads: int = 1

    def validate(self) -> None:
        if self.frames < 4 or self.clip_frames < 1 or self.repeats < 1 or self.hamer_repeats < 0 or self.threads < 1:
            raise ValueError(
                f"{self}: frames >= 4, clip_frames >= 1, repeats >= 1, hamer_repeats >= 0 and threads >= 1"
            )


def student_costs(sm: Any, students: Sequence[Any], s: BenchSettings) -> list[dict[str, Any]]:
    """Latency (ms per new frame, batch of one), throughput (frames/s, a clip's crops in one batch) and
    FLOPs per frame of each student backend of ``students`` (TorchStudent / OnnxStudent)."""
    import torch

    from .model import to_input
    from .pipeline import clip_head

    rng = np.random.default_rng(0)
    S = sm.preprocess.crop_size
    crops = rng.integers(0, 255, (s.clip_frames, S, S, 3), dtype=np.uint8)
    model = sm.model
    feats = np.stack([students[0].encode(c) for c in crops]).astype(np.float32)
    batch = to_input(torch.from_numpy(crops), model.cfg.input_size)
    flops = (
        flops_per_call(lambda: model.encode_frames(batch))
        + flops_per_call(lambda: clip_head(model, torch.from_numpy(feats)))
    ) / s.clip_frames
    rows = []
    for st in students:
        one = time_call(lambda st=st: st.encode(crops[0]), s.repeats)
        head = time_call(lambda st=st: st.head(feats), s.repeats)
        if st.name == "onnxruntime":
            x = batch.contiguous().numpy()
            whole = time_call(lambda st=st, x=x: st.run(x, feats), s.repeats)
        else:

            def clip():
                with torch.inference_mode():
                    clip_head(model, model.encode_frames(batch))

            whole = time_call(clip, s.repeats)
        rows.append(
            {
                "design": "RGB student alone",
                "backend": st.name,
                "latency_ms_per_frame": 1000 * (one + head),
                "frames_per_s": s.clip_frames / whole,
                "gflops_per_frame": flops / 1e9,
                "parameters_millions": model.parameter_counts()["inference"] / 1e6,
            }
        )
    return rows


def mediapipe_costs(frames: Sequence[np.ndarray], prep: Any) -> dict[str, float]:
    """ms per frame of MediaPipe Hands alone (tracking mode, the study's settings) and of the study's crop rule
    applied online to its detections (each frame linked to the tracklets as it arrives, the boxes recomputed,
    one crop cut per frame)."""
    from ..preprocess.crops import crop_square
    from ..preprocess.hands import TrackletLinker
    from .pipeline import Timings, crop_rule, detections

    t = Timings()
    dets = [d for _, d in detections(frames, prep, t)]
    mp_ms = 1000 * t.seconds["mediapipe"] / len(frames)
    linker = TrackletLinker(gate=prep.gate)
    t0 = time.perf_counter()
    for i, f in enumerate(frames):
        linker.push(dets[i])
        got = crop_rule(dets[: i + 1], prep, tracks=linker.tracklets())
        if got is not None:
            crop_square(f, got[0][-1], prep.crop_size, got[1])
    crop_ms = 1000 * (time.perf_counter() - t0) / len(frames)
    return {"mediapipe_ms_per_frame": mp_ms, "crop_ms_per_frame": crop_ms}


def demo_video(path: str | Path, seconds: float, fps: float = VIDEO_FPS, size: tuple[int, int] = VIDEO_SIZE) -> Path:
    """An mp4 of ``seconds`` of synthetic signing at ``fps`` and ``size`` (:func:`demo_frames`): the video
    ``fslib recognize`` is timed on, decoding included."""
    from ..data.video import write_video

    return write_video(demo_frames(max(int(round(seconds * fps)), 1), size, fps=int(fps)), path, fps)


def pipeline_cost(video: str | Path, sm: Any, student: Any = None) -> dict[str, Any]:
    """``fslib recognize --stream`` on the video file ``video``, as the command runs it: decoding, resampling
    to the model's frame rate, MediaPipe in a second thread, the student. Per frame at the model's rate, and
    the rate in frames of the video."""
    from ..data.video import open_source, resample
    from .pipeline import recognize

    src = open_source(video)
    decoded = [0]

    def counted():
        for frame in src.frames():
            decoded[0] += 1
            yield frame

    res = recognize(resample(counted(), src.fps, sm.frame_rate), sm, student=student, stream=True)
    t = res.timings
    return {
        "latency_ms_per_frame": 1000 * t.wall / t.frames,
        "frames_per_s": t.frames / t.wall,
        "video_frames_per_s": decoded[0] / t.wall,
        "stages": t.per_frame_ms(),
    }


def hamer_ms_per_crop(size: str, image_size: int = 0, bf16: bool = False, repeats: int = 1) -> dict[str, float]:
    """ms per crop of a HaMeR forward pass (batch of one, random weights) of preset ``size`` ('released' is
    the published ViT-H), in float32 or under bfloat16 autocast; parameters and FLOPs of one pass."""
    import torch

    from ..teachers.hamer import build_hamer, hamer_config

    cfg = hamer_config(size, **({"image_size": image_size} if image_size else {}))
    model = build_hamer(cfg, init="fast").eval()
    x = torch.randn(1, 3, cfg.image_size, cfg.image_size)

    def run():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            model(x)

    ms = 1000 * time_call(run, repeats=repeats, warmup=1)
    return {
        "ms_per_crop": ms,
        "parameters_millions": model.parameter_counts()["total"] / 1e6,
        "gflops_per_crop": flops_per_call(lambda: model(x)) / 1e9,
    }


# ------------------------------------------------------------------------------------------- the table
def design_table(
    sm: Any,
    s: BenchSettings | None = None,
    *,
    two_stream: Any = None,
    synthetic_hamer: tuple[str, int] | None = ("small", 64),
    accuracy: dict[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per design (see the module docstring), all measured now on this machine. ``sm``: the student
    (:class:`~fslib.recognizer.pipeline.StudyModel`); ``two_stream``: a StudyModel of the two-stream model
    (None: that row is left out); ``synthetic_hamer``: (preset, input size) of the study's own teacher;
    ``accuracy``: design -> test letter accuracy to show beside the cost."""

    from .onnx_export import OnnxStudent, export_onnx
    from .pipeline import TorchStudent
    from .train import cpu_has_bf16

    s = s or BenchSettings()
    s.validate()
    say = progress or (lambda _msg: None)
    rows: list[dict[str, Any]] = []
    with _torch_threads(s.threads), tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(sm, Path(tmp) / "student.onnx")
        ort_student = OnnxStudent(onnx_path, threads=s.threads)
        torch_student = TorchStudent(sm.model)
        say("the student alone")
        rows += student_costs(sm, [torch_student, ort_student], s)
        say("MediaPipe and the crop rule")
        rate = sm.frame_rate or VIDEO_FPS
        video = demo_video(Path(tmp) / "demo.mp4", s.frames / rate)
        from ..data.video import open_source, resample

        src = open_source(video)
        frames = list(resample(src.frames(), src.fps, sm.frame_rate))
        mpc = mediapipe_costs(frames, sm.preprocess)
        base = {"backend": "-", "gflops_per_frame": np.nan, "parameters_millions": np.nan}
        rows.append(
            {
                **base,
                "design": "MediaPipe Hands alone",
                "latency_ms_per_frame": mpc["mediapipe_ms_per_frame"],
                "frames_per_s": 1000 / mpc["mediapipe_ms_per_frame"],
            }
        )
        mc = mpc["mediapipe_ms_per_frame"] + mpc["crop_ms_per_frame"]
        rows.append(
            {**base, "design": "MediaPipe Hands + crop rule", "latency_ms_per_frame": mc, "frames_per_s": 1000 / mc}
        )
        say("the recognize pipeline")
        student_row = {r["backend"]: r for r in rows if r["design"] == "RGB student alone"}
        for name, st in (("pytorch", torch_student), ("onnxruntime", ort_student)):
            pc = pipeline_cost(video, sm, st)
            rows.append(
                {
                    "design": "RGB student pipeline (fslib recognize)",
                    "backend": name,
                    "latency_ms_per_frame": pc["latency_ms_per_frame"],
                    "frames_per_s": pc["frames_per_s"],
                    "video_frames_per_s": pc["video_frames_per_s"],
                    "gflops_per_frame": student_row[name]["gflops_per_frame"] / max(sm.cfg.subsample, 1),
                    "parameters_millions": student_row[name]["parameters_millions"],
                }
            )
        pipe = rows[-2]  # the PyTorch pipeline: what the designs below add to
        share = 1.0 / max(sm.cfg.subsample, 1)  # student frames per frame
        if two_stream is not None:
            say("the two-stream model")
            rows.append(two_stream_row(pipe, sm, two_stream, s))
        hamers = [("released HaMeR (ViT-H) in the loop", "released", 0)] if s.hamer_repeats else []
        if synthetic_hamer:
            hamers.append(("synthetic HaMeR (this study's teacher) in the loop", *synthetic_hamer))
        precisions = [False, True] if cpu_has_bf16() else [False]
        for label, size, image_size in hamers:
            for bf16 in precisions:
                say(f"{label}, {'bfloat16' if bf16 else 'float32'}")
                h = hamer_ms_per_crop(size, image_size, bf16, repeats=max(s.hamer_repeats, 1))
                ms = pipe["latency_ms_per_frame"] + share * h["ms_per_crop"]
                rows.append(
                    {
                        "design": label,
                        "backend": "pytorch bf16" if bf16 else "pytorch",
                        "latency_ms_per_frame": ms,
                        "frames_per_s": 1000 / ms,
                        "gflops_per_frame": pipe["gflops_per_frame"] + share * h["gflops_per_crop"],
                        "parameters_millions": pipe["parameters_millions"] + h["parameters_millions"],
                    }
                )
        table = pd.DataFrame(rows)
        table["times_student_pipeline"] = table["latency_ms_per_frame"] / pipe["latency_ms_per_frame"]
        # frames of 30 frames/s video per second: measured for the pipelines (decoding included), else the
        # rate at the model's frame rate times the video's frames per model frame
        ratio = VIDEO_FPS / (sm.frame_rate or VIDEO_FPS)
        if "video_frames_per_s" not in table:
            table["video_frames_per_s"] = np.nan
        table["video_frames_per_s"] = table["video_frames_per_s"].fillna(table["frames_per_s"] * ratio)
        if accuracy:
            table["test_letter_accuracy"] = table["design"].map(accuracy)
        if s.memory:
            say("peak memory (fresh processes)")
            table["peak_memory_mb"] = _peak_memories(table, sm, onnx_path, synthetic_hamer, s)
    return table


def student_compute_ms(model: Any, clip: int = 32, repeats: int = 5) -> tuple[float, float]:
    """(ms, FLOPs) per student frame of ``model``'s own computation in a stream: one crop through the
    backbone (and the landmark MLP of a two-stream model) plus the temporal head over a ``clip``-frame clip,
    shared by its frames."""
    import torch

    from .data import POSE_DIM
    from .model import to_input

    model = model.eval()
    S = model.cfg.input_size
    x = to_input(torch.zeros((1, S, S, 3), dtype=torch.uint8), S)
    pose = torch.zeros((1, clip, POSE_DIM)) if model.pose_encoder is not None else None

    def per_frame():
        with torch.inference_mode():
            model.encode_frames(x)
            if pose is not None:
                model.pose_encoder(pose[:, :1])

    def head():
        with torch.inference_mode():
            feats = torch.zeros((1, clip, model.backbone.out_dim))
            h = model.temporal(model.fuse(feats, pose), torch.ones((1, clip), dtype=torch.bool))
            model.gru_classifier(model.gru.gru(h)[0])

    ms = 1000 * (time_call(per_frame, repeats) + time_call(head, repeats) / clip)
    return ms, flops_per_call(per_frame) + flops_per_call(head) / clip


def two_stream_row(pipe: Mapping[str, Any], student: Any, two: Any, s: BenchSettings) -> dict[str, Any]:
    """The pipeline with the two-stream model: the RGB pipeline's measured time per frame plus what the
    two-stream model computes beyond the student on each student frame (its landmark MLP, its wider 1D-CNN
    input). Its landmarks are the crop stage's own, so nothing else runs."""
    k = max(student.cfg.subsample, 1)
    ms_student, f_student = student_compute_ms(student.model, s.clip_frames, s.repeats)
    ms_two, f_two = student_compute_ms(two.model, s.clip_frames, s.repeats)
    ms = float(pipe["latency_ms_per_frame"]) + (ms_two - ms_student) / k
    return {
        "design": TWO_STREAM,
        "backend": "pytorch",
        "latency_ms_per_frame": ms,
        "frames_per_s": 1000 / ms,
        "gflops_per_frame": f_two / k / 1e9,
        "parameters_millions": two.model.parameter_counts()["inference"] / 1e6,
    }


def _peak_memories(table: pd.DataFrame, sm: Any, onnx_path: Path, synthetic_hamer, s: BenchSettings) -> list[float]:
    from .train import save_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        ck = str(Path(tmp) / "recognizer.pt")  # the study's checkpoint format, so the jobs load it as recognize does
        prov = {**sm.provenance, "preprocess": dataclasses.asdict(sm.preprocess), "frame_rate": sm.frame_rate}
        save_checkpoint(Path(ck), sm.model, sm.alphabet, {"provenance": prov})
        cache: dict[tuple, float] = {}

        def mem(job: str, **args) -> float:
            key = (job, tuple(sorted(args.items())))
            if key not in cache:
                cache[key] = peak_rss_mb(job, **args)
            return cache[key]

        out = []
        for _, row in table.iterrows():
            d, b = row["design"], row["backend"]
            if d == "RGB student alone":
                out.append(mem("student", checkpoint=ck, backend=b, onnx_path=str(onnx_path)))
            elif d.startswith("MediaPipe"):
                out.append(mem("mediapipe", frames=10))
            elif d.startswith("RGB student pipeline"):
                out.append(
                    mem("pipeline", checkpoint=ck, frames=10, onnx_path=str(onnx_path) if b == "onnxruntime" else "")
                )
            elif "HaMeR" in d:
                size, image_size = ("released", 0) if d.startswith("released") else synthetic_hamer
                out.append(
                    mem("hamer", size=size, image_size=image_size, bf16=b.endswith("bf16"), checkpoint=ck, frames=10)
                )
            else:
                out.append(np.nan)
        return out


# ----------------------------------------------------------------------------------------- verdicts
PIPELINE = "RGB student pipeline (fslib recognize)"
TWO_STREAM = "two-stream: RGB + MediaPipe landmarks"
RELEASED = "released HaMeR (ViT-H) in the loop"
MEDIAPIPE_CROP = "MediaPipe Hands + crop rule"


def row_of(table: pd.DataFrame, design: str, backend: str = "pytorch") -> pd.Series | None:
    hit = table[(table["design"] == design) & (table["backend"] == backend)]
    return None if hit.empty else hit.iloc[0]


def comparisons(table: pd.DataFrame, claimed_factor: float = 3.0) -> list[dict[str, Any]]:
    """The source's "over 3x lower inference time" against each design with a second stream that is in the
    table (the two-stream model; the released HaMeR in float32 and bfloat16): per-frame time of that design
    over the student pipeline's (PyTorch), and whether it exceeds ``claimed_factor``."""
    pipe = row_of(table, PIPELINE)
    out = []
    if pipe is None:
        return out
    for design, backend in ((TWO_STREAM, "pytorch"), (RELEASED, "pytorch"), (RELEASED, "pytorch bf16")):
        r = row_of(table, design, backend)
        if r is None:
            continue
        f = float(r["latency_ms_per_frame"] / pipe["latency_ms_per_frame"])
        out.append(
            {
                "against": design + (" (bfloat16)" if backend.endswith("bf16") else ""),
                "student_ms": float(pipe["latency_ms_per_frame"]),
                "against_ms": float(r["latency_ms_per_frame"]),
                "factor": f,
                "verdict": "replicates" if f > claimed_factor else "does not replicate",
            }
        )
    return out


def verdict_lines(table: pd.DataFrame, video_fps: float = VIDEO_FPS, max_overhead: float = 0.20) -> list[str]:
    """Computed sentences on the table: real time on 640x480 video, the pipeline's cost over MediaPipe's
    own, and each "over 3x" comparison."""
    pipe, mp_row = row_of(table, PIPELINE), row_of(table, MEDIAPIPE_CROP, "-")
    lines = []
    if pipe is not None:
        v = float(pipe["video_frames_per_s"])
        lines.append(
            f"Real time: fslib recognize keeps up with {v:.0f} frames/s of {VIDEO_SIZE[0]}x{VIDEO_SIZE[1]} video on "
            f"this CPU ({float(pipe['frames_per_s']):.0f} frames/s at the model's rate), so it "
            f"{'is' if v >= video_fps else 'is not'} real time for {video_fps:.0f} frames/s video."
        )
        if mp_row is not None:
            over = float(pipe["latency_ms_per_frame"] / mp_row["latency_ms_per_frame"] - 1)
            lines.append(
                f"The whole pipeline takes {float(pipe['latency_ms_per_frame']):.1f} ms per frame against "
                f"{float(mp_row['latency_ms_per_frame']):.1f} ms for MediaPipe and the crop rule alone: "
                f"{over:+.0%}, {'within' if over <= max_overhead else 'above'} the {max_overhead:.0%} goal."
            )
    for c in comparisons(table):
        lines.append(
            f"Against the {c['against']}: {c['against_ms']:.1f} ms against {c['student_ms']:.1f} ms per frame, "
            f"{c['factor']:.1f}x; 'over 3x lower inference time' {c['verdict']}."
        )
    return lines


def gpu_lines(folder: str | Path | None = None) -> list[str]:
    """The comparison on a GPU, where one was lent: each committed run of ``python -m fslib.gpu_probe``
    (``runs/gpu/*_probe.csv``, the book's GPU page) as one line with its machine and the computed verdict on
    the per-frame cost of the released-size HaMeR in the loop over the student alone (at the ``paper`` size).
    MediaPipe's Python graph runs on the CPU only, so the GPU rows are the networks' own costs."""
    from .. import gpu_report
    from ..paths import repo_root

    root = repo_root()
    folder = Path(folder) if folder is not None else root / "runs" / "gpu"
    files = sorted(folder.glob("*_probe.csv"))
    if not files:
        shown = folder.relative_to(root) if folder.is_relative_to(root) else folder.name  # no machine paths
        return [
            f"No GPU measurement (*_probe.csv) is in {shown}/: run `python -m fslib.gpu_probe --out runs/gpu` "
            "where a GPU is, and rebuild the book."
        ]
    lines = []
    for f in files:
        d = pd.read_csv(f)
        ratio = gpu_report.tables(d)["ratio"]
        lines.append(f"{gpu_report.environment_line(d)} ({f.name}): {gpu_report.verdict(ratio)}")
    return lines


# ------------------------------------------------------------------------------ the page's models
def study_model_of(exp: Any, run: Any) -> Any:
    """A trained run of page 04's experiment as the :class:`~fslib.recognizer.pipeline.StudyModel` the
    pipeline runs (its alphabet, the crop settings of its store, its corpus's frame rate)."""
    from .pipeline import StudyModel

    fps = exp.params.get("corpus_fps") if exp.synthetic else None
    prov = {"run_id": run.run_id, "profile": exp.params.get("profile", ""), "corpus": exp.describe_corpus()}
    return StudyModel(run.model.eval(), exp.alphabet, exp.store.config, fps, prov, Path(run.folder) / "model.pt")


def test_letter_accuracy(exp: Any, run: Any) -> float:
    """Plain letter accuracy of ``run`` on the test signers, read with the run's own inputs (the landmark
    stream too for a two-stream model)."""
    from .data import RecognizerData
    from .evaluate import predict, split_metrics

    cfg = run.model.cfg
    data = RecognizerData(
        exp.store, exp.alphabet, ["test"], subsample=cfg.subsample, max_frames=cfg.max_frames, pose=cfg.pose_hidden > 0
    )
    return float(split_metrics(predict(run.model, data))["letter_accuracy"])


def design_figure(table: pd.DataFrame, claimed_factor: float = 3.0):
    """Horizontal bars of ms per frame per design and backend (log scale), the student pipeline's time as a
    solid line and ``claimed_factor`` times it dashed."""
    import matplotlib.pyplot as plt

    t = table.sort_values("latency_ms_per_frame")
    labels = [f"{d} [{b}]" if b != "-" else d for d, b in zip(t["design"], t["backend"])]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(t) + 1.2))
    colours = ["tab:blue" if "student" in d else "tab:grey" if "MediaPipe" in d else "tab:orange" for d in t["design"]]
    ax.barh(labels, t["latency_ms_per_frame"], color=colours)
    pipe = row_of(table, PIPELINE)
    if pipe is not None:
        ms = float(pipe["latency_ms_per_frame"])
        ax.axvline(ms, color="tab:blue", lw=1)
        ax.axvline(claimed_factor * ms, color="k", ls="--", lw=1, label=f"{claimed_factor:g}x the student pipeline")
        ax.legend(loc="lower right")
    ax.set_xscale("log")
    ax.set_xlabel("ms per frame (batch of one, this CPU; log scale)")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


@dataclasses.dataclass
class PageModels:
    """Page 08's models: the student's run, the two-stream model as a StudyModel (None when not asked for) and
    each design's test letter accuracy (``accuracy``: design -> value)."""

    student: Any
    two_stream: Any
    accuracy: dict[str, float]

    def line(self) -> str:
        return "test letter accuracy (plain) on the test signers: " + "; ".join(
            f"{k}: {v:.3f}" for k, v in self.accuracy.items()
        )


def page_models(exp: Any, seed: int, two_stream: bool, width: int) -> PageModels:
    """The student of page 04's configuration at ``seed`` (its cached run) and, with ``two_stream``, the same
    model with a landmark stream of ``width`` (trained now, or cached), with their test accuracies."""
    student = exp.train_each([seed])[seed]
    accuracy = {PIPELINE: test_letter_accuracy(exp, student)}
    two = None
    if two_stream:
        run = exp.train_each([seed], pose_hidden=width)[seed]
        two = study_model_of(exp, run)
        accuracy[TWO_STREAM] = test_letter_accuracy(exp, run)
    return PageModels(student, two, accuracy)
