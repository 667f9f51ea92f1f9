"""Fairlie's non-linear decomposition of a gap in a binary outcome (Fairlie 1999, 2005; Stata ``fairlie``)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from ecd.errors import ParameterError
from ecd.gap._common import check_groups, frame, resolve_data
from ecd.survey._glm import _Family, fit_irls

FAIRLIE_REFERENCES = ("pooled", "group0", "group1")


def _variables(terms):
    """Model-matrix columns grouped by the variable they code (dummies of one factor together)."""
    groups: dict = {}
    for j, t in enumerate(terms):
        if t == "Intercept":
            continue
        name = t.split("[T.")[0] if "[T." in t and ":" not in t else t
        if name.startswith("C(") and name.endswith(")"):
            name = name[2:-1]
        groups.setdefault(name, []).append(j)
    return groups


def fairlie(df, formula: str, group: str, design=None, reference: str = "pooled", draws: int = 100,
            order: str = "random", random_state=None, na: str = "raise", conf_level: float = 0.95) -> "FairlieResult":
    """Fairlie decomposition of the gap in a binary outcome between two groups.

    The gap is P(y = 1 | group 0) - P(y = 1 | group 1). A logit model gives
    the coefficients ``reference`` (pooled sample, or one group's); the
    explained part is the difference of the groups' mean predicted
    probabilities under those coefficients. Each variable's contribution
    comes from Fairlie's simulation: draw from the larger group as many rows
    as the smaller group has, pair rows of equal rank of predicted
    probability, and switch the variables one at a time from group 0's to
    group 1's values; the change in mean predicted probability at each switch
    is that variable's contribution. Averaged over ``draws`` subsamples, in a
    random order of the variables for each draw (``order="random"``) so that
    no variable is favoured by coming first.

    Parameters
    ----------
    df : pandas.DataFrame or None
        The data (``design.data`` or ``None`` with a design).
    formula : str
        ``"stunted ~ mothered + log_income + visits"``; the outcome is 0/1.
        Dummies of one categorical variable are switched together.
    group : str
        Column with exactly two levels (0/1 or two labels; the first sorted is group 0).
    design : Design, optional
        Weighted logit (design weights), weighted means, larger-group rows
        drawn with probability proportional to weight (with replacement), and
        design-based covariance of the coefficients for the delta-method SEs.
    reference : {"pooled", "group0", "group1"}
        Coefficients of the pooled logit or of one group's.
    draws : int
        Number of simulated subsamples.
    order : {"random", "fixed"}
        A new random order of the variables at each draw, or the formula's order.
    random_state : int or numpy Generator, optional
        Seed of the draws.
    na : {"raise", "drop"}
        Missing values in the formula's or group columns.
    conf_level : float
        Interval level (normal quantiles; t with the design df for a design).

    Returns
    -------
    FairlieResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ecd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"rural": np.repeat([0, 1], 300), "edu": rng.normal(size=600)})
    >>> df["edu"] -= df["rural"]
    >>> df["stunted"] = (rng.random(600) < 1 / (1 + np.exp(1 + 0.8 * df["edu"]))).astype(int)
    >>> r = ecd.gap.fairlie(df, "stunted ~ edu", group="rural", draws=20, random_state=1)
    >>> r.tidy()["component"].tolist()
    ['gap', 'explained', 'unexplained', 'explained']
    """
    from ecd.survey._glm import one_blas_thread

    with one_blas_thread():
        return _fairlie(df, formula, group, design, reference, draws, order, random_state, na, conf_level)


def _fairlie(df, formula, group, design, reference, draws, order, random_state, na, conf_level):
    if reference not in FAIRLIE_REFERENCES:
        raise ParameterError("reference", f"got {reference!r}; expected one of {FAIRLIE_REFERENCES}.")
    if order not in ("random", "fixed"):
        raise ParameterError("order", f"got {order!r}; expected 'random' or 'fixed'.")
    if not (isinstance(draws, int | np.integer) and draws >= 1):
        raise ParameterError("draws", f"got {draws!r}; expected a positive number of simulated subsamples.")
    if design is not None and hasattr(design, "_replicate_vcov"):
        raise ParameterError("design", "fairlie takes a Taylor-linearization Design; for replicate weights use "
                             "the full-sample weights as a Design (weights=) or ecd.gap.oaxaca.")
    data, w_all = resolve_data(df, design)
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    mf, g, rows, levels = frame(formula, data, group, na)
    X, y = mf.X, mf.y
    bad = (y != 0) & (y != 1)
    if bad.any():
        from ecd.errors import DataError

        raise DataError(f"the outcome {mf.response!r} must be 0/1 for a Fairlie decomposition; found "
                        f"{np.unique(y[bad])[:5].tolist()}.")
    w = w_all[rows]
    check_groups(X, g, mf.terms, levels, group)
    fam = _Family("binomial")
    sel = np.ones(len(y), bool) if reference == "pooled" else (g == int(reference[-1]))
    beta, eta, mu, Ainv = fit_irls(X[sel], y[sel], w[sel], fam, formula, mf.terms)
    infl = (X[sel] * (w[sel] * (y[sel] - mu))[:, None]) @ Ainv
    if design is None:
        from ecd.survey import Design

        design_v = Design(pd.DataFrame({"_w": w_all}), weights="_w")
    else:
        design_v = design
    V = design_v._influence_vcov(infl.T, rows[sel])
    variables = _variables(mf.terms)
    names = list(variables)
    A, B = np.flatnonzero(g == 0), np.flatnonzero(g == 1)
    small, large = (A, B) if len(A) <= len(B) else (B, A)
    p_all = special.expit(X @ beta)
    contrib = np.zeros(len(names))
    grad = np.zeros((len(names), len(beta)))
    per_draw = np.zeros((draws, len(names)))
    weighted = design is not None
    for d in range(draws):
        if weighted:
            pl = w[large] / w[large].sum()
            sub = rng.choice(large, size=len(small), replace=True, p=pl)
        else:
            sub = rng.choice(large, size=len(small), replace=False)
        # pair rows of equal rank of predicted probability
        s_sorted = small[np.argsort(p_all[small], kind="stable")]
        l_sorted = sub[np.argsort(p_all[sub], kind="stable")]
        a_rows, b_rows = (s_sorted, l_sorted) if len(A) <= len(B) else (l_sorted, s_sorted)
        pw = w[s_sorted] / w[s_sorted].sum()  # the smaller group's rows weigh the pairs
        seq = rng.permutation(len(names)) if order == "random" else np.arange(len(names))
        Xm = X[a_rows].copy()
        eta_prev = Xm @ beta
        for k in seq:
            cols = variables[names[k]]
            Xm[:, cols] = X[b_rows][:, cols]
            eta_new = Xm @ beta
            p_prev, p_new = special.expit(eta_prev), special.expit(eta_new)
            c = pw @ (p_prev - p_new)
            per_draw[d, k] = c
            contrib[k] += c
            d_prev = p_prev * (1 - p_prev)
            d_new = p_new * (1 - p_new)
            # gradient in beta: the previous matrix is Xm with this variable's group-0 columns
            Xprev = Xm.copy()
            Xprev[:, cols] = X[a_rows][:, cols]
            grad[k] += (pw * d_prev) @ Xprev - (pw * d_new) @ Xm
            eta_prev = eta_new
    contrib /= draws
    grad /= draws
    se_c = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grad, V, grad), 0))
    wA, wB = w * (g == 0), w * (g == 1)
    yA, yB = wA @ y / wA.sum(), wB @ y / wB.sum()
    pA, pB = wA @ p_all / wA.sum(), wB @ p_all / wB.sum()
    explained = pA - pB
    dA = p_all * (1 - p_all)
    g_expl = (wA * dA) @ X / wA.sum() - (wB * dA) @ X / wB.sum()
    # the explained part moves with the coefficients and with the samples' covariates
    z_expl = (wA * (p_all - pA) / wA.sum() - wB * (p_all - pB) / wB.sum())
    z_gap = (wA * (y - yA) / wA.sum() - wB * (y - yB) / wB.sum())
    infl_full = np.zeros((len(beta), len(y)))
    infl_full[:, sel] = infl.T
    Z = np.vstack([z_gap, z_expl + g_expl @ infl_full])
    Vz = design_v._influence_vcov(Z, rows)
    V3 = np.array([[Vz[0, 0], Vz[1, 1], Vz[0, 0] + Vz[1, 1] - 2 * Vz[0, 1]]])
    df_ = float(design._degf(rows)) if design is not None else np.inf
    return FairlieResult(formula=formula, group=group, levels=tuple(levels), reference=reference,
                         variables=tuple(names), gap=float(yA - yB), explained=float(explained),
                         se_totals=np.sqrt(np.maximum(V3[0], 0)), contributions=contrib, se=se_c,
                         per_draw=per_draw, draws=draws, order=order, df=df_, conf_level=conf_level,
                         coef=beta, terms=mf.terms)


@dataclass(frozen=True, eq=False)
class FairlieResult:
    """A Fairlie decomposition.

    ``per_draw`` holds each draw's contributions (draws x variables); each
    row sums to that draw's difference in mean predicted probability between
    the paired group-0 and group-1 rows, and ``contributions`` is their mean.
    ``coef`` are the reference logit coefficients (``terms``).
    """

    formula: str
    group: str
    levels: tuple
    reference: str
    variables: tuple
    gap: float
    explained: float
    se_totals: np.ndarray = field(repr=False)  # gap, explained, unexplained
    contributions: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    per_draw: np.ndarray = field(repr=False)
    draws: int = 0
    order: str = "random"
    df: float = np.inf
    conf_level: float = 0.95
    coef: np.ndarray = field(default=None, repr=False)
    terms: tuple = ()

    def tidy(self) -> pd.DataFrame:
        """Columns ``component, term, estimate, se, ci_low, ci_high``: the gap, the explained and
        unexplained parts (``term="overall"``), then each variable's explained contribution.

        SEs: linearization through the design for the gap and the totals; the
        delta method from the coefficients' covariance for the contributions
        (as Stata ``fairlie``).
        """
        est = np.concatenate([[self.gap, self.explained, self.gap - self.explained], self.contributions])
        se = np.concatenate([self.se_totals, self.se])
        a = (1 - self.conf_level) / 2
        q = stats.norm.isf(a) if not np.isfinite(self.df) else stats.t.isf(a, self.df)
        return pd.DataFrame({"component": ["gap", "explained", "unexplained"] + ["explained"] * len(self.variables),
                             "term": ["overall"] * 3 + list(self.variables), "estimate": est, "se": se,
                             "ci_low": est - q * se, "ci_high": est + q * se})
