"""Beta and sigma convergence of a panel of log-linear series."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ecd.errors import DataError, ModelError, ParameterError

from ._linear import wls
from ._results import ConvergenceResult, quantile


def _ols_slope(x, y, level):
    X = np.column_stack([np.ones_like(x), x])
    beta, xtx_inv, sse = wls(X, y, np.ones_like(y))
    df = x.size - 2
    if df < 1:
        return beta, np.nan, df, np.nan, np.nan, np.nan
    se = float(np.sqrt(sse / df * xtx_inv[1, 1]))
    q = quantile(level, df)
    p = float(2 * stats.t.sf(abs(beta[1] / se), df)) if se > 0 else 0.0
    return beta, se, df, beta[1] - q * se, beta[1] + q * se, p


def convergence(panel: pd.DataFrame, unit="geo", year: str = "year", value: str = "value",
                start: float | None = None, end: float | None = None, level: float = 0.95,
                missing: str = "raise") -> ConvergenceResult:
    """Beta and sigma convergence of a value across units (e.g. region × residence).

    *Beta*: the average annual log growth of each unit between ``start`` and
    ``end``, ``g = (ln y_end − ln y_start)/(end − start)``, is regressed on
    ``ln y_start``; β < 0 means units that started higher fall (or grow) faster,
    i.e. they converge. The implied speed is ``λ = −ln(1 + βT)/T``. *Sigma*: the
    standard deviation of ln(value) across units, each year; its linear trend and
    its change from ``start`` to ``end`` (σ-convergence when it shrinks).

    Parameters
    ----------
    panel : pandas.DataFrame
        Long data: one row per unit and year.
    unit : str or list of str
        Column(s) naming a unit, e.g. ``["geo", "area"]``.
    start, end : float, optional
        First and last year (default: the first and last year present for every unit).
    level : float
        Confidence level of the β and σ-trend intervals (t, df = units − 2 / years − 2).

    Returns
    -------
    ConvergenceResult
        ``.tidy()``: ``measure, estimate, se, ci_low, ci_high, p_value, df, n`` for
        ``beta``, ``speed``, ``sigma_start``, ``sigma_end``, ``sigma_change`` and
        ``sigma_trend``; ``.sigma_by_year``: ``year, sigma, cv, n_units``.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd
    >>> panel = pd.DataFrame({"geo": ["E", "E", "C", "C", "W", "W"],
    ...                       "year": [2000, 2010] * 3,
    ...                       "value": [10.0, 5.0, 20.0, 8.0, 40.0, 12.0]})
    >>> res = ecd.trends.convergence(panel, unit="geo").tidy().set_index("measure")
    >>> bool(res.loc["beta", "estimate"] < 0), bool(res.loc["sigma_change", "estimate"] < 0)
    (True, True)
    """
    units = [unit] if isinstance(unit, str) else list(unit)
    for c in units + [year, value]:
        if c not in panel.columns:
            raise ParameterError("unit" if c in units else ("year" if c == year else "value"),
                                 f"column {c!r} is not in the panel (columns: {list(panel.columns)}).")
    d = panel[units + [year, value]].copy()
    d[value] = pd.to_numeric(d[value], errors="coerce")
    bad = d[value].isna() | d[year].isna()
    if bad.any():
        if missing == "raise":
            raise DataError(f"convergence: {int(bad.sum())} row(s) with a missing year or {value!r} "
                            f"(rows {list(d.index[bad][:10])}); drop them or pass missing='drop'.")
        d = d[~bad]
    nonpos = d[value] <= 0
    if nonpos.any():
        r = d[nonpos].iloc[0]
        raise DataError(f"convergence: {value!r} is {r[value]:g} for unit "
                        f"{tuple(r[units])} in year {r[year]:g}; logs need values > 0.")
    d["_unit"] = d[units].astype(str).agg(" / ".join, axis=1)
    if d.duplicated(["_unit", year]).any():
        dup = d[d.duplicated(["_unit", year], keep=False)][["_unit", year]].drop_duplicates()
        raise DataError("convergence: more than one row per unit and year for "
                        + ", ".join(f"{u} {y:g}" for u, y in dup.to_numpy()[:10])
                        + f"; give every distinguishing column in unit= (now {units}).")
    wide = d.pivot(index=year, columns="_unit", values=value).sort_index()
    full = wide.dropna(axis=0, how="any")
    start = float(full.index.min()) if start is None else float(start)
    end = float(full.index.max()) if end is None else float(end)
    if not end > start:
        raise ParameterError("end", f"need end > start, found start={start:g}, end={end:g}.")
    for yr in (start, end):
        if yr not in wide.index or wide.loc[yr].isna().any():
            lacking = [] if yr not in wide.index else list(wide.columns[wide.loc[yr].isna()])
            raise DataError(f"convergence: year {yr:g} is missing for unit(s) "
                            f"{lacking or list(wide.columns)}; choose start/end years every unit has.")
    if wide.shape[1] < 3:
        raise ModelError(f"convergence: {wide.shape[1]} unit(s); beta convergence needs at least 3.")
    ly0, ly1 = np.log(wide.loc[start].to_numpy(float)), np.log(wide.loc[end].to_numpy(float))
    T = end - start
    g = (ly1 - ly0) / T
    beta, se, df, lo, hi, p = _ols_slope(ly0, g, level)
    b = beta[1]

    def speed(v):
        return -np.log1p(v * T) / T if v * T > -1 else np.nan

    logs = np.log(wide)
    sig = pd.DataFrame({
        "year": logs.index.to_numpy(float),
        "sigma": logs.std(axis=1, ddof=1).to_numpy(),
        "cv": (wide.std(axis=1, ddof=1) / wide.mean(axis=1)).to_numpy(),
        "n_units": wide.notna().sum(axis=1).to_numpy(),
    })
    sig = sig[(sig.year >= start) & (sig.year <= end)].reset_index(drop=True)
    ok = sig.sigma.notna() & (sig.n_units >= 2)
    s_beta, s_se, s_df, s_lo, s_hi, s_p = _ols_slope(sig.year[ok].to_numpy(float), sig.sigma[ok].to_numpy(), level)
    s0 = float(sig.loc[sig.year == start, "sigma"].iloc[0])
    s1 = float(sig.loc[sig.year == end, "sigma"].iloc[0])
    nu = wide.shape[1]
    table = pd.DataFrame([
        {"measure": "beta", "estimate": b, "se": se, "ci_low": lo, "ci_high": hi, "p_value": p, "df": df, "n": nu},
        {"measure": "speed", "estimate": speed(b), "se": np.nan, "ci_low": speed(hi), "ci_high": speed(lo),
         "p_value": np.nan, "df": df, "n": nu},
        {"measure": "sigma_start", "estimate": s0, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
         "p_value": np.nan, "df": np.nan, "n": nu},
        {"measure": "sigma_end", "estimate": s1, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
         "p_value": np.nan, "df": np.nan, "n": nu},
        {"measure": "sigma_change", "estimate": s1 - s0, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
         "p_value": np.nan, "df": np.nan, "n": nu},
        {"measure": "sigma_trend", "estimate": s_beta[1], "se": s_se, "ci_low": s_lo, "ci_high": s_hi,
         "p_value": s_p, "df": s_df, "n": int(ok.sum())},
    ])
    table.insert(1, "start", start)
    table.insert(2, "end", end)
    notes = []
    if len(full) < len(wide):
        notes.append(f"{len(wide) - len(full)} year(s) lack some unit; sigma uses the units present")
    return ConvergenceResult(table, sig, tuple(notes))
