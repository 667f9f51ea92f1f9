"""Annual percent change from a log-linear least-squares fit."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ecd.errors import ModelError, ParameterError

from ._linear import wls
from ._results import APCResult, pct, quantile
from ._series import prepare_series


def _periods(period):
    if period is None:
        return [None]
    if len(period) and all(np.ndim(p) == 1 for p in period):
        return [tuple(p) for p in period]
    return [tuple(period)]


def apc(df: pd.DataFrame, year: str = "year", value: str = "value", se: str | None = None,
        period=None, level: float = 0.95, missing: str = "raise") -> APCResult:
    """Annual percent change by least squares on ln(value).

    Fits ``ln(value) = a + b·year`` (weighted by ``value² / se²`` when ``se`` is
    given) and reports ``APC = 100 (e^b − 1)`` with t (df n − 2) and normal
    intervals. Missing years are allowed; the years used are reported.

    Parameters
    ----------
    df : pandas.DataFrame
        One series, one row per year.
    year, value, se : str
        Column names; ``se`` (optional) holds the standard error of ``value``.
    period : (first, last) or list of them, optional
        Inclusive year range(s); one output row per period. Default: all years.
    level : float
        Confidence level of the intervals.
    missing : {"raise", "drop"}
        Rows with a missing year/value/SE raise `MissingDataError` or are dropped.

    Returns
    -------
    APCResult
        ``.tidy()`` columns: ``start, end, n, years_used, slope, se, df, apc,
        ci_low, ci_high`` (t), ``ci_low_z, ci_high_z``, ``p_value, resid_sd, r2``.

    Raises
    ------
    DataError
        Non-positive values (named by year) or duplicated years.
    ModelError
        Fewer than 3 observations in a period.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd
    >>> df = pd.DataFrame({"year": [2015, 2016, 2017, 2019, 2020],
    ...                    "value": [8.1, 7.5, 6.8, 5.6, 5.4]})
    >>> res = ecd.trends.apc(df).tidy()
    >>> int(res["n"].iloc[0]), res["years_used"].iloc[0]
    (5, '2015–2017, 2019–2020')
    >>> round(float(res["apc"].iloc[0]), 2)
    -8.18
    """
    if not 0 < level < 1:
        raise ParameterError("level", f"expected a level in (0, 1), found {level!r}.")
    rows, notes = [], []
    for per in _periods(period):
        s = prepare_series(df, year, value, se, per, missing, what="apc")
        notes.extend(s.notes)
        if s.n < 3:
            where = f"period {per}" if per else "the data"
            raise ModelError(
                f"apc: {where} has {s.n} usable year(s); a slope with a confidence interval "
                "needs at least 3. Widen the period or add years."
            )
        X = np.column_stack([np.ones(s.n), s.x])
        beta, xtx_inv, sse = wls(X, s.y, s.w)
        df_ = s.n - 2
        sigma2 = sse / df_
        b, seb = beta[1], float(np.sqrt(sigma2 * xtx_inv[1, 1]))
        ybar = np.sum(s.w * s.y) / np.sum(s.w)
        sst = float(np.sum(s.w * (s.y - ybar) ** 2))
        qt, qz = quantile(level, df_), quantile(level, None)
        rows.append({
            "start": s.x[0], "end": s.x[-1], "n": s.n, "years_used": s.years_used,
            "slope": b, "se": seb, "df": df_, "apc": pct(b),
            "ci_low": pct(b - qt * seb), "ci_high": pct(b + qt * seb),
            "ci_low_z": pct(b - qz * seb), "ci_high_z": pct(b + qz * seb),
            "p_value": float(2 * stats.t.sf(abs(b / seb), df_)) if seb > 0 else 0.0,
            "resid_sd": float(np.sqrt(sigma2)),
            "r2": 1.0 - sse / sst if sst > 0 else np.nan,
        })
    return APCResult(pd.DataFrame(rows), tuple(notes))
