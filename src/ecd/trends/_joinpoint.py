"""Joinpoint regression on the log scale: grid search, Muggeo breakpoints, selection, AAPC."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecd.errors import ModelError, ParameterError

from ._linear import GridSSE, configurations, hinge, max_feasible_k, wls
from ._results import AAPCResult, SegmentsResult, pct, quantile
from ._segmented import segmented, selgmented_bic
from ._series import Series, _check_period, describe_years, prepare_series

SELECT = ("bic", "bic3", "wbic", "permutation")


@dataclass(frozen=True)
class _Fit:
    """One fitted model with k joinpoints (internal)."""

    k: int
    tau: np.ndarray  # joinpoint locations (years)
    beta: np.ndarray  # intercept, slope, k slope changes
    cov: np.ndarray  # covariance of beta (+ tau for continuous breakpoints)
    sse: float
    n: int
    continuous: bool

    @property
    def p(self) -> int:
        # Joinpoint counts each joinpoint as a parameter: p = 2k + 2
        return 2 * self.k + 2

    @property
    def df(self) -> int:
        return self.n - self.p

    def slopes(self):
        """Segment slopes and their covariance."""
        A = np.zeros((self.k + 1, self.cov.shape[0]))
        for j in range(self.k + 1):
            A[j, 1] = 1.0
            A[j, 2 : 2 + j] = 1.0
        return A[:, : self.beta.size] @ self.beta, A @ self.cov @ A.T

    def design(self, t) -> np.ndarray:
        t = np.asarray(t, float).reshape(-1)
        return np.column_stack([np.ones_like(t), t, hinge(t, self.tau)])

    def mean_log(self, t):
        """Fitted ln(value) at years ``t`` with its standard error."""
        X = self.design(t)
        m = X.shape[1]
        V = self.cov[:m, :m]
        if self.continuous and self.k:
            # derivative of δ_j (t - τ_j)+ with respect to τ_j
            D = -(np.asarray(t, float).reshape(-1, 1) > self.tau[None, :]).astype(float) * self.beta[2:][None, :]
            X = np.column_stack([X, D])
            V = self.cov
        return X[:, :m] @ self.beta, np.sqrt(np.einsum("ij,jk,ik->i", X, V, X))


def _fit_fixed(s: Series, tau, continuous: bool = False) -> _Fit:
    """Least squares with joinpoints fixed at ``tau``; σ² = SSE / (n − 2k − 2)."""
    tau = np.sort(np.asarray(tau, float).reshape(-1))
    k = tau.size
    X = np.column_stack([np.ones(s.n), s.x, hinge(s.x, tau)])
    beta, xtx_inv, sse = wls(X, s.y, s.w)
    df = s.n - (2 * k + 2)
    sigma2 = sse / df if df > 0 else np.nan
    if continuous and k:
        # Gauss–Newton covariance with the breakpoints as parameters (what
        # segmented reports): the extra columns are d fit / d τ_j = −δ_j 1(x > τ_j)
        J = np.column_stack([X, -(s.x[:, None] > tau[None, :]).astype(float) * beta[2:][None, :]])
        _, jtj_inv, _ = wls(J, s.y, s.w)
        cov = sigma2 * jtj_inv
    else:
        cov = sigma2 * xtx_inv
    return _Fit(k=k, tau=tau, beta=beta, cov=cov, sse=sse, n=s.n, continuous=continuous)


class Joinpoint:
    """Joinpoint regression of ln(value) on year (NCI Joinpoint's parametric model).

    Parameters
    ----------
    max_joinpoints : int
        Largest number of joinpoints considered (reduced, with a note, when the
        series is too short for it).
    select : {"bic", "bic3", "wbic", "permutation"}
        Model selection: BIC with ``2k + 2`` parameters, BIC3 with ``3k + 2``,
        weighted BIC (Joinpoint 5's default; penalty ``(2 + R²)k + 2`` with R²
        the partial R² of the largest model against the straight line), or Kim
        et al.'s (2000) sequential permutation tests.
    min_obs_end, min_obs_between : int
        Observations required between a joinpoint and either end, and between
        two joinpoints (the joinpoint's own observation excluded).
    n_permutations : int
        Permutations per test when ``select="permutation"``.
    alpha : float
        Overall significance level of the permutation procedure; the test of
        ``ka`` against ``kb`` is done at ``alpha / (max_joinpoints - ka)``.
    continuous : bool
        False: joinpoints at observed years (grid search). True: breakpoints
        anywhere, estimated as R ``segmented`` 1.6-2 does (Muggeo's iteration
        from quantile starts with its seeded bootstrap restarts), their
        uncertainty carried into segment and AAPC standard errors; the model
        with k breakpoints is ``segmented(..., npsi = k)`` and ``select="bic"``
        follows ``selgmented(type = "bic", Kmax = max_joinpoints)``, whose
        refitted breakpoints are the selected model (``segments()`` with
        ``k=None``).
    random_state : int, numpy Generator or None
        Seed of the permutations.

    Attributes
    ----------
    n_joinpoints_ : int
        The selected number of joinpoints.
    joinpoints_ : numpy.ndarray
        Their years.
    segments_ : SegmentsResult
        Segments of the selected model.
    models_ : pandas.DataFrame
        One row per number of joinpoints: ``k, joinpoints, sse, n, p, bic, bic3, wbic, selected``.
    tests_ : pandas.DataFrame
        The permutation tests run (``select="permutation"`` only).
    n_, years_used_, notes_
        Observations used, their years as text, and notes (gaps, reduced k).

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.trends import Joinpoint
    >>> df = pd.DataFrame({"year": range(2000, 2012),
    ...                    "value": [50, 48, 46.2, 44.3, 42.6, 41, 37, 33.2, 30, 27, 24.3, 21.9]})
    >>> jp = Joinpoint(max_joinpoints=1).fit(df)
    >>> jp.joinpoints_
    array([2005.])
    >>> jp.segments_.tidy()[["start", "end"]].to_numpy().tolist()
    [[2000.0, 2005.0], [2005.0, 2011.0]]
    """

    def __init__(
        self,
        max_joinpoints: int = 3,
        select: str = "bic",
        min_obs_end: int = 2,
        min_obs_between: int = 2,
        n_permutations: int = 4499,
        alpha: float = 0.05,
        continuous: bool = False,
        random_state=None,
    ):
        self.max_joinpoints = max_joinpoints
        self.select = select
        self.min_obs_end = min_obs_end
        self.min_obs_between = min_obs_between
        self.n_permutations = n_permutations
        self.alpha = alpha
        self.continuous = continuous
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _validate(self):
        for name in ("max_joinpoints", "min_obs_end", "min_obs_between", "n_permutations"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ParameterError(name, f"expected a non-negative integer, found {v!r}.")
        if self.select not in SELECT:
            raise ParameterError("select", f"expected one of {SELECT}, found {self.select!r}.")
        if self.select == "permutation" and self.n_permutations < 1:
            raise ParameterError("n_permutations", "need at least 1 permutation for select='permutation'.")
        if not 0 < self.alpha < 1:
            raise ParameterError("alpha", f"expected a level in (0, 1), found {self.alpha!r}.")

    def fit(self, df: pd.DataFrame, year: str = "year", value: str = "value", se: str | None = None,
            period=None, missing: str = "raise"):
        """Fit every model with 0..max_joinpoints joinpoints and select one.

        Parameters
        ----------
        df : pandas.DataFrame
            One series, one row per year (gaps allowed).
        year, value, se : str
            Column names; with ``se`` the fits are weighted by ``value² / se²``.
        period : (first, last), optional
            Restrict to these years (inclusive).
        missing : {"raise", "drop"}
            What to do with rows whose year, value or SE is missing.

        Returns
        -------
        self
        """
        self._validate()
        s = prepare_series(df, year, value, se, period, missing, what="joinpoint")
        notes = list(s.notes)
        if s.n < 3:
            raise ModelError(
                f"joinpoint: {s.n} observation(s) ({describe_years(s.x) or 'none'}); a log-linear "
                "trend with a confidence interval needs at least 3 years."
            )
        kmax = min(self.max_joinpoints, max_feasible_k(s.n, self.min_obs_end, self.min_obs_between))
        if kmax < self.max_joinpoints:
            notes.append(
                f"{s.n} observations allow at most {kmax} joinpoint(s) with min_obs_end="
                f"{self.min_obs_end}, min_obs_between={self.min_obs_between}; "
                f"max_joinpoints={self.max_joinpoints} was reduced to {kmax}"
            )
        kmax_search = kmax  # selgmented's own sequential search is not capped by the npsi=k fits below
        fits, searchers = {}, {}
        for k in range(kmax + 1):
            if self.continuous and k:
                try:
                    psi, _ = segmented(s.x, s.y, s.w, npsi=k)
                except ModelError:
                    notes.append(f"segmented found no {k} breakpoint(s); models stop at {k - 1}")
                    kmax = k - 1
                    break
                fits[k] = _fit_fixed(s, psi, continuous=True)
            else:
                g = GridSSE(s.x, s.w, np.column_stack([np.ones(s.n), s.x]), s.x,
                            configurations(s.n, k, self.min_obs_end, self.min_obs_between))
                _, arg = g.min_sse(s.y * g.sw)
                fits[k] = _fit_fixed(s, s.x[g.configs[arg[0]]])
                searchers[k] = g
        self._series, self._fits = s, fits
        self.models_ = self._models_table(fits, s.n)
        tests = None
        if self.select == "permutation":
            if self.continuous:
                raise ParameterError("select", "the permutation test is implemented for the grid search "
                                     "(continuous=False); use select='bic' with continuous=True.")
            chosen, tests = self._permutation(s, fits, searchers, kmax)
            selected = fits[chosen]
        elif self.continuous and self.select == "bic" and kmax_search > 0:
            chosen, psi, _ = selgmented_bic(s.x, s.y, s.w, kmax=kmax_search)
            selected = _fit_fixed(s, psi, continuous=True) if chosen else fits[0]
            if chosen and chosen not in fits:
                # segmented(npsi=k) from its default start found no k breakpoints, but selgmented's
                # sequential search (each fit started from the previous one) did, as in R
                notes.append(f"selgmented's sequential search found {chosen} breakpoint(s)")
            if chosen:
                # the table's row of the selected k shows the selected model
                fits[chosen] = selected
                self.models_ = self._models_table(fits, s.n)
        else:
            chosen = int(self.models_.loc[self.models_[self.select].idxmin(), "k"])
            selected = fits[chosen]
        self.models_["selected"] = self.models_["k"] == chosen
        self.tests_ = tests
        self._selected = selected
        self.n_joinpoints_ = chosen
        self.joinpoints_ = selected.tau.copy()
        self.n_ = s.n
        self.years_used_ = s.years_used
        self.weighted_ = s.weighted
        self.notes_ = tuple(notes)
        self.segments_ = self.segments()
        return self

    @staticmethod
    def _models_table(fits, n):
        ks = np.array(sorted(fits))
        sse = np.array([fits[k].sse for k in ks])
        ln = np.log(sse / n)
        pen = np.log(n) / n
        r2 = 1.0 - sse[-1] / sse[0] if sse[0] > 0 else 0.0
        return pd.DataFrame({
            "k": ks,
            "joinpoints": [";".join(f"{t:g}" for t in fits[k].tau) for k in ks],
            "sse": sse,
            "n": n,
            "p": 2 * ks + 2,
            "bic": ln + (2 * ks + 2) * pen,
            "bic3": ln + (3 * ks + 2) * pen,
            "wbic": ln + ((2 + r2) * ks + 2) * pen,
        })

    def _permutation(self, s, fits, searchers, kmax):
        """Kim et al. (2000): sequential permutation tests of ka against kb joinpoints."""
        rng = np.random.default_rng(self.random_state)
        sw = np.sqrt(s.w)
        rows = []
        ka, kb = 0, kmax
        while ka < kb:
            null = fits[ka]
            fitted = null.design(s.x) @ null.beta
            # permute standardised residuals of the null model (exchangeable under H0)
            r = (s.y - fitted) * sw
            stat = (fits[ka].sse - fits[kb].sse) / fits[kb].sse
            perm = rng.permuted(np.broadcast_to(r, (self.n_permutations, s.n)), axis=1).T
            yw = (fitted * sw)[:, None] + perm
            sa, _ = searchers[ka].min_sse(yw)
            sb, _ = searchers[kb].min_sse(yw)
            with np.errstate(divide="ignore", invalid="ignore"):
                stats_ = (sa - sb) / sb
            count = int(np.sum(stats_ >= stat * (1 - 1e-12)))
            p = (count + 1) / (self.n_permutations + 1)
            level = self.alpha / (kmax - ka)
            reject = p < level
            rows.append({"k_null": ka, "k_alt": kb, "statistic": stat, "p_value": p,
                         "level": level, "n_permutations": self.n_permutations, "reject": reject})
            if reject:
                ka += 1
            else:
                kb -= 1
        return ka, pd.DataFrame(rows, columns=["k_null", "k_alt", "statistic", "p_value", "level",
                                               "n_permutations", "reject"])

    # ---------------------------------------------------------------- results
    def _check_fitted(self):
        if not hasattr(self, "_fits"):
            raise ModelError("this Joinpoint is not fitted yet; call .fit(df) first.")

    def _fit_for(self, k):
        self._check_fitted()
        if k is None:
            return self._selected
        if k not in self._fits:
            raise ParameterError("k", f"no model with {k} joinpoint(s) was fitted; available: {sorted(self._fits)}.")
        return self._fits[k]

    def segments(self, k: int | None = None, level: float = 0.95) -> SegmentsResult:
        """Segments of the model with ``k`` joinpoints (default: the selected one).

        Columns: ``k, segment, start, end, slope, se, df, apc, ci_low, ci_high``; the
        CI uses t with n − 2k − 2 degrees of freedom.
        """
        f = self._fit_for(k)
        slopes, V = f.slopes()
        se = np.sqrt(np.diag(V))
        q = quantile(level, f.df)
        bounds = np.concatenate([[self._series.x[0]], f.tau, [self._series.x[-1]]])
        table = pd.DataFrame({
            "k": f.k,
            "segment": np.arange(1, f.k + 2),
            "start": bounds[:-1],
            "end": bounds[1:],
            "slope": slopes,
            "se": se,
            "df": f.df,
            "apc": pct(slopes),
            "ci_low": pct(slopes - q * se),
            "ci_high": pct(slopes + q * se),
        })
        return SegmentsResult(table, self.notes_)

    def slope_changes(self, k: int | None = None, level: float = 0.95) -> SegmentsResult:
        """How the trend changes at each joinpoint: the APC before and after, and the change in slope.

        Columns ``joinpoint, apc_before, apc_after, change, se, df, ci_low, ci_high,
        p_value``: ``change`` is the difference of the log-scale slopes (after − before,
        the hinge coefficient), its t interval and two-sided p value use n − 2k − 2
        degrees of freedom. An empty table for a straight line (no joinpoint).

        Examples
        --------
        >>> import ecd
        >>> df = ecd.trends.synthetic_series(range(1991, 2021), apcs=(-9.0, -3.0), joinpoints=(2005,),
        ...                                  log_sd=0.02, random_state=2)
        >>> ch = ecd.trends.joinpoint(df, max_joinpoints=1).slope_changes().tidy().iloc[0]
        >>> int(ch["joinpoint"]), round(float(ch["apc_before"])), round(float(ch["apc_after"])), bool(ch["ci_low"] > 0)
        (2005, -9, -3, True)
        """
        from scipy import stats

        f = self._fit_for(k)
        slopes, V = f.slopes()
        rows = []
        q = quantile(level, f.df)
        for j, tau in enumerate(f.tau):
            d = slopes[j + 1] - slopes[j]
            se = float(np.sqrt(V[j, j] + V[j + 1, j + 1] - 2 * V[j, j + 1]))
            p = float(2 * stats.t.sf(abs(d / se), f.df)) if se > 0 and f.df > 0 else np.nan
            rows.append({"joinpoint": float(tau), "apc_before": float(pct(slopes[j])),
                         "apc_after": float(pct(slopes[j + 1])), "change": float(d), "se": se, "df": f.df,
                         "ci_low": float(d - q * se), "ci_high": float(d + q * se), "p_value": p})
        cols = ["joinpoint", "apc_before", "apc_after", "change", "se", "df", "ci_low", "ci_high", "p_value"]
        return SegmentsResult(pd.DataFrame(rows, columns=cols), self.notes_)

    def aapc(self, period=None, k: int | None = None, level: float = 0.95,
             fixed_breakpoints: bool = False) -> AAPCResult:
        """Average annual percent change over ``period`` (default: the whole series).

        ``AAPC = 100 (exp(Σ wᵢ bᵢ) − 1)`` with wᵢ the share of the period in segment i.
        When the period lies in one segment the CI is that segment's t interval;
        otherwise the normal delta-method interval with joinpoints fixed (Clegg et
        al. 2009). With ``continuous=True`` the breakpoints' uncertainty enters the
        SE (Muggeo 2010, as segmented's ``aapc``) and the CI is normal.
        ``fixed_breakpoints=True`` ignores that uncertainty (segmented's "wrong.se").
        The ``*_t`` columns give the t interval (df n − 2k − 2) for comparison.
        """
        f = self._fit_for(k)
        x = self._series.x
        a, b = (x[0], x[-1]) if period is None else _check_period(period)
        if a < x[0] or b > x[-1]:
            raise ParameterError("period", f"{(a, b)} reaches outside the years fitted "
                                 f"({x[0]:g}–{x[-1]:g}); choose a period inside them.")
        bounds = np.concatenate([[x[0]], f.tau, [x[-1]]])
        overlap = np.clip(np.minimum(bounds[1:], b) - np.maximum(bounds[:-1], a), 0, None)
        weights = overlap / (b - a)
        slopes, V = f.slopes()
        mu = float(weights @ slopes)
        if f.continuous and f.k and not fixed_breakpoints:
            # μ = (f(b) − f(a)) / (b − a); gradient in (b0, b1, δ, τ)
            g = np.zeros(f.cov.shape[0])
            g[1] = 1.0
            g[2 : 2 + f.k] = (np.clip(b - f.tau, 0, None) - np.clip(a - f.tau, 0, None)) / (b - a)
            g[2 + f.k :] = -f.beta[2:] * ((b > f.tau).astype(float) - (a > f.tau)) / (b - a)
            se = float(np.sqrt(g @ f.cov @ g))
            one_segment = False
            rule = "normal, breakpoints estimated (Muggeo 2010)"
        else:
            se = float(np.sqrt(weights @ V @ weights))
            one_segment = int(np.sum(weights > 0)) == 1
            rule = ("within one segment: t(df=n-p)" if one_segment
                    else "spans segments: normal (Clegg 2009)")
        qt = quantile(level, f.df)
        q = qt if one_segment else quantile(level, None)
        table = pd.DataFrame([{
            "k": f.k,
            "start": a,
            "end": b,
            "weights": ";".join(f"{v:.6g}" for v in weights),
            "slope": mu,
            "se": se,
            "aapc": pct(mu),
            "ci_low": pct(mu - q * se),
            "ci_high": pct(mu + q * se),
            "ci_rule": rule,
            "df": f.df,
            "ci_low_t": pct(mu - qt * se),
            "ci_high_t": pct(mu + qt * se),
        }])
        return AAPCResult(table, self.notes_)

    def predict_log(self, years, k: int | None = None):
        """Fitted ln(value) at ``years`` and its standard error (extrapolates the end segments)."""
        return self._fit_for(k).mean_log(years)

    def predict(self, years, k: int | None = None):
        """Fitted values (on the original scale) at ``years``."""
        return np.exp(self.predict_log(years, k)[0])

    def fitted(self, step: float = 0.25, k: int | None = None) -> pd.DataFrame:
        """The fitted trend on a fine year grid, for plotting.

        Columns ``year, fitted, observed`` (observed is NaN between data years),
        from the first to the last year fitted.
        """
        x = self._series.x
        grid = np.union1d(np.arange(x[0], x[-1] + 1e-9, step), x)
        obs = pd.Series(self._series.value, index=x).reindex(grid).to_numpy()
        return pd.DataFrame({"year": grid, "fitted": self.predict(grid, k), "observed": obs})

    def tidy(self) -> pd.DataFrame:
        """The selected model's segments (same as ``segments_.tidy()``)."""
        self._check_fitted()
        return self.segments_.tidy()

    @property
    def psi_se_(self) -> np.ndarray:
        """Standard errors of continuous breakpoints (``continuous=True`` only)."""
        f = self._fit_for(None)
        if not f.continuous:
            return np.full(f.k, np.nan)
        return np.sqrt(np.diag(f.cov)[2 + f.k :])


def joinpoint(df, year="year", value="value", se=None, max_joinpoints=3, select="bic",
              min_obs_end=2, min_obs_between=2, n_permutations=4499, continuous=False,
              random_state=None, alpha=0.05, period=None, missing="raise") -> Joinpoint:
    """Fit a joinpoint regression of ln(value) on year and return the fitted model.

    A shortcut for ``Joinpoint(...).fit(df, year, value, se, period, missing)``; see
    `Joinpoint` for every option. Joinpoints lie at observed years with at least
    ``min_obs_end`` observations to either end and ``min_obs_between`` between them
    (NCI Joinpoint's grid search), or anywhere with ``continuous=True`` (R segmented).

    Returns
    -------
    Joinpoint
        With ``joinpoints_``, ``segments_`` (``.tidy()``: start, end, slope, apc,
        ci_low, ci_high), ``models_`` and ``aapc(period)``.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd
    >>> df = pd.DataFrame({"year": range(2000, 2012),
    ...                    "value": [50, 48, 46.2, 44.3, 42.6, 41, 37, 33.2, 30, 27, 24.3, 21.9]})
    >>> jp = ecd.trends.joinpoint(df, max_joinpoints=1)
    >>> jp.n_joinpoints_, jp.joinpoints_.tolist()
    (1, [2005.0])
    >>> round(float(jp.aapc(period=(2000, 2011)).tidy()["aapc"].iloc[0]), 2)
    -7.22
    """
    return Joinpoint(max_joinpoints=max_joinpoints, select=select, min_obs_end=min_obs_end,
                     min_obs_between=min_obs_between, n_permutations=n_permutations, alpha=alpha,
                     continuous=continuous, random_state=random_state).fit(
        df, year=year, value=value, se=se, period=period, missing=missing)
