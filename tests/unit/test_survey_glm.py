"""ecd.survey.glm and GLMResult.margins against R survey 4.1.1 (svyglm, svypredmeans) and
marginaleffects 0.23.0; bad input.

Expected values: tests/reference/survey/glm_reference.csv from make_glm.R (see PROVENANCE.md).
Coefficients, SEs, t, CIs and df at rel 1e-8 (the converged R fits); p-values at rel 1e-6 (a
p-value of 1e-10 moves by 1e-7 relative when its t moves by 1e-9); marginaleffects' delta-method
SEs at rel 1e-6 (it differentiates numerically).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ecd.errors import MissingDataError, ModelError, ParameterError
from ecd.survey import Design, glm

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
EXPECTED = pd.read_csv(REF / "glm_reference.csv")

MODELS = [
    ("g_strat", "api_strat", "api00 ~ ell + meals + mobility", "gaussian"),
    ("g_strat_factor", "api_strat", "api00 ~ ell + meals + stype", "gaussian"),
    ("b_strat", "api_strat", "sch_wide ~ ell + meals + stype", "quasibinomial"),
    ("b_strat_binomial", "api_strat", "sch_wide ~ ell + meals + stype", "binomial"),
    ("p_strat", "api_strat", "enroll ~ meals + stype", "quasipoisson"),
    ("g_clus", "api_clus1", "api00 ~ ell + meals + mobility", "gaussian"),
    ("b_clus", "api_clus1", "comp_imp ~ api99 + stype", "quasibinomial"),
    ("p_clus", "api_clus1", "enroll ~ meals + stype", "poisson"),
    ("b_child", "child_fpc", "stunted ~ urban_rural + sex + age_group + hh_kids", "quasibinomial"),
    ("b_child_nofpc", "child_nofpc", "stunted ~ urban_rural + sex + age_group + hh_kids", "quasibinomial"),
    ("g_child_na", "child_fpc", "haz_na ~ urban_rural + age_group + sex", "gaussian"),
    ("g_child_inter", "child_fpc", "haz ~ urban_rural * age_group", "gaussian"),
    ("p_child", "child_fpc", "hh_kids ~ urban_rural + region", "quasipoisson"),
]


@lru_cache(maxsize=None)
def design(name: str) -> Design:
    if name.startswith("api"):
        data = pd.read_csv(REF / ("apistrat.csv" if name == "api_strat" else "apiclus1.csv"))
        data["sch_wide"] = (data["sch.wide"] == "Yes").astype(float)
        data["comp_imp"] = (data["comp.imp"] == "Yes").astype(float)
        if name == "api_strat":
            return Design(data, strata="stype", weights="pw", fpc="fpc")
        return Design(data, psu="dnum", weights="pw", fpc="fpc")
    data = pd.read_csv(REF / "child_survey.csv")
    return Design(data, strata="stratum", psu="psu", weights="weight",
                  fpc="fpc_psu_N" if name == "child_fpc" else None)


def r_term(term: str) -> str:
    """formulaic's term name as R's (``age_group[T.12-23m]`` -> ``age_group12-23m``)."""
    if term == "Intercept":
        return "(Intercept)"
    return ":".join(re.sub(r"^(?:C\()?([^\[\)]+)\)?\[T\.(.*)\]$", r"\1\2", p) for p in term.split(":"))


@pytest.mark.parametrize("name, des, formula, family", MODELS, ids=[m[0] for m in MODELS])
def test_svyglm_matches_r(name, des, formula, family):
    fit = glm(formula, design(des), family=family, na="drop")
    ours = fit.tidy().assign(term=lambda t: t["term"].map(r_term)).set_index("term")
    ref = EXPECTED[EXPECTED["model"] == name]
    for stat, rtol in [("estimate", 1e-8), ("se", 1e-8), ("statistic", 1e-8), ("ci_low", 1e-8),
                       ("ci_high", 1e-8), ("df", 0), ("p_value", 1e-6)]:
        r = ref[ref["stat"] == stat].set_index("term")["value"]
        assert sorted(r.index) == sorted(ours.index)
        assert_allclose(ours.loc[r.index, stat].to_numpy(), r.to_numpy(), rtol=rtol, atol=0,
                        err_msg=f"{name} {stat}")
    cov = ref[ref["stat"] == "cov"]
    a, b = cov["term"].iloc[0].split("|")
    names = [r_term(t) for t in fit.terms]
    assert_allclose(fit.vcov_matrix[names.index(a), names.index(b)], cov["value"].iloc[0], rtol=1e-8)
    assert fit.n == ref.loc[ref["stat"] == "n", "value"].iloc[0]


def test_binomial_equals_quasibinomial():
    a = glm("stunted ~ urban_rural + sex", design("child_fpc"), family="binomial").tidy()
    b = glm("stunted ~ urban_rural + sex", design("child_fpc"), family="quasibinomial").tidy()
    pd.testing.assert_frame_equal(a, b)


MARGINS = [
    ("margins_child_urban_rural", "stunted ~ urban_rural + sex + age_group + hh_kids", "child_fpc",
     "urban_rural", "binomial"),
    ("margins_child_age_group", "stunted ~ urban_rural + sex + age_group + hh_kids", "child_fpc",
     "age_group", "binomial"),
    ("margins_strat_stype", "api00 ~ ell + meals + stype", "api_strat", "stype", "gaussian"),
    ("margins_child_poisson", "hh_kids ~ urban_rural + sex + age_group", "child_fpc", "urban_rural",
     "poisson"),
]


@pytest.mark.parametrize("label, formula, des, var, family", MARGINS, ids=[m[0] for m in MARGINS])
@pytest.mark.parametrize("vce, rtol_se", [("unconditional", 1e-9), ("svypredmeans", 1e-7), ("delta", 1e-6)])
def test_margins_match_r(label, formula, des, var, family, vce, rtol_se):
    fit = glm(formula, design(des), family=family)
    t = fit.margins(var, vce=vce).tidy()
    t["key"] = [s.replace(f"{var}=", "") for s in t["term"]]
    t = t.set_index("key")
    ref = EXPECTED[(EXPECTED["model"] == label) & EXPECTED["stat"].str.startswith(vce)].copy()
    # marginaleffects names contrasts "mean(b) - mean(a)"
    ref["term"] = ref["term"].str.replace(r"mean\((.*?)\)", r"\1", regex=True)
    for stat, rtol in [("estimate", 1e-9), ("se", rtol_se)]:
        r = ref[ref["stat"] == f"{vce}_{stat}"].set_index("term")["value"]
        assert len(r) >= 2 and set(r.index) <= set(t.index)
        assert_allclose(t.loc[r.index, stat].to_numpy(), r.to_numpy(), rtol=rtol, err_msg=f"{label} {vce} {stat}")


def test_margins_of_a_numeric_variable_is_the_average_derivative():
    d = design("child_fpc")
    fit = glm("stunted ~ urban_rural + hh_kids", d, family="binomial")
    m = fit.margins("hh_kids").tidy()
    b = fit.coef[list(fit.terms).index("hh_kids")]
    mu = fit.predict()
    w = d._w
    assert m["kind"].tolist() == ["slope"]
    assert_allclose(m["estimate"].iloc[0], np.sum(w * mu * (1 - mu) * b) / w.sum(), rtol=1e-7)
    # a linear model's average slope is its coefficient, with the coefficient's SE under "delta"
    lin = glm("haz ~ urban_rural + hh_kids", d)
    ml = lin.margins("hh_kids", vce="delta").tidy()
    k = list(lin.terms).index("hh_kids")
    assert_allclose(ml["estimate"].iloc[0], lin.coef[k], rtol=1e-8)
    assert_allclose(ml["se"].iloc[0], lin.se[k], rtol=1e-6)


def test_margins_of_a_0_1_column_are_those_of_the_same_factor():
    data = pd.read_csv(REF / "child_survey.csv").assign(
        rural=lambda d: (d["urban_rural"] == "rural").astype(int))
    d = Design(data, strata="stratum", psu="psu", weights="weight", fpc="fpc_psu_N")
    m01 = glm("stunted ~ rural + sex + age_group + hh_kids", d, family="binomial").margins("rural").tidy()
    assert m01["term"].tolist() == ["rural=0", "rural=1", "rural=1 - rural=0"]
    ref = EXPECTED[(EXPECTED["model"] == "margins_child_urban_rural") & (EXPECTED["stat"] == "unconditional_se")]
    ref = ref.set_index("term")["value"]
    assert_allclose(m01["se"].to_numpy(), ref[["urban", "rural", "urban - rural"]].to_numpy(), rtol=1e-9)


# ---------------------------------------------------------------- bad input
def test_formula_naming_a_missing_column():
    with pytest.raises(ParameterError, match="mothered"):
        glm("stunted ~ urban_rural + mothered", design("child_fpc"), family="binomial")


def test_missing_values_raise_by_default_and_name_rows():
    with pytest.raises(MissingDataError, match="haz_na"):
        glm("haz_na ~ sex", design("child_fpc"))


def test_perfect_separation_is_an_error():
    data = pd.read_csv(REF / "child_survey.csv")
    data["sep"] = (data["haz"] < -2.5).astype(int)
    d = Design(data, strata="stratum", psu="psu", weights="weight")
    with pytest.raises(ModelError, match="separation"):
        glm("sep ~ haz + sex", d, family="binomial")


def test_singular_design_matrix_names_the_collinear_terms():
    data = pd.read_csv(REF / "child_survey.csv")
    data["rural01"] = (data["urban_rural"] == "rural").astype(float)
    d = Design(data, strata="stratum", psu="psu", weights="weight")
    with pytest.raises(ModelError, match="singular design matrix"):
        glm("haz ~ urban_rural + rural01", d)


def test_response_outside_binomial_range():
    with pytest.raises(Exception, match="in \\[0, 1\\]"):
        glm("hh_kids ~ sex", design("child_fpc"), family="binomial")


def test_unknown_family_and_margins_variable():
    with pytest.raises(ParameterError, match="family"):
        glm("haz ~ sex", design("child_fpc"), family="gamma")
    fit = glm("haz ~ sex", design("child_fpc"))
    with pytest.raises(ParameterError, match="var"):
        fit.margins("region")
