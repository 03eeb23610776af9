"""Benchmark: frames/s of the whole preprocessing stage against MediaPipe alone on the same frames.

Both are measured in one run, one process, sequence by sequence and interleaved (which goes first
alternates), so that load from other programs affects both alike. "MediaPipe alone" is the tracking-mode
MediaPipe Hands graph on frames already decoded in memory; "the stage" is everything
:func:`fslib.preprocess.sequence.process_sequence` does (JPEG decoding, MediaPipe, hand choice, boxes,
crops) plus writing the cache entry. The overhead is ``t_stage / t_mediapipe - 1`` (target: <= 25%).
Because MediaPipe's own time varies from one call to the next on a loaded machine, the result also gives
``overhead_within_stage``: the stage's time outside its MediaPipe calls over the time inside them, timed in
the same calls (less noisy; it leaves out nothing the stage does).
"""

from __future__ import annotations

import tempfile
import time

from ..data.frames import load_frames
from ..data.readers import Corpus
from .config import PreprocessConfig
from .sequence import detect_frames, hands_for, process_sequence
from .store import CropStore


def benchmark(corpus: Corpus, config: PreprocessConfig, n_sequences: int = 8, repeats: int = 1) -> dict:
    """Time MediaPipe alone and the whole stage on the first ``n_sequences`` sequences (``repeats`` times).

    Returns frames, seconds and frames/s of both, the overhead ratio, and the stage's own breakdown
    (decode, MediaPipe, choice + crops, cache write) in seconds.
    """
    seqs = corpus.sequences[:n_sequences]
    mp = hands_for(config)
    t_mp = t_stage = 0.0
    parts = dict(decode=0.0, mediapipe_in_stage=0.0, choose_and_crop=0.0, write=0.0)
    frames_n = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = CropStore(tmp, corpus, config)
        detect_frames(mp, load_frames(seqs[0])[0][:2])  # warm-up (graph initialisation)
        for r in range(repeats):
            for i, seq in enumerate(seqs):
                frames, ok, _ = load_frames(seq)
                order = (0, 1) if (i + r) % 2 == 0 else (1, 0)
                for which in order:
                    if which == 0:
                        t0 = time.perf_counter()
                        detect_frames(mp, frames)
                        t_mp += time.perf_counter() - t0
                    else:
                        t0 = time.perf_counter()
                        res = process_sequence(seq, config, mp)
                        t1 = time.perf_counter()
                        store.write(seq.filename, res)
                        t2 = time.perf_counter()
                        t_stage += t2 - t0
                        parts["decode"] += res.stats["t_decode"]
                        parts["mediapipe_in_stage"] += res.stats["t_mediapipe"]
                        parts["choose_and_crop"] += res.stats["t_crop"]
                        parts["write"] += t2 - t1
                frames_n += int(ok.sum())
    return dict(
        sequences=len(seqs) * repeats,
        frames=frames_n,
        seconds_mediapipe=t_mp,
        seconds_stage=t_stage,
        fps_mediapipe=frames_n / t_mp,
        fps_stage=frames_n / t_stage,
        overhead=t_stage / t_mp - 1,
        overhead_within_stage=(t_stage - parts["mediapipe_in_stage"]) / parts["mediapipe_in_stage"],
        **{f"seconds_{k}": v for k, v in parts.items()},
    )


OVERHEAD_TARGET = 0.25  # the stage may cost at most this much more than MediaPipe alone


def overhead_verdict(result: dict) -> str:
    """Sentence of the crop page on a :func:`benchmark` result: the stage's overhead over MediaPipe alone,
    measured both ways, and whether the larger of the two meets :data:`OVERHEAD_TARGET`."""
    worst = max(result["overhead"], result["overhead_within_stage"])
    return (
        f"overhead of the stage over MediaPipe alone: {result['overhead']:.1%} measured against separate "
        f"MediaPipe calls, {result['overhead_within_stage']:.1%} measured inside the stage's own calls "
        f"({'meets' if worst <= OVERHEAD_TARGET else 'misses'} the {OVERHEAD_TARGET:.0%} target)"
    )
