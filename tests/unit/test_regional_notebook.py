"""The 省级概况 section notebook: thin, runs for a province with gaps, glues every placeholder, shows 无数据."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "chapters" / "province.ipynb"
PROSE = ROOT / "chapters" / "province.md"


def test_parameters_cell_names_the_foreach_parameter():
    # the thin-view check for this notebook is in test_childcare_notebook.py
    first = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    assert "province = " in first.source


def test_prose_is_generic_across_provinces():
    text = re.sub(r"\{\{[^}]*\}\}", "", PROSE.read_text(encoding="utf-8"))
    assert not re.search(r"北京|上海|广东|新疆", text)
    text = re.sub(r"\d+(?:—\d+)?岁|@(?:fig|tbl)-[\w-]+|\[\[[^\]]*\]\]", " ", text)  # ages and references only
    found = re.findall(r".{0,15}\d.{0,15}", text)
    assert not found, found[:5]


@pytest.mark.slow
def test_section_for_a_province_with_gaps(tmp_path):
    papermill = pytest.importorskip("papermill")
    from ecd.book import _render

    out = tmp_path / "province.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(tmp_path),
                               parameters={"province": "CN-GS"}, progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    outs = _render.collect(nb)
    assert [it["label"] for it in outs.items] == ["tbl-profile"]  # map, ranking and typology are the chapter's, once
    refs = {it["label"]: ("x", it["label"]) for it in outs.items} | {"tbl-typology": ("表 9-1", "tbl-typology")}
    html = _render.substitute(PROSE.read_text(encoding="utf-8"), outs.glue, refs, "province")
    assert not re.search(r"\bnan\b|\bNone\b|\{\{", html)
    g = {k: v["value"] for k, v in outs.glue.items()}
    assert g["province_name"] == "甘肃"
    assert "常住人口城镇化率（2015年）" in g["gaps_text"]  # the 2015 yearbook copy stops before Gansu
    assert "人口出生率（2015年）" in g["gaps_text"]
    assert g["type_text"].startswith("类型") and "低" not in g["type_text"] and "高" not in g["type_text"]
    assert g["early_text"].startswith("出生人口") and "由高到低居第" in g["early_text"]
    profile = next(it for it in outs.items if it["label"] == "tbl-profile")
    assert "排位" in profile["html"] and "参照值" in profile["html"]


@pytest.mark.slow
def test_chapter_intro_has_the_map_ranking_and_the_one_typology_table(tmp_path):
    papermill = pytest.importorskip("papermill")
    from ecd.book import _render

    out = tmp_path / "intro.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "chapters" / "province_overview.ipynb"), str(out),
                               kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    outs = _render.collect(nb)
    assert [it["label"] for it in outs.items] == ["fig-province-map", "fig-province-ranking", "tbl-typology"]
    assert all(it.get("overlaps") == [] for it in outs.items if it["kind"] == "figure")
    assert "示意图" in outs.items[0]["caption"]
    refs = {it["label"]: ("x", it["label"]) for it in outs.items}
    html = _render.substitute((ROOT / "chapters" / "province_overview.md").read_text(encoding="utf-8"), outs.glue,
                              refs, "province intro")
    assert not re.search(r"\bnan\b|\bNone\b|\{\{", html)
