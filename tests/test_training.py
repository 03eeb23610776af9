"""The study's one training loop (fslib.training): schedules, selection, resume equal to an uninterrupted run."""

import math

import numpy as np
import pytest
import torch

from fslib.training import fit, warmup_cosine


def test_warmup_cosine_shapes():
    f = warmup_cosine(100, 10)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(10) == pytest.approx(1.0) and f(55) == pytest.approx(0.5) and f(100) == pytest.approx(0.0)
    g = warmup_cosine(100, 10, cosine_from_start=True)
    assert g(0) == pytest.approx(0.1 * 0.5 * (1 + math.cos(0)))
    assert g(50) == pytest.approx(0.5) and g(100) == pytest.approx(0.0)
    assert all(f(s) >= f(s + 1) for s in range(10, 100)) and warmup_cosine(10, 0)(0) == 1.0


def _task(tmp_path, name, epochs=5, scores=None, **kw):
    """A noisy linear regression whose batches use all three random streams (and dropout the global one);
    evaluation is minus the mean squared error, or a fixed schedule of ``scores``."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1))
    x = torch.randn(64, 4)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1
    scores = iter(scores) if scores else None

    @torch.no_grad()
    def evaluate():
        if scores:
            return {"score": next(scores)}
        model.eval()
        return {"score": -float(torch.nn.functional.mse_loss(model(x).squeeze(1), y))}

    def batches(rnd):
        order = rnd.numpy.permutation(64)
        for s in range(0, 64, 16):
            idx = torch.as_tensor(order[s : s + 16])
            noise = 0.01 * torch.randn(len(idx), 4, generator=rnd.torch) + 0.01 * torch.rand(1, generator=rnd.run)
            yield x[idx] + noise, y[idx]

    def step(batch):
        xb, yb = batch
        loss = torch.nn.functional.mse_loss(model(xb).squeeze(1), yb)
        return loss, {"double": 2 * loss}, len(yb)

    res = fit(
        model,
        batches=batches,
        step=step,
        steps_per_epoch=4,
        epochs=epochs,
        lr=1e-2,
        weight_decay=0.0,
        seed=3,
        resume=tmp_path / name / "resume.pt",
        evaluate=evaluate,
        select="score",
        schedule=kw.pop("schedule", warmup_cosine(4 * epochs, 2)),
        clip=1.0,
        unit="rows",
        progress=False,
        **kw,
    )
    return model, res


def test_history_selection_and_throughput(tmp_path):
    model, res = _task(tmp_path, "a", scores=[0.2, 0.7, 0.5, 0.7, 0.1])
    assert [h["epoch"] for h in res.history] == [1, 2, 3, 4, 5] and all(h["steps"] == 4 for h in res.history)
    assert res.best_epoch == 2 and res.best_value == 0.7  # the first of two equal best epochs
    h = res.history[0]
    assert h["train_double"] == pytest.approx(2 * h["train_loss"]) and h["train_rows_per_s"] > 0
    assert res.history[-1]["train_loss"] < res.history[0]["train_loss"]
    assert res.history[-1]["lr"] < res.history[1]["lr"]
    assert set(h) >= {"val_score", "val_seconds", "train_seconds"}


def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    whole, a = _task(tmp_path, "whole")
    cut, none = _task(tmp_path, "cut", stop_after=2)
    assert none is None and (tmp_path / "cut" / "resume.pt").exists()
    # a fresh process: new model object, scores restarted at the resumed epoch
    torch.manual_seed(123)
    np.random.seed(5)
    resumed, b = _task(tmp_path, "cut")

    def strip(hist):
        return [{k: v for k, v in r.items() if "seconds" not in k and "per_s" not in k} for r in hist]

    assert strip(b.history) == strip(a.history) and b.best_epoch == a.best_epoch
    for p, q in zip(whole.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(p, q)


def test_without_selection_the_last_epoch_is_kept(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    res = fit(
        model,
        batches=lambda rnd: [(torch.ones(3, 2), torch.zeros(3))],
        step=lambda b: (model(b[0]).pow(2).mean(), {}, 3),
        steps_per_epoch=1,
        epochs=3,
        lr=0.1,
        weight_decay=0.0,
        seed=0,
        resume=tmp_path / "r.pt",
        progress=False,
    )
    assert res.best_epoch == 3 and math.isnan(res.best_value) and len(res.history) == 3
    assert "val_seconds" not in res.history[0]


def test_early_stopping_plateau_and_a_lower_is_better_metric(tmp_path):
    # losses 0.9, 0.5, 0.6, 0.7, 0.8, ...: the best is epoch 2; patience 2 stops after epoch 4
    losses = [0.9, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
    kw = dict(select_mode="min", patience=2, plateau=(0.5, 0), schedule=None, optimizer="adam")
    model, res = _task(tmp_path, "stop", epochs=8, scores=losses, **kw)
    assert [h["epoch"] for h in res.history] == [1, 2, 3, 4] and res.best_epoch == 2 and res.best_value == 0.5
    lrs = [h["lr"] for h in res.history]
    # each row shows the rate its epoch trained with: cut after epoch 3, the first without improvement
    assert lrs[:3] == [1e-2, 1e-2, 1e-2] and lrs[3] == pytest.approx(5e-3)
    # interrupted after the stop was decided (resume file at epoch 4): a rerun stays stopped, same best
    torch.manual_seed(9)
    _, again = _task(tmp_path, "stop", epochs=8, scores=losses[4:], **kw)
    assert [h["epoch"] for h in again.history] == [1, 2, 3, 4] and again.best_epoch == 2
    with pytest.raises(ValueError, match="either a per-step schedule or a plateau"):
        _task(tmp_path, "bad", plateau=(0.5, 1))  # _task's warm-up schedule as well
