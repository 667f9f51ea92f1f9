"""Blinder-Oaxaca decomposition of a mean gap (R ``oaxaca``, Stata ``oaxaca``), design-aware."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ecd.errors import ModelError, ParameterError
from ecd.gap._common import check_groups, frame, rao_wu_multipliers, resolve_data
from ecd.survey._formula import check_rank

REFERENCES = ("pooled", "group0", "group1", "neumark", "cotton", "reimers")
TWOFOLD = ("explained", "unexplained", "unexplained_group0", "unexplained_group1")
THREEFOLD = ("endowments", "coefficients", "interaction")


def _wls(X, y, w):
    """Weighted least squares: coefficients (refined once), residuals and (X'WX)^-1."""
    from ecd.survey._glm import _inverse

    A = (X * w[:, None]).T @ X
    Ainv = _inverse(A)
    beta = Ainv @ (X.T @ (w * y))
    beta = beta + Ainv @ (X.T @ (w * (y - X @ beta)))  # one step of iterative refinement
    return beta, y - X @ beta, Ainv


def _normalize_groups(normalize, terms):
    if normalize is None or normalize is False:
        return []
    if normalize is True:
        groups: dict = {}
        for j, t in enumerate(terms):
            if "[T." in t and ":" not in t:
                groups.setdefault(t.split("[T.")[0], []).append(j)
        return list(groups.values())
    out = []
    for grp in normalize:
        grp = [grp] if isinstance(grp, str) else list(grp)
        missing = [t for t in grp if t not in terms]
        if missing:
            raise ParameterError("normalize", f"term(s) {missing} are not model-matrix columns {list(terms)}.")
        out.append([terms.index(t) for t in grp])
    return out


def _adjust(b, groups, icpt):
    """Gardeazabal-Ugidos / Yun normalization of dummy-group coefficients (R oaxaca's adjust.dummies)."""
    if not groups:
        return b
    b = b.copy()
    for idx in groups:
        c = b[idx].sum() / (len(idx) + 1)
        b[idx] = b[idx] - c
        b[icpt] = b[icpt] + c
    return b


class _Layout:
    """Names and order of every number the decomposition computes."""

    def __init__(self, terms, refs, weights, groups):
        self.terms = list(terms)
        self.refs = list(refs)
        self.weights = weights  # reference -> weight of group 0, or "neumark" / "pooled" / "cotton"
        self.groups = groups
        self.icpt = self.terms.index("Intercept") if "Intercept" in self.terms else None
        rows = self.terms + (["(Base)"] if groups else [])
        self.labels = [("gap", "", "gap", "overall")]
        for r in self.refs:
            for c in TWOFOLD:
                self.labels += [("twofold", r, c, t) for t in ["overall"] + rows]
        for c in THREEFOLD:
            self.labels += [("threefold", "", c, t) for t in ["overall"] + rows]

    def split(self, theta, p):
        xA, xB, bA, bB, bP, bC = (theta[i * p:(i + 1) * p] for i in range(6))
        return xA, xB, bA, bB, bP, bC, theta[6 * p]

    def values(self, theta):
        p = len(self.terms)
        xA, xB, bA, bB, bP, bC, s = self.split(theta, p)
        adj = (lambda b: _adjust(b, self.groups, self.icpt)) if self.groups else (lambda b: b)
        aA, aB, aP, aC = adj(bA), adj(bB), adj(bP), adj(bC)
        dx = xA - xB
        out = [xA @ bA - xB @ bB]
        for r in self.refs:
            w = self.weights[r]
            if w == "neumark":
                bs, bsa = bP, aP
            elif w == "pooled":
                bs, bsa = bC, aC
            else:
                w = s if w == "cotton" else w
                bs, bsa = w * bA + (1 - w) * bB, w * aA + (1 - w) * aB
            over = [dx @ bs, xA @ (bA - bs) - xB @ (bB - bs), xA @ (bA - bs), -(xB @ (bB - bs))]
            terms = [dx * bsa, xA * (aA - bsa) - xB * (aB - bsa), xA * (aA - bsa), -xB * (aB - bsa)]
            for o, t in zip(over, terms):
                out.append(o)
                out.extend(t)
                if self.groups:
                    out.append(o - t.sum())
        over3 = [dx @ bB, xB @ (bA - bB), dx @ (bA - bB)]
        terms3 = [dx * aB, xB * (aA - aB), dx * (aA - aB)]
        for o, t in zip(over3, terms3):
            out.append(o)
            out.extend(t)
            if self.groups:
                out.append(o - t.sum())
        return np.array(out, dtype=theta.dtype)


def _parameters(X, y, g, w, terms, formula, influence=False):
    """theta = (xbar0, xbar1, beta0, beta1, beta_neumark, beta_pooled[:p], share0) and, if asked,
    the influence of each row on each parameter (len(theta) x rows)."""
    p = X.shape[1]
    wA, wB = w * (g == 0), w * (g == 1)
    WA, WB = wA.sum(), wB.sum()
    xA, xB = X.T @ wA / WA, X.T @ wB / WB
    check_rank(X[g == 0], wA[g == 0], terms, formula)
    check_rank(X[g == 1], wB[g == 1], terms, formula)
    bA, eA, AA = _wls(X, y, wA)
    bB, eB, AB = _wls(X, y, wB)
    bP, eP, AP = _wls(X, y, w)
    Xc = np.column_stack([X, g.astype(float)])
    bC, eC, AC = _wls(Xc, y, w)
    s = WA / (WA + WB)
    theta = np.concatenate([xA, xB, bA, bB, bP, bC[:p], [s]])
    if not influence:
        return theta, None
    Z = np.empty((6 * p + 1, len(y)))
    Z[:p] = (X - xA).T * (wA / WA)
    Z[p:2 * p] = (X - xB).T * (wB / WB)
    Z[2 * p:3 * p] = AA @ (X * (wA * eA)[:, None]).T
    Z[3 * p:4 * p] = AB @ (X * (wB * eB)[:, None]).T
    Z[4 * p:5 * p] = AP @ (X * (w * eP)[:, None]).T
    Z[5 * p:6 * p] = (AC @ (Xc * (w * eC)[:, None]).T)[:p]
    Z[6 * p] = w * ((g == 0) - s) / (WA + WB)
    return theta, Z


def _jacobian(layout, theta):
    """Exact Jacobian of the (polynomial) decomposition by complex steps."""
    h = 1e-30
    k = len(theta)
    J = np.empty((len(layout.labels), k))
    for j in range(k):
        t = theta.astype(complex)
        t[j] += 1j * h
        J[:, j] = layout.values(t).imag / h
    return J


def oaxaca(df, formula: str, group: str, design=None, reference: str = "pooled", threefold: bool = False,
           normalize=None, group_weights=(), draws=None, random_state=None, na: str = "raise",
           conf_level: float = 0.95) -> "OaxacaResult":
    """Blinder-Oaxaca decomposition of the gap in mean ``y`` between two groups.

    The gap is mean(group 0) - mean(group 1), as R ``oaxaca`` (its group A is
    the group coded 0). Every reference is computed; ``reference`` chooses
    the one :meth:`OaxacaResult.tidy` shows by default.

    Parameters
    ----------
    df : pandas.DataFrame or None
        The data (``design.data`` or ``None`` with a design).
    formula : str
        ``"haz ~ mothered + log_income + visits"``; R-like coding of categorical
        columns (``C(x)``), no group column on the right.
    group : str
        Column with exactly two levels: 0/1 (or False/True), or two labels of
        which the first in sorted order is group 0.
    design : Design or ReplicateDesign, optional
        Weighted means and regressions with the design weights, and SEs from
        the design: linearization of the whole decomposition (every mean and
        coefficient, with their covariances) for a :class:`~ecd.survey.Design`,
        replicate weights for a :class:`~ecd.survey.ReplicateDesign`.
    reference : {"pooled", "group0", "group1", "neumark", "cotton", "reimers"} or float
        Non-discriminatory coefficients of the twofold decomposition: the pooled
        regression with a group indicator (Jann; R oaxaca's weight -2),
        group 0's (weight 1) or group 1's (weight 0) coefficients, the pooled
        regression without indicator (Neumark; -1), the groups weighted by
        their shares (Cotton) or equally (Reimers; 0.5); a number in [0, 1]
        weights group 0's coefficients by it.
    threefold : bool
        Also show endowments, coefficients and interaction (group 1's view,
        as R) in ``tidy()`` (they are always computed).
    normalize : True, list of lists of str, optional
        Make the detailed results invariant to the omitted category:
        coefficients of each dummy group are expressed as deviations from their
        mean (Gardeazabal & Ugidos 2004; Yun 2005; R oaxaca's third formula
        part). ``True`` normalizes every categorical term; a list gives the
        groups of model-matrix columns. The remainder of each component is in
        term ``(Base)``.
    group_weights : sequence of float
        Extra references given as weights of group 0 (R's ``group.weights``).
    draws : int or array of int, optional
        Bootstrap standard errors from this many resamples (rows with
        replacement; with a design, Rao-Wu rescaling of PSUs within strata), or
        from the given row positions (one row per draw, positions into ``df``:
        R's draws replayed). ``None``: linearization (rows as independent
        PSUs without a design).
    random_state : int or numpy Generator, optional
        Seed of the bootstrap.
    na : {"raise", "drop"}
        Missing values in the formula's or group columns.
    conf_level : float
        Level of the intervals (normal quantiles; t with the design df for a design).

    Returns
    -------
    OaxacaResult

    Raises
    ------
    DataError
        A group column with other than two levels.
    ModelError
        A category present in one group only (its group coefficient is not
        estimable), a singular design matrix in a group.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ecd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"rural": np.repeat([0, 1], 100), "edu": rng.normal(size=200)})
    >>> df["edu"] -= df["rural"]
    >>> df["haz"] = -1 + 0.5 * df["edu"] - 0.2 * df["rural"] + rng.normal(0, 0.5, 200)
    >>> r = ecd.gap.oaxaca(df, "haz ~ edu", group="rural", reference="group1")
    >>> t = r.tidy()
    >>> bool(np.isclose(t.query("component == 'explained' and term == 'overall'")["estimate"].iloc[0]
    ...      + t.query("component == 'unexplained' and term == 'overall'")["estimate"].iloc[0],
    ...      t.query("component == 'gap'")["estimate"].iloc[0]))
    True
    """
    from ecd.survey._glm import one_blas_thread

    with one_blas_thread():
        return _oaxaca(df, formula, group, design, reference, threefold, normalize, group_weights, draws,
                       random_state, na, conf_level)


def _oaxaca(df, formula, group, design, reference, threefold, normalize, group_weights, draws, random_state,
            na, conf_level):
    data, w_all = resolve_data(df, design)
    refs = list(REFERENCES)
    weights = {"group0": 1.0, "group1": 0.0, "reimers": 0.5, "cotton": "cotton", "neumark": "neumark",
               "pooled": "pooled"}
    for gw in group_weights:
        if not (0 <= float(gw) <= 1):
            raise ParameterError("group_weights", f"got {gw!r}; weights of group 0 must lie in [0, 1].")
        refs.append(f"{float(gw):g}")
        weights[f"{float(gw):g}"] = float(gw)
    if isinstance(reference, int | float) and not isinstance(reference, bool):
        if not 0 <= reference <= 1:
            raise ParameterError("reference", f"got {reference!r}; a numeric reference is group 0's weight in [0, 1].")
        key = f"{float(reference):g}"
        if key not in weights:
            refs.append(key)
            weights[key] = float(reference)
        reference = key
    elif reference not in REFERENCES:
        raise ParameterError("reference", f"got {reference!r}; expected one of {REFERENCES} or a weight in [0, 1].")
    mf, g, rows, levels = frame(formula, data, group, na)
    X, y = mf.X, mf.y
    w = w_all[rows]
    check_groups(X, g, mf.terms, levels, group)
    groups = _normalize_groups(normalize, list(mf.terms))
    if groups and "Intercept" not in mf.terms:
        raise ParameterError("normalize", "needs a model with an intercept.")
    layout = _Layout(mf.terms, refs, weights, groups)
    replicate = design is not None and hasattr(design, "_replicate_vcov")
    linearize = draws is None and not replicate
    theta, Z = _parameters(X, y, g, w, mf.terms, formula, influence=linearize)
    est = layout.values(theta)
    df_ = np.inf
    if linearize:
        J = _jacobian(layout, theta)
        infl = J @ Z
        if design is None:
            from ecd.survey import Design

            srs = Design(pd.DataFrame({"_w": w}), weights="_w")
            V = srs._influence_vcov(infl)
            method = "linearization"
        else:
            V = design._influence_vcov(infl, rows)
            df_ = float(design._degf(rows))
            method = "linearization (design)"
        se = np.sqrt(np.maximum(np.diag(V), 0))
    elif replicate:
        rw = design._rw[rows]
        reps = np.vstack([layout.values(_parameters(X, y, g, rw[:, r], mf.terms, formula)[0])
                          for r in range(rw.shape[1])])
        V = design._replicate_vcov(reps, est)
        se = np.sqrt(np.diag(V))
        df_ = float(design.df)
        method = f"replicate weights ({design.type})"
    else:
        reps, method = _bootstrap(layout, data, X, y, g, w, rows, mf.terms, formula, design, draws, random_state)
        V = np.atleast_2d(np.cov(reps, rowvar=False, ddof=1))
        se = reps.std(axis=0, ddof=1)
        if design is not None:
            df_ = float(design._degf(rows))
    return OaxacaResult(formula=formula, group=group, levels=tuple(levels), reference=reference,
                        threefold=threefold, labels=tuple(layout.labels), estimate=est, se=se, vcov_matrix=V,
                        se_method=method, df=df_, conf_level=conf_level, n=(int((g == 0).sum()), int((g == 1).sum())),
                        means=(float(np.dot(w * (g == 0), y) / np.sum(w * (g == 0))),
                               float(np.dot(w * (g == 1), y) / np.sum(w * (g == 1)))))


def _bootstrap(layout, data, X, y, g, w, rows, terms, formula, design, draws, random_state):
    """Bootstrap replicates of every number: row (or PSU) multipliers per draw, all fits of
    a batch of draws from one product with the rows' cross-products."""
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    if isinstance(draws, int | np.integer) and not isinstance(draws, bool):
        if draws < 2:
            raise ParameterError("draws", f"got {draws}; give at least 2 bootstrap draws.")
        n_draws, given = int(draws), None
    else:
        given = np.asarray(draws)
        if given.ndim != 2 or given.shape[1] != len(data) or given.dtype.kind not in "iu":
            raise ParameterError("draws", f"expected an int or an integer array of shape (draws, {len(data)}) of row "
                                 f"positions, got shape {getattr(given, 'shape', None)}.")
        if given.min() < 0 or given.max() >= len(data):
            raise ParameterError("draws", "row positions must lie in 0 .. len(df) - 1 (0-based).")
        n_draws = given.shape[0]
    rao_wu = design is not None and given is None

    def multipliers(r):
        if rao_wu:
            return rao_wu_multipliers(design, rng)[rows]
        pos = given[r] if given is not None else rng.integers(0, len(data), len(data))
        return np.bincount(pos, minlength=len(data))[rows].astype(float)

    sums = _BatchSums(X, y, g)
    out = []
    batch = max(1, min(n_draws, 2_000_000 // max(len(y), 1)))
    for start in range(0, n_draws, batch):
        k = min(batch, n_draws - start)
        Wb = np.empty((len(y), k))
        for j in range(k):
            Wb[:, j] = w * multipliers(start + j)
        for theta in sums.thetas(Wb, formula):
            out.append(layout.values(theta))
    what = f"Rao-Wu, {n_draws} draws" if rao_wu else f"{n_draws} draws"
    return np.vstack(out), f"bootstrap ({what})"


class _BatchSums:
    """Weighted sums of the rows' cross-products ``[X, y, 1][X, y, 1]'`` per group, for many weight
    vectors at once: every regression and mean of the decomposition follows from them."""

    def __init__(self, X, y, g):
        from ecd.survey._formula import _row_major

        n, p = X.shape
        self.p = p
        U = _row_major(np.column_stack([X, y, np.ones(n)]))
        q = p + 2
        self.iu = np.triu_indices(q)
        self.q = q
        self.UU = np.ascontiguousarray(U[:, self.iu[0]] * U[:, self.iu[1]])  # n x q(q+1)/2, row-major for BLAS
        self.gA = (g == 0).astype(float)
        self.gB = (g == 1).astype(float)

    def _unpack(self, flat):
        S = np.zeros((self.q, self.q))
        S[self.iu] = flat
        return S + np.triu(S, 1).T

    def thetas(self, Wb, formula):
        from ecd.survey._glm import _solve

        p = self.p
        SA = (Wb * self.gA[:, None]).T @ self.UU
        SB = (Wb * self.gB[:, None]).T @ self.UU
        for r in range(Wb.shape[1]):
            A, B = self._unpack(SA[r]), self._unpack(SB[r])
            WA, WB = A[p + 1, p + 1], B[p + 1, p + 1]
            try:
                bA = _solve(A[:p, :p], A[:p, p])
                bB = _solve(B[:p, :p], B[:p, p])
                P = A + B
                bP = _solve(P[:p, :p], P[:p, p])
                M = np.zeros((p + 1, p + 1))
                M[:p, :p] = P[:p, :p]
                M[:p, p] = M[p, :p] = B[:p, p + 1]
                M[p, p] = WB
                bC = _solve(M, np.concatenate([P[:p, p], [B[p, p + 1]]]))
            except np.linalg.LinAlgError:
                raise ModelError(f"bootstrap draw {r + 1} of {formula!r} leaves a term without variation in a "
                                 "group (a rare category drawn out); use fewer categories or more rows.") from None
            yield np.concatenate([A[:p, p + 1] / WA, B[:p, p + 1] / WB, bA, bB, bP, bC[:p], [WA / (WA + WB)]])


@dataclass(frozen=True, eq=False)
class OaxacaResult:
    """A Blinder-Oaxaca decomposition: every reference, twofold and threefold, overall and by term.

    ``means`` are the (weighted) mean outcomes of group 0 and group 1; the gap
    is their difference. ``se_method`` says how SEs were obtained.
    """

    formula: str
    group: str
    levels: tuple
    reference: str
    threefold: bool
    labels: tuple = field(repr=False)
    estimate: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    vcov_matrix: np.ndarray = field(repr=False, default=None)
    se_method: str = ""
    df: float = np.inf
    conf_level: float = 0.95
    n: tuple = ()
    means: tuple = ()

    def table(self) -> pd.DataFrame:
        """Every number: ``decomposition, reference, component, term, estimate, se, ci_low, ci_high``."""
        t = pd.DataFrame(list(self.labels), columns=["decomposition", "reference", "component", "term"])
        a = (1 - self.conf_level) / 2
        q = stats.norm.isf(a) if not np.isfinite(self.df) else stats.t.isf(a, self.df)
        return t.assign(estimate=self.estimate, se=self.se, ci_low=self.estimate - q * self.se,
                        ci_high=self.estimate + q * self.se)

    def tidy(self, reference: str | None = None, by: str = "term") -> pd.DataFrame:
        """The gap, the twofold decomposition for ``reference`` (default: the one asked for)
        and, if ``threefold``, the threefold one; overall and by term.

        ``by="variable"`` sums the terms of each categorical variable (its
        dummies), with SEs from the covariance of the terms. Columns
        ``decomposition, reference, component, term, estimate, se, ci_low, ci_high``.
        """
        ref = self.reference if reference is None else reference
        t = self.table()
        if ref != "all" and ref not in set(t["reference"]):
            raise ParameterError("reference", f"got {ref!r}; computed: {sorted(set(t['reference']) - {''})}.")
        t["_i"] = np.arange(len(t))
        keep = (t["decomposition"] == "gap") | ((t["decomposition"] == "twofold") & ((t["reference"] == ref) | (ref == "all")))
        if self.threefold:
            keep |= t["decomposition"] == "threefold"
        t = t[keep].reset_index(drop=True)
        if by == "variable":
            t = self._by_variable(t)
        elif by != "term":
            raise ParameterError("by", f"got {by!r}; expected 'term' or 'variable'.")
        return t.drop(columns="_i")

    def _by_variable(self, t):
        """Sum the terms of each categorical variable; SEs from the covariance of the terms."""
        var = (t["term"].str.replace(r"\[T\..*\]$", "", regex=True)
               .str.replace(r"^C\((.*)\)$", r"\1", regex=True))
        a = (1 - self.conf_level) / 2
        q = stats.norm.isf(a) if not np.isfinite(self.df) else stats.t.isf(a, self.df)
        out = []
        for key, grp in t.assign(_var=var).groupby(["decomposition", "reference", "component", "_var"], sort=False):
            idx = grp["_i"].to_numpy()
            est = float(self.estimate[idx].sum())
            se = float(np.sqrt(max(self.vcov_matrix[np.ix_(idx, idx)].sum(), 0)))
            out.append(dict(decomposition=key[0], reference=key[1], component=key[2], term=key[3],
                            estimate=est, se=se, ci_low=est - q * se, ci_high=est + q * se, _i=idx[0]))
        return pd.DataFrame(out)
