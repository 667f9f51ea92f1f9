"""passing_ages (logistic fit of pass on age, Fieller intervals) and pass_rates on SYNTHETIC data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ecd.development import pass_rates, passing_ages
from ecd.errors import ParameterError, SchemaError


def logistic_item(rng, n, a50, scale, lo=6.0, hi=30.0):
    months = rng.uniform(lo, hi, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(months - a50) / scale))).astype(float)
    return months, y


def test_fit_matches_statsmodels_logit():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    months, y = logistic_item(rng, 500, 14.0, 2.0)
    res = passing_ages(pd.DataFrame({"a": y}), months)
    ref = sm.Logit(y, sm.add_constant(months)).fit(disp=0)
    fit = res.fits.iloc[0]
    assert_allclose([fit["b0"], fit["b1"]], ref.params, rtol=1e-7)
    assert_allclose([[fit["v00"], fit["v01"]], [fit["v01"], fit["v11"]]], ref.cov_params(), rtol=1e-6)
    t = res.tidy().set_index("prob")
    assert_allclose(t.loc[0.5, "estimate"], -ref.params[0] / ref.params[1], rtol=1e-7)
    assert_allclose(t.loc[0.9, "estimate"], (np.log(9) - ref.params[0]) / ref.params[1], rtol=1e-7)


def test_fieller_intervals_cover_the_true_age_about_95_percent():
    rng = np.random.default_rng(20261204)
    hits = {0.5: [], 0.9: []}
    for _ in range(300):
        months, y = logistic_item(rng, 150, 15.0, 2.5)
        t = passing_ages(pd.DataFrame({"a": y}), months).tidy().set_index("prob")
        for q in hits:
            true = 15.0 + 2.5 * np.log(q / (1 - q))
            hits[q].append(t.loc[q, "ci_low"] <= true <= t.loc[q, "ci_high"])
    for q, h in hits.items():
        assert 0.92 <= np.mean(h) <= 0.98, (q, np.mean(h))


def test_imprecise_slope_gives_an_unbounded_interval_not_a_false_one():
    rng = np.random.default_rng(5)
    months = rng.uniform(17, 22, 60)
    y = (rng.random(60) < 0.5).astype(float)  # no age gradient at all
    t = passing_ages(pd.DataFrame({"a": y}), months).tidy()
    ok = t["status"] == "ok"
    if ok.any():
        assert t.loc[ok, ["ci_low", "ci_high"]].isna().all().all()
    else:
        assert (t["status"] == "not_increasing").all() and t["estimate"].isna().all()


def test_statuses_and_extrapolation():
    rng = np.random.default_rng(2)
    months = rng.uniform(17, 22, 400)
    frame = pd.DataFrame({
        "easy": (rng.random(400) < 1 / (1 + np.exp(-(months - 10) / 2))).astype(float),
        "all_pass": 1.0,
        "all_fail": 0.0,
        "separated": (months > 19).astype(float),
        "rare": np.where(np.arange(400) < 5, 1.0, np.nan),
    })
    frame.loc[0, "rare"] = 0.0
    t = passing_ages(frame, months).tidy()
    status = t.drop_duplicates("item").set_index("item")["status"]
    assert status.to_dict() == {"easy": "ok", "all_pass": "all_pass", "all_fail": "all_fail",
                                "separated": "separated", "rare": "few"}
    easy = t[t["item"] == "easy"].set_index("prob")
    assert bool(easy.loc[0.5, "extrapolated"])  # 10 months lies below the 17-22 months observed
    assert t.loc[t["status"] != "ok", "estimate"].isna().all()


def test_predict_gives_fitted_probabilities():
    rng = np.random.default_rng(3)
    months, y = logistic_item(rng, 400, 12.0, 2.0)
    res = passing_ages(pd.DataFrame({"a": y}), months)
    t = res.tidy().set_index("prob")
    pred = res.predict([t.loc[0.5, "estimate"], t.loc[0.9, "estimate"]])
    assert_allclose(pred.iloc[0].to_numpy(), [0.5, 0.9], atol=1e-9)


def test_pass_rates_by_age_group_with_wilson_intervals():
    kids = pd.DataFrame({"age": [17.0, 17.5, 18.0, 19.0, 20.0, 21.0, 23.0],
                         "a": [0, 1, 1, None, 1, 0, 1], "b": [0, 0, 0, 1, 1, 1, None]})
    t = pass_rates(kids, "age", [17, 19, 21], labels=["17-18", "19-20"])
    a = t[t["item"] == "a"].set_index("age_group")
    assert a.loc["17-18", "n"] == 3 and a.loc["17-18", "n_pass"] == 2
    # 21 is the closed upper edge; 23 is outside every group
    assert a.loc["19-20", "n"] == 2 and a.loc["19-20", "p"] == 0.5
    # Wilson 95% interval for 2 of 3 (statsmodels proportion_confint(2, 3, method="wilson"))
    assert_allclose(a.loc["17-18", ["ci_low", "ci_high"]].astype(float), [0.2076, 0.9385], atol=1e-4)


def test_bad_input_is_refused():
    kids = pd.DataFrame({"age": [17, 18], "a": [0, 2]})
    with pytest.raises(SchemaError, match="item 'a': 2"):
        passing_ages(kids, "age")
    with pytest.raises(ParameterError, match="probs"):
        passing_ages(kids[["age"]].assign(a=[0, 1]), "age", probs=(0.5, 1.0))
    with pytest.raises(ParameterError, match="age"):
        passing_ages(kids, [1, 2, 3])
    with pytest.raises(ParameterError, match="edges"):
        pass_rates(kids, "age", [18, 17])
