"""Milestones by age: pass rates in age groups and the ages at which given shares of children pass.

For each item, a logistic regression of pass (1) / fail (0) on age,
``logit P(pass) = b0 + b1 * age``, fitted by maximum likelihood. The age at which
a share ``q`` of children pass is ``(logit(q) - b0) / b1``; its confidence interval
is Fieller's (the set of ages whose predicted logit is compatible with
``logit(q)``), which stays honest when the slope is imprecise: when the slope is
not clearly positive the interval is unbounded and reported as missing. The
standard error is the delta-method one.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd
from scipy import special, stats

from ecd.errors import ParameterError

from ._score import score_matrix

_STATUS = {
    "ok": "fitted",
    "few": "answered by fewer than min_n children",
    "all_pass": "passed by every child who answered it",
    "all_fail": "failed by every child who answered it",
    "separated": "passes and fails separated by age (no finite estimate)",
    "not_increasing": "pass rate does not rise with age",
}


@dataclass(frozen=True, eq=False)
class PassingAges:
    """Logistic fits of pass on age, one per item (see :func:`passing_ages`)."""

    fits: pd.DataFrame
    probs: tuple
    level: float
    age_unit: str

    def tidy(self) -> pd.DataFrame:
        """One row per item and share passing.

        Columns ``item, prob, estimate`` (age at which ``prob`` of children pass),
        ``se, ci_low, ci_high`` (Fieller interval; missing when unbounded),
        ``extrapolated`` (the estimate lies outside the ages of the children who
        answered the item), ``age_min, age_max``, ``n, n_pass``, ``b0, b1`` (the
        logistic intercept and slope per age unit), ``status`` and ``age_unit``.
        Items without a fit have missing estimates and a ``status`` saying why.
        """
        z = stats.norm.ppf(0.5 + self.level / 2.0)
        rows = []
        for q in self.probs:
            f = self.fits
            target = special.logit(q)
            b0, b1 = f["b0"].to_numpy(float), f["b1"].to_numpy(float)
            v00, v01, v11 = (f[c].to_numpy(float) for c in ("v00", "v01", "v11"))
            with np.errstate(invalid="ignore", divide="ignore"):
                est = (target - b0) / b1
                se = np.sqrt(v00 + 2 * est * v01 + est ** 2 * v11) / np.abs(b1)
                lo, hi = _fieller(target - b0, b1, v00, v01, v11, z)
            ok = (f["status"] == "ok").to_numpy()
            est, se, lo, hi = (np.where(ok, v, np.nan) for v in (est, se, lo, hi))
            rows.append(pd.DataFrame({
                "item": f["item"], "prob": q, "estimate": est, "se": se, "ci_low": lo, "ci_high": hi,
                "extrapolated": ok & ((est < f["age_min"]) | (est > f["age_max"])).to_numpy(),
                "age_min": f["age_min"], "age_max": f["age_max"], "n": f["n"], "n_pass": f["n_pass"],
                "b0": f["b0"], "b1": f["b1"], "status": f["status"], "age_unit": self.age_unit,
            }))
        return pd.concat(rows, ignore_index=True)

    def predict(self, age) -> pd.DataFrame:
        """Fitted pass probabilities: one row per item (fitted items only), one column per age."""
        age = np.asarray(age, dtype=float)
        f = self.fits[self.fits["status"] == "ok"]
        p = special.expit(f["b0"].to_numpy()[:, None] + f["b1"].to_numpy()[:, None] * age[None, :])
        return pd.DataFrame(p, index=pd.Index(f["item"], name="item"), columns=age)


def passing_ages(
    responses: pd.DataFrame,
    age,
    *,
    items: list | None = None,
    probs=(0.5, 0.9),
    age_unit: str = "months",
    min_n: int = 20,
    level: float = 0.95,
    max_iter: int = 50,
) -> PassingAges:
    """Age at which given shares of children pass each item, from a logistic fit of pass on age.

    Parameters
    ----------
    responses : pandas.DataFrame
        Item columns scored 0, 1 or missing, one row per child.
    age : str or array-like
        A column of ``responses`` or one age per row (any unit; say which in
        ``age_unit``). Rows with a missing age are left out.
    items : list of str, optional
        Item columns; by default every column except ``age``.
    probs : sequence of float, default (0.5, 0.9)
        Shares passing, each in (0, 1).
    age_unit : str, default "months"
        Label of the age unit, copied to the result.
    min_n : int, default 20
        Items with fewer answers are not fitted.
    level : float, default 0.95
        Confidence level.
    max_iter : int, default 50
        Newton iterations per item.

    Returns
    -------
    PassingAges

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ecd.development import passing_ages
    >>> rng = np.random.default_rng(0)
    >>> months = rng.uniform(6, 30, 800)
    >>> walks = (rng.random(800) < 1 / (1 + np.exp(-(months - 12) / 1.5))).astype(float)
    >>> t = passing_ages(pd.DataFrame({"walks": walks}), months).tidy()
    >>> t[["prob", "estimate"]].round(1).values.tolist()  # SYNTHETIC truth: 12.0 and 15.3
    [[0.5, 11.9], [0.9, 15.7]]
    """
    if not isinstance(responses, pd.DataFrame):
        raise ParameterError("responses", f"expected a pandas DataFrame, got {type(responses).__name__}.")
    probs = tuple(probs)
    if not probs or not all(isinstance(q, Real) and 0 < q < 1 for q in probs):
        raise ParameterError("probs", f"{probs!r}: give shares strictly between 0 and 1, e.g. (0.5, 0.9).")
    if not (isinstance(level, Real) and 0 < level < 1):
        raise ParameterError("level", f"{level!r} is not a confidence level in (0, 1).")
    if not (isinstance(min_n, (int, np.integer)) and min_n >= 2):
        raise ParameterError("min_n", f"{min_n!r}: give an integer of at least 2.")
    t = _age_values(responses, age)
    if items is None:
        items = [c for c in responses.columns if not (isinstance(age, str) and c == age)]
    missing = [c for c in items if c not in responses.columns]
    if missing:
        raise ParameterError("items", f"columns {missing[:10]} are not in the data.")
    x = score_matrix(responses, list(items))
    rows = [_fit_item(str(item), t, x[:, j], min_n, max_iter) for j, item in enumerate(items)]
    return PassingAges(fits=pd.DataFrame(rows), probs=probs, level=float(level), age_unit=str(age_unit))


def pass_rates(responses: pd.DataFrame, age, edges, *, items: list | None = None, level: float = 0.95,
               labels: list | None = None) -> pd.DataFrame:
    """Share of children passing each item in age groups, with Wilson intervals.

    Parameters
    ----------
    responses : pandas.DataFrame
        Item columns scored 0, 1 or missing.
    age : str or array-like
        A column of ``responses`` or one age per row.
    edges : sequence of float
        Group boundaries; a group is ``[edges[k], edges[k + 1])``, the last one
        closed on the right.
    items : list of str, optional
        Item columns; by default every column except ``age``.
    level : float
        Confidence level of ``ci_low``/``ci_high``.
    labels : list of str, optional
        Group labels (default ``"lo-hi"``).

    Returns
    -------
    pandas.DataFrame
        ``item, age_group, age_low, age_high, n, n_pass, p, ci_low, ci_high`` (p and
        the interval as proportions; missing where no child in the group answered).

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.development import pass_rates
    >>> kids = pd.DataFrame({"age": [17, 18, 19, 20], "a": [0, 1, 1, None]})
    >>> pass_rates(kids, "age", [17, 19, 21])[["age_group", "n", "p"]].values.tolist()
    [['17-19', 2, 0.5], ['19-21', 1, 1.0]]
    """
    edges = np.asarray(edges, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ParameterError("edges", "give at least two increasing group boundaries.")
    if labels is not None and len(labels) != edges.size - 1:
        raise ParameterError("labels", f"{len(labels)} labels for {edges.size - 1} groups.")
    t = _age_values(responses, age)
    if items is None:
        items = [c for c in responses.columns if not (isinstance(age, str) and c == age)]
    x = score_matrix(responses, list(items))
    group = np.searchsorted(edges, t, side="right") - 1
    group[t == edges[-1]] = edges.size - 2
    group[~np.isfinite(t) | (t < edges[0]) | (t > edges[-1])] = -1
    z = stats.norm.ppf(0.5 + level / 2.0)
    out = []
    for k in range(edges.size - 1):
        sel = group == k
        answered = ~np.isnan(x[sel])
        n = answered.sum(0)
        n_pass = np.nansum(x[sel], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = n_pass / n
            lo, hi = _wilson(n_pass, n, z)
        label = labels[k] if labels is not None else f"{edges[k]:g}-{edges[k + 1]:g}"
        out.append(pd.DataFrame({"item": [str(i) for i in items], "age_group": label, "age_low": edges[k],
                                 "age_high": edges[k + 1], "n": n.astype("int64"),
                                 "n_pass": n_pass.astype("int64"), "p": p, "ci_low": lo, "ci_high": hi}))
    return pd.concat(out, ignore_index=True)


# ---------------------------------------------------------------------- helpers
def _age_values(responses, age):
    if isinstance(age, str):
        if age not in responses.columns:
            raise ParameterError("age", f"column {age!r} is not in the data.")
        raw = responses[age].to_numpy()
    else:
        raw = np.asarray(age).ravel()
        if raw.size != len(responses):
            raise ParameterError("age", f"{raw.size} ages for {len(responses)} rows; give one per row.")
    t = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(float)
    bad = np.flatnonzero(np.isnan(t) & pd.notna(pd.Series(raw)).to_numpy())
    if bad.size:
        raise ParameterError("age", f"rows {[responses.index[i] for i in bad[:10]]} hold ages that are not numbers.")
    return t


def _fit_item(item, t, y, min_n, max_iter):
    use = ~np.isnan(y) & np.isfinite(t)
    t, y = t[use], y[use]
    row = {"item": item, "n": int(y.size), "n_pass": int(y.sum()),
           "age_min": float(t.min()) if t.size else np.nan, "age_max": float(t.max()) if t.size else np.nan,
           "b0": np.nan, "b1": np.nan, "v00": np.nan, "v01": np.nan, "v11": np.nan}
    if y.size < min_n:
        return {**row, "status": "few"}
    if y.all():
        return {**row, "status": "all_pass"}
    if not y.any():
        return {**row, "status": "all_fail"}
    if t[y == 0].max() <= t[y == 1].min() or t[y == 1].max() <= t[y == 0].min():
        return {**row, "status": "separated"}
    centre = t.mean()
    design = np.column_stack([np.ones_like(t), t - centre])
    beta = _newton_logit(design, y, max_iter)
    # a slope that moves the logit by more than 40 over the observed ages is quasi-separation
    if beta is None or abs(beta[1]) * np.ptp(t) > 40.0:
        return {**row, "status": "separated"}
    p = special.expit(design @ beta)
    cov_c = np.linalg.inv(design.T @ (design * (p * (1.0 - p))[:, None]))
    # back from centred age: b0 = a0 - b1 * centre
    jac = np.array([[1.0, -centre], [0.0, 1.0]])
    b0, b1 = jac @ beta
    cov = jac @ cov_c @ jac.T
    status = "ok" if b1 > 0 else "not_increasing"
    return {**row, "b0": float(b0), "b1": float(b1), "v00": cov[0, 0], "v01": cov[0, 1], "v11": cov[1, 1],
            "status": status}


def _loglik(design, y, beta):
    eta = design @ beta
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def _newton_logit(design, y, max_iter):
    """Logistic ML by Newton with step halving; None when it does not converge (separation)."""
    beta = np.array([special.logit(y.mean()), 0.0])
    ll = _loglik(design, y, beta)
    for _ in range(max_iter):
        p = special.expit(design @ beta)
        info = design.T @ (design * (p * (1.0 - p))[:, None])
        try:
            step = np.linalg.solve(info, design.T @ (y - p))
        except np.linalg.LinAlgError:
            return None
        t = 1.0
        while _loglik(design, y, beta + t * step) < ll - 1e-12 and t > 1e-6:
            t /= 2.0
        beta = beta + t * step
        ll = _loglik(design, y, beta)
        if np.max(np.abs(t * step)) < 1e-10:
            return beta
    return None


def _fieller(a0, b1, v00, v01, v11, z):
    """Fieller interval for x = a0 / b1 where a0 = target - b0: roots of A x^2 - 2 B x + C <= 0."""
    A = b1 ** 2 - z ** 2 * v11
    B = a0 * b1 + z ** 2 * v01
    C = a0 ** 2 - z ** 2 * v00
    disc = B ** 2 - A * C
    bounded = (A > 0) & (disc >= 0)
    root = np.sqrt(np.where(bounded, disc, np.nan))
    lo = np.where(bounded, (B - root) / np.where(bounded, A, 1.0), np.nan)
    hi = np.where(bounded, (B + root) / np.where(bounded, A, 1.0), np.nan)
    return lo, hi


def _wilson(k, n, z):
    p = k / n
    denom = 1 + z ** 2 / n
    centre = (p + z ** 2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / denom
    return centre - half, centre + half
