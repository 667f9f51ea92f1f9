"""The SYNTHETIC growth notebook runs top to bottom and shows what ecd.growth computes."""
from __future__ import annotations

import pytest
from notebook_helpers import NOTEBOOKS, glued

# the thin-view rules (parameters cell first, no def/class) are checked for every
# notebook in tests/unit/test_notebooks_thin.py
NOTEBOOK = NOTEBOOKS / "chapters" / "growth_survey.ipynb"


@pytest.mark.slow
def test_notebook_executes_with_small_cells(run_notebook):
    import ecd.growth

    params = {"n_children": 600, "random_state": 3, "suppress_below": 60, "caution_below": 300}
    outputs = run_notebook(NOTEBOOK, params)  # fails on any error output
    shown = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    for label in ("fig-growth-z-distribution", "tbl-growth-z-summary", "tbl-growth-prevalence-area",
                  "fig-growth-stunting-age", "tbl-growth-prevalence-groups"):
        assert f"[{label}]" in shown
        assert f"[{label}] SYNTHETIC" in shown
    tables = {o["data"]["application/vnd.ecd.table+json"]["columns"][1]: o["data"]["application/vnd.ecd.table+json"]
              for o in outputs if "application/vnd.ecd.table+json" in o.get("data", {})}
    area = tables["城乡"]
    flags = [row[area["columns"].index("small_cell")] for row in area["data"]]
    values = [row[area["columns"].index("患病率（%）")] for row in area["data"]]
    assert "caution" in flags  # urban/rural have 60-299 children here
    assert all(v.startswith("(") for v, f in zip(values, flags) if f == "caution")

    # the glued stunting prevalence is what ecd computes with the same parameters
    data = ecd.growth.synthetic_survey(600, random_state=3)
    table = ecd.growth.prevalence(data, measure="measure", oedema="oedema", sw="sw", cluster="cluster",
                                  strata="strata")
    assert glued(outputs)["stunting_pct"]["text"] == f"{table.loc[0, 'HA_2_r']:.1f}"
