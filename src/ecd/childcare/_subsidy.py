"""The cost of a per-child childcare subsidy (育儿补贴): per birth cohort and per calendar year."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecd.childcare._population import _check_fraction, cohort_survivors, population_0_3
from ecd.errors import ParameterError

_COHORT_COLUMNS = ["geo", "birth_year", "births", "child_years", "cost", "status", "note"]
_YEAR_COLUMNS = ["geo", "year", "children", "cost", "status", "note"]


def _positive(name: str, value, allow_zero: bool = True) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise ParameterError(name, f"{value!r}: expected a finite number {'≥' if allow_zero else '>'} 0")
    return float(value)


@dataclass(frozen=True)
class SubsidyCostResult:
    """Subsidy cost per birth cohort (all years it is paid) and per calendar year.

    Attributes
    ----------
    cohorts : pandas.DataFrame
        One row per geo × birth year (see :meth:`tidy`).
    years : pandas.DataFrame
        One row per geo × calendar year (see :meth:`by_year`).
    amount, take_up : float
        Yuan per child per year, share of children whose families receive it.
    years_paid : int
        Years of age for which it is paid (3: ages 0, 1 and 2).
    """

    cohorts: pd.DataFrame
    years: pd.DataFrame
    amount: float
    take_up: float
    years_paid: int

    def tidy(self) -> pd.DataFrame:
        """Per birth cohort: ``geo, birth_year, births, child_years, cost, status, note``.

        ``child_years`` = Σ over the paid ages of births × survival to that age
        (in the unit of births); ``cost`` = amount × take_up × child_years ×
        ``births_unit`` (yuan). ``status`` ``"estimated"``, ``"assumed"``
        (newest cohorts with the last published mortality) or ``"missing_input"``.
        """
        return self.cohorts.copy()

    def by_year(self) -> pd.DataFrame:
        """Per calendar year: ``geo, year, children, cost, status, note`` — every child under
        ``years_paid`` alive at year end paid a full year (the steady-state annual cost)."""
        return self.years.copy()

    def sensitivity(self, take_up) -> pd.DataFrame:
        """Cohort cost at other take-up shares (cost is proportional to take-up).

        Returns columns ``geo, birth_year, take_up, cost``.
        """
        shares = [_check_fraction("take_up", t) for t in take_up]
        base = self.cohorts[self.cohorts["status"] != "missing_input"]
        per = base["cost"] / self.take_up if self.take_up > 0 else base["child_years"] * np.nan
        out = [base[["geo", "birth_year"]].assign(take_up=t, cost=per * t) for t in shares]
        return pd.concat(out, ignore_index=True)


def subsidy_cost(births: pd.DataFrame, mortality: pd.DataFrame, *, amount: float = 3600.0, years_paid: int = 3,
                 take_up: float = 1.0, infant_death_fraction: float = 0.75, latest_mortality: bool = False,
                 births_unit: float = 1.0) -> SubsidyCostResult:
    """What a subsidy of ``amount`` yuan per child per year, paid until age ``years_paid``, costs.

    Per birth cohort: every survivor is paid for each year of age below
    ``years_paid`` (ages 0, 1, 2 for the national 育儿补贴), so the cohort costs
    amount × take_up × births × Σ survival(age). Per calendar year: the children
    under ``years_paid`` at year end (:func:`population_0_3`) × amount × take_up —
    the annual cost once the scheme runs for all ages. Survival uses the birth
    year's IMR/U5MR (:func:`survival`); nothing is filled in unless
    ``latest_mortality`` says so, and those rows are marked ``"assumed"``.

    Parameters
    ----------
    births : DataFrame
        Columns ``geo, year, births``.
    mortality : DataFrame
        Columns ``year, imr, u5mr`` (optionally ``geo``), per 1,000 live births.
    amount : float, default 3600
        Yuan per child per year.
    years_paid : int, default 3
        Paid for ages 0 … years_paid − 1 (at most 5, the U5MR horizon).
    take_up : float, default 1.0
        Share (0–1) of children whose families receive it.
    infant_death_fraction, latest_mortality
        As in :func:`population_0_3`.
    births_unit : float, default 1.0
        Persons per unit of ``births`` (10,000 for 万人); costs are in yuan.

    Returns
    -------
    SubsidyCostResult

    Raises
    ------
    ecd.errors.ParameterError
        Bad amount, years_paid, take_up or births_unit.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"geo": "X", "year": [2023, 2024, 2025], "births": [900.0, 950.0, 800.0]})
    >>> m = pd.DataFrame({"year": [2023, 2024, 2025], "imr": 4.0, "u5mr": 6.0})
    >>> r = subsidy_cost(b, m, births_unit=1e4)
    >>> float(round(r.tidy().set_index("birth_year").loc[2025, "cost"] / 1e8, 1))   # 亿元 over its three years
    860.5
    >>> float(round(r.by_year().set_index("year").loc[2025, "cost"] / 1e8, 1))      # 亿元 in 2025
    950.1
    """
    amount = _positive("amount", amount)
    take_up = _check_fraction("take_up", take_up)
    births_unit = _positive("births_unit", births_unit, allow_zero=False)
    if isinstance(years_paid, bool) or not isinstance(years_paid, (int, np.integer)) or not 1 <= years_paid <= 5:
        raise ParameterError("years_paid", f"{years_paid!r}: expected a whole number of years from 1 to 5")
    ages = tuple(range(int(years_paid)))
    per_yuan = births_unit * amount * take_up
    kw = dict(ages=ages, infant_death_fraction=infant_death_fraction, latest_mortality=latest_mortality)
    surv = cohort_survivors(births, mortality, **kw)
    g = surv.groupby(["geo", "birth_year"], sort=True)
    cohorts = pd.DataFrame({
        "births": g["births"].first(),
        "child_years": g["children"].sum(min_count=len(ages)),
        "status": g["status"].agg(_worst),
        "note": g["note"].agg(_notes),
    }).reset_index()
    cohorts.loc[cohorts["status"] == "missing_input", "child_years"] = np.nan
    cohorts["cost"] = cohorts["child_years"] * per_yuan
    pop = population_0_3(births, mortality, **kw)
    years = pop.totals()
    years = years.merge(pop.tidy().groupby(["geo", "year"])["note"].agg(_notes).reset_index(), on=["geo", "year"])
    years["status"] = np.where(years["ages_missing"] > 0, "missing_input",
                               np.where(years["ages_assumed"] > 0, "assumed", "estimated"))
    years["cost"] = years["children"] * per_yuan
    return SubsidyCostResult(cohorts=cohorts[_COHORT_COLUMNS], years=years[_YEAR_COLUMNS], amount=amount,
                             take_up=take_up, years_paid=int(years_paid))


def _worst(status: pd.Series) -> str:
    for s in ("missing_input", "assumed"):
        if (status == s).any():
            return s
    return "estimated"


def _notes(notes: pd.Series) -> str:
    return "; ".join(dict.fromkeys(n for n in notes if n))
