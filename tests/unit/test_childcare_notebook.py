"""The 托育服务供需 chapter: a thin notebook that runs, glues every number its prose uses, and shows no nan."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "chapters" / "childcare.ipynb"
PROSE = ROOT / "chapters" / "childcare.md"


@pytest.mark.parametrize("notebook", [NOTEBOOK, ROOT / "notebooks" / "chapters" / "province.ipynb"], ids=["childcare", "province"])
def test_notebooks_are_thin_views(notebook):
    """Both chapters of this issue: a parameters cell first, no def/class (logic lives in ecd.childcare/ecd.regional)."""
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    for cell in code:
        for line in cell.source.splitlines():
            assert not line.lstrip().startswith(("def ", "class ")), line


def test_prose_has_no_typed_numbers_outside_placeholders():
    """The book's rule: digits only inside glued values, code, cross-references, ages (N岁), codes like U5MR
    and the markers of a numbered list (rendered as <ol>, not as digits)."""
    text = PROSE.read_text(encoding="utf-8")
    for pattern in (r"\{\{[^}]*\}\}", r"`[^`]*`", r"@(?:fig|tbl)-[\w-]+|\[\[[^\]]*\]\]", r"\d+(?:—\d+)?岁", r"[A-Z]+\d+",
                    r"(?m)^\d+\. "):
        text = re.sub(pattern, " ", text)
    found = re.findall(r".{0,15}\d.{0,15}", text)
    assert not found, f"typed numbers in prose: {found[:5]}"


def _run(tmp_path, **params):
    papermill = pytest.importorskip("papermill")
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "childcare.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(tmp_path),
                               parameters=params, progress_bar=False)
    return nbformat.read(out, as_version=4)


@pytest.mark.slow
def test_notebook_executes_and_prose_renders(tmp_path):
    from ecd.book import _render

    nb = _run(tmp_path, take_up=0.8, take_up_grid=[0.5, 0.8], enrolment_grid=[10.0, 40.0])
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    outs = _render.collect(nb)
    labels = [it["label"] for it in outs.items]
    assert labels == ["tbl-children", "fig-births-slots", "fig-slots-per", "tbl-supply", "tbl-demand-supply",
                      "tbl-sensitivity", "tbl-subsidy", "tbl-provinces", "tbl-assumptions"]
    assert all(it["source"] for it in outs.items)
    g = {k: v["value"] for k, v in outs.glue.items()}
    # cross-chapter names ({{policy:…}}) are the policy chapter's; here only this chapter's own must resolve
    prose = re.sub(r"\{\{policy:[a-z_]+\}\}", "x", PROSE.read_text(encoding="utf-8"))
    refs = {it["label"]: ("x", it["label"]) for it in outs.items}
    html = _render.substitute(prose, outs.glue, refs, "childcare")
    assert not re.search(r"\bnan\b|\bNone\b|\{\{", html)
    # every year 2016-2025 has births and a 0-2 estimate; only 2025 rests on the latest-mortality assumption
    assert g["births_n_years"] == 10 and g["births_missing_text"] == "每一年都有"
    assert g["kids_n_years"] == 10 and g["assumed_years"] == "2025"
    children = next(it for it in outs.items if it["label"] == "tbl-children")
    assert "无数据" not in children["html"]
    # parameters reach the calculations: the cohort cost scales with take-up, the grid sets the sensitivity rows
    assert g["take_up_pct"] == pytest.approx(80) and g["take_up_low_pct"] == pytest.approx(50)
    assert g["cohort_cost_low"] == pytest.approx(g["cohort_cost"] * 0.5 / 0.8, rel=1e-9)
    assert g["grid_low"] == 10 and g["grid_high"] == 40
    # the 2025 structural numbers: enrolled = enrolment × children, occupancy = enrolled / slots
    assert g["enrolled"] == pytest.approx(g["enrol_last"] / 100 * g["kids_last"], rel=1e-9)
    assert g["occupancy"] == pytest.approx(100 * g["enrolled"] / g["sd_slots"], rel=1e-9)
    assert g["target_status"] == "已达到" and g["n_prov"] == 31
