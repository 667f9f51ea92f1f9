"""Projected attainment of a target from a log-linear (joinpoint) trend."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from ecd.errors import ParameterError

from ._joinpoint import Joinpoint
from ._results import TargetResult, pct, quantile
from ._rules import MIN_TREND_POINTS, joinpoints_allowed
from ._series import prepare_series


def target_attainment(df: pd.DataFrame, target: float, direction: str = "below", by_year: float = 2030,
                      year: str = "year", value: str = "value", se: str | None = None,
                      max_joinpoints: int = 2, select: str = "bic", since: float | None = None,
                      level: float = 0.95, horizon: float = 2100, min_obs_end: int = 2,
                      min_obs_between: int = 2, min_points: int = MIN_TREND_POINTS,
                      missing: str = "raise") -> TargetResult:
    """Project when a trend reaches a target, with an interval, and say if it is on track.

    The trend is the joinpoint model of ln(value) (grid search, ``select``; use
    ``max_joinpoints=0`` for one straight line); its last segment is extended
    beyond the data. The interval is the t confidence interval of the fitted
    trend (df n − 2k − 2), so the attainment years are where the trend and its
    two bounds cross the target.

    Parameters
    ----------
    df : pandas.DataFrame
        One series, one row per year.
    target : float
        The target value (same unit as ``value``), e.g. 5 for IMR < 5 per 1,000.
    direction : {"below", "above"}
        Whether the target is met by falling below or rising above it.
    by_year : float
        The deadline (e.g. 2030).
    since : float, optional
        Use only years from ``since`` on (e.g. the recent trend).
    level : float
        Confidence level of the projection interval.
    horizon : float
        Last year searched for attainment; later crossings are reported as NaN.
    min_points : int
        Fewest observations (from ``since`` on) for a projection with an
        interval and a trend verdict (default ``ecd.trends.MIN_TREND_POINTS``,
        8); a model gets at most ``joinpoints_allowed(n)`` joinpoints. With fewer
        observations, a target the last observation already meets is still
        "achieved" (an observed fact); otherwise the status is "too few points"
        and only the fitted annual change ``apc_last`` is reported, without an
        interval, projection or attainment year.

    Returns
    -------
    TargetResult
        ``.tidy()``: one row with ``target, direction, by_year, last_year,
        last_value, apc_last, k, projected, projected_low, projected_high,
        year_attained, year_attained_low, year_attained_high, status,
        year_met_observed, n, years_used``. The attainment years are where the
        fitted trend (and its bounds) first meet the target after the last year, or
        for an achieved target from the first year fitted (a year in the past);
        ``year_met_observed`` is the first observed year that met it.
        ``status`` is "achieved" (last observed value meets the target),
        "on track" (the whole interval meets it by ``by_year``), "off track" (none
        of it does), "uncertain", or "too few points" (see ``min_points``);
        ``ecd.trends.STATUS_ZH`` words them in Chinese. ``.projection`` holds the
        fitted and projected path by year with its interval (NaN below
        ``min_points``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ecd
    >>> years = np.arange(2010, 2021)
    >>> df = pd.DataFrame({"year": years,
    ...                    "value": 13.1 * 0.92 ** (years - 2010) * np.exp(0.02 * np.sin(years))})
    >>> res = ecd.trends.target_attainment(df, target=5.0, by_year=2030, max_joinpoints=0).tidy()
    >>> row = res.iloc[0]
    >>> row["status"], round(float(row["year_attained"]), 1)
    ('on track', 2021.6)

    Five points are too few for a verdict: the change is reported, nothing more.

    >>> few = ecd.trends.target_attainment(df[df["year"] >= 2016], target=5.0, max_joinpoints=0).tidy().iloc[0]
    >>> few["status"], round(float(few["apc_last"]), 1), bool(np.isnan(few["year_attained"]))
    ('too few points', -7.6, True)
    """
    if direction not in ("below", "above"):
        raise ParameterError("direction", f"expected 'below' or 'above', found {direction!r}.")
    if not np.isfinite(target) or target <= 0:
        raise ParameterError("target", f"expected a positive number (log-linear trend), found {target!r}.")
    if isinstance(min_points, bool) or not isinstance(min_points, (int, np.integer)) or min_points < 3:
        raise ParameterError("min_points", f"expected an integer of at least 3, found {min_points!r}.")
    period = None if since is None else (since, np.inf)
    s = prepare_series(df, year, value, se, period, missing, what="target_attainment")
    if s.n < min_points:
        return _too_few(s, target, direction, by_year)
    jp = Joinpoint(max_joinpoints=min(max_joinpoints, joinpoints_allowed(s.n, min_points)), select=select,
                   min_obs_end=min_obs_end,
                   min_obs_between=min_obs_between).fit(df, year, value, se, period=period, missing=missing)
    fit = jp._fit_for(None)
    q = quantile(level, fit.df)
    lt = np.log(target)
    last_year, last_value = s.x[-1], s.value[-1]
    sign = 1.0 if direction == "below" else -1.0

    def meets(v):
        return sign * (v - target) <= 0

    def gap(t, bound):
        m, se_ = jp.predict_log([t])
        return float(m[0] + bound * q * se_[0] - lt)

    def crossing(bound):
        # first year at which the trend or a bound meets the target: searched from
        # the start of the fit for an achieved target, else from the last year
        first = s.x[0] if status == "achieved" else last_year
        grid = np.arange(first, horizon + 1e-9, 0.25)
        m, se_ = jp.predict_log(grid)
        g = sign * (m + bound * q * se_ - lt)
        ok = np.nonzero(g <= 0)[0]
        if ok.size == 0:
            return np.nan
        i = ok[0]
        if i == 0:
            return float(first)
        if gap(grid[i - 1], bound) * gap(grid[i], bound) > 0:  # the trend touches the target at a grid year
            return float(grid[i])
        return float(optimize.brentq(lambda t: gap(t, bound), grid[i - 1], grid[i], xtol=1e-8))

    # the bound that reaches the target first is the optimistic one
    early, late = (-1.0, 1.0) if direction == "below" else (1.0, -1.0)
    m_by, se_by = jp.predict_log([by_year])
    proj = float(np.exp(m_by[0]))
    lo, hi = float(np.exp(m_by[0] - q * se_by[0])), float(np.exp(m_by[0] + q * se_by[0]))
    pessimistic = hi if direction == "below" else lo
    optimistic = lo if direction == "below" else hi
    if meets(last_value):
        status = "achieved"
    elif meets(pessimistic):
        status = "on track"
    elif not meets(optimistic):
        status = "off track"
    else:
        status = "uncertain"
    slopes, _ = fit.slopes()
    table = pd.DataFrame([{
        "target": float(target), "direction": direction, "by_year": float(by_year),
        "last_year": float(last_year), "last_value": float(last_value),
        "apc_last": float(pct(slopes[-1])), "k": fit.k,
        "projected": proj, "projected_low": lo, "projected_high": hi,
        "year_attained": crossing(0.0), "year_attained_low": crossing(early),
        "year_attained_high": crossing(late),
        "status": status, "year_met_observed": float(s.x[meets(s.value)][0]) if meets(s.value).any() else np.nan,
        "n": s.n, "years_used": s.years_used,
    }])
    years = np.arange(s.x[0], max(by_year, last_year) + 1)
    m, se_ = jp.predict_log(years)
    projection = pd.DataFrame({
        "year": years, "fitted": np.exp(m), "low": np.exp(m - q * se_), "high": np.exp(m + q * se_),
        "projected": years > last_year,
        "observed": pd.Series(s.value, index=s.x).reindex(years).to_numpy(),
    })
    return TargetResult(table, projection, tuple(s.notes) + jp.notes_)


def _too_few(s, target: float, direction: str, by_year: float) -> TargetResult:
    """The result below ``min_points``: the observed facts and the fitted change, no interval or verdict."""
    sign = 1.0 if direction == "below" else -1.0
    met = sign * (s.value - target) <= 0
    apc_last = np.nan
    if s.n >= 2:
        w = s.w
        xb, yb = np.average(s.x, weights=w), np.average(s.y, weights=w)
        apc_last = float(pct(np.sum(w * (s.x - xb) * (s.y - yb)) / np.sum(w * (s.x - xb) ** 2)))
    table = pd.DataFrame([{
        "target": float(target), "direction": direction, "by_year": float(by_year),
        "last_year": float(s.x[-1]), "last_value": float(s.value[-1]), "apc_last": apc_last, "k": 0,
        "projected": np.nan, "projected_low": np.nan, "projected_high": np.nan,
        "year_attained": np.nan, "year_attained_low": np.nan, "year_attained_high": np.nan,
        "status": "achieved" if met[-1] else "too few points",
        "year_met_observed": float(s.x[met][0]) if met.any() else np.nan, "n": s.n, "years_used": s.years_used,
    }])
    years = np.arange(s.x[0], max(by_year, s.x[-1]) + 1)
    projection = pd.DataFrame({
        "year": years, "fitted": np.nan, "low": np.nan, "high": np.nan, "projected": years > s.x[-1],
        "observed": pd.Series(s.value, index=s.x).reindex(years).to_numpy(),
    })
    note = f"{s.n} observation(s), fewer than min_points: the change is reported without an interval or verdict"
    return TargetResult(table, projection, tuple(s.notes) + (note,))
