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
    assert [it["label"] for it in outs.items] == ["tbl-profile", "fig-series", "tbl-typology"]
    refs = {it["label"]: ("x", it["label"]) for it in outs.items}
    html = _render.substitute(PROSE.read_text(encoding="utf-8"), outs.glue, refs, "province")
    assert not re.search(r"\bnan\b|\bNone\b|\{\{", html)
    g = {k: v["value"] for k, v in outs.glue.items()}
    assert g["province_name"] == "甘肃"
    assert g["urban_main"] == "无数据"  # the 2015 yearbook copy stops before Gansu
    assert "2015" in g["cbr_missing"]
    assert g["type_text"].startswith("类型")
    profile = next(it for it in outs.items if it["label"] == "tbl-profile")
    assert "无数据" in profile["html"]
