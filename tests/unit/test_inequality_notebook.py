"""The 城乡差距总览 chapter notebook runs top to bottom and produces its figures, tables and numbers."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "chapters" / "inequality_overview.ipynb"




def test_notebook_says_how_cis_are_obtained():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "标准误" in prose  # the notebook says how (whether) CIs are obtained


@pytest.mark.slow
def test_notebook_executes(tmp_path):
    import papermill

    out = tmp_path / "inequality_overview.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(tmp_path),
                               progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    plain = [o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code"
             for o in c.get("outputs", [])]
    for label in ["tbl-ineq-latest", "fig-ineq-latest", "fig-ineq-gap-series", "tbl-ineq-trend"]:
        assert any(p.startswith(f"[{label}]") for p in plain), label
    glued = {p.split(" = ")[0] for p in plain if " = " in p}
    assert {"ineq_d_imr", "ineq_r_imr", "ineq_year_imr", "ineq_d_slope_nmr_west",
            "ineq_r_slope_u5mr_west_verdict"} <= glued
    metas = [m for c in nb.cells for o in c.get("outputs", []) for m in o.get("metadata", {}).values()
             if isinstance(m, dict) and m.get("kind") in ("table", "figure")]
    assert len(metas) == 4 and all(m["source"] for m in metas)
