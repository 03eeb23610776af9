"""Tiny corpora in the exact release layouts, for tests and for trying the readers without the real data.

:func:`write_fswild_fixture` writes a ChicagoFSWild-style corpus with every kind of bad input the readers
and the preprocessing stage must survive: a CSV with the extra unnamed leading index column, BBox files,
a corrupt (truncated) JPEG, a missing frame, number_of_frames disagreeing with the folder, a label outside
the alphabet, a sequence folder that does not exist, a row whose number_of_frames is not a number, and
blank frames (no hand). Frames are plain images (no hands) unless ``frame_fn`` draws them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .readers import CSV_COLUMNS


def _write_jpeg(path: Path, img: np.ndarray) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    path.write_bytes(buf.tobytes())


def default_frame(seq_index: int, t: int, width: int, height: int) -> np.ndarray:
    """A deterministic textured frame without a hand: a gradient plus a moving grey square (RGB uint8)."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.stack(
        [(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), np.full_like(x, (40 * seq_index) % 256)], -1
    ).astype(np.uint8)
    s = max(4, min(width, height) // 6)
    x0 = (5 * t + 7 * seq_index) % max(width - s, 1)
    img[height // 3 : height // 3 + s, x0 : x0 + s] = 128
    return img


def write_fswild_fixture(
    root: str | Path,
    *,
    nested: bool = False,
    index_column: bool = True,
    frame_fn: Callable[[int, int, int, int], np.ndarray] | None = None,
    width: int = 96,
    height: int = 64,
) -> dict:
    """Write a small ChicagoFSWild (``nested=False``: ``ChicagoFSWild.csv`` + ``ChicagoFSWild-Frames/`` +
    ``BBox/``) or ChicagoFSWild+ (``nested=True``: ``ChicagoFSWildPlus.csv`` + frames under the nested
    ``ChicagoFSWildPlus/ChicagoFSWildPlus/``) corpus under ``root``.

    Returns what was planted, for tests: ``filenames``, and the ``corrupt``, ``missing``, ``mismatch``,
    ``bad_label``, ``no_folder``, ``bad_row``, ``bbox`` sequence names (``corrupt`` / ``missing`` as
    ``(filename, frame)``), and ``bbox_boxes`` {frame: box} of the BBox sequence.
    """
    import pandas as pd

    root = Path(root)
    frame_fn = frame_fn or default_frame
    if nested:
        csv_name, frames_root = "ChicagoFSWildPlus.csv", root / "ChicagoFSWildPlus" / "ChicagoFSWildPlus"
    else:
        csv_name, frames_root = "ChicagoFSWild.csv", root / "ChicagoFSWild-Frames"
    # filename, label, number_of_frames in CSV, frames on disk, partition, signer
    plan = [
        ("aslized/elsie_stecker_0001", "hello", 6, 6, "train", "elsie_stecker"),
        ("youtube_4/sean_berdy_5756", "a.b@c", 5, 5, "train", "sean_berdy"),
        ("deafvideo_2/frekky_1425", "it's", 7, 6, "dev", "frekky"),  # CSV says 7, folder has 6
        ("youtube_2/jo_smith_0003_(youtube)", "caf\u00e9", 4, 4, "test", "jo_smith"),  # label outside alphabet
        ("aslized/elsie_stecker_0002", "ok", 5, 5, "train", "elsie_stecker"),  # corrupt frame 3, missing 4
        ("aslized/nobody_0001", "x", 3, 0, "test", "nobody"),  # no frame folder
    ]
    rows = []
    for i, (fn, label, nf, on_disk, part, signer) in enumerate(plan):
        for t in range(1, on_disk + 1):
            _write_jpeg(frames_root / fn / f"{t:04d}.jpg", frame_fn(i, t, width, height))
        rows.append(
            dict(
                filename=fn,
                url=f"https://example.org/{i}",
                start_time="0:00:01",
                number_of_frames=str(nf),
                width=str(width),
                height=str(height),
                label_proc=label,
                label_raw=label.upper(),
                label_notes="",
                partition=part,
                signer=signer,
            )
        )
    rows.append(
        dict(
            filename="youtube_4/broken_row",
            url="",
            start_time="",
            number_of_frames="n/a",
            width="",
            height="",
            label_proc="abc",
            label_raw="",
            label_notes="",
            partition="train",
            signer="broken",
        )
    )
    corrupt = ("aslized/elsie_stecker_0002", 3)
    p = frames_root / corrupt[0] / f"{corrupt[1]:04d}.jpg"
    p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])  # truncated: no end-of-image marker
    missing = ("aslized/elsie_stecker_0002", 4)
    (frames_root / missing[0] / f"{missing[1]:04d}.jpg").unlink()
    bbox_fn = "aslized/elsie_stecker_0001"
    bbox_boxes = {}
    if not nested:  # BBox boxes ship with ChicagoFSWild only
        for t in (2, 5):
            box = np.array([10 + t, 12, 40 + t, 44], np.float32)
            bbox_boxes[t] = box
            q = root / "BBox" / bbox_fn / f"{t}.txt"
            q.parent.mkdir(parents=True, exist_ok=True)
            q.write_text(f"{int(box[0])},{int(box[1])},{int(box[2])},{int(box[3])},1\n70,5,90,30,2\n")
    df = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    df.to_csv(root / csv_name, index=index_column)
    return dict(
        filenames=[r["filename"] for r in rows],
        corrupt=corrupt,
        missing=missing,
        mismatch="deafvideo_2/frekky_1425",
        bad_label="youtube_2/jo_smith_0003_(youtube)",
        no_folder="aslized/nobody_0001",
        bad_row="youtube_4/broken_row",
        bbox=bbox_fn if not nested else None,
        bbox_boxes=bbox_boxes,
        frames_root=frames_root,
    )
