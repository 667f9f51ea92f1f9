"""Rasch item difficulties estimated from data, anchored as D-score keys are.

Pairwise conditional maximum likelihood (Choppin 1968; Zwinderman 1995), the method
the D-score keys were calibrated with (van Buuren 2014; R ``sirt``'s
``rasch.pairwise.itemcluster``). For two items ``i`` and ``j`` answered by the same
child, under the Rasch model

    P(pass i, fail j | exactly one of them passed) = 1 / (1 + exp(b_i - b_j)),

whatever the child's ability. With ``N[i, j]`` the number of children who passed
``i`` and failed ``j``, the pseudo-log-likelihood
``sum_ij N[i, j] * log(1 / (1 + exp(b_i - b_j)))`` is that of a Bradley–Terry model:
concave, maximised here by Newton's method with ``b`` fixed at 0 for one item.
Children answering one item only, and the ability distribution, play no part.

Children contribute many pairs, so the inverse Hessian understates the sampling
variance; standard errors are the sandwich (Godambe) form ``H^-1 J H^-1`` with
``J`` the sum over children of the outer products of each child's score vector.

The logit scale is fixed only up to a shift (and its unit is the Rasch unit). As
D-score keys do, two anchor items are set to chosen values (the D-score sets two
milestones at 20 and 40 D): ``tau = intercept + slope * logit`` with the intercept
and slope that put the anchors there; the anchors' uncertainty moves into the
other items' standard errors (delta method).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from numbers import Real

import numpy as np
import pandas as pd
from scipy import special, stats
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ecd.errors import ModelError, ParameterError

from ._key import Key, PriorPiece
from ._score import _AGE_DIVISOR, _eap, _one_blas_thread, score_matrix

_REASONS = {
    "few": "answered by fewer than min_n children",
    "all_pass": "passed by every child who answered it",
    "all_fail": "failed by every child who answered it",
}


@dataclass(frozen=True, eq=False)
class Calibration:
    """Item difficulties estimated by :func:`calibrate`.

    Attributes
    ----------
    items : tuple of str
        Calibrated items, in the order of the input columns.
    logit, logit_cov : numpy.ndarray
        Difficulties in logits, centred to mean 0 over ``items``, and their
        sandwich covariance.
    tau, tau_cov : numpy.ndarray
        Difficulties on the anchored scale (``intercept + slope * logit``) and their
        covariance; anchors have variance 0. Without anchors ``tau == logit``.
    intercept, slope : float
        The transform from logits to the anchored scale (``slope`` is also the
        Rasch scale of a key built from this calibration).
    anchors : dict
        Anchor item → fixed value (empty without anchors).
    n, n_pass : numpy.ndarray
        Answers and passes per item.
    dropped : dict
        Items left out, with the reason (too few answers, all passed, all failed).
    n_children, n_informative : int
        Children in the data, and those with at least one pass and one fail on
        calibrated items (only they inform the pairwise likelihood).
    iterations : int
        Newton iterations to convergence.
    level : float
        Confidence level of ``ci_low``/``ci_high`` in :meth:`tidy`.
    prior_pieces : tuple of PriorPiece
        Prior-mean rule ``a + b * t + c * ln(t + k)`` (age ``t`` in years, the form
        of R dscore's rules) fitted by least squares to the children's flat-prior
        ability estimates, valid over the calibration ages; empty without ages.
    prior_sd : float
        Prior SD for the key (on the anchored scale).
    qp : numpy.ndarray
        Quadrature points for scoring with the key.
    age_range : tuple of float
        Youngest and oldest calibration age (years), NaN without ages.
    person : pandas.DataFrame
        Per child (input index): ``a`` (age, years), ``n``, ``p`` and ``d``
        (EAP ability on the anchored scale under the fitted prior).
    """

    items: tuple
    logit: np.ndarray
    logit_cov: np.ndarray
    tau: np.ndarray
    tau_cov: np.ndarray
    intercept: float
    slope: float
    anchors: dict
    n: np.ndarray
    n_pass: np.ndarray
    dropped: dict
    n_children: int
    n_informative: int
    iterations: int
    level: float
    prior_pieces: tuple
    prior_sd: float
    qp: np.ndarray
    age_range: tuple
    person: pd.DataFrame = field(repr=False)
    _x: np.ndarray = field(repr=False, default=None)

    @property
    def se(self) -> np.ndarray:
        """Standard errors of ``tau`` (0 for the anchors)."""
        return np.sqrt(np.maximum(np.diag(self.tau_cov), 0.0))

    @cached_property
    def _fit_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """Infit and outfit mean squares per item at the children's EAP abilities."""
        d = self.person["d"].to_numpy(float)
        x = self._x
        ok = np.isfinite(d)
        x, d = x[ok], d[ok]
        prob = special.expit((d[:, None] - self.tau[None, :]) / self.slope)
        var = prob * (1.0 - prob)
        answered = ~np.isnan(x)
        resid2 = np.where(answered, (np.nan_to_num(x) - prob) ** 2, 0.0)
        var = np.where(answered, var, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            outfit = np.where(answered, resid2 / np.where(var > 0, var, np.nan), 0.0).sum(0) / answered.sum(0)
            infit = resid2.sum(0) / var.sum(0)
        return infit, outfit

    def tidy(self) -> pd.DataFrame:
        """One row per calibrated item.

        Columns ``item, estimate, se, ci_low, ci_high`` (difficulty on the anchored
        scale), ``logit, logit_se`` (centred logits), ``anchor`` (True for the two
        fixed items), ``n, n_pass, p`` (answers, passes, pass rate) and ``infit,
        outfit`` (mean squares at the children's ability estimates; near 1 when the
        item fits the Rasch model).
        """
        z = stats.norm.ppf(0.5 + self.level / 2.0)
        se = self.se
        infit, outfit = self._fit_statistics
        return pd.DataFrame({
            "item": list(self.items),
            "estimate": self.tau,
            "se": se,
            "ci_low": self.tau - z * se,
            "ci_high": self.tau + z * se,
            "logit": self.logit,
            "logit_se": np.sqrt(np.maximum(np.diag(self.logit_cov), 0.0)),
            "anchor": [i in self.anchors for i in self.items],
            "n": self.n.astype("int64"),
            "n_pass": self.n_pass.astype("int64"),
            "p": self.n_pass / self.n,
            "infit": infit,
            "outfit": outfit,
        })

    def dropped_table(self) -> pd.DataFrame:
        """Items left out of the calibration: ``item, reason``."""
        return pd.DataFrame({"item": list(self.dropped), "reason": list(self.dropped.values())},
                            columns=["item", "reason"])

    def key(self, name: str = "calibrated", *, prior_sd: float | None = None) -> Key:
        """A :class:`Key` for :func:`dscore` from these difficulties.

        Its transform is ``intercept``/``slope``, its quadrature ``qp``, and its
        prior the rule fitted to the calibration children (defined only over the
        calibration ages; elsewhere pass ``prior_mean`` to ``dscore``).

        Examples
        --------
        >>> from ecd.development import calibrate, dscore
        >>> from ecd.development import synthetic_responses
        >>> kids = synthetic_responses(400, random_state=1)
        >>> fit = calibrate(kids.drop(columns="age"), kids["age"], anchors={"zz1lgd020": 29.7, "zz1sed040": 59.78})
        >>> key = fit.key("zz_calibrated")
        >>> scores = dscore(kids, key)
        >>> bool(scores["d"].notna().all())
        True
        """
        return Key(
            items=self.items, tau=self.tau, name=name, intercept=self.intercept, slope=self.slope,
            qp=self.qp, prior_sd=float(self.prior_sd if prior_sd is None else prior_sd),
            min_age=-np.inf, mean_pieces=self.prior_pieces,
            rounding={"age": 4, "p": 4, "d": 2, "daz": 3, "sem": None},
        )


def calibrate(
    responses: pd.DataFrame,
    age=None,
    *,
    anchors: dict | None = None,
    items: list | None = None,
    age_unit: str = "years",
    min_n: int = 1,
    prior_sd: float = 5.0,
    qp=None,
    level: float = 0.95,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> Calibration:
    """Estimate Rasch item difficulties from 0/1 milestone answers (pairwise ML), optionally anchored.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per child (or child-visit), item columns scored 0, 1 or missing.
    age : str, array-like or None
        Ages: a column of ``responses`` or one value per row. Used only for the
        key's prior-mean rule and the children's ability estimates, not for the
        difficulties. ``None``: no prior rule.
    anchors : dict, optional
        Exactly two items and their fixed values, e.g. ``{"item_a": 20, "item_b":
        40}`` as D-score keys fix two milestones. ``None`` keeps centred logits.
    items : list of str, optional
        Item columns; by default every column except ``age``.
    age_unit : {"years", "months", "days"}
        Unit of ``age``.
    min_n : int, default 1
        Items answered by fewer children are left out (listed in ``dropped``).
    prior_sd : float, default 5
        Prior SD of the key (anchored units; 5 D as in R dscore).
    qp : array-like, optional
        Quadrature points of the key; by default from four Rasch units below the
        easiest to four above the hardest item, a quarter unit apart.
    level : float, default 0.95
        Confidence level of the intervals in :meth:`Calibration.tidy`.
    max_iter, tol : int, float
        Newton iterations and convergence tolerance (largest logit change).

    Returns
    -------
    Calibration

    Raises
    ------
    ParameterError
        Bad anchors, ages or options.
    SchemaError
        A score other than 0, 1 or missing (cells listed).
    ModelError
        The items cannot be put on one scale (the data never compare some group
        of items with the rest in both directions; the groups are listed), or the
        anchors' order contradicts the data.

    Notes
    -----
    Items passed (or failed) by every child who answered them have no finite
    difficulty and are left out, as are items with fewer than ``min_n`` answers.
    The pairwise likelihood is consistent when which items a child answers
    depends on age or design; start and stop rules that depend on the answers
    themselves (basal/ceiling rules) can bias it.

    Examples
    --------
    >>> from ecd.development import calibrate
    >>> from ecd.development import synthetic_responses
    >>> kids = synthetic_responses(600, random_state=2)
    >>> fit = calibrate(kids, "age", anchors={"zz1lgd020": 29.7, "zz1sed040": 59.78})
    >>> t = fit.tidy().set_index("item")
    >>> t.loc["zz1lgd020", ["estimate", "se"]].tolist()  # an anchor
    [29.7, 0.0]
    >>> t.loc["zz1moc030", ["estimate", "se"]].round(2).tolist()  # SYNTHETIC truth: 44.43
    [44.97, 1.11]
    >>> round(fit.slope, 2)  # D per logit; SYNTHETIC truth: 4.06
    4.13
    """
    if not isinstance(responses, pd.DataFrame):
        raise ParameterError("responses", f"expected a pandas DataFrame of 0/1 answers, got {type(responses).__name__}.")
    if not (isinstance(min_n, (int, np.integer)) and min_n >= 1):
        raise ParameterError("min_n", f"{min_n!r} is not a positive integer.")
    if not (isinstance(prior_sd, Real) and np.isfinite(prior_sd) and prior_sd > 0):
        raise ParameterError("prior_sd", f"{prior_sd!r} is not a positive number.")
    if not (isinstance(level, Real) and 0 < level < 1):
        raise ParameterError("level", f"{level!r} is not a confidence level in (0, 1).")
    age_years = _ages(responses, age, age_unit)
    if items is None:
        items = [c for c in responses.columns if not (isinstance(age, str) and c == age)]
    else:
        missing = [c for c in items if c not in responses.columns]
        if missing:
            raise ParameterError("items", f"columns {missing[:10]} are not in the data.")
        items = list(items)
    if not items:
        raise ParameterError("items", "no item columns to calibrate.")
    x_all = score_matrix(responses, items)

    n_all = np.count_nonzero(~np.isnan(x_all), axis=0)
    pass_all = np.count_nonzero(x_all == 1.0, axis=0)
    dropped = {}
    for j, item in enumerate(items):
        if n_all[j] < min_n:
            dropped[str(item)] = _REASONS["few"]
        elif pass_all[j] == n_all[j]:
            dropped[str(item)] = _REASONS["all_pass"]
        elif pass_all[j] == 0:
            dropped[str(item)] = _REASONS["all_fail"]
    keep = np.array([str(i) not in dropped for i in items])
    names = tuple(str(i) for i, k in zip(items, keep) if k)
    if len(names) < 2:
        raise ModelError(f"only {len(names)} item(s) left to calibrate after leaving out {len(dropped)} "
                         "(too few answers, all passed or all failed); at least two are needed.")
    x = x_all[:, keep]
    anchors = _check_anchors(anchors, names)

    x1 = (x == 1.0).astype(float)
    x0 = (x == 0.0).astype(float)
    with _one_blas_thread():
        counts = x1.T @ x0  # counts[i, j]: children who passed i and failed j
        _check_connected(counts, names)
        b, iterations = _newton(counts, max_iter, tol)
        b -= b.mean()
        cov = _sandwich(counts, x1, x0, b)

    intercept, slope, tau, jac = _anchor(b, names, anchors)
    tau_cov = jac @ cov @ jac.T
    if anchors:
        fixed = [names.index(a) for a in anchors]
        tau_cov[fixed, :] = 0.0
        tau_cov[:, fixed] = 0.0
        tau[fixed] = [float(anchors[names[j]]) for j in fixed]
    if qp is None:
        lo, hi = tau.min() - 4.0 * slope, tau.max() + 4.0 * slope
        step = slope / 4.0
        qp = lo + step * np.arange(int(np.ceil((hi - lo) / step)) + 1)
    qp = np.asarray(qp, dtype=float)

    person, pieces, age_range = _persons(responses.index, x, age_years, tau, slope, qp, float(prior_sd))
    informative = int(np.count_nonzero((x1.sum(1) > 0) & (x0.sum(1) > 0)))
    return Calibration(
        items=names, logit=b, logit_cov=cov, tau=tau, tau_cov=tau_cov, intercept=intercept, slope=slope,
        anchors=dict(anchors), n=np.count_nonzero(~np.isnan(x), axis=0).astype(float),
        n_pass=x1.sum(0), dropped=dropped, n_children=len(responses), n_informative=informative,
        iterations=iterations, level=float(level), prior_pieces=pieces, prior_sd=float(prior_sd), qp=qp,
        age_range=age_range, person=person, _x=x,
    )


# ---------------------------------------------------------------------- pieces
def _ages(responses, age, unit):
    if unit not in _AGE_DIVISOR:
        raise ParameterError("age_unit", f"{unit!r} is not supported; use 'years', 'months' or 'days'.")
    if age is None:
        return None
    if isinstance(age, str):
        if age not in responses.columns:
            raise ParameterError("age", f"column {age!r} is not in the data.")
        raw = responses[age]
    else:
        raw = age if isinstance(age, pd.Series) else np.asarray(age).ravel()
        if len(raw) != len(responses):
            raise ParameterError("age", f"{len(raw)} ages for {len(responses)} rows; give one per row.")
    values = pd.to_numeric(pd.Series(np.asarray(raw, dtype=object)), errors="coerce").to_numpy(float)
    bad = np.flatnonzero(np.isnan(values) & pd.notna(np.asarray(raw, dtype=object)))
    if bad.size:
        raise ParameterError("age", f"rows {[responses.index[i] for i in bad[:10]]} hold ages that are not numbers.")
    return values / _AGE_DIVISOR[unit]


def _check_anchors(anchors, names):
    if anchors is None:
        return {}
    if not isinstance(anchors, dict) or len(anchors) != 2:
        raise ParameterError("anchors", f"{anchors!r}: give exactly two items and their values, e.g. "
                             "{'item_a': 20, 'item_b': 40}.")
    out = {}
    for item, value in anchors.items():
        if str(item) not in names:
            raise ParameterError("anchors", f"anchor item {item!r} is not among the calibrated items "
                                 "(absent, or left out: see Calibration.dropped).")
        if not (isinstance(value, Real) and np.isfinite(value)):
            raise ParameterError("anchors", f"the value of {item!r} is {value!r}; expected a number.")
        out[str(item)] = float(value)
    if len(set(out.values())) < 2:
        raise ParameterError("anchors", "the two anchor values must differ.")
    return out


def _check_connected(counts, names):
    """Every pair of items must be compared both ways through some chain (else no finite MLE)."""
    n_comp, labels = connected_components(csr_matrix(counts > 0), directed=True, connection="strong")
    if n_comp > 1:
        groups = sorted(([names[j] for j in np.flatnonzero(labels == c)] for c in range(n_comp)), key=len)
        shown = "; ".join(str(g[:8]) + (" ..." if len(g) > 8 else "") for g in groups[:5])
        raise ModelError(
            f"the answers do not place all {len(names)} items on one scale: they fall into {n_comp} groups "
            f"that no child links both ways (smallest first: {shown}). Raise min_n or leave out the items "
            "of the small groups.")


def _loglik(counts, b):
    d = b[:, None] - b[None, :]
    return float(-(counts * np.logaddexp(0.0, d)).sum())


def _newton(counts, max_iter, tol):
    """Maximise the pairwise log-likelihood with b[0] = 0 (Bradley-Terry Newton with halving)."""
    m = counts + counts.T
    n_pass = counts.sum(1)
    n_fail = counts.sum(0)
    with np.errstate(divide="ignore"):
        b = np.log(np.maximum(n_fail, 0.5)) - np.log(np.maximum(n_pass, 0.5))
    b -= b[0]
    ll = _loglik(counts, b)
    for iteration in range(1, max_iter + 1):
        s = special.expit(b[:, None] - b[None, :])
        grad = n_fail - (m * s).sum(1)
        w = m * s * (1.0 - s)
        hess = w - np.diag(w.sum(1))
        step = np.zeros_like(b)
        step[1:] = np.linalg.solve(-hess[1:, 1:], grad[1:])
        t = 1.0
        while True:
            cand = b + t * step
            ll_new = _loglik(counts, cand)
            if ll_new >= ll - 1e-12 * abs(ll) or t < 1e-8:
                break
            t /= 2.0
        b, ll = cand, ll_new
        if np.max(np.abs(t * step)) < tol:
            return b, iteration
    raise ModelError(f"the pairwise estimates did not converge in {max_iter} Newton iterations; "
                     "raise max_iter or check for items almost always passed or failed.")


def _sandwich(counts, x1, x0, b):
    """Sandwich covariance of the centred logits: H^-1 (sum_children g g') H^-1 on the free parameters."""
    s = special.expit(b[:, None] - b[None, :])
    m = counts + counts.T
    w = m * s * (1.0 - s)
    hess = w - np.diag(w.sum(1))
    # a child's score for item i: fails i while passing others, minus expected discordance
    g = x0 * x1.sum(1, keepdims=True) - x1 * (x0 @ s.T) - x0 * (x1 @ s.T)
    meat = g.T @ g
    k = b.size
    hinv = np.linalg.inv(-hess[1:, 1:])
    free = hinv @ meat[1:, 1:] @ hinv
    cov = np.zeros((k, k))
    cov[1:, 1:] = free
    centre = np.eye(k) - 1.0 / k
    return centre @ cov @ centre.T


def _anchor(b, names, anchors):
    """tau = intercept + slope * b through the anchors, and d tau / d b (rows: items)."""
    k = b.size
    if not anchors:
        return 0.0, 1.0, b.copy(), np.eye(k)
    (i1, v1), (i2, v2) = ((names.index(a), v) for a, v in anchors.items())
    gap = b[i2] - b[i1]
    slope = (v2 - v1) / gap
    if not (np.isfinite(slope) and slope > 0):
        (hi, v_hi), (lo, v_lo) = sorted(((i1, v1), (i2, v2)), key=lambda t: -t[1])
        raise ModelError(
            f"anchor {names[hi]!r} has the higher value ({v_hi:g}) but is estimated "
            f"{'as hard as' if gap == 0 else 'easier than'} {names[lo]!r} ({v_lo:g}) in these data; "
            "anchor values must follow the items' order of difficulty.")
    intercept = v1 - slope * b[i1]
    tau = intercept + slope * b
    dslope = np.zeros(k)
    dslope[i2], dslope[i1] = -slope / gap, slope / gap
    jac = slope * np.eye(k)
    jac[:, i1] -= slope
    jac += (b - b[i1])[:, None] * dslope[None, :]
    return float(intercept), float(slope), tau, jac


# offsets k of the rule a + b*t + c*ln(t + k) tried (years); R dscore's rules use 0.19 to 0.92
_PRIOR_K = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def _prior_rule(t, d):
    """Least-squares a + b*t + c*ln(t + k) (the form of R dscore's prior rules), k from a grid.

    Over a narrow age range the two terms are nearly collinear; the minimum-norm
    solution still fits the data's range, which is the only range the rule covers.
    """
    best = None
    for k in _PRIOR_K:
        design = np.column_stack([np.ones_like(t), t, np.log(t + k)])
        coef, *_ = np.linalg.lstsq(design, d, rcond=None)
        sse = float(np.sum((design @ coef - d) ** 2))
        if best is None or sse < best[0]:
            best = (sse, coef, k)
    _, (a, b, c), k = best
    return float(a), float(b), float(c), float(k)


def _persons(index, x, age, tau, slope, qp, prior_sd):
    """Children's abilities: EAP under a flat prior, a linear age rule fitted to them, EAP under that rule."""
    answered = ~np.isnan(x)
    n = answered.sum(1)
    with np.errstate(invalid="ignore"):
        p = np.where(n > 0, np.nansum(x, axis=1) / np.maximum(n, 1), np.nan)
    eta = (qp[None, :] - tau[:, None]) / slope
    log_fail = -np.logaddexp(0.0, eta)
    loglik = (x == 1.0).astype(float) @ eta + answered.astype(float) @ log_fail
    flat, _ = _eap(loglik.copy(), qp)
    flat[n == 0] = np.nan
    pieces: tuple = ()
    age_range = (np.nan, np.nan)
    mu = np.full(len(x), np.nan)
    if age is not None:
        # children with some passes and some fails: their flat-prior EAP is not pinned at the grid's ends
        use = np.isfinite(age) & (p > 0) & (p < 1)
        if np.count_nonzero(use) >= 4 and np.ptp(age[use]) > 0:
            lo, hi = float(np.nanmin(age)), float(np.nanmax(age))
            a, b, c, k = _prior_rule(age[use], flat[use])
            # PriorPiece covers lower < t <= upper on ages rounded to 4 dp (as dscore rounds them)
            piece = PriorPiece(round(lo, 4) - 1e-4, round(hi, 4) + 1e-4, a, b, c, k)
            pieces = (piece,)
            age_range = (lo, hi)
            inside = np.isfinite(age) & (age > piece.lower) & (age <= piece.upper)
            mu[inside] = a + b * age[inside] + c * np.log(age[inside] + k)
    d = np.full(len(x), np.nan)
    ok = (n > 0) & np.isfinite(mu)
    if ok.any():
        prior = -0.5 * ((qp[None, :] - mu[ok, None]) / prior_sd) ** 2
        d[ok], _ = _eap(loglik[ok] + prior, qp)
    if age is None:
        d = flat
    person = pd.DataFrame({"a": age if age is not None else np.nan, "n": n.astype("int64"), "p": p, "d": d},
                          index=index)
    return person, pieces, age_range


@dataclass(frozen=True, eq=False)
class KeyLink:
    """Difficulties of a calibration placed on an existing key's scale through the items they share.

    Attributes
    ----------
    table : pandas.DataFrame
        Shared items: ``item, tau_key, logit, logit_se, linked`` (the calibration's
        difficulty on the key's scale) and ``difference`` (linked − key).
    shift : float
        The key-scale value of logit 0 under the key's own Rasch unit: ``linked = shift
        + key.slope * logit`` (mean of ``tau_key - key.slope * logit`` over shared items).
    free_slope : float
        Least-squares slope of ``tau_key`` on ``logit``: equal to ``key.slope`` when the
        items are as discriminating in these data as in the key's calibration.
    correlation : float
        Pearson correlation of the two sets of difficulties.
    rmsd : float
        Root mean squared ``difference`` (key units).
    """

    table: pd.DataFrame
    shift: float
    free_slope: float
    correlation: float
    rmsd: float
    key_slope: float

    def tidy(self) -> pd.DataFrame:
        """The shared items (see ``table``)."""
        return self.table.copy()


def link_to_key(calibration: Calibration, key: Key) -> KeyLink:
    """Put a calibration's item difficulties on an existing key's scale (mean shift, the key's Rasch unit).

    Parameters
    ----------
    calibration : Calibration
        From :func:`calibrate` (its logits are used, whatever its anchors).
    key : Key
        The key to compare with; items are matched case-insensitively.

    Returns
    -------
    KeyLink

    Raises
    ------
    ModelError
        Fewer than two shared items.

    Examples
    --------
    >>> from ecd.development import calibrate, link_to_key, synthetic_key, synthetic_responses
    >>> fit = calibrate(synthetic_responses(3000, random_state=5), "age")
    >>> link = link_to_key(fit, synthetic_key())
    >>> len(link.table), round(link.correlation, 3), round(link.free_slope, 2)  # SYNTHETIC truth: slope 4.06
    (60, 1.0, 4.01)
    """
    position = {item.lower(): j for j, item in enumerate(key.items)}
    shared = [(i, position[item.lower()]) for i, item in enumerate(calibration.items) if item.lower() in position]
    if len(shared) < 2:
        raise ModelError(f"the calibration and key {key.name!r} share {len(shared)} item(s); at least two are needed "
                         "to link them.")
    ci, ki = (np.array(v) for v in zip(*shared))
    logit = calibration.logit[ci]
    tau_key = key.tau[ki]
    shift = float(np.mean(tau_key - key.slope * logit))
    linked = shift + key.slope * logit
    free_slope = float(np.polyfit(logit, tau_key, 1)[0])
    table = pd.DataFrame({
        "item": [calibration.items[i] for i in ci], "tau_key": tau_key, "logit": logit,
        "logit_se": np.sqrt(np.maximum(np.diag(calibration.logit_cov)[ci], 0.0)),
        "linked": linked, "difference": linked - tau_key,
    })
    return KeyLink(table=table, shift=shift, free_slope=free_slope,
                   correlation=float(np.corrcoef(logit, tau_key)[0, 1]),
                   rmsd=float(np.sqrt(np.mean((linked - tau_key) ** 2))), key_slope=float(key.slope))
