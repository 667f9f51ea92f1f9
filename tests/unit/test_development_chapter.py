"""Chapter 儿童多维发展: the notebook runs on the real gcdg_chn microdata, glues every placeholder of its
prose with numbers recomputed here in plain pandas, and scores D-scores only when a key file is given
(here a SYNTHETIC item bank on the Bayley item names — never shipped, never in the book)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "chapters" / "development.ipynb"
PROSE = ROOT / "chapters" / "development.md"
DATA = ROOT / "data" / "raw" / "gcdg_chn" / "gcdg_chn.tsv"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_XREF = re.compile(r"@((?:fig|tbl)-[A-Za-z0-9_-]*[A-Za-z0-9])")
_PLACE = re.compile(r"^\s*\[\[((?:fig|tbl)-[A-Za-z0-9_-]+)\]\]\s*$", re.M)


def run(tmp_path, parameters=None):
    papermill = pytest.importorskip("papermill")
    from ecd.book._render import collect

    out = tmp_path / "development.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(tmp_path),
                               parameters=parameters or {}, progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors[:1]
    return collect(nb)


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(DATA, sep="\t")


@pytest.mark.slow
def test_chapter_glues_its_prose_from_the_real_microdata(tmp_path, raw):
    out = run(tmp_path)
    prose = PROSE.read_text(encoding="utf-8")
    missing = set(_PLACEHOLDER.findall(prose)) - set(out.glue)
    assert not missing, sorted(missing)
    labels = {it["label"] for it in out.items}
    assert set(_XREF.findall(prose)) | set(_PLACE.findall(prose)) <= labels
    assert all(it["source"] for it in out.items)
    for g in out.glue.values():
        assert not re.search(r"\bnan\b|\bNone\b|\binf\b", g["text"], flags=re.I), g
    g = {k: v["value"] for k, v in out.glue.items()}
    items = [c for c in raw.columns if c.startswith("by3")]
    months = raw["agedays"] / (365.25 / 12)
    assert g["n_children"] == len(raw) == 990
    assert g["n_without_age"] == raw["agedays"].isna().sum()
    assert (g["n_boys"], g["n_girls"]) == (int((raw["sex"] == "Male").sum()), int((raw["sex"] == "Female").sum()))
    assert g["age_min_months"] == pytest.approx(months.min()) and g["age_max_months"] == pytest.approx(months.max())
    assert g["n_items"] == len(items) and g["n_items_cognitive"] == sum(c.startswith("by3cg") for c in items)
    assert g["n_common_items"] == int((raw[items].notna().mean() >= 0.8).sum())
    # the steepest item's rates, recomputed from the raw file
    labels_zh = yaml.safe_load((DATA.with_name("gcdg_chn.meta.yaml")).read_text(encoding="utf-8"))["items"]
    item = next(i for i in items if g["steepest_item"].startswith(labels_zh[i]["label_zh"]))
    first = raw.loc[(months >= 16) & (months < 18), item].mean()
    last = raw.loc[(months >= 20) & (months <= 23), item].mean()
    assert g["steepest_first"] == pytest.approx(100 * first) and g["steepest_last"] == pytest.approx(100 * last)
    # calibration bookkeeping adds up
    assert g["n_calibrated"] + g["n_dropped"] == g["n_items"]
    assert g["n_dropped"] == g["n_dropped_few"] + g["n_dropped_all_pass"] + g["n_dropped_all_fail"]
    assert "不计算D分" in g["dscore_text"]
    assert {"fig-dev-dscore", "tbl-dev-daz"}.isdisjoint(labels)


@pytest.mark.slow
def test_chapter_scores_d_and_daz_when_given_a_key(tmp_path, raw):
    """A SYNTHETIC item bank on the Bayley item names (difficulties invented from pass rates)."""
    from ecd.development import Key, Reference, dscore
    from ecd.development._synthetic import synthetic_key_paths, synthetic_reference_path

    items = [c for c in raw.columns if c.startswith("by3")]
    p = raw[items].mean().clip(0.02, 0.98)
    tau = (55 - 4.064264 * np.log(p / (1 - p))).round(2)
    bank = pd.DataFrame({"key": "zz_bayley", "item": items, "tau": tau.astype(object).to_numpy()})
    bank.loc[raw[items].notna().sum().to_numpy() < 5, "tau"] = "NA"  # uncalibrated items, as real banks have
    bank_path = tmp_path / "itembank.csv"
    bank.to_csv(bank_path, index=False)
    params = yaml.safe_load(synthetic_key_paths()[1].read_text(encoding="utf-8"))
    params.pop("reference")
    params_path = tmp_path / "params.yaml"
    params_path.write_text(yaml.safe_dump(params), encoding="utf-8")
    ref = pd.read_csv(synthetic_reference_path("bct")).assign(population="zz_pop", key="zz_bayley")
    ref_path = tmp_path / "references.csv"
    ref.to_csv(ref_path, index=False)

    out = run(tmp_path, {"itembank": str(bank_path), "key_name": "zz_bayley", "key_params": str(params_path),
                         "reference_file": str(ref_path), "population": "zz_pop"})
    labels = {it["label"] for it in out.items}
    assert {"fig-dev-dscore", "tbl-dev-daz"} <= labels
    text = out.glue["dscore_text"]["value"]
    assert "zz_bayley" in text and "DAZ均值" in text
    key = Key.from_itembank(bank_path, key="zz_bayley", params=params_path)
    scores = dscore(raw, key, age="agedays", age_unit="days",
                    reference=Reference.from_csv(ref_path, population="zz_pop", key="zz_bayley"))
    table = next(it for it in out.items if it["label"] == "tbl-dev-daz")
    rows = pd.DataFrame(table["cells"]["data"], columns=table["cells"]["columns"]).set_index("性别")
    sex = raw["sex"].str.lower().map({"male": "男", "female": "女"})
    for s in ("男", "女"):
        sel = (sex == s) & scores["d"].notna()
        assert rows.loc[s, "人数"] == sel.sum()
        assert rows.loc[s, "D分均值"] == pytest.approx(round(scores.loc[sel, "d"].mean(), 2))
        assert rows.loc[s, "DAZ均值"] == pytest.approx(round(scores.loc[sel, "daz"].mean(), 2))
