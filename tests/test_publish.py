"""The publishing workflow deploys what `fslib book --dest` builds: run its build command (into a temporary
folder) and check the folder it uploads, and the repository URL the book links to."""

from __future__ import annotations

import shlex

import pytest
import yaml

from fslib import book
from fslib.cli import main
from fslib.paths import repo_root

WORKFLOW = repo_root() / ".github" / "workflows" / "book.yml"


def workflow_steps():
    flow = yaml.safe_load(WORKFLOW.read_text())
    steps = flow["jobs"]["build"]["steps"]
    build = next(s for s in steps if s.get("name", "").startswith("Build the book"))
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    deploy = flow["jobs"]["deploy"]["steps"]
    return build["run"], upload["with"]["path"], deploy


def test_workflow_builds_runs_full_without_executing_and_deploys_with_the_official_actions():
    cmd, path, deploy = workflow_steps()
    argv = shlex.split(cmd)
    assert argv[:2] == ["fslib", "book"] and "study" not in cmd  # nothing executed
    assert argv[argv.index("--profile") + 1] == "full"
    dest = argv[argv.index("--dest") + 1]
    assert path == f"{dest}/_build/html"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy)


@pytest.mark.slow
def test_the_artefact_the_workflow_deploys_builds(tmp_path, monkeypatch):
    cmd, path, _ = workflow_steps()
    argv = shlex.split(cmd)
    dest = argv[argv.index("--dest") + 1]
    assert not dest.startswith("/")  # relative to where the command runs, as in the workflow
    # the same command, relative path included, run from a temporary folder (the workflow runs it from the
    # checkout's root; the book's sources still come from this repository)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_REPOSITORY", "someone/fslib-study")  # as in the workflow's environment
    assert main(argv[1:]) == 0
    site = tmp_path / path
    index = (site / "intro.html") if (site / "intro.html").exists() else site / "book" / "intro.html"
    assert (site / "index.html").exists() and (site / ".nojekyll").exists() and index.exists()
    front = index.read_text()
    assert "headline-table" in front  # the headline table was pasted (glue) into the front page
    assert "https://github.com/someone/fslib-study" in front  # the repository button
    for name in book.DOWNLOADS:
        assert list(site.rglob(name.rsplit("/", 1)[-1])), f"{name} is not downloadable from the site"


def test_repository_url_from_the_environment_or_the_remote(tmp_path):
    assert book.repository_url(tmp_path, {"FSLIB_REPOSITORY_URL": "https://example.org/x/"}) == "https://example.org/x"
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "a/b"}
    assert book.repository_url(tmp_path, env) == "https://github.com/a/b"
    assert book.repository_url(tmp_path, {}) == ""  # not a git checkout: no URL, no buttons
    (tmp_path / "_config.yml").write_text((repo_root() / "_config.yml").read_text())
    cfg = yaml.safe_load(book.build_config(tmp_path, "").read_text())
    assert cfg["html"]["use_repository_button"] is False and cfg["repository"]["url"] == ""
    cfg = yaml.safe_load(book.build_config(tmp_path, "https://github.com/a/b").read_text())
    assert cfg["html"]["use_repository_button"] is True and cfg["repository"]["url"] == "https://github.com/a/b"
