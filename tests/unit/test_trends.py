"""Unit and property tests of ecd.trends (seeded synthetic series)."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ecd.trends as tr
from ecd.errors import DataError, MissingDataError, ModelError, ParameterError
from ecd.trends._linear import GridSSE, configurations, hinge


def _line(years, start=40.0, apc=-5.0):
    years = np.asarray(years, float)
    return pd.DataFrame({"year": years, "value": start * (1 + apc / 100) ** (years - years[0])})


# ----------------------------------------------------------------- input rules
def test_missing_years_are_allowed_and_reported():
    df = tr.synthetic_series(range(1991, 2021), random_state=1).drop(index=[3, 4, 10])
    res = tr.apc(df).tidy().iloc[0]
    assert res["n"] == 27
    assert res["years_used"] == "1991–1993, 1996–2000, 2002–2020"
    jp = tr.joinpoint(df, max_joinpoints=2)
    assert jp.n_ == 27
    assert any("1994–1995, 2001" in note for note in jp.notes_)
    assert set(jp.joinpoints_) <= set(df["year"])


def test_nonpositive_value_names_the_year():
    df = _line(range(2000, 2010))
    df.loc[4, "value"] = 0.0
    with pytest.raises(DataError, match=r"2004: 0"):
        tr.apc(df)
    with pytest.raises(DataError, match="2004"):
        tr.joinpoint(df)


def test_duplicate_years_and_missing_values():
    df = _line(range(2000, 2010))
    with pytest.raises(DataError, match="2003"):
        tr.apc(pd.concat([df, df.iloc[[3]]]))
    df.loc[5, "value"] = np.nan
    with pytest.raises(MissingDataError, match="2005"):
        tr.apc(df)
    res = tr.apc(df, missing="drop")
    assert res.tidy()["n"].iloc[0] == 9
    assert any("dropped 1 row" in n for n in res.notes)


def test_bad_parameters():
    df = _line(range(2000, 2010))
    with pytest.raises(ParameterError, match="'value'"):
        tr.apc(df, value="rate")
    with pytest.raises(ParameterError, match="select"):
        tr.joinpoint(df, select="aic")
    with pytest.raises(ParameterError, match="period"):
        tr.joinpoint(df, max_joinpoints=0).aapc(period=(1995, 2005))
    with pytest.raises(ModelError, match="2 observation"):
        tr.joinpoint(df.iloc[:2])


def test_too_few_points_reduce_k_with_a_note():
    # 7 points: one joinpoint fits (2 + 1 + 2 = 5 <= 7); two need 2+1+2+1+2 = 8
    jp = tr.joinpoint(_line(range(2000, 2007)), max_joinpoints=3)
    assert list(jp.models_["k"]) == [0, 1]
    assert any("reduced to 1" in n for n in jp.notes_)
    jp = tr.joinpoint(_line(range(2000, 2004)), max_joinpoints=2)
    assert jp.n_joinpoints_ == 0
    assert any("reduced to 0" in n for n in jp.notes_)


# ------------------------------------------------------------ exact behaviour
def test_noise_free_joinpoint_is_recovered_exactly():
    df = tr.synthetic_series(range(1991, 2021), start=60, apcs=(-3.0, -9.5, -7.0),
                             joinpoints=(1999, 2011), log_sd=0.0)
    df.loc[df.year == 1995, "value"] *= 1.0 + 1e-9  # break exact ties with SSE = 0
    jp = tr.joinpoint(df, max_joinpoints=3, select="bic3")
    assert jp.joinpoints_.tolist() == [1999.0, 2011.0]
    assert_allclose(jp.segments_.tidy()["apc"], [-3.0, -9.5, -7.0], rtol=1e-6)
    # AAPC over the whole range is the average log slope (f(b) - f(a)) / (b - a)
    ly = np.log(df["true_value"].to_numpy())
    aapc = jp.aapc().tidy()["aapc"].iloc[0]
    assert_allclose(aapc, 100 * np.expm1((ly[-1] - ly[0]) / 29), rtol=1e-6)
    # and over a sub-period within one segment it is that segment's APC
    assert_allclose(jp.aapc(period=(2012, 2020)).tidy()["aapc"], -7.0, rtol=1e-6)


def test_grid_sse_matches_brute_force():
    rng = np.random.default_rng(3)
    x = np.arange(1990.0, 2008.0)
    w = rng.uniform(0.5, 2.0, x.size)
    Y = rng.normal(size=(x.size, 5)) + 0.1 * x[:, None]
    for k in (1, 2, 3):
        cfg = configurations(x.size, k, 2, 2)
        g = GridSSE(x, w, np.column_stack([np.ones_like(x), x]), x, cfg)
        best, arg = g.min_sse(Y * np.sqrt(w)[:, None])
        for b in range(Y.shape[1]):
            sse = []
            for c in cfg:
                X = np.column_stack([np.ones_like(x), x, hinge(x, x[c])]) * np.sqrt(w)[:, None]
                beta, *_ = np.linalg.lstsq(X, Y[:, b] * np.sqrt(w), rcond=None)
                sse.append(np.sum((Y[:, b] * np.sqrt(w) - X @ beta) ** 2))
            assert_allclose(best[b], min(sse), rtol=1e-9)
            assert arg[b] == int(np.argmin(sse))


def test_configurations_follow_spacing_rules():
    for n, k, e, b in [(12, 2, 2, 2), (15, 3, 3, 1), (20, 2, 1, 4)]:
        want = [t for t in itertools.combinations(range(n), k)
                if t[0] >= e and n - 1 - t[-1] >= e and all(q - p - 1 >= b for p, q in zip(t, t[1:]))]
        assert sorted(map(tuple, configurations(n, k, e, b).tolist())) == want


def test_weighted_fit_with_proportional_se_equals_unweighted():
    df = tr.synthetic_series(range(2000, 2020), random_state=5)
    df["se"] = 0.05 * df["value"]  # constant log-scale variance -> equal weights
    a = tr.joinpoint(df, max_joinpoints=2)
    b = tr.joinpoint(df, se="se", max_joinpoints=2)
    assert_allclose(a.joinpoints_, b.joinpoints_)
    assert_allclose(a.segments_.tidy()["slope"], b.segments_.tidy()["slope"], rtol=1e-10)
    assert b.weighted_ and not a.weighted_


def test_weights_follow_the_delta_method():
    df = tr.synthetic_series(range(2000, 2015), random_state=6)
    df["se"] = np.linspace(0.2, 2.0, len(df))
    got = tr.apc(df, se="se").tidy().iloc[0]
    w = df["value"] ** 2 / df["se"] ** 2
    X = np.column_stack([np.ones(len(df)), df["year"]])
    W = np.diag(w)
    beta = np.linalg.solve(X.T @ W @ X, X.T @ W @ np.log(df["value"]))
    resid = np.log(df["value"]) - X @ beta
    cov = np.linalg.inv(X.T @ W @ X) * (resid @ W @ resid) / (len(df) - 2)
    assert_allclose(got["slope"], beta[1], rtol=1e-8)
    assert_allclose(got["se"], np.sqrt(cov[1, 1]), rtol=1e-6)


def test_wbic_penalty_uses_partial_r2_of_the_largest_model():
    jp = tr.joinpoint(tr.synthetic_series(random_state=2), max_joinpoints=3, select="wbic")
    m = jp.models_
    n = m["n"].iloc[0]
    r2 = 1 - m["sse"].iloc[-1] / m["sse"].iloc[0]
    assert_allclose(m["wbic"], np.log(m["sse"] / n) + ((2 + r2) * m["k"] + 2) * np.log(n) / n)
    assert jp.n_joinpoints_ == int(m.loc[m["wbic"].idxmin(), "k"])
    assert (m["bic"] <= m["wbic"] + 1e-12).all() and (m["wbic"] <= m["bic3"] + 1e-12).all()


# ----------------------------------------------------------------- permutation
def test_permutation_selection_is_seeded_and_finds_strong_joinpoints():
    df = tr.synthetic_series(range(1991, 2021), apcs=(-2.0, -12.0), joinpoints=(2005,), log_sd=0.03,
                             random_state=11)
    a = tr.joinpoint(df, max_joinpoints=2, select="permutation", n_permutations=199, random_state=4)
    b = tr.joinpoint(df, max_joinpoints=2, select="permutation", n_permutations=199, random_state=4)
    pd.testing.assert_frame_equal(a.tests_, b.tests_)
    assert a.n_joinpoints_ >= 1
    first = a.tests_.iloc[0]
    assert (first["k_null"], first["k_alt"]) == (0, 2)
    assert first["p_value"] == pytest.approx(1 / 200)  # no permutation beats a strong bend
    assert first["level"] == pytest.approx(0.05 / 2)


def test_permutation_keeps_a_straight_line():
    df = tr.synthetic_series(range(1991, 2021), apcs=(-5.0,), joinpoints=(), log_sd=0.05,
                             random_state=12)
    jp = tr.joinpoint(df, max_joinpoints=2, select="permutation", n_permutations=199, random_state=1)
    assert jp.n_joinpoints_ == 0
    assert (jp.tests_["p_value"] >= jp.tests_["level"]).all()


def test_permutation_pvalue_equals_naive_loop():
    df = tr.synthetic_series(range(2000, 2016), apcs=(-4.0, -7.0), joinpoints=(2008,), log_sd=0.04,
                             random_state=13)
    jp = tr.joinpoint(df, max_joinpoints=1, select="permutation", n_permutations=50, random_state=9)
    x, y = df["year"].to_numpy(float), np.log(df["value"].to_numpy())

    def sse(yy, k):
        best = np.inf
        for c in configurations(x.size, k, 2, 2):
            X = np.column_stack([np.ones_like(x), x, hinge(x, x[c])])
            beta, *_ = np.linalg.lstsq(X, yy, rcond=None)
            best = min(best, float(np.sum((yy - X @ beta) ** 2)))
        return best

    fitted = np.poly1d(np.polyfit(x, y, 1))(x)
    stat = (sse(y, 0) - sse(y, 1)) / sse(y, 1)
    rng = np.random.default_rng(9)
    perm = rng.permuted(np.broadcast_to(y - fitted, (50, x.size)), axis=1)
    count = sum((sse(fitted + p, 0) - sse(fitted + p, 1)) / sse(fitted + p, 1) >= stat * (1 - 1e-12)
                for p in perm)
    assert_allclose(jp.tests_["statistic"].iloc[0], stat, rtol=1e-9)
    assert jp.tests_["p_value"].iloc[0] == pytest.approx((count + 1) / 51)


# ------------------------------------------------------------- property tests
@settings(max_examples=25, deadline=None)
@given(scale=st.floats(0.01, 1000), seed=st.integers(0, 2**16))
def test_apc_is_invariant_to_units(scale, seed):
    df = tr.synthetic_series(range(2000, 2015), random_state=seed)
    a = tr.apc(df).tidy().iloc[0]
    b = tr.apc(df.assign(value=df["value"] * scale)).tidy().iloc[0]
    assert_allclose([a["apc"], a["ci_low"], a["ci_high"]], [b["apc"], b["ci_low"], b["ci_high"]],
                    rtol=1e-8, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), lo=st.integers(1991, 2005), length=st.integers(3, 15))
def test_aapc_lies_between_segment_apcs(seed, lo, length):
    jp = tr.joinpoint(tr.synthetic_series(random_state=seed), max_joinpoints=2)
    a = jp.aapc(period=(lo, lo + length)).tidy().iloc[0]
    seg = jp.segments_.tidy()
    assert seg["apc"].min() - 1e-9 <= a["aapc"] <= seg["apc"].max() + 1e-9
    assert a["ci_low"] < a["aapc"] < a["ci_high"]
    assert_allclose(sum(float(v) for v in a["weights"].split(";")), 1.0, atol=1e-5)


# -------------------------------------------------------------- comparability
def test_compare_parallel_series_share_slopes_but_not_levels():
    a = tr.synthetic_series(range(1991, 2021), start=20, apcs=(-3.0, -8.0), joinpoints=(2004,),
                            log_sd=0.03, random_state=21)
    b = a.assign(value=a["value"] * 2.5)  # the same trend on another level
    res = tr.compare(a, b, max_joinpoints=2, n_permutations=199, random_state=3).tidy().set_index("test")
    assert res.loc["coincidence", "reject"]
    assert not res.loc["parallelism", "reject"]
    assert res.loc["parallelism", "statistic"] == pytest.approx(0.0, abs=1e-8)
    assert_allclose(res.loc["parallelism", "sse_reduced"], res.loc["parallelism", "sse_full"], rtol=1e-9)
    assert res.loc["parallelism", "df1"] == res.loc["coincidence", "df1"] - 1


def test_compare_rejects_parallelism_when_slopes_differ():
    a = tr.synthetic_series(range(1991, 2021), start=20, apcs=(-3.0,), joinpoints=(), log_sd=0.03,
                            random_state=23)
    b = tr.synthetic_series(range(1991, 2021), start=50, apcs=(-7.0,), joinpoints=(), log_sd=0.03,
                            random_state=24)
    res = tr.compare(a, b, max_joinpoints=1, n_permutations=199, random_state=3,
                     labels=("urban", "rural")).tidy().set_index("test")
    assert res["reject"].all()
    assert (res["series_a"] == "urban").all()
    assert_allclose(res["p_value"], 1 / 200)


def test_compare_identical_trend_is_not_rejected():
    a = tr.synthetic_series(range(1991, 2021), log_sd=0.04, random_state=31)
    b = tr.synthetic_series(range(1991, 2021), log_sd=0.04, random_state=32)
    res = tr.compare(a, b, max_joinpoints=1, n_permutations=199, random_state=3).tidy()
    assert not res["reject"].any()


# ------------------------------------------------------------------- targets
def test_target_attainment_matches_the_closed_form():
    df = _line(range(2010, 2021), start=13.0, apc=-8.0)
    df.loc[3, "value"] *= 1.01
    df.loc[7, "value"] *= 0.99
    res = tr.target_attainment(df, target=5.0, by_year=2030, max_joinpoints=0)
    row = res.tidy().iloc[0]
    fit = tr.apc(df).tidy().iloc[0]
    x = df["year"].to_numpy(float)
    b = fit["slope"]
    a = np.mean(np.log(df["value"])) - b * x.mean()
    assert_allclose(row["year_attained"], (np.log(5.0) - a) / b, rtol=1e-9)
    assert row["year_attained_low"] < row["year_attained"] < row["year_attained_high"]
    assert row["status"] == "on track"
    assert_allclose(row["apc_last"], fit["apc"], rtol=1e-9)
    proj = res.projection
    assert proj["year"].iloc[-1] == 2030 and proj["projected"].iloc[-1]
    assert (proj["low"] <= proj["fitted"]).all() and (proj["fitted"] <= proj["high"]).all()


def test_target_status_categories():
    slow = _line(range(2010, 2021), start=13.0, apc=-1.0)
    slow.loc[2, "value"] *= 1.01
    assert tr.target_attainment(slow, 5.0, max_joinpoints=0).tidy()["status"].iloc[0] == "off track"
    done = _line(range(2010, 2021), start=6.0, apc=-4.0)
    assert tr.target_attainment(done, 5.0, max_joinpoints=0).tidy()["status"].iloc[0] == "achieved"
    up = _line(range(2015, 2023), start=2.0, apc=10.0)
    up.loc[2, "value"] *= 1.01
    row = tr.target_attainment(up, 4.5, direction="above", by_year=2025, max_joinpoints=0).tidy().iloc[0]
    assert row["status"] == "on track" and 2022 < row["year_attained"] < 2025
    rising = _line(range(2010, 2021), start=8.0, apc=2.0)
    rising.loc[2, "value"] *= 1.01
    row = tr.target_attainment(rising, 5.0, max_joinpoints=0).tidy().iloc[0]
    assert row["status"] == "off track" and np.isnan(row["year_attained"])
    with pytest.raises(ParameterError, match="direction"):
        tr.target_attainment(rising, 5.0, direction="down")


# --------------------------------------------------------------- convergence
def test_beta_convergence_recovers_exact_beta():
    units = ["E-urban", "E-rural", "C-urban", "C-rural", "W-urban", "W-rural"]
    y0 = np.array([8.0, 15.0, 10.0, 25.0, 12.0, 40.0])
    beta, T = -0.03, 19
    g = -0.02 + beta * np.log(y0)
    rows = [{"unit": u, "year": 1996 + t, "value": v * np.exp(gi * t)}
            for u, v, gi in zip(units, y0, g) for t in range(T + 1)]
    res = tr.convergence(pd.DataFrame(rows), unit="unit")
    t = res.tidy().set_index("measure")
    assert_allclose(t.loc["beta", "estimate"], beta, rtol=1e-9)
    assert_allclose(t.loc["speed", "estimate"], -np.log1p(beta * T) / T, rtol=1e-9)
    sd0 = np.std(np.log(y0), ddof=1)
    assert_allclose(t.loc["sigma_start", "estimate"], sd0, rtol=1e-12)
    assert t.loc["sigma_change", "estimate"] < 0 and t.loc["sigma_trend", "estimate"] < 0
    assert len(res.sigma_by_year) == T + 1


def test_convergence_needs_common_years():
    panel = pd.DataFrame({"geo": ["a", "a", "b", "b", "c"], "year": [2000, 2010] * 2 + [2000],
                          "value": [1.0, 2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(DataError, match=r"2010.*\['c'\]"):
        tr.convergence(panel, start=2000, end=2010)


def test_continuous_breakpoints_weighted_equal_weights_and_fitted_curve():
    df = tr.synthetic_series(range(1991, 2016), apcs=(-2.0, -9.0), joinpoints=(2002,), log_sd=0.03,
                             random_state=41)
    df["se"] = 0.04 * df["value"]
    a = tr.joinpoint(df, continuous=True, max_joinpoints=1)
    b = tr.joinpoint(df, se="se", continuous=True, max_joinpoints=1)
    assert a.n_joinpoints_ == b.n_joinpoints_ == 1
    assert_allclose(a.joinpoints_, b.joinpoints_, rtol=1e-8)
    assert abs(a.joinpoints_[0] - 2002) < 2
    assert np.isfinite(a.psi_se_).all() and (a.psi_se_ > 0).all()
    curve = a.fitted()
    obs = curve.dropna(subset=["observed"])
    assert obs["year"].tolist() == df["year"].tolist()
    assert_allclose(np.log(curve["fitted"]), a.predict_log(curve["year"])[0])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 12), apc=st.floats(-12, -2), start=st.floats(7, 20), seed=st.integers(0, 1000))
def test_target_attainment_gives_no_trend_verdict_below_the_minimum_points(n, apc, start, seed):
    df = _line(range(2010, 2010 + n), start=start, apc=apc)
    df["value"] *= np.exp(np.random.default_rng(seed).normal(0, 0.01, n))
    row = tr.target_attainment(df, target=5.0, by_year=2030, max_joinpoints=0).tidy().iloc[0]
    met_now = row["last_value"] <= 5.0
    if n < tr.MIN_TREND_POINTS:
        assert row["status"] == ("achieved" if met_now else "too few points")
        assert np.isnan(row["projected_low"]) and np.isnan(row["year_attained"])
        if n >= 2:  # the change is still reported
            assert np.isfinite(row["apc_last"])
    else:
        assert row["status"] in {"achieved", "on track", "off track", "uncertain"}
    assert tr.STATUS_ZH[row["status"]]


def test_joinpoints_allowed_keeps_six_residual_degrees_of_freedom():
    for n in range(3, 40):
        k = tr.joinpoints_allowed(n)
        assert k >= 0 and (k == 0 or n - (2 * k + 2) >= tr.MIN_TREND_POINTS - 2)
        assert n - (2 * (k + 1) + 2) < tr.MIN_TREND_POINTS - 2  # one more would break the rule
