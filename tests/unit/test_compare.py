"""ecd.compare: latest values, target checks and coverage, against base R on SYNTHETIC data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ecd.compare
from ecd.errors import DataError, MissingDataError, ParameterError

REF = Path(__file__).resolve().parents[1] / "reference" / "compare"


@pytest.fixture(scope="module")
def synthetic():
    return pd.read_csv(REF / "synthetic_long.csv", keep_default_na=False, na_values=["NA"])


def test_latest_matches_r(synthetic):
    got = ecd.compare.latest(synthetic, missing="drop").tidy().sort_values(["indicator", "geo"]).reset_index(drop=True)
    ref = pd.read_csv(REF / "r_latest.csv").sort_values(["indicator", "geo"]).reset_index(drop=True)
    assert got[["indicator", "geo"]].equals(ref[["indicator", "geo"]])
    for col in ("year", "n_years", "first_year"):
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy())
    assert_allclose(got["value"].to_numpy(), ref["value"].to_numpy(), rtol=0, atol=1e-12)


def test_coverage_matches_r(synthetic):
    cov = ecd.compare.coverage(synthetic, levels={"CN": "country", "CN-BJ": "province", "CN-SH": "province",
                                                  "JPN": "country", "IND": "country", "WLD": "world"})
    got = cov.tidy().sort_values(["indicator", "geo"]).reset_index(drop=True)
    ref = pd.read_csv(REF / "r_coverage.csv").sort_values(["indicator", "geo"]).reset_index(drop=True)
    assert got[["indicator", "geo"]].equals(ref[["indicator", "geo"]])
    for col in ("n_years", "first_year", "last_year", "n_obs", "n_sources"):
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy(), err_msg=col)


def test_matrix_matches_r(synthetic):
    m = ecd.compare.coverage(synthetic, levels={}).matrix("CN")
    ref = pd.read_csv(REF / "r_matrix_CN.csv", index_col=0)
    ref.columns = ref.columns.astype(int)
    assert list(m.index) == list(ref.index)
    assert list(m.columns) == list(ref.columns)
    np.testing.assert_array_equal(m.to_numpy(), ref.to_numpy())


def test_by_level_and_missing_years(synthetic):
    levels = {"CN": "country", "CN-BJ": "province", "CN-SH": "province", "JPN": "country", "IND": "country"}
    cov = ecd.compare.coverage(synthetic, levels=levels)
    t = cov.tidy()
    assert set(t.loc[t["geo"] == "WLD", "level"]) <= {"other"}
    by = cov.by_level()
    assert by.to_numpy().sum() == len(t)
    ref = pd.read_csv(REF / "r_matrix_CN.csv", index_col=0)
    row = ref.loc["ind_a"]
    expected = [int(y) for y, v in row.items() if v == 0]
    assert cov.missing_years("ind_a", "CN", int(ref.columns[0]), int(ref.columns[-1])) == expected


def test_latest_wide_display():
    df = pd.DataFrame({"indicator": ["a", "a", "b"], "geo": ["X", "Y", "X"], "year": [2001, 2003, 2002],
                       "value": [1.25, 2.0, 3.0]})
    w = ecd.compare.latest(df).wide(fmt="{:.2f}")
    assert w.loc["X", "a"] == "1.25（2001）"
    assert pd.isna(w.loc["Y", "b"])


def test_latest_until_and_area():
    df = pd.DataFrame({"indicator": ["a"] * 4, "geo": ["CN"] * 4, "area": ["urban", "rural", "urban", "rural"],
                       "year": [2010, 2010, 2020, 2020], "value": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match="area"):
        ecd.compare.latest(df)
    t = ecd.compare.latest(df, by=["indicator", "geo", "area"], until=2015).tidy()
    assert t["year"].tolist() == [2010, 2010]
    assert t.set_index("area")["value"].to_dict() == {"rural": 2.0, "urban": 1.0}


def test_latest_identical_duplicates_collapse():
    df = pd.DataFrame({"indicator": ["a", "a"], "geo": ["CN", "CN"], "year": [2020, 2020], "value": [5.0, 5.0],
                       "source_id": ["s1", "s2"]})
    t = ecd.compare.latest(df).tidy()
    assert len(t) == 1 and t["source_id"].iloc[0] == "s1"


def test_bad_input():
    df = pd.DataFrame({"indicator": ["a"], "geo": ["CN"], "year": [2020], "value": [np.nan]})
    with pytest.raises(MissingDataError, match="missing='drop'"):
        ecd.compare.latest(df)
    assert ecd.compare.latest(df, missing="drop").tidy().empty
    with pytest.raises(ParameterError, match="missing"):
        ecd.compare.latest(df, missing="ignore")
    with pytest.raises(ParameterError, match="'yr'"):
        ecd.compare.latest(df, year="yr")
    with pytest.raises(ParameterError, match="DataFrame"):
        ecd.compare.coverage([1, 2])
    with pytest.raises(ParameterError, match="levels"):
        ecd.compare.coverage(df, levels=["CN"])
    with pytest.raises(ParameterError, match="indicator"):
        ecd.compare.target_check(df.fillna(1.0), by=["geo"])
    with pytest.raises(ParameterError, match="comparison"):
        ecd.compare.target_check(df.fillna(1.0), {"a": [{"code": "t", "comparison": "below", "value": 1}]})


def test_target_check_statuses():
    df = pd.DataFrame({"indicator": ["low", "high", "none"], "geo": ["CN"] * 3, "year": [2018, 2019, 2020],
                       "value": [4.0, 60.0, 1.0]})
    targets = {"low": [{"code": "a", "comparison": "max", "value": 5.0},
                       {"code": "b", "comparison": "max", "value": 3.0},
                       {"code": "c", "comparison": "min_reduction", "value": 40.0}],
               "high": [{"code": "d", "comparison": "min", "value": 50.0}]}
    t = ecd.compare.target_check(df, targets).tidy().set_index("target_code")
    assert t["status"].to_dict() == {"a": "met", "b": "not met", "c": "not assessable", "d": "met"}
    assert_allclose(t.loc[["a", "b", "d"], "gap"].to_numpy(), [-1.0, 1.0, 10.0])
    assert np.isnan(t.loc["c", "gap"])


def test_target_check_reads_catalog():
    df = pd.DataFrame({"indicator": ["stunting_u5_survey"], "geo": ["CHN"], "year": [2013], "value": [8.1]})
    t = ecd.compare.target_check(df).tidy()
    cat = ecd.catalog.indicator("stunting_u5_survey")["targets"]
    assert len(t) == len(cat)
    assert set(t["target_code"]) == {c["code"] for c in cat}


def test_coverage_of_warehouse_agrees_with_duckdb():
    import duckdb

    codes = ["nmr", "u5mr", "stunting_u5_survey", "sys_mgmt_rate_u3"]
    w = ecd.data.load(codes)
    got = ecd.compare.coverage(w).tidy().set_index(["indicator", "geo"]).sort_index()
    sql = duckdb.query_df(w, "w", "select indicator, geo, count(distinct year) as n_years, min(year) as first_year, "
                                  "max(year) as last_year, count(*) as n_obs from w where value is not null "
                                  "group by 1, 2").df().set_index(["indicator", "geo"]).sort_index()
    assert got.index.equals(sql.index)
    for col in ("n_years", "first_year", "last_year", "n_obs"):
        np.testing.assert_array_equal(got[col].to_numpy(), sql[col].to_numpy())


rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["G1", "G2"]),
                          st.integers(1990, 2025), st.floats(0, 100, allow_nan=False)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_properties(data, rnd):
    df = pd.DataFrame(data, columns=["indicator", "geo", "year", "value"]).drop_duplicates(["indicator", "geo", "year"])
    cov = ecd.compare.coverage(df, levels={"G1": "x"})
    t = cov.tidy()
    # one coverage cell per distinct (indicator, geo, year); the matrix counts them exactly
    assert t["n_years"].sum() == len(df)
    for g in t["geo"].unique():
        assert cov.matrix(g).to_numpy().sum() == (df["geo"] == g).sum()
    last = ecd.compare.latest(df).tidy()
    # the latest year is the group maximum, and row order does not matter
    mx = df.groupby(["indicator", "geo"])["year"].max().to_numpy()
    np.testing.assert_array_equal(last["year"].to_numpy(), mx)
    shuffled = df.sample(frac=1, random_state=rnd.randint(0, 10_000))
    pd.testing.assert_frame_equal(ecd.compare.latest(shuffled).tidy(), last)


def test_target_check_judges_only_within_a_kind():
    df = pd.DataFrame({"indicator": ["anemia_u5_routine", "ebf_rate_0_5m", "ebf_rate_0_5m_wdi"], "geo": ["CN", "CN", "CHN"],
                       "year": [2018, 2018, 2013], "value": [5.44, 74.9, 20.8]})
    t = ecd.compare.target_check(df).tidy()
    anaemia = t[t["indicator"] == "anemia_u5_routine"].set_index(["target_code", "target_year"])["status"]
    # the NCPD 2011–2020 target is monitored with routine reports; the National Nutrition Plan's with surveys
    assert anaemia[("ncpd2020_target_max_anemia_u5", 2020)] == "met"
    assert anaemia[("nnp2030_target_max_anemia_u5", 2030)] == "different kind"
    ebf = t[t["indicator"] == "ebf_rate_0_5m"].set_index("target_code")["status"]
    assert ebf["nnp2030_target_min_ebf_0_6m"] == "different kind" and ebf["hcaip2025_target_min_ebf_rate_0_5m"] == "met"
    # … and the survey series is judged against it instead (borrowed from the related routine code)
    survey = t[t["indicator"] == "ebf_rate_0_5m_wdi"].set_index("target_code")
    assert survey.loc["nnp2030_target_min_ebf_0_6m", "status"] == "not met"
    assert survey.loc["nnp2030_target_min_ebf_0_6m", "borrowed_from"] == "ebf_rate_0_5m"
    assert ecd.compare.STATUS_ZH["different kind"] == "口径不同，不作判断"
    assert not ecd.compare.target_check(df, related=False).tidy()["borrowed_from"].notna().any()


def test_target_check_needs_the_kind_of_unknown_codes():
    df = pd.DataFrame({"indicator": ["mine"], "geo": ["CN"], "year": [2020], "value": [3.0]})
    targets = {"mine": [{"code": "t", "comparison": "max", "value": 5.0, "kind": "survey"}]}
    with pytest.raises(ParameterError, match=r"kinds.*'t' was set on survey data but the kind of 'mine' is unknown"):
        ecd.compare.target_check(df, targets)
    assert ecd.compare.target_check(df, targets, kinds={"mine": "survey"}).tidy()["status"].tolist() == ["met"]
    with pytest.raises(ParameterError, match="kinds"):
        ecd.compare.target_check(df, targets, kinds=["survey"])


KIND = st.sampled_from(["survey", "routine", "modelled", "surveillance"])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(KIND, st.floats(0.1, 99), KIND, st.floats(0.1, 99), st.sampled_from(["max", "min"])),
                min_size=1, max_size=12))
def test_no_target_verdict_across_kinds(cases):
    df = pd.DataFrame({"indicator": [f"i{k}" for k in range(len(cases))], "geo": "CN", "year": 2020,
                       "value": [c[1] for c in cases]})
    targets = {f"i{k}": [{"code": f"t{k}", "comparison": c[4], "value": c[3], "kind": c[2]}] for k, c in enumerate(cases)}
    kinds = {f"i{k}": c[0] for k, c in enumerate(cases)}
    t = ecd.compare.target_check(df, targets, kinds=kinds).tidy()
    judged = t["status"].isin(["met", "not met"])
    # a verdict exactly when the kinds agree; otherwise no verdict and no gap
    assert (judged == (t["kind"] == t["target_kind"])).all()
    assert t.loc[~judged, "status"].eq("different kind").all() and t.loc[~judged, "gap"].isna().all()
    counts = ecd.compare.TargetCheck(t).counts()
    assert counts["judged"] == int((t["kind"] == t["target_kind"]).sum())


def test_target_check_never_borrows_another_concepts_targets():
    df = pd.DataFrame({"indicator": ["nmr", "imr", "u5mr"], "geo": "CN", "year": 2024, "value": [2.5, 4.0, 5.6]})
    t = ecd.compare.target_check(df).tidy()
    # IMR is related to NMR and U5MR (same kind) but is another quantity: only its own targets
    assert all(code.endswith(ind) or code.endswith(ind.replace("mr", "")) or ind in code
               for ind, code in zip(t["indicator"], t["target_code"]))
    assert t["borrowed_from"].isna().all()
    assert set(t.loc[t["indicator"] == "imr", "target"]) <= {10.0, 7.5, 5.2, 5.0}


def test_target_check_borrows_only_from_the_same_concept_of_another_kind():
    df = pd.DataFrame({"indicator": ["underweight_u5_survey"], "geo": "CHN", "year": [2013], "value": [2.4]})
    t = ecd.compare.target_check(df).tidy()
    # underweight is a look-alike of stunting (same kind, another concept): no stunting or wasting targets
    assert t.empty or not t["target_code"].str.contains("stunt|wasting").any()
