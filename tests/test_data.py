"""Readers of the ChicagoFSWild release layout (and the same layout for FSWild+, Greek and synthetic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fslib.alphabet import FSWILD, GREEK
from fslib.data import (
    DatasetError,
    decode_jpeg,
    load_frames,
    nearest_valid,
    normalize_label,
    read_bbox_file,
    read_bboxes,
    read_corpus,
    read_csv,
)
from fslib.data.fixtures import write_fswild_fixture


@pytest.fixture(scope="module")
def fswild(tmp_path_factory):
    root = tmp_path_factory.mktemp("fswild")
    return root, write_fswild_fixture(root)


def kinds(corpus):
    return {(i.kind, i.filename) for i in corpus.issues}


def test_csv_with_and_without_leading_index_column(tmp_path):
    write_fswild_fixture(tmp_path / "a", index_column=True)
    write_fswild_fixture(tmp_path / "b", index_column=False)
    first = (tmp_path / "a" / "ChicagoFSWild.csv").read_text().splitlines()[0]
    assert first.startswith(",filename")  # the fixture really has the unnamed index column
    a, b = read_csv(tmp_path / "a" / "ChicagoFSWild.csv"), read_csv(tmp_path / "b" / "ChicagoFSWild.csv")
    assert list(a.columns) == list(b.columns)
    assert a.columns[0] == "filename"
    pd.testing.assert_frame_equal(a, b)


def test_csv_columns_are_read_by_name_not_position(tmp_path):
    write_fswild_fixture(tmp_path, index_column=False)
    df = pd.read_csv(tmp_path / "ChicagoFSWild.csv", dtype=str, keep_default_na=False)
    df = df[list(reversed(df.columns))]  # same data, columns in another order
    df.to_csv(tmp_path / "ChicagoFSWild.csv", index=False)
    corpus = read_corpus(tmp_path)
    seq = corpus.by_filename()["youtube_4/sean_berdy_5756"]
    assert (seq.label, seq.partition, seq.signer, seq.number_of_frames, seq.width) == (
        "a.b@c",
        "train",
        "sean_berdy",
        5,
        96,
    )


def test_missing_columns_named_in_error(tmp_path):
    (tmp_path / "x.csv").write_text("filename,label_proc\na/b_0001,abc\n")
    with pytest.raises(DatasetError, match="number_of_frames"):
        read_csv(tmp_path / "x.csv")


def test_reader_finds_frames_bbox_and_reports_bad_input(fswild):
    root, info = fswild
    corpus = read_corpus(root)
    assert corpus.kind == "fswild" and corpus.alphabet is FSWILD
    assert corpus.frames_root == info["frames_root"]
    assert corpus.bbox_root == root / "BBox"
    names = [s.filename for s in corpus.sequences]
    # the row without a folder and the unparseable row are reported and left out, the rest kept in CSV order
    assert names == [f for f in info["filenames"] if f not in (info["no_folder"], info["bad_row"])]
    found = kinds(corpus)
    assert ("missing_folder", info["no_folder"]) in found
    assert ("bad_row", info["bad_row"]) in found
    assert ("frame_count_mismatch", info["mismatch"]) in found
    assert ("label_outside_alphabet", info["bad_label"]) in found
    miss = [i for i in corpus.issues if i.kind == "missing_frame"]
    assert [(i.filename, i.frame) for i in miss] == [info["missing"]]
    by = corpus.by_filename()
    assert by[info["mismatch"]].number_of_frames == 7 and by[info["mismatch"]].n_frames == 6
    assert not by[info["bad_label"]].label_ok and by["aslized/elsie_stecker_0001"].label_ok
    assert by[info["bbox"]].bbox_dir is not None and by["youtube_4/sean_berdy_5756"].bbox_dir is None
    assert by["aslized/elsie_stecker_0001"].frame_path(3) == info["frames_root"] / "aslized/elsie_stecker_0001/0003.jpg"
    assert {s.partition for s in corpus.sequences} == {"train", "dev", "test"}
    assert all(i.action for i in corpus.issues)


def test_nested_fswild_plus_frame_root(tmp_path):
    info = write_fswild_fixture(tmp_path, nested=True)
    corpus = read_corpus(tmp_path)
    assert corpus.kind == "fswildplus"
    assert corpus.frames_root == tmp_path / "ChicagoFSWildPlus" / "ChicagoFSWildPlus" == info["frames_root"]
    assert corpus.bbox_root is None
    # the CSV file itself may be given instead of the folder
    assert [s.filename for s in read_corpus(tmp_path / "ChicagoFSWildPlus.csv").sequences] == [
        s.filename for s in corpus.sequences
    ]


def test_no_frames_anywhere_is_a_clear_error(tmp_path):
    (tmp_path / "ChicagoFSWild.csv").write_text(
        "filename,number_of_frames,label_proc,partition,signer\naslized/a_0001,3,abc,train,a\n"
    )
    with pytest.raises(DatasetError, match="frame folders"):
        read_corpus(tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        read_corpus(tmp_path / "nope")


def test_bbox_files(fswild):
    root, info = fswild
    boxes = read_bbox_file(root / "BBox" / info["bbox"] / "2.txt")
    np.testing.assert_allclose(boxes[1], info["bbox_boxes"][2])
    np.testing.assert_allclose(boxes[2], [70, 5, 90, 30])
    seq = read_corpus(root).by_filename()[info["bbox"]]
    per_frame = read_bboxes(seq, label=1)
    assert per_frame.shape == (seq.n_frames, 4)
    for t in range(1, seq.n_frames + 1):
        if t in info["bbox_boxes"]:
            np.testing.assert_allclose(per_frame[t - 1], info["bbox_boxes"][t])
        else:
            assert np.isnan(per_frame[t - 1]).all()


def test_bbox_malformed_lines_ignored(tmp_path):
    p = tmp_path / "1.txt"
    p.write_text("garbage\n1,2,3\n5,6,4,9,1\n10,20,30,40,1\n")  # third line has x1 < x0
    np.testing.assert_allclose(read_bbox_file(p)[1], [10, 20, 30, 40])
    assert read_bbox_file(tmp_path / "missing.txt") == {}


def test_decode_jpeg_detects_corrupt_and_missing(fswild):
    root, info = fswild
    fn, k = info["corrupt"]
    img, why = decode_jpeg(info["frames_root"] / fn / f"{k:04d}.jpg")
    assert img is None and "truncated" in why
    img, why = decode_jpeg(info["frames_root"] / fn / "0099.jpg")
    assert img is None and why == "missing"
    img, why = decode_jpeg(info["frames_root"] / fn / "0001.jpg")
    assert why == "" and img.shape == (64, 96, 3) and img.dtype == np.uint8
    seq = read_corpus(root).by_filename()[fn]
    frames, ok, issues = load_frames(seq, report_missing=True)
    assert ok.tolist() == [True, True, False, False, True]
    assert sorted((i.kind, i.frame) for i in issues) == [("corrupt_jpeg", 3), ("missing_frame", 4)]


def test_nearest_valid():
    ok = np.array([False, True, False, False, False, True, False])
    assert nearest_valid(ok).tolist() == [1, 1, 1, 1, 5, 5, 5]
    with pytest.raises(ValueError):
        nearest_valid(np.zeros(3, bool))


def test_greek_mapping(tmp_path):
    assert normalize_label("Άλφα", "greek") == "αλφα"
    assert normalize_label("λόγος", "greek") == "λογοσ"
    assert normalize_label("Abc", "fswild") == "Abc"
    write_fswild_fixture(tmp_path, index_column=False)
    df = pd.read_csv(tmp_path / "ChicagoFSWild.csv", dtype=str, keep_default_na=False)
    df["label_proc"] = ["Καλημέρα", "γεια σας", "ναι", "όχι", "abc", "ένα", "δύο"]
    df.to_csv(tmp_path / "gsl.csv", index=False)
    (tmp_path / "ChicagoFSWild.csv").unlink()
    corpus = read_corpus(tmp_path, kind="greek")
    assert corpus.alphabet is GREEK
    by = corpus.by_filename()
    assert by["aslized/elsie_stecker_0001"].label == "καλημερα" and by["aslized/elsie_stecker_0001"].label_ok
    assert by["youtube_4/sean_berdy_5756"].label == "γεια σασ"
    assert not by["aslized/elsie_stecker_0002"].label_ok  # latin letters are outside the Greek alphabet


def test_synthetic_layout_frames_at_root(tmp_path):
    """Synthetic corpora put frame folders directly under the root, with a groundtruth/ folder."""
    write_fswild_fixture(tmp_path / "tmp", index_column=False)
    src = tmp_path / "tmp" / "ChicagoFSWild-Frames"
    dst = tmp_path / "synth"
    src.rename(dst)
    (tmp_path / "tmp" / "ChicagoFSWild.csv").rename(dst / "corpus.csv")
    (dst / "groundtruth").mkdir()
    corpus = read_corpus(dst)
    assert corpus.kind == "synthetic" and corpus.frames_root == dst and corpus.groundtruth_root == dst / "groundtruth"
    assert len(corpus) == 5
    assert corpus.table()["frames"].tolist() == [s.n_frames for s in corpus.sequences]
