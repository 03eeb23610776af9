"""Rendering speed of the synthetic corpus generator, in frames per second.

What is timed is the whole per-sequence work of the corpus writer except the disk: the signer scene and its
static layer, the motion, forward kinematics, rendering of every frame, blur and noise, and JPEG encoding.
Sequences run in a process pool (``workers`` processes, one BLAS thread each) that is started and warmed up
before the clock starts. Targets (issue 3): >= 300 frames/s at 128 x 128 and >= 100 frames/s at 256 x 256
using both cores of the study's 2-core machine. ``frames_per_second`` is the measured wall-clock rate (a
lower bound on a shared machine); ``cpu_bound_fps`` = workers x 1000 / (CPU milliseconds per frame) is what
the same work gives when each worker has a core of its own (it assumes perfect scaling over processes, which
holds for this embarrassingly parallel job up to memory bandwidth).

Run it: ``python -m fslib.synth.bench --size 128 256``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

TARGETS = {128: 300.0, 256: 100.0}


def _job(args) -> tuple[int, float, float]:
    """Render one sequence; returns (frames, CPU seconds rendering, CPU seconds JPEG-encoding) of this
    process (CPU time, so that other load on the machine does not inflate it)."""
    import cv2

    from . import corpus

    cfg, spec, j, word = args
    t0 = time.process_time()
    frames, _, shot = corpus.render_sequence(cfg, spec, j, word)
    t1 = time.process_time()
    for img in frames:
        cv2.imencode(".jpg", np.ascontiguousarray(img[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, shot.jpeg_quality])
    return len(frames), t1 - t0, time.process_time() - t1


def _warm() -> None:
    """Worker start-up outside the clock: imports, and one short sequence (builds the letter tables)."""
    from . import corpus

    corpus._worker_init()
    cfg = corpus.make_config(signers=3, sequences=3, image_size=64, words=("ab",))
    corpus.render_sequence(cfg, corpus.signer_plan(cfg)[0], 0, "ab")


@dataclasses.dataclass(frozen=True)
class BenchResult:
    image_size: int
    workers: int
    sequences: int
    frames: int
    seconds: float
    frames_per_second: float
    target: float | None
    cpu_ms_per_frame_render: float
    cpu_ms_per_frame_jpeg: float
    cpu_bound_fps: float  # workers x 1000 / CPU ms per frame: the rate on an otherwise idle machine

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.frames_per_second >= self.target


def benchmark(
    image_size: int = 128, sequences: int = 8, workers: int = 2, word: str = "fingerspelling", seed: int = 0
) -> BenchResult:
    """Render ``sequences`` sequences of ``word`` (different signers and shots) at ``image_size`` px with
    ``workers`` processes; return the measured throughput."""
    from . import corpus

    cfg = corpus.make_config(
        signers=max(3, min(sequences, 12)), sequences=max(sequences, 3), image_size=image_size, seed=seed, words=(word,)
    )
    specs = corpus.signer_plan(cfg)
    jobs = [(cfg, specs[j % cfg.signers], j, word) for j in range(sequences)]
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if workers <= 1:
        _warm()
        t0 = time.perf_counter()
        res = [_job(j) for j in jobs]
        wall = time.perf_counter() - t0
    else:
        with ProcessPoolExecutor(workers, initializer=_warm) as pool:
            for f in [pool.submit(time.sleep, 0.01) for _ in range(workers)]:
                f.result()  # all workers started (and warmed up by the initializer)
            t0 = time.perf_counter()
            res = list(pool.map(_job, jobs, chunksize=1))
            wall = time.perf_counter() - t0
    n = sum(r[0] for r in res)
    cpu_render = 1000 * sum(r[1] for r in res) / n
    cpu_jpeg = 1000 * sum(r[2] for r in res) / n
    return BenchResult(
        image_size,
        workers,
        sequences,
        n,
        round(wall, 3),
        round(n / wall, 1),
        TARGETS.get(image_size),
        round(cpu_render, 2),
        round(cpu_jpeg, 2),
        round(max(workers, 1) * 1000 / (cpu_render + cpu_jpeg), 1),
    )


def run(sizes=(128, 256), sequences: int = 8, workers: int = 2, seed: int = 0):
    """:func:`benchmark` at each size; the results as a table (see :func:`table`)."""
    return table([benchmark(s, sequences, workers, seed=seed) for s in sizes])


def table(results: list[BenchResult]):
    """The results as a pandas DataFrame, one row per run, with whether each target is met."""
    import pandas as pd

    rows = []
    for r in results:
        d = dataclasses.asdict(r)
        d["met"] = {True: "yes", False: "no", None: ""}[r.met]
        rows.append(d)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fslib.synth.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, nargs="+", default=[128, 256], help="image sizes in pixels")
    p.add_argument("--sequences", type=int, default=8, help="sequences per size (default 8)")
    p.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    args = p.parse_args(argv)
    print(run(args.size, args.sequences, args.workers).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
