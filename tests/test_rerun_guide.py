"""The rerun guide (book/rerun.md) cannot go stale without a failing test.

Every ``fslib`` command in the guide's bash blocks (also the ones started as ``python -m fslib`` or under
``torchrun ... -m fslib``) must parse with the CLI's own argparse parser; the ``--only`` and ``--set`` of
``fslib study`` and ``fslib train`` must resolve the way the command itself resolves them (every name a
parameter that a selected notebook declares, of the right type); and every parameter the guide hands to
papermill, from its command line (``-p``) or from its Python API (``parameters={...}``), must be declared by
the notebook it is given to; ``make`` targets and ``PROFILE=`` must exist; and the Python blocks and the
here-documents given to Python must compile, with every ``from fslib... import name`` resolving. Shell
variables and ``<placeholders>`` are replaced by a dummy value first.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "book" / "rerun.md"
DUMMY = "1"  # stands for $VARS and <placeholders>: a valid int, and a valid (if odd) path or string
SEPARATORS = {"&&", "||", ";", "|", "&", ";;", "(", ")"}
REDIRECTIONS = {">", ">>", "<", ">&", "<&", "&>", ">|"}

_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*\{?(?:code-block\}?[ \t]*)?([\w-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_HEREDOC = re.compile(r"<<-?[ \t]*(['\"]?)(\w+)\1")
_PLACEHOLDER = re.compile(r"\$\{?\w+\}?|<[A-Za-z][\w./-]*>")


# ------------------------------------------------------------------------------------------- extraction
def code_blocks(markdown: str, languages: tuple[str, ...]) -> list[str]:
    """The bodies of the fenced code blocks (```lang or ```{code-block} lang) whose language is in ``languages``."""
    return [m.group(3) for m in _FENCE.finditer(markdown) if m.group(2) in languages]


def shell_lines(block: str, heredocs: list[str] | None = None) -> list[str]:
    """The logical lines of a shell block: backslash continuations joined, here-document bodies left out
    (and appended to ``heredocs`` when given)."""
    lines, pending, heredoc_end, body = [], "", None, []
    for raw in block.splitlines():
        if heredoc_end is not None:
            if raw.strip() == heredoc_end:
                heredoc_end = None
                if heredocs is not None:
                    heredocs.append("\n".join(body))
            else:
                body.append(raw)
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line, pending = pending + raw, ""
        here = _HEREDOC.search(line)
        if here:
            heredoc_end, body = here.group(2), []
            line = line[: here.start()]
        if line.strip():
            lines.append(line)
    return lines


def split_commands(line: str) -> list[list[str]]:
    """The simple commands of one shell line as token lists (comments, separators and redirections removed)."""
    lex = shlex.shlex(_PLACEHOLDER.sub(DUMMY, line), posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    commands, current, skip_next = [], [], False
    for tok in lex:
        if skip_next:
            skip_next = False
        elif tok in SEPARATORS:
            commands.append(current)
            current = []
        elif tok in REDIRECTIONS:
            skip_next = True  # the redirection's target
            if current and current[-1].isdigit():
                current.pop()  # the file descriptor of e.g. 2>&1
        else:
            current.append(tok)
    commands.append(current)
    return [c for c in commands if c]


def program_args(tokens: list[str], program: str) -> list[str] | None:
    """The arguments given to ``program`` in a command (``program``, ``path/to/program`` or ``-m program``),
    or None when the command does not run it."""
    for i, tok in enumerate(tokens):
        if tok == program or tok.endswith("/" + program):
            return tokens[i + 1 :]
        if tok == "-m" and i + 1 < len(tokens) and tokens[i + 1] == program:
            return tokens[i + 2 :]
    return None


SHELL = ("bash", "sh", "shell", "console")


def shell_commands(markdown: str) -> list[list[str]]:
    return [
        cmd for block in code_blocks(markdown, SHELL) for line in shell_lines(block) for cmd in split_commands(line)
    ]


def python_sources(markdown: str) -> list[str]:
    """The Python blocks of ``markdown`` and the here-documents of its shell blocks (given to a Python)."""
    sources = code_blocks(markdown, ("python", "ipython", "python3"))
    for block in code_blocks(markdown, SHELL):
        shell_lines(block, sources)
    return sources


def fslib_commands(markdown: str) -> list[list[str]]:
    """The argument lists of every ``fslib`` command in the bash blocks of ``markdown``."""
    return [a for a in (program_args(c, "fslib") for c in shell_commands(markdown)) if a is not None]


# ------------------------------------------------------------------------------------------------ checks
def _notebook(path: str) -> Path | None:
    for base in (ROOT, ROOT / "notebooks"):
        p = (base / path).resolve()
        if p.suffix == ".ipynb" and p.exists() and p.parent == ROOT / "notebooks":
            return p
    return None


def _declared(path: str) -> set[str] | str:
    """The parameters the notebook at ``path`` declares, or a problem."""
    from fslib.study.plan import notebook_parameters

    nb = _notebook(path)
    if nb is None:
        return f"{path}: not a notebook of notebooks/"
    return set(notebook_parameters(nb))


def check_fslib(argv: list[str]) -> str | None:
    """None if ``fslib <argv>`` parses and its parameters resolve; else what is wrong."""
    from fslib.cli import build_parser
    from fslib.study.plan import load_plan

    shown = "fslib " + shlex.join(argv)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = build_parser().parse_args(argv)
    except SystemExit:
        return f"{shown}: does not parse: {err.getvalue().strip().splitlines()[-1:]}"
    if getattr(args, "help", False) or not getattr(args, "func", None):
        return None
    try:
        if args.command == "study":
            plan = load_plan()
            plan.resolve(args.profile, plan.select(args.only), args.sets)
        elif args.command == "train":
            from fslib.recognizer.cli import resolve_params

            resolve_params(args.profile, args.sets, args.out_dir)
        elif args.command == "teachers" and args.teachers_command == "pretrain":
            import dataclasses

            from fslib.teachers.synthetic import SyntheticTeacherConfig

            fields = {f.name for f in dataclasses.fields(SyntheticTeacherConfig)}
            bad = [s for s in args.sets if s.split("=", 1)[0].strip() not in fields]
            if bad:
                return f"{shown}: --set {bad} names no SyntheticTeacherConfig field"
    except ValueError as e:  # ParameterError, and a configuration's own checks
        return f"{shown}: {e}"
    return None


def check_papermill(argv: list[str]) -> str | None:
    """None if every ``-p``/``--parameters``/``-r`` name of a papermill command is declared by its notebook."""
    if not argv or argv[0].startswith("-"):
        return None  # e.g. papermill --help
    if argv[0] == "--help-notebook":
        declared = _declared(argv[1]) if len(argv) > 1 else "--help-notebook without a notebook"
        return declared if isinstance(declared, str) else None
    declared = _declared(argv[0])
    if isinstance(declared, str):
        return f"papermill {shlex.join(argv)}: {declared}"
    names = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-p", "--parameters", "-r", "--parameters_raw")]
    bad = [n for n in names if n not in declared]
    if bad:
        return f"papermill {shlex.join(argv)}: {Path(argv[0]).name} declares no parameter {bad}"
    return None


def check_make(argv: list[str]) -> str | None:
    """None if every target of a ``make`` command is in the Makefile and ``PROFILE=`` names a profile."""
    from fslib.study.plan import PROFILES

    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    for arg in argv:
        name, sep, value = arg.partition("=")
        if sep and name == "PROFILE" and value not in PROFILES:
            return f"make {shlex.join(argv)}: no profile {value!r}"
        if not sep and not arg.startswith("-") and arg not in targets:
            return f"make {shlex.join(argv)}: the Makefile has no target {arg!r}"
    return None


def check_python_block(source: str) -> list[str]:
    """Problems of a Python block or here-document: a syntax error, an ``fslib`` import that does not resolve,
    and parameters of ``execute_notebook(notebook, output, parameters={...})`` its notebook does not declare."""
    import importlib

    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        return [f"Python block: {e}"]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "fslib":
            try:
                module = importlib.import_module(node.module)
            except ImportError as e:
                out.append(f"from {node.module} import ...: {e}")
                continue
            missing = [a.name for a in node.names if not hasattr(module, a.name)]
            if missing:
                out.append(f"from {node.module} import {', '.join(missing)}: no such name")
        if not (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "execute_notebook"
        ):
            continue
        if not node.args or not isinstance(node.args[0], ast.Constant):
            out.append("execute_notebook: give the notebook as a literal path")
            continue
        declared = _declared(node.args[0].value)
        if isinstance(declared, str):
            out.append(f"execute_notebook: {declared}")
            continue
        for kw in node.keywords:
            if kw.arg == "parameters":
                try:
                    names = list(ast.literal_eval(kw.value))
                except ValueError:
                    names = [k.value for k in getattr(kw.value, "keys", []) if isinstance(k, ast.Constant)]
                bad = [n for n in names if n not in declared]
                if bad:
                    out.append(f"execute_notebook({node.args[0].value!r}): parameters {bad} not declared")
    return out


def problems(markdown: str) -> list[str]:
    """Everything in ``markdown`` that would not run as written; empty when the guide is current."""
    found = []
    for cmd in shell_commands(markdown):
        fslib_args = program_args(cmd, "fslib")
        if fslib_args is not None:
            found.append(check_fslib(fslib_args))
        pm_args = program_args(cmd, "papermill")
        if pm_args is not None:
            found.append(check_papermill(pm_args))
        make_args = program_args(cmd, "make")
        if make_args is not None:
            found.append(check_make(make_args))
    for source in python_sources(markdown):
        found += check_python_block(source)
    return [p for p in found if p]


# ------------------------------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text()


def test_the_guide_has_the_commands_of_every_section(guide):
    used = {argv[0] for argv in fslib_commands(guide) if argv}
    assert {"study", "book", "train", "synth", "preprocess", "islr-extract", "teachers"} <= used, used
    assert len(fslib_commands(guide)) >= 15
    assert any(program_args(c, "torchrun") is not None for c in shell_commands(guide))
    assert any(program_args(c, "papermill") is not None for c in shell_commands(guide))


def test_every_command_of_the_guide_parses_and_resolves(guide, monkeypatch):
    # the guide's --set paths are made by its own earlier commands (the stand-in corpora), so their existence is
    # not checked here; that a missing one is refused is tests/test_cli.py's
    from fslib.study import plan as plan_module

    monkeypatch.setattr(plan_module, "is_path_parameter", lambda name: False)
    assert problems(guide) == []


BAD = """
Text.

```bash
# a comment, then commands that must each be reported
.venv/bin/fslib study --profile smoke --set no_such_parameter=1
.venv/bin/fslib train --profile tiny
.venv/bin/fslib preprocess --scheduler tcp://127.0.0.1:8786 \\
    --workers 2
.venv/bin/fslib study --profile smoke --only 99
.venv/bin/fslib study --profile smoke --set 10_islr_data:islr_glosses=many
.venv/bin/papermill notebooks/10_islr_data.ipynb out.ipynb -p islr_glosess 4
make book PROFILE=huge
.venv/bin/python - <<'EOF'
from fslib.teachers.hamer import HamerConfig, build_hamster

print("fslib study --profile nonsense")  # a here-document body is not a shell command
EOF
.venv/bin/fslib study --profile smoke --only 10 --set islr_glosses=$N && echo fine
```

```python
import papermill as pm

pm.execute_notebook("10_islr_data.ipynb", "out.ipynb", parameters={"islr_glosses": 4, "glosses": 4})
```
"""


def test_a_made_up_guide_fails_on_each_bad_command():
    found = problems(BAD)
    expect = [
        "no_such_parameter",  # --set of a parameter no notebook declares
        "tiny",  # not a profile
        "corpus",  # a required argument missing
        "'99'",  # --only of no notebook
        "islr_glosses",  # a value of the wrong type
        "islr_glosess",  # papermill -p of an undeclared parameter
        "'huge'",  # make PROFILE= of no profile
        "'glosses'",  # papermill's Python API, an undeclared parameter
        "build_hamster",  # an fslib import that does not resolve, in a here-document
    ]
    assert len(found) == len(expect), found
    for problem, word in zip(found, expect):
        assert word in problem, (word, problem)


def test_extraction_joins_continuations_skips_heredocs_and_fills_placeholders():
    cmds = fslib_commands(BAD)
    assert ["preprocess", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"] in cmds
    assert not any("nonsense" in a for argv in cmds for a in argv)
    assert ["study", "--profile", "smoke", "--only", "10", "--set", f"islr_glosses={DUMMY}"] in cmds
    assert program_args(["torchrun", "--nproc_per_node=2", "-m", "fslib", "train"], "fslib") == ["train"]
    (heredoc,) = [s for s in python_sources(BAD) if "build_hamster" in s]
    assert heredoc.splitlines()[0].startswith("from fslib") and "EOF" not in heredoc
