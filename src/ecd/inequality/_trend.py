"""``gap_trend``: is a gap (D, R) closing? Change between two dates and trend over all dates."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ecd.errors import ParameterError
from ecd.trends._rules import MIN_TREND_POINTS

from ._summarize import summarize

#: Chinese wording of the verdicts of :func:`gap_trend`.
VERDICT_ZH = {"narrowing": "缩小", "widening": "扩大", "no clear change": "无明显变化", "undetermined": "无法判断",
              "too few points": "数据点不足，不作判断"}

SERIES = ["setting", "source", "indicator_abbr", "dimension"]
TREND_COLUMNS = SERIES + ["measure", "quantity", "date_start", "date_end", "n_dates",
                          "estimate", "se", "ci_low", "ci_high", "p_value", "verdict", "note"]


@dataclass(frozen=True)
class GapTrendResult:
    """How D and R changed over time, per setting × source × indicator × dimension.

    ``tidy()`` columns: ``setting, source, indicator_abbr, dimension, measure`` (D or
    R), ``quantity`` (``change``: last minus first date, for R the ratio of ratios;
    ``slope``: per unit of date, for R the annual % change of the ratio),
    ``date_start, date_end, n_dates, estimate, se, ci_low, ci_high, p_value,
    verdict`` (narrowing / widening / no clear change / undetermined / too few
    points; ``VERDICT_ZH`` in Chinese) and ``note``.
    """

    table: pd.DataFrame = field(repr=False)
    gaps: pd.DataFrame = field(repr=False)
    conf_level: float

    def tidy(self) -> pd.DataFrame:
        """The long result table (a copy)."""
        return self.table.copy()


def _verdict(level: float, lo: float, hi: float, null: float) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "undetermined"
    if lo <= null <= hi:
        return "no clear change"
    moving_up = lo > null
    gap_positive = level > (1.0 if null == 1.0 else 0.0)
    return "widening" if moving_up == gap_positive else "narrowing"


def _slope(x, y, se, z, conf_level, min_points):
    """WLS with known variances when SEs exist, else OLS with a t interval (from ``min_points`` dates on)."""
    n = len(x)
    if np.all(np.isfinite(se)) and np.all(se > 0):
        w = 1.0 / se**2
        xb = np.sum(w * x) / w.sum()
        yb = np.sum(w * y) / w.sum()
        sxx = np.sum(w * (x - xb) ** 2)
        b = np.sum(w * (x - xb) * (y - yb)) / sxx
        s = np.sqrt(1.0 / sxx)
        p = 2 * stats.norm.sf(abs(b / s))
        return b, s, b - z * s, b + z * s, p, "inverse-variance weighted regression on date (subgroup SEs)"
    if n < 2:
        return np.nan, np.nan, np.nan, np.nan, np.nan, "fewer than two dates: no trend"
    xb, yb = x.mean(), y.mean()
    sxx = np.sum((x - xb) ** 2)
    b = np.sum((x - xb) * (y - yb)) / sxx
    if n < min_points:
        return b, np.nan, np.nan, np.nan, np.nan, (f"{n} dates and no subgroup SEs, fewer than {min_points}: the slope "
                                                   "is reported without an interval or verdict")
    resid = y - yb - b * (x - xb)
    s = np.sqrt(np.sum(resid**2) / (n - 2) / sxx)
    t = stats.t.ppf(1 - (1 - conf_level) / 2, n - 2)
    p = 2 * stats.t.sf(abs(b / s), n - 2) if s > 0 else 0.0
    return b, s, b - t * s, b + t * s, p, ("no subgroup SEs: OLS on date, interval from year-to-year "
                                           "residual variation (t, n-2 df), not sampling error")


def gap_trend(
    df: pd.DataFrame,
    dates: Sequence | None = None,
    method: str = "heat",
    conf_level: float = 0.95,
    min_points: int = MIN_TREND_POINTS,
) -> GapTrendResult:
    """Whether the gap between subgroups is closing: change in D and R, and their trend.

    D and R are computed per date with :func:`summarize` (so the compared subgroups
    follow HEAT's rules: for urban/rural with urban as reference and an adverse
    indicator, D = rural − urban and R = rural / urban).

    Parameters
    ----------
    df : pandas.DataFrame
        HEAT Plus template rows for several dates (see :func:`summarize`, or
        :func:`from_warehouse`).
    dates : pair of dates, optional
        The two dates compared by ``change``; default the first and last date with
        both D and R for each series.
    method : str
        Passed to :func:`summarize`.
    conf_level : float
        Confidence level.
    min_points : int
        Fewest dates for a slope with a residual-based (t) interval and a
        verdict (default ``ecd.trends.MIN_TREND_POINTS``, 8); below it the slope
        is reported with verdict "too few points". Slopes weighted by subgroup
        SEs (sampling error, not scatter) are not affected.

    Returns
    -------
    GapTrendResult
        ``change``: D_end − D_start with SE √(se²+se²) (independent estimates) and
        R_end / R_start with a log-scale interval. ``slope``: for D, the slope of D on
        date; for R, 100·(exp(b) − 1) % per unit of date with b the slope of ln R.
        With subgroup SEs the regression is weighted by inverse variances (normal
        interval); without, it is OLS with a t interval from residual variation,
        given only from ``min_points`` dates on.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.inequality as ineq
    >>> rows = [dict(setting="CN", date=y, source="SYNTHETIC", indicator_abbr="imr",
    ...              dimension="Place of residence", subgroup=a, estimate=v,
    ...              favourable_indicator=0, indicator_scale=1000, ordered_dimension=0,
    ...              reference_subgroup=int(a == "urban"))
    ...         for y, u, r in [(2010, 5.8, 16.1), (2015, 4.7, 9.6), (2020, 3.6, 6.2)]
    ...         for a, v in [("urban", u), ("rural", r)]]
    >>> t = ineq.gap_trend(pd.DataFrame(rows)).tidy()
    >>> t.loc[t.quantity == "change", ["measure", "estimate"]].round(2).to_string(index=False)
    'measure  estimate\\n      D     -7.70\\n      R      0.62'
    """
    if dates is not None and len(dates) != 2:
        raise ParameterError("dates", f"{dates!r}; expected two dates (start, end)")
    if isinstance(min_points, bool) or not isinstance(min_points, (int, np.integer)) or min_points < 3:
        raise ParameterError("min_points", f"expected an integer of at least 3, found {min_points!r}.")
    res = summarize(df, measures=["D", "R"], method=method, conf_level=conf_level)
    gaps = res.tidy()
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    rows = []
    for key, g in gaps.groupby(SERIES, sort=False):
        for measure in ("D", "R"):
            s = g.loc[(g["measure"] == measure) & g["estimate"].notna()].sort_values("date")
            if measure == "R":
                s = s.loc[s["estimate"] > 0]
            x = pd.to_numeric(s["date"]).to_numpy(dtype=float)
            y = s["estimate"].to_numpy(dtype=float)
            se = s["se"].to_numpy(dtype=float)
            if measure == "R":
                # HEAT/corrected report se(R); healthequal reports se(ln R) already
                se = se if method == "healthequal" else se / y
                y = np.log(y)
            null = 1.0 if measure == "R" else 0.0
            level = float(np.exp(y.mean())) if measure == "R" and y.size else (float(y.mean()) if y.size else np.nan)
            if y.size < 2:
                rows.append((*key, measure, "change", np.nan, np.nan, y.size, *[np.nan] * 5,
                             "undetermined", "fewer than two dates with this measure"))
                continue
            if dates is None:
                i0, i1 = 0, y.size - 1
            else:
                where = {d: i for i, d in enumerate(x)}
                if float(dates[0]) not in where or float(dates[1]) not in where:
                    rows.append((*key, measure, "change", dates[0], dates[1], y.size, *[np.nan] * 5,
                                 "undetermined", "a requested date has no estimate"))
                    i0 = i1 = None
                else:
                    i0, i1 = where[float(dates[0])], where[float(dates[1])]
            if i0 is not None:
                est = y[i1] - y[i0]
                sd = float(np.sqrt(se[i0] ** 2 + se[i1] ** 2))
                lo, hi = est - z * sd, est + z * sd
                p = 2 * stats.norm.sf(abs(est / sd)) if np.isfinite(sd) and sd > 0 else np.nan
                note = "" if np.isfinite(sd) else "no subgroup SEs: change reported without interval"
                if measure == "R":
                    est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
                rows.append((*key, measure, "change", s["date"].iloc[i0], s["date"].iloc[i1], y.size,
                             est, sd, lo, hi, p, _verdict(level, lo, hi, null), note))
            b, sb, lo, hi, p, note = _slope(x, y, se, z, conf_level, min_points)
            if measure == "R":
                sb = 100 * np.exp(b) * sb  # delta method for 100·(e^b − 1)
                b, lo, hi = 100 * np.expm1(b), 100 * np.expm1(lo), 100 * np.expm1(hi)
            if np.isfinite(b) and not np.isfinite(lo) and y.size < min_points:
                verdict = "too few points"
            else:
                verdict = (_verdict(level, lo, hi, 0.0) if measure == "D"
                           else _verdict(level, 1 + lo / 100, 1 + hi / 100, 1.0))
            rows.append((*key, measure, "slope", s["date"].iloc[0], s["date"].iloc[-1], y.size,
                         b, sb, lo, hi, p, verdict, note))
    table = pd.DataFrame(rows, columns=TREND_COLUMNS)
    return GapTrendResult(table=table, gaps=gaps, conf_level=float(conf_level))
