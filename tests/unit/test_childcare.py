"""ecd.childcare: cohort survival, supply against children, subsidy cost, missing inputs never filled, bad input, properties."""
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


def test_population_from_birth_rate():
    b = pd.DataFrame({"geo": ["X", "X", "Y"], "year": [2022, 2023, 2023], "births": [10.0, 9.0, 4.0]})
    r = pd.DataFrame({"geo": ["X", "Y"], "year": [2023, 2023], "crude_birth_rate": [6.0, 8.0]})
    out = cc.population_from_birth_rate(b, r)
    assert out.values.tolist() == [["X", 2023, 1500.0], ["Y", 2023, 500.0]]
    with pytest.raises(DataError, match="positive"):
        cc.population_from_birth_rate(b, r.assign(crude_birth_rate=[0.0, 8.0]))
    with pytest.raises(DataError, match="column"):
        cc.population_from_birth_rate(b.drop(columns="births"), r)


def test_warehouse_national_cohort_every_year_2016_2025():
    """On the real warehouse: births 2014–2025 and IMR/U5MR 2014–2024 give 0–2-year-olds for every year 2016–2024;
    2025 needs its own IMR (not published yet) and comes only with the labelled latest-mortality assumption."""
    import ecd

    births = ecd.data.load("births", geo="CN", area="total")  # one row per year: the catalog's source preference
    mort = (ecd.data.load(["imr", "u5mr"], geo="CN", area="total")
            .pivot(index="year", columns="indicator", values="value").reset_index())
    b = births.rename(columns={"value": "births"})
    strict = cc.population_0_3(b, mort).totals().set_index("year")
    assert strict.loc[2016:2024, "children"].notna().all() and np.isnan(strict.loc[2025, "children"])
    labelled = cc.population_0_3(b, mort, latest_mortality=True)
    tot = labelled.totals().set_index("year")
    assert tot.loc[2016:2025, "children"].notna().all()
    assert tot.loc[2016:2024, "ages_assumed"].eq(0).all() and tot.loc[2025, "ages_assumed"] == 1
    assert_allclose(tot.loc[2016:2024, "children"], strict.loc[2016:2024, "children"])
    bv = births.set_index("year")["value"]
    assert tot.loc[2025, "children"] < bv[[2023, 2024, 2025]].sum()


def test_latest_mortality_fills_only_after_the_last_published_year():
    b = _births(range(2019, 2025), [100.0] * 6)
    m = _mort([2019, 2020, 2021, 2022], [10.0, np.nan, 8.0, 7.0], [12.0, np.nan, 10.0, 9.0])  # 2020 a gap, 2023+ unpublished
    t = cc.population_0_3(b, m, latest_mortality=True).tidy().set_index(["year", "age"])
    assert t.loc[(2022, 2), "status"] == "missing_input" and "IMR 2020" in t.loc[(2022, 2), "note"]  # a gap stays a gap
    row = t.loc[(2024, 0)]
    assert row["status"] == "assumed" and row["note"] == "IMR 2022 used for 2024"
    assert_allclose(row["children"], 100 * cc.survival(0, 7.0, 9.0))
    one = t.loc[(2024, 1)]
    assert one["status"] == "assumed" and one["note"] == "IMR 2022, U5MR 2022 used for 2023"
    assert t.loc[(2024, 2), "status"] == "estimated"
    strict = cc.population_0_3(b, m).tidy().set_index(["year", "age"])
    assert strict.loc[(2024, 0), "status"] == "missing_input"
    tot = cc.population_0_3(b, m, latest_mortality=True).totals().set_index("year")
    assert tot.loc[2024, "ages_assumed"] == 2 and tot.loc[2024, "ages_missing"] == 0
    with pytest.raises(ParameterError, match="latest_mortality"):
        cc.population_0_3(b, m, latest_mortality="yes")


def test_latest_mortality_by_geo_uses_each_geos_own_last_year():
    b = pd.concat([_births([2023], [100.0], "A"), _births([2023], [100.0], "B")])
    m = pd.DataFrame({"geo": ["A", "B", "B"], "year": [2021, 2021, 2022], "imr": [10.0, 20.0, 6.0], "u5mr": [12.0, 25.0, 8.0]})
    t = cc.population_0_3(b, m, ages=(0,), infant_death_fraction=1.0, latest_mortality=True).tidy().set_index("geo")
    assert_allclose(t["children"], [99.0, 99.4])
    assert t.loc["A", "note"] == "IMR 2021 used for 2023" and t.loc["B", "note"] == "IMR 2022 used for 2023"


def test_cohort_survivors_follow_one_birth_year():
    b = _births([2020, 2021, 2022], [100.0, 200.0, 300.0])
    m = _mort([2020, 2021, 2022], [10.0, 8.0, 6.0], [20.0, 16.0, 12.0])
    c = cc.cohort_survivors(b, m, ages=(0, 1, 2)).set_index(["birth_year", "age"])
    p = cc.population_0_3(b, m, ages=(0, 1, 2)).tidy().set_index(["birth_year", "age"])
    # the cohort born in 2020 is 2 at the end of 2022 in both views
    assert_allclose(c.loc[(2020, 2), "children"], p.loc[(2020, 2), "children"])
    assert c.loc[(2022, 2), "year"] == 2024 and c.loc[(2022, 2), "status"] == "estimated"
    assert_allclose(c.loc[(2022, 2), "children"], 300 * cc.survival(2, 6.0, 12.0))


def test_supply_demand_arithmetic_and_gaps():
    kids = pd.Series({2020: 4000.0, 2021: 3700.0, 2025: 2600.0})
    slots = pd.Series({2020: 280.0, 2025: 650.0})
    r = cc.supply_demand(kids, slots, enrolment_pct=pd.Series({2021: 5.5, 2025: 12.0}),
                         demand_pct=pd.Series({2025: 35.0}))
    w = r.wide().set_index("year")
    assert list(w.columns) == list(cc.SUPPLY_MEASURES)
    assert_allclose(w.loc[2020, "slots_per_100_children"], 7.0)
    assert_allclose(w.loc[2025, "enrolled"], 312.0)
    assert_allclose(w.loc[2025, "occupancy_pct"], 48.0)
    assert_allclose(w.loc[2025, "places_wanted"], 910.0)
    assert_allclose(w.loc[2025, "wanted_minus_slots"], 260.0)
    # 2021: enrolment but no slots -> enrolled, no occupancy; nothing is filled in
    assert_allclose(w.loc[2021, "enrolled"], 0.055 * 3700)
    assert np.isnan(w.loc[2021, "occupancy_pct"]) and np.isnan(w.loc[2021, "slots"])
    t = r.tidy()
    assert set(t.loc[t["measure"].isin(["children", "slots", "enrolment_pct", "demand_pct"]), "kind"]) == {"input"}
    assert set(t.loc[t["measure"] == "occupancy_pct", "kind"]) == {"derived"}
    assert cc.supply_demand(pd.Series(dtype=float), pd.Series(dtype=float)).wide().empty


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"children": [1.0]}, ParameterError, "children"),
    ({"slots": pd.Series({2020: 1.0, "x": 2.0})}, ParameterError, "whole years"),
    ({"slots": pd.Series([1.0, 2.0], index=[2020, 2020])}, DataError, "more than one value for year 2020"),
    ({"slots": pd.Series({2020: -1.0})}, DataError, "negative"),
    ({"slots": pd.Series({2020: "lots"})}, DataError, "not a number"),
    ({"enrolment_pct": pd.Series({2020: 120.0})}, DataError, "not a percentage"),
])
def test_supply_demand_bad_input(kwargs, exc, match):
    args = {"children": pd.Series({2020: 10.0}), "slots": pd.Series({2020: 1.0}), **kwargs}
    with pytest.raises(exc, match=match):
        cc.supply_demand(args.pop("children"), args.pop("slots"), **args)


@settings(max_examples=40, deadline=None)
@given(st.floats(10, 1e4), st.floats(1, 1e3), st.floats(1e3, 2e5), st.floats(0.5, 10),
       st.lists(st.floats(0, 100), min_size=1, max_size=6))
def test_enrolment_sensitivity_identities(children, slots, pop, target, rates):
    r = cc.enrolment_sensitivity(children, slots, pop, rates, target_per_1000=target)
    t = r.tidy()
    assert_allclose(t["places_needed"], t["enrolment_pct"] / 100 * children)
    assert_allclose(t["surplus"], slots - t["places_needed"], atol=1e-9)
    assert_allclose(t["per_1000_population"] * pop / 1000, t["places_needed"], rtol=1e-12, atol=1e-12)
    # the target's share of children, put back through the table, gives the target per 1,000
    back = cc.enrolment_sensitivity(children, slots, pop, [min(r.target_share_pct, 100.0)]).tidy()
    if r.target_share_pct <= 100:
        assert_allclose(back["per_1000_population"].iloc[0], target, rtol=1e-9)
    assert np.isnan(cc.enrolment_sensitivity(children, slots, pop, rates).target_share_pct)


@pytest.mark.parametrize("args, match", [
    ((0.0, 1.0, 1.0, [10]), "children"),
    ((1.0, float("nan"), 1.0, [10]), "slots"),
    ((1.0, 1.0, True, [10]), "population"),
    ((1.0, 1.0, 1.0, []), "enrolment_pct"),
    ((1.0, 1.0, 1.0, [101]), "enrolment_pct"),
    ((1.0, 1.0, 1.0, "ab"), "enrolment_pct"),
])
def test_enrolment_sensitivity_bad_parameters(args, match):
    with pytest.raises(ParameterError, match=match):
        cc.enrolment_sensitivity(*args)


def test_subsidy_cost_per_cohort_and_per_year():
    b = _births([2022, 2023, 2024, 2025], [900.0, 902.0, 954.0, 792.0])
    m = _mort([2022, 2023, 2024], [4.9, 4.5, 4.0], [6.8, 6.2, 5.6])
    r = cc.subsidy_cost(b, m, amount=3600.0, take_up=0.9, births_unit=1e4, latest_mortality=True)
    t = r.tidy().set_index("birth_year")
    want = 792e4 * 3600 * 0.9 * sum(cc.survival(a, 4.0, 5.6) for a in (0, 1, 2))  # 2025 uses the 2024 rates
    assert_allclose(t.loc[2025, "cost"], want)
    assert t.loc[2025, "status"] == "assumed" and "used for 2025" in t.loc[2025, "note"]
    assert t.loc[2023, "status"] == "estimated"
    y = r.by_year().set_index("year")
    kids = cc.population_0_3(b, m, latest_mortality=True).totals().set_index("year")["children"]
    assert_allclose(y.loc[2025, "cost"], kids[2025] * 1e4 * 3600 * 0.9)
    assert y.loc[2023, "status"] == "missing_input" and np.isnan(y.loc[2023, "cost"])  # no births 2021
    s = r.sensitivity([0.45, 0.9]).pivot(index="birth_year", columns="take_up", values="cost")
    assert_allclose(s.loc[2025, 0.45] * 2, s.loc[2025, 0.9])
    assert_allclose(s.loc[2025, 0.9], t.loc[2025, "cost"])
    strict = cc.subsidy_cost(b, m, births_unit=1e4).tidy().set_index("birth_year")
    assert strict.loc[2025, "status"] == "missing_input" and np.isnan(strict.loc[2025, "cost"])


@pytest.mark.parametrize("kwargs, match", [
    ({"amount": -1}, "amount"), ({"take_up": 1.5}, "take_up"), ({"years_paid": 0}, "years_paid"),
    ({"years_paid": 6}, "years_paid"), ({"years_paid": True}, "years_paid"), ({"births_unit": 0}, "births_unit"),
])
def test_subsidy_cost_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        cc.subsidy_cost(_births([2022], [1.0]), _mort([2022], [5.0], [7.0]), **kwargs)


@settings(max_examples=30, deadline=None)
@given(st.floats(1, 3000), st.floats(0, 50), st.floats(0, 50), st.floats(0, 2e4), st.integers(1, 5))
def test_subsidy_cost_bounded_by_births_times_years(births, imr, extra, amount, years_paid):
    """A cohort never costs more than everyone born paid every year, nor less than the survivors to the last age."""
    r = cc.subsidy_cost(_births([2022], [births]), _mort([2022], [imr], [imr + extra]), amount=amount,
                        years_paid=years_paid).tidy().iloc[0]
    assert r["cost"] <= births * amount * years_paid * (1 + 1e-12)
    floor = births * amount * years_paid * cc.survival(years_paid - 1, imr, imr + extra)
    assert r["cost"] >= floor * (1 - 1e-12) - 1e-9


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
