"""D-score by expected a posteriori (EAP) estimation on a quadrature grid.

One matrix product per chunk of children: the log-likelihood of every child at
every quadrature point is ``passes @ log P(q).T + fails @ log(1 - P(q)).T``.
"""
from __future__ import annotations

import contextlib
from numbers import Real

import numpy as np
import pandas as pd

from ecd.errors import DataError, ParameterError, SchemaError

from ._key import Key
from ._reference import Reference

_AGE_DIVISOR = {"years": 1.0, "months": 12.0, "days": 365.25}
_MAX_LISTED = 20
_CHUNK = 20_000


def dscore(
    df: pd.DataFrame,
    key: Key,
    *,
    age: str = "age",
    age_unit: str = "years",
    reference: Reference | None = None,
    prior_mean: str | float | None = None,
    prior_sd: str | float | None = None,
    prior_mean_na: float | None = None,
    prior_sd_na: float | None = None,
    metric: str = "dscore",
    decimals: dict | None = None,
) -> pd.DataFrame:
    """D-score, its standard error and DAZ for every row, as R ``dscore::dscore`` computes them.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per child-visit: an age column and item columns scored 0 (fail),
        1 (pass) or missing (not answered). Item columns are found by name,
        case-insensitively; other columns (including unknown item codes) are ignored.
    key : Key
        Item difficulties, transform, quadrature, prior rule and rounding.
    age : str, default "age"
        The age column.
    age_unit : {"years", "months", "days"}
        Unit of ``age``; it is converted to years and rounded to ``key.rounding["age"]`` dp.
    reference : Reference, optional
        The DAZ reference. ``None`` uses the key's default reference file if its
        parameter file names one; otherwise ``daz`` is missing.
    prior_mean : None, str or float
        ``None`` applies the key's prior-mean rule at the rounded age; a column name
        gives per-row prior means; a number is used for every row.
    prior_sd : None, str or float
        ``None`` uses ``key.prior_sd``; else a column name or a number.
    prior_mean_na, prior_sd_na : float, optional
        Prior for rows whose age is missing (both needed; otherwise such rows get
        no D-score). ``key.prior_mean_na`` / ``key.prior_sd_na`` hold the values a
        parameter file suggests; they are not applied unless passed here.
    metric : {"dscore", "logit"}
        ``"logit"`` reports ``d`` and ``sem`` in logits, ``(D - intercept) / slope``,
        and leaves ``daz`` missing (it has no meaning there).
    decimals : dict, optional
        Overrides of ``key.rounding`` (keys ``age``, ``p``, ``d``, ``daz``, ``sem``;
        ``None`` = unrounded).

    Returns
    -------
    pandas.DataFrame
        On ``df``'s index, columns ``a`` (age in years, rounded), ``n`` (valid
        answers), ``p`` (proportion passed), ``d`` (EAP D-score), ``sem``
        (posterior SD) and ``daz``. With ``n == 0`` p, d, sem and daz are missing;
        with no prior (missing age, or age below ``key.min_age``) d, sem and daz
        are missing. Unlike R, ``a`` is the real age on rows with ``n == 0``.
        ``attrs`` records the key's name, the uncalibrated items found in ``df``
        (``uncalibrated_items``) and how many answers to them were ignored
        (``uncalibrated_responses``); like R, they are not counted in ``n``.

    Raises
    ------
    SchemaError
        A score other than 0, 1 or missing; every offending row and item is listed.
    ParameterError
        Unknown ``age_unit``/``metric`` or a missing column.

    Notes
    -----
    The posterior on the quadrature points ``Q`` is the normalised normal prior
    ``phi((q - mu) / sigma)`` times the Rasch likelihood
    ``P_j(q) = 1 / (1 + exp(-(q - tau_j) / slope))``; ``d`` is its mean (rounded)
    and ``sem`` its standard deviation about the unrounded mean. Fails use
    ``log(1 - P)`` computed exactly, which differs from R's literal ``1 - P`` by
    less than 1e-9 in ``sem``. DAZ uses the rounded ``d`` and ``a``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.development import Key, dscore
    >>> from ecd.development._synthetic import synthetic_key_paths
    >>> key = Key.from_files(*synthetic_key_paths())
    >>> kids = pd.DataFrame({"age": [1.0, 1.0], "ZZ1MOC030": [1, 0], "zz1sec031": [1, None]})
    >>> dscore(kids, key)[["a", "n", "p", "d"]]
         a  n    p      d
    0  1.0  2  1.0  50.89
    1  1.0  1  0.0  44.76
    """
    if metric not in ("dscore", "logit"):
        raise ParameterError("metric", f"{metric!r} is not supported; use 'dscore' or 'logit'.")
    rounding = dict(key.rounding)
    unknown = sorted(set(decimals or {}) - set(rounding))
    if unknown:
        raise ParameterError("decimals", f"unknown keys {unknown}; use {sorted(rounding)} (None = unrounded).")
    rounding.update(decimals or {})
    a = _age_years(df, age, age_unit, rounding["age"])
    x, found = _answered_items(df, key)
    tau = key.tau[found]
    n = np.count_nonzero(~np.isnan(x), axis=1)
    with np.errstate(invalid="ignore"):
        p = np.where(n > 0, np.count_nonzero(x == 1, axis=1) / np.maximum(n, 1), np.nan)
    p = _round(p, rounding["p"])

    mu, sd = _prior(df, key, a, prior_mean, prior_sd, prior_mean_na, prior_sd_na)
    ok = (n > 0) & np.isfinite(mu) & np.isfinite(sd)
    eap = np.full(len(df), np.nan)
    sem = np.full(len(df), np.nan)
    with _one_blas_thread():
        for start in range(0, len(df), _CHUNK):
            rows = np.flatnonzero(ok[start:start + _CHUNK]) + start
            if rows.size:
                eap[rows], sem[rows] = _eap(_log_posterior(x[rows], mu[rows], sd[rows], tau, key), key.qp)

    if metric == "logit":
        d = _round((eap - key.intercept) / key.slope, rounding["d"])
        sem = _round(sem / key.slope, rounding["sem"])
        z = np.full(len(df), np.nan)
    else:
        d = _round(eap, rounding["d"])
        sem = _round(sem, rounding["sem"])
        if reference is None and key.references.get("default"):
            reference = Reference.from_csv(key.references["default"])
        z = np.full(len(df), np.nan) if reference is None else reference.daz(d, a, dec=rounding["daz"])
    out = pd.DataFrame(
        {"a": a, "n": n.astype("int64"), "p": p, "d": d, "sem": sem, "daz": z}, index=df.index
    )
    found_uncal, ignored = _uncalibrated_answers(df, key)
    out.attrs.update(key=key.name, uncalibrated_items=found_uncal, uncalibrated_responses=ignored)
    return out


def dscore_posterior(
    df: pd.DataFrame,
    key: Key,
    *,
    age: str = "age",
    age_unit: str = "years",
    prior_mean: str | float | None = None,
    prior_sd: str | float | None = None,
    prior_mean_na: float | None = None,
    prior_sd_na: float | None = None,
) -> pd.DataFrame:
    """Full posterior weights on the key's quadrature points, one row per child.

    Arguments as in :func:`dscore`. A row without valid answers gets its own
    normalised prior (R ``dscore_posterior`` returns another row's prior there);
    a row without a prior is all missing.

    Returns
    -------
    pandas.DataFrame
        On ``df``'s index, one column per quadrature point (named by its value),
        rows summing to 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.development import Key, dscore_posterior
    >>> from ecd.development._synthetic import synthetic_key_paths
    >>> key = Key.from_files(*synthetic_key_paths())
    >>> post = dscore_posterior(pd.DataFrame({"age": [1.0], "zz1moc030": [1]}), key)
    >>> round(float(post.sum(axis=1).iloc[0]), 12)
    1.0
    """
    a = _age_years(df, age, age_unit, key.rounding["age"])
    x, found = _answered_items(df, key)
    mu, sd = _prior(df, key, a, prior_mean, prior_sd, prior_mean_na, prior_sd_na)
    ok = np.isfinite(mu) & np.isfinite(sd)
    out = np.full((len(df), key.qp.size), np.nan)
    rows = np.flatnonzero(ok)
    if rows.size:
        logw = _log_posterior(x[rows], mu[rows], sd[rows], key.tau[found], key)
        w = np.exp(logw - logw.max(axis=1, keepdims=True))
        out[rows] = w / w.sum(axis=1, keepdims=True)
    return pd.DataFrame(out, index=df.index, columns=[_qp_name(q) for q in key.qp])


def item_matrix(df: pd.DataFrame, key: Key) -> np.ndarray:
    """The key's items as a float matrix (rows of ``df`` × ``key.items``), NaN = not answered.

    Columns are matched to item codes case-insensitively; items absent from ``df``
    are all-NaN columns. Raises :class:`~ecd.errors.SchemaError` listing every cell
    that is not 0, 1 or missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.development import Key, item_matrix
    >>> from ecd.development._synthetic import synthetic_key_paths
    >>> key = Key.from_files(*synthetic_key_paths())
    >>> item_matrix(pd.DataFrame({"ZZ1MOC001": [1, 0]}), key).shape
    (2, 60)
    """
    x, found = _answered_items(df, key)
    full = np.full((len(df), len(key.items)), np.nan)
    full[:, found] = x
    return full


def _answered_items(df: pd.DataFrame, key: Key) -> tuple[np.ndarray, np.ndarray]:
    """The key items present in ``df`` as a C-ordered float matrix, and their key positions."""
    position = {item.lower(): j for j, item in enumerate(key.items)}
    found: dict[int, str] = {}
    for col in df.columns:
        j = position.get(str(col).lower())
        if j is None:
            continue
        if j in found:
            raise DataError(
                f"columns {found[j]!r} and {col!r} both match key item {key.items[j]!r} "
                "(item names are case-insensitive); keep one of them.")
        found[j] = col
    js = sorted(found)
    return score_matrix(df, [found[j] for j in js]), np.asarray(js, dtype=int)


def score_matrix(df: pd.DataFrame, cols: list) -> np.ndarray:
    """Columns ``cols`` of ``df`` as a C-ordered float matrix of 0/1/NaN.

    Raises :class:`~ecd.errors.SchemaError` listing (up to 20) cells that are not
    0, 1 or missing, by row label and column.
    """
    if all(pd.api.types.is_numeric_dtype(df[c].dtype) for c in cols):
        x = np.ascontiguousarray(df[cols].to_numpy(dtype=float, na_value=np.nan))
        not_number = np.zeros(x.shape, dtype=bool)
    else:
        x = np.empty((len(df), len(cols)))
        for k, c in enumerate(cols):
            x[:, k] = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        not_number = np.isnan(x) & df[cols].notna().to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ((x * (x - 1.0)) != 0) & ~np.isnan(x) | not_number
    if bad.any():
        cells = np.argwhere(bad)
        failures = [f"row {df.index[i]!r}, item {cols[k]!r}: {_plain(df[cols[k]].iloc[i])!r}" for i, k in cells[:_MAX_LISTED]]
        if len(cells) > _MAX_LISTED:
            failures.append(f"... and {len(cells) - _MAX_LISTED} more")
        raise SchemaError(
            f"{len(cells)} item score(s) are not 0 (fail), 1 (pass) or missing (not answered); "
            "recode them (e.g. 'yes'/'no' to 1/0, 'don't know' to missing) before scoring:",
            failures,
        )
    return x


def _uncalibrated_answers(df: pd.DataFrame, key: Key) -> tuple[tuple, int]:
    """The key's uncalibrated items present in ``df`` and how many answers they hold (ignored)."""
    wanted = {item.lower() for item in key.uncalibrated_}
    cols = [c for c in df.columns if str(c).lower() in wanted]
    return tuple(str(c) for c in cols), int(df[cols].notna().to_numpy().sum()) if cols else 0


# ---------------------------------------------------------------------- helpers
def _log_posterior(x: np.ndarray, mu: np.ndarray, sd: np.ndarray, tau: np.ndarray, key: Key) -> np.ndarray:
    """Unnormalised log posterior (rows × quadrature points) as one matrix product.

    With eta = (q - tau) / slope, log P = eta + log(1 - P), so a row's log
    likelihood is ``passes @ eta + answered @ log(1 - P)``; the normal prior
    ``-(q - mu)^2 / (2 sd^2)`` adds ``q * mu / sd^2 - q^2 / (2 sd^2)`` up to a
    constant. Stacking both gives one product of (rows × 2 items + 2) by
    (2 items + 2 × points).
    """
    qp = key.qp
    eta = (qp[None, :] - tau[:, None]) / key.slope  # items × Q
    log_fail = -np.logaddexp(0.0, eta)  # log(1 - P) without cancellation
    precision = 1.0 / (sd * sd)
    features = np.empty((x.shape[0], 2 * x.shape[1] + 2))
    m = x.shape[1]
    np.equal(x, 1.0, out=features[:, :m])
    np.isfinite(x, out=features[:, m:2 * m])
    features[:, 2 * m] = mu * precision
    features[:, 2 * m + 1] = -0.5 * precision
    coef = np.vstack([eta, log_fail, qp[None, :], (qp * qp)[None, :]])
    return features @ coef


def _eap(logw: np.ndarray, qp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and SD from unnormalised log weights (overwrites ``logw``)."""
    logw -= logw.max(axis=1, keepdims=True)
    w = np.exp(logw, out=logw)
    centre = qp.mean()
    # the three moments in one product: sum w, sum w q, sum w (q - centre)^2
    moments = w @ np.column_stack([np.ones_like(qp), qp, (qp - centre) ** 2])
    mean = moments[:, 1] / moments[:, 0]
    var = np.maximum(moments[:, 2] / moments[:, 0] - (mean - centre) ** 2, 0.0)
    return mean, np.sqrt(var)


def _one_blas_thread():
    """Run the products on one BLAS thread.

    The inner dimension (2 x items + 2) is small, so threads gain little when the
    machine is idle and lose a lot when it is shared (measured: 0.43 s on one
    thread vs 1.4 s on two busy cores for 100,000 x 50). Uses ``threadpoolctl``
    (installed with scikit-learn) when it is available.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _age_years(df: pd.DataFrame, age: str, unit: str, dec: int | None) -> np.ndarray:
    if unit not in _AGE_DIVISOR:
        raise ParameterError("age_unit", f"{unit!r} is not supported; use 'years', 'months' or 'days'.")
    if age not in df.columns:
        raise ParameterError("age", f"column {age!r} is not in the data (columns: {list(df.columns)[:10]}...).")
    raw = df[age]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(values) & raw.notna().to_numpy())
    if bad.size:
        rows = [f"row {df.index[i]!r}: {raw.iloc[i]!r}" for i in bad[:_MAX_LISTED]]
        raise SchemaError(f"column {age!r}: ages must be numbers in {unit} (missing = empty).", rows)
    return _round(values / _AGE_DIVISOR[unit], dec)


def _prior(df, key, a, prior_mean, prior_sd, mean_na, sd_na):
    if prior_mean is None and not key.mean_pieces:
        raise ParameterError(
            "prior_mean", f"key {key.name!r} has no prior-mean rule (prior.mean_pieces in its parameter file); "
            "add one there or pass per-child prior means as a column name or a number.")
    mu = _per_row(df, "prior_mean", prior_mean, key.prior_mean(a))
    sd = _per_row(df, "prior_sd", prior_sd, np.full(len(df), key.prior_sd))
    sd = np.where(np.isnan(a), np.nan, sd)
    missing_age = np.isnan(a)
    if mean_na is not None:
        mu = np.where(missing_age, float(mean_na), mu)
    if sd_na is not None:
        sd = np.where(missing_age, float(sd_na), sd)
    if np.any(sd[np.isfinite(sd)] <= 0):
        raise ParameterError("prior_sd", "prior standard deviations must be positive.")
    return mu, sd


def _per_row(df, name, spec, default):
    if spec is None:
        return np.asarray(default, dtype=float)
    if isinstance(spec, str):
        if spec not in df.columns:
            raise ParameterError(name, f"column {spec!r} is not in the data; give a column name, a number or None.")
        return pd.to_numeric(df[spec], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if isinstance(spec, Real):
        return np.full(len(df), float(spec))
    raise ParameterError(name, f"{spec!r} is neither None, a column name nor a number.")


def _round(x: np.ndarray, dec: int | None) -> np.ndarray:
    return x if dec is None else np.round(x, dec)


def _qp_name(q: float):
    return int(q) if float(q).is_integer() else float(q)


def _plain(value):
    """A cell value as the user wrote it (numpy scalars shown as plain numbers)."""
    return value.item() if hasattr(value, "item") else value
