"""Childcare slot gap and fiscal cost under stated assumptions."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecd.childcare._population import _check_ages, _check_fraction, _keyed, _require, population_0_3
from ecd.errors import ParameterError

MEASURES = {
    # measure: (unit, description)
    "population_total": ("persons", "total resident population"),
    "children_eligible": ("persons", "estimated children in the eligible ages at year end"),
    "slots_target": ("slots", "population × slot_target / 1,000"),
    "slots_current": ("slots", "population × current_slots_per_1000 / 1,000"),
    "slot_gap": ("slots", "slots_target − slots_current"),
    "slots_demanded": ("slots", "children_eligible × utilisation"),
    "fiscal_cost": ("yuan per year", "children_eligible × take_up × subsidy_per_child_year"),
}
_TIDY = ["geo", "year", "measure", "value", "unit", "status", "note"]


def _positive(name: str, value, allow_zero: bool = True) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise ParameterError(name, f"{value!r}: expected a finite number {'≥' if allow_zero else '>'} 0")
    return float(value)


@dataclass(frozen=True)
class ScenarioResult:
    """Slot gap and fiscal cost per geo × year; read the numbers with :meth:`tidy`.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table (see :meth:`tidy`).
    assumptions : pandas.DataFrame
        One row per assumption: ``parameter, value, meaning``.
    children : pandas.DataFrame
        The cohort estimate behind ``children_eligible`` (tidy table of
        :func:`population_0_3`, or of the constant-cohort assumption).
    """

    table: pd.DataFrame
    assumptions: pd.DataFrame
    children: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """Columns ``geo, year, measure, value, unit, status, note``.

        ``measure`` is one of ``population_total, children_eligible,
        slots_target, slots_current, slot_gap, slots_demanded, fiscal_cost``;
        ``status`` is ``"computed"`` or ``"missing_input"`` (``value`` NaN and
        ``note`` naming what is missing). Counts are persons or slots, the cost
        is yuan per year.
        """
        return self.table.copy()

    def wide(self) -> pd.DataFrame:
        """One row per geo × year, one column per measure (NaN where an input is missing)."""
        return (self.table.pivot(index=["geo", "year"], columns="measure", values="value")
                .reindex(columns=list(MEASURES)).reset_index().rename_axis(columns=None))


def scenario(population_total: pd.DataFrame | None, births: pd.DataFrame, mortality: pd.DataFrame | None = None, *,
             slot_target: float = 4.5, current_slots_per_1000: float | None = None, utilisation: float = 1.0,
             subsidy_per_child_year: float = 3600.0, take_up: float = 1.0, eligible_ages=(0, 1, 2),
             cohorts: str = "observed", infant_death_fraction: float = 0.75, births_unit: float = 1.0,
             population_unit: float = 1.0) -> ScenarioResult:
    """Childcare slots needed at a target per 1,000 population, slot gap and subsidy cost.

    For every geo × year with births:

    - ``children_eligible`` = children in ``eligible_ages`` at year end, from
      :func:`population_0_3` (``cohorts="observed"``: births of the earlier
      years and IMR/U5MR survival; missing years stay missing) or, as an
      explicit scenario, ``cohorts="constant"``: every eligible age cohort is
      assumed as large as the year's births (no survival, no data for the
      earlier years needed — label it as an assumption wherever shown);
    - ``slots_target`` = population × ``slot_target`` / 1,000 (needs the total
      population of that geo and year; never filled in);
    - ``slots_current`` and ``slot_gap`` only when ``current_slots_per_1000`` is
      given (e.g. the national 2021 level of 2.03 applied as an assumption);
    - ``slots_demanded`` = children_eligible × ``utilisation`` (share of
      eligible children who would use a slot);
    - ``fiscal_cost`` = children_eligible × ``take_up`` × ``subsidy_per_child_year``
      (yuan per year).

    Parameters
    ----------
    population_total : DataFrame or None
        Columns ``geo, year, population`` in persons × ``population_unit``;
        ``None`` when no population exists (slot targets are then missing).
    births : DataFrame
        Columns ``geo, year, births`` in persons × ``births_unit``.
    mortality : DataFrame, optional
        Columns ``year, imr, u5mr`` (and optionally ``geo``), per 1,000 live
        births; required for ``cohorts="observed"``.
    slot_target : float, default 4.5
        Slots per 1,000 population (14th Five-Year Plan target for 2025).
    current_slots_per_1000 : float, optional
        Existing slots per 1,000 population to compare against.
    utilisation : float, default 1.0
        Share (0–1) of eligible children using a slot.
    subsidy_per_child_year : float, default 3600
        Yuan per eligible child per year (the national childcare subsidy, 育儿补贴).
    take_up : float, default 1.0
        Share (0–1) of eligible children whose families receive the subsidy.
    eligible_ages : sequence of int, default (0, 1, 2)
        Completed ages eligible (under 3).
    cohorts : {"observed", "constant"}, default "observed"
        How the eligible children are obtained (see above).
    infant_death_fraction : float, default 0.75
        Passed to :func:`population_0_3`.
    births_unit, population_unit : float, default 1.0
        Persons per unit of the input (10,000 for 万人).

    Returns
    -------
    ScenarioResult

    Examples
    --------
    >>> import pandas as pd
    >>> pop = pd.DataFrame({"geo": ["X"], "year": [2022], "population": [1000.0]})
    >>> b = pd.DataFrame({"geo": ["X"], "year": [2022], "births": [8.0]})
    >>> r = scenario(pop, b, slot_target=4.5, current_slots_per_1000=2.0, cohorts="constant")
    >>> r.wide()[["slots_target", "slot_gap", "children_eligible", "fiscal_cost"]].to_dict("records")
    [{'slots_target': 4.5, 'slot_gap': 2.5, 'children_eligible': 24.0, 'fiscal_cost': 86400.0}]
    """
    slot_target = _positive("slot_target", slot_target, allow_zero=False)
    if current_slots_per_1000 is not None:
        current_slots_per_1000 = _positive("current_slots_per_1000", current_slots_per_1000)
    utilisation = _check_fraction("utilisation", utilisation)
    take_up = _check_fraction("take_up", take_up)
    subsidy = _positive("subsidy_per_child_year", subsidy_per_child_year)
    births_unit = _positive("births_unit", births_unit, allow_zero=False)
    population_unit = _positive("population_unit", population_unit, allow_zero=False)
    ages = _check_ages(eligible_ages)
    if cohorts not in ("observed", "constant"):
        raise ParameterError("cohorts", f"{cohorts!r}: expected 'observed' (births of earlier years with survival) "
                                        "or 'constant' (every age cohort equals the year's births, an assumption)")
    _require(births, "births", ["geo", "year", "births"])
    b = births[["geo", "year", "births"]].copy()
    b["births"] = pd.to_numeric(b["births"], errors="coerce") * births_unit
    if cohorts == "observed":
        if mortality is None:
            raise ParameterError("mortality", "cohorts='observed' needs IMR/U5MR by year to estimate survival; "
                                              "pass mortality=DataFrame(year, imr, u5mr) or use cohorts='constant'")
        kids = population_0_3(b, mortality, ages=ages, infant_death_fraction=infant_death_fraction).tidy()
    else:
        _keyed(b, "births", ["geo", "year"], "births")
        kids = b.dropna(subset=["births"]).merge(pd.DataFrame({"age": list(ages)}), how="cross")
        kids = kids.assign(birth_year=kids["year"] - kids["age"], children=kids["births"], status="assumed",
                           note="constant-cohort assumption: each age cohort = births of the year")
    g = kids.groupby(["geo", "year"], sort=True)
    child = g["children"].sum(min_count=1).to_frame()
    child["gap_note"] = g["note"].apply(lambda s: "; ".join(x for x in s if x and not x.startswith("constant")))
    child.loc[child["gap_note"] != "", "children"] = np.nan

    if population_total is not None:
        _require(population_total, "population_total", ["geo", "year", "population"])
        pop = _keyed(population_total, "population_total", ["geo", "year"], "population") * population_unit
    else:
        pop = pd.Series(dtype=float)

    rows = []
    for (geo, year), r in child.iterrows():
        p = pop.get((geo, year), np.nan)
        c = r["children"]
        pnote = "" if np.isfinite(p) else f"no total population for {geo} {year}"
        cnote = r["gap_note"]
        vals = {
            "population_total": (p, pnote),
            "children_eligible": (c, cnote),
            "slots_target": (p * slot_target / 1000, pnote),
        }
        if current_slots_per_1000 is not None:
            vals["slots_current"] = (p * current_slots_per_1000 / 1000, pnote)
            vals["slot_gap"] = (p * (slot_target - current_slots_per_1000) / 1000, pnote)
        vals["slots_demanded"] = (c * utilisation, cnote)
        vals["fiscal_cost"] = (c * take_up * subsidy, cnote)
        for m, (v, note) in vals.items():
            ok = bool(np.isfinite(v))
            rows.append({"geo": geo, "year": int(year), "measure": m, "value": float(v) if ok else np.nan,
                         "unit": MEASURES[m][0], "status": "computed" if ok else "missing_input",
                         "note": "" if ok else note})
    table = pd.DataFrame(rows, columns=_TIDY)
    assumptions = pd.DataFrame([
        ("slot_target", slot_target, "slots per 1,000 population to reach"),
        ("current_slots_per_1000", current_slots_per_1000, "existing slots per 1,000 population assumed"),
        ("utilisation", utilisation, "share of eligible children using a slot"),
        ("subsidy_per_child_year", subsidy, "yuan per eligible child per year"),
        ("take_up", take_up, "share of eligible children receiving the subsidy"),
        ("eligible_ages", ", ".join(str(a) for a in ages), "completed ages eligible"),
        ("cohorts", cohorts, "observed births with survival, or constant cohorts (assumption)"),
        ("infant_death_fraction", infant_death_fraction if cohorts == "observed" else None,
         "share of IMR experienced by the end of the birth year"),
    ], columns=["parameter", "value", "meaning"])
    return ScenarioResult(table=table, assumptions=assumptions, children=kids.reset_index(drop=True))
