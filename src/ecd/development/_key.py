"""A D-score key: item difficulties, the D/logit transform, quadrature and prior rule.

The project ships no item bank. A key is read from two user-supplied files: a
CSV of items (``item, tau[, domain]``) and a YAML of the other parameters in the
layout of ``tests/reference/development/synthetic_key_params.yaml``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ecd.errors import DataError, ParameterError, SchemaError

_DEFAULT_ROUNDING = {"age": 4, "p": 4, "d": 2, "daz": 3, "sem": None}


@dataclass(frozen=True)
class PriorPiece:
    """One piece ``a + b*t + c*ln(t + k)`` of the prior-mean rule, on ``lower < t <= upper``."""

    lower: float
    upper: float
    a: float
    b: float
    c: float
    k: float


@dataclass(frozen=True, eq=False)
class Key:
    """Everything needed to turn 0/1 milestone answers into a D-score.

    Parameters
    ----------
    items : tuple of str
        Item codes, in the key's order.
    tau : numpy.ndarray
        Item difficulties in D units, one per item.
    domain : tuple of str or None
        Optional domain label per item (``None`` when the key has none).
    name : str
        The key's name (e.g. ``"zz_synthetic"``).
    intercept, slope : float
        The transform ``D = intercept + slope * logit``; ``slope`` is also the
        Rasch scale in ``P(pass | D) = 1 / (1 + exp(-(D - tau) / slope))``.
    qp : numpy.ndarray
        Quadrature points in D units.
    prior_sd : float
        Standard deviation of the normal prior (D units).
    min_age : float
        The prior mean is missing for ages (years) below this.
    mean_pieces : tuple of PriorPiece
        The piecewise prior-mean rule in age (years, rounded).
    prior_mean_na, prior_sd_na : float or None
        An optional prior for rows with a missing age (used only when passed to
        :func:`dscore` explicitly).
    rounding : dict
        Decimals for ``age``, ``p``, ``d``, ``daz`` (and ``sem``: ``None`` = not rounded).
    references : dict
        Reference files named by the parameter file (``default``, ``alternative``),
        as absolute paths.

    Examples
    --------
    >>> import numpy as np
    >>> from ecd.development import Key, PriorPiece
    >>> key = Key(items=("a1", "a2"), tau=np.array([20.0, 40.0]), name="toy",
    ...           mean_pieces=(PriorPiece(-np.inf, np.inf, 30.0, 10.0, 0.0, 1.0),))
    >>> float(key.prior_mean([1.0])[0])
    40.0
    """

    items: tuple
    tau: np.ndarray
    name: str = "key"
    domain: tuple | None = None
    intercept: float = 54.939147
    slope: float = 4.064264
    qp: np.ndarray = field(default_factory=lambda: np.arange(-10.0, 101.0))
    prior_sd: float = 5.0
    min_age: float = -1.0 / 12.0
    mean_pieces: tuple = ()
    prior_mean_na: float | None = None
    prior_sd_na: float | None = None
    rounding: dict = field(default_factory=lambda: dict(_DEFAULT_ROUNDING))
    references: dict = field(default_factory=dict)

    def __post_init__(self):
        tau = np.asarray(self.tau, dtype=float)
        items = tuple(str(i) for i in self.items)
        if tau.shape != (len(items),):
            raise ParameterError("tau", f"{tau.size} difficulties for {len(items)} items; give one tau per item.")
        bad = [items[i] for i in np.flatnonzero(~np.isfinite(tau))]
        if bad:
            raise ParameterError("tau", f"items {bad} have a missing or infinite tau; every item needs a finite difficulty.")
        lower = [i.lower() for i in items]
        dup = sorted({i for i in lower if lower.count(i) > 1})
        if dup:
            raise ParameterError("items", f"item codes {dup} occur more than once (case-insensitively); each item once.")
        if not (np.isfinite(self.slope) and self.slope > 0):
            raise ParameterError("slope", f"{self.slope!r} is not a positive number of D units per logit.")
        qp = np.asarray(self.qp, dtype=float)
        if qp.ndim != 1 or qp.size < 2 or np.any(np.diff(qp) <= 0):
            raise ParameterError("qp", "quadrature points must be an increasing sequence of at least two numbers.")
        if not (np.isfinite(self.prior_sd) and self.prior_sd > 0):
            raise ParameterError("prior_sd", f"{self.prior_sd!r} is not a positive standard deviation.")
        rounding = dict(_DEFAULT_ROUNDING)
        rounding.update(self.rounding or {})
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "tau", tau)
        object.__setattr__(self, "qp", qp)
        object.__setattr__(self, "mean_pieces", tuple(self.mean_pieces))
        object.__setattr__(self, "rounding", rounding)
        if self.domain is not None:
            object.__setattr__(self, "domain", tuple(self.domain))

    # ------------------------------------------------------------------ readers
    @classmethod
    def from_files(cls, key_csv, params_yaml) -> Key:
        """Read a key from ``key.csv`` (``item, tau[, domain]``) and ``key_params.yaml``.

        Parameters
        ----------
        key_csv : path-like
            CSV with columns ``item`` and ``tau`` (D units) and optionally ``domain``.
        params_yaml : path-like
            YAML with ``key``, ``transform`` (``intercept``, ``slope``), ``quadrature``
            (``from``, ``to``, ``by``), ``prior`` (``sd``, ``min_age_years``,
            ``mean_pieces``, optional ``mean_na``/``sd_na``), optional ``reference``
            (``default``/``alternative`` file names, relative to the YAML) and
            ``rounding``.

        Returns
        -------
        Key

        Examples
        --------
        >>> from ecd.development import Key
        >>> from ecd.development._synthetic import synthetic_key_paths
        >>> key = Key.from_files(*synthetic_key_paths())
        >>> len(key.items), key.slope
        (60, 4.064264)
        """
        key_csv, params_yaml = Path(key_csv), Path(params_yaml)
        table = _read_key_csv(key_csv)
        try:
            params = yaml.safe_load(params_yaml.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DataError(f"{params_yaml}: cannot read the key parameters ({exc}).") from exc
        return cls._from_params(table, params, base=params_yaml.parent, source=str(params_yaml))

    @classmethod
    def _from_params(cls, table: pd.DataFrame, params: dict, base: Path, source: str) -> Key:
        def need(section, name):
            try:
                return params[section][name]
            except (KeyError, TypeError):
                raise DataError(f"{source}: missing '{section}: {name}' (see synthetic_key_params.yaml for the layout).") from None

        qfrom, qto, qby = (float(need("quadrature", k)) for k in ("from", "to", "by"))
        n_qp = int(round((qto - qfrom) / qby)) + 1
        prior = params.get("prior") or {}
        pieces = []
        for i, p in enumerate(prior.get("mean_pieces") or []):
            try:
                pieces.append(PriorPiece(*(float(p[k]) for k in ("lower", "upper", "a", "b", "c", "k"))))
            except (KeyError, TypeError, ValueError):
                raise DataError(
                    f"{source}: prior.mean_pieces[{i}] = {p!r}; expected a mapping with numbers "
                    "lower, upper, a, b, c, k.") from None
        refs = {name: str((base / f).resolve()) for name, f in (params.get("reference") or {}).items()}
        return cls(
            items=tuple(table["item"]),
            tau=table["tau"].to_numpy(float),
            domain=tuple(table["domain"]) if "domain" in table else None,
            name=str(params.get("key", "key")),
            intercept=float(need("transform", "intercept")),
            slope=float(need("transform", "slope")),
            qp=qfrom + qby * np.arange(n_qp),
            prior_sd=float(prior.get("sd", 5.0)),
            min_age=float(prior.get("min_age_years", -math.inf)),
            mean_pieces=tuple(pieces),
            prior_mean_na=_opt_float(prior.get("mean_na")),
            prior_sd_na=_opt_float(prior.get("sd_na")),
            rounding=params.get("rounding") or {},
            references=refs,
        )

    # ------------------------------------------------------------------ rule
    def prior_mean(self, age_years) -> np.ndarray:
        """The key's prior mean (D units) at ages in years (already rounded).

        Missing where the age is missing, below ``min_age`` or outside every piece.

        Examples
        --------
        >>> from ecd.development import Key
        >>> from ecd.development._synthetic import synthetic_key_paths
        >>> key = Key.from_files(*synthetic_key_paths())
        >>> [round(float(m), 2) for m in key.prior_mean([0.5, 4.0])]
        [32.66, 78.2]
        """
        t = np.asarray(age_years, dtype=float)
        mu = np.full(t.shape, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            for pc in self.mean_pieces:
                sel = (t > pc.lower) & (t <= pc.upper)
                mu[sel] = pc.a + pc.b * t[sel] + pc.c * np.log(t[sel] + pc.k)
        mu[t < self.min_age] = np.nan
        return mu

    def table(self) -> pd.DataFrame:
        """The items as a DataFrame ``item, tau[, domain]``."""
        out = pd.DataFrame({"item": list(self.items), "tau": self.tau})
        if self.domain is not None:
            out["domain"] = list(self.domain)
        return out


def _opt_float(x):
    return None if x is None else float(x)


def _read_key_csv(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read the key ({exc}).") from exc
    missing = {"item", "tau"} - set(table.columns)
    if missing:
        raise SchemaError(f"{path}: columns {sorted(missing)} are missing; a key needs columns item, tau[, domain].")
    tau = pd.to_numeric(table["tau"], errors="coerce")
    failures = [
        f"{path} row {i + 2}, column 'tau': {table['tau'].iloc[i]!r} is not a number (expected tau in D units)"
        for i in np.flatnonzero(tau.isna().to_numpy())
    ]
    if failures:
        raise SchemaError(f"{path}: item difficulties must be numbers.", failures)
    table = table.assign(item=table["item"].astype(str), tau=tau.astype(float))
    return table
