"""The 趋势与目标进展 chapter notebook runs top to bottom and produces its figures, tables and numbers."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "chapters" / "trends_targets.ipynb"




@pytest.mark.slow
def test_notebook_executes(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "trends_targets.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(tmp_path),
                               parameters={"n_permutations": 99}, progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    plain = [o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code"
             for o in c.get("outputs", [])]
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    for label in ["fig-trends-national", "tbl-trends-segments", "tbl-trends-aapc", "tbl-trends-comparability",
                  "fig-trends-sigma", "tbl-trends-convergence", "tbl-trends-targets", "fig-trends-targets"]:
        assert any(p.startswith(f"[{label}]") for p in plain), label
    glued = {p.split(" = ")[0] for p in plain if " = " in p}
    assert {"aapc_nmr", "aapc_imr", "aapc_u5mr", "aapc_mmr", "conv_beta", "imr_ncpd2030_2030_status",
            "trend_shifts", "trend_shifts_latest", "targets_pending", "targets_summary_2030"} <= glued
    # every table states its source
    metas = [o.get("metadata", {}) for c in nb.cells for o in c.get("outputs", [])]
    sources = [m for meta in metas for m in meta.values() if isinstance(m, dict) and m.get("kind") == "table"]
    assert sources and all(m["source"] for m in sources), json.dumps(sources, ensure_ascii=False)[:300]
