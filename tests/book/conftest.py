"""Fixtures for the pipeline tests (helpers live in minihome.py)."""
from __future__ import annotations

import pytest

from minihome import PARAMS, PROSE, MiniHome, default_manifest, make_notebook


@pytest.fixture
def mini(tmp_path, monkeypatch):
    root = tmp_path / "home"
    (root / "chapters").mkdir(parents=True)
    make_notebook(root / "notebooks" / "ch.ipynb", PARAMS)
    (root / "chapters" / "alpha.md").write_text(PROSE, encoding="utf-8")
    h = MiniHome(root)
    h.set_data("a", [1.0, 2.0, 3.5])
    h.set_data("b", [10.0, 20.0])
    h.write_manifest(default_manifest())
    monkeypatch.setenv("ECD_HOME", str(root))
    return h
