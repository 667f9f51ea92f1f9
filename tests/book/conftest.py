"""Fixtures for the pipeline tests (helpers live in minihome.py)."""
from __future__ import annotations

import pytest

from minihome import PARAMS, PROSE, MiniHome, default_manifest, make_notebook


def _make_home(root):
    (root / "chapters").mkdir(parents=True)
    make_notebook(root / "notebooks" / "ch.ipynb", PARAMS)
    (root / "chapters" / "alpha.md").write_text(PROSE, encoding="utf-8")
    h = MiniHome(root)
    h.set_data("a", [1.0, 2.0, 3.5])
    h.set_data("b", [10.0, 20.0])
    h.write_manifest(default_manifest())
    return h


@pytest.fixture
def mini(tmp_path, monkeypatch):
    """A fresh, never-built miniature home."""
    h = _make_home(tmp_path / "home")
    monkeypatch.setenv("ECD_HOME", str(h.root))
    return h


@pytest.fixture(scope="session")
def _built_once(tmp_path_factory):
    """One cold build of the miniature home, shared (read-only) by the tests that start from a built book."""
    import os

    from ecd.book._build import build

    h = _make_home(tmp_path_factory.mktemp("built") / "home")
    old = os.environ.get("ECD_HOME")
    os.environ["ECD_HOME"] = str(h.root)
    try:
        res = build(jobs=2, pdf=False)
    finally:
        if old is None:
            os.environ.pop("ECD_HOME", None)
        else:
            os.environ["ECD_HOME"] = old
    assert res.exit_code == 0, res.chapters
    return h, res


@pytest.fixture
def built(_built_once, tmp_path, monkeypatch):
    """A private copy of the built miniature home (cache, releases and current included)."""
    import shutil

    src, _ = _built_once
    root = tmp_path / "home"
    shutil.copytree(src.root, root, symlinks=True)
    monkeypatch.setenv("ECD_HOME", str(root))
    return MiniHome(root)
