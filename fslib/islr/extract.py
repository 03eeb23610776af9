"""MediaPipe Holistic landmarks from sign videos (ASL Citizen), written in the GISLR layout the ISLR pages read.

:func:`extract_video` decodes one video with OpenCV and runs MediaPipe Holistic (``mp.solutions.holistic``,
whose models ship inside the ``mediapipe==0.10.21`` wheel: nothing is downloaded) in video mode over its
frames: 468 face, 33 pose and 21 + 21 hand landmarks per frame, NaN where a part is not found.

:func:`extract_citizen` does it for the source study's 100-gloss subset of ASL Citizen (or any ``n``):

- one parquet per clip under ``<out>/landmarks/<participant>/<video stem>.parquet`` and a ``train.csv``
  with ``path, participant_id, sequence_id, sign, split`` (ASL Citizen's own signer-disjoint splits), so
  ``islr_corpus_path=<out>`` runs the ISLR pages on the real data;
- resumable: a clip whose parquet exists is not extracted again (a crash or an interrupted run loses at
  most the clips in flight; files are written atomically);
- a process pool (``workers``; MediaPipe uses about one core per process) or a Dask cluster
  (``scheduler``: a ``distributed.Client`` or its address; the workers need the videos and ``out`` on a
  shared file system), with a progress bar;
- a video that cannot be opened or decoded, or has no frame, is not fatal: it is listed with the reason
  in ``<out>/unreadable.csv``, left out of ``train.csv`` and counted in the returned report.

Cost: Holistic runs at a few tens of frames per second per process on a CPU core; the 3,451 clips of the
100-gloss subset (a few seconds each at 30 frames/s) take hours on 2 cores. ``frame_step`` 2 halves it
(the source study's models read every second frame anyway).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cache import atomic_path, write_json_atomic
from ..progress import tqdm
from . import landmarks as lm


class VideoError(RuntimeError):
    """A video that OpenCV cannot open or decode, or that has no frame."""


def _points(found: Any, n: int) -> np.ndarray:
    if found is None:
        return np.full((n, 3), np.nan, np.float32)
    return np.array([(p.x, p.y, p.z) for p in found.landmark][:n], np.float32)


def holistic(model_complexity: int = 1):
    """A MediaPipe Holistic instance in video mode (tracking across frames)."""
    import mediapipe as mp

    return mp.solutions.holistic.Holistic(
        static_image_mode=False,
        model_complexity=model_complexity,
        refine_face_landmarks=False,
        min_detection_confidence=0.5,
        min_tracking_confidence=0.5,
    )


class HandsFaceMesh:
    """The authors' extraction (:mod:`fslib.islr.source`): MediaPipe Hands (two hands) and Face Mesh on each
    frame mirrored left-right, instead of Holistic. The first hand Hands reports goes in the ``left_hand``
    slot and the second in ``right_hand``, whatever their handedness; no pose (NaN). ``process`` returns an
    object with Holistic's attribute names, so :func:`extract_video` runs either."""

    def __init__(self):
        import mediapipe as mp

        self._hands = mp.solutions.hands.Hands(static_image_mode=False, max_num_hands=2)
        self._face = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1)

    def process(self, rgb: np.ndarray) -> Any:
        import types

        mirrored = np.ascontiguousarray(rgb[:, ::-1])
        hands = self._hands.process(mirrored).multi_hand_landmarks or []
        faces = self._face.process(mirrored).multi_face_landmarks or []
        return types.SimpleNamespace(
            face_landmarks=faces[0] if faces else None,
            pose_landmarks=None,
            left_hand_landmarks=hands[0] if hands else None,
            right_hand_landmarks=hands[1] if len(hands) > 1 else None,
        )

    def close(self) -> None:
        self._hands.close()
        self._face.close()


EXTRACTORS = {"holistic": holistic, "hands_facemesh": HandsFaceMesh}


def extract_video(
    path: str | os.PathLike, model: Any = None, frame_step: int = 1, max_frames: int = 0, extractor: str = "holistic"
) -> dict[str, np.ndarray]:
    """``{type: (T, n, 3)}`` landmarks of every ``frame_step``-th frame of the video at ``path`` (at most
    ``max_frames`` when > 0) from ``extractor`` (:data:`EXTRACTORS`: Holistic, or the authors' Hands + Face
    Mesh). ``model``: an extractor instance to reuse (one per process; a new one is made and closed
    otherwise). Raises :class:`VideoError` naming the file when it cannot be read."""
    import cv2

    if extractor not in EXTRACTORS:
        raise ValueError(f"unknown landmark extractor {extractor!r}; choose one of {', '.join(EXTRACTORS)}")

    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path}: no such video file")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise VideoError(f"{path}: OpenCV cannot open it (not a video, or a codec it lacks)")
    own = model is None
    model = model or EXTRACTORS[extractor]()
    out: dict[str, list[np.ndarray]] = {t: [] for t in lm.TYPES}
    k = 0
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            if k % frame_step == 0:
                res = model.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                out["face"].append(_points(res.face_landmarks, 468))
                out["pose"].append(_points(res.pose_landmarks, 33))
                out["left_hand"].append(_points(res.left_hand_landmarks, 21))
                out["right_hand"].append(_points(res.right_hand_landmarks, 21))
                if max_frames and len(out["face"]) >= max_frames:
                    break
            k += 1
    finally:
        cap.release()
        if own:
            model.close()
    if not out["face"]:
        raise VideoError(f"{path}: no frame could be decoded")
    return {t: np.stack(v) for t, v in out.items()}


# ------------------------------------------------------------------------------------------ many videos
def _extract_one(video: str, target: str, frame_step: int, extractor: str = "holistic") -> tuple[str, str]:
    """Extract one video into ``target`` with a fresh extractor (video mode tracks across frames, so a clip
    must not start from the previous clip's state). Returns (video, "" or the reason it was skipped)."""
    try:
        frames = extract_video(video, None, frame_step, extractor=extractor)
    except VideoError as err:
        return video, str(err)
    lm.write_parquet(target, frames)
    return video, ""


def _extract_chunk(jobs: list[tuple[str, str]], frame_step: int, extractor: str = "holistic") -> list[tuple[str, str]]:
    return [_extract_one(v, t, frame_step, extractor) for v, t in jobs]


def extract_many(
    jobs: Iterable[tuple[str, str]],
    *,
    frame_step: int = 1,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
    extractor: str = "holistic",
) -> dict[str, str]:
    """Extract ``(video, target parquet)`` pairs whose target does not exist yet with ``extractor``
    (:data:`EXTRACTORS`). Returns {video: reason} for the videos that could not be read (empty when all were)."""
    if extractor not in EXTRACTORS:
        raise ValueError(f"unknown landmark extractor {extractor!r}; choose one of {', '.join(EXTRACTORS)}")
    todo = [(str(v), str(t)) for v, t in jobs if not Path(t).exists()]
    failed: dict[str, str] = {}
    bar = tqdm(total=len(todo), desc=f"{extractor} landmarks (videos)", disable=not progress)

    def done(results):
        for video, reason in results:
            if reason:
                failed[video] = reason
            bar.update()

    if not todo:
        bar.close()
        return failed
    if scheduler is not None:
        from distributed import Client
        from distributed import as_completed as dask_completed

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        chunks = [todo[i : i + 8] for i in range(0, len(todo), 8)]
        futures = client.map(_extract_chunk, chunks, [frame_step] * len(chunks), [extractor] * len(chunks), pure=False)
        for fut in dask_completed(futures):
            done(fut.result())
    elif workers > 1 and len(todo) > 1:
        from ..parallel import spawn_pool

        # spawn, not fork: a MediaPipe graph already loaded in this process must not be copied into workers
        with spawn_pool(workers) as pool:
            futures = [pool.submit(_extract_one, v, t, frame_step, extractor) for v, t in todo]
            for fut in as_completed(futures):
                done([fut.result()])
    else:
        for v, t in todo:
            done([_extract_one(v, t, frame_step, extractor)])
    bar.close()
    return failed


def extract_citizen(
    root: str | os.PathLike,
    out: str | os.PathLike,
    n: int = 100,
    *,
    frame_step: int = 1,
    workers: int = 2,
    scheduler: Any = None,
    progress: bool = True,
    extractor: str = "holistic",
    subset_rule: str = "text",
) -> dict[str, Any]:
    """Holistic landmarks of ASL Citizen's ``n``-gloss subset (:func:`fslib.islr.citizen.read_subset`) into
    ``out`` in the GISLR layout (see the module docstring). Returns a report: clips per split, clips
    extracted, unreadable videos (also in ``out/unreadable.csv``). ``workers`` > 1 spawns processes: from a
    script, call this under ``if __name__ == "__main__":`` (:mod:`fslib.parallel`)."""
    from ..config import ConfigError
    from .citizen import read_subset

    for name, value, low in (("glosses", n, 1), ("frame step", frame_step, 1), ("workers", workers, 1)):
        if not isinstance(value, int) or value < low:
            raise ConfigError(f"islr-extract: {name} must be an integer of at least {low}, got {value!r}")
    if extractor not in EXTRACTORS:
        raise ConfigError(f"islr-extract: unknown extractor {extractor!r}; choose {', '.join(EXTRACTORS)}")
    if not (Path(root) / "videos").is_dir():
        raise ConfigError(f"islr-extract: {root} has no videos/ folder; give the ASL_Citizen folder (videos/, splits/)")
    out = Path(out)
    subset = read_subset(root, n, subset_rule)
    rows, jobs = [], []
    for split, df in subset.items():
        for r in df.itertuples():
            stem = Path(r.video).stem
            rel = Path("landmarks") / str(r.participant) / f"{stem}.parquet"
            jobs.append((r.path, out / rel))
            rows.append(
                {
                    "path": str(rel),
                    "participant_id": r.participant,
                    "sequence_id": stem,
                    "sign": r.gloss,
                    "split": split,
                    "video": r.path,
                }
            )
    failed = extract_many(
        jobs, frame_step=frame_step, workers=workers, scheduler=scheduler, progress=progress, extractor=extractor
    )
    index = pd.DataFrame(rows)
    bad = index["video"].isin(set(failed))
    unreadable = index.loc[bad, ["video", "participant_id", "sign", "split"]].assign(
        reason=[failed[v] for v in index.loc[bad, "video"]]
    )
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "unreadable.csv") as tmp:
        unreadable.to_csv(tmp, index=False)
    kept = index[~bad].drop(columns=["video"])
    glosses = sorted(kept["sign"].unique())
    write_json_atomic(out / "sign_to_prediction_index_map.json", {g: i for i, g in enumerate(glosses)})
    with atomic_path(out / "train.csv") as tmp:
        kept.to_csv(tmp, index=False)
    report = {
        "clips": {s: int((index["split"] == s).sum()) for s in subset},
        "extracted": int(len(kept)),
        "unreadable": int(bad.sum()),
        "glosses": len(glosses),
        "frame_step": frame_step,
        "extractor": extractor,
        "subset_rule": subset_rule,
    }
    write_json_atomic(out / "extraction.json", report)
    return report


def unreadable_report(out: str | os.PathLike) -> pd.DataFrame:
    """The videos an extraction left out, with the reason (empty table when none)."""
    path = Path(out) / "unreadable.csv"
    if not path.exists():
        return pd.DataFrame(columns=["video", "participant_id", "sign", "split", "reason"])
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def coverage(frames: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Share of frames in which each landmark type was found (any non-NaN point)."""
    return {t: float(np.mean(~np.isnan(a).all(axis=(1, 2)))) if len(a) else 0.0 for t, a in frames.items()}


# ---------------------------------------------------------------------------------------------- command
def _add_cli(sub) -> None:
    p = sub.add_parser(
        "islr-extract",
        help="MediaPipe Holistic landmarks of ASL Citizen videos, in the layout the ISLR pages read",
        description="Extract Holistic landmarks from the source study's gloss subset of ASL Citizen into "
        "OUT (one GISLR parquet per clip, train.csv, unreadable.csv). Resumable: rerun to continue. Then "
        "run the ISLR pages with --set islr_corpus_path=OUT.",
    )
    p.add_argument("--citizen", required=True, help="the ASL_Citizen folder (videos/ and splits/)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--glosses", type=int, default=100, help="size of the gloss subset (default 100, the source's)")
    p.add_argument("--frame-step", type=int, default=1, help="keep every k-th frame (default 1)")
    p.add_argument("--workers", type=int, default=2, help="processes (about one core each)")
    p.add_argument("--scheduler", default=None, help="a Dask scheduler address instead of local processes")
    p.add_argument(
        "--extractor",
        default="holistic",
        choices=list(EXTRACTORS),
        help="MediaPipe Holistic (default), or the authors' Hands + Face Mesh on mirrored frames",
    )
    p.add_argument(
        "--subset-rule",
        default="text",
        choices=["text", "code"],
        help="the gloss subset as the paper or the code has it",
    )
    p.set_defaults(func=_run_cli)


def _run_cli(args) -> int:
    report = extract_citizen(
        args.citizen,
        args.out,
        args.glosses,
        frame_step=args.frame_step,
        workers=args.workers,
        scheduler=args.scheduler,
        extractor=args.extractor,
        subset_rule=args.subset_rule,
    )
    print(
        f"islr-extract: {report['extracted']} clips of {report['glosses']} glosses in {args.out}; "
        f"{report['unreadable']} unreadable video(s) listed in {Path(args.out) / 'unreadable.csv'}"
    )
    return 0
