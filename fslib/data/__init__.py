"""Corpus readers: ChicagoFSWild, ChicagoFSWild+, the Greek studio corpus and the synthetic corpora, all in
the ChicagoFSWild release layout (see :mod:`fslib.data.readers` for the layouts and the Greek mapping).

    from fslib.data import read_corpus
    corpus = read_corpus("/data/ChicagoFSWild")          # CSV + frames root + optional BBox/
    corpus.sequences[0].frame_path(1)                   # <frames root>/<filename>/0001.jpg
    corpus.issues                                       # bad rows / folders / frames / labels, never raised
"""

from __future__ import annotations

from ..alphabet import FSWILD, GREEK, Alphabet
from .frames import decode_jpeg, load_frames, nearest_valid
from .readers import (
    CSV_COLUMNS,
    ISSUE_ACTIONS,
    Corpus,
    DatasetError,
    Issue,
    Sequence,
    find_frames_root,
    normalize_label,
    read_bbox_file,
    read_bboxes,
    read_corpus,
    read_csv,
)

__all__ = [
    "FSWILD",
    "GREEK",
    "Alphabet",
    "CSV_COLUMNS",
    "ISSUE_ACTIONS",
    "Corpus",
    "DatasetError",
    "Issue",
    "Sequence",
    "decode_jpeg",
    "find_frames_root",
    "load_frames",
    "nearest_valid",
    "normalize_label",
    "read_bbox_file",
    "read_bboxes",
    "read_corpus",
    "read_csv",
]
