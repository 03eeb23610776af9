"""The recognizer's limits: the encoder's frame-label ceiling (fslib.recognizer.ceiling), learning curves over
nested shares of the training data, bfloat16 training steps on the CPU and their sentences and figures."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
import toy_crops

from fslib.alphabet import Alphabet
from fslib.config import ConfigError
from fslib.recognizer import ceiling, experiment
from fslib.recognizer import train as rtrain
from fslib.recognizer.config import make_config
from fslib.recognizer.data import RecognizerData, collate

matplotlib.use("Agg")

ALPHA = toy_crops.ALPHA


def _Store(root, labels, hold=3, gap=1, size=32):  # noqa: N802 (the tests' name for the toy store)
    return toy_crops.ToyStore(root, labels, hold=hold, gap=gap, size=size)


def _words(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("abcd"), rng.integers(2, 4))) for _ in range(n)]


def _store(root: Path, n_train: int = 12, n_dev: int = 3, n_test: int = 3) -> toy_crops.ToyStore:
    labels = {}
    for i, w in enumerate(_words(n_train + n_dev + n_test)):
        part = "train" if i < n_train else ("dev" if i < n_train + n_dev else "test")
        labels[f"s{i % 3}_{i:02d}"] = (w, part)
    return _Store(root, labels)


@dataclasses.dataclass
class _Exp:
    """What the ceiling reads of an Experiment."""

    store: _Store
    synthetic: bool = True
    alphabet: Alphabet = ALPHA
    params: dict = dataclasses.field(default_factory=lambda: {"width": 4})

    @property
    def corpus(self):
        return self.store.corpus

    def corpus_name(self) -> str:
        return "synthetic" if self.synthetic else "real"


@pytest.fixture
def exp(tmp_path, monkeypatch):
    """A synthetic-like experiment whose ground truth comes from the toy store (no corpus on disk); the cache
    in ``tmp_path``."""
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    store = _store(tmp_path / "crops")

    def groundtruth(root, fn):
        assert Path(root) == store.root
        return {"letters": store.letters[fn], "label": store.sequences[fn].label}

    monkeypatch.setattr("fslib.synth.corpus.load_groundtruth", groundtruth)
    return _Exp(store)


@pytest.fixture
def one_thread():
    """Tiny networks run fastest on one thread (and do not fight a busy machine's other work for its cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----------------------------------------------------------------------------------------------- config
def test_config_validates_precision_and_train_fraction():
    with pytest.raises(ConfigError, match="precision"):
        make_config(precision="fp16")
    for bad in (0, 0.0, -0.5, 1.5):
        with pytest.raises(ConfigError, match="train_fraction"):
            make_config(train_fraction=bad)
    assert make_config(precision="auto").precision == "auto"
    assert make_config(precision="bf16", train_fraction=0.25).train_fraction == 0.25
    assert make_config().precision == "fp32" and make_config().train_fraction == 1.0


def test_cpu_autocast_dtype_follows_precision_and_the_cpu(monkeypatch):
    assert rtrain.cpu_autocast_dtype("fp32") is None
    assert rtrain.cpu_autocast_dtype("bf16") is torch.bfloat16
    monkeypatch.setattr(rtrain, "cpu_has_bf16", lambda: True)
    assert rtrain.cpu_autocast_dtype("auto") is torch.bfloat16
    assert rtrain.cpu_autocast_dtype("fp32") is None
    monkeypatch.setattr(rtrain, "cpu_has_bf16", lambda: False)
    assert rtrain.cpu_autocast_dtype("auto") is None
    assert rtrain.cpu_autocast_dtype("bf16") is torch.bfloat16


def test_cpu_has_bf16_reads_the_cpu_flags(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    real = Path

    def fake_path(p, *a):
        return real(cpuinfo) if str(p) == "/proc/cpuinfo" else real(p, *a)

    monkeypatch.setattr(rtrain, "Path", fake_path)
    cpuinfo.write_text("flags\t\t: fpu sse avx2 avx512f\n")
    assert rtrain.cpu_has_bf16() is False
    cpuinfo.write_text("flags\t\t: fpu sse avx2 avx512f avx512_bf16\n")
    assert rtrain.cpu_has_bf16() is True
    cpuinfo.write_text("flags\t\t: fpu amx_tile amx_bf16\n")
    assert rtrain.cpu_has_bf16() is True
    cpuinfo.unlink()
    assert rtrain.cpu_has_bf16() is False


# ------------------------------------------------------------------------------------ nested fractions
def test_recognizer_data_keeps_nested_deterministic_shares(tmp_path):
    store = _store(tmp_path, n_train=13, n_dev=0, n_test=0)
    full = RecognizerData(store, ALPHA, ["train"], fraction=1.0)
    n = len(full)
    assert n == 13
    names = {f: RecognizerData(store, ALPHA, ["train"], fraction=f).filenames for f in (0.05, 0.25, 0.5, 1.0)}
    for f, fns in names.items():
        assert len(fns) == max(1, round(f * n)), f
        assert len(set(fns)) == len(fns)
    assert set(names[0.05]) <= set(names[0.25]) <= set(names[0.5]) <= set(names[1.0]) == set(full.filenames)
    assert names[0.5] == RecognizerData(store, ALPHA, ["train"], fraction=0.5).filenames
    # the kept items keep the store's order and their own targets
    assert names[0.5] == [fn for fn in full.filenames if fn in set(names[0.5])]
    half = RecognizerData(store, ALPHA, ["train"], fraction=0.5)
    for i, fn in enumerate(half.filenames):
        assert half[i]["target"].tolist() == ALPHA.encode(store.sequences[fn].label)
    # a share is not the first sequences of the store
    assert names[0.5] != full.filenames[: len(names[0.5])]


def test_recognizer_data_share_is_taken_from_the_usable_sequences(tmp_path):
    """Skipped sequences (too short for CTC, bad labels) are left out before the share is taken."""
    labels = {f"s0_{i:02d}": (w, "train") for i, w in enumerate(_words(8))}
    labels["s0_bad"] = ("az", "train")
    store = _Store(tmp_path, labels)
    data = RecognizerData(store, ALPHA, ["train"], fraction=0.5)
    assert len(data) == 4 and "s0_bad" not in data.filenames
    assert data.skipped == {"s0_bad": "label_outside_alphabet"}


def test_train_fraction_reaches_the_training_split_only(tmp_path):
    store = _store(tmp_path, n_train=12, n_dev=4, n_test=0)
    cfg = make_config(variant="ctc_gru", width=4, input_size=16, train_fraction=0.25)
    tr, dev = rtrain.make_splits(cfg, store, ALPHA)
    assert len(tr) == 3 and len(dev) == 4


# ---------------------------------------------------------------------------------------------- ceiling
def _frames(seq_lengths: list[int]) -> ceiling.HeldFrames:
    seq = np.concatenate([np.full(n, i) for i, n in enumerate(seq_lengths)])
    images = np.zeros((len(seq), 4, 4, 3), np.uint8)
    images[:, 0, 0, 0] = seq  # each frame tells its sequence
    labels = seq % 3
    return ceiling.HeldFrames(images, labels, seq, [f"f{i}" for i in range(len(seq_lengths))])


def test_subset_is_nested_and_keeps_whole_sequences():
    lengths = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
    frames = _frames(lengths)
    subs = {f: ceiling._subset(frames, f) for f in (0.1, 0.3, 0.5, 1.0)}
    for f, s in subs.items():
        assert len(s.filenames) == max(1, round(f * len(lengths)))
        kept = {int(i) for i in s.sequence}
        assert {frames.filenames[i] for i in kept} == set(s.filenames)
        # whole sequences: every frame of a kept sequence, and the images and labels go with their frames
        assert len(s.labels) == sum(lengths[i] for i in kept) == len(s.images)
        np.testing.assert_array_equal(s.images[:, 0, 0, 0], s.sequence)
        np.testing.assert_array_equal(s.labels, s.sequence % 3)
    assert set(subs[0.1].filenames) <= set(subs[0.3].filenames) <= set(subs[0.5].filenames)
    assert set(subs[0.5].filenames) <= set(subs[1.0].filenames) == set(frames.filenames)
    assert ceiling._subset(frames, 0.5).filenames == subs[0.5].filenames


def test_held_frames_keeps_held_letters_with_their_0_based_index(exp):
    held = ceiling.held_frames(exp, "train")
    store = exp.store
    train = [fn for fn, s in store.sequences.items() if s.partition == "train"]
    assert held.filenames == train
    assert len(held.labels) == sum(int((store.letters[fn] >= 0).sum()) for fn in train)
    for i, fn in enumerate(held.filenames):
        letters, label = store.letters[fn], store.sequences[fn].label
        want = [ALPHA.symbols.index(label[j]) for j in letters if j >= 0]
        assert held.labels[held.sequence == i].tolist() == want
        np.testing.assert_array_equal(held.images[held.sequence == i], store.load(fn)[letters >= 0])
    assert held.labels.min() >= 0 and held.labels.max() < ALPHA.size - 1


def test_held_frames_refuses_a_real_corpus(tmp_path):
    real = _Exp(_store(tmp_path), synthetic=False, params={"corpus_path": "/data/ChicagoFSWild"})
    with pytest.raises(ceiling.NoFrameLabels, match="synthetic corpora only") as err:
        ceiling.held_frames(real, "train")
    assert "ChicagoFSWild" in str(err.value)


def test_held_frames_names_an_empty_split(exp):
    with pytest.raises(ceiling.NoFrameLabels, match="no held frame in the nowhere split of synthetic"):
        ceiling.held_frames(exp, "nowhere")


def test_frame_ceiling_end_to_end_and_cached(exp, monkeypatch, tmp_path, one_thread):
    with pytest.raises(ValueError, match="fractions"):
        ceiling.frame_ceiling(exp, fractions=(0.0, 1.0), progress=False)
    with pytest.raises(ValueError, match="16 px"):
        ceiling.frame_ceiling(exp, sizes=(8,), progress=False)
    kw = dict(fractions=(1.0, 0.5), sizes=(16, 32), epochs=1, progress=False)
    table = ceiling.frame_ceiling(exp, **kw)
    assert list(table.columns) == [
        "input_size",
        "fraction",
        "train_sequences",
        "train_frames",
        "dev_frame_accuracy",
        "test_frame_accuracy",
        "majority",
        "train_seconds",
    ]
    assert table[["input_size", "fraction"]].values.tolist() == [[16, 0.5], [16, 1.0], [32, 0.5], [32, 1.0]]
    assert table["train_sequences"].tolist() == [6, 12, 6, 12]
    test = ceiling.held_frames(exp, "test")
    assert table["majority"].iloc[0] == pytest.approx(np.bincount(test.labels).max() / len(test.labels))
    full = ceiling.held_frames(exp, "train")
    assert table["train_frames"].iloc[1] == len(full.labels)
    assert table["train_frames"].iloc[0] == len(ceiling._subset(full, 0.5).labels)
    assert table[["dev_frame_accuracy", "test_frame_accuracy"]].stack().between(0, 1).all()
    results = sorted((tmp_path / "cache" / "ceiling").glob("*/result.json"))
    assert len(results) == 4 and not list((tmp_path / "cache" / "ceiling").glob("*/resume.pt"))
    assert {json.loads(p.read_text())["width"] for p in results} == {4}

    def no_training(*a, **k):
        raise AssertionError("the cached result should have been reused")

    monkeypatch.setattr(ceiling, "fit", no_training)
    again = ceiling.frame_ceiling(exp, **kw)
    pd.testing.assert_frame_equal(again, table)


def _ceiling_table(acc64_full: float = 0.81) -> pd.DataFrame:
    rows = [
        # input_size, fraction, sequences, frames, dev, test
        (32, 0.25, 10, 300, 0.40, 0.35),
        (32, 0.5, 20, 600, 0.52, 0.47),
        (32, 1.0, 40, 1200, 0.66, 0.61),
        (64, 0.25, 10, 300, 0.45, 0.42),
        (64, 0.5, 20, 600, 0.60, 0.58),
        (64, 1.0, 40, 1200, 0.80, acc64_full),
    ]
    return pd.DataFrame(
        [
            dict(
                input_size=s,
                fraction=f,
                train_sequences=n,
                train_frames=fr,
                dev_frame_accuracy=d,
                test_frame_accuracy=t,
                majority=0.09,
                train_seconds=12.0,
            )
            for s, f, n, fr, d, t in rows
        ]
    ).sample(frac=1.0, random_state=3)  # the sentence must not depend on the row order


def test_ceiling_line_reads_its_numbers_from_the_table():
    line = ceiling.ceiling_line(_ceiling_table())
    assert "reaches 0.81 held-frame accuracy" in line
    assert "(64 px, 40 training sequences; the majority letter is 0.09)" in line
    assert "At 32 px it goes from 0.35 with 10 sequences to 0.61 with 40." in line
    assert "At 64 px it goes from 0.42 with 10 sequences to 0.81 with 40." in line
    assert "On all the training data, 64 px gives 0.81 against 0.61 at 32 px." in line
    assert "recognizer" not in line
    changed = ceiling.ceiling_line(_ceiling_table(acc64_full=0.55), recognizer_accuracy=0.123)
    assert "reaches 0.61 held-frame accuracy" in changed and "(32 px, 40 training sequences" in changed
    assert "to 0.55 with 40" in changed and "64 px gives 0.55 against 0.61 at 32 px" in changed
    assert "reaches 0.12 letter accuracy" in changed


def test_ceiling_line_with_one_size_and_one_fraction():
    one = _ceiling_table().query("input_size == 32 and fraction == 1.0")
    line = ceiling.ceiling_line(one)
    assert "reaches 0.61" in line and "goes from" not in line and "On all the training data" not in line


# ------------------------------------------------------------------------------------------ learning curve
def _curve(gains: dict[int, float], plain: float = 0.5, seeds=(0, 1)) -> pd.DataFrame:
    rows = []
    for n, gain in gains.items():
        for seed in seeds:
            wiggle = 0.01 * (seed - 0.5)  # the sentence is about the mean over seeds
            rows.append(dict(variant="ctc_gru", train_sequences=n, seed=seed, letter_accuracy=plain + wiggle))
            rows.append(dict(variant="full", train_sequences=n, seed=seed, letter_accuracy=plain + gain - wiggle))
    return pd.DataFrame(rows)


def test_curve_line_grows_shrinks_and_stays():
    grows = experiment.curve_line(_curve({10: 0.02, 20: 0.05, 40: 0.10}), baseline=0.1)
    assert "+0.020 with 10 training sequences and +0.100 with 40" in grows and "it grows" in grows
    assert "did not learn" not in grows
    shrinks = experiment.curve_line(_curve({40: -0.03, 10: 0.08}), baseline=0.1)
    assert "+0.080 with 10 training sequences and -0.030 with 40" in shrinks and "it shrinks" in shrinks
    same = experiment.curve_line(_curve({10: 0.03, 40: 0.035}), baseline=0.1)
    assert "stays about the same" in same


def test_curve_line_warns_when_nothing_learned_and_needs_two_sizes():
    flat = experiment.curve_line(_curve({10: 0.0, 40: 0.02}, plain=0.12), baseline=0.1)
    assert "Neither row is 0.05 above the constant output (0.100)" in flat and "did not learn" in flat
    one_size = experiment.curve_line(_curve({40: 0.05}), baseline=0.1)
    assert "needs both rows" in one_size
    no_plain = experiment.curve_line(_curve({10: 0.05, 40: 0.05}).query("variant == 'full'"), baseline=0.1)
    assert "needs both rows" in no_plain


# --------------------------------------------------------------------------------------- step rates
def _rate_table(bf16_32: float = 1290.0) -> pd.DataFrame:
    rows = [
        ("fp32", 32, 1000.0, 0.20),
        ("bf16", 32, bf16_32, 0.26),
        ("fp32", 64, 300.0, 0.31),
        ("bf16", 64, 240.0, 0.25),
    ]
    t = pd.DataFrame(rows, columns=["precision", "input_size", "frames_per_s", "fraction_of_matmul"])
    t["cpu_has_bf16"] = False
    return t


def test_step_rate_line_reads_its_numbers_from_the_table():
    line = experiment.step_rate_line(_rate_table())
    assert "1.29x at 32 px, 0.80x at 64 px" in line
    assert "does not have native bfloat16" in line
    assert "The fastest step (fp32, 64 px) reaches 31.0% of the float32 matmul rate" in line
    t = _rate_table(bf16_32=2000.0)
    t.loc[1, "fraction_of_matmul"] = 0.4
    t["cpu_has_bf16"] = True
    other = experiment.step_rate_line(t)
    assert "2.00x at 32 px" in other and "this CPU has native" in other
    assert "(bf16, 32 px) reaches 40.0%" in other
    fp32_only = experiment.step_rate_line(_rate_table().query("precision == 'fp32'"))
    assert "(frames/s): not measured" in fp32_only
    no_matmul = _rate_table().assign(fraction_of_matmul=float("nan"))
    unmeasured = experiment.step_rate_line(no_matmul)
    assert "1.29x at 32 px" in unmeasured and "matmul rate was not measured" in unmeasured


def test_step_rates_times_each_size_and_precision(one_thread):
    from fslib.recognizer import bench

    torch.manual_seed(0)
    cfg = make_config(variant="ctc_gru", width=4, input_size=16, conv_channels=8, gru_hidden=8)
    assert cfg.teacher == "" and cfg.w_distill == 0
    items = [
        dict(
            frames=torch.randint(0, 256, (n, 16, 16, 3), dtype=torch.uint8),
            target=torch.tensor(t),
            length=n,
            filename=f"s0_{k}",
        )
        for k, (n, t) in enumerate([(5, [1, 2]), (4, [3])])
    ]
    batch = collate(items)
    assert batch["frames"].shape == (2, 5, 16, 16, 3)
    rows = bench.step_rates(cfg, batch, ALPHA.size, input_sizes=(16, 32), steps=1, matmul_gflops=50.0)
    assert [(r["precision"], r["input_size"]) for r in rows] == [
        ("fp32", 16),
        ("bf16", 16),
        ("fp32", 32),
        ("bf16", 32),
    ]
    for r in rows:
        assert r["frames_per_s"] > 0 and r["achieved_gflops"] > 0
        assert r["fraction_of_matmul"] == pytest.approx(r["achieved_gflops"] / 50.0)
    # the same step counts the same FLOPs whatever the precision; a larger input counts more
    per_frame = {(r["precision"], r["input_size"]): r["achieved_gflops"] / r["frames_per_s"] for r in rows}
    assert per_frame[("fp32", 16)] == pytest.approx(per_frame[("bf16", 16)])
    assert per_frame[("fp32", 32)] > 2 * per_frame[("fp32", 16)]
    default = bench.step_rates(cfg, batch, ALPHA.size, precisions=("fp32",), steps=1)
    assert [r["input_size"] for r in default] == [16] and np.isnan(default[0]["fraction_of_matmul"])


# ----------------------------------------------------------------------------------------------- figures
def test_ceiling_figure_draws_one_line_per_size_and_the_majority():
    import matplotlib.pyplot as plt

    from fslib.recognizer.figures import ceiling_figure

    fig = ceiling_figure(_ceiling_table())
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    labels = [ln.get_label() for ln in ax.lines]
    assert labels == ["32 px input", "64 px input", "majority letter"]
    x, y = ax.lines[1].get_data()
    assert list(x) == [10, 20, 40] and list(y) == [0.42, 0.58, 0.81]  # sorted by data, whatever the row order
    assert list(ax.lines[2].get_ydata()) == [0.09, 0.09]
    plt.close(fig)


def test_data_curve_figure_draws_means_and_the_full_data_epochs():
    import matplotlib.pyplot as plt

    from fslib.recognizer.figures import data_curve_figure

    curve = _curve({10: 0.02, 40: 0.1})
    curve["fraction"] = curve["train_sequences"] / 40
    hist = {
        (v, f, s): [
            {"epoch": 1, "dev_letter_accuracy": 0.1 + s / 10},
            {"epoch": 2, "dev_letter_accuracy": 0.3 + s / 10},
        ]
        for v in ("ctc_gru", "full")
        for f in (0.25, 1.0)
        for s in (0, 1)
    }
    fig = data_curve_figure(curve, hist, baseline=0.1)
    left, right = [ax for ax in fig.axes if ax.get_visible()]
    assert len(left.lines) == 3 and len(right.lines) == 3  # a line per variant and the constant output
    x, y = left.lines[1].get_data()
    assert list(x) == [10, 40] and list(y) == pytest.approx([0.52, 0.60])
    x, y = right.lines[0].get_data()
    assert list(x) == [1, 2] and list(y) == pytest.approx([0.15, 0.35])
    assert len(left.collections) == 2  # the seeds' dots
    plt.close(fig)
