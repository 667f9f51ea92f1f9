"""Age references for DAZ (D-score-for-age z-scores): BCT and LMS, linear in age."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from ecd.errors import DataError, ParameterError, SchemaError

_COLUMNS = ("population", "key", "distribution", "age", "mu", "sigma", "nu", "tau")
# Below this upper-tail probability R's F = T(z0)/T(c) has lost all precision
# (DAZ above about 6); there the tail is computed directly instead.
_UPPER_TAIL_SWITCH = 1e-9


@dataclass(frozen=True, eq=False)
class Reference:
    """A D-score-for-age reference table.

    Parameters
    ----------
    distribution : {"BCT", "LMS"}
        Box-Cox t (``mu, sigma, nu, tau``) or LMS (``M = mu, S = sigma, L = nu``).
    age : numpy.ndarray
        Increasing ages in years.
    mu, sigma, nu, tau : numpy.ndarray
        The parameters at those ages (``tau`` unused for LMS).
    population, key : str
        Labels copied from the file.

    Examples
    --------
    >>> import numpy as np
    >>> from ecd.development import Reference
    >>> ref = Reference("LMS", age=np.array([0.0, 1.0]), mu=np.array([20.0, 50.0]),
    ...                 sigma=np.array([0.1, 0.1]), nu=np.array([1.0, 1.0]))
    >>> ref.daz([55.0], [1.0]).tolist()
    [1.0]
    """

    distribution: str
    age: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    nu: np.ndarray
    tau: np.ndarray | None = None
    population: str = ""
    key: str = ""

    def __post_init__(self):
        dist = str(self.distribution).upper()
        if dist not in ("BCT", "LMS"):
            raise ParameterError("distribution", f"{self.distribution!r} is not supported; use 'BCT' or 'LMS'.")
        object.__setattr__(self, "distribution", dist)
        names = ("age", "mu", "sigma", "nu") + (("tau",) if dist == "BCT" else ())
        arrays = {n: np.asarray(getattr(self, n), dtype=float) for n in names}
        n = arrays["age"].size
        for name, arr in arrays.items():
            if arr.shape != (n,):
                raise ParameterError(name, f"has {arr.size} values for {n} ages; give one per age.")
            if not np.all(np.isfinite(arr)):
                raise ParameterError(name, f"has missing or infinite values at ages {arrays['age'][~np.isfinite(arr)].tolist()}.")
            object.__setattr__(self, name, arr)
        if n < 2 or np.any(np.diff(arrays["age"]) <= 0):
            raise ParameterError("age", "reference ages must be strictly increasing, with at least two rows.")
        if np.any(arrays["mu"] <= 0) or np.any(arrays["sigma"] <= 0):
            raise ParameterError("mu/sigma", "reference medians and scale parameters must be positive.")
        if dist == "BCT" and np.any(arrays["tau"] <= 0):
            raise ParameterError("tau", "BCT degrees of freedom (tau) must be positive.")

    @classmethod
    def from_csv(cls, path, population: str | None = None, key: str | None = None) -> Reference:
        """Read a reference table with columns ``population, key, distribution, age, mu, sigma, nu, tau``.

        Parameters
        ----------
        path : path-like
            The CSV (R ``dscore::builtin_references`` layout, as ``write.csv`` exports
            it: further columns such as ``P3 … SDP2`` are ignored; ``tau`` may be
            empty or ``NA`` for LMS).
        population : str, optional
            Select one population when the file holds several.
        key : str, optional
            Select the references of one key (a population may have one per key).

        Examples
        --------
        >>> from ecd.development import Reference
        >>> from ecd.development._synthetic import synthetic_reference_path
        >>> ref = Reference.from_csv(synthetic_reference_path("bct"))
        >>> ref.distribution, round(float(ref.age[0]), 4)
        ('BCT', 0.0383)
        """
        path = Path(path)
        try:
            table = pd.read_csv(path, keep_default_na=False, na_values=["", "NA"],
                                dtype={"population": str, "key": str, "distribution": str})
        except (OSError, pd.errors.ParserError) as exc:
            raise DataError(f"{path}: cannot read the reference ({exc}).") from exc
        missing = [c for c in ("distribution", "age", "mu", "sigma", "nu") if c not in table]
        if missing:
            raise SchemaError(f"{path}: columns {missing} are missing; expected {list(_COLUMNS)}.")
        for col, wanted in (("population", population), ("key", key)):
            if wanted is None:
                continue
            if col not in table:
                raise ParameterError(col, f"{path} has no {col!r} column to select {wanted!r} from.")
            chosen = table[col].astype(str) == wanted
            if not chosen.any():
                raise ParameterError(col, f"{wanted!r} is not in {path}; it holds {sorted(table[col].astype(str).unique())}.")
            table = table[chosen]
        for col in ("population", "key", "distribution"):
            if col in table and table[col].nunique() > 1:
                raise SchemaError(
                    f"{path}: column {col!r} holds several values {sorted(table[col].astype(str).unique())}; "
                    "one reference per file, or choose one with population= and key=.")
        failures = []
        for col in ("age", "mu", "sigma", "nu") + (("tau",) if "tau" in table else ()):
            num = pd.to_numeric(table[col], errors="coerce")
            for i in table.index[(num.isna() & table[col].notna()).to_numpy()]:
                failures.append(f"{path} row {int(i) + 2}, column {col!r}: {table[col].loc[i]!r} is not a number")
        if failures:
            raise SchemaError(f"{path}: reference parameters must be numbers.", failures)
        dist = str(table["distribution"].iloc[0])
        tau = table["tau"].to_numpy(float) if "tau" in table and dist.upper() == "BCT" else None
        return cls(
            distribution=dist,
            age=table["age"].to_numpy(float),
            mu=table["mu"].to_numpy(float),
            sigma=table["sigma"].to_numpy(float),
            nu=table["nu"].to_numpy(float),
            tau=tau,
            population=str(table["population"].iloc[0]) if "population" in table else "",
            key=str(table["key"].iloc[0]) if "key" in table else "",
        )

    # ------------------------------------------------------------------ parameters
    def _at(self, age) -> tuple[np.ndarray, ...]:
        """Parameters at ``age`` by linear interpolation (R ``approx``), NaN outside the table."""
        a = np.asarray(age, dtype=float)
        x = self.age
        i = np.clip(np.searchsorted(x, a, side="right") - 1, 0, x.size - 2)
        inside = (a >= x[0]) & (a <= x[-1])
        frac = (a - x[i]) / (x[i + 1] - x[i])
        out = []
        for y in (self.mu, self.sigma, self.nu, self.tau if self.tau is not None else np.zeros_like(x)):
            v = y[i] + (y[i + 1] - y[i]) * frac
            # R's approx returns table values exactly at table ages
            v = np.where(a == x[i + 1], y[i + 1], np.where(a == x[i], y[i], v))
            out.append(np.where(inside, v, np.nan))
        return tuple(out)

    # ------------------------------------------------------------------ DAZ
    def daz(self, d, age, dec: int | None = 3) -> np.ndarray:
        """D-score-for-age z-scores of D-scores ``d`` at ages ``age`` (years).

        Missing outside the table's age range and where the z-score is not finite.

        Parameters
        ----------
        d, age : array-like
            D-scores and ages in years (``age`` already rounded as the key says).
        dec : int or None
            Decimals of the result; ``None`` leaves it unrounded.
        """
        d = np.asarray(d, dtype=float)
        # children share few distinct ages: interpolate and evaluate T(c) once per age
        ages, where = np.unique(np.asarray(age, dtype=float), return_inverse=True)
        at_age = self._at(ages)
        mu, sigma, nu, tau = (v[where] for v in at_age)
        with np.errstate(all="ignore"):
            if self.distribution == "LMS":
                small = np.abs(nu) <= 0.01
                z = np.where(small, np.log(d / mu) / sigma, ((d / mu) ** nu - 1.0) / (nu * sigma))
            else:
                tc, lower, sf_c = (v[where] for v in _bct_c_terms(*at_age[1:]))
                z = _bct_z(d, mu, sigma, nu, tau, tc, lower, sf_c)
        z = np.where(np.isfinite(z), z, np.nan)
        return z if dec is None else np.round(z, dec)

    def zad(self, z, age, dec: int | None = 2) -> np.ndarray:
        """The D-score at z-score ``z`` and age ``age`` (years): the inverse of :meth:`daz`.

        Used for centile curves. BCT values below 1 are raised to 1, as in R ``dscore::zad``.
        """
        z = np.asarray(z, dtype=float)
        mu, sigma, nu, tau = self._at(age)
        with np.errstate(all="ignore"):
            if self.distribution == "LMS":
                small = np.abs(nu) <= 0.01
                d = np.where(small, mu * np.exp(sigma * z), mu * (1.0 + nu * sigma * z) ** (1.0 / nu))
            else:
                p = special.ndtr(z)
                tc = _t_cdf_c(sigma, nu, tau)
                zt = np.where(nu > 0, _tppf(1.0 - (1.0 - p) * tc, tau), _tppf(p * tc, tau))
                d = np.where(nu != 0, mu * (nu * sigma * zt + 1.0) ** (1.0 / nu), mu * np.exp(sigma * zt))
                d = np.where(d < 1.0, 1.0, d)
        d = np.where(np.isfinite(d), d, np.nan)
        return d if dec is None else np.round(d, dec)


def _tcdf(x, df):
    return special.stdtr(df, x)


def _tsf(x, df):
    return special.stdtr(df, -np.asarray(x))


def _tppf(p, df):
    return special.stdtrit(df, p)


def _t_cdf_c(sigma, nu, tau):
    """T_tau(c) with c = 1/(sigma |nu|); 1 when nu == 0 (c infinite)."""
    with np.errstate(divide="ignore"):
        c = 1.0 / (sigma * np.abs(nu))
    return np.where(np.isinf(c), 1.0, _tcdf(c, tau))


def _bct_c_terms(sigma, nu, tau):
    """Per-age terms of pBCT: T(c), the truncated lower mass T(-c) (nu > 0) and 1 - T(c)."""
    with np.errstate(divide="ignore"):
        c = 1.0 / (sigma * np.abs(nu))
    tc = _t_cdf_c(sigma, nu, tau)
    lower = np.where(nu > 0, _tcdf(-c, tau), 0.0)
    sf_c = np.where(np.isinf(c), 0.0, _tsf(c, tau))
    return tc, lower, sf_c


def _bct_z(d, mu, sigma, nu, tau, tc, lower, sf_c):
    """DAZ under a Box-Cox t reference (a modified gamlss ``pBCT``)."""
    dstar = np.maximum(d, 1.0)
    z0 = np.where(nu != 0, ((dstar / mu) ** nu - 1.0) / (nu * sigma), np.log(dstar / mu) / sigma)
    # R's formula, kept as is wherever it is accurate so that rounded DAZ match exactly
    f = (_tcdf(z0, tau) - lower) / tc
    z = special.ndtri(f)
    # upper tail (F near 1): 1 - F without cancellation, only where it matters
    near_one = np.flatnonzero(~(f < 1.0 - 1e-6))
    if near_one.size:
        k = near_one
        sf = _tsf(z0[k], tau[k])
        q = np.where(nu[k] > 0, sf, sf - sf_c[k]) / tc[k]
        tail = (q < _UPPER_TAIL_SWITCH) | (~np.isfinite(z[k]) & (z0[k] > 0))
        z[k] = np.where(tail, -special.ndtri(q), z[k])
    return z


def daz(d, age, reference: Reference, dec: int | None = 3) -> np.ndarray:
    """D-score-for-age z-scores (DAZ) of D-scores at ages in years.

    Parameters
    ----------
    d : array-like
        D-scores (D units).
    age : array-like
        Ages in years, rounded as the key prescribes (4 dp for GSED keys).
    reference : Reference
        A BCT or LMS reference; parameters are interpolated linearly in age.
    dec : int or None, default 3
        Decimals of the result (``None``: unrounded).

    Returns
    -------
    numpy.ndarray
        DAZ; missing outside the reference's age range and where it is not finite.

    Examples
    --------
    >>> from ecd.development import Reference, daz
    >>> from ecd.development._synthetic import synthetic_reference_path
    >>> ref = Reference.from_csv(synthetic_reference_path("lms"))
    >>> daz([44.63], [0.7967], ref).tolist()
    [0.599]
    """
    return reference.daz(d, age, dec=dec)


def zad(z, age, reference: Reference, dec: int | None = 2) -> np.ndarray:
    """D-score at a z-score and age (years): the inverse of :func:`daz`, for centile curves.

    Examples
    --------
    >>> from ecd.development import Reference, zad
    >>> from ecd.development._synthetic import synthetic_reference_path
    >>> ref = Reference.from_csv(synthetic_reference_path("lms"))
    >>> zad([-2.0, 0.0, 2.0], [1.0, 1.0, 1.0], ref).tolist()
    [42.34, 47.81, 53.74]
    """
    return reference.zad(z, age, dec=dec)
