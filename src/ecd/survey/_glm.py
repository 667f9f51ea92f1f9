"""Design-based generalized linear models (R ``survey``'s ``svyglm``) and predictive margins.

Coefficients solve the weighted score equations (IRLS with the sampling
weights as prior weights); their covariance is the linearization
("sandwich") estimator of ``svyglm``: the influence values
``x_i w_i (y_i - mu_i) mu'_i / V(mu_i)`` times the inverse information, put
through the design's variance (strata, PSUs, fpc, stages) exactly as a total.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

from ecd.errors import DataError, ModelError, ParameterError
from ecd.survey._formula import check_rank, model_frame
from ecd.survey._variance import factor_covariance

FAMILIES = ("gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson")
VCE = ("unconditional", "svypredmeans", "delta")


class _Family:
    """Canonical-link family: identity (gaussian), logit (binomial), log (poisson)."""

    def __init__(self, name: str):
        if name not in FAMILIES:
            raise ParameterError("family", f"got {name!r}; expected one of {FAMILIES}.")
        self.name = name
        self.kind = name.replace("quasi", "")

    def check_y(self, y, response):
        if self.kind == "binomial":
            bad = (y < 0) | (y > 1)
            if bad.any():
                raise DataError(f"family {self.name!r} needs the response {response!r} in [0, 1] "
                                f"(a 0/1 indicator or a proportion); found {np.unique(y[bad])[:5].tolist()}.")
        elif self.kind == "poisson":
            if (y < 0).any():
                raise DataError(f"family {self.name!r} needs a non-negative response {response!r}; "
                                f"found {np.unique(y[y < 0])[:5].tolist()}.")

    def start(self, y, w):
        """R's ``mustart`` (the family's ``initialize``), as a linear predictor."""
        if self.kind == "gaussian":
            return y.copy()
        if self.kind == "binomial":
            mu = (w * y + 0.5) / (w + 1)
            return np.log(mu / (1 - mu))
        return np.log(y + 0.1)

    def linkinv(self, eta):
        if self.kind == "gaussian":
            return eta
        if self.kind == "binomial":
            return special.expit(eta)
        return np.exp(eta)

    def mu_eta(self, eta, mu):
        if self.kind == "gaussian":
            return np.ones_like(eta)
        if self.kind == "binomial":
            return np.maximum(mu * (1 - mu), np.finfo(float).eps)
        return np.maximum(mu, np.finfo(float).eps)

    def dmu_eta(self, mu):
        """Derivative of ``mu_eta`` with respect to the linear predictor."""
        if self.kind == "gaussian":
            return np.zeros_like(mu)
        if self.kind == "binomial":
            return mu * (1 - mu) * (1 - 2 * mu)
        return mu

    def variance(self, mu):
        # floored like mu_eta so that rows fitted at 0 or 1 (separation) stay finite
        if self.kind == "gaussian":
            return np.ones_like(mu)
        if self.kind == "binomial":
            return np.maximum(mu * (1 - mu), np.finfo(float).eps)
        return np.maximum(mu, np.finfo(float).eps)


def _solve(A, g):
    """Solve ``A x = g`` for a positive definite ``A``, equilibrated for accuracy."""
    d = 1.0 / np.sqrt(np.diag(A))
    c = linalg.cho_factor(A * np.outer(d, d), lower=False, check_finite=False)
    return d * linalg.cho_solve(c, d * g, check_finite=False)


def _inverse(A):
    d = 1.0 / np.sqrt(np.diag(A))
    c = linalg.cho_factor(A * np.outer(d, d), lower=False, check_finite=False)
    return linalg.cho_solve(c, np.eye(len(A)), check_finite=False) * np.outer(d, d)


def _crossprod(X, v, chunk: int = 1 << 15):
    """``X' diag(v) X`` without forming ``diag(v)``: row blocks that stay in cache
    (for a row-major X, several times faster than one product over a million rows)."""
    p = X.shape[1]
    if len(X) <= chunk:
        return (X.T * v) @ X
    A = np.zeros((p, p))
    for s in range(0, len(X), chunk):
        Xs = X[s:s + chunk]
        A += (Xs.T * v[s:s + chunk]) @ Xs
    return A


def _scaled_transpose(X, v, chunk: int = 1 << 13):
    """``(X * v[:, None]).T`` as a row-major (p x n) array, built block by block in cache."""
    out = np.empty((X.shape[1], X.shape[0]))
    for s in range(0, len(X), chunk):
        out[:, s:s + chunk] = (X[s:s + chunk] * v[s:s + chunk, None]).T
    return out


def _pass(X, y, w, beta, family, chunk: int = 1 << 13):
    """One pass over row blocks at ``beta``: information ``X'WX``, score and linear predictor.

    Fusing the products of an iteration over blocks that stay in cache is several
    times faster than whole-column operations on a million rows.
    """
    n, p = X.shape
    A = np.zeros((p, p))
    g = np.zeros(p)
    eta = np.empty(n)
    for s in range(0, n, chunk):
        Xs = X[s:s + chunk]
        e = Xs @ beta
        eta[s:s + chunk] = e
        mu = family.linkinv(e)
        me = family.mu_eta(e, mu)
        ratio = me / family.variance(mu)
        ws = w[s:s + chunk]
        A += (Xs.T * (ws * me * ratio)) @ Xs
        g += Xs.T @ (ws * (y[s:s + chunk] - mu) * ratio)
    return A, g, eta


def fit_irls(X, y, w, family: _Family, formula: str, terms, tol: float = 1e-12, max_iter: int = 50):
    """Coefficients, linear predictor, fitted values and the inverse information at convergence.

    Newton steps on the score (Fisher scoring; the same for canonical links), so
    the solution's accuracy rests on the score, not on the linear solves.
    """
    pos = w > 0
    if not pos.any():
        raise ModelError(f"no row used by {formula!r} has a positive weight.")
    eta = family.start(y, w / w[pos].mean())  # R starts from the rescaled weights (svyglm's rescale=TRUE)
    mu = family.linkinv(eta)
    me = family.mu_eta(eta, mu)
    W = w * me * me / family.variance(mu)
    A0 = _crossprod(X, W)
    # W > 0 exactly where w > 0, so X'WX has the rank of the weighted design matrix
    check_rank(X, w, terms, formula, A=A0)
    try:
        beta = _solve(A0, X.T @ (W * (eta + (y - mu) / me)))
    except linalg.LinAlgError:
        check_rank(X, np.where(pos, 1.0, 0.0), terms, formula)
        raise
    converged = False
    for it in range(max_iter):
        A, score, _ = _pass(X, y, w, beta, family)
        try:
            step = _solve(A, score)
        except linalg.LinAlgError:
            check_rank(X, np.where(pos, 1.0, 0.0), terms, formula)
            raise
        beta = beta + step
        if np.max(np.abs(step)) <= tol * max(1.0, np.max(np.abs(beta))):
            converged = True
            if it >= 1 or family.kind == "gaussian":
                break
    eta = X @ beta
    mu = family.linkinv(eta)
    if family.kind == "binomial":
        extreme = pos & ((mu < 1e-10) | (mu > 1 - 1e-10))
        if not converged or extreme.any():
            order = np.argsort(-np.abs(beta))[:3]
            big = ", ".join(f"{terms[i]} = {beta[i]:.3g}" for i in order)
            raise ModelError(f"perfect (or quasi-complete) separation in {formula!r}: {int(extreme.sum())} "
                             f"row(s) are fitted with probability 0 or 1 and the coefficients diverge "
                             f"(largest: {big}). Some term predicts the outcome exactly; drop or merge "
                             "the categories concerned, or use a penalized model.")
    if not converged:
        raise ModelError(f"the fit of {formula!r} ({family.name}) did not converge in {max_iter} iterations; "
                         "check the response and the scale of the covariates.")
    # the information of the last step (it moved the coefficients by less than tol)
    return beta, eta, mu, _inverse(A)


def glm(formula: str, design, family: str = "gaussian", na: str = "raise",
        conf_level: float = 0.95, tol: float = 1e-12, max_iter: int = 50) -> "GLMResult":
    """Design-based generalized linear model (R ``svyglm``).

    Parameters
    ----------
    formula : str
        R-like model formula, e.g. ``"stunted ~ rural + C(mothered) + log_income"``
        (``formulaic``): string, boolean and categorical columns (or ``C(x)``) get
        R's treatment coding against their first level in sorted order;
        ``a * b`` adds the interaction. Wrap names that are not identifiers in
        backticks.
    design : Design or ReplicateDesign
        The survey design; its weights are the prior weights.
    family : {"gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson"}
        Identity, logit and log links. As in R ``svyglm``, ``binomial`` and
        ``quasibinomial`` (``poisson`` and ``quasipoisson``) give the same
        coefficients and design-based SEs: the variance never uses a dispersion.
    na : {"raise", "drop"}
        Missing values in the formula's columns: raise (naming rows and
        columns), or leave those rows out (R's ``na.omit``; they stay in the
        design with no influence, and the df count only PSUs with rows used).
    conf_level : float
        Level of the intervals in :meth:`GLMResult.tidy`.
    tol, max_iter : float, int
        Convergence of the Newton (IRLS) iterations: the largest step relative
        to the largest coefficient.

    Returns
    -------
    GLMResult

    Raises
    ------
    ParameterError
        A formula naming a column that is not in the data, an unknown family.
    ModelError
        A singular design matrix (collinear terms, named), perfect separation
        of a binomial fit, no convergence.

    Notes
    -----
    The residual df are, as in R, the design df (PSUs minus strata among rows
    used with non-zero weight) plus one minus the number of coefficients;
    ``statistic`` is coefficient / SE, referred to t with those df (R's
    ``summary.svyglm``) and the interval is R's ``confint`` (t with the same df).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ecd.survey import Design, glm
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"s": np.repeat([1, 2], 50), "c": np.repeat(np.arange(10), 10),
    ...                    "w": rng.uniform(1, 3, 100), "x": rng.normal(size=100)})
    >>> df["y"] = 1.0 + 2.0 * df["x"] + rng.normal(size=100)
    >>> fit = glm("y ~ x", Design(df, strata="s", psu="c", weights="w"))
    >>> fit.tidy()[["term", "df"]].values.tolist()
    [['Intercept', 7.0], ['x', 7.0]]
    """
    fam = _Family(family)
    if not (hasattr(design, "_influence_vcov") or hasattr(design, "_replicate_vcov")):
        raise ParameterError("design", f"expected an ecd.survey Design or ReplicateDesign, got {type(design).__name__}.")
    if not (isinstance(conf_level, float | int) and 0 < conf_level < 1):
        raise ParameterError("conf_level", f"got {conf_level!r}; expected a number strictly between 0 and 1.")
    mf = model_frame(formula, design.data, na=na)
    w_all = design._w
    w = w_all if mf.rows is None else w_all[mf.rows]
    fam.check_y(mf.y, mf.response)
    with one_blas_thread():
        return _fit(formula, design, fam, mf, w, conf_level, tol, max_iter)


def one_blas_thread():
    """Run the products on one BLAS thread.

    They are (rows x p) by (p x k) with small p and k: one thread is as fast on an
    idle machine and much faster on a shared one, where threads that wait for
    each other multiply the wall-clock time (measured 3-5x on two busy cores).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _fit(formula, design, fam, mf, w, conf_level, tol, max_iter):
    beta, eta, mu, Ainv = fit_irls(mf.X, mf.y, w, fam, formula, mf.terms, tol, max_iter)
    rep_betas = infl = None
    if hasattr(design, "_replicate_vcov"):
        # R's svyglm.svyrep.design: refit with each replicate's weights from the full coefficients
        rw = design._rw if mf.rows is None else design._rw[mf.rows]
        rep_betas = np.vstack([_refit(mf.X, mf.y, rw[:, r], fam, beta, formula, tol, max_iter)
                               for r in range(rw.shape[1])])
        V = design._replicate_vcov(rep_betas, beta)
    else:
        me = fam.mu_eta(eta, mu)
        score_w = w * (mf.y - mu) * me / fam.variance(mu)
        # influence of row i on beta: Ainv x_i score_i; its design covariance is
        # Ainv cov(totals of x_i score_i) Ainv, so the sums run over p columns once
        estfun_t = _scaled_transpose(mf.X, score_w)
        V = Ainv @ design._influence_vcov(estfun_t, mf.rows) @ Ainv
        V = (V + V.T) / 2
        infl = (score_w, Ainv)
    ddf = design._degf(mf.rows)
    return GLMResult(formula=formula, family=fam.name, terms=mf.terms, coef=beta, vcov_matrix=V,
                     df_resid=float(ddf + 1 - len(beta)), design_df=float(ddf), n=len(mf.y),
                     conf_level=conf_level, _design=design, _frame=mf, _eta=eta, _mu=mu, _infl=infl,
                     _family=fam, _rep_betas=rep_betas)


def _refit(X, y, w, family, beta, formula, tol, max_iter):
    """Newton iterations from ``beta`` with weights ``w`` (one replicate)."""
    beta = beta.copy()
    for _ in range(max_iter):
        A, score, _ = _pass(X, y, w, beta, family)
        step = _solve(A, score)
        beta = beta + step
        if np.max(np.abs(step)) <= tol * max(1.0, np.max(np.abs(beta))):
            return beta
    raise ModelError(f"a replicate fit of {formula!r} did not converge in {max_iter} iterations "
                     "(a replicate may separate the outcome or drop a category).")


def _t_table(est, se, df, conf_level):
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
        if df > 0:
            p = 2 * stats.t.sf(np.abs(t), df)
            q = stats.t.isf((1 - conf_level) / 2, df)
        else:
            p = np.full_like(t, np.nan)
            q = np.nan
    return t, p, est - q * se, est + q * se


@dataclass(frozen=True, eq=False)
class GLMResult:
    """A fitted design-based GLM: ``tidy()`` as ``summary.svyglm``, ``margins()``.

    Attributes
    ----------
    terms : tuple of str
        Column names of the model matrix (formulaic's: ``Intercept``,
        ``x``, ``C(g)[T.b]`` or ``g[T.b]``, ``a:b``).
    coef : numpy.ndarray
        Coefficients.
    vcov_matrix : numpy.ndarray
        Design-based covariance of the coefficients (``vcov(svyglm)``).
    df_resid : float
        Residual degrees of freedom (design df + 1 - number of coefficients).
    design_df : float
        Design degrees of freedom of the rows used.
    n : int
        Rows used.
    """

    formula: str
    family: str
    terms: tuple
    coef: np.ndarray = field(repr=False)
    vcov_matrix: np.ndarray = field(repr=False)
    df_resid: float
    design_df: float
    n: int
    conf_level: float = 0.95
    _design: object = field(default=None, repr=False)
    _frame: object = field(default=None, repr=False)
    _eta: np.ndarray = field(default=None, repr=False)
    _mu: np.ndarray = field(default=None, repr=False)
    _infl: tuple = field(default=None, repr=False)  # (score per row, inverse information)
    _family: object = field(default=None, repr=False)
    _rep_betas: np.ndarray = field(default=None, repr=False)

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance of the coefficients, indexed by term."""
        return pd.DataFrame(self.vcov_matrix, index=list(self.terms), columns=list(self.terms))

    @cached_property
    def se(self) -> np.ndarray:
        """Design-based standard errors."""
        return np.sqrt(np.diag(self.vcov_matrix))

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Coefficient table as R's ``summary.svyglm`` with ``confint``.

        Columns ``term, estimate, se, statistic, p_value, ci_low, ci_high, df``.
        """
        level = self.conf_level if conf_level is None else conf_level
        t, p, lo, hi = _t_table(self.coef, self.se, self.df_resid, level)
        return pd.DataFrame({"term": list(self.terms), "estimate": self.coef, "se": self.se,
                             "statistic": t, "p_value": p, "ci_low": lo, "ci_high": hi,
                             "df": self.df_resid})

    def predict(self, data: pd.DataFrame | None = None, type: str = "response") -> np.ndarray:
        """Fitted values (``type="response"``) or linear predictor (``"link"``) for ``data``
        (default: the rows used in the fit)."""
        if type not in ("response", "link"):
            raise ParameterError("type", f"got {type!r}; expected 'response' or 'link'.")
        eta = self._eta if data is None else self._matrix(data) @ self.coef
        return eta if type == "link" else self._family.linkinv(eta)

    def _matrix(self, data):
        return np.asarray(self._frame.spec.get_model_matrix(data, na_action="raise"), dtype=float)

    def margins(self, var: str, vce: str = "unconditional", conf_level: float | None = None):
        """Predictive margins of ``var``'s levels and their contrasts, or its average marginal effect.

        For a categorical (or 0/1) ``var``, every row used in the fit is given
        each level in turn and the weighted mean prediction is the level's
        predictive margin (Stata ``margins var``, R ``svypredmeans``); the
        contrasts against the first level are the average marginal effects
        (``marginaleffects::avg_comparisons``). For a numeric ``var`` the
        average of the derivative of the prediction (``avg_slopes``).

        Parameters
        ----------
        var : str
            A data column on the right-hand side of the formula.
        vce : {"unconditional", "svypredmeans", "delta"}
            ``"unconditional"`` (default): linearization of the margin as a
            function of the coefficients and of the sample means, with their
            covariance, through the design. ``"svypredmeans"``: R
            ``svypredmeans``' sum of the design variance of the mean prediction
            and the delta-method variance from the coefficients (no covariance
            term). ``"delta"``: coefficients only, the covariates held fixed
            (``marginaleffects`` with ``vcov = vcov(svyglm)`` and ``wts``).
        conf_level : float, optional
            Interval level (default: the fit's).

        Returns
        -------
        MarginsResult

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from ecd.survey import Design, glm
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"c": np.arange(200), "w": rng.uniform(1, 2, 200),
        ...                    "g": rng.choice(["a", "b"], 200), "x": rng.normal(size=200)})
        >>> df["y"] = (rng.random(200) < np.where(df["g"] == "b", 0.6, 0.3)).astype(int)
        >>> m = glm("y ~ g + x", Design(df, psu="c", weights="w"), family="binomial").margins("g")
        >>> m.tidy()["term"].tolist()
        ['g=a', 'g=b', 'g=b - g=a']
        """
        from ecd.survey._margins import margins

        if vce not in VCE:
            raise ParameterError("vce", f"got {vce!r}; expected one of {VCE}.")
        return margins(self, var, vce, self.conf_level if conf_level is None else conf_level)
