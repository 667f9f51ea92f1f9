"""ecd.childcare: cohort survival, scenario arithmetic, missing inputs never filled, bad input, properties."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ecd.childcare as cc
from ecd.errors import DataError, ParameterError


def _births(years, values, geo="X"):
    return pd.DataFrame({"geo": geo, "year": list(years), "births": list(values)})


def _mort(years, imr, u5mr):
    return pd.DataFrame({"year": list(years), "imr": imr, "u5mr": u5mr})


def test_survival_formula_by_age():
    # age 0: a share f of the IMR has happened; ages >= 1: IMR plus (U5MR-IMR)(a-0.5)/4
    assert_allclose(cc.survival(0, 10.0, 20.0, 0.6), 1 - 0.006)
    assert_allclose(cc.survival(1, 10.0, 20.0), 1 - (10 + 10 * 0.5 / 4) / 1000)
    assert_allclose(cc.survival(2, 10.0, 20.0), 1 - (10 + 10 * 1.5 / 4) / 1000)
    assert_allclose(cc.survival(4, 10.0, 20.0), 1 - (10 + 10 * 3.5 / 4) / 1000)


def test_cohorts_use_the_birth_year_rates():
    b = _births([2020, 2021, 2022], [100.0, 200.0, 300.0])
    m = _mort([2020, 2021, 2022], [10.0, 8.0, 6.0], [20.0, 16.0, 12.0])
    r = cc.population_0_3(b, m, infant_death_fraction=0.5)
    row = r.tidy().set_index(["year", "age"]).loc[2022]
    assert_allclose(row.loc[0, "children"], 300 * (1 - 0.5 * 6 / 1000))
    assert_allclose(row.loc[1, "children"], 200 * (1 - (8 + 8 * 0.5 / 4) / 1000))
    assert_allclose(row.loc[2, "children"], 100 * (1 - (10 + 10 * 1.5 / 4) / 1000))
    assert row["birth_year"].tolist() == [2022, 2021, 2020]
    tot = r.totals().set_index("year")
    assert_allclose(tot.loc[2022, "children"], row["children"].sum())
    assert np.isnan(tot.loc[2021, "children"]) and tot.loc[2021, "ages_missing"] == 1


def test_missing_inputs_are_reported_not_filled():
    b = _births([2020, 2022], [100.0, 300.0])  # 2021 births missing
    m = _mort([2020, 2021, 2022], [10.0, 8.0, 6.0], [20.0, np.nan, 12.0])
    t = cc.population_0_3(b, m).tidy().set_index(["year", "age"])
    assert t.loc[(2022, 1), "status"] == "missing_input"
    assert "births 2021" in t.loc[(2022, 1), "note"] and "U5MR 2021" in t.loc[(2022, 1), "note"]
    assert np.isnan(t.loc[(2022, 1), "children"])
    assert t.loc[(2022, 2), "status"] == "estimated"
    # age 0 needs no U5MR
    m2 = _mort([2022], [6.0], [np.nan])
    t2 = cc.population_0_3(_births([2022], [300.0]), m2, ages=(0,)).tidy()
    assert t2["status"].tolist() == ["estimated"]


def test_mortality_by_geo_is_matched_by_geo():
    b = pd.concat([_births([2022], [100.0], "A"), _births([2022], [100.0], "B")])
    m = pd.DataFrame({"geo": ["A", "B"], "year": [2022, 2022], "imr": [10.0, 20.0], "u5mr": [12.0, 25.0]})
    t = cc.population_0_3(b, m, ages=(0,), infant_death_fraction=1.0).tidy().set_index("geo")
    assert_allclose(t["children"], [99.0, 98.0])


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"ages": (0, 5)}, ParameterError, "ages"),
    ({"ages": ()}, ParameterError, "ages"),
    ({"ages": "ab"}, ParameterError, "ages"),
    ({"infant_death_fraction": 1.5}, ParameterError, "infant_death_fraction"),
    ({"infant_death_fraction": True}, ParameterError, "infant_death_fraction"),
])
def test_population_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cc.population_0_3(_births([2022], [1.0]), _mort([2022], [5.0], [7.0]), **kwargs)


def test_population_bad_data():
    m = _mort([2022], [5.0], [7.0])
    with pytest.raises(DataError, match="column"):
        cc.population_0_3(pd.DataFrame({"geo": ["X"], "year": [2022]}), m)
    with pytest.raises(DataError, match="more than one"):
        cc.population_0_3(_births([2022, 2022], [1.0, 2.0]), m)
    with pytest.raises(DataError, match="negative"):
        cc.population_0_3(_births([2022], [-1.0]), m)
    with pytest.raises(DataError, match="not a number"):
        cc.population_0_3(_births([2022], ["many"]), m)
    with pytest.raises(DataError, match="U5MR.*below IMR"):
        cc.population_0_3(_births([2022], [1.0]), _mort([2022], [7.0], [5.0]))
    with pytest.raises(DataError, match="per 1,000"):
        cc.population_0_3(_births([2022], [1.0]), _mort([2022], [1500.0], [1600.0]))
    with pytest.raises(ParameterError, match="DataFrame"):
        cc.population_0_3([1, 2], m)


def test_scenario_arithmetic_observed():
    b = _births([2020, 2021, 2022], [10.0, 10.0, 10.0])  # 万人
    m = _mort([2020, 2021, 2022], 5.0, 7.0)
    pop = pd.DataFrame({"geo": ["X"], "year": [2022], "population": [1000.0]})  # 万人
    r = cc.scenario(pop, b, m, slot_target=4.5, current_slots_per_1000=2.0, utilisation=0.3, take_up=0.5,
                    subsidy_per_child_year=3600, births_unit=1e4, population_unit=1e4)
    w = r.wide().set_index("year")
    kids = cc.population_0_3(b.assign(births=b["births"] * 1e4), m).totals().set_index("year")["children"]
    assert_allclose(w.loc[2022, "population_total"], 1e7)
    assert_allclose(w.loc[2022, "slots_target"], 45_000)
    assert_allclose(w.loc[2022, "slots_current"], 20_000)
    assert_allclose(w.loc[2022, "slot_gap"], 25_000)
    assert_allclose(w.loc[2022, "children_eligible"], kids[2022])
    assert_allclose(w.loc[2022, "slots_demanded"], 0.3 * kids[2022])
    assert_allclose(w.loc[2022, "fiscal_cost"], 0.5 * 3600 * kids[2022])
    # 2020 has births but no population and no earlier cohorts: everything missing, with reasons
    t = r.tidy()
    miss = t[(t["year"] == 2020)]
    assert (miss["status"] == "missing_input").all() and miss["value"].isna().all()
    assert miss.set_index("measure").loc["slots_target", "note"] == "no total population for X 2020"
    assert list(t.columns) == ["geo", "year", "measure", "value", "unit", "status", "note"]
    a = r.assumptions.set_index("parameter")["value"]
    assert a["utilisation"] == 0.3 and a["eligible_ages"] == "0, 1, 2"


def test_scenario_without_current_level_has_no_gap_rows():
    r = cc.scenario(None, _births([2022], [8.0]), cohorts="constant")
    assert set(r.tidy()["measure"]) == {"population_total", "children_eligible", "slots_target",
                                        "slots_demanded", "fiscal_cost"}
    assert r.tidy().set_index("measure").loc["slots_target", "status"] == "missing_input"


@pytest.mark.parametrize("kwargs, match", [
    ({"slot_target": 0}, "slot_target"),
    ({"slot_target": float("nan")}, "slot_target"),
    ({"utilisation": 1.2}, "utilisation"),
    ({"take_up": -0.1}, "take_up"),
    ({"subsidy_per_child_year": -1}, "subsidy_per_child_year"),
    ({"eligible_ages": (0, 9)}, "ages"),
    ({"cohorts": "steady"}, "cohorts"),
    ({"cohorts": "observed"}, "mortality"),
    ({"current_slots_per_1000": -2}, "current_slots_per_1000"),
    ({"births_unit": 0}, "births_unit"),
])
def test_scenario_bad_parameters(kwargs, match):
    kw = {"cohorts": "constant", **kwargs}
    with pytest.raises(ParameterError, match=match):
        cc.scenario(None, _births([2022], [8.0]), **kw)


def test_population_from_birth_rate_and_one_source():
    b = pd.DataFrame({"geo": ["X", "X", "Y"], "year": [2022, 2023, 2023], "births": [10.0, 9.0, 4.0]})
    r = pd.DataFrame({"geo": ["X", "Y"], "year": [2023, 2023], "crude_birth_rate": [6.0, 8.0]})
    out = cc.population_from_birth_rate(b, r)
    assert out.values.tolist() == [["X", 2023, 1500.0], ["Y", 2023, 500.0]]
    with pytest.raises(DataError, match="positive"):
        cc.population_from_birth_rate(b, r.assign(crude_birth_rate=[0.0, 8.0]))
    with pytest.raises(DataError, match="column"):
        cc.population_from_birth_rate(b.drop(columns="births"), r)
    df = pd.DataFrame({"indicator": "x", "geo": "A", "area": "total", "year": [2020, 2020, 2021],
                       "value": [1.0, 2.0, 3.0], "source_id": ["b", "a", "b"]})
    assert cc.one_source(df)["value"].tolist() == [2.0, 3.0]
    assert cc.one_source(df, prefer=["b"])["value"].tolist() == [1.0, 3.0]


def test_warehouse_national_cohort_2024():
    """On the real warehouse: 2024 is the one year with births for 2022-2024 and IMR/U5MR for all three."""
    import ecd

    births = cc.one_source(ecd.data.load("births", geo="CN", area="total"), prefer=["nhc_official"])
    mort = (cc.one_source(ecd.data.load(["imr", "u5mr"], geo="CN", area="total"), prefer=["nhc_official"])
            .pivot(index="year", columns="indicator", values="value").reset_index())
    r = cc.population_0_3(births.rename(columns={"value": "births"}), mort)
    tot = r.totals().set_index("year")
    assert tot["children"].notna().sum() == 1 and np.isfinite(tot.loc[2024, "children"])
    b = births.set_index("year")["value"]
    assert tot.loc[2024, "children"] < b[[2022, 2023, 2024]].sum()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 2000), min_size=3, max_size=3), st.floats(0, 60), st.floats(0, 60), st.floats(0, 1))
def test_children_between_zero_and_births(births, imr, extra, f):
    b = _births([2020, 2021, 2022], births)
    m = _mort([2020, 2021, 2022], imr, imr + extra)
    t = cc.population_0_3(b, m, infant_death_fraction=f).tidy()
    ok = t[t["status"] == "estimated"]
    assert (ok["children"] >= -1e-9).all() and (ok["children"] <= ok["births"] + 1e-9).all()
    # within one year's three cohorts, older ages have survived longer (same rates): survival falls with age
    same = cc.population_0_3(_births([2020, 2021, 2022], [1.0, 1.0, 1.0]), _mort([2020, 2021, 2022], imr, imr + extra),
                             infant_death_fraction=f).tidy()
    s = same[same["year"] == 2022].sort_values("age")["survival"].to_numpy()
    assert s[1] >= s[2] - 1e-12


@settings(max_examples=40, deadline=None)
@given(st.floats(0.1, 1e6), st.floats(1, 30), st.floats(0.5, 20), st.floats(0, 1), st.floats(0, 1e5))
def test_scenario_scales_linearly(k, cbr, target, util, subsidy):
    """Doubling births and population doubles slots and cost; cost is linear in the subsidy."""
    b = _births([2022], [cbr])
    pop = pd.DataFrame({"geo": ["X"], "year": [2022], "population": [1000.0]})
    kw = dict(cohorts="constant", slot_target=target, current_slots_per_1000=target / 2, utilisation=util,
              subsidy_per_child_year=subsidy)
    a = cc.scenario(pop, b, **kw).wide().iloc[0]
    s = cc.scenario(pop.assign(population=pop["population"] * k), b.assign(births=b["births"] * k), **kw).wide().iloc[0]
    cols = ["population_total", "children_eligible", "slots_target", "slots_current", "slot_gap", "slots_demanded", "fiscal_cost"]
    assert_allclose(s[cols].astype(float), k * a[cols].astype(float), rtol=1e-9, atol=1e-9)
    assert_allclose(a["fiscal_cost"], 3 * cbr * subsidy, rtol=1e-12, atol=1e-9)
    assert_allclose(a["slot_gap"], a["slots_target"] - a["slots_current"], rtol=1e-12, atol=1e-12)


def test_custom_column_names():
    b = pd.DataFrame({"prov": "X", "yr": [2021, 2022], "n": [10.0, 20.0]})
    m = pd.DataFrame({"yr": [2021, 2022], "q0": [5.0, 4.0], "q5": [7.0, 6.0]})
    t = cc.population_0_3(b, m, ages=(0, 1), geo="prov", year="yr", births_col="n", imr="q0", u5mr="q5").tidy()
    assert_allclose(t.set_index(["year", "age"]).loc[(2022, 1), "children"], 10 * cc.survival(1, 5.0, 7.0))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 50)), min_size=5, max_size=5), st.floats(0, 1),
       st.lists(st.booleans(), min_size=5, max_size=5))
def test_vectorised_cohorts_equal_scalar_survival(rates, f, gaps):
    """population_0_3 (vectorised) agrees with survival() applied one cohort at a time; gaps stay gaps."""
    years = list(range(2018, 2023))
    m = pd.DataFrame({"year": years, "imr": [r[0] for r in rates], "u5mr": [r[0] + r[1] for r in rates]})
    m.loc[gaps, "u5mr"] = np.nan
    b = _births(years, [100.0 + k for k in range(5)])
    t = cc.population_0_3(b, m, ages=(0, 1, 2, 3, 4), infant_death_fraction=f).tidy()
    for r in t.itertuples():
        mi = m.set_index("year")
        if r.birth_year not in mi.index or (r.age > 0 and np.isnan(mi.loc[r.birth_year, "u5mr"])):
            assert r.status == "missing_input" and np.isnan(r.children)
        else:
            want = (100.0 + r.birth_year - 2018) * cc.survival(r.age, mi.loc[r.birth_year, "imr"], mi.loc[r.birth_year, "u5mr"], f)
            assert r.status == "estimated"
            assert_allclose(r.children, want, rtol=1e-12)
