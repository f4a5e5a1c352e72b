"""The published file from git's and a BI reader's point of view."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from gtm.ops import publish

REPO = Path(__file__).resolve().parents[2]

KILLED = """
import os, signal, sys
from pathlib import Path
from gtm.ops import publish

original, calls = publish._quote, []
def quote(name):
    calls.append(name)
    if len(calls) == 2:  # the second table's copy begins: the first is already written
        os.kill(os.getpid(), signal.SIGKILL)
    return original(name)
publish._quote = quote
publish.publish_marts(Path(sys.argv[1]), Path(sys.argv[2]), "killed")
"""


def make_warehouse(path: Path, value: int = 1) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.fct_a as select {value} as a_id")
        con.execute("create or replace table marts.fct_b as select 2 as b_id")
    return path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copy(REPO / ".gitignore", tmp_path / ".gitignore")
    git(tmp_path, "init", "-q")
    return tmp_path


def test_a_killed_publish_leaves_nothing_git_shows(repo):
    warehouse = make_warehouse(repo / "warehouse.duckdb")
    child = subprocess.run(
        [sys.executable, "-c", KILLED, str(warehouse), str(repo / "marts.duckdb")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert [p.name for p in repo.glob(".marts.duckdb.*")]  # the half-written file is there
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == "?? .gitignore\n"


def test_a_failed_publish_removes_its_partial_file(tmp_path, monkeypatch):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    original, calls = publish._quote, []

    def quote(name):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(name)

    monkeypatch.setattr(publish, "_quote", quote)
    with pytest.raises(OSError, match="disk full"):
        publish.publish_marts(warehouse, tmp_path / "marts.duckdb", "failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_what_shows_a_new_publish_within_one_process(tmp_path):
    """The README's advice: DuckDB shares one instance per file per process."""
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", value=1)
    target = tmp_path / "marts.duckdb"
    publish.publish_marts(warehouse, target, "first")
    held = duckdb.connect(str(target), read_only=True)
    make_warehouse(warehouse, value=2)
    publish.publish_marts(warehouse, target, "second")

    # Reconnecting while `held` is open hands back the same (old) database instance.
    again = duckdb.connect(str(target), read_only=True)
    assert again.execute("select a_id from fct_a").fetchall() == [(1,)]
    # A fresh in-memory connection that attaches the file sees the new publish.
    with duckdb.connect() as fresh:
        fresh.execute(f"attach '{target}' as marts (read_only)")
        assert fresh.execute("select a_id from marts.fct_a").fetchall() == [(2,)]
    # So does a plain connect once every connection of the process to the file is closed.
    again.close()
    held.close()
    with duckdb.connect(str(target), read_only=True) as reopened:
        assert reopened.execute("select a_id from fct_a").fetchall() == [(2,)]
    assert os.path.exists(target)
