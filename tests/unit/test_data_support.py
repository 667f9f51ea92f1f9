"""Helpers shared by the ``test_data*`` modules: a minimal valid project home in tmp_path.

The home holds a row subset of two real raw files (tests/fixtures/data/home); a
test adds one malformed file from tests/fixtures/data/bad under its own source
folder, with a sidecar written here (correct sha256 unless the test says otherwise).
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "data"
BAD = FIXTURES / "bad"
HOME_TEMPLATE = FIXTURES / "home"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sidecar_for(csv_path: Path, **overrides) -> dict:
    meta = {
        "source_id": csv_path.parent.name,
        "title": "test fixture",
        "producer": "ecd test suite",
        "citation": "ecd test suite, malformed on purpose",
        "url": "tests/fixtures/data/bad",
        "date_accessed": "2026-11 (data-seed)",
        "licence": "MIT (test fixture)",
        "trust": "low",
        "definition_notes": ["test fixture"],
        "gaps": [],
        "format": "tidy_csv",
        "encoding": "utf-8",
        "year_kind": "observation",
        "sha256": sha256(csv_path),
        "publications": {"ecd_test_fixture": {"type": "dataset", "author": "ecd test suite",
                                              "title": "SYNTHETIC test fixture", "year": 2026, "lang": "en"}},
        "publication": "ecd_test_fixture",
    }
    meta.update(overrides)
    return meta


def add_raw(home: Path, fixture: str, source_id: str = "testsrc", *, sidecar: bool = True, name: str | None = None,
            **meta_overrides) -> Path:
    """Copy ``tests/fixtures/data/bad/<fixture>`` into ``data/raw/<source_id>/`` with a sidecar."""
    target = home / "data" / "raw" / source_id / (name or fixture)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BAD / fixture, target)
    if sidecar:
        meta = sidecar_for(target, **meta_overrides)
        target.with_name(target.stem + ".meta.yaml").write_text(
            yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` (empty if it does not exist)."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def _built_template(tmp_path_factory) -> Path:
    """A valid home with its warehouse already built (built once per session, copied per test)."""
    import os

    from ecd.data import build

    home = tmp_path_factory.mktemp("ecd-home-template")
    shutil.copytree(HOME_TEMPLATE, home, dirs_exist_ok=True)
    old = os.environ.get("ECD_HOME")
    os.environ["ECD_HOME"] = str(home)
    try:
        build()
    finally:
        if old is None:
            del os.environ["ECD_HOME"]
        else:
            os.environ["ECD_HOME"] = old
    return home


@pytest.fixture
def built_home(_built_template, tmp_path, monkeypatch) -> Path:
    """A fresh copy of a valid home with a built warehouse; ``ECD_HOME`` points at it."""
    home = tmp_path / "home"
    shutil.copytree(_built_template, home)
    monkeypatch.setenv("ECD_HOME", str(home))
    return home


def test_template_home_is_valid(built_home):
    from ecd.data import check

    summary = check()
    assert summary.files == 2
    assert summary.rows == sum(
        len((built_home / "data/raw" / f).read_text(encoding="utf-8").splitlines()) - 1
        for f in ("nhc_official/mini_official.csv", "policy_targets/mini_targets.csv"))
    assert snapshot(built_home / "data" / "processed").keys() == {"warehouse.parquet", "warehouse.duckdb", "manifest.json",
                                                                    "publications.parquet", "retrievals.parquet"}
