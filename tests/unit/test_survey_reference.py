"""``ecd.survey`` against R ``survey`` 4.1.1 (tests/reference/survey/PROVENANCE.md).

Every row of ``r_survey_reference.csv`` is compared: estimates and SEs at rel 1e-9,
CIs at rel 1e-7, df exact, deff "exact" (rel 1e-12: the reference prints 15 digits).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ecd.survey import Design

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
RTOL_EST = 1e-9
RTOL_CI = 1e-7
RTOL_DEFF = 1e-12

EXPECTED = pd.read_csv(REF / "r_survey_reference.csv", keep_default_na=False)
DESIGNS = pd.read_csv(REF / "r_designs.csv")


@lru_cache(maxsize=None)
def _data(name: str) -> pd.DataFrame:
    df = pd.read_csv(REF / f"{name}.csv")
    if "ell" in df:
        df["ell_zero"] = (df["ell"] == 0).astype(int)
    return df


@lru_cache(maxsize=None)
def design(name: str) -> Design:
    fpc = not name.endswith("_nofpc")
    if name.startswith("api_strat"):
        return Design(_data("apistrat"), strata="stype", weights="pw", fpc="fpc" if fpc else None)
    if name.startswith("api_clus1"):
        return Design(_data("apiclus1"), psu="dnum", weights="pw", fpc="fpc" if fpc else None)
    return Design(_data("child_survey"), strata="stratum", psu="psu", weights="weight",
                  fpc="fpc_psu_N" if fpc else None)


def _with_ci(res):
    tz = res.tidy("z")
    tt = res.tidy("t")
    tz["ci_lo_z"], tz["ci_hi_z"] = tz["ci_low"], tz["ci_high"]
    tz["ci_lo_t"], tz["ci_hi_t"] = tt["ci_low"], tt["ci_high"]
    return tz


def compute(dname: str, call: str) -> dict:
    """Our numbers for one R call: {(estimand, domain): {stat: value}}."""
    d = design(dname)
    out: dict = {}

    def put(tidy, estimand=None, domain_col="domain"):
        for _, r in tidy.iterrows():
            key = (estimand or r["variable"], r[domain_col] if domain_col else "all")
            vals = out.setdefault(key, {})
            for stat in ("estimate", "se", "deff", "deff_replace", "ci_lo_z", "ci_hi_z",
                         "ci_lo_t", "ci_hi_t", "ci_lo", "ci_hi", "ci_lo_confint_wald",
                         "ci_hi_confint_wald", "degf_domain"):
                if stat in r:
                    vals[stat] = r[stat]

    m = re.match(r"svymean\(~(.+?)(, deff=.*)?\)$", call)
    if call.startswith("svymean(~stunted+haz, subset"):
        put(_with_ci(d.mean(["stunted", "haz"], by="urban_rural")))
        return out
    if m and "na.rm" not in call:
        vars_ = [v.strip() for v in m.group(1).split("+")]
        t = _with_ci(d.mean(vars_))
        t["variable"] = t["variable"].str.replace("=", "", regex=False)
        put(t, domain_col=None)
        return out
    if call == "svymean(~haz_na, na.rm=TRUE)":
        put(_with_ci(d.mean("haz_na", na="drop")), domain_col=None)
        return out
    m = re.match(r"svytotal\(~(\w+), deff=TRUE\)$", call)
    if m:
        put(_with_ci(d.total(m.group(1))), domain_col=None)
        return out
    m = re.match(r"svyratio\(~([\w.]+), ~([\w.]+)\)$", call)
    if m:
        put(d.ratio(m.group(1), m.group(2)).tidy(), domain_col=None)
        return out
    m = re.match(r"svyciprop\((.+), method='(\w+)'\)$", call)
    if m:
        target, method = m.groups()
        var, level = {"I(sch.wide == 'Yes')": ("sch.wide", "Yes"),
                      "I(ell == 0)": ("ell_zero", 1), "stunted": ("stunted", 1)}[target]
        r = d.proportion(var, level=level, ci=method).tidy()
        r["ci_lo"], r["ci_hi"] = r["ci_low"], r["ci_high"]
        put(r, estimand=target, domain_col=None)
        if dname.startswith("child"):
            r = d.proportion(var, level=level, ci=method, by="urban_rural").tidy()
            r["ci_lo"], r["ci_hi"] = r["ci_low"], r["ci_high"]
            put(r, estimand=target)
        return out
    if call.startswith("degf(subset"):
        r = d.mean("stunted", by="urban_rural").tidy()
        r["degf_domain"] = r["df"]
        put(r, estimand="degf")
        return out
    m = re.match(r"svyby\(~(.+?), ~([\w+]+), (svymean|svytotal|svyciprop)(.*)\)", call)
    if m:
        target, by, fun, rest = m.groups()
        by = by.split("+")
        if fun == "svyciprop":
            method = re.search(r"method='(\w+)'", rest).group(1)
            var, level = ("sch.wide", "Yes") if "sch.wide" in target else (target, 1)
            res = d.proportion(var, level=level, ci=method, by=by)
            r = res.tidy()
            wald = res.tidy("z")
            r["ci_lo"], r["ci_hi"] = r["ci_low"], r["ci_high"]
            r["ci_lo_confint_wald"], r["ci_hi_confint_wald"] = wald["ci_low"], wald["ci_high"]
            r["degf_domain"] = r["df"]
            put(r, estimand="domain_prop")
        else:
            res = (d.mean if fun == "svymean" else d.total)(target, by=by)
            put(_with_ci(res), estimand="domain_mean" if fun == "svymean" else "domain_total")
        return out
    m = re.match(r"svycontrast\(svyby\(~(\w+),\s*~(\w+).*\), (\S+) - (\S+)\)$", call)
    if m:
        var, by, a, b = m.groups()
        res = d.mean(var, by=by)
        c = d.contrast(res, {"c": {a: 1, b: -1}}).tidy()
        est = EXPECTED.loc[(EXPECTED.design == dname) & (EXPECTED.call == call), "estimand"].iloc[0]
        vals = out.setdefault((est, "contrast"), {})
        vals.update(estimate=c["estimate"][0], se=c["se"][0], ci_lo_z=c["ci_low"][0],
                    ci_hi_z=c["ci_high"][0], cov_between_domains=res.vcov.loc[a, b])
        return out
    raise AssertionError(f"no mapping for {call!r}")


CASES = [(d, c) for (d, c), _ in EXPECTED.groupby(["design", "call"], sort=False)]


@pytest.mark.parametrize(("dname", "call"), CASES, ids=[f"{d}:{c}" for d, c in CASES])
def test_matches_r_survey(dname, call):
    ours = compute(dname, call)
    exp = EXPECTED[(EXPECTED.design == dname) & (EXPECTED.call == call)]
    assert len(exp) > 0
    for _, row in exp.iterrows():
        key = (row["estimand"], row["domain"])
        assert key in ours, f"{key} not computed; have {sorted(ours)[:8]}"
        stat = row["stat"]
        got = ours[key][stat]
        want = float(row["value"])
        if stat == "degf_domain":
            assert got == want, (key, stat)
            continue
        rtol = RTOL_CI if stat.startswith("ci_") else RTOL_DEFF if stat.startswith("deff") else RTOL_EST
        atol = 1e-15 if stat == "cov_between_domains" else 0.0
        assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"{dname} {call} {key} {stat}")


@pytest.mark.parametrize("row", DESIGNS.to_dict("records"), ids=list(DESIGNS["design"]))
def test_design_summary(row):
    d = design(row["design"])
    assert (d.n, d.n_psu, d.n_strata, d.df) == (row["n_obs"], row["n_psu"], row["n_strata"], row["degf"])
    assert_allclose(d._w.sum(), row["sum_weights"], rtol=1e-12)
