"""fslib recognize / export / clip: a video in, letters and timings out; streaming ends where offline does; the
ONNX student matches PyTorch's; every bad input is one line and exit status 2. (Speed is measured on the
efficiency page, never asserted here.)"""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
import torch

from fslib.alphabet import FSWILD
from fslib.cli import main
from fslib.data import video
from fslib.preprocess.config import PreprocessConfig
from fslib.recognizer import export, pipeline
from fslib.recognizer.config import make_config
from fslib.recognizer.model import build_recognizer
from fslib.recognizer.train import save_checkpoint
from fslib.synth.clip import write_clip

CFG = dict(width=4, input_size=16, epochs=1, batch_size=2, teacher="", w_distill=0.0, subsample=2)


def _save_model(folder, alphabet=FSWILD, seed=0):
    """An untrained student saved the way page 04 saves the study's model."""
    cfg = make_config(CFG, seed=seed)
    torch.manual_seed(seed)
    model = build_recognizer(cfg, alphabet.size)
    run_dir = folder / f"run{seed}"
    run_dir.mkdir(parents=True)
    save_checkpoint(run_dir / "model.pt", model, alphabet, {"history": [], "report": {}})
    run = types.SimpleNamespace(report={"run_id": "toy", "best_dev_letter_accuracy": 0.1}, folder=run_dir, run_id="toy")
    prep = PreprocessConfig(crop_size=32)
    return export.save_study_model(
        {seed: run},
        folder / "out",
        provenance={"profile": "test", "frame_rate": 15, "preprocess": prep.__dict__},
    )


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return _save_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip("abc", tmp_path_factory.mktemp("clip") / "abc.mp4", image_size=128, signer=1)


def _frames(path, sm):
    src = video.open_source(path)
    return list(video.resample(src.frames(), src.fps, sm.frame_rate))


def test_stream_ends_with_the_offline_hypothesis(model_path, clip):
    sm = pipeline.load_model(model_path)
    frames = _frames(clip, sm)
    offline = pipeline.recognize(frames, sm)
    seen = []
    stream = pipeline.recognize(frames, sm, stream=True, on_partial=lambda n, s: seen.append((n, s)))
    serial = pipeline.recognize(frames, sm, overlap=False)
    assert offline.letters == stream.letters == serial.letters
    np.testing.assert_array_equal(offline.logp, stream.logp)  # the same crops and features, bit for bit
    assert seen and seen[-1][1] == stream.letters and stream.partials == seen  # the last change is the answer
    # every 2nd frame reaches the student (subsample 2); MediaPipe saw them all and found the hand
    assert offline.timings.frames == len(frames) and offline.timings.student_frames == (len(frames) + 1) // 2
    assert offline.detection_rate > 0 and offline.side in ("left", "right")


def test_cli_prints_letters_and_timings_or_json(model_path, clip, capsys):
    assert main(["recognize", str(clip), "--checkpoint", str(model_path), "--stream"]) == 0
    out = capsys.readouterr().out
    assert "letters: " in out and "timings: " in out and "mediapipe" in out
    assert main(["recognize", str(clip), "--checkpoint", str(model_path), "--json", "--beam", "4"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert set(pipeline.STAGES) <= set(got["stage_seconds"]) and got["frames"] > 0 and got["beam"] == 4
    assert got["model_fps"] == 15 and got["input_fps"] == pytest.approx(15)


def test_onnx_student_matches_pytorch_and_runs_in_recognize(model_path, clip, tmp_path, capsys):
    from fslib.recognizer.onnx_export import load_onnx_model

    onnx_path = tmp_path / "student.onnx"
    assert main(["export", "--checkpoint", str(model_path), "--onnx", str(onnx_path)]) == 0
    sm = pipeline.load_model(model_path)
    sm_onnx, ort_student = load_onnx_model(onnx_path)
    assert sm_onnx.alphabet == sm.alphabet and sm_onnx.frame_rate == 15 and sm_onnx.cfg.subsample == 2
    frames = _frames(clip, sm)
    torch_result = pipeline.recognize(frames, sm)
    ort_result = pipeline.recognize(frames, sm_onnx, student=ort_student)
    np.testing.assert_allclose(ort_result.logp, torch_result.logp, atol=1e-4, rtol=0)
    assert ort_result.letters == torch_result.letters
    capsys.readouterr()
    assert main(["recognize", str(clip), "--onnx", str(onnx_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["backend"] == "onnxruntime"


def _error(capsys, *argv):
    rc = main(list(argv))
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    return err


def test_bad_inputs_are_one_line_and_exit_2(model_path, clip, tmp_path, capsys, monkeypatch):
    ck = ["--checkpoint", str(model_path)]
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    err = _error(capsys, "recognize", str(junk), *ck)
    assert "cannot open" in err or "no readable frame" in err
    assert "no such file" in _error(capsys, "recognize", str(tmp_path / "missing.mp4"), *ck)
    (tmp_path / "empty").mkdir()
    assert "no jpg/png" in _error(capsys, "recognize", str(tmp_path / "empty"), *ck)
    blank = video.write_video([np.zeros((96, 96, 3), np.uint8)] * 12, tmp_path / "blank.mp4", 15)
    assert "no hand in any of the 12 frames" in _error(capsys, "recognize", str(blank), *ck)
    assert "alphabet" in _error(capsys, "recognize", str(clip), *ck, "--alphabet", "greek")
    not_a_model = tmp_path / "model.pt"
    not_a_model.write_bytes(b"nothing")
    assert "not a readable recognizer checkpoint" in _error(
        capsys, "recognize", str(clip), "--checkpoint", str(not_a_model)
    )
    # no checkpoint given and none at the default place: the command that makes one
    (tmp_path / "_toc.yml").write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setenv("FSLIB_ROOT", str(tmp_path))
    assert "fslib study --profile ci --only 04" in _error(capsys, "recognize", str(clip))
    assert "fslib study" in _error(capsys, "export", "--onnx", str(tmp_path / "x.onnx"))
    assert "outside" in _error(capsys, "clip", "é", str(tmp_path / "x.mp4"))


def test_a_checkpoint_of_another_configuration_is_refused(tmp_path, clip, capsys):
    path = _save_model(tmp_path)
    payload = torch.load(path, weights_only=False)
    payload["config"]["width"] = 8  # weights of width 4 under a width-8 configuration
    torch.save(payload, path)
    assert "do not fit the configuration" in _error(capsys, "recognize", str(clip), "--checkpoint", str(path))


def test_resample_keeps_the_frames_nearest_in_time():
    frames = list(range(12))
    assert list(video.resample(frames, 30, 15)) == [0, 2, 4, 6, 8, 10]
    assert list(video.resample(frames[:4], 10, 20)) == [0, 1, 1, 2, 2, 3, 3]  # halves round up
    assert list(video.resample(frames, None, 15)) == frames and list(video.resample(frames, 15, 15)) == frames


def test_default_model_is_the_full_runs_else_the_newest_other_run(model_path, tmp_path, monkeypatch):
    import shutil

    for marker in ("_toc.yml", "pyproject.toml"):
        (tmp_path / marker).write_text("")
    monkeypatch.setenv("FSLIB_ROOT", str(tmp_path))
    ci = tmp_path / "runs" / "ci" / "models" / "recognizer.pt"
    ci.parent.mkdir(parents=True)
    shutil.copy(model_path, ci)
    assert pipeline.default_model_path() == ci and pipeline.load_model().path == ci
    full = tmp_path / "runs" / "full" / "models" / "recognizer.pt"
    full.parent.mkdir(parents=True)
    shutil.copy(model_path, full)
    assert pipeline.default_model_path() == full


def test_a_folder_of_frames_and_a_missing_camera(model_path, clip, tmp_path, capsys):
    import cv2

    folder = tmp_path / "frames"
    folder.mkdir()
    src = video.open_source(clip)
    for i, frame in enumerate(src.frames()):
        cv2.imwrite(str(folder / f"{i:04d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    assert main(["recognize", str(folder), "--fps", "15", "--checkpoint", str(model_path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["input_fps"] == 15 and got["frames"] == len(list(folder.iterdir()))
    assert "camera 97" in _error(capsys, "recognize", "--camera", "97", "--checkpoint", str(model_path))
    assert "give a video file" in _error(capsys, "recognize", "--checkpoint", str(model_path))
