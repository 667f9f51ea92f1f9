"""The starter notebook notebooks/explore/gap_decomposition.ipynb runs top to bottom (papermill) on the
SYNTHETIC survey and on a user's microdata file, and shows the numbers ecd computes."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "explore" / "gap_decomposition.ipynb"


def _run(tmp_path, monkeypatch, **params) -> tuple[str, list[dict]]:
    import papermill

    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    out = tmp_path / "gap_decomposition.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters=params, kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False)
    cells = [c for c in json.loads(out.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join("".join(o.get("data", {}).get("text/plain", "")) + "".join(o.get("text", "")) for o in outputs)
    return text, outputs


def _expected(data):
    import ecd.gap
    import ecd.growth
    import ecd.survey

    z = ecd.growth.zscores(data, sex="sex", age="age", weight="weight", lenhei="lenhei", measure="measure")
    valid = z["flen"] == 0
    kids = data.assign(haz=z["zlen"].where(valid), stunted=np.where(valid, (z["zlen"] < -2).astype(float), np.nan),
                       age_months=data["age"] / 30.4375)
    d = ecd.survey.Design(kids, strata="strata", psu="cluster", weights="sw", nest=True)
    ox = ecd.gap.oaxaca(None, "haz ~ C(mothered) + C(wealthq) + age_months + C(sex)", group="area", design=d,
                        threefold=True, normalize=True, na="drop")
    return ox


def test_notebook_is_thin_and_committed_without_outputs():
    cells = [c for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    assert cells[0]["metadata"].get("tags") == ["parameters"]
    assert all("def " not in "".join(c["source"]) and not c.get("outputs") for c in cells)
    md = "".join("".join(c["source"]) for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
                 if c["cell_type"] == "markdown")
    assert "SYNTHETIC" in md


@pytest.mark.slow
def test_runs_on_the_synthetic_survey(tmp_path, monkeypatch):
    text, outputs = _run(tmp_path, monkeypatch, n_children=1200, random_state=3, fairlie_draws=10)
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1
    import ecd.growth

    ox = _expected(ecd.growth.synthetic_survey(1200, random_state=3))
    gap = ox.table().query("component == 'gap'")["estimate"].item()
    assert f"{gap:.4f}" in text


@pytest.mark.slow
def test_runs_on_a_users_microdata_file(tmp_path, monkeypatch):
    import ecd.growth

    data = ecd.growth.synthetic_survey(900, random_state=8)
    path = tmp_path / "my_survey.csv"
    data.to_csv(path, index=False)
    text, _ = _run(tmp_path, monkeypatch, data_path=str(path), fairlie_draws=5)
    import pandas as pd

    ox = _expected(pd.read_csv(path, keep_default_na=False, na_values=["", "NA"]))
    gap = ox.table().query("component == 'gap'")["estimate"].item()
    assert f"{gap:.4f}" in text
