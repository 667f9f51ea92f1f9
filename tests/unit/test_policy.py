"""The policy inventory (data/raw/policies) and ecd.policy: valid as shipped, loud on bad input, honest before/after views."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import ecd.catalog
import ecd.data
import ecd.policy
from ecd.errors import DataError, ParameterError, ProvenanceError, SchemaError
from ecd.policy._schema import DOC_NUMBER

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "data" / "raw" / "policies"


def _copy(tmp_path) -> Path:
    dst = tmp_path / "policies"
    shutil.copytree(FOLDER, dst)
    return dst


def _edit(folder: Path, name: str, line: int, column: str, value: str) -> None:
    """Set one cell (line = file line, header = 1); ecd.policy reads the file as it is (the warehouse checks sha256)."""
    path = folder / name
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


# ------------------------------------------------------------------ the shipped inventory
def test_at_least_fifteen_national_documents_2019_2025_each_resolving_to_a_publication():
    docs = ecd.policy.inventory(level="national", years=(2019, 2025))
    assert len(docs) >= 15
    pubs = yaml.safe_load((FOLDER / "policy_documents.meta.yaml").read_text(encoding="utf-8"))["publications"]
    for _, d in docs.iterrows():
        p = pubs[d["publication"]]
        assert p["title"] == d["title"] and str(p["date"]) == d["date"].strftime("%Y-%m-%d")
        assert str(p.get("number", "")) == d["doc_number"]
        assert d["citation"].startswith(p["author"] if isinstance(p["author"], str) else p["author"][0])
    assert docs["date"].dt.year.between(2019, 2025).all()
    assert set(docs["type"]) <= set(ecd.policy.TYPES_ZH) and set(docs["level"]) == {"national"}
    numbered = docs.loc[docs["doc_number"] != "", "doc_number"]
    assert len(numbered) >= 10 and numbered.map(lambda s: bool(DOC_NUMBER.match(s))).all()
    assert docs["date"].is_monotonic_increasing


def test_every_type_of_the_brief_has_documents():
    docs = ecd.policy.inventory(level="national")
    assert set(docs["type"]) == set(ecd.policy.TYPES_ZH)


def test_every_publication_of_the_inventory_has_a_retrieval_record():
    meta = yaml.safe_load((FOLDER / "policy_documents.meta.yaml").read_text(encoding="utf-8"))
    read = {r["publication"] for r in meta["retrievals"]}
    assert set(meta["publications"]) == read
    assert {r["kind"] for r in meta["retrievals"]} <= {"official", "repost", "mirror", "repository", "abstract"}


def test_the_warehouse_knows_the_inventory_publications():
    keys = ecd.policy.inventory()["publication"].tolist()
    pubs = ecd.data.publications(keys)
    assert set(pubs["publication"]) == set(keys)


def test_filters_and_their_errors():
    assert set(ecd.policy.inventory(types=["subsidy"])["type"]) == {"subsidy"}
    assert set(ecd.policy.inventory(level="provincial")["geo"]) <= set(ecd.catalog.geos()["geo"])
    with pytest.raises(ParameterError, match="level"):
        ecd.policy.inventory(level="county")
    with pytest.raises(ParameterError, match="types"):
        ecd.policy.inventory(types="toys")
    with pytest.raises(ParameterError, match="years"):
        ecd.policy.inventory(years=2020)
    with pytest.raises(ParameterError, match="path"):
        ecd.policy.inventory(path=REPO / "no-such-folder")


# ------------------------------------------------------------------ bad input names file, line and column
@pytest.mark.parametrize("column,value,message", [
    ("date", "2019-13-45", r'line 2, column "date": \'2019-13-45\' is not a date'),
    ("type", "toys", r'line 2, column "type": \'toys\' is not allowed'),
    ("level", "county", r'line 2, column "level": \'county\' is not allowed'),
    ("date_kind", "signed", r'line 2, column "date_kind"'),
    ("doc_number", "国办发2019第15号", r'line 2, column "doc_number": \'国办发2019第15号\' is not a document number'),
    ("publication", "not_in_sidecar", r'line 2, column "publication": \'not_in_sidecar\' is not in the sidecar'),
    ("title", "别的标题", r'line 2, column "title": \'别的标题\' differs from publication'),
    ("geo", "CN-XX", r'line 2, column "geo": \'CN-XX\' for a national document'),
    ("short_title", "一个远远超过十四个汉字长度限制的过长简称标签", r'line 2, column "short_title"'),
    ("measures", "", r'line 2, column "measures": empty'),
])
def test_a_bad_cell_is_reported_with_file_line_and_column(tmp_path, column, value, message):
    folder = _copy(tmp_path)
    _edit(folder, "policy_documents.csv", 2, column, value)
    with pytest.raises(SchemaError, match=message) as err:
        ecd.policy.inventory(path=folder)
    assert all("policy_documents.csv line" in f or ".meta.yaml" in f for f in err.value.failures)


def test_every_failure_is_reported_at_once(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "policy_documents.csv", 2, "date", "yesterday")
    _edit(folder, "policy_documents.csv", 4, "type", "toys")
    with pytest.raises(SchemaError) as err:
        ecd.policy.inventory(path=folder)
    text = "\n".join(err.value.failures)
    assert "line 2" in text and "line 4" in text


def test_a_missing_file_or_sidecar_is_a_provenance_error(tmp_path):
    folder = _copy(tmp_path)
    (folder / "policy_documents.meta.yaml").unlink()
    with pytest.raises(ProvenanceError, match="no sidecar"):
        ecd.policy.inventory(path=folder)
    (folder / "policy_documents.csv").unlink()
    with pytest.raises(ProvenanceError, match="not found"):
        ecd.policy.inventory(path=folder)


def test_a_broken_header_is_reported(tmp_path):
    folder = _copy(tmp_path)
    text = (folder / "policy_documents.csv").read_text(encoding="utf-8").replace("doc_number", "wenhao", 1)
    (folder / "policy_documents.csv").write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match="missing column"):
        ecd.policy.inventory(path=folder)


def test_the_warehouse_build_rejects_a_broken_inventory_and_writes_nothing(tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(REPO / "data" / "raw", home / "data" / "raw")
    monkeypatch.setenv("ECD_HOME", str(home))
    assert ecd.data.check().files >= 1
    _edit(home / "data" / "raw" / "policies", "policy_documents.csv", 3, "date", "2019/10/08")
    sidecar = home / "data" / "raw" / "policies" / "policy_documents.meta.yaml"
    meta = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
    import hashlib

    meta["sha256"] = hashlib.sha256((home / "data/raw/policies/policy_documents.csv").read_bytes()).hexdigest()
    sidecar.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SchemaError, match=r'data/raw/policies/policy_documents.csv line 3, column "date"'):
        ecd.data.build()
    assert not (home / "data" / "processed" / "warehouse.parquet").exists()


# ------------------------------------------------------------------ targets and progress
def test_targets_take_their_values_from_the_warehouse_and_point_to_catalog_indicators():
    t = ecd.policy.targets()
    assert len(t) >= 15
    rows = ecd.data.load(sorted(set(t["target"])))
    merged = t.merge(rows, left_on=["target", "year"], right_on=["indicator", "year"], suffixes=("", "_wh"))
    assert len(merged) == len(t)
    np.testing.assert_allclose(merged["value"], merged["value_wh"])
    entries = ecd.catalog.indicator.__globals__["catalog_doc"]()["indicators"]
    for _, r in t.iterrows():
        assert entries[r["target"]]["domain"] == "policy_target"
        assert r["indicator"] == (entries[r["target"]].get("target_of") or "")
        assert r["indicator"] == "" or entries[r["indicator"]]["domain"] != "policy_target"
    docs = set(ecd.policy.inventory()["publication"])
    assert set(t["publication"]) <= docs
    subsidy = t.set_index("target").loc["childsubsidy2025_target_min_subsidy_per_child_year"]
    assert subsidy["value"] == 3600 and subsidy["publication"] == "cn_ccp_sc_2025_subsidy" and subsidy["indicator"] == ""


@pytest.mark.parametrize("column,value,message", [
    ("target", "imr", r'line 2, column "target": \'imr\' is not a policy-target code'),
    ("year", "2031", r'line 2, column "year": target .* has no warehouse row for 2031'),
    ("publication", "unknown_doc", r'line 2, column "publication": \'unknown_doc\' is not in the sidecar'),
    ("year", "soon", r'line 2, column "year": \'soon\' is not a target year'),
])
def test_a_bad_target_link_is_reported(tmp_path, column, value, message):
    folder = _copy(tmp_path)
    _edit(folder, "policy_document_targets.csv", 2, column, value)
    with pytest.raises(SchemaError, match=message):
        ecd.policy.targets(path=folder)


def test_progress_agrees_with_the_warehouse_recomputed_in_pandas():
    p = ecd.policy.progress()
    assert set(p["status"]) <= {"met", "not met", "different kind", "no data", "no indicator"}
    assert p["status_zh"].notna().all()
    assert (p.loc[p["indicator"] == "", "status"] == "no indicator").all()
    for _, r in p[p["status"].isin(["met", "not met"])].iterrows():
        s = ecd.data.load(r["indicator"], geo="CN", area="total").dropna(subset=["value"])
        last = s[s["year"] == s["year"].max()]
        assert int(r["latest_year"]) == int(last["year"].iloc[0])
        v = float(r["latest_value"])
        assert v in set(last["value"].astype(float))
        met = v <= r["value"] if r["comparison"] == "max" else v >= r["value"]
        assert (r["status"] == "met") == met


def test_series_keeps_one_value_per_year_in_catalog_preference():
    s = ecd.policy.series("crude_birth_rate")
    assert s["year"].is_unique and s["year"].is_monotonic_increasing
    raw = ecd.data.load("crude_birth_rate", geo="CN", area="total")
    order = ecd.catalog.indicator("crude_birth_rate")["sources"]
    for _, r in s.iterrows():
        same = raw[raw["year"] == r["year"]]
        best = min(same["source_id"], key=order.index)
        assert r["source_id"] == best


# ------------------------------------------------------------------ citation
def test_citation_follows_gbt7714():
    one = {"author": "国务院", "title": "某通知", "number": "国发〔2022〕8号", "date": "2022-03-28"}
    assert ecd.policy.citation(one) == "国务院. 某通知: 国发〔2022〕8号[Z]. 2022-03-28."
    many = {"author": ["甲部", "乙部", "丙部", "丁部"], "title": "某意见", "year": 2022}
    assert ecd.policy.citation(many) == "甲部, 乙部, 丙部, 等. 某意见[Z]. 2022."
    online = {**one, "url": "http://example.gov.cn/a.html"}  # the address goes to the appendix's 数据获取记录
    assert ecd.policy.citation(online) == ecd.policy.citation(one)


# ------------------------------------------------------------------ before/after
def test_around_counts_each_side_and_excludes_the_policy_year():
    s = pd.DataFrame({"year": range(2010, 2025), "value": np.linspace(10, 3, 15)})
    r = ecd.policy.around(s, 2019, min_points=8)
    t = r.tidy().set_index("side")
    assert t.loc["before", "n_years"] == 9 and t.loc["after", "n_years"] == 5
    assert r.verdict == "too short" and "太短" in ecd.policy.VERDICT_ZH[r.verdict]
    assert ecd.policy.around(s, 2016, min_points=5).verdict == "descriptive"


@given(st.integers(min_value=1990, max_value=2030), st.integers(min_value=2, max_value=12),
       st.lists(st.integers(min_value=1985, max_value=2035), min_size=0, max_size=40, unique=True),
       st.floats(min_value=-5, max_value=5, allow_nan=False), st.floats(min_value=-50, max_value=50, allow_nan=False))
def test_around_properties(policy_year, min_points, years, slope, intercept):
    s = pd.DataFrame({"year": years, "value": [intercept + slope * (y - 2000) for y in years]})
    r = ecd.policy.around(s, policy_year, min_points=min_points)
    t = r.tidy().set_index("side")
    before = sum(y < policy_year for y in years)
    after = sum(y > policy_year for y in years)
    assert (t.loc["before", "n_years"], t.loc["after", "n_years"]) == (before, after)
    assert (r.verdict == "too short") == (min(before, after) < min_points)
    for side, n in (("before", before), ("after", after)):
        if n >= 2:
            assert t.loc[side, "slope"] == pytest.approx(slope, abs=1e-6)
        else:
            assert np.isnan(t.loc[side, "slope"])


def test_around_refuses_two_values_for_one_year_and_bad_parameters():
    s = pd.DataFrame({"year": [2018, 2018, 2020], "value": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="year 2018 has more than one value"):
        ecd.policy.around(s, 2019)
    with pytest.raises(ParameterError, match="min_points"):
        ecd.policy.around(s.drop_duplicates("year"), 2019, min_points=1)
    with pytest.raises(ParameterError, match="column"):
        ecd.policy.around(s.rename(columns={"value": "v"}), 2019)
