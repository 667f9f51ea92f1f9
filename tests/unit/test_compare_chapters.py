"""The four chapters built on ecd.compare (营养与生长, 基层服务, 国际比较, 数据附录) run top to bottom,
glue every placeholder their prose uses, give every figure and table a source, and glue the
numbers the warehouse holds (checked here independently with plain pandas)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ["nutrition", "services", "international", "appendix"]
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_XREF = re.compile(r"@((?:fig|tbl)-[A-Za-z0-9_-]*[A-Za-z0-9])")
_PLACE = re.compile(r"^\s*\[\[((?:fig|tbl)-[A-Za-z0-9_-]+)\]\]\s*$", re.M)


def _run(name, tmp_path, parameters=None):
    papermill = pytest.importorskip("papermill")
    from ecd.book._render import collect

    out = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "chapters" / f"{name}.ipynb"), str(out), kernel_name="python3",
                               cwd=str(tmp_path), parameters=parameters or {}, progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors[:1]
    return collect(nb)


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_notebook_feeds_its_prose(name, tmp_path):
    out = _run(name, tmp_path)
    prose = (ROOT / "chapters" / f"{name}.md").read_text(encoding="utf-8")
    missing = set(_PLACEHOLDER.findall(prose)) - set(out.glue)
    assert not missing, f"{name}: prose placeholders without a glued value: {sorted(missing)}"
    labels = {it["label"] for it in out.items}
    refs = set(_XREF.findall(prose)) | set(_PLACE.findall(prose))
    assert refs <= labels, f"{name}: cross-references to unknown labels {sorted(refs - labels)}"
    assert out.items and all(it["source"] for it in out.items)
    for g in out.glue.values():
        assert not re.search(r"\bnan\b|\bNone\b|\binf\b", g["text"], flags=re.I), (name, g)
    if name == "nutrition":
        import ecd.data

        jme = ecd.data.load("stunting_u5_survey", geo="CHN")
        last = jme.loc[jme["year"].idxmax()]
        assert out.glue["stunting_last"]["value"] == pytest.approx(float(last["value"]))
        assert out.glue["stunting_last_year"]["value"] == int(last["year"])
        assert out.glue["jme_n_points"]["value"] == jme["year"].nunique()
    if name == "international":
        import ecd.data

        u5 = ecd.data.load("u5mr_igme")
        peers = u5[u5["geo"] != "CHN"].sort_values("year").groupby("geo").tail(1)
        cn = u5[u5["geo"] == "CHN"].sort_values("year").iloc[-1]
        assert out.glue["cn_u5mr"]["value"] == pytest.approx(float(cn["value"]))
        assert out.glue["n_lower_u5mr"]["value"] == int((peers["value"] < cn["value"]).sum())
    if name == "services":
        import ecd.childcare
        import ecd.data

        staff = ecd.data.load("mch_institution_health_tech_staff", geo="CN").set_index("year")["value"]
        births = ecd.data.load("births", geo="CN", area="total").rename(columns={"value": "births"})
        mort = ecd.data.load(["imr", "u5mr"], geo="CN", area="total").pivot(index="year", columns="indicator", values="value")
        kids = ecd.childcare.population_0_3(births, mort.reset_index()).totals().set_index("year")["children"]
        y = out.glue["tech_per_child_last_year"]["value"]
        assert out.glue["tech_per_child_last"]["value"] == pytest.approx(staff[y] / kids[y] * 1000)
        bphs = ecd.data.load("bphs_subsidy_per_capita", geo="CN").sort_values("year")
        assert out.glue["bphs_last"]["value"] == pytest.approx(float(bphs["value"].iloc[-1]))
        assert out.glue["n_ur"]["value"] >= 2
    if name == "appendix":
        import ecd.catalog

        cat = ecd.catalog.indicators()
        assert out.glue["n_indicators"]["value"] == int((cat["domain"] != "policy_target").sum())


@pytest.mark.slow
def test_nutrition_with_few_peers(tmp_path):
    out = _run("nutrition", tmp_path, {"peers": ["JPN", "IND"], "peer_since": 2010})
    assert out.glue["n_peers_stunting"]["value"] == 2
    assert out.glue["peer_since"]["value"] == 2010
