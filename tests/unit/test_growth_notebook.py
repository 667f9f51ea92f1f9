"""The SYNTHETIC growth notebook runs top to bottom and shows what ecd.growth computes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "chapters" / "growth_survey.ipynb"


def _outputs(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def test_notebook_is_a_thin_view():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["metadata"].get("tags") == ["parameters"]
    for cell in code:
        source = "".join(cell["source"])
        assert "def " not in source and "class " not in source


@pytest.mark.slow
def test_notebook_executes_with_small_cells(tmp_path):
    import papermill

    import ecd.growth

    out = tmp_path / "out.ipynb"
    params = {"n_children": 600, "random_state": 3, "suppress_below": 60, "caution_below": 300}
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters=params, kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False)
    outputs = _outputs(out)
    assert not [o for o in outputs if o.get("output_type") == "error"]
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
    glued = {o["data"]["application/vnd.ecd.glue+json"]["name"]: o["data"]["application/vnd.ecd.glue+json"]
             for o in outputs if "application/vnd.ecd.glue+json" in o.get("data", {})}
    assert glued["stunting_pct"]["text"] == f"{table.loc[0, 'HA_2_r']:.1f}"
