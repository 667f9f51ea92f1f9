"""The survey design: validation and one-off factorization of strata and PSUs."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecd.errors import DesignError, ParameterError
from ecd.survey import _estimate
from ecd.survey._codes import codes as _codes
from ecd.survey._codes import row_labels as _rows
from ecd.survey._variance import _Stage, check_lonely

LONELY_PSU = ("fail", "remove", "certainty", "adjust", "average")


def _as_list(value, name: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    raise ParameterError(name, f"expected a column name or a list of column names, got {value!r}.")


class Design:
    """A complex survey design for Taylor-linearization estimates (R ``survey``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per sampled unit.
    strata : str or None
        Column holding the first-stage stratum; ``None`` for an unstratified design.
    psu : str, list of str or None
        Cluster column(s), one per stage (``["psu1", "psu2"]`` for two stages);
        ``None`` when every row is its own PSU (R's ``id=~1``).
    weights : str or None
        Sampling-weight column (inverse inclusion probabilities); ``None`` gives
        every row weight 1, or, with ``fpc``, the weight it implies (the product
        over stages of population over sampled units), as R does.
    fpc : str, list of str or None
        Finite population correction per stage, as in R: the population number of
        PSUs per stratum (values > 1) or the sampling fraction (all values <= 1).
        Give one column per stage of ``psu`` (or none).
    nest : bool
        PSU identifiers restart within strata: make them unique by combining with
        the stratum (R's ``nest=TRUE``).
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}
        What to do with a stratum sampled with a single PSU, with R's meanings:
        ``"fail"`` raises :class:`~ecd.errors.DesignError`; ``"remove"`` and
        ``"certainty"`` let it contribute no variance; ``"adjust"`` centres it at
        zero (for a mean, the grand mean of its influence values; for a total R
        survey 4.1.1 also uses zero, not the grand mean); ``"average"`` scales the
        variance up by (strata) / (strata with more than one PSU).

    Attributes
    ----------
    n : int
        Number of rows.
    n_psu, n_strata : int
        First-stage PSUs and strata.
    df : int
        Design degrees of freedom: PSUs minus strata among rows with non-zero weight.

    Notes
    -----
    Strata, PSUs, weights and fpc are validated and coded once, here; domain
    columns are coded on first use and reused, so treat ``data`` as fixed once
    the design is built (build a new design for changed data). Variance
    follows R ``survey``'s ``svyrecvar``: first-stage between-PSU variance with
    fpc ``(N - n) / N``, plus later stages (weighted by earlier sampling
    fractions) when every stage has an fpc; domains are estimated on the full
    design (zero influence outside the domain), as ``svyby``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.survey import Design
    >>> df = pd.DataFrame({"s": [1, 1, 1, 1, 2, 2, 2, 2], "c": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                    "w": [10.0, 10, 12, 12, 20, 20, 25, 25],
    ...                    "y": [1, 0, 1, 1, 0, 0, 1, 0]})
    >>> d = Design(df, strata="s", psu="c", weights="w")
    >>> d.df
    2
    >>> round(float(d.mean("y").tidy().loc[0, "estimate"]), 6)
    0.440299
    """

    def __init__(self, data: pd.DataFrame, strata=None, psu=None, weights=None, fpc=None,
                 nest: bool = False, lonely_psu: str = "fail"):
        if not isinstance(data, pd.DataFrame):
            raise ParameterError("data", f"expected a pandas DataFrame, got {type(data).__name__}.")
        if lonely_psu not in LONELY_PSU:
            raise ParameterError("lonely_psu", f"got {lonely_psu!r}; expected one of {LONELY_PSU}.")
        if len(data) == 0:
            raise DesignError("the design has no rows; pass a data frame with the sampled units.")
        self.data = data
        self.strata = strata
        self.psu = psu
        self.weights = weights
        self.fpc = fpc
        self.nest = bool(nest)
        self.lonely_psu = lonely_psu

        psu_cols = _as_list(psu, "psu")
        strata_cols = _as_list(strata, "strata")
        fpc_cols = _as_list(fpc, "fpc")
        if len(strata_cols) > max(1, len(psu_cols)):
            raise ParameterError("strata", f"got {len(strata_cols)} columns for {max(1, len(psu_cols))} stage(s); give at most one per stage.")
        if fpc_cols and len(fpc_cols) != max(1, len(psu_cols)):
            raise ParameterError("fpc", f"got {len(fpc_cols)} fpc column(s) for {max(1, len(psu_cols))} stage(s); give one per stage (or none).")
        for name, cols in (("strata", strata_cols), ("psu", psu_cols), ("fpc", fpc_cols),
                           ("weights", _as_list(weights, "weights"))):
            for c in cols:
                if c not in data.columns:
                    raise ParameterError(name, f"column {c!r} is not in the data (columns: {list(data.columns)[:20]}).")

        n = len(data)
        self.n = n
        self._w = self._weights(data, weights)

        # identifiers per stage: stage-1 PSU (or the row), later-stage units
        n_stages = max(1, len(psu_cols))
        ids = []
        for s in range(n_stages):
            if psu_cols:
                col = psu_cols[s]
                v = data[col]
                miss = v.isna().to_numpy()
                if miss.any():
                    raise DesignError(f"psu column {col!r} is missing in row(s) {_rows(data, miss)}; every row needs a PSU identifier. Fill them in or drop those rows before building the design.")
                ids.append(_codes(v)[0])
            else:
                ids.append(np.arange(n, dtype=np.int64))
        stratas = []
        for s in range(n_stages):
            if s < len(strata_cols):
                col = strata_cols[s]
                v = data[col]
                miss = v.isna().to_numpy()
                if miss.any():
                    raise DesignError(f"strata column {col!r} is missing in row(s) {_rows(data, miss)}; every row needs a stratum. Fill them in or drop those rows before building the design.")
                codes, labels = _codes(v)
                stratas.append((codes, labels))
            else:
                stratas.append((np.zeros(n, dtype=np.int64), np.array([1])))

        # clusters nested in strata (nest=True) or checked to be (nest=False)
        if strata_cols and psu_cols:
            sc = stratas[0][0]
            if self.nest:
                ids[0] = _codes(sc * (ids[0].max() + 1) + ids[0])[0]
            else:
                # a PSU is nested when every row has the stratum of the PSU's first row
                first = np.full(ids[0].max() + 1, -1, dtype=np.int64)
                first[ids[0][::-1]] = sc[::-1]
                dup = first[ids[0]] != sc
                if dup.any():
                    bad = np.unique(ids[0][dup])
                    labels = _codes(data[psu_cols[0]])[1][bad[:10]]
                    raise DesignError(f"PSU(s) {', '.join(map(str, labels))} of column {psu_cols[0]!r} appear in more than one stratum of {strata_cols[0]!r}; PSU identifiers are not nested in strata. Pass nest=True if identifiers restart within each stratum.")
        # later-stage units nested in their parents
        for s in range(1, n_stages):
            ids[s] = _codes(ids[s - 1] * (ids[s].max() + 1) + ids[s])[0]

        fpcs = [self._fpc_values(data, c) for c in fpc_cols] if fpc_cols else [None] * n_stages
        self._stages = []
        for s in range(n_stages):
            if s == 0:
                gcode_rows = stratas[0][0]
                glabels = stratas[0][1]
                parent_rows = np.zeros(n, dtype=np.int64)
            else:
                gcode_rows, _ = _codes(ids[s - 1] * (stratas[s][0].max() + 1) + stratas[s][0])
                glabels = None
                parent_rows = ids[s - 1]
            self._stages.append(self._make_stage(data, s, ids[s], gcode_rows, glabels, parent_rows,
                                                 fpcs[s], fpc_cols[s] if fpc_cols else None,
                                                 strata_cols[0] if strata_cols else None))
        self._has_fpc = bool(fpc_cols)
        if weights is None and self._has_fpc:
            # as R: without weights, the fpc gives them (product over stages of N / n)
            w = np.ones(n)
            for st in self._stages:
                with np.errstate(divide="ignore"):
                    w = w / st.frac_group[st.group[st.cluster]]
            self._w = w
        self._domain_cache: dict = {}
        self._cal: tuple = ()  # calibration steps (postStratify, rake, calibrate), applied in order
        check_lonely(self._stages, lonely_psu, with_later=self._has_fpc)

        st = self._stages[0]
        self.n_psu = int(st.n_cluster)
        self.n_strata = int(st.n_groups)
        self._all_weighted = bool(np.all(self._w != 0))
        nz = self._w != 0
        has_psu = np.bincount(st.cluster[nz], minlength=st.n_cluster) > 0
        has_str = np.bincount(st.group[has_psu.nonzero()[0]], minlength=st.n_groups) > 0
        self.df = int(has_psu.sum() - has_str.sum())

    # ------------------------------------------------------------------ building
    @staticmethod
    def _weights(data, weights) -> np.ndarray:
        if weights is None:
            return np.ones(len(data))
        v = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(v)
        if bad.any():
            raise DesignError(f"weights column {weights!r} is missing or not a finite number in row(s) {_rows(data, bad)}; expected a non-negative sampling weight in every row. Fix or drop those rows.")
        neg = v < 0
        if neg.any():
            raise DesignError(f"weights column {weights!r} is negative in row(s) {_rows(data, neg)} (e.g. {float(v[neg][0])!r}); expected weights >= 0. Check how the weights were derived.")
        if len(v) and not (v > 0).any():
            raise DesignError(f"weights column {weights!r} is 0 in every row; expected at least one positive sampling "
                              f"weight (a design without weight estimates nothing). Check how the weights were derived.")
        return v

    @staticmethod
    def _fpc_values(data, col) -> np.ndarray:
        v = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~(v > 0)
        if bad.any():
            raise DesignError(f"fpc column {col!r} is missing, not a number or not positive in row(s) {_rows(data, bad)}; expected the population number of PSUs per stratum (or the sampling fraction).")
        return v

    def _make_stage(self, data, s, cluster_rows, group_rows, glabels, parent_rows, fpc_rows,
                    fpc_col, strata_col) -> _Stage:
        n_cluster = int(cluster_rows.max()) + 1
        first = np.full(n_cluster, -1, dtype=np.int64)
        first[cluster_rows[::-1]] = np.arange(len(cluster_rows))[::-1]
        group = group_rows[first]
        n_groups = int(group_rows.max()) + 1
        n_group = np.bincount(group, minlength=n_groups).astype(float)
        gfirst = np.full(n_groups, -1, dtype=np.int64)
        gfirst[group_rows[::-1]] = np.arange(len(group_rows))[::-1]
        parent = parent_rows[gfirst]
        if glabels is None:
            glabels = tuple(f"within stage-{s} unit {int(p) + 1}" for p in parent)
        else:
            glabels = tuple(glabels.tolist())
        if fpc_rows is None:
            f = np.ones(n_groups)
            frac = np.zeros(n_groups)
        else:
            gf = pd.Series(fpc_rows).groupby(group_rows)
            lo, hi = gf.min().to_numpy(), gf.max().to_numpy()
            varying = lo != hi
            if varying.any():
                which = [glabels[i] for i in np.flatnonzero(varying)[:10]]
                raise DesignError(f"fpc column {fpc_col!r} is not constant within stratum {', '.join(map(str, which))} (stage {s + 1}); expected one population size per stratum.")
            if np.all(fpc_rows <= 1):
                frac = lo.copy()
                pop = n_group / frac
            else:
                pop = lo
                small = pop < n_group
                if small.any():
                    which = np.flatnonzero(small)[:10]
                    desc = "; ".join(f"stratum {glabels[i]}: fpc {pop[i]:g} < {int(n_group[i])} sampled" for i in which)
                    raise DesignError(f"fpc column {fpc_col!r} is smaller than the number of sampled PSUs ({desc}) at stage {s + 1}; fpc is the population number of PSUs per stratum (R's convention), which cannot be below the sample. Check the column or pass sampling fractions (all <= 1).")
                frac = n_group / pop
            f = np.where(np.isinf(pop), 1.0, (pop - n_group) / pop)
        return _Stage(cluster=cluster_rows, n_cluster=n_cluster, group=group, n_groups=n_groups,
                      n_group=n_group, f_group=f, frac_group=frac, parent_of_group=parent,
                      n_parents=int(parent_rows.max()) + 1, group_labels=glabels)

    # ------------------------------------------------------------------ helpers
    def _vfactors(self, z, col, k, rows=None):
        from ecd.survey._variance import design_factors
        if self._cal:
            # calibrated weights: the influence values of every (variable, domain) column
            # over all rows, replaced by their residuals from each calibration (svyrecvar)
            m = z.shape[0]
            Z = np.zeros((m * k, self.n))
            pos = np.arange(z.shape[1]) if rows is None else rows
            for j in range(m):
                Z[j * k + col, pos] = z[j]
            for step in self._cal:
                Z = step(Z)
            z, col, k, rows = Z, np.zeros(self.n, dtype=np.int64), 1, None
        return design_factors(self._stages, z, col, k, self.lonely_psu, rows,
                              use_later_stages=self._has_fpc)

    # ------------------------------------------------------------------ calibration
    def postStratify(self, strata, population, partial: bool = False) -> "Design":
        """Post-stratified design (R ``postStratify``): weights scaled within post-strata
        to the population counts; SEs from the residuals within post-strata.

        Parameters
        ----------
        strata : str or list of str
            Post-stratification column(s).
        population : DataFrame, Series or dict
            Population counts: a DataFrame with the ``strata`` columns and ``Freq``
            (R's form), or ``{level: count}`` (``{(level1, level2): count}`` for
            several columns).
        partial : bool
            Ignore post-strata with a population count but no sampled weight
            (R's ``partial=TRUE``); otherwise they are an error.

        Returns
        -------
        Design
            A new design; this one is unchanged.

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.survey import Design
        >>> df = pd.DataFrame({"c": range(6), "w": [1.0] * 6, "g": list("aabbbb"), "y": [1, 2, 3, 4, 5, 6]})
        >>> d = Design(df, psu="c", weights="w").postStratify("g", {"a": 50, "b": 50})
        >>> float(d.mean("y").tidy()["estimate"][0])
        3.0
        """
        from ecd.survey._calibrate import post_stratify
        return post_stratify(self, strata, population, partial)

    def rake(self, margins, population, epsilon: float = 1e-12, max_iter: int = 200) -> "Design":
        """Raked design (R ``rake``): iterative post-stratification on several margins.

        Parameters
        ----------
        margins : list of str
            One column per margin.
        population : list or dict
            Per margin, its population counts as in :meth:`postStratify`
            (``{column: {level: count}}`` or a list in the order of ``margins``).
        epsilon, max_iter : float, int
            Sweeps stop when no weight moves by more than ``epsilon`` times the
            mean weight (R stops at a change of 1 in its weighted table; run R with
            a small ``epsilon`` to compare).

        Returns
        -------
        Design

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.survey import Design
        >>> df = pd.DataFrame({"c": range(8), "a": list("xxyyxxyy"), "b": list("uvuvuuuv"), "y": range(8)})
        >>> d = Design(df, psu="c").rake(["a", "b"], {"a": {"x": 60, "y": 40}, "b": {"u": 70, "v": 30}})
        >>> round(float(d.total("y").tidy()["estimate"][0]), 6) > 0
        True
        """
        from ecd.survey._calibrate import rake
        return rake(self, margins, population, epsilon, max_iter)

    def calibrate(self, formula: str, population, calfun: str = "linear", bounds=(-np.inf, np.inf),
                  epsilon: float = 1e-12, max_iter: int = 50) -> "Design":
        """Calibrated design (R ``calibrate``): GREG (``"linear"``), ``"raking"`` or bounded
        ``"logit"`` calibration to population totals of the model-matrix columns of ``formula``.

        Parameters
        ----------
        formula : str
            One-sided formula, e.g. ``"~ urban_rural + age_group"`` (R-like coding).
        population : dict, Series or array
            Totals keyed by the model-matrix column names (``Intercept``,
            ``urban_rural[T.urban]`` ...) or in their order.
        calfun : {"linear", "raking", "logit"}
            Calibration function; ``"linear"`` without bounds is the closed-form GREG.
        bounds : (float, float)
            Bounds on the weight ratio g (required finite for ``"logit"``).
        epsilon, max_iter : float, int
            Convergence of the iterative calibrations (relative misfit of the
            totals, R's criterion; R's default epsilon is 1e-7).

        Returns
        -------
        Design

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.survey import Design
        >>> df = pd.DataFrame({"c": range(6), "x": [1.0, 2, 3, 4, 5, 6], "y": [2.0, 4, 5, 8, 10, 13]})
        >>> d = Design(df, psu="c").calibrate("~ x", {"Intercept": 60, "x": 240})
        >>> round(float(d.total("x").tidy()["estimate"][0]), 6)
        240.0
        """
        from ecd.survey._calibrate import calibrate
        return calibrate(self, formula, population, calfun, bounds, epsilon, max_iter)

    def _influence_vcov(self, z: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Covariance of the totals of influence values ``z`` (m x rows used), as R's
        ``svyrecvar``; ``rows`` are the positions of the rows used (``None``: all)."""
        from ecd.survey._variance import factor_covariance

        n_used = z.shape[1]
        return factor_covariance(self._vfactors(np.asarray(z, dtype=float),
                                                np.zeros(n_used, dtype=np.int64), 1, rows))

    def _degf(self, rows: np.ndarray | None = None) -> int:
        """R's ``degf`` of the design restricted to ``rows`` (PSUs minus strata among
        rows with non-zero weight)."""
        if rows is None:
            return self.df
        st = self._stages[0]
        keep = rows[self._w[rows] != 0]
        has_psu = np.bincount(st.cluster[keep], minlength=st.n_cluster) > 0
        has_str = np.bincount(st.group[has_psu.nonzero()[0]], minlength=st.n_groups) > 0
        return int(has_psu.sum() - has_str.sum())

    def __repr__(self) -> str:
        return (f"Design(n={self.n}, strata={self.n_strata}, psu={self.n_psu}, df={self.df}, "
                f"fpc={'yes' if self._has_fpc else 'no'}, lonely_psu={self.lonely_psu!r})")

    # ------------------------------------------------------------------ estimators
    def mean(self, var, by=None, na: str = "raise", conf_level: float = 0.95, *, vcov: bool = True):
        """Design-based mean(s) with Taylor-linearization SEs (R ``svymean``/``svyby``).

        Parameters
        ----------
        var : str or list of str
            Numeric column(s); a non-numeric column gives one proportion per level.
        by : str, list of str or None
            Domain column(s): estimates for every combination present.
        na : {"raise", "drop", "drop_each"}
            Missing values in ``var`` raise :class:`~ecd.errors.MissingDataError`;
            ``"drop"`` leaves out rows missing in any of the variables (R's
            ``na.rm=TRUE``); ``"drop_each"`` leaves a row out only of the
            variables it is missing in (the numbers of one call per variable,
            with their covariances, in one pass).
        conf_level : float
            Confidence level of the intervals.
        vcov : bool
            Keep what the covariance of the estimates needs (``result.vcov``,
            :meth:`contrast`). ``False`` computes the standard errors only, from
            sums over (PSU, domain) cells: the same numbers up to rounding, with
            much less memory and time when there are many PSUs (every row a PSU)
            times domains; ``result.vcov`` and :meth:`contrast` then refuse it.

        Returns
        -------
        EstimateResult

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.survey import Design
        >>> df = pd.DataFrame({"s": [1, 1, 2, 2], "c": [1, 2, 3, 4], "w": [2.0, 2, 3, 3],
        ...                    "y": [1.0, 3, 2, 4], "g": ["a", "b", "a", "b"]})
        >>> r = Design(df, strata="s", psu="c", weights="w").mean("y", by="g")
        >>> r.tidy()[["g", "estimate"]].round(3).values.tolist()
        [['a', 1.6], ['b', 3.6]]
        """
        return _estimate.estimate(self, "mean", var, None, by, na, conf_level, vcov=bool(vcov))

    def total(self, var, by=None, na: str = "raise", conf_level: float = 0.95, *, vcov: bool = True):
        """Design-based total(s) (R ``svytotal``); see :meth:`mean` for the parameters (incl. ``vcov``).

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.survey import Design
        >>> df = pd.DataFrame({"c": [1, 2, 3], "w": [2.0, 2, 3], "y": [1.0, 0, 1]})
        >>> float(Design(df, psu="c", weights="w").total("y").tidy()["estimate"][0])
        5.0
        """
        return _estimate.estimate(self, "total", var, None, by, na, conf_level, vcov=bool(vcov))

    def ratio(self, num, den, by=None, na: str = "raise", conf_level: float = 0.95, *,
              vcov: bool = True):
        """Ratio of two totals (R ``svyratio``), per domain with ``by``; ``vcov`` as in :meth:`mean`.

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.survey import Design
        >>> df = pd.DataFrame({"c": [1, 2, 3], "w": [1.0, 1, 2], "y": [1.0, 0, 1], "x": [2.0, 1, 1]})
        >>> float(Design(df, psu="c", weights="w").ratio("y", "x").tidy()["estimate"][0])
        0.6
        """
        return _estimate.estimate(self, "ratio", num, den, by, na, conf_level, vcov=bool(vcov))

    def proportion(self, var, level=1, by=None, ci: str = "logit", na: str = "raise",
                   conf_level: float = 0.95):
        """Proportion of rows with ``var == level`` and its CI (R ``svyciprop``).

        Parameters
        ----------
        var : str
            A 0/1 (or boolean) column, or any column together with the ``level``
            counted as a success.
        level : scalar
            The value counted as a success (default 1).
        by : str, list of str or None
            Domain column(s).
        ci : {"logit", "likelihood", "asin", "beta", "mean", "xlogit"}
            Interval method, as in ``svyciprop``; t quantiles use the design
            degrees of freedom (of the domain with ``by``).
        na : {"raise", "drop"}
            Handling of missing values in ``var``.
        conf_level : float
            Confidence level.

        Returns
        -------
        ProportionResult

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.survey import Design
        >>> df = pd.DataFrame({"s": [1, 1, 1, 2, 2, 2], "c": [1, 2, 3, 4, 5, 6],
        ...                    "w": [1.0, 2, 1, 2, 1, 1], "y": [1, 0, 1, 0, 0, 1]})
        >>> r = Design(df, strata="s", psu="c", weights="w").proportion("y", ci="beta")
        >>> round(float(r.tidy()["estimate"][0]), 4)
        0.375
        """
        return _estimate.proportion(self, var, level, by, ci, na, conf_level)

    def contrast(self, result, contrasts: dict, conf_level: float = 0.95):
        """Linear combinations of domain estimates with SEs from their full covariance.

        Parameters
        ----------
        result : EstimateResult or ProportionResult
            Estimates by domain from this design.
        contrasts : dict
            ``{name: {term: coefficient}}`` where a term is a domain label
            (``"rural"``, or ``"rural.0-11m"`` for several ``by`` columns) or
            ``"variable"`` / ``"variable[domain]"``.
        conf_level : float
            Confidence level.

        Returns
        -------
        ContrastResult

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.survey import Design
        >>> df = pd.DataFrame({"s": [1, 1, 2, 2], "c": [1, 2, 3, 4], "w": [2.0, 2, 3, 3],
        ...                    "y": [1.0, 3, 2, 4], "g": ["a", "b", "a", "b"]})
        >>> d = Design(df, strata="s", psu="c", weights="w")
        >>> r = d.contrast(d.mean("y", by="g"), {"b - a": {"b": 1, "a": -1}})
        >>> round(float(r.tidy()["estimate"][0]), 3)
        2.0
        """
        return _estimate.contrast(result, contrasts, conf_level)
