"""Fixtures for the pipeline tests (helpers live in minihome.py) and the real book's tests."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

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


@contextlib.contextmanager
def ecd_home(home: Path):
    """ECD_HOME set to ``home`` for the duration (session fixtures cannot use monkeypatch)."""
    old = os.environ.get("ECD_HOME")
    os.environ["ECD_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            os.environ.pop("ECD_HOME", None)
        else:
            os.environ["ECD_HOME"] = old


@pytest.fixture(scope="session")
def real_book(tmp_path_factory):
    """The real book from the shipped data, built once (web pages only) into a temporary ECD_HOME.

    With ``ECD_REAL_BOOK_CACHE=<a home's build/cache>`` (e.g. the worktree's own, after ``ecd build``) the
    executed notebooks whose cache keys match are reused: the keys hash the notebooks, parameters, inputs,
    the ecd source and the environment, so only what is unchanged is reused; rendering and publishing run.
    """
    from ecd.book._build import build

    repo = Path(__file__).resolve().parents[2]
    home = tmp_path_factory.mktemp("realbook") / "home"
    for part in ("chapters", "notebooks", "data/raw"):
        shutil.copytree(repo / part, home / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    cache = os.environ.get("ECD_REAL_BOOK_CACHE")
    if cache and Path(cache).is_dir():
        shutil.copytree(cache, home / "build" / "cache")
    with ecd_home(home):
        res = build(jobs=2, pdf=False, keep_going=True)
    return home, res


@pytest.fixture(scope="session")
def real_book_pdf(real_book):
    """The real book's PDF: the same home built again with the PDF (every notebook and page from the cache)."""
    import time

    from ecd.book._build import build

    home, _ = real_book
    with ecd_home(home):
        t0 = time.monotonic()
        res = build(jobs=2, keep_going=True)
    return home, res, time.monotonic() - t0
