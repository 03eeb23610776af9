"""Provenance recorded with every executed notebook."""


def test_git_state_ignores_the_studys_own_outputs(tmp_path):
    import subprocess

    from fslib.envinfo import git_state

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "table.csv").write_text("a\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    assert git_state(tmp_path)["dirty"] is False
    (tmp_path / "runs" / "table.csv").write_text("b\n")  # a profile re-run rewrites its outputs
    assert git_state(tmp_path)["dirty"] is False
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_state(tmp_path)["dirty"] is True
