"""ISLR training: a toy task learned well above chance, cached results, resume equal to an uninterrupted run."""

import numpy as np
import pytest
import torch

from fslib.islr import train as tr
from fslib.islr.data import collate


def toy(n_per_class=12, classes=4, seed=0):
    """Class c: a point moving along direction c (plus noise), clips of 6-10 frames."""
    rng = np.random.default_rng(seed)
    dirs = np.eye(classes, max(classes, 6))
    clips, labels = [], []
    for c in range(classes):
        for _ in range(n_per_class):
            t = rng.integers(6, 11)
            x = np.linspace(0, 1, t)[:, None] * dirs[c] + rng.normal(0, 0.2, (t, dirs.shape[1]))
            clips.append(x.astype(np.float32))
            labels.append(c)
    return tr.Split(clips, labels)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    torch.set_num_threads(1)
    return tmp_path


def cfg(**kw):
    return tr.make_config(kind="bilstm", hidden=16, layers=1, epochs=6, batch_size=8, lr=3e-3, **kw)


def ranks_of_labels(model, split):
    """Rank of each clip's true class among the model's logits (0 = highest), computed here, not by tr.evaluate."""
    model.eval()
    with torch.no_grad():
        x, lengths, y = collate(split.clips, split.labels)
        logits = model(x, lengths).numpy()
    order = np.argsort(-logits, axis=1, kind="stable")
    return np.array([int(np.nonzero(order[i] == label)[0][0]) for i, label in enumerate(y.tolist())])


def test_toy_task_is_learned_and_cached(cache):
    classes = 8  # more than 5, so top-5 is not every class: random logits would score top-5 = 5/8 on average
    data = {"train": toy(classes=classes), "val": toy(classes=classes, seed=1), "test": toy(classes=classes, seed=2)}
    res = tr.train(cfg(), data, classes=classes, progress=False)
    assert res.report["test"]["top1"] >= 0.6  # chance 1/8
    assert res.report["val"]["top5"] >= 0.9  # chance 5/8
    for split in ("val", "test"):
        ranks = ranks_of_labels(res.model, data[split])
        assert res.report[split]["top1"] == pytest.approx(np.mean(ranks < 1))
        assert res.report[split]["top5"] == pytest.approx(np.mean(ranks < 5))
    again = tr.train(cfg(), data, classes=classes, progress=False)
    assert again.folder == res.folder and again.report == res.report


def test_resume_after_interruption_matches(cache, monkeypatch):
    data = {"train": toy(), "val": toy(seed=1)}
    c = cfg(seed=3, jitter=0.01, scale=[0.9, 1.1], frame_dropout=0.1, dropout=0.1)
    full = tr.train(c, data, classes=4, progress=False)
    (full.folder / "model.pt").unlink()
    (full.folder / "report.json").unlink()
    calls = {"n": 0}
    real = tr.evaluate

    def flaky(model, split, batch_size=64):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(model, split, batch_size)

    monkeypatch.setattr(tr, "evaluate", flaky)
    with pytest.raises(KeyboardInterrupt):
        tr.train(c, data, classes=4, progress=False)
    monkeypatch.setattr(tr, "evaluate", real)
    resumed = tr.train(c, data, classes=4, progress=False)
    assert [r["val_top1"] for r in resumed.report["history"]] == [r["val_top1"] for r in full.report["history"]]
    for a, b in zip(resumed.model.state_dict().values(), full.model.state_dict().values()):
        assert torch.equal(a, b)


def test_topk_and_bad_input(cache):
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.2]])
    acc = tr.topk_accuracy(logits, torch.tensor([1, 2]), ks=(1, 2))
    assert acc == {"top1": 0.5, "top2": 1.0}
    # 7 classes; the true class ranks 1st, 5th, 6th and 7th: top-1 1/4, top-5 2/4, top-6 3/4
    logits = torch.tensor(
        [
            [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
            [1.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0],
            [2.0, 1.0, 7.0, 6.0, 5.0, 4.0, 3.0],
            [3.0, 2.0, 1.0, 7.0, 6.0, 5.0, 4.0],
        ]
    )
    labels = torch.tensor([0, 5, 0, 2])
    assert tr.topk_accuracy(logits, labels, ks=(1, 5, 6)) == {"top1": 0.25, "top5": 0.5, "top6": 0.75}
    assert tr.topk_accuracy(logits, labels) == {"top1": 0.25, "top5": 0.5}  # the default ks, as evaluate uses
    with pytest.raises(ValueError, match="'val' split is empty"):
        tr.train(cfg(), {"train": toy(), "val": tr.Split([], [])}, classes=4, progress=False)
    with pytest.raises(ValueError, match="unknown key"):
        tr.make_config(kernel=3)


def test_the_code_recipe_stops_early_on_the_validation_loss(cache):
    # labels that carry no signal: the validation loss stops improving, so early stopping ends the run well
    # before its 40 epochs and keeps the epoch of the lowest validation loss
    noise = toy(classes=4)
    rng = np.random.default_rng(0)
    shuffled = tr.Split(noise.clips, rng.permutation(noise.labels).tolist())
    data = {"train": shuffled, "val": toy(classes=4, seed=1)}
    recipe = dict(optimizer="adam", clip=1.0, select="loss", plateau=(0.1, 1), early_stop=3, model_style="code")
    res = tr.train(tr.make_config(kind="bilstm", hidden=16, layers=1, epochs=40, **recipe), data, 4, progress=False)
    hist = res.report["history"]
    losses = [h["val_loss"] for h in hist]
    best = int(np.argmin(losses)) + 1
    assert len(hist) == best + 3 < 40 and res.report["best_epoch"] == best
    assert res.report["val"]["loss"] == pytest.approx(min(losses), rel=1e-5)
    assert hist[-1]["lr"] < hist[0]["lr"]  # the plateau schedule cut the rate


def test_two_runs_of_one_configuration_and_seed_give_identical_metrics_and_weights(tmp_path, monkeypatch):
    """Determinism on one machine: the same configuration and seed trained twice from empty caches (no reuse)
    give the same history, metrics and weights, bit for bit; another seed gives other weights."""
    torch.set_num_threads(1)
    data = {"train": toy(8, seed=1), "val": toy(3, seed=2), "test": toy(3, seed=3)}
    config = cfg(jitter=0.01, scale=(0.9, 1.1), frame_dropout=0.1, dropout=0.1)  # every random draw in use
    runs = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / name))
        runs.append(tr.train(tr.make_config({**config.__dict__, "seed": seed}), data, 4, progress=False))
    a, b, c = runs
    assert a.folder != b.folder and not (tmp_path / "a").samefile(tmp_path / "b")
    for key in ("val", "test", "best_epoch"):
        assert a.report[key] == b.report[key], key

    def learned(history):  # each epoch's losses and accuracies, without its timings
        return [{k: v for k, v in h.items() if "second" not in k and "_per_s" not in k} for h in history]

    assert learned(a.report["history"]) == learned(b.report["history"])
    for (name, pa), pb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert any(not torch.equal(pa, pc) for pa, pc in zip(a.model.state_dict().values(), c.model.state_dict().values()))
