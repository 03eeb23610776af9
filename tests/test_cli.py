"""The `fslib` command line: help, and errors that name the bad input."""

from __future__ import annotations

import subprocess
import sys

from fslib.cli import main


def test_help_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "fslib", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "study" in out.stdout and "book" in out.stdout


def test_bad_set_is_a_clear_error_not_a_traceback(capsys):
    code = main(["study", "--profile", "smoke", "--only", "00", "--set", "no_such_param=1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "no_such_param" in err and "Allowed" in err and "Traceback" not in err
