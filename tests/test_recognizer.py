"""The fingerspelling recognizer (fslib.recognizer): losses, metrics, decoding, data checks, training."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
import toy_crops

from fslib.alphabet import Alphabet
from fslib.recognizer import decode, losses, metrics
from fslib.recognizer.config import ConfigError, make_config
from fslib.recognizer.data import DataError, RecognizerData, collate, ctc_min_frames


# ----------------------------------------------------------------------------------------------- losses
def test_ctc_matches_hand_computed_and_torch_on_a_tiny_example():
    # two frames, classes (blank, a); label "a": paths aa, a-, -a
    p = torch.tensor([[0.3, 0.7], [0.6, 0.4]])
    logits = p.log()[None]  # (1, T=2, C=2); log_softmax keeps it
    expect = -math.log(0.7 * 0.4 + 0.7 * 0.6 + 0.3 * 0.4)
    got = losses.ctc(logits, torch.tensor([2]), torch.tensor([1]), torch.tensor([1]))
    assert got.item() == pytest.approx(expect, rel=1e-5)
    ref = F.ctc_loss(p.log()[:, None, :], torch.tensor([[1]]), torch.tensor([2]), torch.tensor([1]), blank=0)
    assert got.item() == pytest.approx(ref.item(), rel=1e-6)


def test_ctc_mean_divides_each_sequence_by_its_label_length():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 4)
    lengths, targets, tl = torch.tensor([6, 5]), torch.tensor([1, 2, 3, 3, 1]), torch.tensor([3, 2])
    per = F.ctc_loss(logits.log_softmax(-1).transpose(0, 1), targets, lengths, tl, reduction="none")
    assert losses.ctc(logits, lengths, targets, tl).item() == pytest.approx((per / tl).mean().item(), rel=1e-5)


def test_stage_kl_is_zero_for_equal_stages_positive_otherwise_and_only_trains_the_cnn():
    torch.manual_seed(0)
    a = torch.randn(2, 5, 6)
    mask = torch.ones(2, 5, dtype=torch.bool)
    assert losses.stage_kl(a, a.clone(), mask).item() == pytest.approx(0.0, abs=1e-6)
    cnn, gru = torch.randn(2, 5, 6, requires_grad=True), torch.randn(2, 5, 6, requires_grad=True)
    kl = losses.stage_kl(cnn, gru, mask, temperature=2.0)
    assert kl.item() > 0
    kl.backward()
    assert gru.grad is None and cnn.grad.abs().sum() > 0
    # padded frames do not count
    mask2 = mask.clone()
    mask2[1, 3:] = False
    gru2 = gru.detach().clone()
    gru2[1, 3:] = 100.0
    assert losses.stage_kl(cnn, gru2, mask2).item() == pytest.approx(losses.stage_kl(cnn, gru.detach(), mask2).item())


def test_cosine_distillation_bounds_and_masking():
    t = torch.randn(1, 3, 8)
    m = torch.ones(1, 3, dtype=torch.bool)
    assert losses.cosine_distillation(t, t, m).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.cosine_distillation(-t, t, m).item() == pytest.approx(2.0, abs=1e-6)
    ortho = torch.zeros(1, 1, 2)
    ortho[..., 0] = 1.0
    other = torch.zeros(1, 1, 2)
    other[..., 1] = 1.0
    assert losses.cosine_distillation(ortho, other, torch.ones(1, 1, dtype=torch.bool)).item() == pytest.approx(1.0)
    # a masked frame (no teacher vector) changes nothing, whatever the student says there
    s = t.clone()
    s[0, 2] = -t[0, 2]
    m[0, 2] = False
    assert losses.cosine_distillation(s, t, m).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.cosine_distillation(s, t, torch.zeros_like(m)).item() == 0.0


# ---------------------------------------------------------------------------------------------- metrics
def test_letter_accuracy_plain_on_hand_computed_cases():
    assert metrics.letter_accuracy(["abc"], ["abc"]) == 1.0
    assert metrics.letter_accuracy(["abcd"], ["abd"]) == pytest.approx(0.75)  # one deletion
    assert metrics.letter_accuracy(["ab", "cd"], ["axb", ""]) == pytest.approx(1 - 3 / 4)  # insertion + 2 dels
    assert metrics.letter_accuracy(["ab"], ["xyzw"]) == pytest.approx(1 - 4 / 2)  # can go below zero


def test_htk_convention_counts_more_errors_where_it_trades_substitutions_for_indels():
    # unit cost: three substitutions (3 errors). HTK: 3 x 10 = 30 > delete "aa" + insert "cc" = 4 x 7 = 28,
    # so it aligns b with b and counts 2 deletions + 2 insertions (4 errors)
    assert metrics.unit_errors("aab", "bcc") == 3
    assert metrics.htk_counts("aab", "bcc") == (0, 2, 2)
    assert metrics.letter_accuracy(["aab"], ["bcc"], "plain") == pytest.approx(0.0)
    assert metrics.letter_accuracy(["aab"], ["bcc"], "htk") == pytest.approx(1 - 4 / 3)
    # where a single substitution is cheapest the two agree
    assert metrics.htk_counts("cat", "cut") == (1, 0, 0)
    assert (
        metrics.letter_accuracy(["cat", "dog"], ["cut", "dg"], "htk")
        == metrics.letter_accuracy(["cat", "dog"], ["cut", "dg"], "plain")
        == pytest.approx(1 - 2 / 6)
    )


def test_htk_never_above_plain_on_random_strings():
    rng = np.random.default_rng(0)
    for _ in range(200):
        r = "".join(rng.choice(list("abc"), rng.integers(1, 7)))
        h = "".join(rng.choice(list("abc"), rng.integers(0, 7)))
        assert sum(metrics.htk_counts(r, h)) >= metrics.unit_errors(r, h)


def test_best_constant_string_and_baseline():
    assert metrics.best_constant_string(["ab", "ab", "abc"]) == "ab"
    base = metrics.constant_baseline(["ab", "ab", "abc"], ["ab", "xy"])
    assert base["output"] == "ab" and base["letter_accuracy"] == pytest.approx(0.5)


# Label sets where the local search matters: no starting candidate (the empty string, a single letter, a
# training label) is optimal; reaching the optimum takes two insertions, two deletions, or a substitution
# (no insertion or deletion does as well). (labels, the unique optimum, its total edits, the best start's)
LOCAL_SEARCH_CASES = [
    (["cc", "cbaca", "cbabc", "ba"], "cbac", 6, 8),  # from "ba": ba -> bac -> cbac
    (["baccb", "ccc", "abbc", "ca", "accba"], "acc", 9, 11),  # from "accba": accba -> acca -> acc
    (["ac", "cbaca", "aba"], "aca", 4, 5),  # from "aba": aba -> aca
]


@pytest.mark.parametrize("labels, optimum, least, start", LOCAL_SEARCH_CASES)
def test_best_constant_string_finds_the_optimum_beyond_its_starting_guesses(labels, optimum, least, start):
    def cost(x):
        return sum(levenshtein(x, lab) for lab in labels)

    # the optimum by brute force over every string of the labels' letters, up to two letters longer than the
    # longest label, with an edit distance written out here (not fslib's)
    letters = sorted(set("".join(labels)))
    every = ["".join(p) for n in range(max(map(len, labels)) + 3) for p in itertools.product(letters, repeat=n)]
    costs = [cost(x) for x in every]
    assert min(costs) == least and [x for x, c in zip(every, costs) if c == least] == [optimum]
    assert min(cost(x) for x in ["", *letters, *labels]) == start > least  # the search must improve on every start
    assert metrics.best_constant_string(labels) == optimum


def levenshtein(a: str, b: str) -> int:
    """Unit-cost edit distance, written out here so the brute force above does not rely on fslib's metric."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def test_confusions_count_matches_substitutions_deletions_and_insertions():
    mat = metrics.confusions(["abc", "ab"], ["abd", "axb"])
    assert mat.loc["a", "a"] == 2 and mat.loc["b", "b"] == 2
    assert mat.loc["c", "d"] == 1
    assert mat.loc["∅", "x"] == 1
    assert int(mat.to_numpy().sum()) == 6


def test_per_group_accuracy():
    frame = pd.DataFrame({"signer": ["s1", "s1", "s2"], "reference": ["ab", "cd", "ef"], "hypothesis": ["ab", "c", ""]})
    t = metrics.per_group_accuracy(frame).set_index("signer")
    assert t.loc["s1", "letter_accuracy"] == pytest.approx(0.75)
    assert t.loc["s2", "letter_accuracy"] == pytest.approx(0.0)


# ---------------------------------------------------------------------------------------------- decoding
def test_greedy_merges_repeats_and_drops_blanks():
    # argmax per frame: a a - a b b -  -> "aab"
    ids = [1, 1, 0, 1, 2, 2, 0]
    logp = np.log(np.full((7, 3), 0.1))
    logp[np.arange(7), ids] = np.log(0.8)
    assert decode.greedy(logp) == [1, 1, 2]


def test_beam_search_sums_alignments_where_greedy_cannot():
    # each frame: blank 0.6, a 0.4. Best path "--" -> "" (0.36); but P("a") = .4*.4 + .4*.6 + .6*.4 = 0.64
    logp = np.log(np.array([[0.6, 0.4], [0.6, 0.4]]))
    assert decode.greedy(logp) == []
    assert decode.beam_search(logp, beam=4) == [1]


def test_beam_search_agrees_with_greedy_on_a_peaked_table_and_keeps_repeats():
    ids = [1, 0, 1, 2]
    logp = np.log(np.full((4, 3), 0.02))
    logp[np.arange(4), ids] = np.log(0.96)
    assert decode.beam_search(logp, beam=5) == decode.greedy(logp) == [1, 1, 2]


# ------------------------------------------------------------------------------------------- data checks
ALPHA = toy_crops.ALPHA


def _Store(root, labels, hold=4, size=16, seed=0):  # noqa: N802 (the tests' name for the toy store)
    return toy_crops.ToyStore(root, labels, hold=hold, size=size, seed=seed)


class _Features:
    def __init__(self, store, dim=6, zero_every=3, root=None, length_offset=0):
        self.store, self.root = store, Path(root or store.root / "features")
        self.teacher = type("T", (), {"name": "oracle_pose"})()
        self._dim, self.zero_every, self.length_offset = dim, zero_every, length_offset

    def has(self, fn):
        return True

    @property
    def dim(self):
        return self._dim

    def vectors(self, fn):
        n = len(self.store.load(fn)) + self.length_offset
        v = np.arange(n * self._dim, dtype=np.float32).reshape(n, self._dim) % 7 + 1
        v[:: self.zero_every] = 0.0
        return v


def test_ctc_min_frames_counts_a_blank_between_repeats():
    assert ctc_min_frames([1, 2, 3]) == 3
    assert ctc_min_frames([1, 1, 2, 2, 2]) == 5 + 3


def test_dataset_skips_and_counts_bad_labels_and_too_short_clips(tmp_path):
    store = _Store(tmp_path, {"s1_1": ("ab", "train"), "s1_2": ("aaa", "train"), "s1_3": ("az", "train")}, hold=1)
    data = RecognizerData(store, ALPHA, ["train"], subsample=1)
    assert data.filenames == ["s1_1"]
    assert data.skipped == {"s1_2": "ctc_too_short", "s1_3": "label_outside_alphabet"}


def test_dataset_aligns_teacher_vectors_with_kept_frames_and_masks_missing_ones(tmp_path):
    store = _Store(tmp_path, {"s1_1": ("abcd", "train")}, hold=3)
    feats = _Features(store)
    data = RecognizerData(store, ALPHA, ["train"], features=feats, subsample=2, teacher_norm="none")
    item = data[0]
    idx = data.indices(0, 12)
    assert item["length"] == len(idx) == 6
    np.testing.assert_array_equal(item["teacher"].numpy(), feats.vectors("s1_1")[idx])
    np.testing.assert_array_equal(item["teacher_mask"].numpy(), idx % 3 != 0)
    batch = collate([item, item])
    assert batch["teacher"].shape == (2, 6, 6) and batch["teacher_mask"].dtype == torch.bool


def test_dataset_refuses_a_teacher_cache_of_other_crops(tmp_path):
    store = _Store(tmp_path / "a", {"s1_1": ("ab", "train")})
    other = _Store(tmp_path / "b", {"s1_1": ("ab", "train")})
    with pytest.raises(DataError, match="made from the crops in"):
        RecognizerData(store, ALPHA, ["train"], features=_Features(other))
    stale = RecognizerData(store, ALPHA, ["train"], features=_Features(store, length_offset=2), teacher_norm="none")
    with pytest.raises(DataError, match="stale"):
        stale[0]


def test_speed_augmentation_keeps_enough_frames_for_ctc(tmp_path):
    store = _Store(tmp_path, {"s1_1": ("abab", "train")}, hold=2)
    data = RecognizerData(store, ALPHA, ["train"], train=True, speed=(2.0, 3.0), subsample=1)
    for epoch in range(5):
        data.set_epoch(epoch)
        assert ctc_min_frames(ALPHA.encode("abab")) <= data[0]["length"] <= 8


def test_config_rejects_unknown_keys_and_impossible_settings():
    with pytest.raises(ConfigError, match="unknown key"):
        make_config(widht=8)
    with pytest.raises(ConfigError, match="teacher"):
        make_config(teacher="nope")
    with pytest.raises(ConfigError, match="imagenet"):
        make_config(imagenet=True, width=16)
    assert make_config(variant="ctc_gru").variant == "ctc_gru"
    assert make_config(variant="ctc_gru_distill").variant == "ctc_gru_distill"
    assert make_config().variant == "full"


# ----------------------------------------------------------------------------------------------- training
def _toy_store(root: Path, seed: int = 0) -> toy_crops.ToyStore:
    rng = np.random.default_rng(seed)
    labels = {}
    for i in range(24):
        part = "train" if i < 16 else "dev"
        word = "".join(rng.choice(list("abcd"), rng.integers(2, 5)))
        labels[f"s{i % 4 if part == 'train' else 9}_{i:02d}"] = (word, part)
    return _Store(root, labels, hold=3, seed=seed)


TOY = dict(
    width=4,
    input_size=16,
    conv_channels=32,
    gru_hidden=32,
    batch_size=4,
    lr=1e-2,
    warmup=0.1,
    speed=(1.0, 1.0),
    jitter=0.0,
    color=0.0,
    rotate=0.0,
    teacher="oracle_pose",
    threads=1,
)


@pytest.mark.slow
def test_smoke_training_learns_far_above_the_constant_baseline(tmp_path):
    from fslib.recognizer.evaluate import predict, split_metrics
    from fslib.recognizer.train import make_splits, train

    store = _toy_store(tmp_path / "crops")
    cfg = make_config(TOY, epochs=25)
    res = train(cfg, store, ALPHA, _Features(store), progress=False, root=tmp_path / "run")
    tr, _ = make_splits(cfg, store, ALPHA, _Features(store))
    pred = predict(res.model, RecognizerData(store, ALPHA, ["train"]))
    acc = split_metrics(pred)["letter_accuracy"]
    base = metrics.constant_baseline([store.sequences[f].label for f in tr.filenames], list(pred["reference"]))
    assert base["letter_accuracy"] < 0.4
    assert acc > base["letter_accuracy"] + 0.4, (acc, base)
    assert res.report["best_epoch"] >= 1 and set(res.history[0]) >= {
        "train_ctc_gru",
        "train_ctc_cnn",
        "train_kl",
        "train_distill",
        "dev_letter_accuracy",
    }
    # a finished run is loaded from its folder, not retrained
    again = train(cfg, store, ALPHA, _Features(store), progress=False, root=tmp_path / "run")
    assert again.history == res.history


@pytest.mark.slow
def test_resume_after_interruption_ends_like_an_uninterrupted_run(tmp_path):
    from fslib.recognizer.train import train

    store = _toy_store(tmp_path / "crops")
    cfg = make_config(TOY, epochs=4, speed=(0.8, 1.25), jitter=0.1, color=0.2)
    whole = train(cfg, store, ALPHA, _Features(store), progress=False, root=tmp_path / "whole")
    assert train(cfg, store, ALPHA, _Features(store), progress=False, root=tmp_path / "cut", stop_after=2) is None
    assert (tmp_path / "cut" / "resume.pt").exists() and not (tmp_path / "cut" / "model.pt").exists()
    resumed = train(cfg, store, ALPHA, _Features(store), progress=False, root=tmp_path / "cut")
    keys = ["train_loss", "train_ctc_gru", "dev_letter_accuracy", "dev_letter_accuracy_htk"]
    assert [[h[k] for k in keys] for h in resumed.history] == [[h[k] for k in keys] for h in whole.history]
    for a, b in zip(whole.model.state_dict().values(), resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_checkpoint_of_another_configuration_or_alphabet_is_refused(tmp_path):
    from fslib.recognizer.model import build_recognizer
    from fslib.recognizer.train import CheckpointMismatch, load_checkpoint, save_checkpoint

    cfg = make_config(TOY, w_distill=0.0, teacher="")
    model = build_recognizer(cfg, ALPHA.size)
    save_checkpoint(tmp_path / "m.pt", model, ALPHA, {"history": [], "report": {}})
    loaded, _ = load_checkpoint(tmp_path / "m.pt", cfg, ALPHA)
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        torch.testing.assert_close(a, b)
    with pytest.raises(CheckpointMismatch, match="width saved 4 vs asked 8"):
        load_checkpoint(tmp_path / "m.pt", make_config(TOY, width=8), ALPHA)
    with pytest.raises(CheckpointMismatch, match="alphabet"):
        load_checkpoint(tmp_path / "m.pt", cfg, Alphabet("other", tuple("abce")))


def test_recognizer_output_does_not_depend_on_batch_padding():
    from fslib.recognizer.model import build_recognizer

    torch.manual_seed(0)
    model = build_recognizer(make_config(TOY), ALPHA.size, teacher_dim=5).eval()
    x = torch.randint(0, 255, (1, 7, 16, 16, 3), dtype=torch.uint8)
    padded = torch.cat([x, torch.zeros(1, 3, 16, 16, 3, dtype=torch.uint8)], 1)
    with torch.no_grad():
        a = model(x, torch.tensor([7]))
        b = model(padded, torch.tensor([7]))
    for k in ("cnn_logits", "gru_logits", "projected"):
        torch.testing.assert_close(a[k], b[k][:, :7], atol=1e-5, rtol=1e-5)
    assert b["mask"].sum() == 7


def test_fslib_train_resolves_the_notebook_parameters_of_a_profile(capsys):
    from fslib.cli import main
    from fslib.recognizer.cli import resolve_params
    from fslib.recognizer.experiment import PARAMS
    from fslib.study.plan import load_plan

    params = resolve_params("ci", ["teacher=oracle_pose", "epochs=3"], "runs/interactive")
    plan = load_plan()
    assert params["teacher"] == "oracle_pose" and params["epochs"] == 3
    assert params["width"] == plan.profiles["ci"].params["04_recognizer"]["width"]
    # every parameter of the notebook is one the pipeline reads, or the page's own goal and measurement settings
    own = {"goal", "ceiling_fractions", "ceiling_sizes", "ceiling_epochs", "rate_sizes"}
    assert set(plan.parameters("04_recognizer")) - set(PARAMS) <= own
    assert main(["train", "--profile", "smoke", "--set", "lr=0.01", "--list"]) == 0
    assert '"lr": 0.01' in capsys.readouterr().out


def test_augmentation_moves_the_whole_sequence_alike_and_rotates_the_right_way():
    from fslib.recognizer.augment import augment_images

    img = torch.zeros(1, 3, 3, 9, 9)
    img[..., 1, 4] = 1.0  # a dot above the centre, in every frame
    out = augment_images(img, jitter=0.0, color=0.0, rotate=0.0)
    torch.testing.assert_close(out, img)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    moved = augment_images(img, jitter=0.2, color=0.3, rotate=30.0, generator=g)
    torch.testing.assert_close(moved[:, 0], moved[:, 1])  # one transform per sequence
    torch.testing.assert_close(moved[:, 0], moved[:, 2])
    # the dot turns about the centre by the drawn angle (theta maps output to input coordinates, so the
    # output position is R^T applied to the input position); checked for several draws
    for seed in range(6):
        turned = augment_images(img, jitter=0.0, color=0.0, rotate=90.0, generator=torch.Generator().manual_seed(seed))
        u = torch.rand((1, 4), generator=torch.Generator().manual_seed(seed)) * 2 - 1
        a = math.radians(90.0 * float(u[0, 3]))
        dx, dy = 0.0, -3.0  # the dot relative to the centre (x right, y down)
        ox, oy = math.cos(a) * dx + math.sin(a) * dy, -math.sin(a) * dx + math.cos(a) * dy
        y, x = divmod(int(turned[0, 0, 0].argmax()), 9)
        assert abs(x - (4 + ox)) <= 1.0 and abs(y - (4 + oy)) <= 1.0, (seed, x, y, ox, oy)


def test_seed_table_and_learned_verdict_follow_the_numbers():
    from fslib.recognizer import tables

    base = {"letter_accuracy": 0.2, "letter_accuracy_htk": 0.18}
    won = {
        0: {"letter_accuracy": 0.6, "letter_accuracy_htk": 0.55},
        1: {"letter_accuracy": 0.7, "letter_accuracy_htk": 0.66},
    }
    t = tables.seed_table(won, base)
    assert list(t.index) == ["seed 0", "seed 1", "mean", "s.d.", "constant output"]
    assert t.loc["mean", "letter_accuracy"] == pytest.approx(0.65)
    assert t.loc["s.d.", "letter_accuracy"] == pytest.approx(np.std([0.6, 0.7], ddof=1))
    assert tables.learned_verdict(won, base, goal=0.6).startswith("The recognizer learned")
    assert "reached" in tables.learned_verdict(won, base, goal=0.6)
    assert "not reached" in tables.learned_verdict(won, base, goal=0.8)
    assert "did not learn" in tables.learned_verdict({0: {"letter_accuracy": 0.15}}, base)
    assert "marginally" in tables.learned_verdict({0: {"letter_accuracy": 0.22}}, base)


def test_speed_table_and_verdict():
    from fslib.recognizer import tables

    latency = pd.DataFrame(
        {"ms_per_crop_best": [1.0, 2000.0]},
        index=pd.Index(["synthetic HaMeR (small)", "released HaMeR (ViT-H/16)"], name="network"),
    )
    speed = tables.speed_table(1000.0, latency)  # student: 1 ms per frame
    assert speed.loc["synthetic HaMeR (small) + student", "times_slower_than_student"] == pytest.approx(2.0)
    v = tables.speed_verdict(speed)
    assert "claim replicates" in v and "2001x slower" in v and "does not replicate" not in v
    slow = tables.speed_verdict(tables.speed_table(10.0, latency.iloc[:1]))
    assert "below 30" in slow and "not timed" in slow


def test_forward_under_bf16_autocast_keeps_the_features_dtype():
    """Mixed precision (the paper profile's CUDA recipe, bf16 on CPUs that have it) must run the model: the
    per-frame feature buffer takes the backbone's dtype, and padded frames stay zero."""
    import torch

    from fslib.recognizer.config import RecognizerConfig
    from fslib.recognizer.model import Recognizer

    torch.manual_seed(0)
    model = Recognizer(RecognizerConfig(width=4, input_size=16), classes=5, teacher_dim=3).eval()
    images = torch.rand(2, 4, 3, 16, 16)
    lengths = torch.tensor([4, 2])
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(images, lengths)
    assert out["features"].dtype == torch.bfloat16
    assert out["features"][1, 2:].abs().sum() == 0 and out["features"][1, :2].abs().sum() > 0
    with torch.no_grad():
        full = model(images, lengths)
    assert full["features"].dtype == torch.float32
    assert torch.allclose(full["features"], out["features"].float(), atol=0.1, rtol=0.1)
