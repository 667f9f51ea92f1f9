"""The whole researcher path, in a temporary copy of the project (issue 8's "done when").

Add a wide Chinese-header GBK yearbook table (SYNTHETIC) with a mapping via
``ecd data add`` — first refused because its indicator is new, then accepted
once the researcher adds it to a user catalog — rebuild the warehouse, load
it, scaffold a chapter that uses it, build the book with only that chapter and
find the chapter's page with its figure and glued number in ``build/current/``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ecd.cli import main

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "readers"


@pytest.mark.slow
def test_researcher_path(tmp_path, monkeypatch, capsys):
    home = tmp_path / "book"
    for part in ("chapters", "notebooks"):
        shutil.copytree(REPO / part, home / part)
    shutil.copytree(REPO / "data" / "raw", home / "data" / "raw")
    monkeypatch.setenv("ECD_HOME", str(home))

    add = ["data", "add", str(FIX / "yearbook_births_gbk.csv"), "--source", "demo_yearbook",
           "--mapping", str(FIX / "yearbook_births_gbk.mapping.yaml"), "--producer", "SYNTHETIC yearbook office",
           "--citation", "SYNTHETIC 各地区户籍出生人口表", "--url", "tests/fixtures/readers", "--licence",
           "test fixture", "--trust", "low", "--publication", "ecd_test_fixture",
           "--publications", str(FIX / "publications.yaml")]
    # 1. the indicator is new: refused, with the user-catalog entry to write
    assert main(add) == 2
    assert "births_registered" in capsys.readouterr().err
    assert not (home / "data/raw/demo_yearbook").exists()
    (home / "catalog").mkdir()
    (home / "catalog" / "demo_yearbook.yaml").write_text(yaml.safe_dump({"indicators": {"births_registered": {
        "name_zh": "户籍出生人口", "name_en": "Births, registered population", "unit": "万人", "domain": "demography",
        "direction": "neutral", "definition": "SYNTHETIC test indicator", "sources": ["demo_yearbook"]}}},
        allow_unicode=True), encoding="utf-8")
    assert main(add) == 0
    assert (home / "data/raw/demo_yearbook/yearbook_births_gbk.meta.yaml").exists()

    # 2. rebuild the warehouse and load the new indicator in one line
    assert main(["data", "build"]) == 0
    import ecd.data

    df = ecd.data.load("births_registered", geo=["CN-BJ", "CN-HE"])
    assert df.pivot(index="year", columns="geo", values="value").to_dict() == {
        "CN-BJ": {2020: 17.4, 2021: 14.2, 2022: 13.9}, "CN-HE": {2020: 83.1, 2021: 70.3, 2022: 64.0}}
    assert set(df["source_id"]) == {"demo_yearbook"} and set(df["unit"]) == {"万人"}

    # 3. scaffold a chapter on it and build only that chapter
    assert main(["new", "chapter", "births-demo", "--indicator", "births_registered", "--geo", "CN-BJ",
                 "--geo", "CN-HE", "--title", "户籍出生人口"]) == 0
    capsys.readouterr()
    assert main(["build", "--only", "births-demo", "--no-pdf"]) == 0

    # 4. the chapter's page, with its figure and the glued latest value (河北 2022: 64.0 万人)
    page = (home / "build" / "current" / "births-demo.html")
    assert page.exists()
    html = page.read_text(encoding="utf-8")
    assert 'id="fig-births-demo"' in html and "<img" in html
    # a name computed here says so; a number names the publication of the row it came from (never a glue
    # name or the copy's file) and links to that publication in the chapter's 参考文献
    assert 'data-name="latest_geo" title="由本章计算">河北</span>' in html
    assert 'title="来源：ecd test suite. SYNTHETIC test fixture">64.0</span>' in html
    value = html[html.index('data-name="latest_value"'):]
    refs = value[value.index('data-refs="') + len('data-refs="'):].split('"')[0].split()
    assert len(refs) == 1
    references = html[html.index("<h2>参考文献</h2>"):]
    assert f'<li id="{refs[0]}">[1] ecd test suite. SYNTHETIC test fixture' in references
    caption = html[html.index('id="fig-births-demo"'):].split("</figure>")[0]
    assert "SYNTHETIC test fixture" in caption  # the figure's source line cites the same publication
    assert "yearbook_births_gbk" not in html and "各地区户籍出生人口表" not in html
