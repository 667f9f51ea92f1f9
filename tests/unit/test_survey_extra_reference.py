"""Lonely PSUs, two stages, fpc as fractions, missing values, domain ratios and zero
weights against R ``survey`` 4.1.1.

Expected values come from ``tests/reference/survey/make_extra.R`` (see PROVENANCE.md);
estimates and SEs at rel 1e-9, CIs at rel 1e-7, df exact.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ecd.survey import Design

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
EXPECTED = pd.read_csv(REF / "extra_reference.csv", keep_default_na=False)


@lru_cache(maxsize=None)
def _design(name: str, lonely: str) -> Design:
    if name.startswith("lonely"):
        data = pd.read_csv(REF / "extra_lonely_input.csv")
        fpc = "fpc_psu_N" if name == "lonely_fpc" else None
        return Design(data, strata="stratum", psu="psu", weights="weight", fpc=fpc, lonely_psu=lonely)
    if name in ("na", "zero_weight"):
        data = pd.read_csv(REF / f"extra_{name}_input.csv")
        return Design(data, strata="stratum", psu="psu", weights="weight", fpc="fpc_psu_N")
    if name == "apiclus2":
        data = pd.read_csv(REF / "extra_apiclus2.csv")
        data["sch_wide_yes"] = (data["sch.wide"] == "Yes").astype(int)
        return Design(data, psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    if name == "multistage":
        data = pd.read_csv(REF / "extra_multistage_input.csv")
        return Design(data, strata="stratum", psu=["psu", "seg"], weights="weight",
                      fpc=["fpc_psu_N", "seg_N"])
    data = pd.read_csv(REF / "extra_fraction_input.csv")
    return Design(data, strata="stratum", psu="psu", weights="weight", fpc="frac")


def _ours(d: Design, call: str) -> dict:
    out = {}
    if call.startswith(("svymean(~", "svytotal(~")):
        variables = [v.strip() for v in call.split("~")[1].split(",")[0].rstrip(")").split("+")]
        na = "drop" if "na.rm" in call else "raise"
        res = (d.mean if call.startswith("svymean") else d.total)(variables, na=na)
        for _, r in res.tidy().iterrows():
            out[(r["variable"], "all", "estimate")] = r["estimate"]
            out[(r["variable"], "all", "se")] = r["se"]
            out[(r["variable"], "all", "deff")] = r["deff"]
        return out
    if call.startswith("svyby(~stunted, ~urban_rural, svyratio"):
        t = d.ratio("stunted", "hh_kids", by="urban_rural").tidy()
        for _, r in t.iterrows():
            out[("ratio", r["domain"], "estimate")] = r["estimate"]
            out[("ratio", r["domain"], "se")] = r["se"]
        return out
    if call.startswith("svyby"):
        var, by = call[len("svyby(~"):].split(", ~")[:2]
        by = by.split(",")[0]
        res = (d.total if "svytotal" in call else d.mean)(var, by=by)
        for _, r in res.tidy().iterrows():
            out[("domain", r["domain"], "estimate")] = r["estimate"]
            out[("domain", r["domain"], "se")] = r["se"]
        a, b = res.terms[:2]
        out[("domain", f"{a}|{b}", "cov")] = res.vcov.loc[a, b]
        return out
    if call.startswith("svyciprop") and "method='logit')" in call and "~stunted," in call and "subset" not in call:
        t = d.proportion("stunted", ci="logit").tidy()
        out[("stunted", "all", "ci_lo")] = t["ci_low"][0]
        out[("stunted", "all", "ci_hi")] = t["ci_high"][0]
        return out
    if call.startswith("svyciprop"):
        method = call.split("method='")[1].split("'")[0]
        var = ("stunted_na" if "stunted_na" in call else
               "sch_wide_yes" if "sch.wide" in call else "stunted")
        by = "urban_rural" if "subset" in call else None
        t = d.proportion(var, ci=method, by=by, na="drop").tidy()
        if "sch.wide" in call:
            t["domain"] = "all"
        for _, r in t.iterrows():
            for stat, col in (("estimate", "estimate"), ("se", "se"), ("ci_lo", "ci_low"), ("ci_hi", "ci_high")):
                out[("p", r["domain"], stat)] = r[col]
        return out
    if call == "degf":
        out[("degf", "all", "degf")] = d.df
        return out
    raise AssertionError(call)


CASES = [k for k, _ in EXPECTED.groupby(["design", "lonely_psu", "call"], sort=False)]


@pytest.mark.parametrize(("dname", "lonely", "call"), CASES,
                         ids=[f"{a}:{b}:{c}" for a, b, c in CASES])
def test_matches_r_survey(dname, lonely, call):
    ours = _ours(_design(dname, lonely), call)
    exp = EXPECTED[(EXPECTED.design == dname) & (EXPECTED.lonely_psu == lonely) & (EXPECTED.call == call)]
    for _, row in exp.iterrows():
        key = (row["estimand"], row["domain"], row["stat"])
        assert key in ours, f"{key} not computed; have {sorted(ours)}"
        want = float(row["value"])
        if row["stat"] == "degf":
            assert ours[key] == want
            continue
        rtol = 1e-7 if row["stat"].startswith("ci") else 1e-9
        assert_allclose(ours[key], want, rtol=rtol, atol=1e-14 if row["stat"] == "cov" else 0,
                        err_msg=f"{dname} {lonely} {call} {key}")
