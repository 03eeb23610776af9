"""The synthetic corpus writer: ChicagoFSWild layout, ground-truth sidecar, determinism, bad input."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from fslib.alphabet import AlphabetError
from fslib.config import ConfigError
from fslib.synth import corpus, hand

TINY = dict(signers=3, sequences=3, image_size=64, words=("ab", "cd", "e f"), seed=7)


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("c") / "corpus"
    return corpus.generate(corpus.make_config(**TINY), workers=1, progress=False, root=root)


def test_csv_layout_frames_and_signer_disjoint_splits(tiny_root):
    cfg = corpus.make_config(**TINY)
    with open(tiny_root / f"{cfg.name}.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fh.seek(0)
        header = fh.readline().strip().split(",")
    assert header == list(corpus.CSV_COLUMNS)
    assert len(rows) == 3
    for r in rows:
        assert re.fullmatch(r"synth_fswild/signer\d{3}_\d{4}", r["filename"])
        assert r["filename"].split("/")[1].startswith(r["signer"] + "_")
        frames = sorted(p.name for p in (tiny_root / r["filename"]).iterdir())
        n = int(r["number_of_frames"])
        assert frames == [f"{i:04d}.jpg" for i in range(1, n + 1)]
        assert (int(r["width"]), int(r["height"])) == (64, 64)
        assert r["label_proc"] in TINY["words"]
    parts = {r["partition"] for r in rows}
    assert parts == {"train", "dev", "test"}
    by_signer = {}
    for r in rows:
        by_signer.setdefault(r["signer"], set()).add(r["partition"])
    assert all(len(p) == 1 for p in by_signer.values())  # no signer in two splits
    img = corpus.load_frames(tiny_root, rows[0]["filename"], 2)
    assert img.shape == (2, 64, 64, 3) and img.dtype == np.uint8


def test_groundtruth_sidecar_is_consistent(tiny_root):
    df = corpus.read_csv(tiny_root)
    for _, r in df.iterrows():
        gt = corpus.load_groundtruth(tiny_root, r.filename)
        T = r.number_of_frames
        assert gt["pose"].shape == (T, 16, 3) and gt["translation"].shape == (T, 3)
        assert gt["keypoints3d"].shape == (T, 21, 3) and gt["keypoints2d"].shape == (T, 21, 2)
        assert gt["hand_box"].shape == (T, 4) and gt["other_box"].shape == (T, 4)
        assert gt["camera"].shape == (4,) and gt["signing_side"] in ("right", "left")
        assert gt["label"] == r.label_proc
        # the stored pose and translation reproduce the stored keypoints through the hand model
        fk = hand.forward_kinematics(
            gt["pose"], hand.HandShape.from_vector(gt["shape"]), gt["signing_side"], gt["translation"]
        )
        np.testing.assert_allclose(fk.keypoints, gt["keypoints3d"], atol=1e-4)
        # keypoints2d is the pinhole projection of keypoints3d
        fx, fy, cx, cy = gt["camera"]
        k3 = gt["keypoints3d"]
        proj = np.stack([fx * k3[..., 0] / k3[..., 2] + cx, fy * k3[..., 1] / k3[..., 2] + cy], -1)
        np.testing.assert_allclose(gt["keypoints2d"], proj, atol=1e-2)
        # the signing hand's box holds the wrist and the knuckles (a few px tolerance for the fingertips)
        box = gt["hand_box"]
        ok = np.isfinite(box).all(1)
        assert ok.mean() > 0.9
        centre = gt["keypoints2d"][ok][:, [0, 5, 9, 13, 17]]
        assert ((centre[..., 0] >= box[ok, None, 0] - 3) & (centre[..., 0] <= box[ok, None, 2] + 3)).mean() > 0.95
        letters = gt["letters"]
        assert letters.min() >= -1 and letters.max() < len(r.label_proc)
        held = sorted(set(letters[letters >= 0]))
        assert [r.label_proc[i] for i in held if r.label_proc[i] != " "] == [c for c in r.label_proc if c != " "]


def test_same_seed_same_corpus_and_workers_do_not_matter(tiny_root, tmp_path):
    other = corpus.generate(corpus.make_config(**TINY), workers=2, progress=False, root=tmp_path / "again")
    cfg = corpus.make_config(**TINY)
    assert (other / f"{cfg.name}.csv").read_bytes() == (tiny_root / f"{cfg.name}.csv").read_bytes()
    jpgs = sorted(p.relative_to(tiny_root) for p in tiny_root.rglob("*.jpg"))
    assert jpgs == sorted(p.relative_to(other) for p in other.rglob("*.jpg"))
    for p in jpgs:
        assert (tiny_root / p).read_bytes() == (other / p).read_bytes()
    # a different seed gives different images
    changed = corpus.generate(
        corpus.make_config(**{**TINY, "seed": 8}), workers=1, progress=False, root=tmp_path / "seed8"
    )
    first = sorted(changed.rglob("0001.jpg"))[0].read_bytes()
    assert first != sorted(tiny_root.rglob("0001.jpg"))[0].read_bytes()


def test_cache_key_and_reuse(tmp_path, monkeypatch):
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path))
    cfg = corpus.make_config(**{**TINY, "sequences": 3, "words": ("a",)})
    root = corpus.generate(cfg, workers=1, progress=False)
    assert root.parent == tmp_path / "corpora" and root.name == corpus.corpus_key(cfg)
    stamp = (root / f"{cfg.name}.csv").stat().st_mtime_ns
    assert corpus.generate(cfg, workers=1, progress=False) == root
    assert (root / f"{cfg.name}.csv").stat().st_mtime_ns == stamp  # reused, not regenerated
    assert corpus.corpus_key(corpus.make_config(**{**TINY, "words": ("b",)})) != root.name


def test_left_handed_signers_and_greek(tmp_path):
    cfg = corpus.make_config(
        alphabet="greek", signers=3, sequences=3, image_size=64, words=("αβ",), left_handed_fraction=1.0
    )
    root = corpus.generate(cfg, workers=1, progress=False, root=tmp_path / "gr")
    df = corpus.read_csv(root)
    assert set(df.label_proc) == {"αβ"} and df.filename.str.startswith("synth_greek/").all()
    gt = corpus.load_groundtruth(root, df.filename[0])
    assert gt["signing_side"] == "left"
    fk = hand.forward_kinematics(gt["pose"], hand.HandShape.from_vector(gt["shape"]), "left", gt["translation"])
    np.testing.assert_allclose(fk.keypoints, gt["keypoints3d"], atol=1e-4)
    # a right-handed signer's hand is on the image's left (the signer faces the camera), a left-hander's right
    assert gt["keypoints2d"][:, 0, 0].mean() > 32


def test_bad_input_is_reported():
    with pytest.raises(AlphabetError, match="'ö'"):
        corpus.make_config(**{**TINY, "words": ("hello", "wörld")})
    with pytest.raises(corpus.CorpusError, match="signers=0"):
        corpus.make_config(signers=0, sequences=3)
    with pytest.raises(corpus.CorpusError, match="three signer-disjoint"):
        corpus.make_config(signers=2, sequences=3)
    with pytest.raises(corpus.CorpusError, match="image_size=16"):
        corpus.make_config(signers=3, sequences=3, image_size=16)
    with pytest.raises(corpus.CorpusError, match="every signer needs"):
        corpus.make_config(signers=4, sequences=3)
    with pytest.raises(ConfigError, match="colour"):
        corpus.make_config(colour="red")
