"""A new vintage never breaks a chapter: a second WDI vintage of u5mr_igme, added as the README shows."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "readers"


def test_second_wdi_vintage_keeps_load_unique_and_the_international_chapter_builds(tmp_path, monkeypatch):
    import ecd.data
    from ecd.book._build import build
    from ecd.cli import main

    home = tmp_path / "home"
    for part in ("chapters", "notebooks", "data/raw"):
        shutil.copytree(REPO / part, home / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setenv("ECD_HOME", str(home))
    mapping = tmp_path / "m.yaml"
    mapping.write_text("indicator_map: {SH.DYN.MORT: u5mr_igme}\ngeos: [CHN, JPN]\n", encoding="utf-8")
    # SYNTHETIC vintage (tests/fixtures/readers/README.md): CHN 2020 = 7.3 where the shipped WDI file has another value
    assert main(["data", "add", str(FIX / "wdi_bulk.csv"), "--source", "wdi_2026", "--mapping", str(mapping),
                 "--producer", "SYNTHETIC World Bank", "--citation", "SYNTHETIC WDI vintage", "--url", "tests",
                 "--licence", "test fixture", "--trust", "low", "--publication", "ecd_test_fixture",
                 "--publications", str(FIX / "publications.yaml"), "--prefer"]) == 0
    assert main(["data", "build"]) == 0
    df = ecd.data.load("u5mr_igme")
    assert not df.duplicated(["indicator", "geo", "area", "year"]).any()
    assert len(ecd.data.load("u5mr_igme", resolve="all")) > len(df)
    res = build(only=["international"], pdf=False, publish=True)
    states = {c["id"]: c["state"] for c in res.chapters}
    assert states["international"] in ("ok", "cached"), (states, res.messages)
    page = (home / "build" / "current" / "international.html").read_text(encoding="utf-8")
    assert "图" in page and "数据来源" in page
