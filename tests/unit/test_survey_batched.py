"""``Design.mean/total/ratio(vcov=False)``: standard errors only, the numbers of ``vcov=True``.

The SE-only path sums influence values over (PSU, domain) cells instead of
forming the clusters x (variables * domains) factor of the covariance; these
tests hold it to the factor path (itself checked against R ``survey`` in
test_survey_reference.py) on seeded designs covering every lonely-PSU rule,
fpc, two stages, zero weights, per-variable missing values and empty domains.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from ecd.errors import ParameterError
from ecd.survey import LONELY_PSU, Design


def sample(seed: int, n: int = 400, n_strata: int = 4, psu_per: int = 4) -> pd.DataFrame:
    """A seeded two-stage sample; stratum 0 is sampled with a single PSU."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, n_strata, n)
    psu = stratum * psu_per + rng.integers(0, psu_per, n)
    psu[stratum == 0] = 0
    y = rng.normal(1.0, 2.0, n)
    y[rng.random(n) < 0.1] = np.nan
    b = (rng.random(n) < 0.3).astype(float)
    b[rng.random(n) < 0.05] = np.nan
    weight = rng.uniform(1, 20, n)
    weight[:3] = 0.0
    return pd.DataFrame({
        "stratum": stratum, "psu": psu, "ssu": rng.integers(0, 3, n), "weight": weight,
        "fpc1": np.where(stratum == 0, 1, 3 * psu_per), "fpc2": 10,
        "g": rng.choice(["a", "b", "c"], n), "h": rng.integers(0, 2, n),
        "y": y, "b": b, "x": rng.uniform(1, 3, n),
    })


def _same(design: Design, method: str, *args, **kwargs) -> None:
    full = getattr(design, method)(*args, **kwargs)
    fast = getattr(design, method)(*args, **kwargs, vcov=False)
    assert_array_equal(fast.estimate, full.estimate)
    assert_allclose(fast.se, full.se, rtol=1e-10, atol=1e-14, equal_nan=True)
    pd.testing.assert_frame_equal(fast.tidy(), full.tidy(), rtol=1e-10, atol=1e-14)


DESIGNS = {
    "strata+psu": dict(strata="stratum", psu="psu", weights="weight"),
    "row-psu": dict(strata="stratum", weights="weight"),
    "unstratified": dict(psu="psu", weights="weight"),
    "fpc": dict(strata="stratum", psu="psu", fpc="fpc1"),
    "two-stage-fpc": dict(strata="stratum", psu=["psu", "ssu"], fpc=["fpc1", "fpc2"], weights="weight"),
}


@pytest.mark.parametrize("lonely", [p for p in LONELY_PSU if p != "fail"])
@pytest.mark.parametrize("kind", DESIGNS)
def test_se_only_equals_factor_path(kind, lonely):
    design = Design(sample(1), **DESIGNS[kind], lonely_psu=lonely)
    _same(design, "mean", ["y", "b"], by="g", na="drop_each")
    _same(design, "mean", ["y", "b"], by=["g", "h"], na="drop")
    _same(design, "total", "y", by="h", na="drop")
    _same(design, "ratio", "y", "x", na="drop")


def test_empty_domain_of_one_variable_is_nan_in_both_paths():
    df = sample(2)
    df.loc[df["g"] == "c", "b"] = np.nan
    design = Design(df, strata="stratum", psu="psu", weights="weight", lonely_psu="adjust")
    with np.errstate(invalid="ignore", divide="ignore"):
        fast = design.mean(["y", "b"], by="g", na="drop_each", vcov=False).tidy().set_index(["variable", "g"])
        _same(design, "mean", ["y", "b"], by="g", na="drop_each")
    assert np.isnan(fast.loc[("b", "c"), "se"]) and np.isfinite(fast.loc[("b", "a"), "se"])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), lonely=st.sampled_from(["remove", "certainty", "adjust", "average"]),
       n_strata=st.integers(1, 5), psu_per=st.integers(1, 4))
def test_se_only_equals_factor_path_on_random_designs(seed, lonely, n_strata, psu_per):
    design = Design(sample(seed, n=120, n_strata=n_strata, psu_per=psu_per), strata="stratum", psu="psu",
                    weights="weight", lonely_psu=lonely)
    _same(design, "mean", ["y", "b"], by="g", na="drop_each")


def test_se_only_result_refuses_covariances():
    design = Design(sample(3), strata="stratum", psu="psu", weights="weight", lonely_psu="adjust")
    result = design.mean("y", by="g", na="drop", vcov=False)
    with pytest.raises(ParameterError, match="vcov=False"):
        result.vcov
    with pytest.raises(ParameterError, match="vcov=True"):
        design.contrast(result, {"a - b": {"a": 1, "b": -1}})


def test_repeated_calls_by_other_domains_give_fresh_numbers_and_leave_data_alone():
    # the values of the last variables are reused by the next call (another `by`);
    # every call must still equal the same call on a new design, and the data stay as given
    df = sample(4)
    before = df.copy()
    design = Design(df, strata="stratum", psu="psu", weights="weight", lonely_psu="adjust")
    calls = [(["y", "b"], "g", "drop_each"), (["y", "b"], "h", "drop_each"), (["y", "b"], None, "drop_each"),
             (["y"], "g", "drop"), (["y", "b"], "h", "drop")]
    for cols, by, na in calls:
        for vcov in (True, False):
            again = design.mean(cols, by=by, na=na, vcov=vcov).tidy()
            fresh = Design(df, strata="stratum", psu="psu", weights="weight", lonely_psu="adjust")
            pd.testing.assert_frame_equal(again, fresh.mean(cols, by=by, na=na, vcov=vcov).tidy())
    pd.testing.assert_frame_equal(df, before)
