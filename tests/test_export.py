"""The study's saved recognizer (fslib.recognizer.export): the best-dev seed is kept, with weights that load
back unchanged through the checked loader, and a provenance block that says what it is."""

from __future__ import annotations

import types

import pytest
import torch
import toy_crops

from fslib.recognizer import export
from fslib.recognizer.config import make_config
from fslib.recognizer.model import build_recognizer
from fslib.recognizer.train import CheckpointMismatch, load_checkpoint, save_checkpoint

ALPHA = toy_crops.ALPHA
CFG = dict(width=4, input_size=16, epochs=1, batch_size=2, teacher="", w_distill=0.0)


def _run(tmp_path, seed, dev):
    cfg = make_config(CFG, seed=seed)
    torch.manual_seed(seed)
    model = build_recognizer(cfg, ALPHA.size)
    folder = tmp_path / f"run{seed}"
    folder.mkdir()
    save_checkpoint(folder / "model.pt", model, ALPHA, {"history": [], "report": {}})
    report = {"run_id": f"ctc-seed{seed}", "best_dev_letter_accuracy": dev}
    return types.SimpleNamespace(model=model, report=report, folder=folder, run_id=report["run_id"])


def test_best_dev_seed_is_saved_with_provenance_and_loads_back(tmp_path):
    runs = {0: _run(tmp_path, 0, 0.30), 1: _run(tmp_path, 1, 0.45), 2: _run(tmp_path, 2, 0.45)}
    path = export.save_study_model(
        runs, tmp_path / "out", provenance={"profile": "smoke", "corpus": "toy"}, test_accuracy={0: 0.2, 1: 0.4, 2: 0.5}
    )
    assert path == tmp_path / "out" / "models" / "recognizer.pt"
    model, payload = load_checkpoint(path, make_config(CFG), ALPHA)
    # seeds 1 and 2 tie on dev: the first listed wins; its weights, not another seed's, were saved
    assert payload["provenance"]["seed"] == 1 and payload["provenance"]["test_letter_accuracy"] == 0.4
    for a, b in zip(runs[1].model.state_dict().values(), model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    line = export.describe(path)
    assert "ctc-seed1" in line and "smoke profile" in line and "0.400" in line
    with pytest.raises(CheckpointMismatch, match="alphabet"):
        load_checkpoint(path, make_config(CFG), type(ALPHA)("other", tuple("abce")))


def test_no_runs_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no trained runs"):
        export.save_study_model({}, tmp_path, provenance={})
