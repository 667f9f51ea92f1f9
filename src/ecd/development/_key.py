"""A D-score key: item difficulties, the D/logit transform, quadrature and prior rule.

The project ships no item bank. A key is read from user-supplied files: either a
CSV of items (``item, tau[, domain]``) or an item bank in the layout R dscore
exports (``key, item, tau, instrument, domain, mode, number``, several keys in one
file), plus a YAML of the other parameters in the layout of
``tests/reference/development/synthetic_key_params.yaml``.

Items whose difficulty is missing (tau NA, as real item banks have) are not part
of the key: they are listed in ``Key.uncalibrated_`` and answers to them are not
counted, exactly as R dscore leaves them out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ecd._yaml import load_yaml
from ecd.errors import DataError, ParameterError, SchemaError

_DEFAULT_ROUNDING = {"age": 4, "p": 4, "d": 2, "daz": 3, "sem": None}
# how R writes a missing tau (write.csv: "NA"; write.table/na = "": empty)
_TAU_NA = ["", "NA", "NaN", "nan"]
_ITEMBANK_COLUMNS = ("key", "item", "tau", "instrument", "domain", "mode", "number")


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
        Item difficulties in D units, one per item. A missing difficulty (NaN)
        marks an uncalibrated item: it is moved to ``uncalibrated_`` and is not
        part of ``items``/``tau`` after construction.
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

    Attributes
    ----------
    uncalibrated_ : tuple of str
        Items given without a difficulty (tau missing). They are not in the key;
        :func:`~ecd.development.dscore` ignores answers to them and reports how
        many it ignored.

    Examples
    --------
    >>> import numpy as np
    >>> from ecd.development import Key, PriorPiece
    >>> key = Key(items=("a1", "a2", "a3"), tau=np.array([20.0, 40.0, np.nan]), name="toy",
    ...           mean_pieces=(PriorPiece(-np.inf, np.inf, 30.0, 10.0, 0.0, 1.0),))
    >>> float(key.prior_mean([1.0])[0])
    40.0
    >>> key.items, key.uncalibrated_
    (('a1', 'a2'), ('a3',))
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
    uncalibrated_: tuple = field(default=(), init=False)

    def __post_init__(self):
        tau = np.asarray(self.tau, dtype=float)
        items = tuple(str(i) for i in self.items)
        if tau.shape != (len(items),):
            raise ParameterError("tau", f"{tau.size} difficulties for {len(items)} items; give one tau per item.")
        bad = [items[i] for i in np.flatnonzero(np.isinf(tau))]
        if bad:
            raise ParameterError("tau", f"items {bad} have an infinite tau; every item needs a finite difficulty "
                                 "(or a missing one, which leaves it out of the key).")
        lower = [i.lower() for i in items]
        dup = sorted({i for i in lower if lower.count(i) > 1})
        if dup:
            raise ParameterError("items", f"item codes {dup} occur more than once (case-insensitively); each item once.")
        domain = None if self.domain is None else tuple(self.domain)
        if domain is not None and len(domain) != len(items):
            raise ParameterError("domain", f"{len(domain)} domain labels for {len(items)} items; give one per item.")
        calibrated = ~np.isnan(tau)
        if items and not calibrated.any():
            raise ParameterError("tau", "no item has a difficulty (every tau is missing); check the tau column.")
        uncalibrated = tuple(i for i, ok in zip(items, calibrated) if not ok)
        items = tuple(i for i, ok in zip(items, calibrated) if ok)
        tau = tau[calibrated]
        if domain is not None:
            domain = tuple(dm for dm, ok in zip(domain, calibrated) if ok)
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
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "uncalibrated_", uncalibrated)

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
        key_csv = Path(key_csv)
        table = _read_key_csv(key_csv)
        params, base, source = _read_params(params_yaml)
        return cls._from_params(table, params, base=base, source=source)

    @classmethod
    def from_itembank(cls, path, key: str, params) -> Key:
        """Read one key from an item bank in the layout R dscore exports.

        The file holds one row per item and key, with columns ``key, item, tau``
        and usually ``label, instrument, domain, mode, number`` (R
        ``dscore::builtin_itembank`` written with ``write.csv``; a tab-separated
        file works too). Rows of other keys are ignored; items whose ``tau`` is
        missing (empty or ``NA``) go to ``uncalibrated_``.

        Parameters
        ----------
        path : path-like
            The item bank (CSV, or tab-separated when its header has tabs).
        key : str
            The key to read, e.g. ``"gsed2406"``.
        params : path-like or dict
            The other key parameters, in the layout of :meth:`from_files`'s YAML
            (reference file names are relative to the YAML, or to the item bank
            when a dict is given). The key's name is ``key``.

        Returns
        -------
        Key

        Raises
        ------
        ParameterError
            ``key`` is not in the file (the keys it holds are listed).
        SchemaError
            A required column is missing, or a ``tau`` is text (row and column named).

        Examples
        --------
        >>> from ecd.development import Key
        >>> from ecd.development._synthetic import synthetic_itembank_path, synthetic_key_paths
        >>> key = Key.from_itembank(synthetic_itembank_path(), key="zz_synthetic",
        ...                         params=synthetic_key_paths()[1])
        >>> len(key.items), key.uncalibrated_[:2], key.domain[0]
        (55, ('zz1sec008', 'zz1mod019'), 'mo')
        """
        path = Path(path)
        if not isinstance(key, str) or not key:
            raise ParameterError("key", f"{key!r}: give the name of one key in {path} (its 'key' column).")
        bank = _read_table(path, "item bank")
        missing = [c for c in ("key", "item", "tau") if c not in bank.columns]
        if missing:
            raise SchemaError(
                f"{path}: columns {missing} are missing; an item bank has columns {', '.join(_ITEMBANK_COLUMNS)} "
                "(R dscore::builtin_itembank).")
        names = bank["key"].astype(str)
        if not (names == key).any():
            raise ParameterError("key", f"{key!r} is not in {path}; it holds keys {sorted(names.unique())}.")
        table = _check_tau(bank[names == key], path)
        if isinstance(params, dict):
            params, base, source = params, path.parent, f"params for key {key!r}"
        else:
            params, base, source = _read_params(params)
        return cls._from_params(table, params, base=base, source=source, name=key)

    @classmethod
    def _from_params(cls, table: pd.DataFrame, params: dict, base: Path, source: str, name: str | None = None) -> Key:
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
            name=name if name is not None else str(params.get("key", "key")),
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


def _read_params(params_yaml) -> tuple[dict[str, Any], Path, str]:
    params_yaml = Path(params_yaml)
    try:
        params = load_yaml(params_yaml.read_text(encoding="utf-8"), str(params_yaml)) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{params_yaml}: cannot read the key parameters ({exc}).") from exc
    if not isinstance(params, dict):
        raise DataError(f"{params_yaml}: expected a mapping of key parameters, found {type(params).__name__}.")
    return params, params_yaml.parent, str(params_yaml)


def _read_table(path: Path, what: str) -> pd.DataFrame:
    """A key or item bank file as text columns (tau NA spelled as R writes it)."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            header = fh.readline()
        sep = "\t" if "\t" in header else ","
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                           na_values={"tau": _TAU_NA}, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read the {what} ({exc}).") from exc


def _check_tau(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Numeric tau (missing stays NaN); text in tau is refused with its file row and column."""
    tau = pd.to_numeric(table["tau"], errors="coerce")
    failures = [
        f"{path} row {int(i) + 2}, column 'tau': {table['tau'].loc[i]!r} is not a number "
        "(expected tau in D units, or empty/NA for an uncalibrated item)"
        for i in table.index[(tau.isna() & table["tau"].notna()).to_numpy()]
    ]
    if failures:
        raise SchemaError(f"{path}: item difficulties must be numbers.", failures)
    return table.assign(item=table["item"].astype(str), tau=tau.astype(float))


def _read_key_csv(path: Path) -> pd.DataFrame:
    table = _read_table(path, "key")
    missing = {"item", "tau"} - set(table.columns)
    if missing:
        raise SchemaError(f"{path}: columns {sorted(missing)} are missing; a key needs columns item, tau[, domain].")
    return _check_tau(table, path)
