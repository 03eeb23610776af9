"""The synthetic isolated-sign corpus: layout, determinism, signer-disjoint splits, the built-in phenomena,
and a smoke training run well above chance."""

import dataclasses
import json

import numpy as np
import pytest

from fslib.islr import corpus as C
from fslib.islr import landmarks as lm


@pytest.fixture()
def small(tmp_path, monkeypatch):
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    cfg = C.CorpusConfig(glosses=6, train_signers=4, val_signers=1, test_signers=2, seed=1)
    return cfg, C.generate(cfg, progress=False)


def test_layout_and_splits(small):
    cfg, root = small
    df = C.read_index(root)
    assert len(df) == 6 * 7 and df["sign"].nunique() == 6
    by_split = df.groupby("split")["participant_id"].apply(set)
    assert not (by_split["train"] & by_split["test"]) and not (by_split["train"] & by_split["val"])
    clip = lm.read_parquet(root / df["path"].iloc[0])
    assert {k: v.shape[1:] for k, v in clip.items()} == {k: (n, 3) for k, n in lm.TYPES.items()}
    assert json.loads((root / "sign_to_prediction_index_map.json").read_text())["A_SIGN"] == 0
    assert C.describe(root)["train_clips_per_gloss"] == 4.0


def test_a_second_call_reuses_the_cache_and_a_changed_parameter_makes_a_new_entry(small, monkeypatch):
    cfg, root = small

    def stamps(folder):  # an atomic rewrite gives a file a new inode and modification time
        return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}

    files = stamps(root)
    assert len([p for p in files if p.suffix == ".parquet"]) == 6 * 7
    calls = {"make_signs": 0, "render_clip": 0}

    def counted(name):
        real = getattr(C, name)

        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    for name in calls:
        monkeypatch.setattr(C, name, counted(name))
    # the same configuration: the cached corpus, nothing generated, no file rewritten or added
    assert C.generate(cfg, progress=False) == root
    assert calls == {"make_signs": 0, "render_clip": 0}
    assert stamps(root) == files
    # every parameter is part of the key
    for field in dataclasses.fields(cfg):
        changed = dataclasses.replace(cfg, **{field.name: getattr(cfg, field.name) + 1})
        assert C.corpus_dir(changed) != root, field.name
    # another seed: a new entry, generated in full beside the first, which is left as it was
    other = C.generate(dataclasses.replace(cfg, seed=2), progress=False)
    assert other != root and other.parent == root.parent
    assert calls == {"make_signs": 1, "render_clip": 6 * 7}
    assert len(C.read_index(other)) == 6 * 7
    assert stamps(root) == files


def test_deterministic_and_phenomena():
    cfg = C.CorpusConfig(glosses=3)
    sign = C.make_signs(3, 0)[0]
    a = C.render_clip(sign, C.make_signer(0, "train", 0, cfg), cfg, np.random.default_rng(5))
    b = C.render_clip(sign, C.make_signer(0, "train", 0, cfg), cfg, np.random.default_rng(5))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    # signers differ in position and scale in the frame: their face centres and sizes differ
    faces = [
        C.render_clip(sign, C.make_signer(0, "train", i, cfg), cfg, np.random.default_rng(i))["face"] for i in range(6)
    ]
    centres = np.array([f[:, list(lm.FACE_SUBSET), :2].mean((0, 1)) for f in faces])
    sizes = np.array([np.ptp(f[:, list(lm.FACE_SUBSET), 0], axis=1).mean() for f in faces])
    assert centres[:, 0].std() > 0.03 and sizes.max() / sizes.min() > 1.2
    # the nose point jitters more than the other face points (frame-to-frame differences)
    f = faces[0]
    nose = np.abs(np.diff(f[:, lm.NOSE_TIP, 0])).mean()
    chin = np.abs(np.diff(f[:, 152, 0])).mean()
    assert nose > 2 * chin


def test_bad_config():
    with pytest.raises(ValueError, match="glosses"):
        C.CorpusConfig(glosses=1)
    with pytest.raises(ValueError, match="at least one signer"):
        C.CorpusConfig(val_signers=0)


def test_smoke_training_is_well_above_chance(small):
    import torch

    from fslib.islr import train as tr
    from fslib.islr.experiment import load_splits

    torch.set_num_threads(1)
    _, root = small
    splits, classes, report = load_splits(root, "per_frame")
    assert classes == 6 and (report["skipped"] == "").all() and len(splits["train"].clips) == 24
    res = tr.train(tr.make_config(hidden=32, layers=1, epochs=25, lr=3e-3), splits, classes, progress=False)
    assert res.report["test"]["top1"] >= 0.5  # chance 1/6


def test_unreadable_or_handless_clips_are_skipped_and_counted(small):
    from fslib.islr.experiment import load_splits

    _, root = small
    df = C.read_index(root)
    before = (load_splits(root, "none")[2]["skipped"] != "").sum()
    (root / df["path"].iloc[0]).write_bytes(b"not a parquet")
    clip = lm.read_parquet(root / df["path"].iloc[1])
    clip["left_hand"][:] = np.nan
    clip["right_hand"][:] = np.nan
    lm.write_parquet(root / df["path"].iloc[1], clip)
    splits, _, report = load_splits(root, "none")
    skipped = report[report["skipped"] != ""]
    assert len(skipped) == before + 2 and "no hand in any frame" in set(skipped["skipped"])
    assert any(s.startswith("ArrowInvalid") or "parquet" in s.lower() for s in skipped["skipped"])
    assert sum(len(s.clips) for s in splits.values()) == len(df) - before - 2


def test_performances_vary_and_the_lexicon_has_minimal_pairs():
    signs = C.make_signs(60, 0, minimal_pairs=0.5)
    params = [(s.shape_a, s.shape_b, s.location, s.palm, s.movement, s.hands) for s in signs]
    assert len(set(params)) == 60
    one_apart = sum(any(sum(a != b for a, b in zip(p, q)) == 1 for q in params[:i]) for i, p in enumerate(params))
    assert one_apart >= 20  # about half are minimal pairs of an earlier sign
    sign = signs[0]
    same, *_ = C.perform(sign, 0.0, np.random.default_rng(0))
    assert same == sign
    rng = np.random.default_rng(0)
    takes = [C.perform(sign, 1.0, rng) for _ in range(20)]
    amps = np.array([t[0].amplitude for t in takes])
    offsets = np.array([t[1] for t in takes])
    assert amps.std() > 0.1 * sign.amplitude and 0.01 < np.abs(offsets).mean() < 0.05
    # clips of one sign by one signer (no sway or drift): the wrist's place relative to the face, in face
    # widths, varies between performances more than noise, nodding and perspective alone make it vary
    signer = C.make_signer(0, "train", 0, C.CorpusConfig(glosses=3))

    def spread(variation):
        cfg = C.CorpusConfig(glosses=3, variation=variation, sway=0.0, drift=0.0)
        rel = []
        for seed in range(12):
            clip = C.render_clip(sign, signer, cfg, np.random.default_rng(seed))
            hand = clip["left_hand"] if signer.left_handed else clip["right_hand"]
            face = clip["face"][:, list(lm.FACE_SUBSET), :2]
            rel.append(np.nanmedian((hand[:, 0, :2] - face.mean(1)) / np.ptp(face[..., 0], axis=1)[:, None], 0))
        return np.std(rel, 0).max()

    assert spread(1.0) > 1.5 * spread(0.0)


def test_synthetic_gloss_names_survive_both_subset_rules():
    """Every synthetic gloss keeps its own base under the text's and the code's variant rules (numbered names
    such as SIGN000..SIGN002 all read as variants of SIGN and `fslib islr-extract` kept one of them)."""
    from fslib.islr.corpus import gloss_name
    from fslib.islr.source import gloss_base, subset_glosses

    names = [gloss_name(i) for i in range(800)]
    assert names[:3] == ["A_SIGN", "B_SIGN", "C_SIGN"] and names[26] == "AA_SIGN" and len(set(names)) == 800
    for rule in ("text", "code"):
        assert len({gloss_base(g, rule) for g in names}) == 800
        assert sorted(subset_glosses(dict.fromkeys(names[:120], 5), 100, rule)) == sorted(names[:120])[:100]
