"""ecd.inequality: input validation, applicability, corrected mode, properties, trends, adapter."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ecd.inequality as ineq
from ecd.errors import ParameterError, SchemaError

REF = Path(__file__).resolve().parents[1] / "reference" / "inequality"
ABSOLUTE = ["D", "PAR", "ACI", "SII", "BGSD", "MDBU", "MDBW", "MDMU", "MDMW", "MDRU", "MDRW"]
RELATIVE = ["R", "PAF", "RCI", "RII", "COV", "IDISU", "IDISW", "TI", "MLD"]


def _inputs() -> pd.DataFrame:
    return pd.read_csv(REF / "heat_format_inputs.csv", keep_default_na=False, na_values=[""])


def _case(source: str) -> pd.DataFrame:
    df = _inputs()
    return df.loc[df["source"] == source].reset_index(drop=True)


# ------------------------------------------------------------------ bad input
def test_missing_required_columns_named():
    df = _case("SYN5_anaemia_region").drop(columns=["favourable_indicator", "subgroup"])
    with pytest.raises(SchemaError, match="favourable_indicator") as err:
        ineq.summarize(df)
    assert "subgroup" in str(err.value)


def test_two_reference_subgroups_named_with_stratum():
    df = _case("SYN5_anaemia_region")
    df.loc[:1, "reference_subgroup"] = 1
    with pytest.raises(SchemaError, match="reference_subgroup") as err:
        ineq.summarize(df)
    assert "SYN5_anaemia_region" in str(err.value) and "East" in str(err.value)


def test_duplicate_subgroups():
    df = _case("SYN5_anaemia_region")
    df.loc[2, "subgroup"] = "East"
    with pytest.raises(SchemaError, match=r'column "subgroup": duplicated subgroup\(s\) \[\'East\'\]'):
        ineq.summarize(df)


def test_population_shares_refused_for_sii_rii_only():
    df = _case("SYN3_vacc_education")
    df["population"] = df["population"] / df["population"].sum()
    with pytest.raises(SchemaError, match="population shares") as err:
        ineq.summarize(df, measures=["SII"])
    assert "SYN3_vacc_education" in str(err.value)
    # shares are fine where only proportions matter
    out = ineq.summarize(df, measures=["ACI"]).tidy()
    assert np.isfinite(out["estimate"]).all()


def test_percentage_out_of_range_and_negative_estimate():
    df = _case("SYN5_anaemia_region")
    df.loc[0, "estimate"] = 135.2
    df.loc[1, "estimate"] = -1.0
    with pytest.raises(SchemaError) as err:
        ineq.summarize(df)
    text = str(err.value)
    assert "135.2" in text and "0–100" in text and "negative" in text and "Central" in text
    assert len(err.value.failures) == 2


def test_scale_one_is_not_a_bound():
    df = _case("SYN5_anaemia_region")
    df["indicator_scale"] = 1
    df["estimate"] = [5.2, 3.1, 1.9]  # a fertility rate, say
    df["se"] = [0.2, 0.2, 0.1]
    out = ineq.summarize(df, measures=["D", "R", "BGV", "BGSD"]).tidy()
    assert_allclose(out.set_index("measure").loc["D", "estimate"], 3.3, rtol=1e-12)
    assert out["estimate"].notna().all()


def test_bad_parameters():
    df = _case("SYN5_anaemia_region")
    with pytest.raises(ParameterError, match="measures"):
        ineq.summarize(df, measures=["GINI"])
    with pytest.raises(ParameterError, match="method"):
        ineq.summarize(df, method="stata")
    with pytest.raises(ParameterError, match="conf_level"):
        ineq.summarize(df, conf_level=95)


# ------------------------------------------------------------------ applicability
def test_binary_dimension_gets_d_r_par_paf_only_with_reasons():
    out = ineq.summarize(_case("SYN1_stunting_residence")).tidy().set_index("measure")
    assert set(out.index[out["estimate"].notna()]) == {"D", "R", "PAR", "PAF"}
    assert out.loc["SII", "note"] == "SII applies to ordered dimensions only"
    assert "more than two subgroups" in out.loc["BGV", "note"]


def test_missing_estimates_follow_heat_rules():
    ordered = _case("SYN3_vacc_education")
    ordered.loc[ordered["subgroup_order"] == 4, "estimate"] = np.nan
    out = ineq.summarize(ordered).tidy().set_index("measure")
    assert np.isnan(out.loc["D", "estimate"]) and "advantaged" in out.loc["D", "note"]
    assert "every subgroup" in out.loc["ACI", "note"]
    binary = _case("SYN1_stunting_residence")
    binary.loc[1, "estimate"] = np.nan
    out = ineq.summarize(binary, measures=["D", "R"]).tidy()
    assert out["estimate"].isna().all() and out["note"].str.len().gt(0).all()
    regions = _case("testvec_nonordered25_noref")
    regions.loc[:4, "estimate"] = np.nan  # 20 of 25 left: below HEAT's 85 %
    out = ineq.summarize(regions).tidy().set_index("measure")
    assert set(out.index[out["estimate"].notna()]) == {"D", "R"}
    assert "85 %" in out.loc["BGV", "note"]


def test_all_zero_estimates_give_na_not_crash():
    df = _case("SYN5_anaemia_region").assign(estimate=0.0)
    out = ineq.summarize(df).tidy()
    assert out["estimate"].isna().all()
    assert (out["note"] == "every subgroup estimate is 0").all()


def test_no_populations_no_se():
    df = _case("SYN5_anaemia_region").assign(population=np.nan, se=np.nan)
    out = ineq.summarize(df).tidy().set_index("measure")
    assert_allclose(out.loc["PAR", "estimate"], 15.1 - 19.4, rtol=1e-12)  # setting average
    assert np.isnan(out.loc["PAR", "ci_low"]) and "setting_average" in out.loc["PAR", "note"]
    assert np.isnan(out.loc["BGV", "estimate"]) and "population" in out.loc["BGV", "note"]
    assert np.isfinite(out.loc["MDBU", "estimate"]) and "SE" in out.loc["MDBU", "note"]


def test_se_derived_from_interval():
    df = _case("SYN1_stunting_residence")
    with_se = ineq.summarize(df, measures=["D"]).tidy()
    df["ci_lb"] = df["estimate"] - 1.959964 * df["se"]
    df["ci_ub"] = df["estimate"] + 1.959964 * df["se"]
    out = ineq.summarize(df.drop(columns="se"), measures=["D"]).tidy()
    assert_allclose(out["se"], with_se["se"], rtol=1e-12)


# ------------------------------------------------------------------ corrected mode
def test_corrected_scales_paf_ti_mld_se():
    df = _case("SYN5_anaemia_region")
    heat = ineq.summarize(df, measures=["PAF", "TI", "MLD", "SII"]).tidy().set_index("measure")
    cor = ineq.summarize(df, measures=["PAF", "TI", "MLD"], method="corrected").tidy().set_index("measure")
    assert_allclose(cor.loc["PAF", "se"], 100 * heat.loc["PAF", "se"], rtol=1e-12)
    for m in ("TI", "MLD"):
        assert_allclose(cor.loc[m, "se"], 1000 * heat.loc[m, "se"], rtol=1e-12)
        assert_allclose(cor.loc[m, "ci_high"] - cor.loc[m, "ci_low"],
                        1000 * (heat.loc[m, "ci_high"] - heat.loc[m, "ci_low"]), rtol=1e-9)


def _glm_sii(df: pd.DataFrame, power: int) -> float:
    """Independent check with statsmodels: logistic GLM of k/N' on the ridit, weights N'^power."""
    d = df.sort_values("subgroup_order")
    n = np.ceil(d["population"].to_numpy())
    p = n / n.sum()
    x = np.cumsum(p) - p / 2
    y = np.round(d["estimate"].to_numpy() / 100 * n) / n
    fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial(), var_weights=n**power).fit(tol=1e-14)
    b0, b1 = fit.params
    return 100 * (1 / (1 + np.exp(-(b0 + b1))) - 1 / (1 + np.exp(-b0)))


def test_sii_weights_heat_n_squared_corrected_n():
    df = _case("SYN3_vacc_education")
    heat = ineq.summarize(df, measures=["SII"]).tidy()["estimate"].iloc[0]
    cor = ineq.summarize(df, measures=["SII"], method="corrected").tidy()["estimate"].iloc[0]
    assert_allclose(heat, _glm_sii(df, 2), rtol=1e-9)
    assert_allclose(cor, _glm_sii(df, 1), rtol=1e-9)
    assert abs(heat - cor) > 1e-6


def test_corrected_mdru_uses_reference_draws():
    df = _case("testvec_nonordered25_ref")
    heat = ineq.summarize(df, measures=["MDRU", "MDBU"]).tidy().set_index("measure")
    cor = ineq.summarize(df, measures=["MDRU"], method="corrected").tidy().set_index("measure")
    # HEAT's copy-paste slip: MDRU's interval is MDBU's and excludes MDRU's own estimate
    assert_allclose(heat.loc["MDRU", ["ci_low", "ci_high"]], heat.loc["MDBU", ["ci_low", "ci_high"]])
    assert heat.loc["MDRU", "estimate"] < heat.loc["MDRU", "ci_low"]
    assert cor.loc["MDRU", "ci_low"] <= cor.loc["MDRU", "estimate"] <= cor.loc["MDRU", "ci_high"]


def test_numpy_generator_is_reproducible_and_conf_level_honoured_when_corrected():
    df = _case("SYN5_anaemia_region")
    a = ineq.summarize(df, measures=["BGSD"], method="corrected",
                       random_state=np.random.default_rng(3)).tidy()
    b = ineq.summarize(df, measures=["BGSD"], method="corrected",
                       random_state=np.random.default_rng(3)).tidy()
    pd.testing.assert_frame_equal(a, b)
    narrow = ineq.summarize(df, measures=["BGSD"], method="corrected", conf_level=0.5).tidy()
    assert narrow["ci_high"].iloc[0] - narrow["ci_low"].iloc[0] < a["ci_high"].iloc[0] - a["ci_low"].iloc[0]


def test_result_object_frozen_and_tidy_columns():
    res = ineq.summarize(_case("SYN1_stunting_residence"), measures=["D"])
    assert list(res.tidy().columns) == ["setting", "date", "source", "indicator_abbr", "dimension",
                                        "measure", "estimate", "se", "ci_low", "ci_high", "note"]
    with pytest.raises(AttributeError):
        res.method = "x"  # type: ignore[misc]
    copy = res.tidy()
    copy.loc[0, "estimate"] = -1.0
    assert_allclose(res.tidy().loc[0, "estimate"], 5.5, rtol=1e-12)


# ------------------------------------------------------------------ properties
def _stratum(kind: str, values, se, pops, scale=100.0, fav=1):
    n = len(values)
    ordered = int(kind == "ordered")
    return pd.DataFrame({
        "setting": "S", "date": 2020, "source": "SYNTHETIC", "indicator_abbr": "x",
        "dimension": kind, "subgroup": [f"g{i}" for i in range(n)], "estimate": values,
        "se": se, "population": pops, "favourable_indicator": fav, "indicator_scale": scale,
        "ordered_dimension": ordered,
        "subgroup_order": np.arange(1, n + 1) if ordered else 0,
        "reference_subgroup": [1] + [0] * (n - 1),
    })


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(["ordered", "regions", "binary"]),
       n=st.integers(3, 7), level=st.integers(100, 9800), fav=st.integers(0, 1),
       method=st.sampled_from(["heat", "healthequal", "corrected"]), data=st.data())
def test_equal_groups_mean_no_inequality(kind, n, level, fav, method, data):
    n = 2 if kind == "binary" else n
    value = level / 100  # two decimals: counts y/100*N are exact for N multiple of 10000
    pops = 10000.0 * np.array(data.draw(st.lists(st.integers(1, 80), min_size=n, max_size=n)))
    se = np.array(data.draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n)))
    df = _stratum(kind, [value] * n, se, pops, fav=fav)
    out = ineq.summarize(df, method=method).tidy().set_index("measure")
    got = out["estimate"].dropna()
    assert len(got) >= 2  # binary under healthequal: D and R only
    for m, v in got.items():
        target = 1.0 if m in ("R", "RII") else 0.0
        assert_allclose(v, target, atol=1e-9, err_msg=m)


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(["ordered", "regions"]), n=st.integers(3, 6),
       factor=st.sampled_from([10.0, 1000.0]), fav=st.integers(0, 1), data=st.data())
def test_absolute_measures_scale_relative_do_not(kind, n, factor, fav, data):
    values = np.array(data.draw(st.lists(st.floats(5, 95), min_size=n, max_size=n, unique=True)))
    se = np.array(data.draw(st.lists(st.floats(0.5, 3), min_size=n, max_size=n)))
    pops = np.array(data.draw(st.lists(st.integers(200, 5000), min_size=n, max_size=n)), dtype=float)
    base = ineq.summarize(_stratum(kind, values, se, pops, scale=1000.0, fav=fav),
                          method="heat").tidy().set_index("measure")
    scaled = ineq.summarize(_stratum(kind, values * factor, se * factor, pops,
                                     scale=1000.0 * factor, fav=fav),
                            method="heat").tidy().set_index("measure")
    for m in base.index[base["estimate"].notna()]:
        mult = factor if m in ABSOLUTE else factor**2 if m == "BGV" else 1.0
        assert m in ABSOLUTE + RELATIVE + ["BGV"]
        for col in ("estimate", "ci_low", "ci_high"):
            assert_allclose(scaled.loc[m, col], mult * base.loc[m, col], rtol=1e-7, atol=1e-9,
                            err_msg=f"{m} {col}")


# ------------------------------------------------------------------ gap_trend
def _series(urban, rural, years, se=None):
    rows = []
    for i, y in enumerate(years):
        for a, v in (("urban", urban[i]), ("rural", rural[i])):
            rows.append(dict(setting="CN", date=y, source="SYNTHETIC", indicator_abbr="imr",
                             dimension="Place of residence", subgroup=a, estimate=v,
                             se=np.nan if se is None else se[i], favourable_indicator=0,
                             indicator_scale=1000, ordered_dimension=0,
                             reference_subgroup=int(a == "urban")))
    return pd.DataFrame(rows)


def test_gap_trend_without_se_is_ols():
    years = np.arange(2000, 2011)
    rng = np.random.default_rng(4)
    urban = 10 - 0.3 * (years - 2000) + rng.normal(0, 0.2, years.size)
    rural = 25 - 1.0 * (years - 2000) + rng.normal(0, 0.4, years.size)
    t = ineq.gap_trend(_series(urban, rural, years)).tidy().set_index(["measure", "quantity"])
    fit = sm.OLS(rural - urban, sm.add_constant(years.astype(float))).fit()
    assert_allclose(t.loc[("D", "slope"), "estimate"], fit.params[1], rtol=1e-9)
    assert_allclose(t.loc[("D", "slope"), ["ci_low", "ci_high"]].to_numpy(dtype=float),
                    fit.conf_int()[1], rtol=1e-9)
    assert t.loc[("D", "slope"), "verdict"] == "narrowing"
    assert_allclose(t.loc[("D", "change"), "estimate"], (rural - urban)[-1] - (rural - urban)[0], rtol=1e-12)
    assert np.isnan(t.loc[("D", "change"), "ci_low"]) and "no subgroup SEs" in t.loc[("D", "change"), "note"]
    lr = np.log(rural / urban)
    fit_r = sm.OLS(lr, sm.add_constant(years.astype(float))).fit()
    assert_allclose(t.loc[("R", "slope"), "estimate"], 100 * np.expm1(fit_r.params[1]), rtol=1e-9)


def test_gap_trend_with_se_is_weighted():
    years = np.array([2005, 2010, 2015, 2020])
    urban = np.array([12.0, 9.0, 7.0, 5.0])
    rural = np.array([30.0, 21.0, 15.0, 10.0])
    se = np.array([1.0, 0.8, 0.7, 0.5])
    t = ineq.gap_trend(_series(urban, rural, years, se)).tidy().set_index(["measure", "quantity"])
    d_se = np.sqrt(2) * se
    fit = sm.WLS(rural - urban, sm.add_constant(years.astype(float)), weights=1 / d_se**2).fit()
    # known variances: the slope's SE does not use the residual scale
    assert_allclose(t.loc[("D", "slope"), "estimate"], fit.params[1], rtol=1e-9)
    assert_allclose(t.loc[("D", "slope"), "se"], fit.bse[1] / np.sqrt(fit.scale), rtol=1e-9)
    ch = t.loc[("D", "change")]
    assert_allclose(ch["se"], np.hypot(d_se[0], d_se[-1]), rtol=1e-12)
    assert ch["verdict"] == "narrowing"
    ratio = t.loc[("R", "change"), "estimate"]
    assert_allclose(ratio, (10 / 5) / (30 / 12), rtol=1e-12)


def test_gap_trend_widening_and_explicit_dates():
    years = [2000, 2005, 2010]
    t = ineq.gap_trend(_series([10, 9, 8], [12, 15, 18], years, se=[0.2, 0.2, 0.2]),
                       dates=(2000, 2005)).tidy().set_index(["measure", "quantity"])
    assert t.loc[("D", "change"), "date_end"] == 2005
    assert_allclose(t.loc[("D", "change"), "estimate"], 6 - 2, rtol=1e-12)
    assert t.loc[("D", "change"), "verdict"] == "widening"


# ------------------------------------------------------------------ adapter
def test_from_warehouse_residence():
    wh = pd.DataFrame({
        "indicator": "nmr", "geo": "CN-WEST", "area": ["urban", "rural", "total"] * 2,
        "year": [2014] * 3 + [2015] * 3, "value": [4.5, 9.1, 7.5, 4.1, 7.9, 6.2],
        "unit": "per 1000 live births", "source_id": "mchss"})
    t = ineq.from_warehouse(wh)  # direction from the catalog: nmr is adverse
    assert len(t) == 4
    assert (t["favourable_indicator"] == 0).all() and (t["indicator_scale"] == 1000).all()
    assert t.loc[t["subgroup"] == "urban", "reference_subgroup"].eq(1).all()
    assert t["se"].isna().all()  # mortality: no SE is invented
    assert_allclose(t["setting_average"].unique(), [7.5, 6.2])
    out = ineq.summarize(t, measures=["D", "R", "PAR"]).tidy()
    d = out.loc[out["measure"] == "D"].sort_values("date")["estimate"].to_numpy()
    assert_allclose(d, [9.1 - 4.5, 7.9 - 4.1], rtol=1e-12)
    assert out.loc[out["measure"] == "D", "ci_low"].isna().all()


def test_from_warehouse_regions_and_direction_errors():
    wh = pd.DataFrame({"indicator": "x", "geo": ["CN-EAST", "CN-CENTRAL", "CN-WEST"],
                       "area": "rural", "year": 2015, "value": [40.0, 50.0, 55.0],
                       "unit": "percent", "source_id": "s", "se": [1.0, 1.2, 1.5]})
    t = ineq.from_warehouse(wh, by="geo", favourable=True)
    assert (t["dimension"] == "Region").all() and (t["indicator_scale"] == 100).all()
    assert t["setting"].iloc[0] == "CN (rural)"
    out = ineq.summarize(t, measures=["BGV"]).tidy()
    assert np.isnan(out["estimate"]).all()  # no populations in the warehouse
    with pytest.raises(ParameterError, match="favourable"):
        ineq.from_warehouse(wh.assign(indicator="births"))


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(["ordered", "regions", "binary"]), n=st.integers(1, 8),
       method=st.sampled_from(["heat", "healthequal", "corrected"]), data=st.data())
def test_never_crashes_and_every_na_has_a_reason(kind, n, method, data):
    n = min(n, 2) if kind == "binary" else n
    maybe = lambda lo, hi: st.one_of(st.none(), st.floats(lo, hi))  # noqa: E731
    values = [np.nan if v is None else v for v in data.draw(st.lists(maybe(0, 100), min_size=n, max_size=n))]
    se = [np.nan if v is None else v for v in data.draw(st.lists(maybe(0, 5), min_size=n, max_size=n))]
    pops = [np.nan if v is None else v for v in data.draw(st.lists(maybe(2, 1e5), min_size=n, max_size=n))]
    df = _stratum(kind, values, se, pops, fav=data.draw(st.integers(0, 1)))
    df["reference_subgroup"] = 0
    if data.draw(st.booleans()):
        df.loc[data.draw(st.integers(0, n - 1)), "reference_subgroup"] = 1
    out = ineq.summarize(df, method=method).tidy()
    assert len(out) == 21
    missing = out["estimate"].isna()
    assert out.loc[missing, "note"].str.len().gt(0).all()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 14), slope=st.floats(-1.5, -0.2), seed=st.integers(0, 10_000))
def test_gap_trend_gives_no_verdict_below_the_minimum_points(n, slope, seed):
    from ecd.trends import MIN_TREND_POINTS

    rng = np.random.default_rng(seed)
    years = np.arange(2000, 2000 + 2 * n, 2)
    urban = 8 + rng.normal(0, 0.1, n)
    rural = urban + 12 + slope * (years - 2000) / 2 + rng.normal(0, 0.1, n)
    t = ineq.gap_trend(_series(urban, rural, years)).tidy().set_index(["measure", "quantity"])
    d = t.loc[("D", "slope")]
    fit = np.polyfit(years, rural - urban, 1)[0]
    assert_allclose(d["estimate"], fit, rtol=1e-8)  # the change is always reported …
    if n < MIN_TREND_POINTS:  # … but an interval and a verdict only from the minimum number of points on
        assert d["verdict"] == "too few points" and np.isnan(d["ci_low"]) and np.isnan(d["ci_high"])
        assert t.loc[("R", "slope"), "verdict"] == "too few points"
        assert ineq.VERDICT_ZH[d["verdict"]] == "数据点不足，不作判断"
    else:
        assert d["verdict"] in {"narrowing", "widening", "no clear change"} and np.isfinite(d["ci_low"])


def test_gap_trend_min_points_is_checked():
    years = np.arange(2000, 2004)
    with pytest.raises(ParameterError, match="min_points"):
        ineq.gap_trend(_series([1, 2, 3, 4], [2, 3, 4, 5], years), min_points=2)
    t = ineq.gap_trend(_series([5, 4, 3, 2.5], [15, 12, 10, 8], years), min_points=3).tidy()
    assert (t.loc[t["quantity"] == "slope", "verdict"] != "too few points").all()
