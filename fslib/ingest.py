"""Your own recordings in the layouts the study reads: ``fslib ingest fingerspelling VIDEOS LABELS.csv OUT``
(fingerspelled words) and ``fslib ingest isolated VIDEOS LABELS.csv OUT`` (isolated signs, see
:func:`ingest_isolated`).

Input: a folder of videos (mp4/mov/avi, anything OpenCV reads, or folders of frames) and a CSV with the
columns ``file`` (relative to the videos folder), ``label`` (the fingerspelled word), ``signer`` and optionally
``split`` (train / dev / test; ``val`` counts as dev). Output, in the ChicagoFSWild release layout that
:func:`fslib.data.readers.read_corpus` and every fingerspelling page read (``--set corpus_path=OUT``):

* ``OUT/ChicagoFSWild.csv``: one row per accepted clip (``filename``, ``number_of_frames``, ``width``,
  ``height``, ``label_proc``, ``label_raw``, ``partition``, ``signer``; ``url`` = the source file);
* ``OUT/ChicagoFSWild-Frames/<signer>/<clip>/NNNN.jpg``: the frames, resampled to ``fps`` frames/s;
* ``OUT/ingest_report.csv``: every row of the labels CSV with ``status`` (ingested / rejected) and, for a
  rejected row, its ``reason``: missing file, duplicate row, unreadable or empty video, empty label, label
  outside the alphabet (naming the characters), no signer, no hand found (MediaPipe Hands on the frames).

Labels are normalised as the alphabet spells them (lowercase; Greek accents removed, final sigma -> sigma).
Without a ``split`` column, signer-disjoint splits are made (about 70 / 15 / 15 % of the signers, at least one
each; fewer than 3 signers is an error saying so). Clips are converted in parallel threads (OpenCV and JPEG
coding release the GIL); a clip whose frames were written completely before is reused (its folder holds a
``.done`` record of its source's size, modification time and the frame rate), so an interrupted ingest resumes
where it stopped. No bad row stops the run and none is dropped without a line in the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .alphabet import get as get_alphabet
from .cache import atomic_path, write_json_atomic
from .data.readers import CSV_COLUMNS, normalize_label

LABEL_COLUMNS = ("file", "label", "signer")
SPLITS = ("train", "dev", "test")
FRAMES_DIR = "ChicagoFSWild-Frames"
CSV_NAME = "ChicagoFSWild.csv"
REPORT_NAME = "ingest_report.csv"


class IngestError(ValueError):
    """A labels CSV or an output folder the ingest cannot use (one line: the input and the fix)."""


@dataclasses.dataclass
class IngestResult:
    """``report``: every labels row with its status and reason; ``corpus``: the written corpus folder."""

    report: pd.DataFrame
    corpus: Path

    @property
    def ingested(self) -> int:
        return int((self.report["status"] == "ingested").sum())

    def summary(self) -> str:
        rej = self.report[self.report["status"] == "rejected"]
        why = rej["reason"].str.split(":").str[0].value_counts()
        reasons = ", ".join(f"{n} {r}" for r, n in why.items())
        return f"{self.ingested} of {len(self.report)} clips ingested into {self.corpus}" + (
            f"; {len(rej)} rejected ({reasons}), listed in {REPORT_NAME}" if len(rej) else ""
        )


# ------------------------------------------------------------------------------------------- labels
def read_labels(path: str | os.PathLike) -> pd.DataFrame:
    """The labels CSV as strings, with its columns checked (``file, label, signer`` and optional ``split``)."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such labels CSV; give a CSV with the columns file, label, signer[, split]")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except Exception as err:  # noqa: BLE001 - any parser failure is the user's file
        raise IngestError(f"{path}: cannot be read as CSV ({err}); give a CSV with a header row") from err
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in LABEL_COLUMNS if c not in df.columns]
    if missing:
        raise IngestError(
            f"{path}: lacks the column(s) {', '.join(missing)}; it has {', '.join(df.columns) or 'none'} "
            "(needed: file, label, signer, and optionally split)"
        )
    if not len(df):
        raise IngestError(f"{path}: no rows; list one clip per row (file, label, signer)")
    return df


def signer_splits(signers: Sequence[str], seed: int = 0, shares: tuple[float, float] = (0.15, 0.15)) -> dict:
    """Signer -> train / dev / test, signer-disjoint: about ``shares`` of the signers for dev and test, at
    least one each, the rest train (shuffled with ``seed``)."""
    uniq = sorted(set(signers))
    if len(uniq) < 3:
        raise IngestError(
            f"{len(uniq)} signer(s) ({', '.join(uniq) or 'none'}): signer-disjoint train/dev/test splits need at "
            "least 3; record more signers or give a split column"
        )
    order = [uniq[i] for i in np.random.default_rng(seed).permutation(len(uniq))]
    n_dev = max(1, round(shares[0] * len(uniq)))
    n_test = max(1, round(shares[1] * len(uniq)))
    if n_dev + n_test >= len(uniq):
        n_dev, n_test = 1, 1
    out = {s: "dev" for s in order[:n_dev]}
    out.update({s: "test" for s in order[n_dev : n_dev + n_test]})
    out.update({s: "train" for s in order[n_dev + n_test :]})
    return out


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "x"


def check_rows(df: pd.DataFrame, videos: Path, alphabet: str | None) -> pd.DataFrame:
    """Every row with ``reason`` ("" while acceptable), the normalised label, the split and the output
    ``filename``; nothing is read but file names. ``alphabet``: the fingerspelling alphabet the labels must
    be spelled in; None for isolated signs (a label is a gloss: stripped and upper-cased)."""
    alph = get_alphabet(alphabet) if alphabet else None
    kind = "greek" if alph is not None and alph.name == "greek" else "fswild"
    rows = []
    seen: dict[str, int] = {}
    for i, r in enumerate(df.itertuples(index=False)):
        rec = r._asdict()
        file, raw, signer = str(rec["file"]).strip(), str(rec["label"]), str(rec["signer"]).strip()
        if alph is None:
            label = "_".join(raw.strip().upper().split())
        else:
            label = " ".join(normalize_label(raw.strip().lower(), kind).split())
        row = {"row": i + 2, "file": file, "label_raw": raw, "label": label, "signer": signer, "reason": ""}
        split = str(rec.get("split", "")).strip().lower()
        row["split"] = {"val": "dev", "validation": "dev"}.get(split, split)
        path = videos / file
        bad = alph.invalid(label) if label and alph is not None else []
        if not file or not path.exists():
            row["reason"] = f"missing file: {path.name or '(empty file column)'} is not in {videos.name}/"
        elif file in seen:
            row["reason"] = f"duplicate row: {file} is already listed on row {seen[file]}"
        elif not label:
            row["reason"] = "empty label"
        elif bad:
            row["reason"] = f"label outside the alphabet: {label!r} has {''.join(sorted(set(bad)))!r} ({alph.name})"
        elif not signer:
            row["reason"] = "no signer"
        elif row["split"] and row["split"] not in SPLITS:
            row["reason"] = f"unknown split {row['split']!r} (use train, dev (or val) or test)"
        seen.setdefault(file, i + 2)
        row["filename"] = f"{_safe(signer)}/{_safe(Path(file).stem)}"
        rows.append(row)
    out = pd.DataFrame(rows)
    # two files with the same signer and stem would share a frame folder: number them
    acc = out.index[out["reason"] == ""]
    dup = acc[out.loc[acc, "filename"].duplicated(keep=False).to_numpy()]
    out.loc[dup, "filename"] = out.loc[dup, "filename"] + "_" + out.loc[dup, "row"].astype(str)
    return out


def _assign_splits(rows: pd.DataFrame, labels: Any, seed: int) -> pd.Series:
    """Fill ``rows.split`` of the acceptable rows (signer-disjoint when the CSV gives none); returns their mask."""
    ok = rows["reason"] == ""
    given = rows.loc[ok, "split"]
    if (given == "").all():
        rows.loc[ok, "split"] = rows.loc[ok, "signer"].map(signer_splits(rows.loc[ok, "signer"].tolist(), seed))
    elif (given == "").any():
        raise IngestError(f"{labels}: the split column is empty on some rows; fill every row or leave it out")
    return ok


def _write_report(rows: pd.DataFrame, out: Path) -> pd.DataFrame:
    """``OUT/ingest_report.csv``: every labels row with its status and reason (written atomically)."""
    cols = ["row", "file", "label_raw", "label", "signer", "split", "status", "reason", "filename"]
    report = rows.reindex(columns=cols + [c for c in ("frames",) if c in rows])
    with atomic_path(out / REPORT_NAME) as tmp:
        report.to_csv(tmp, index=False)
    return report


# ------------------------------------------------------------------------------------------- clips
def _record(src: Path, fps: float) -> dict[str, Any]:
    st = src.stat()
    return {"source_size": st.st_size, "source_mtime_ns": st.st_mtime_ns, "fps": fps}


def convert_clip(src: Path, dest: Path, fps: float, check_hands: bool = True) -> dict[str, Any]:
    """The clip's frames resampled to ``fps`` as ``dest/NNNN.jpg`` (written to a temporary folder, renamed when
    complete; reused when ``dest/.done`` records the same source and rate). Returns frames, width, height and
    ``reason`` ("" when fine)."""
    import cv2

    from .data.video import VideoError, open_source, resample

    record = _record(src, fps)
    done = dest / ".done"
    if done.exists():
        old = json.loads(done.read_text())
        if {k: old.get(k) for k in record} == record:
            return {k: old[k] for k in ("frames", "width", "height")} | {"reason": ""}
    try:
        source = open_source(src)
    except VideoError as err:
        return {"reason": f"unreadable video: {str(err).split(': ', 1)[-1]}"}
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    n, shape, hand = 0, (0, 0), not check_hands
    detector = _hands() if check_hands else None
    try:
        for frame in resample(source.frames(), source.fps, fps):
            n += 1
            shape = frame.shape[:2]
            cv2.imwrite(
                str(tmp / f"{n:04d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95]
            )
            if not hand:
                hand = bool(detector.detect(np.ascontiguousarray(frame)))
    except VideoError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        return {"reason": f"unreadable video: {err}"}
    finally:
        if detector is not None:
            detector.reset()
    if n == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        return {"reason": "empty video: no frame could be read"}
    if not hand:
        shutil.rmtree(tmp, ignore_errors=True)
        return {"reason": f"no hand found: MediaPipe Hands found no hand in any of the {n} frames"}
    meta = {"frames": n, "width": int(shape[1]), "height": int(shape[0])}
    (tmp / ".done").write_text(json.dumps(record | meta))
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dest)
    return meta | {"reason": ""}


def _hands():
    """This thread's MediaPipe Hands graph with the study's detection settings (tracking mode)."""
    from .preprocess.config import PreprocessConfig
    from .preprocess.sequence import hands_for

    return hands_for(PreprocessConfig())


# ------------------------------------------------------------------------------------------- ingest
def ingest_fingerspelling(
    videos: str | os.PathLike,
    labels: str | os.PathLike,
    out: str | os.PathLike,
    *,
    fps: float = 15.0,
    alphabet: str = "fswild",
    workers: int = 0,
    check_hands: bool = True,
    seed: int = 0,
    progress: bool = True,
) -> IngestResult:
    """Ingest a folder of fingerspelling clips (see the module docstring); returns the report and the corpus."""
    from .progress import tqdm

    videos, out = Path(videos), Path(out)
    if not videos.is_dir():
        raise IngestError(f"{videos}: no such folder of videos; give the folder the labels CSV's file column is in")
    if fps <= 0:
        raise IngestError(f"fps={fps}: the frame rate to resample to must be > 0 (the synthetic corpora use 15)")
    get_alphabet(alphabet)
    rows = check_rows(read_labels(labels), videos, alphabet)
    ok = _assign_splits(rows, labels, seed)
    out.mkdir(parents=True, exist_ok=True)
    frames_root = out / FRAMES_DIR
    jobs = rows.index[ok].tolist()

    def run(i: int) -> tuple[int, dict[str, Any]]:
        r = rows.loc[i]
        return i, convert_clip(videos / r["file"], frames_root / r["filename"], fps, check_hands)

    n_workers = workers or max(os.cpu_count() or 1, 1)
    with ThreadPoolExecutor(n_workers) as pool:
        for i, res in tqdm(pool.map(run, jobs), total=len(jobs), desc="ingesting clips", disable=not progress):
            for k, v in res.items():
                rows.loc[i, k] = v
    rows["status"] = np.where(rows["reason"] == "", "ingested", "rejected")
    good = rows[rows["status"] == "ingested"]
    corpus = pd.DataFrame(
        {
            "filename": good["filename"],
            "url": good["file"],
            "start_time": "",
            "number_of_frames": good.get("frames", pd.Series(dtype=float)).astype("Int64"),
            "width": good.get("width", pd.Series(dtype=float)).astype("Int64"),
            "height": good.get("height", pd.Series(dtype=float)).astype("Int64"),
            "label_proc": good["label"],
            "label_raw": good["label_raw"],
            "label_notes": "",
            "partition": good["split"],
            "signer": good["signer"],
        },
        columns=list(CSV_COLUMNS),
    )
    with atomic_path(out / CSV_NAME) as tmp:
        corpus.to_csv(tmp, index=False)
    report = _write_report(rows, out)
    record = {"fps": fps, "alphabet": alphabet, "labels": str(Path(labels).name), "rows": len(rows)}
    write_json_atomic(out / "ingest.json", record | {"ingested": int(len(good))})
    return IngestResult(report, out)


def ingest_isolated(
    videos: str | os.PathLike,
    labels: str | os.PathLike,
    out: str | os.PathLike,
    *,
    frame_step: int = 1,
    workers: int = 2,
    seed: int = 0,
    progress: bool = True,
) -> IngestResult:
    """Isolated signs: the labels CSV's ``label`` is the gloss. MediaPipe Holistic runs on every clip
    (:func:`fslib.islr.extract.extract_many`: processes, resumable) and writes the GISLR layout the
    isolated-sign pages read (``--set islr_corpus_path=OUT``): ``landmarks/<signer>/<clip>.parquet``,
    ``train.csv`` (``split`` train / val / test), ``sign_to_prediction_index_map.json``, and
    ``ingest_report.csv`` with every row (a clip whose video cannot be read, or where Holistic finds no hand
    in any frame, is rejected with that reason)."""
    from .islr import landmarks as lm
    from .islr.extract import coverage, extract_many

    videos, out = Path(videos), Path(out)
    if not videos.is_dir():
        raise IngestError(f"{videos}: no such folder of videos; give the folder the labels CSV's file column is in")
    if frame_step < 1:
        raise IngestError(f"frame_step={frame_step}: keep every k-th frame, k >= 1")
    rows = check_rows(read_labels(labels), videos, None)
    ok = _assign_splits(rows, labels, seed)
    rows.loc[ok, "split"] = rows.loc[ok, "split"].replace({"dev": "val"})  # the GISLR pages call it val
    targets = {i: out / "landmarks" / f"{rows.loc[i, 'filename']}.parquet" for i in rows.index[ok]}
    failed = extract_many(
        [(videos / rows.loc[i, "file"], t) for i, t in targets.items()],
        frame_step=frame_step,
        workers=workers,
        progress=progress,
    )
    for i, target in targets.items():
        why = failed.get(str(videos / rows.loc[i, "file"]))
        if why:
            rows.loc[i, "reason"] = f"unreadable video: {why}"
            continue
        frames = lm.read_parquet(target)  # read once: coverage and frame count
        cov = coverage(frames)
        rows.loc[i, "frames"] = len(frames["pose"])
        if max(cov.get("left_hand", 0.0), cov.get("right_hand", 0.0)) == 0.0:
            rows.loc[i, "reason"] = "no hand found: MediaPipe Holistic found no hand in any frame"
    rows["status"] = np.where(rows["reason"] == "", "ingested", "rejected")
    good = rows[rows["status"] == "ingested"]
    index = pd.DataFrame(
        {
            "path": [f"landmarks/{f}.parquet" for f in good["filename"]],
            "participant_id": good["signer"],
            "sequence_id": good["filename"].str.replace("/", "-"),
            "sign": good["label"],
            "split": good["split"],
        }
    )
    with atomic_path(out / "train.csv") as tmp:
        index.to_csv(tmp, index=False)
    write_json_atomic(
        out / "sign_to_prediction_index_map.json", {g: k for k, g in enumerate(sorted(set(good["label"])))}
    )
    report = _write_report(rows, out)
    write_json_atomic(out / "ingest.json", {"frame_step": frame_step, "rows": len(rows), "ingested": int(len(good))})
    return IngestResult(report, out)


# ------------------------------------------------------------------------------------------- command
def add_subcommand(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ingest",
        help="turn your own recordings into a corpus the study reads",
        description="Turn a folder of your own recordings and a labels CSV into the layout the study's pages "
        "read; every rejected row is listed with its reason in OUT/ingest_report.csv.",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    f = kinds.add_parser(
        "fingerspelling",
        help="fingerspelled words -> a ChicagoFSWild-layout corpus (--set corpus_path=OUT)",
        description=__doc__.split("\n\n", 1)[1].split("\n\n")[0],
    )
    f.add_argument("videos", type=Path, help="folder of the videos (mp4/mov/avi) or frame folders")
    f.add_argument("labels", type=Path, help="CSV with the columns file, label, signer and optionally split")
    f.add_argument("out", type=Path, help="the corpus folder to write (then: --set corpus_path=OUT)")
    f.add_argument("--fps", type=float, default=15.0, help="frame rate to resample to (default 15, as the study)")
    f.add_argument("--alphabet", default="fswild", choices=["fswild", "greek"], help="the labels' alphabet")
    f.add_argument("--workers", type=int, default=0, help="parallel clip conversions (default: one per core)")
    f.add_argument("--no-hand-check", action="store_true", help="do not reject clips where MediaPipe finds no hand")
    f.add_argument("--seed", type=int, default=0, help="seed of the signer-disjoint splits (when none are given)")
    f.set_defaults(func=_run_fingerspelling)
    i = kinds.add_parser(
        "isolated",
        help="isolated signs -> MediaPipe Holistic landmarks in the GISLR layout (--set islr_corpus_path=OUT)",
        description=ingest_isolated.__doc__.split("\n\n")[0],
    )
    i.add_argument("videos", type=Path, help="folder of the videos (mp4/mov/avi)")
    i.add_argument(
        "labels", type=Path, help="CSV with the columns file, label (the gloss), signer and optionally split"
    )
    i.add_argument("out", type=Path, help="the corpus folder to write (then: --set islr_corpus_path=OUT)")
    i.add_argument("--frame-step", type=int, default=1, help="keep every k-th frame (default 1)")
    i.add_argument("--workers", type=int, default=2, help="processes (MediaPipe takes about one core each)")
    i.add_argument("--seed", type=int, default=0, help="seed of the signer-disjoint splits (when none are given)")
    i.set_defaults(func=_run_isolated)


def _run_fingerspelling(args: argparse.Namespace) -> int:
    res = ingest_fingerspelling(
        args.videos,
        args.labels,
        args.out,
        fps=args.fps,
        alphabet=args.alphabet,
        workers=args.workers,
        check_hands=not args.no_hand_check,
        seed=args.seed,
    )
    print(res.summary())
    if res.ingested:
        print(f"next: fslib train --profile smoke --set corpus_path={args.out}")
    return 0 if res.ingested else 2


def _run_isolated(args: argparse.Namespace) -> int:
    res = ingest_isolated(
        args.videos, args.labels, args.out, frame_step=args.frame_step, workers=args.workers, seed=args.seed
    )
    print(res.summary())
    if res.ingested:
        print(f"next: fslib study --profile smoke --only 10 11 --set islr_corpus_path={args.out}")
    return 0 if res.ingested else 2
