"""The `fslib` command line: help, and errors that name the bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fslib.cli import main
from fslib.study.plan import ParameterError


def test_help_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "fslib", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "study" in out.stdout and "book" in out.stdout


def test_bad_set_is_a_clear_error_not_a_traceback(capsys):
    code = main(["study", "--profile", "smoke", "--only", "00", "--set", "no_such_param=1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no_such_param" in err and "Allowed" in err and "Traceback" not in err


def _one_line_error(capsys, argv, *needles):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert all(n in err for n in needles), err
    return err


def test_library_errors_are_one_line_with_exit_2_and_debug_shows_the_traceback(capsys, tmp_path):
    from fslib.data.readers import DatasetError

    missing = str(tmp_path / "nonexistent")
    _one_line_error(capsys, ["preprocess", missing], "fslib preprocess: error:", missing, "--debug")
    for argv in (["--debug", "preprocess", missing], ["preprocess", missing, "--debug"]):
        with pytest.raises(DatasetError):
            main(argv)


def test_train_parameters_are_checked_before_any_work(capsys, monkeypatch):
    from fslib.config import ConfigError
    from fslib.recognizer import experiment

    def checked_then_stop(params, progress=True):
        experiment.Experiment.from_params(params)  # checks every parameter (raises ConfigError)
        raise AssertionError("the parameters passed; data preparation would start here")

    monkeypatch.setattr(experiment, "run", checked_then_stop)
    _one_line_error(capsys, ["train", "--profile", "ci", "--set", "teacher=nosuch"], "nosuch", "choose from")
    _one_line_error(capsys, ["train", "--profile", "ci", "--set", "epochs=0"], "epochs")
    _one_line_error(capsys, ["train", "--profile", "ci", "--set", "corpus_signers=-3"], "corpus_signers=-3")
    _one_line_error(capsys, ["train", "--profile", "ci", "--set", "corpus_path=/no/such/corpus"], "/no/such/corpus")
    _one_line_error(capsys, ["train", "--profile", "ci", "--set", "teacher_size=huge"], "huge")
    _one_line_error(capsys, ["train", "--profile", "ci", "--set", "train_seeds=[]"], "train_seeds")
    with pytest.raises(AssertionError, match="would start here"):  # good parameters pass the check
        main(["train", "--profile", "ci"])
    with pytest.raises(ConfigError):  # pages build their experiment the same way
        experiment.Experiment.from_params({"teacher": "nosuch"})


def test_a_bug_keeps_its_traceback(monkeypatch):
    from fslib import cli

    def broken(args):
        return 1 / 0

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["train"].set_defaults(func=broken)
    with pytest.raises(ZeroDivisionError):
        main(["train"])
    assert not cli.is_user_error(ZeroDivisionError()) and not cli.is_user_error(ValueError("numpy said so"))
    assert cli.is_user_error(FileNotFoundError("x")) and cli.is_user_error(ParameterError("p"))


def test_a_path_given_with_set_is_relative_to_the_command_and_must_exist(tmp_path, monkeypatch):
    from fslib.study.plan import load_plan

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_corpus").mkdir()
    plan = load_plan()
    got = plan.resolve("smoke", ["04_recognizer"], ["corpus_path=my_corpus"])["04_recognizer"]["corpus_path"]
    assert got == str((tmp_path / "my_corpus").resolve())  # the notebooks run in notebooks/: made absolute
    with pytest.raises(ParameterError, match="no_such_corpus does not exist"):
        plan.resolve("smoke", ["04_recognizer"], ["corpus_path=no_such_corpus"])
    assert plan.resolve("smoke", ["04_recognizer"], ["corpus_path="])["04_recognizer"]["corpus_path"] == ""


def test_train_variant_trains_that_loss_ablation_row(capsys):
    from fslib.recognizer.cli import resolve_params
    from fslib.recognizer.config import LOSS_VARIANTS
    from fslib.recognizer.experiment import Experiment

    for variant in LOSS_VARIANTS:
        params = resolve_params("ci", ["teacher=oracle_pose"], "unused", variant)
        assert Experiment.from_params(params).config().variant == variant
    assert resolve_params("ci", [], "unused")["teacher"] == "hamer"  # no variant: the page's full model
    _one_line_error(capsys, ["train", "--profile", "ci", "--variant", "ctc_all"], "ctc_all", "choose from")
