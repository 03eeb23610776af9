"""fslib ingest fingerspelling: a folder of the user's clips and a labels CSV with bad rows -> the ChicagoFSWild
layout, every rejected row in the report with its reason; resumable; then a smoke model trained on the result
recognizes a held-out clip (issue 25)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fslib import ingest
from fslib.cli import main
from fslib.data.readers import read_corpus
from fslib.data.video import write_video
from fslib.synth.clip import write_clip

WORDS = ["cab", "bed", "ace", "dab", "bead", "face", "deaf", "cafe"]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    for i, w in enumerate(WORDS):  # signers 0-7 of the demo seed, one word each
        write_clip(w, root / f"clip{i}.mp4", signer=i, image_size=128)
    write_clip("bad", root / "held_out.mp4", signer=9, image_size=128)  # for recognize, not ingested
    (root / "broken.mp4").write_text("not a video")
    whole = (root / "clip0.mp4").read_bytes()
    (root / "truncated.mp4").write_bytes(whole[: len(whole) // 2])  # a copy cut off halfway
    (root / "empty.mp4").write_bytes(b"")  # zero length
    write_video([np.full((96, 96, 3), 200, np.uint8)] * 10, root / "blank.mp4", 15)  # no hand in any frame
    (root / "nested").mkdir()
    write_clip("bed", root / "nested" / "clip1.mp4", signer=1, image_size=128)  # same stem as clip1.mp4
    return root


def _labels(videos, rows):
    path = videos.parent / f"labels_{len(rows)}.csv"
    pd.DataFrame(rows, columns=["file", "label", "signer"]).to_csv(path, index=False)
    return path


GOOD = [(f"clip{i}.mp4", w.upper() if i == 1 else w, f"signer{i}") for i, w in enumerate(WORDS)]
BAD = [
    ("broken.mp4", "fig", "signer1"),  # unreadable
    ("blank.mp4", "hat", "signer2"),  # no hand
    ("missing.mp4", "hat", "signer3"),  # missing file
    ("clip2.mp4", "ace", "signer2"),  # duplicate row
    ("nested/clip1.mp4", "be3d", "signer1"),  # a digit is not in the alphabet
    ("nested/clip1.mp4", "", "signer1"),  # duplicate again (the first listing wins the reason)
    ("truncated.mp4", "dab", "signer4"),  # cut off halfway
    ("empty.mp4", "bead", "signer5"),  # zero length
]


def test_ingest_writes_the_layout_and_reports_every_rejected_row(videos, tmp_path, capsys):
    out = tmp_path / "corpus"
    labels = _labels(videos, GOOD + BAD)
    assert main(["ingest", "fingerspelling", str(videos), str(labels), str(out), "--workers", "2"]) == 0
    assert "8 of 16 clips ingested" in capsys.readouterr().out
    report = pd.read_csv(out / "ingest_report.csv", keep_default_na=False)
    assert len(report) == 16  # every row of the labels CSV, none dropped
    reasons = dict(zip(report["file"] + "|" + report["row"].astype(str), report["reason"]))
    assert reasons["broken.mp4|10"].startswith("unreadable video")
    assert reasons["blank.mp4|11"].startswith("no hand found")
    assert reasons["missing.mp4|12"].startswith("missing file")
    assert reasons["clip2.mp4|13"] == "duplicate row: clip2.mp4 is already listed on row 4"
    assert (
        reasons["nested/clip1.mp4|14"].startswith("label outside the alphabet")
        and "'3'" in reasons["nested/clip1.mp4|14"]
    )
    assert reasons["nested/clip1.mp4|15"].startswith("duplicate row")
    assert reasons["truncated.mp4|16"].startswith(("unreadable video", "empty video")), reasons["truncated.mp4|16"]
    assert reasons["empty.mp4|17"].startswith(("unreadable video", "empty video")), reasons["empty.mp4|17"]
    assert (report["status"] == "ingested").sum() == 8 and (
        report.loc[report["status"] == "ingested", "reason"] == ""
    ).all()
    # the corpus reads back with the study's own reader: labels normalised, frames present, splits signer-disjoint
    corpus = read_corpus(out)
    assert sorted(s.label for s in corpus.sequences) == sorted(WORDS)
    assert all(s.n_frames == s.number_of_frames == len(list(s.frames_dir.glob("*.jpg"))) for s in corpus.sequences)
    parts = {s.signer: s.partition for s in corpus.sequences}
    assert set(parts.values()) == {"train", "dev", "test"}
    assert not corpus.issues, corpus.issues


def test_a_rerun_reuses_finished_clips_and_a_new_rate_converts_again(videos, tmp_path):
    out = tmp_path / "corpus"
    labels = _labels(videos, GOOD[:3] + [("clip3.mp4", "dab", "signer3")])
    ingest.ingest_fingerspelling(videos, labels, out, check_hands=False, progress=False)
    first = out / "ChicagoFSWild-Frames" / "signer0" / "clip0" / "0001.jpg"
    stamp = first.stat().st_mtime_ns
    ingest.ingest_fingerspelling(videos, labels, out, check_hands=False, progress=False)
    assert first.stat().st_mtime_ns == stamp  # reused, not rewritten
    res = ingest.ingest_fingerspelling(videos, labels, out, fps=7.5, check_hands=False, progress=False)
    assert first.stat().st_mtime_ns != stamp and (res.report["frames"] < 12).all()
    assert not list(out.rglob("*.partial"))  # no half-written clip folder is left


def test_bad_labels_files_and_too_few_signers_are_one_line_errors(videos, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("file,word\nclip0.mp4,cab\n")
    assert main(["ingest", "fingerspelling", str(videos), str(bad), str(tmp_path / "o")]) == 2
    assert "lacks the column(s) label, signer" in capsys.readouterr().err
    two = _labels(videos, GOOD[:2])
    assert main(["ingest", "fingerspelling", str(videos), str(two), str(tmp_path / "o"), "--no-hand-check"]) == 2
    assert "need at least 3" in capsys.readouterr().err


@pytest.mark.slow
def test_a_model_trained_on_ingested_clips_recognizes_a_held_out_clip(videos, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "corpus"
    ingest.ingest_fingerspelling(videos, _labels(videos, GOOD), out, progress=False)
    sets = [f"corpus_path={out}", "epochs=2", "teacher=", "w_distill=0"]
    assert main(["train", "--profile", "smoke", "--out-dir", "mine", *[a for s in sets for a in ("--set", s)]]) == 0
    model = tmp_path / "mine" / "models" / "recognizer.pt"
    assert model.is_file() and "models/recognizer.pt" in capsys.readouterr().out
    assert main(["recognize", str(videos / "held_out.mp4"), "--checkpoint", str(model), "--json"]) == 0
    got = capsys.readouterr().out
    assert '"letters"' in got and '"frames"' in got


@pytest.mark.slow
def test_isolated_signs_are_ingested_with_holistic_and_train_a_classifier(videos, tmp_path, capsys, monkeypatch):
    from fslib.islr.experiment import load_splits
    from fslib.islr.train import make_config, train

    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    glosses = ["cab", "bed", "ace"]
    rows = [(f"clip{i}.mp4", glosses[i % 3], f"signer{i // 3}") for i in range(8)]  # 3 signers
    rows += [("broken.mp4", "fig", "signer0"), ("blank.mp4", "hat", "signer1"), ("gone.mp4", "na", "signer2")]
    out = tmp_path / "islr"
    argv = ["ingest", "isolated", str(videos), str(_labels(videos, rows)), str(out), "--workers", "1"]
    assert main(argv) == 0
    report = pd.read_csv(out / "ingest_report.csv", keep_default_na=False)
    why = dict(zip(report["file"], report["reason"]))
    assert why["broken.mp4"].startswith("unreadable video") and why["blank.mp4"].startswith("no hand found")
    assert why["gone.mp4"].startswith("missing file") and (report["status"] == "ingested").sum() == 8
    splits, classes, skipped = load_splits(out, "per_frame")
    assert classes == 3 and sum(len(s.clips) for s in splits.values()) == 8 and not skipped["skipped"].any()
    assert {k for k, s in splits.items() if s.clips} == {"train", "val", "test"}
    res = train(make_config(kind="lstm", hidden=16, layers=1, epochs=1, batch_size=4), splits, classes, progress=False)
    assert 0.0 <= res.report["test"]["top1"] <= 1.0
