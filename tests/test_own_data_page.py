"""The "Your own data" page (book/own_data.md) shows scripts and the outputs of running them. These checks keep
the page from drifting away from the command line: every `fslib` command in its scripts still parses, every
script and output the page includes exists, and no recorded output holds a path of the machine it ran on.
(The scripts themselves are what tests/test_ingest.py's end-to-end tests exercise, on the same kinds of input.)"""

from __future__ import annotations

import re
import shlex

import pytest

from fslib.cli import build_parser
from fslib.paths import repo_root

PAGE = repo_root() / "book" / "own_data.md"
SCRIPTS = sorted((repo_root() / "book" / "own_data").glob("*.sh"))


def _fslib_commands(script):
    """The argument lists of the script's `.venv/bin/fslib ...` lines, up to a pipe, redirection or comment."""
    for line in script.read_text().splitlines():
        line = line.strip()
        if not line.startswith(".venv/bin/fslib "):
            continue
        words = shlex.split(line, comments=True)
        args = []
        for w in words[1:]:
            if w in ("|", ">", "2>&1", "2>/dev/null") or w.startswith((">", "|")):
                break
            args.append("0" if "$" in w else w)  # a shell variable (a loop's index or word) stands for a value
        yield args


def test_the_page_includes_every_script_and_its_output():
    text = PAGE.read_text()
    included = set(re.findall(r"```\{literalinclude\} (own_data/\S+)", text))
    assert {f"own_data/{s.name}" for s in SCRIPTS} <= included
    for name in included:
        assert (PAGE.parent / name).is_file(), f"book/own_data.md includes {name}, which does not exist"
    assert {f"own_data/{s.stem}.out" for s in SCRIPTS} <= included


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_fslib_command_of_the_scripts_parses(script):
    commands = list(_fslib_commands(script))
    assert commands, f"{script.name} runs no fslib command"
    parser = build_parser()
    for args in commands:
        try:
            parser.parse_args(args)
        except SystemExit as exc:  # argparse exits on an unknown subcommand or option
            pytest.fail(f"{script.name}: `fslib {' '.join(args)}` no longer parses (exit {exc.code})")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_recorded_outputs_hold_no_machine_path(script):
    out = script.with_suffix(".out").read_text()
    assert out.strip(), f"{script.stem}.out is empty"
    absolute = re.findall(r"(?<![\w.])/(?:home|work|tmp|root|Users|mnt|var)/\S+", out)
    assert not absolute, f"{script.stem}.out holds paths of the machine it ran on: {absolute[:3]}"
