"""The reliability page (book/reliability.md) names tests for its cases: every one must exist, so the page cannot
point at a test that was renamed or removed, and a case without a test must say "not yet"."""

from __future__ import annotations

import ast
import re

from fslib.paths import repo_root


def _tests_in(path):
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def test_every_test_named_on_the_reliability_page_exists():
    root = repo_root()
    page = (root / "book" / "reliability.md").read_text()
    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", page)
    assert len(named) >= 20
    missing = [f"{f}::{t}" for f, t in named if not (root / f).exists() or t not in _tests_in(root / f)]
    assert not missing, f"book/reliability.md names tests that do not exist: {missing}"
    for line in page.splitlines():  # a table row is either tested or says "not yet"
        if line.startswith("| ") and not line.startswith(("| case", "|---")):
            assert "::test_" in line or "**not yet**" in line, line
