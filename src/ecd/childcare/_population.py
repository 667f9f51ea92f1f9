"""Children aged 0–2 from birth cohorts and survival (IMR, U5MR)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecd.errors import DataError, ParameterError

_TIDY_COLUMNS = ["geo", "year", "age", "birth_year", "births", "imr", "u5mr", "survival", "children", "status", "note"]


def _check_ages(ages) -> tuple[int, ...]:
    try:
        out = tuple(sorted({int(a) for a in ages}))
    except (TypeError, ValueError):
        raise ParameterError("ages", f"{ages!r} is not a sequence of whole ages; expected e.g. (0, 1, 2)") from None
    if not out or any(a < 0 or a > 4 for a in out) or any(int(a) != a for a in ages):
        raise ParameterError("ages", f"{ages!r}: expected whole ages between 0 and 4 (the survival model uses U5MR)")
    return out


def _check_fraction(name: str, value) -> float:
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) or not 0 <= float(value) <= 1:
        raise ParameterError(name, f"{value!r} is not a fraction; expected a number between 0 and 1")
    return float(value)


def _require(df: pd.DataFrame, name: str, columns: list[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(name, f"expected a DataFrame with columns {columns}, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{name}: column(s) {missing} not found (have {list(df.columns)}); "
                        f"rename your columns or pass the column names as parameters")


def _keyed(df: pd.DataFrame, name: str, keys: list[str], value: str) -> pd.Series:
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        rows = df.loc[dup, keys].drop_duplicates().head(3).to_dict("records")
        raise DataError(f"{name}: more than one {value!r} for {rows}; keep one row per {'+'.join(keys)} "
                        f"(e.g. choose one source) before calling")
    vals = pd.to_numeric(df[value], errors="coerce")
    bad = df[value].notna() & vals.isna()
    if bad.any():
        raise DataError(f"{name} row {df.index[bad][0]!r}, column {value!r}: {df.loc[bad, value].iloc[0]!r} is not a number")
    if (vals < 0).any():
        i = vals.index[vals < 0][0]
        raise DataError(f"{name} row {i!r}, column {value!r}: {vals[i]} is negative; expected a count or rate ≥ 0")
    return pd.Series(vals.to_numpy(float), index=pd.MultiIndex.from_frame(df[keys]) if len(keys) > 1 else df[keys[0]].to_numpy())


@dataclass(frozen=True)
class Population03Result:
    """Estimated children by single age at year end, one row per geo × year × age.

    Attributes
    ----------
    cohorts : pandas.DataFrame
        The tidy table (see :meth:`tidy`).
    ages : tuple of int
        Ages included (completed years).
    infant_death_fraction : float
        Share of a cohort's infant mortality assumed to have happened by the
        end of its birth year.
    latest_mortality : bool
        Whether birth years after the last observed IMR/U5MR used the last
        observed rates (rows with ``status="assumed"``).
    """

    cohorts: pd.DataFrame
    ages: tuple
    infant_death_fraction: float
    latest_mortality: bool = False

    def tidy(self) -> pd.DataFrame:
        """Columns ``geo, year, age, birth_year, births, imr, u5mr, survival, children, status, note``.

        ``births`` and ``children`` are in the unit of the input births;
        ``status`` is ``"estimated"``, ``"assumed"`` (the birth year's IMR/U5MR
        were not published and the last published rates stand in for them, see
        ``latest_mortality``; ``note`` names the years) or ``"missing_input"``
        (then ``children`` is NaN and ``note`` names the missing input).
        """
        return self.cohorts.copy()

    def totals(self) -> pd.DataFrame:
        """Children summed over :attr:`ages` per geo × year, only where no age is missing.

        Columns ``geo, year, children, ages_missing, ages_assumed`` (``children``
        NaN when any age is missing; ``ages_assumed`` counts ages whose survival
        used the last published mortality instead of the birth year's).
        """
        df = self.cohorts
        g = df.groupby(["geo", "year"], sort=True)
        out = g["children"].sum(min_count=1).rename("children").to_frame()
        out["ages_missing"] = g["status"].apply(lambda s: int((s == "missing_input").sum()))
        out["ages_assumed"] = g["status"].apply(lambda s: int((s == "assumed").sum()))
        out.loc[out["ages_missing"] > 0, "children"] = np.nan
        return out.reset_index()


def survival(age: int, imr: float, u5mr: float, infant_death_fraction: float = 0.75) -> float:
    """Probability that a child born in a given calendar year is alive at the end of the year it is ``age``.

    A child counted at year end aged ``a`` (completed years) is on average
    ``a + 0.5`` years old. For age 0 the share of infant deaths already
    experienced is ``infant_death_fraction`` (infant deaths are concentrated in
    the first weeks, so this is more than half); after the first birthday the
    deaths between ages 1 and 5 (``U5MR − IMR``) are spread evenly over the
    four years.

    Parameters
    ----------
    age : int
        Completed years, 0–4.
    imr, u5mr : float
        Infant and under-5 mortality of the birth cohort, per 1,000 live births.
        ``u5mr`` is not used for age 0.
    infant_death_fraction : float, default 0.75
        Share of the IMR that a cohort has experienced by the end of its birth year.

    Returns
    -------
    float

    Examples
    --------
    >>> round(survival(0, imr=4.0, u5mr=6.0), 6)
    0.997
    >>> round(survival(2, imr=4.0, u5mr=6.0), 6)
    0.99525
    """
    if age == 0:
        return 1.0 - infant_death_fraction * imr / 1000.0
    return 1.0 - (imr + (u5mr - imr) * (age - 0.5) / 4.0) / 1000.0


def _last_observed(q: pd.Series, by_geo: bool) -> dict:
    """{geo or None: (last year, rate)} of a keyed rate series, NaNs ignored."""
    q = q.dropna()
    if not len(q):
        return {}
    if by_geo:
        frame = q.rename("rate").reset_index()
        frame.columns = ["geo", "year", "rate"]
        last = frame.sort_values("year").groupby("geo").tail(1)
        return {r.geo: (int(r.year), float(r.rate)) for r in last.itertuples()}
    years = np.asarray(q.index, dtype="int64")
    k = int(np.argmax(years))
    return {None: (int(years[k]), float(q.iloc[k]))}


def _carry(values: np.ndarray, geos, birth_years: np.ndarray, last: dict, by_geo: bool):
    """Fill rates of birth years AFTER the last observed year with that year's rate; returns (values, source year)."""
    out = values.copy()
    src = np.full(len(values), -1, dtype="int64")
    for k in np.flatnonzero(np.isnan(values)):
        hit = last.get(geos[k] if by_geo else None)
        if hit is not None and birth_years[k] > hit[0]:
            out[k], src[k] = hit[1], hit[0]
    return out, src


def population_0_3(births: pd.DataFrame, mortality: pd.DataFrame, *, ages=(0, 1, 2),
                   infant_death_fraction: float = 0.75, latest_mortality: bool = False, geo: str = "geo",
                   year: str = "year", births_col: str = "births", imr: str = "imr",
                   u5mr: str = "u5mr") -> Population03Result:
    """Estimate children aged 0, 1 and 2 (under 3) at year end from birth cohorts and survival.

    Children aged ``a`` at the end of year ``t`` = births of year ``t − a`` ×
    :func:`survival` ``(a, IMR, U5MR)`` of that birth year. Nothing is
    interpolated: an age group whose births or mortality are missing is
    returned with ``status="missing_input"`` and a note naming the gap.

    Assumptions (each a parameter or stated here): no migration; the period
    IMR/U5MR of the birth year stand in for the cohort's probabilities of
    dying; deaths between ages 1 and 5 are spread evenly; a share
    ``infant_death_fraction`` of infant deaths has happened by the end of the
    birth year.

    Parameters
    ----------
    births : DataFrame
        Columns ``geo, year, births`` (one row per geo × year; any unit).
    mortality : DataFrame
        Columns ``year, imr, u5mr`` (per 1,000 live births), optionally ``geo``.
        Without a ``geo`` column the same rates apply to every geo (for example
        national rates for provinces — say so where the result is shown).
        ``u5mr`` may be missing where only age 0 is needed.
    ages : sequence of int, default (0, 1, 2)
        Completed ages to estimate (0–4).
    infant_death_fraction : float, default 0.75
        Share of the IMR experienced by the end of the birth year (see :func:`survival`).
    latest_mortality : bool, default False
        An explicit assumption for the newest cohorts: a birth year AFTER the
        last year with a published IMR (U5MR) uses that last published rate.
        Such rows get ``status="assumed"`` and a note naming both years. Gaps
        between published years are never filled.
    geo, year, births_col, imr, u5mr : str
        Column names.

    Returns
    -------
    Population03Result

    Raises
    ------
    ecd.errors.ParameterError
        Bad ``ages`` or ``infant_death_fraction``.
    ecd.errors.DataError
        Missing columns, duplicate keys, negative or non-numeric values.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"geo": "X", "year": [2020, 2021, 2022], "births": [100.0, 100.0, 100.0]})
    >>> m = pd.DataFrame({"year": [2020, 2021, 2022], "imr": 4.0, "u5mr": 6.0})
    >>> r = population_0_3(b, m)
    >>> r.totals()[["year", "children", "ages_missing"]].round(3).to_dict("records")
    [{'year': 2020, 'children': nan, 'ages_missing': 2}, {'year': 2021, 'children': nan, 'ages_missing': 1}, {'year': 2022, 'children': 298.8, 'ages_missing': 0}]

    Rates for 2023 not published yet: with ``latest_mortality=True`` the 2022
    rates stand in for the 2023 cohort, and the row says so.

    >>> b2 = pd.concat([b, pd.DataFrame({"geo": ["X"], "year": [2023], "births": [90.0]})])
    >>> t = population_0_3(b2, m, latest_mortality=True).tidy()
    >>> t.loc[t["year"] == 2023, ["age", "status", "note"]].values.tolist()[0]
    [0, 'assumed', 'IMR 2022 used for 2023']
    """
    ages = _check_ages(ages)
    f = _check_fraction("infant_death_fraction", infant_death_fraction)
    b, q_imr, q_u5, by_geo = _prepare(births, mortality, ages, latest_mortality, geo, year, births_col, imr, u5mr)
    keys = b.index.to_frame(index=False)
    keys.columns = ["geo", "year"]
    keys = keys.astype({"year": "int64"}).drop_duplicates().sort_values(["geo", "year"])
    df = keys.merge(pd.DataFrame({"age": np.array(ages, dtype="int64")}), how="cross")
    df["birth_year"] = df["year"] - df["age"]
    df = _survive(df, b, q_imr, q_u5, by_geo, f, latest_mortality)
    return Population03Result(cohorts=df, ages=ages, infant_death_fraction=f, latest_mortality=bool(latest_mortality))


def cohort_survivors(births: pd.DataFrame, mortality: pd.DataFrame, *, ages=(0, 1, 2),
                     infant_death_fraction: float = 0.75, latest_mortality: bool = False) -> pd.DataFrame:
    """Each birth cohort followed through ``ages``: survivors at the end of the year it is each age.

    The same survival model as :func:`population_0_3`, read along a cohort
    instead of across one year: the cohort born in ``b`` is counted in years
    ``b``, ``b + 1``, … (which need not be in the data yet).

    Returns
    -------
    DataFrame
        The columns of :meth:`Population03Result.tidy`, one row per birth year × age.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"geo": "X", "year": [2025], "births": [100.0]})
    >>> m = pd.DataFrame({"year": [2025], "imr": 4.0, "u5mr": 6.0})
    >>> t = cohort_survivors(b, m)
    >>> t["year"].tolist(), t["children"].round(3).tolist()
    ([2025, 2026, 2027], [99.7, 99.575, 99.525])
    """
    ages = _check_ages(ages)
    f = _check_fraction("infant_death_fraction", infant_death_fraction)
    b, q_imr, q_u5, by_geo = _prepare(births, mortality, ages, latest_mortality, "geo", "year", "births", "imr", "u5mr")
    keys = b.index.to_frame(index=False)
    keys.columns = ["geo", "birth_year"]
    keys = keys.astype({"birth_year": "int64"}).drop_duplicates().sort_values(["geo", "birth_year"])
    df = keys.merge(pd.DataFrame({"age": np.array(ages, dtype="int64")}), how="cross")
    df["year"] = df["birth_year"] + df["age"]
    return _survive(df, b, q_imr, q_u5, by_geo, f, latest_mortality)


def _prepare(births, mortality, ages, latest_mortality, geo, year, births_col, imr, u5mr):
    """Validate and key the inputs: births by (geo, year), IMR and U5MR by year (or geo, year)."""
    if not isinstance(latest_mortality, (bool, np.bool_)):
        raise ParameterError("latest_mortality", f"{latest_mortality!r}: expected True or False")
    _require(births, "births", [geo, year, births_col])
    _require(mortality, "mortality", [year, imr] + ([u5mr] if u5mr in mortality.columns or max(ages) > 0 else []))
    births = births.rename(columns={geo: "geo", year: "year", births_col: "births"})
    mortality = mortality.rename(columns={geo: "geo", year: "year", imr: "imr", u5mr: "u5mr"})
    b = _keyed(births.astype({"year": "int64"}), "births", ["geo", "year"], "births").dropna()
    by_geo = "geo" in mortality.columns
    mkeys = ["geo", "year"] if by_geo else ["year"]
    mortality = mortality.astype({"year": "int64"})
    q_imr = _keyed(mortality, "mortality", mkeys, "imr")
    q_u5 = _keyed(mortality, "mortality", mkeys, "u5mr") if "u5mr" in mortality.columns else pd.Series(dtype=float)
    bad = mortality[pd.to_numeric(mortality["imr"], errors="coerce") > 1000]
    if len(bad):
        raise DataError(f"mortality row {bad.index[0]!r}, column {imr!r}: {bad['imr'].iloc[0]} is not per 1,000 live "
                        "births (expected 0–1000)")
    if len(q_u5):
        both = pd.concat([q_imr.rename("i"), q_u5.rename("u")], axis=1).dropna()
        low = both[both["u"] < both["i"]]
        if len(low):
            raise DataError(f"mortality {low.index[0]!r}: U5MR {low['u'].iloc[0]} is below IMR {low['i'].iloc[0]}; "
                            "U5MR includes infant deaths, so expected U5MR ≥ IMR — check the columns")
    return b, q_imr, q_u5, by_geo


def _survive(df, b, q_imr, q_u5, by_geo, f, latest_mortality) -> pd.DataFrame:
    """Fill births, rates, survival, children, status and note for rows (geo, year, age, birth_year)."""
    at_birth = pd.MultiIndex.from_arrays([df["geo"], df["birth_year"]])
    df["births"] = b.reindex(at_birth).to_numpy()
    mkey = at_birth if by_geo else pd.Index(df["birth_year"])
    df["imr"] = q_imr.reindex(mkey).to_numpy()
    u5 = q_u5.reindex(mkey).to_numpy() if len(q_u5) else np.full(len(df), np.nan)
    src_i = src_u = np.full(len(df), -1, dtype="int64")
    if latest_mortality:
        geos_arr, by_arr = df["geo"].to_numpy(), df["birth_year"].to_numpy()
        imr_vals, src_i = _carry(df["imr"].to_numpy(float), geos_arr, by_arr, _last_observed(q_imr, by_geo), by_geo)
        df["imr"] = imr_vals
        if len(q_u5):
            u5, src_u = _carry(np.asarray(u5, float), geos_arr, by_arr, _last_observed(q_u5, by_geo), by_geo)
    df["u5mr"] = np.where(df["age"] > 0, u5, np.nan)
    src_u = np.where(df["age"].to_numpy() > 0, src_u, -1)
    age = df["age"].to_numpy()
    i, u = df["imr"].to_numpy(), df["u5mr"].to_numpy()
    # survival(): age 0 uses a share f of the IMR; older ages add (U5MR − IMR)(a − 0.5)/4
    dead = np.where(age == 0, f * i, i + (u - i) * (age - 0.5) / 4.0)
    no_b, no_i, no_u = df["births"].isna().to_numpy(), np.isnan(i), (age > 0) & np.isnan(u)
    missing = no_b | no_i | no_u
    df["survival"] = np.where(missing, np.nan, 1.0 - dead / 1000.0)
    df["children"] = df["births"] * df["survival"]
    assumed = ~missing & ((src_i >= 0) | (src_u >= 0))
    df["status"] = np.where(missing, "missing_input", np.where(assumed, "assumed", "estimated"))
    notes = [""] * len(df)
    birth_year = df["birth_year"].to_numpy()
    for k in np.flatnonzero(missing):
        by = birth_year[k]
        parts = [f"{what} {by}" for what, flag in (("births", no_b[k]), ("IMR", no_i[k]), ("U5MR", no_u[k])) if flag]
        notes[k] = "no " + ", ".join(parts)
    for k in np.flatnonzero(assumed):
        used = [f"{what} {src[k]}" for what, src in (("IMR", src_i), ("U5MR", src_u)) if src[k] >= 0]
        notes[k] = f"{', '.join(used)} used for {birth_year[k]}"
    df["note"] = notes
    return df[_TIDY_COLUMNS].reset_index(drop=True)
