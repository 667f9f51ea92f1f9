"""Comparability of two joinpoint trends (Kim, Fay, Yu & Feuer 2004): coincidence and parallelism."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ecd.errors import ParameterError

from ._joinpoint import Joinpoint
from ._linear import GridSSE, configurations, hinge, max_feasible_k, wls
from ._results import CompareResult
from ._series import prepare_series


def compare(series_a: pd.DataFrame, series_b: pd.DataFrame, year: str = "year", value: str = "value",
            se: str | None = None, max_joinpoints: int = 3, select: str = "bic", min_obs_end: int = 2,
            min_obs_between: int = 2, n_permutations: int = 999, alpha: float = 0.05,
            random_state=None, labels=("a", "b"), missing: str = "raise") -> CompareResult:
    """Test whether two log-linear joinpoint trends coincide or are parallel.

    Each series is first fitted on its own (``k_a`` and ``k_b`` joinpoints chosen by
    ``select``); that pair of fits is the full model. Two reduced models with
    ``k = max(k_a, k_b)`` joinpoints are fitted to the pooled data by the same grid
    search: *coincidence* (one common trend) and *parallelism* (common joinpoints
    and slopes, separate levels). The statistic is the F ratio
    ``((SSE_r − SSE_f)/(p_f − p_r)) / (SSE_f/(N − p_f))`` with p counting
    joinpoints as parameters; its p-value comes from permuting the reduced model's
    residuals and re-running both grid searches (as Joinpoint's pairwise
    comparison), and an F-distribution p-value is given for reference.

    Parameters
    ----------
    series_a, series_b : pandas.DataFrame
        The two series (e.g. urban and rural), one row per year each.
    year, value, se : str
        Column names shared by both frames.
    max_joinpoints, select, min_obs_end, min_obs_between
        As in `ecd.trends.joinpoint`.
    n_permutations : int
        Permutations per test (0 skips the permutation p-value).
    alpha : float
        Level for the ``reject`` column (permutation p-value, else F).
    random_state : int or None
        Seed of the permutations.
    labels : (str, str)
        Names of the two series in the output.

    Returns
    -------
    CompareResult
        ``.tidy()``: one row per test with ``test, statistic, df1, df2, p_value,
        p_value_f, n_permutations, reject, k_a, k_b, k_reduced, joinpoints_reduced,
        sse_full, sse_reduced``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ecd
    >>> years = np.arange(2000, 2016)
    >>> a = pd.DataFrame({"year": years, "value": 30 * 0.95 ** (years - 2000)})
    >>> b = a.assign(value=a["value"] * 0.5 * np.exp(0.01 * np.sin(years)))
    >>> a["value"] *= np.exp(0.01 * np.cos(years))
    >>> res = ecd.trends.compare(a, b, max_joinpoints=0, n_permutations=199, random_state=1).tidy()
    >>> res[["test", "reject"]].to_numpy().tolist()
    [['coincidence', True], ['parallelism', False]]
    """
    if n_permutations < 0:
        raise ParameterError("n_permutations", f"expected ≥ 0, found {n_permutations!r}.")
    sa = prepare_series(series_a, year, value, se, None, missing, what=f"compare ({labels[0]})")
    sb = prepare_series(series_b, year, value, se, None, missing, what=f"compare ({labels[1]})")
    fa = Joinpoint(max_joinpoints, select, min_obs_end, min_obs_between, continuous=False).fit(
        series_a, year, value, se, missing=missing)
    fb = Joinpoint(max_joinpoints, select, min_obs_end, min_obs_between, continuous=False).fit(
        series_b, year, value, se, missing=missing)
    ka, kb = fa.n_joinpoints_, fb.n_joinpoints_
    x = np.concatenate([sa.x, sb.x])
    y = np.concatenate([sa.y, sb.y])
    w = np.concatenate([sa.w, sb.w])
    ia = np.r_[np.ones(sa.n), np.zeros(sb.n)]
    knots = np.unique(x)
    n = x.size
    k = min(max(ka, kb), max_feasible_k(knots.size, min_obs_end, min_obs_between))
    cfg = configurations(knots.size, k, min_obs_end, min_obs_between)

    # full model: each series with its own grid search, as blocks of one pooled response
    ga = GridSSE(sa.x, sa.w, np.column_stack([np.ones(sa.n), sa.x]), sa.x,
                 configurations(sa.n, ka, min_obs_end, min_obs_between))
    gb = GridSSE(sb.x, sb.w, np.column_stack([np.ones(sb.n), sb.x]), sb.x,
                 configurations(sb.n, kb, min_obs_end, min_obs_between))
    p_full = (2 * ka + 2) + (2 * kb + 2)
    sw = np.sqrt(w)

    def full_sse(yw):
        return ga.min_sse(yw[: sa.n])[0] + gb.min_sse(yw[sa.n :])[0]

    rng = np.random.default_rng(random_state)
    rows = []
    reduced = {
        "coincidence": (np.column_stack([np.ones(n), x]), 2 * k + 2),
        "parallelism": (np.column_stack([ia, 1 - ia, x]), 2 * k + 3),
    }
    yw_obs = (y * sw)[:, None]
    sse_f = float(full_sse(yw_obs)[0])
    df2 = n - p_full
    for test, (base, p_red) in reduced.items():
        g = GridSSE(x, w, base, knots, cfg)
        sse_r_arr, arg = g.min_sse(yw_obs)
        sse_r = float(sse_r_arr[0])
        df1 = p_full - p_red
        stat = max(((sse_r - sse_f) / df1) / (sse_f / df2), 0.0)
        p_f = float(stats.f.sf(stat, df1, df2))
        tau = knots[cfg[arg[0]]]
        p_perm = np.nan
        if n_permutations:
            X = np.column_stack([base, hinge(x, tau)])
            beta, _, _ = wls(X, y, w)
            fitted = (X @ beta) * sw
            resid = y * sw - fitted
            perm = rng.permuted(np.broadcast_to(resid, (n_permutations, n)), axis=1).T
            yw = fitted[:, None] + perm
            sr = g.min_sse(yw)[0]
            sf = full_sse(yw)
            with np.errstate(divide="ignore", invalid="ignore"):
                st = ((sr - sf) / df1) / (sf / df2)
            p_perm = (1 + int(np.sum(st >= stat * (1 - 1e-12)))) / (n_permutations + 1)
        p_use = p_perm if n_permutations else p_f
        rows.append({
            "test": test,
            "statistic": stat, "df1": df1, "df2": df2,
            "p_value": p_use, "p_value_f": p_f, "n_permutations": n_permutations,
            "reject": bool(p_use < alpha),
            "series_a": labels[0], "series_b": labels[1],
            "k_a": ka, "k_b": kb, "k_reduced": k,
            "joinpoints_reduced": ";".join(f"{t:g}" for t in tau),
            "sse_full": sse_f, "sse_reduced": sse_r,
        })
    notes = tuple(sa.notes) + tuple(sb.notes) + fa.notes_ + fb.notes_
    return CompareResult(pd.DataFrame(rows), notes)
