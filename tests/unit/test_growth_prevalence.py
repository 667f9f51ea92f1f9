"""ecd.growth.prevalence against R anthro_prevalence (tests/reference/growth/PROVENANCE.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ecd.growth
from ecd.errors import DataError, DesignError, EcdWarning

READ = dict(keep_default_na=False, na_values=["NA"])
TEXT = {c: str for c in ("measure", "oedema", "typeres", "gregion", "mothered", "othergr")}
BASE = dict(sex="sex", age="age", weight="weight", lenhei="lenhei", measure="measure", oedema="oedema")
DESIGN = dict(sw="sw", cluster="cluster", strata="strata", typeres="typeres", gregion="gregion",
              wealthq="wealthq", mothered="mothered", othergr="othergr")
CASES = {"simple_no_design": {}, "design_strata_cluster_sw": DESIGN}


@pytest.fixture(scope="module")
def folder(request):
    return request.config.rootpath / "tests" / "reference" / "growth"


@pytest.fixture(scope="module")
def survey(folder):
    return pd.read_csv(folder / "prevalence_input.csv", dtype=TEXT, **READ)


def _run(data, **kwargs):
    with pytest.warns(EcdWarning, match=r"3 of 879 rows have an age over 1826 days"):
        return ecd.growth.prevalence(data, **BASE, **kwargs)


@pytest.mark.parametrize("case", CASES)
def test_reference_tables(folder, survey, case):
    expected = pd.read_csv(folder / f"prevalence_output_{case}.csv", **READ)
    got = _run(survey, **CASES[case])
    assert list(got.columns) == list(expected.columns) == ecd.growth.PREVALENCE_COLUMNS
    assert len(got.columns) == 135
    # compare by label (anthro orders character levels differently per path)
    assert sorted(got["Group"]) == sorted(expected["Group"])
    got = got.set_index("Group").loc[expected["Group"]]
    expected = expected.set_index("Group")
    assert_array_equal(got.isna().to_numpy(), expected.isna().to_numpy())
    assert_allclose(got.to_numpy(float), expected.to_numpy(float), rtol=0, atol=1e-6, equal_nan=True)


def test_survey_path_sorts_levels_like_r(folder, survey):
    expected = pd.read_csv(folder / "prevalence_output_design_strata_cluster_sw.csv", **READ)
    assert _run(survey, **DESIGN)["Group"].tolist() == expected["Group"].tolist()


def test_tidy_is_the_same_numbers(survey):
    wide = _run(survey, **DESIGN)
    long = _run(survey, **DESIGN, tidy=True)
    assert list(long.columns) == ecd.growth.TIDY_COLUMNS
    row = long[(long["group"] == "Area: Rural") & (long["indicator"] == "HA_2")].iloc[0]
    ref = wide.set_index("Group").loc["Area: Rural"]
    assert_allclose(row[["estimate", "se", "ci_low", "ci_high", "pop", "n"]].to_numpy(float),
                    ref[["HA_2_r", "HA_2_se", "HA_2_ll", "HA_2_ul", "HAZ_pop", "HAZ_unwpop"]].to_numpy(float))
    mean = long[(long["group"] == "All") & (long["indicator"] == "WH")].iloc[0]
    assert mean.statistic == "mean" and mean.stdev == pytest.approx(wide.loc[0, "WH_stdev"])


def test_design_with_one_row_per_psu_is_the_simple_path(survey):
    plain = _run(survey)
    as_design = _run(survey.assign(one=1, row=np.arange(len(survey))), strata="one", cluster="row")
    assert_allclose(as_design.drop(columns="Group").to_numpy(float), plain.drop(columns="Group").to_numpy(float),
                    rtol=1e-10, atol=1e-12, equal_nan=True)


def _one_percent(weight):
    # 100 children at the median length, one far below: HA_2 is exactly 1 %
    lenhei = np.full(100, 76.0)
    lenhei[0] = 68.0
    return pd.DataFrame({"sex": 1, "age": 400.0, "weight": 10.0, "lenhei": lenhei, "measure": "l", "sw": weight})


def test_one_percent_ci_bug_is_fixed_and_reproducible():
    columns = [f"HA_2_{s}" for s in ("r", "se", "ll", "ul")]
    plain = ecd.growth.prevalence(_one_percent(1.0), measure="measure", sw="sw")
    assert plain.loc[0, "HA_2_r"] == 1.0
    weighted = ecd.growth.prevalence(_one_percent(2.0), measure="measure", sw="sw")
    # equal weights of 2 take anthro's weighted path, which must agree with the simple path
    assert_allclose(weighted.loc[0, columns].to_numpy(float), plain.loc[0, columns].to_numpy(float), rtol=1e-9)
    assert weighted.loc[0, "HA_2_ll"] < 1.0 < weighted.loc[0, "HA_2_ul"]
    quirk = ecd.growth.prevalence(_one_percent(2.0), measure="measure", sw="sw", anthro_ci_quirk=True)
    assert quirk.loc[0, "HA_2_ll"] == quirk.loc[0, "HA_2_ul"] == 1.0
    assert quirk.loc[0, "HA_2_se"] > 0


def test_design_row_rules(survey):
    data = survey[survey["age"].fillna(0) <= 1826].copy()
    data.loc[data.index[:2], "cluster"] = np.nan
    data.loc[data.index[5], "sw"] = np.nan
    with pytest.warns(EcdWarning) as record:
        table = ecd.growth.prevalence(data, **BASE, sw="sw", cluster="cluster", strata="strata")
    messages = " | ".join(str(w.message) for w in record)
    assert "2 rows with a missing cluster" in messages and "1 rows with a missing sampling weight" in messages
    kept = data.iloc[2:]
    z = ecd.growth.zscores(kept, **BASE)
    valid = (z["flen"] == 0).fillna(False).to_numpy()
    assert table.loc[0, "HAZ_unwpop"] == valid.sum()
    assert table.loc[0, "HAZ_pop"] == pytest.approx(kept["sw"].fillna(0).to_numpy()[valid].sum())
    data.loc[data.index[7], "sw"] = -1.0
    with pytest.raises(DesignError, match="negative"), pytest.warns(EcdWarning):
        ecd.growth.prevalence(data, **BASE, sw="sw", cluster="cluster", strata="strata")


def test_no_child_left_is_a_data_error():
    kids = ecd.growth.synthetic_survey(50, random_state=2).assign(age=2000.0)
    with pytest.raises(DataError, match="of 50 rows, 50 are older than 1826 days"), pytest.warns(EcdWarning):
        ecd.growth.prevalence(kids, measure="measure", sw="sw", cluster="cluster", strata="strata")


def test_empty_groups_have_zero_counts_and_missing_estimates():
    kids = ecd.growth.synthetic_survey(300, random_state=2)
    kids = kids[kids["age"] >= 183]  # nobody aged 0-5 months
    table = ecd.growth.prevalence(kids, measure="measure").set_index("Group")
    row = table.loc["Age group: 00-05 mo"]
    assert row["HAZ_pop"] == 0 and row["HAZ_unwpop"] == 0 and np.isnan(row["HA_2_r"])


def test_groups_are_shown_only_when_not_all_missing():
    kids = ecd.growth.synthetic_survey(300, random_state=2).assign(region=None)
    table = ecd.growth.prevalence(kids, measure="measure", typeres="area", gregion="region", wealthq="wealthq")
    groups = table["Group"].tolist()
    assert "Area: Rural" in groups and not any(g.startswith("Geographical") for g in groups)
    assert groups[-5:] == ["Wealth quintile: Q1: Poorest", "Wealth quintile: Q2", "Wealth quintile: Q3",
                           "Wealth quintile: Q4", "Wealth quintile: Q5: Richest"]


@pytest.mark.parametrize("clustered", [True, False])
def test_one_indicator_is_one_ecd_survey_call(clustered):
    # prevalence batches every indicator and grouping through ecd.survey.Design; one
    # indicator in one grouping, built here from zscores, must be the plain one-variable
    # call: flagged values missing, children of unknown area outside every level but in
    # the design, a lonely PSU ("adjust"), zero weights, CIs with the design's df
    from scipy import special, stats

    from ecd.survey import Design

    kids = ecd.growth.synthetic_survey(500, random_state=21)
    kids.loc[kids.index[:40], "area"] = None
    kids.loc[kids.index[6:9], "sw"] = 0.0
    kids.loc[kids["strata"] == kids["strata"].max(), "cluster"] = kids["cluster"].min()  # one PSU
    design_columns = dict(sw="sw", cluster="cluster", strata="strata") if clustered else dict(sw="sw")
    table = ecd.growth.prevalence(kids, measure="measure", typeres="area", **design_columns).set_index("Group")

    z = ecd.growth.zscores(kids, measure="measure")
    flag, zlen = (z[c].to_numpy(dtype=float, na_value=np.nan) for c in ("flen", "zlen"))
    frame = kids.assign(
        stunted=np.where(flag == 0, zlen < -2, np.nan),
        area_group=kids["area"].fillna("unknown"),
    )
    if clustered:
        design = Design(frame, strata="strata", psu="cluster", weights="sw", nest=True, lonely_psu="adjust")
    else:
        design = Design(frame, weights="sw")
    expected = design.mean("stunted", by="area_group", na="drop").tidy().set_index("area_group")
    t = stats.t.ppf(0.975, design.df)
    for level in ("Rural", "Urban"):
        got = table.loc[f"Area: {level}"]
        p, se = expected.loc[level, ["estimate", "se"]]
        half = t * se / (p * (1 - p))
        ci = special.expit(special.logit(p) + np.array([-half, half]))
        assert_allclose(got[["HA_2_r", "HA_2_se", "HA_2_ll", "HA_2_ul"]].to_numpy(float),
                        100 * np.array([p, se, *ci]), rtol=1e-10)
        assert got["HAZ_unwpop"] == expected.loc[level, "n"]


def test_invariant_to_weight_scale_and_row_order():
    kids = ecd.growth.synthetic_survey(500, random_state=11)
    args = dict(measure="measure", oedema="oedema", sw="sw", cluster="cluster", strata="strata", typeres="area")
    base = ecd.growth.prevalence(kids, **args).set_index("Group")
    scaled = ecd.growth.prevalence(kids.assign(sw=kids["sw"] * 7.5), **args).set_index("Group")
    shuffled = ecd.growth.prevalence(kids.sample(frac=1.0, random_state=4), **args).set_index("Group").loc[base.index]
    pops = [c for c in base.columns if c.endswith("_pop")]
    rest = [c for c in base.columns if not c.endswith("_pop")]
    assert_allclose(scaled[rest].to_numpy(float), base[rest].to_numpy(float), rtol=1e-9, atol=1e-12, equal_nan=True)
    assert_allclose(scaled[pops].to_numpy(float), 7.5 * base[pops].to_numpy(float), rtol=1e-12)
    assert_allclose(shuffled.to_numpy(float), base.to_numpy(float), rtol=1e-9, atol=1e-12, equal_nan=True)


def test_age_in_months_gives_the_same_table():
    kids = ecd.growth.synthetic_survey(300, random_state=12)
    days = ecd.growth.prevalence(kids, measure="measure", sw="sw")
    months = ecd.growth.prevalence(kids.assign(age=kids["age"] / 30.4375), measure="measure", sw="sw",
                                   age_in_months=True)
    pd.testing.assert_frame_equal(days, months)
