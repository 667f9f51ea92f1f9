"""The starter notebooks in notebooks/explore run top to bottom (papermill) and show what ecd computes.

They run in a temporary project home (a copy of data/raw) so the repository's
data/processed is never written. Numbers shown by a notebook are checked
against the same quantity computed here through the public API.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
EXPLORE = REPO / "notebooks" / "explore"
NOTEBOOKS = ("indicator_by_area", "gap_analysis", "survey_microdata")


def _code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def _shown(path: Path) -> tuple[str, list[dict]]:
    outputs = [o for c in _code_cells(path) for o in c.get("outputs", [])]
    text = "\n".join("".join(o.get("data", {}).get("text/plain", "")) + "".join(o.get("text", "")) for o in outputs)
    return text, outputs


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebooks_are_thin_views(stem):
    code = _code_cells(EXPLORE / f"{stem}.ipynb")
    assert code[0]["metadata"].get("tags") == ["parameters"]
    for cell in code:
        source = "".join(cell["source"])
        assert "def " not in source and "class " not in source
        assert not cell.get("outputs")  # committed without outputs


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    h = tmp_path_factory.mktemp("explore-home")
    shutil.copytree(REPO / "data" / "raw", h / "data" / "raw")
    return h


def _run(stem: str, home: Path, tmp_path: Path, monkeypatch, **params) -> tuple[str, list[dict]]:
    import papermill

    monkeypatch.setenv("ECD_HOME", str(home))
    out = tmp_path / f"{stem}.ipynb"
    papermill.execute_notebook(str(EXPLORE / f"{stem}.ipynb"), str(out), parameters=params, kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False)
    text, outputs = _shown(out)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    return text, outputs


@pytest.mark.slow
def test_indicator_by_area_runs_for_another_indicator(home, tmp_path, monkeypatch):
    text, outputs = _run("indicator_by_area", home, tmp_path, monkeypatch, indicator="nmr", geos=["CN-EAST", "CN-WEST"],
                         start_year=2000, end_year=2010)
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1
    import ecd.data

    df = ecd.data.load("nmr", geo=["CN-EAST", "CN-WEST"], area=["urban", "rural"], years=(2000, 2010))
    last = df[df["year"] == 2010].pivot(index="geo", columns="area", values="value")
    for geo, row in last.iterrows():
        line = next(ln for ln in text.splitlines() if f"{geo}  2010" in ln)
        shown = [float(x) for x in line.split()[3:]]  # index, geo, year, then the values
        np.testing.assert_allclose(shown, [row["rural"], row["urban"], row["rural"] - row["urban"],
                                           row["rural"] / row["urban"]], atol=0.005)


@pytest.mark.slow
def test_gap_analysis_runs(home, tmp_path, monkeypatch):
    text, outputs = _run("gap_analysis", home, tmp_path, monkeypatch, indicators=["u5mr"], start_year=2000)
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1
    assert "no subgroup SE: CI not computed" in text  # mortality carries no SE: the reason is shown, not hidden
    import ecd.data
    import ecd.inequality

    mchss = ecd.data.load(["u5mr"], geo=["CN-EAST", "CN-CENTRAL", "CN-WEST"], area=["urban", "rural"], years=(2000, 2015))
    change = ecd.inequality.gap_trend(ecd.inequality.from_warehouse(mchss, by="area")).tidy()
    west_d = change[(change["quantity"] == "change") & (change["setting"] == "CN-WEST") & (change["measure"] == "D")]
    assert f"{west_d['estimate'].item():.2f}" in text


@pytest.mark.slow
def test_survey_microdata_design_based_estimates_agree(home, tmp_path, monkeypatch):
    text, outputs = _run("survey_microdata", home, tmp_path, monkeypatch, n_children=800, random_state=7)
    assert "image/png" in str([sorted(o.get("data", {})) for o in outputs])
    import ecd.growth

    data = ecd.growth.synthetic_survey(800, random_state=7)
    prev = ecd.growth.prevalence(data, measure="measure", sw="sw", cluster="cluster", strata="strata", typeres="area",
                                 tidy=True)
    rural = prev[(prev["indicator"] == "HA_2") & (prev["level"] == "Rural")]["estimate"].item()
    assert f"{rural:.2f}" in text  # the prevalence table
    assert f"{rural / 100:.3f}" in text  # the same proportion from ecd.survey.Design in the last cell
