"""MediaPipe Holistic extraction from videos into the GISLR layout: rendered synthetic clips written as
MP4, an ASL Citizen-shaped folder around them (awkward glosses, an unreadable video), resumability, and the
ISLR reader on the result."""

import csv
import os

import cv2
import numpy as np
import pytest

from fslib.islr import extract
from fslib.islr import landmarks as lm


@pytest.fixture(scope="module")
def citizen(tmp_path_factory):
    """An ASL Citizen-shaped folder: three rendered fingerspelling clips of the synthetic corpus as MP4
    videos, one file that is not a video, and split CSVs with a gloss holding a slash and a comma."""
    from fslib.synth import corpus

    base = tmp_path_factory.mktemp("citizen")
    synth = corpus.generate(
        corpus.make_config(signers=3, sequences=3, image_size=256, words=("abc", "hello", "e f"), seed=7, fps=15),
        workers=1,
        progress=False,
        root=base / "synth",
    )
    seqs = sorted({p.parent for p in synth.rglob("*.jpg")})[:3]
    root = base / "ASL_Citizen"
    (root / "videos").mkdir(parents=True)
    (root / "splits").mkdir()
    for k, seq in enumerate(seqs):
        frames = sorted(seq.glob("*.jpg"))[:12]
        writer = cv2.VideoWriter(str(root / "videos" / f"clip{k}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 15, (256, 256))
        for f in frames:
            writer.write(cv2.imread(str(f)))
        writer.release()
    (root / "videos" / "broken.mp4").write_bytes(b"this is not a video" * 10)
    header = ["Participant ID", "Video file", "Gloss", "ASL-LEX Code"]
    rows = {
        "train": [["P1", "clip0.mp4", "UP/DOWN, TOO", "x1"], ["P1", "broken.mp4", "HELLO", "x2"]],
        "val": [["P2", "clip1.mp4", "UP/DOWN, TOO", "x1"]],
        "test": [["P3", "clip2.mp4", "HELLO", "x2"], ["P3", "missing.mp4", "HELLO", "x2"]],
    }
    for split, rs in rows.items():
        with open(root / "splits" / f"{split}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rs)
    return root


def test_extract_video_layout_and_bad_files(citizen, tmp_path):
    frames = extract.extract_video(citizen / "videos" / "clip0.mp4", frame_step=2)
    assert {t: a.shape for t, a in frames.items()} == {t: (6, n, 3) for t, n in lm.TYPES.items()}
    cov = extract.coverage(frames)
    assert cov["pose"] > 0.5  # Holistic finds the rendered signer
    assert max(cov["left_hand"], cov["right_hand"]) > 0.3  # and the signing hand in some frames
    nose = frames["pose"][:, 0, :2]
    nose = nose[~np.isnan(nose).any(axis=1)]
    assert ((nose > 0) & (nose < 1)).all()  # normalised image coordinates
    with pytest.raises(extract.VideoError, match="broken.mp4"):
        extract.extract_video(citizen / "videos" / "broken.mp4")
    with pytest.raises(extract.VideoError, match="no such video"):
        extract.extract_video(tmp_path / "nope.mp4")


def test_extract_citizen_writes_the_gislr_layout_reports_and_resumes(citizen, tmp_path):
    from fslib.islr import corpus as C

    out = tmp_path / "landmarks_out"
    report = extract.extract_citizen(citizen, out, n=2, workers=2, progress=False)
    assert report["clips"] == {"train": 2, "val": 1, "test": 2} and report["extracted"] == 3
    assert report["unreadable"] == 2 and report["glosses"] == 2
    bad = extract.unreadable_report(out).set_index("sign")
    assert len(bad) == 2 and all("broken.mp4" in r or "missing.mp4" in r for r in bad["reason"])
    index = C.read_index(out)
    assert sorted(index["sign"]) == ["HELLO", "UP/DOWN, TOO", "UP/DOWN, TOO"]
    assert set(index["split"]) == {"train", "val", "test"}
    clip = lm.read_parquet(out / index["path"].iloc[0])
    assert clip["face"].shape[1:] == (468, 3) and len(clip["face"]) == 12
    # resumable: a second run (the command) extracts nothing (files untouched) and gives the same index
    from fslib.cli import main

    stamp = os.path.getmtime(out / index["path"].iloc[0])
    assert main(["islr-extract", "--citizen", str(citizen), "--out", str(out), "--glosses", "2", "--workers", "1"]) == 0
    assert os.path.getmtime(out / index["path"].iloc[0]) == stamp
    assert C.read_index(out)["path"].tolist() == index["path"].tolist()


def test_the_authors_extractor_mirrors_and_fills_hands_in_detection_order(tmp_path):
    # a synthetic signer: Hands + Face Mesh on the mirrored frames, no pose. (Face Mesh's own face detector
    # finds no face on these renders, where Holistic's pose-guided face stage does)
    from fslib.synth.clip import write_clip

    video = write_clip("cab", tmp_path / "cab.mp4", signer=0, image_size=128)
    got = extract.extract_video(video, extractor="hands_facemesh")
    assert {t: a.shape[1:] for t, a in got.items()} == {t: (n, 3) for t, n in lm.TYPES.items()}
    assert np.isnan(got["pose"]).all()  # the authors' extraction has no pose
    cov = extract.coverage(got)
    assert cov["left_hand"] > 0.5 and cov["right_hand"] < cov["left_hand"]  # the one hand goes in the first slot
    holistic = extract.extract_video(video)
    assert extract.coverage(holistic)["right_hand"] > 0.5
    # mirrored: the hand's x coordinates are reflected (x -> 1 - x) against Holistic's on the unmirrored frames
    ax, hx = np.nanmean(got["left_hand"][..., 0]), np.nanmean(holistic["right_hand"][..., 0])
    assert abs((1 - ax) - hx) < 0.05 and abs(ax - hx) > 0.05
    with pytest.raises(ValueError, match="unknown landmark extractor"):
        extract.extract_video(video, extractor="openpose")


def test_extract_parameters_are_checked_before_any_video_is_read(citizen, tmp_path, capsys):
    from fslib.cli import main

    out = str(tmp_path / "o")
    for argv, why in [
        (["--glosses", "0"], "glosses must be an integer of at least 1"),
        (["--frame-step", "0"], "frame step must be an integer of at least 1"),
        (["--workers", "0"], "workers must be an integer of at least 1"),
    ]:
        assert main(["islr-extract", "--citizen", str(citizen), "--out", out, *argv]) == 2
        assert why in capsys.readouterr().err
    assert main(["islr-extract", "--citizen", str(tmp_path), "--out", out]) == 2
    assert "has no videos/ folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # nothing written
