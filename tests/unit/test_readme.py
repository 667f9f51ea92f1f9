"""The README's Python examples run as written."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_python_examples():
    assert len(_blocks()) >= 2


@pytest.mark.parametrize("i", range(len(_blocks())))
def test_readme_example_runs(i, tmp_path, monkeypatch):
    import shutil

    repo = README.parent
    shutil.copytree(repo / "data" / "raw", tmp_path / "data" / "raw")
    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # files the examples write (ecd.data.export) land here
    namespace: dict = {}
    exec("import ecd\n" + _blocks()[i], namespace)  # noqa: S102 — the README is ours
