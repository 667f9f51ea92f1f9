"""Vectorized WHO 2006 z-scores, a re-statement of R ``anthro::anthro_zscores``.

Every step follows ``ALGORITHM.md`` §2 (shipped with the reference data); the
comments point at the rule each line implements. Arrays only: one pass per
indicator, no Python loop over rows.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecd.errors import EcdWarning, ParameterError, SchemaError

from . import _inputs
from ._tables import MAX_TABLE_DAY, LMS, age_table, weight_for_lenhei

__all__ = ["zscores", "Measurements", "compute", "OUTPUT_COLUMNS", "DAYS_PER_MONTH"]

DAYS_PER_MONTH = 30.4375
#: the 9-month rule: a standing height below this age is not trusted as a position
NINE_MONTHS = 9.0
#: ages in (rounded) days from which a child is measured standing
HEIGHT_FROM_DAY = 731
OUTPUT_COLUMNS = [
    "clenhei", "cmeasure", "c9mo_flag", "cbmi", "csex",
    "zlen", "flen", "zwei", "fwei", "zwfl", "fwfl", "zbmi", "fbmi",
    "zhc", "fhc", "zac", "fac", "zts", "fts", "zss", "fss",
]  # fmt: skip


@dataclass(frozen=True)
class Measurements:
    """Cleaned, coded inputs as aligned numpy arrays (see :func:`read_measurements`)."""

    sex: np.ndarray  # int8: 0 missing, 1 male, 2 female
    age_days: np.ndarray  # float: round-half-up days, NaN missing
    age_months: np.ndarray  # float: unrounded months, NaN missing
    weight: np.ndarray
    lenhei: np.ndarray
    measure: np.ndarray  # int8: 0 missing, 1 length (lying), 2 height (standing)
    oedema: np.ndarray  # bool
    headc: np.ndarray
    armc: np.ndarray
    triskin: np.ndarray
    subskin: np.ndarray


def _round_half_up(x: np.ndarray) -> np.ndarray:
    lower = np.floor(x)
    return lower + (x - lower >= 0.5)


def read_measurements(
    df: pd.DataFrame,
    *,
    sex: str,
    age: str | None,
    age_in_months: bool,
    weight: str | None,
    lenhei: str | None,
    measure: str | None,
    headc: str | None = None,
    armc: str | None = None,
    triskin: str | None = None,
    subskin: str | None = None,
    oedema: str | None = None,
) -> Measurements:
    """Validate and code the input columns (§2.1–2.2); errors name the offending rows."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    n = len(df)
    col = lambda name, parameter: _inputs.column(df, name, parameter)  # noqa: E731
    sex_code = _inputs.coded(
        col(sex, "sex"), "sex", _inputs.SEX_CODES, n, trim=True, expected="1/m (male) or 2/f (female)"
    )
    measure_code = _inputs.coded(
        col(measure, "measure"), "measure", _inputs.MEASURE_CODES, n, expected="'l' (length) or 'h' (height)"
    )
    oedema_code = _inputs.coded(
        col(oedema, "oedema"), "oedema", _inputs.OEDEMA_CODES, n, expected="'n'/'y' or 2/1"
    )
    raw_age = _inputs.numeric(col(age, "age"), "age", n)
    negative = raw_age < 0
    if negative.any():
        raise SchemaError(
            f"column {age!r} (age): {_inputs.describe_rows(df.index, negative)} are negative; "
            "an age must be >= 0 (in days, or months with age_in_months=True).",
            ["correct or blank these ages"],
        )
    if age_in_months:
        age_days = _round_half_up(raw_age * DAYS_PER_MONTH)
        age_months = raw_age
    else:
        age_days = _round_half_up(raw_age)
        age_months = raw_age / DAYS_PER_MONTH
    values = {
        name: _inputs.numeric(col(column, name), name, n)
        for name, column in (
            ("weight", weight), ("lenhei", lenhei), ("headc", headc),
            ("armc", armc), ("triskin", triskin), ("subskin", subskin),
        )
    }  # fmt: skip
    return Measurements(
        sex=sex_code,
        age_days=age_days,
        age_months=age_months,
        measure=measure_code,
        oedema=oedema_code.astype(bool),
        **values,
    )


def _lms_z(y: np.ndarray, lms: tuple[np.ndarray, np.ndarray, np.ndarray], restricted: bool) -> np.ndarray:
    """Plain LMS z, or WHO's restricted version beyond ±3 SD (§2.4, "SD23")."""
    L, M, S = lms
    z = (np.power(y / M, L) - 1.0) / (S * L)
    if restricted:
        for side in (3.0, -3.0):
            beyond = z > 3.0 if side > 0 else z < -3.0
            if not beyond.any():
                continue
            idx = np.flatnonzero(beyond)
            l, m, s, yy = L[idx], M[idx], S[idx], y[idx]
            sd3 = m * np.power(1.0 + l * s * side, 1.0 / l)
            sd2 = m * np.power(1.0 + l * s * (side - np.sign(side)), 1.0 / l)
            # above: 3 + (y - SD3)/(SD3 - SD2); below: -3 + (y - SD-3)/(SD-2 - SD-3)
            z[idx] = side + (yy - sd3) / ((sd3 - sd2) if side > 0 else (sd2 - sd3))
    return z


def _gather(table: LMS, flat: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.take(arr.reshape(-1), flat) for arr in (table.l, table.m, table.s))


def _length_lookup(
    length: np.ndarray, sex: np.ndarray, use_length: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, ...]:
    """LMS at ``length`` with anthro's linear interpolation between 0.1 cm rows (§2.5).

    anthro takes the rows at ``trunc(10·x)/10`` and ``trunc(10·x + 1)/10`` and
    interpolates with ``f = (x − low)/0.1``. The ``+ 1`` is computed in floating
    point, so for ``x = 103.1 − 0.7 = 102.39999999999999`` (10·x just below 1024)
    the sum rounds up to 1025 and the upper row is 102.5, not 102.4; with
    ``f ≈ 1`` the result is the 102.5 row. Lengths that stay in one binade
    (85.39999999999999) keep 85.3/85.4. Reference ids 2929, 3372, 3506 pin the
    first case and ids 5, 332, ... the second.
    """
    table, height_shift = weight_for_lenhei()
    width = table.l.shape[1]
    with np.errstate(invalid="ignore"):
        scaled = length * 10.0
        low = np.trunc(scaled)
        high = np.trunc(scaled + 1.0)
    shift = np.where(use_length, -table.offset, height_shift)
    ok = ok & np.isfinite(low) & np.isfinite(high)
    base = np.where(ok, sex, 0).astype(np.int64) * width + shift
    flat_low = np.where(ok, base + low, 0).astype(np.int64)
    flat_high = np.where(ok, base + high, 0).astype(np.int64)
    frac = (length - low / 10.0) / 0.1
    interpolate = frac > 0
    out = []
    for lo, hi in zip(_gather(table, flat_low), _gather(table, flat_high)):
        out.append(np.where(interpolate, lo + frac * (hi - lo), lo))
    return tuple(out)


def _round_flag(z: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """z rounded to 2 dp, then the flag on the rounded value (§2.4); flag mask = z missing."""
    z = np.round(z, 2)
    missing = np.isnan(z)
    with np.errstate(invalid="ignore"):
        flag = ((z < low) | (z > high)).astype(np.int8)
    return z, flag, missing


def compute(x: Measurements) -> dict[str, np.ndarray]:
    """All z-scores and flags as arrays; flags come with a ``<flag>_na`` mask."""
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        has_sex = x.sex > 0
        age_ok = (
            has_sex
            & (x.age_days >= 0)
            & (x.age_days <= MAX_TABLE_DAY)
            & (x.age_months < 60.0)
        )
        # flat position in every (sex, day) table; invalid rows read sex 0, all NaN
        age_flat = np.where(age_ok, x.sex.astype(np.int64) * (MAX_TABLE_DAY + 1) + x.age_days, 0).astype(np.int64)

        # 9-month rule and ±0.7 cm rule (§2.3)
        nine = (x.measure == 2) & (x.age_months < NINE_MONTHS)
        cmeasure = np.where(nine, 0, x.measure).astype(np.int8)
        young = x.age_days < HEIGHT_FROM_DAY
        old = x.age_days >= HEIGHT_FROM_DAY
        clenhei = x.lenhei + 0.7 * (young & (cmeasure == 2)) - 0.7 * (old & (cmeasure == 1))
        cbmi = x.weight / (clenhei / 100.0) ** 2
        out.update(clenhei=clenhei, cmeasure=cmeasure, c9mo_flag=nine.astype(np.int8), cbmi=cbmi)

        def by_age(indicator: str, y: np.ndarray, restricted: bool, extra_na=None) -> np.ndarray:
            y = np.where(y > 0, y, np.nan)
            lms = _gather(age_table(indicator), age_flat)
            z = _lms_z(y, lms, restricted)
            if extra_na is not None:
                z[extra_na] = np.nan
            return z

        z = {
            "len": by_age("len", clenhei, False),
            "wei": by_age("wei", x.weight, True, x.oedema),
            "bmi": by_age("bmi", cbmi, True, x.oedema),
            "hc": by_age("hc", x.headc, False),
            "ac": by_age("ac", x.armc, True),
            "ts": by_age("ts", x.triskin, True),
            "ss": by_age("ss", x.subskin, True),
        }

        # weight-for-length/height (§2.5): table by age, else measure, else 87 cm
        age_known = ~np.isnan(x.age_days)
        use_length = np.where(
            age_known,
            x.age_days < HEIGHT_FROM_DAY,
            np.where(x.measure == 1, True, np.where(x.measure == 2, False, clenhei < 87.0)),
        )
        wfl_ok = (
            has_sex
            & ~x.oedema
            & ~(x.age_days > MAX_TABLE_DAY)
            & ~(x.age_months >= 60.0)
        )
        in_range = np.where(
            use_length, (clenhei >= 45) & (clenhei <= 110), (clenhei >= 65) & (clenhei <= 120)
        )
        lms = _length_lookup(clenhei, x.sex, use_length, wfl_ok & in_range)
        z["wfl"] = _lms_z(x.weight, lms, True)

        limits = {
            "len": (-6, 6), "wei": (-6, 5), "wfl": (-5, 5), "bmi": (-5, 5),
            "hc": (-5, 5), "ac": (-5, 5), "ts": (-5, 5), "ss": (-5, 5),
        }  # fmt: skip
        for name, (low, high) in limits.items():
            zz, flag, missing = _round_flag(z[name], low, high)
            out["z" + name] = zz
            out["f" + name] = flag
            out["f" + name + "_na"] = missing
    return out


def _nullable(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.int8, copy=False), np.asarray(mask, dtype=bool))


def to_frame(res: dict[str, np.ndarray], x: Measurements, index: pd.Index) -> pd.DataFrame:
    """anthro's output frame (§2.7) from :func:`compute`'s arrays."""
    columns: dict[str, object] = {
        "clenhei": res["clenhei"],
        "cmeasure": pd.Categorical.from_codes(res["cmeasure"].astype(np.int8) - 1, categories=["l", "h"]),
        "c9mo_flag": _nullable(res["c9mo_flag"], np.zeros(len(index), dtype=bool)),
        "cbmi": res["cbmi"],
        "csex": _nullable(x.sex, x.sex == 0),
    }
    for name in ("len", "wei", "wfl", "bmi", "hc", "ac", "ts", "ss"):
        columns["z" + name] = res["z" + name]
        columns["f" + name] = _nullable(res["f" + name], res["f" + name + "_na"])
    return pd.DataFrame(columns, index=index, copy=False)[OUTPUT_COLUMNS]


def zscores(
    df: pd.DataFrame,
    sex: str = "sex",
    age: str | None = "age",
    age_in_months: bool = False,
    weight: str | None = "weight",
    lenhei: str | None = "lenhei",
    measure: str | None = "measure",
    headc: str | None = None,
    armc: str | None = None,
    triskin: str | None = None,
    subskin: str | None = None,
    oedema: str | None = None,
    invalid: str = "flag",
) -> pd.DataFrame:
    """WHO 2006 Child Growth Standards z-scores and flags, identical to R ``anthro_zscores``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per child measurement.
    sex : str
        Column of sex: ``1``/``"m"`` male, ``2``/``"f"`` female (case and spaces
        ignored), missing allowed (then every z-score is missing).
    age : str or None
        Column of age in days (or months with ``age_in_months=True``). Negative
        ages are an error. z-scores exist for ages below 60 months (1826.25
        days); older rows get missing age-based z-scores and an ``EcdWarning``
        saying how many.
    age_in_months : bool
        Whether ``age`` is in months (converted with 30.4375 days per month).
    weight, lenhei : str or None
        Columns of weight (kg) and recumbent length or standing height (cm).
    measure : str or None
        Column of the measuring position: ``"l"`` lying, ``"h"`` standing
        (any case), missing allowed. Used for the ±0.7 cm adjustment.
    headc, armc, triskin, subskin : str or None
        Columns of head and mid-upper arm circumference (cm) and triceps and
        subscapular skinfolds (mm).
    oedema : str or None
        Column of bilateral pitting oedema: ``"y"``/``1`` yes, ``"n"``/``2``
        no; missing counts as no. With oedema, the weight-based z-scores
        (``zwei``, ``zwfl``, ``zbmi``) are missing.
    invalid : {"flag", "anthro"}
        A measurement of 0 or less, or an infinite one, is not a measurement.
        ``"flag"`` (default): every z-score that uses it is missing and its flag
        is 1 (so such rows are never silently dropped as merely missing), and
        ``cbmi``/``clenhei`` built from it are missing. ``"anthro"``: R anthro's
        handling (a weight of 0 gives a finite, flagged ``zwfl``; a negative
        weight missing z-scores without a flag; a length of 0 an infinite
        ``zbmi``), for comparisons with R.

    Returns
    -------
    pandas.DataFrame
        On ``df``'s index, anthro's columns: ``clenhei`` (adjusted length/height),
        ``cmeasure``, ``c9mo_flag``, ``cbmi``, ``csex``, then ``zlen, flen, zwei,
        fwei, zwfl, fwfl, zbmi, fbmi, zhc, fhc, zac, fac, zts, fts, zss, fss``.
        z-scores are rounded to 2 decimals; flags (nullable integers) are 1 for
        implausible values (|zlen| > 6, zwei < -6 or > 5, other |z| > 5) and
        missing where the z-score is missing.

    Raises
    ------
    ecd.errors.SchemaError
        Unknown sex, measure or oedema codes, negative ages, or text in a
        numeric column; the message names the rows.
    ecd.errors.ParameterError
        A column name that is not in ``df``, or ``invalid`` not one of the two.

    Notes
    -----
    The algorithm, including anthro's quirks (rounding before flagging,
    weight-for-length computed when age is missing, a weight of 0 giving a
    finite ``zwfl``), is documented in ``tests/reference/growth/PROVENANCE.md``.

    Examples
    --------
    >>> import pandas as pd, ecd.growth
    >>> kids = pd.DataFrame({"sex": [1, "f"], "age": [365, 800], "weight": [9.6, 11.5],
    ...                      "lenhei": [75.7, 84.0], "measure": ["l", "h"]})
    >>> ecd.growth.zscores(kids)[["zlen", "flen", "zwei", "zwfl"]]
       zlen  flen  zwei  zwfl
    0 -0.02     0 -0.04 -0.06
    1 -1.10     0 -0.31  0.35
    """
    if invalid not in ("flag", "anthro"):
        raise ParameterError("invalid", f"got {invalid!r}; expected 'flag' (default) or 'anthro'.")
    x = read_measurements(
        df, sex=sex, age=age, age_in_months=age_in_months, weight=weight, lenhei=lenhei,
        measure=measure, headc=headc, armc=armc, triskin=triskin, subskin=subskin, oedema=oedema,
    )  # fmt: skip
    old = np.count_nonzero(x.age_months >= 60.0)
    if old:
        warnings.warn(
            f"{old} of {len(df)} rows have an age of 60 months (1826.25 days) or more; "
            "the WHO 2006 standards end there, so their age-based z-scores and zwfl are missing.",
            EcdWarning,
            stacklevel=2,
        )
    res = compute(x)
    if invalid == "flag":
        _flag_non_measurements(res, x)
    return to_frame(res, x, df.index)


# which z-scores each measurement enters
_USED_BY = {"weight": ("wei", "wfl", "bmi"), "lenhei": ("len", "wfl", "bmi"), "headc": ("hc",),
            "armc": ("ac",), "triskin": ("ts",), "subskin": ("ss",)}


def _flag_non_measurements(res: dict[str, np.ndarray], x: Measurements) -> None:
    """A value <= 0 or infinite is not a measurement: its z-scores are missing and flagged 1 (in place)."""
    for m, used in _USED_BY.items():
        v = getattr(x, m)
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(v) & ~(np.isfinite(v) & (v > 0))
        if not bad.any():
            continue
        for z in used:
            res["z" + z] = np.where(bad, np.nan, res["z" + z])
            res["f" + z] = np.where(bad, 1, res["f" + z])
            res["f" + z + "_na"] = np.asarray(res["f" + z + "_na"], dtype=bool) & ~bad
        res["cbmi"] = np.where(bad, np.nan, res["cbmi"]) if m in ("weight", "lenhei") else res["cbmi"]
        if m == "lenhei":
            res["clenhei"] = np.where(bad, np.nan, res["clenhei"])
