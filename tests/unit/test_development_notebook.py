"""The SYNTHETIC development notebook runs top to bottom and shows what ecd computes."""
from __future__ import annotations

from pathlib import Path

import pytest
from notebook_helpers import notebook_outputs

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "chapters" / "development_survey.ipynb"






@pytest.mark.slow
def test_notebook_executes_with_small_cells_suppressed(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    params = {"n_children": 700, "random_state": 3, "suppress_below": 90, "caution_below": 120}
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters=params, kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False)
    outputs = notebook_outputs(out)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    shown = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    for label in ("fig-dev-dscore-age", "fig-dev-daz-area-sex", "tbl-dev-daz-area-sex", "tbl-dev-ecdi-bands",
                  "tbl-dev-ecdi-area-sex", "fig-dev-ecdi-region-area"):
        assert f"[{label}]" in shown
    assert "SYNTHETIC" in shown
    tables = [o["data"]["application/vnd.ecd.table+json"] for o in outputs
              if "application/vnd.ecd.table+json" in o.get("data", {})]
    area_sex = next(t for t in tables if "small_cell" in t["columns"] and "sex" in t["columns"])
    flags = [row[area_sex["columns"].index("small_cell")] for row in area_sex["data"]]
    assert "suppressed" in flags or "caution" in flags
    estimates = [row[area_sex["columns"].index("estimate")] for row in area_sex["data"]]
    assert all(e == "*" for e, f in zip(estimates, flags) if f == "suppressed")

    # the glued urban prevalence is what ecd computes with the same parameters
    from ecd.development import FREQUENCY_CODES, ecdi2030, on_track_prevalence, synthetic_survey
    from ecd.survey import Design

    data = synthetic_survey(700, random_state=3)
    res = ecdi2030(data, age_months="age_months", items=[f"ecdi{k:02d}" for k in range(1, 21)],
                   frequency_achieved={4, 5}, frequency_codes=set(FREQUENCY_CODES), dont_know={8},
                   missing="not_achieved")
    design = Design(data.assign(on_track=res.scores["on_track"]), strata="stratum", psu="psu",
                    weights="weight", nest=True)
    t = on_track_prevalence(design, by="area", suppress_below=90, caution_below=120).tidy().set_index("area")
    glued = {o["data"]["application/vnd.ecd.glue+json"]["name"]: o["data"]["application/vnd.ecd.glue+json"]
             for o in outputs if "application/vnd.ecd.glue+json" in o.get("data", {})}
    assert glued["ecdi_urban_pct"]["text"] == f"{t.loc['urban', 'estimate']:.1f}"
