"""``ecd.survey``: bad input gives named errors; invariants hold on seeded synthetic designs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ecd.errors import DataError, DesignError, MissingDataError, ParameterError
from ecd.survey import Design


def synthetic(seed: int = 0, n_strata: int = 4, psu_per: int = 3, per_psu: int = 8) -> pd.DataFrame:
    """A seeded stratified cluster sample with a 0/1 outcome, a z-score and two domains."""
    rng = np.random.default_rng(seed)
    rows = n_strata * psu_per * per_psu
    stratum = np.repeat(np.arange(n_strata), psu_per * per_psu)
    psu = np.repeat(np.arange(n_strata * psu_per), per_psu)
    effect = rng.normal(0, 0.5, n_strata * psu_per)[psu]
    haz = rng.normal(-1 + effect, 1.0)
    return pd.DataFrame({
        "stratum": stratum, "psu": psu,
        "weight": rng.uniform(5, 50, rows),
        "urban": rng.choice(["urban", "rural"], rows),
        "sex": rng.choice(["f", "m"], rows),
        "haz": haz, "stunted": (haz < -2).astype(int),
        "N": psu_per * 10,
    })


# ----------------------------------------------------------------------------- bad input
def test_negative_weight_names_rows():
    df = synthetic()
    df.loc[[3, 7], "weight"] = -1.0
    with pytest.raises(DesignError, match=r"negative in row\(s\) 3, 7"):
        Design(df, strata="stratum", psu="psu", weights="weight")


def test_missing_weight_names_rows():
    df = synthetic()
    df.loc[5, "weight"] = np.nan
    with pytest.raises(DesignError, match=r"weights column 'weight' is missing .* row\(s\) 5;"):
        Design(df, strata="stratum", psu="psu", weights="weight")


@pytest.mark.parametrize("col", ["stratum", "psu"])
def test_missing_strata_or_psu_names_rows(col):
    df = synthetic().astype({col: float})
    df.loc[[0, 11], col] = np.nan
    with pytest.raises(DesignError, match=rf"{col}.*missing in row\(s\) 0, 11"):
        Design(df, strata="stratum", psu="psu", weights="weight")


def test_one_psu_stratum_fails_and_names_stratum():
    df = synthetic()
    df = df[~((df.stratum == 2) & (df.psu != 6))]
    with pytest.raises(DesignError, match=r"stratum 2 has only one PSU.*lonely_psu="):
        Design(df, strata="stratum", psu="psu", weights="weight")
    # the other options build
    for opt in ("remove", "certainty", "adjust", "average"):
        Design(df, strata="stratum", psu="psu", weights="weight", lonely_psu=opt).mean("haz")


def test_proportion_needs_zero_one():
    df = synthetic()
    df.loc[4, "stunted"] = 2
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    with pytest.raises(DataError, match=r"'stunted' is not 0/1: row\(s\) 4 hold \[2.0\]"):
        d.proportion("stunted")


def test_by_with_missing_values():
    df = synthetic()
    df.loc[9, "urban"] = None
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    with pytest.raises(MissingDataError, match=r"by column 'urban' is missing in row\(s\) 9"):
        d.mean("haz", by="urban")


def test_fpc_smaller_than_sample():
    df = synthetic()
    df["N"] = np.where(df.stratum == 1, 2, 30)
    with pytest.raises(DesignError, match=r"stratum 1: fpc 2 < 3 sampled"):
        Design(df, strata="stratum", psu="psu", weights="weight", fpc="N")


def test_fpc_not_constant_within_stratum():
    df = synthetic()
    df.loc[0, "N"] = 99
    with pytest.raises(DesignError, match=r"not constant within stratum 0"):
        Design(df, strata="stratum", psu="psu", weights="weight", fpc="N")


def test_psu_not_nested_requires_nest():
    df = synthetic()
    df["psu_in"] = df.groupby("stratum")["psu"].rank(method="dense").astype(int)
    with pytest.raises(DesignError, match=r"nest=True"):
        Design(df, strata="stratum", psu="psu_in", weights="weight")
    a = Design(df, strata="stratum", psu="psu_in", weights="weight", nest=True).mean("haz").tidy()
    b = Design(df, strata="stratum", psu="psu", weights="weight").mean("haz").tidy()
    assert_allclose(a["se"], b["se"], rtol=1e-12)


def test_missing_variable_raise_and_drop():
    df = synthetic()
    df.loc[[1, 2], "haz"] = np.nan
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    with pytest.raises(MissingDataError, match=r"row\(s\) 1, 2.*na=\"drop\""):
        d.mean("haz")
    assert d.mean("haz", na="drop").tidy()["n"][0] == len(df) - 2


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"lonely_psu": "bogus"}, "lonely_psu"), ({"weights": "nope"}, "weights"),
    ({"psu": "nope"}, "psu"), ({"fpc": ["N", "N"]}, "fpc")])
def test_bad_parameters(kwargs, name):
    args = {"strata": "stratum", "psu": "psu", "weights": "weight"} | kwargs
    with pytest.raises(ParameterError) as err:
        Design(synthetic(), **args)
    assert err.value.name == name


def test_bad_ci_and_unknown_contrast_term():
    d = Design(synthetic(), strata="stratum", psu="psu", weights="weight")
    with pytest.raises(ParameterError, match="ci"):
        d.proportion("stunted", ci="wilson")
    r = d.mean("haz", by="urban")
    with pytest.raises(ParameterError, match=r"term 'town' is not an estimate"):
        d.contrast(r, {"x": {"town": 1}})


# ----------------------------------------------------------------------------- invariants
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3))
def test_scaling_weights_leaves_means_unchanged(seed, scale):
    df = synthetic(seed)
    d1 = Design(df, strata="stratum", psu="psu", weights="weight")
    d2 = Design(df.assign(weight=df.weight * scale), strata="stratum", psu="psu", weights="weight")
    for a, b in ((d1.mean("haz", by="urban"), d2.mean("haz", by="urban")),
                 (d1.proportion("stunted", by="sex"), d2.proportion("stunted", by="sex"))):
        ta, tb = a.tidy(), b.tidy()
        assert_allclose(ta["estimate"], tb["estimate"], rtol=1e-9)
        assert_allclose(ta["se"], tb["se"], rtol=1e-9)
    # totals scale with the weights, their SEs too
    assert_allclose(d2.total("haz").se, scale * d1.total("haz").se, rtol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n_strata=st.integers(2, 6))
def test_one_psu_per_stratum_fails(seed, n_strata):
    df = synthetic(seed, n_strata=n_strata, psu_per=1)
    with pytest.raises(DesignError, match="has only one PSU"):
        Design(df, strata="stratum", psu="psu", weights="weight")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_domain_estimates_combine_to_total(seed):
    df = synthetic(seed)
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    by = d.total("haz", by="urban")
    whole = d.total("haz")
    # totals over a partition add up, and so does their covariance
    assert_allclose(by.estimate.sum(), whole.estimate[0], rtol=1e-12)
    assert_allclose(by.vcov_matrix.sum(), whole.se[0] ** 2, rtol=1e-9)
    # a contrast's variance uses the off-diagonal covariance
    c = d.contrast(by, {"u-r": {"urban": 1, "rural": -1}})
    v = by.vcov_matrix
    assert_allclose(c.se[0] ** 2, v[0, 0] + v[1, 1] - 2 * v[0, 1], rtol=1e-12)


def test_srs_without_design_matches_textbook():
    rng = np.random.default_rng(1)
    y = rng.normal(size=50)
    r = Design(pd.DataFrame({"y": y})).mean("y")
    assert_allclose(r.se[0], y.std(ddof=1) / np.sqrt(50), rtol=1e-12)
    assert r.df[0] == 49


def test_tidy_columns_and_vcov_frame():
    d = Design(synthetic(), strata="stratum", psu="psu", weights="weight")
    t = d.proportion("stunted", by=["urban", "sex"], ci="beta").tidy()
    assert list(t.columns) == ["variable", "urban", "sex", "domain", "estimate", "se", "ci_low",
                               "ci_high", "ci_method", "df", "deff", "deff_replace", "n", "note"]
    r = d.proportion("stunted", by=["urban", "sex"])
    assert list(r.vcov.index) == list(t["domain"])
    assert (t["ci_low"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_high"]).all()


@pytest.mark.parametrize("module", ["ecd.survey", "ecd.survey._design"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_certainty_stratum_with_one_psu_is_not_lonely():
    # fpc equal to the one sampled PSU: sampled with certainty, zero variance, no error (as R)
    df = synthetic()
    df = df[~((df.stratum == 2) & (df.psu != 6))].copy()
    df["N"] = np.where(df.stratum == 2, 1, 30)
    d = Design(df, strata="stratum", psu="psu", weights="weight", fpc="N")
    removed = Design(df, strata="stratum", psu="psu", weights="weight", fpc="N", lonely_psu="remove")
    assert_allclose(d.mean("haz").se, removed.mean("haz").se, rtol=1e-12)


@pytest.mark.parametrize("statistic", ["mean", "total"])
def test_drop_each_equals_one_call_per_variable(statistic):
    df = synthetic(3)
    rng = np.random.default_rng(3)
    df["waz"] = df["haz"] + rng.normal(size=len(df))
    df.loc[rng.choice(len(df), 15, replace=False), "haz"] = np.nan
    df.loc[rng.choice(len(df), 9, replace=False), "waz"] = np.nan
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    fn = getattr(d, statistic)
    both = fn(["haz", "waz"], by="urban", na="drop_each").tidy()
    single = pd.concat([fn(v, by="urban", na="drop").tidy() for v in ("haz", "waz")], ignore_index=True)
    for col in ("estimate", "se", "deff", "deff_replace"):
        assert_allclose(both[col], single[col], rtol=1e-12, err_msg=col)
    assert both["n"].tolist() == single["n"].tolist()
    joint = fn(["haz", "waz"], by="urban", na="drop").tidy()
    assert (joint["n"] < both["n"]).all()


# ----------------------------------------------------------------------------- issue 16: API that was silently wrong
def test_one_stray_text_cell_is_refused_not_turned_into_category_shares():
    # issue 16: a haz column with one "n/a" cell became the share of each distinct value
    df = synthetic()
    df["haz"] = df["haz"].astype(object)
    df.loc[4, "haz"] = "n/a"
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    with pytest.raises(DataError, match=r"column 'haz' holds numbers and text: row\(s\) 4 hold 'n/a'.*pd.to_numeric"):
        d.mean("haz")


def test_numbers_stored_as_text_are_refused_but_text_labels_still_give_shares():
    df = synthetic()
    df["stunted_txt"] = df["stunted"].astype(str)
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    with pytest.raises(DataError, match=r"column 'stunted_txt' holds numbers stored as text \(e.g. '[01]'\)"):
        d.mean("stunted_txt")
    shares = d.mean("sex").tidy()
    assert_allclose(shares["estimate"].sum(), 1.0)
    # a category column is the user's explicit choice: shares, as R's factor
    df["stunted_cat"] = df["stunted"].astype("category")
    assert len(Design(df, strata="stratum", psu="psu", weights="weight").mean("stunted_cat").tidy()) == 2


def test_all_zero_weights_are_a_design_error():
    df = synthetic().assign(weight=0.0)
    with pytest.raises(DesignError, match=r"weights column 'weight' is 0 in every row"):
        Design(df, strata="stratum", psu="psu", weights="weight")


def test_negative_weight_message_shows_a_plain_number():
    df = synthetic()
    df.loc[3, "weight"] = -2.5
    with pytest.raises(DesignError) as e:
        Design(df, strata="stratum", psu="psu", weights="weight")
    assert "(e.g. -2.5)" in str(e.value) and "np." not in str(e.value)


@pytest.mark.parametrize("statistic", ["mean", "total"])
def test_all_missing_variable_with_drop_is_na_with_a_note_and_n_0(statistic):
    # issue 16: mean NaN with SE 0, total 0 with CI [0, 0]
    df = synthetic().assign(haz=np.nan)
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    t = getattr(d, statistic)("haz", na="drop").tidy()
    assert len(t) == 1
    row = t.iloc[0]
    assert np.isnan(row["estimate"]) and np.isnan(row["se"])
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    assert row["n"] == 0 and "n = 0" in row["note"]


def test_a_domain_without_values_is_na_with_a_note_and_the_others_unchanged():
    df = synthetic()
    d0 = Design(df, strata="stratum", psu="psu", weights="weight").mean("haz", by="sex", na="drop").tidy()
    df.loc[df.sex == "f", "haz"] = np.nan
    t = Design(df, strata="stratum", psu="psu", weights="weight").mean("haz", by="sex", na="drop").tidy()
    f, m = t[t.sex == "f"].iloc[0], t[t.sex == "m"].iloc[0]
    assert f["n"] == 0 and np.isnan(f["estimate"]) and "n = 0" in f["note"]
    assert m["note"] == "" and m["estimate"] == d0[d0.sex == "m"].iloc[0]["estimate"]


# the same for replicate-weight designs (ecd.survey.ReplicateDesign)
def replicate_frame(seed: int = 0, n: int = 60, R: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"y": rng.normal(size=n), "w": rng.uniform(1, 5, n), "g": rng.choice(["a", "b"], n)})
    for k in range(R):
        df[f"rw{k}"] = rng.uniform(0.5, 1.5, n)
    return df


def test_replicate_design_refuses_all_zero_weights_and_a_stray_text_cell():
    from ecd.survey import ReplicateDesign

    with pytest.raises(DesignError, match=r"weights column 'w' is 0 in every row"):
        ReplicateDesign(replicate_frame().assign(w=0.0), repweights="rw[0-9]+", weights="w")
    df = replicate_frame()
    df["y"] = df["y"].astype(object)
    df.loc[4, "y"] = "n/a"
    d = ReplicateDesign(df, repweights="rw[0-9]+", weights="w")
    for na in ("raise", "drop"):  # "n/a" is text, not a missing value: never dropped silently
        with pytest.raises(DataError, match=r"column 'y' is not numeric: row\(s\) 4 hold 'n/a'"):
            d.mean("y", na=na)


@pytest.mark.parametrize("statistic", ["mean", "total"])
def test_replicate_design_all_missing_domain_is_na_with_a_note(statistic):
    from ecd.survey import ReplicateDesign

    df = replicate_frame()
    whole = getattr(ReplicateDesign(df, repweights="rw[0-9]+", weights="w"), statistic)("y", by="g").tidy()
    df.loc[df.g == "a", "y"] = np.nan
    t = getattr(ReplicateDesign(df, repweights="rw[0-9]+", weights="w"), statistic)("y", by="g", na="drop").tidy()
    a, b = t[t.g == "a"].iloc[0], t[t.g == "b"].iloc[0]
    assert a["n"] == 0 and np.isnan(a[["estimate", "se", "ci_low", "ci_high"]].astype(float)).all()
    assert "n = 0" in a["note"] and b["note"] == ""
    assert b["estimate"] == whole[whole.g == "b"].iloc[0]["estimate"]
