"""Readers for fingerspelling corpora in the ChicagoFSWild release layout.

One layout serves every corpus the study reads:

* a CSV with (at least) the columns ``filename, number_of_frames, label_proc, partition, signer`` and
  usually ``url, start_time, width, height, label_raw, label_notes``; read by column name, with or without
  an extra unnamed leading index column;
* a frames root with one folder of JPEG frames per sequence, ``<frames root>/<filename>/NNNN.jpg``
  (four digits, 1-based);
* optionally ``BBox/<filename>/<frame>.txt`` hand boxes (one ``x0,y0,x1,y1,L`` per line, L = 1 the signing
  hand, 2 the other hand).

Corpora and where their pieces are found (a corpus is named by a path; nothing is downloaded):

* **ChicagoFSWild**: ``<root>/ChicagoFSWild.csv``, frames ``<root>/ChicagoFSWild-Frames/`` (as
  ``ChicagoFSWild-Frames.tgz`` extracts), boxes ``<root>/BBox/``.
* **ChicagoFSWild+**: ``<root>/ChicagoFSWildPlus.csv``, frames under ``<root>/ChicagoFSWildPlus-Frames/``
  or the nested ``<root>/ChicagoFSWildPlus/ChicagoFSWildPlus/`` some extractions produce.
* **Greek studio corpus** (SL-ReDu GSL; its own layout is not public): a CSV in the ChicagoFSWild columns,
  with ``filename`` = ``<session>/<informant>_<NNNN>`` (the frame folder), ``label_proc`` = the
  fingerspelled word in lowercase Greek letters (accents are removed and final sigma becomes sigma on
  reading, see :func:`normalize_label`), ``partition`` = the signer-independent protocol's train / dev /
  test, ``signer`` = the informant id, ``width`` / ``height`` of the frames; frames in the same folder
  layout. ``url`` / ``start_time`` / ``label_raw`` / ``label_notes`` may be empty.
* **Synthetic corpora** (:mod:`fslib.synth`): ``<root>/<name>.csv``, frames ``<root>/<filename>/NNNN.jpg``,
  ground truth ``<root>/groundtruth/<filename>.npz``.

The frames root is found automatically: the folder at most three levels below the corpus root that holds
the most of the CSV's first sequence folders (or given explicitly).
"""

from __future__ import annotations

import dataclasses
import os
import re
import unicodedata
from collections.abc import Sequence as _Seq
from pathlib import Path

import numpy as np

from ..alphabet import Alphabet
from ..alphabet import get as get_alphabet

REQUIRED_COLUMNS = ("filename", "number_of_frames", "label_proc", "partition", "signer")
OPTIONAL_COLUMNS = ("url", "start_time", "width", "height", "label_raw", "label_notes")
CSV_COLUMNS = (
    "filename",
    "url",
    "start_time",
    "number_of_frames",
    "width",
    "height",
    "label_proc",
    "label_raw",
    "label_notes",
    "partition",
    "signer",
)
KINDS = ("auto", "fswild", "fswildplus", "greek", "synthetic")
_FRAME_RE = re.compile(r"^(\d{4,})\.jpe?g$", re.IGNORECASE)


class DatasetError(ValueError):
    """A corpus path or its CSV cannot be read at all (bad rows are reported, not raised)."""


@dataclasses.dataclass(frozen=True)
class Issue:
    """One piece of bad input: its kind, the sequence (and frame, 1-based, 0 = whole sequence), what is
    wrong and what was done about it."""

    kind: str
    filename: str
    frame: int
    detail: str
    action: str


# The kinds of bad input and the documented repair; the report lists every issue with these actions.
ISSUE_ACTIONS = {
    "bad_row": "row skipped (number_of_frames is not a positive integer or filename is empty)",
    "missing_folder": "sequence skipped (no frame folder)",
    "frame_count_mismatch": "used the frames present: 1..min(number_of_frames, last frame in the folder)",
    "missing_frame": "replaced by the nearest readable frame; its box is interpolated",
    "corrupt_jpeg": "replaced by the nearest readable frame; its box is interpolated",
    "no_readable_frames": "sequence skipped (no frame could be decoded)",
    "label_outside_alphabet": "kept in the crop cache; left out of training/evaluation datasets by default",
    "no_hand": "no hand in any frame: cropped the dataset's BBox if any, else the centred square of each frame",
    "size_mismatch": "used the decoded frame size",
}


@dataclasses.dataclass(frozen=True)
class Sequence:
    """One fingerspelling sequence as the CSV describes it.

    ``n_frames`` is the number of frames the stage uses (1-based frame numbers ``1..n_frames``), after
    reconciling ``number_of_frames`` with the folder; ``number_of_frames`` is the CSV's value.
    ``width`` / ``height`` are pixels (0 when the CSV does not give them).
    """

    filename: str
    label: str
    number_of_frames: int
    n_frames: int
    width: int
    height: int
    partition: str
    signer: str
    frames_dir: Path
    bbox_dir: Path | None = None
    label_ok: bool = True

    def frame_path(self, i: int) -> Path:
        """Path of frame ``i`` (1-based)."""
        return self.frames_dir / f"{i:04d}.jpg"

    def frame_paths(self) -> list[Path]:
        return [self.frame_path(i) for i in range(1, self.n_frames + 1)]


@dataclasses.dataclass
class Corpus:
    """A corpus read from disk: its sequences (CSV order) and the bad input found while reading."""

    name: str
    kind: str
    root: Path
    csv_path: Path
    frames_root: Path
    bbox_root: Path | None
    alphabet: Alphabet
    sequences: list[Sequence]
    issues: list[Issue]

    def __len__(self) -> int:
        return len(self.sequences)

    def by_filename(self) -> dict[str, Sequence]:
        return {s.filename: s for s in self.sequences}

    def partition(self, name: str) -> list[Sequence]:
        return [s for s in self.sequences if s.partition == name]

    def table(self):
        """One row per sequence: filename, partition, signer, frames (used), label, label_ok (pandas)."""
        import pandas as pd

        return pd.DataFrame(
            [
                dict(
                    filename=s.filename,
                    partition=s.partition,
                    signer=s.signer,
                    frames=s.n_frames,
                    label=s.label,
                    label_ok=s.label_ok,
                )
                for s in self.sequences
            ],
            columns=["filename", "partition", "signer", "frames", "label", "label_ok"],
        )

    @property
    def groundtruth_root(self) -> Path | None:
        """``<root>/groundtruth`` for synthetic corpora (per-sequence ``.npz``), else None."""
        g = self.root / "groundtruth"
        return g if g.is_dir() else None


def normalize_label(text: str, kind: str) -> str:
    """The label as the alphabet spells it. Greek: lowercase, accents and diaeresis removed, final sigma
    'ς' -> 'σ'. Other corpora: unchanged (ChicagoFSWild's ``label_proc`` is already normalised)."""
    if kind == "greek":
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        return unicodedata.normalize("NFC", text).replace("ς", "σ")
    return text


def read_csv(path: str | os.PathLike):
    """The corpus CSV as a pandas DataFrame of strings, read by column name.

    An extra unnamed leading column (a saved pandas index) is dropped. Missing required columns raise a
    :class:`DatasetError` naming them.
    """
    import pandas as pd

    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except Exception as err:  # noqa: BLE001 - any parser failure is a user-facing error
        raise DatasetError(f"cannot parse the corpus CSV {path}: {err}") from err
    df.columns = [str(c).strip() for c in df.columns]
    first = df.columns[0] if len(df.columns) else ""
    if first == "" or first.startswith("Unnamed"):
        df = df.drop(columns=[first])
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise DatasetError(
            f"the corpus CSV {path} lacks the column(s) {', '.join(missing)}; it has {', '.join(df.columns)}. "
            f"Expected the ChicagoFSWild columns {', '.join(CSV_COLUMNS)} (a header row is required)"
        )
    for c in OPTIONAL_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    return df


def _find_csv(root: Path, kind: str) -> Path:
    def has_columns(p: Path) -> bool:  # a corpus CSV, not e.g. HandAnnotation.csv or a signer list
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                header = {c.strip() for c in f.readline().strip().split(",")}
        except OSError:
            return False
        return set(REQUIRED_COLUMNS) <= header

    csvs = sorted(p for p in root.glob("*.csv") if has_columns(p))
    if not csvs:
        csvs = sorted(p for p in root.glob("*/*.csv") if has_columns(p))
    prefer = {"fswild": "ChicagoFSWild.csv", "fswildplus": "ChicagoFSWildPlus.csv"}.get(kind)
    if prefer:
        for p in csvs:
            if p.name == prefer:
                return p
    if len(csvs) == 1:
        return csvs[0]
    if not csvs:
        raise DatasetError(
            f"no corpus CSV (one with the columns {', '.join(REQUIRED_COLUMNS)}) under {root}; "
            f"expected e.g. {root}/ChicagoFSWild.csv, or pass csv="
        )
    raise DatasetError(f"several CSVs under {root} ({', '.join(p.name for p in csvs)}); pass csv= to choose one")


def find_frames_root(root: Path, filenames: _Seq[str], depth: int = 3) -> Path:
    """The folder at most ``depth`` levels below ``root`` that holds the most of ``filenames``' frame folders
    (covers ``ChicagoFSWild-Frames/`` and the nested ``ChicagoFSWildPlus/ChicagoFSWildPlus/``)."""
    probe = [f for f in filenames[:20] if f]
    if not probe:
        return root
    best, best_hits = root, -1
    level = [root]
    for _ in range(depth + 1):
        nxt = []
        for cand in level:
            hits = sum((cand / f).is_dir() for f in probe)
            if hits > best_hits:
                best, best_hits = cand, hits
            if hits == len(probe):
                return cand
            try:
                nxt.extend(
                    sorted(
                        p
                        for p in cand.iterdir()
                        if p.is_dir() and not p.name.startswith(".") and p.name not in ("BBox", "groundtruth")
                    )
                )
            except OSError:
                pass
        level = nxt[:200]
    if best_hits <= 0:
        raise DatasetError(
            f"no frame folders of the CSV's sequences (e.g. {probe[0]}/0001.jpg) under {root}; "
            f"extract the frames archive there or pass frames_root="
        )
    return best


def _guess_kind(csv_path: Path, root: Path) -> str:
    name = csv_path.name.lower()
    if name == "chicagofswildplus.csv":
        return "fswildplus"
    if name == "chicagofswild.csv":
        return "fswild"
    if (root / "groundtruth").is_dir():
        return "synthetic"
    return "fswild"


def _int(value: str, default: int | None = None) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def frames_in_folder(folder: Path) -> list[int]:
    """Frame numbers (1-based) of the ``NNNN.jpg`` files in ``folder``, sorted."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    out = []
    for n in names:
        m = _FRAME_RE.match(n)
        if m:
            out.append(int(m.group(1)))
    return sorted(out)


def read_corpus(
    path: str | os.PathLike,
    *,
    kind: str = "auto",
    alphabet: str | Alphabet | None = None,
    csv: str | os.PathLike | None = None,
    frames_root: str | os.PathLike | None = None,
    bbox_root: str | os.PathLike | None = None,
    check_frames: bool = True,
) -> Corpus:
    """Read a corpus from its root folder (or its CSV file).

    kind: 'fswild', 'fswildplus', 'greek', 'synthetic' or 'auto' (from the CSV name / a groundtruth folder).
    alphabet: 'fswild' / 'greek' / an :class:`~fslib.alphabet.Alphabet`; default Greek for kind 'greek',
    else ChicagoFSWild's.
    check_frames: list each sequence's folder to reconcile ``number_of_frames`` with the frames present
    (one directory listing per sequence) and report missing folders / frames.

    Bad rows and bad labels are recorded in ``Corpus.issues`` (see :data:`ISSUE_ACTIONS`), never raised.
    """
    if kind not in KINDS:
        raise DatasetError(f"unknown corpus kind {kind!r}; choose one of {', '.join(KINDS)}")
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"corpus path {path} does not exist; give the folder holding the corpus CSV and frames")
    if csv is not None:
        csv_path = Path(csv)
        root = path if path.is_dir() else csv_path.parent
    elif path.is_file():
        csv_path, root = path, path.parent
    else:
        root = path
        csv_path = _find_csv(root, kind)
    if kind == "auto":
        named_greek = alphabet == "greek" or (isinstance(alphabet, Alphabet) and alphabet.name == "Greek")
        kind = "greek" if named_greek else _guess_kind(csv_path, root)
    if alphabet is None:
        alphabet = "greek" if kind == "greek" else "fswild"
    alpha = get_alphabet(alphabet) if isinstance(alphabet, str) else alphabet

    df = read_csv(csv_path)
    filenames = [f.strip() for f in df["filename"].tolist()]
    froot = Path(frames_root) if frames_root is not None else find_frames_root(root, filenames)
    if bbox_root is not None:
        broot = Path(bbox_root)
    else:
        broot = next((p for p in (root / "BBox", csv_path.parent / "BBox", froot.parent / "BBox") if p.is_dir()), None)

    sequences: list[Sequence] = []
    issues: list[Issue] = []
    for i, row in enumerate(df.to_dict("records")):
        fn = row["filename"].strip()
        nf = _int(row["number_of_frames"])
        if not fn or nf is None or nf <= 0:
            issues.append(
                Issue(
                    "bad_row",
                    fn or f"<row {i + 1}>",
                    0,
                    f"CSV row {i + 1}: filename={fn!r}, number_of_frames={row['number_of_frames']!r}",
                    ISSUE_ACTIONS["bad_row"],
                )
            )
            continue
        folder = froot / fn
        n_used = nf
        if check_frames:
            present = frames_in_folder(folder)
            if not present:
                issues.append(Issue("missing_folder", fn, 0, f"no frames in {folder}", ISSUE_ACTIONS["missing_folder"]))
                continue
            last = present[-1]
            if last != nf:
                n_used = min(nf, last)
                issues.append(
                    Issue(
                        "frame_count_mismatch",
                        fn,
                        0,
                        f"number_of_frames={nf} but the folder's last frame is {last:04d}.jpg ({len(present)} files)",
                        ISSUE_ACTIONS["frame_count_mismatch"],
                    )
                )
            have = set(present)
            for k in range(1, n_used + 1):
                if k not in have:
                    issues.append(
                        Issue("missing_frame", fn, k, f"{k:04d}.jpg is missing", ISSUE_ACTIONS["missing_frame"])
                    )
        label = normalize_label(row["label_proc"], kind)
        bad = alpha.invalid(label)
        if bad:
            issues.append(
                Issue(
                    "label_outside_alphabet",
                    fn,
                    0,
                    f"label {label!r} has {', '.join(map(repr, bad))} outside the {alpha.name} alphabet",
                    ISSUE_ACTIONS["label_outside_alphabet"],
                )
            )
        bdir = broot / fn if broot is not None and (broot / fn).is_dir() else None
        sequences.append(
            Sequence(
                filename=fn,
                label=label,
                number_of_frames=nf,
                n_frames=n_used,
                width=_int(row.get("width", ""), 0) or 0,
                height=_int(row.get("height", ""), 0) or 0,
                partition=row["partition"].strip(),
                signer=row["signer"].strip(),
                frames_dir=folder,
                bbox_dir=bdir,
                label_ok=not bad,
            )
        )
    name = csv_path.stem
    return Corpus(
        name=name,
        kind=kind,
        root=root,
        csv_path=csv_path,
        frames_root=froot,
        bbox_root=broot,
        alphabet=alpha,
        sequences=sequences,
        issues=issues,
    )


def read_bbox_file(path: str | os.PathLike) -> dict[int, np.ndarray]:
    """One ``BBox/<filename>/<frame>.txt`` file: ``{L: (4,) float32 x0, y0, x1, y1}`` (L = 1 signing hand,
    2 other hand; the first box of each L). Malformed lines are ignored; a missing file gives ``{}``."""
    out: dict[int, np.ndarray] = {}
    try:
        text = Path(path).read_text()
    except OSError:
        return out
    for line in text.splitlines():
        parts = [p for p in re.split(r"[,\s]+", line.strip()) if p]
        if len(parts) < 5:
            continue
        try:
            x0, y0, x1, y1 = (float(v) for v in parts[:4])
            lab = int(float(parts[4]))
        except ValueError:
            continue
        if lab not in out and x1 > x0 and y1 > y0:
            out[lab] = np.array([x0, y0, x1, y1], np.float32)
    return out


def read_bboxes(seq: Sequence, label: int = 1) -> np.ndarray:
    """The dataset's boxes of hand ``label`` for every used frame: (n_frames, 4) float32 pixels, NaN where
    the BBox folder has no box. File names are tried as ``<frame>.txt`` with and without zero padding."""
    out = np.full((seq.n_frames, 4), np.nan, np.float32)
    if seq.bbox_dir is None:
        return out
    try:
        names = {p.stem: p for p in seq.bbox_dir.iterdir() if p.suffix == ".txt"}
    except OSError:
        return out
    by_num = {}
    for stem, p in names.items():
        try:
            by_num[int(stem)] = p
        except ValueError:
            continue
    for k in range(1, seq.n_frames + 1):
        p = by_num.get(k)
        if p is not None:
            box = read_bbox_file(p).get(label)
            if box is not None:
                out[k - 1] = box
    return out
