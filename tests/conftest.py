"""Shared fixtures: tiny notebooks and study plans written into a temporary folder, and one run of the whole
study at the smoke profile shared by the slow end-to-end tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml


def write_notebook(path: Path, params: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(textwrap.dedent(params).strip())
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), p]
    nb.cells += [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def toy_study(tmp_path):
    """A two-notebook study: 00_first writes its parameters to out_dir; 01_second fails on demand."""
    from fslib.study.plan import load_plan

    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    write_notebook(
        nbdir / "00_first.ipynb",
        """
        profile = "smoke"
        out_dir = "../runs/interactive"
        seed = 0
        n = 3
        rate = 0.5
        name = "x"
        flag = True
        sizes = [32, 64]
        """,
        """
        import json, pathlib
        pathlib.Path(out_dir).mkdir(parents=True, exist_ok=True)
        (pathlib.Path(out_dir) / "first.json").write_text(json.dumps(
            dict(profile=profile, seed=seed, n=n, rate=rate, name=name, flag=flag, sizes=sizes)))
        """,
    )
    write_notebook(
        nbdir / "01_second.ipynb",
        """
        profile = "smoke"
        out_dir = "../runs/interactive"
        seed = 0
        fail = False
        """,
        "x = 40 + 2",
        "if fail:\n    raise ValueError('asked to fail')",
    )
    plan_file = tmp_path / "study.yml"
    plan_file.write_text(
        yaml.safe_dump(
            {
                "notebooks": ["00_first", "01_second"],
                "profiles": {
                    "smoke": {
                        "description": "toy",
                        "budget_minutes": 1,
                        "params": {"all": {"seed": 7}, "00_first": {"n": 4}},
                    },
                    "ci": {"description": "toy ci", "budget_minutes": 2, "params": {"all": {"seed": 1}}},
                },
            }
        )
    )
    return load_plan(plan_file, nbdir), tmp_path / "runs"


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The whole study run once at the smoke profile into a temporary ``runs`` folder (minutes); returns that
    folder, which holds ``smoke/`` (manifest, executed notebooks, tables)."""
    from fslib.study import load_plan, run_study

    runs = tmp_path_factory.mktemp("smoke_study") / "runs"
    run_study("smoke", plan=load_plan(), runs_root=runs, progress=False, log=lambda s: None)
    return runs
