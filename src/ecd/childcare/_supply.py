"""托育 supply against the children it serves: slots per child, enrolment, occupancy, unmet wishes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecd.errors import DataError, ParameterError

#: measure → (unit, how it is obtained); the order is the order of :meth:`SupplyDemandResult.wide`
SUPPLY_MEASURES = {
    "children": ("count", "children under 3 at year end (input, e.g. the cohort estimate)"),
    "slots": ("count", "childcare slots (input, published)"),
    "slots_per_100_children": ("per 100 children", "slots / children × 100"),
    "enrolment_pct": ("percent", "share of children under 3 in childcare (input, published)"),
    "enrolled": ("count", "enrolment_pct / 100 × children"),
    "occupancy_pct": ("percent", "enrolled / slots × 100"),
    "demand_pct": ("percent", "share of families wanting childcare (input, published)"),
    "places_wanted": ("count", "demand_pct / 100 × children"),
    "wanted_minus_slots": ("count", "places_wanted − slots (positive: more wanted than exist)"),
}
_INPUTS = ("children", "slots", "enrolment_pct", "demand_pct")


def _series(name: str, s, percent: bool = False) -> pd.Series:
    if s is None:
        return pd.Series(dtype=float)
    if not isinstance(s, pd.Series):
        raise ParameterError(name, f"expected a pandas Series indexed by year, got {type(s).__name__}")
    try:
        idx = pd.Index(s.index).astype("int64")
    except (TypeError, ValueError):
        raise ParameterError(name, f"index {list(s.index)[:3]} is not whole years") from None
    if idx.has_duplicates:
        raise DataError(f"{name}: more than one value for year {int(idx[idx.duplicated()][0])}; keep one row per year "
                        "(load() picks one source per year)")
    vals = pd.to_numeric(pd.Series(s.to_numpy(), index=idx), errors="coerce")
    bad = s.notna().to_numpy() & vals.isna().to_numpy()
    if bad.any():
        raise DataError(f"{name} year {int(idx[bad][0])}: {s.iloc[np.flatnonzero(bad)[0]]!r} is not a number")
    if (vals < 0).any():
        raise DataError(f"{name} year {int(vals.index[vals < 0][0])}: {vals[vals < 0].iloc[0]} is negative")
    if percent and (vals > 100).any():
        raise DataError(f"{name} year {int(vals.index[vals > 100][0])}: {vals[vals > 100].iloc[0]} is not a "
                        "percentage (expected 0–100)")
    return vals.dropna().astype(float)


@dataclass(frozen=True)
class SupplyDemandResult:
    """Children, slots and the published shares, with what follows from them, one row per year × measure.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table (see :meth:`tidy`).
    """

    table: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """Columns ``year, measure, value, unit, kind``.

        ``kind`` is ``"input"`` for a value passed in and ``"derived"`` for one
        computed here; a measure is present only in years where every input it
        needs exists (nothing is filled in).
        """
        return self.table.copy()

    def wide(self) -> pd.DataFrame:
        """One row per year, one column per measure of :data:`SUPPLY_MEASURES` (NaN where not computable)."""
        if self.table.empty:
            return pd.DataFrame(columns=["year", *SUPPLY_MEASURES])
        w = self.table.pivot(index="year", columns="measure", values="value")
        return w.reindex(columns=list(SUPPLY_MEASURES)).reset_index().rename_axis(columns=None)


def supply_demand(children: pd.Series, slots: pd.Series, *, enrolment_pct: pd.Series | None = None,
                  demand_pct: pd.Series | None = None) -> SupplyDemandResult:
    """Set childcare slots against the children under 3, by year, with published enrolment and demand shares.

    Per year, where the inputs exist:

    - ``slots_per_100_children`` = slots / children × 100;
    - ``enrolled`` = enrolment share × children (children actually in care);
    - ``occupancy_pct`` = enrolled / slots × 100 (share of slots in use);
    - ``places_wanted`` = demand share × children (places families say they want);
    - ``wanted_minus_slots`` = places_wanted − slots.

    Treating a share of *families* as a share of *children* (one child under 3
    per family) is an approximation; say so where the result is shown.

    Parameters
    ----------
    children, slots : pandas.Series
        Indexed by year, in the same unit (e.g. 10,000).
    enrolment_pct, demand_pct : pandas.Series, optional
        Indexed by year, percent (0–100).

    Returns
    -------
    SupplyDemandResult

    Raises
    ------
    ecd.errors.ParameterError
        An input is not a Series indexed by whole years.
    ecd.errors.DataError
        Duplicate years, non-numeric or negative values, a percentage above 100.

    Examples
    --------
    >>> import pandas as pd
    >>> kids = pd.Series({2021: 4000.0, 2025: 2600.0})
    >>> slots = pd.Series({2025: 650.0})
    >>> r = supply_demand(kids, slots, enrolment_pct=pd.Series({2025: 12.0}), demand_pct=pd.Series({2025: 35.0}))
    >>> r.wide().set_index("year").loc[2025, ["slots_per_100_children", "enrolled", "occupancy_pct", "wanted_minus_slots"]].round(1).tolist()
    [25.0, 312.0, 48.0, 260.0]
    """
    s = {"children": _series("children", children), "slots": _series("slots", slots),
         "enrolment_pct": _series("enrolment_pct", enrolment_pct, percent=True),
         "demand_pct": _series("demand_pct", demand_pct, percent=True)}
    frame = pd.DataFrame(s)
    kids, sl = frame["children"], frame["slots"]
    derived = {
        "slots_per_100_children": sl / kids.where(kids > 0) * 100,
        "enrolled": frame["enrolment_pct"] / 100 * kids,
    }
    derived["occupancy_pct"] = derived["enrolled"] / sl.where(sl > 0) * 100
    derived["places_wanted"] = frame["demand_pct"] / 100 * kids
    derived["wanted_minus_slots"] = derived["places_wanted"] - sl
    rows = []
    for m in SUPPLY_MEASURES:
        col = frame[m] if m in _INPUTS else derived[m]
        for y, v in col.dropna().items():
            rows.append({"year": int(y), "measure": m, "value": float(v), "unit": SUPPLY_MEASURES[m][0],
                         "kind": "input" if m in _INPUTS else "derived"})
    table = pd.DataFrame(rows, columns=["year", "measure", "value", "unit", "kind"])
    return SupplyDemandResult(table.sort_values(["year"], kind="stable").reset_index(drop=True))


@dataclass(frozen=True)
class EnrolmentSensitivity:
    """What a range of enrolment shares would ask of the slots of one year.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per enrolment share (see :meth:`tidy`).
    target_share_pct : float or None
        Share of the children that ``target_per_1000`` slots per 1,000 population
        would place (NaN without a target).
    """

    table: pd.DataFrame
    target_share_pct: float

    def tidy(self) -> pd.DataFrame:
        """Columns ``enrolment_pct, places_needed, per_1000_population, slots, surplus, occupancy_pct``.

        ``places_needed`` = share × children; ``per_1000_population`` the slots
        per 1,000 people that would provide them; ``surplus`` = slots −
        places_needed (negative: too few slots); ``occupancy_pct`` the share of
        the existing slots those children would fill (above 100: not enough).
        """
        return self.table.copy()


def enrolment_sensitivity(children: float, slots: float, population: float, enrolment_pct, *,
                          target_per_1000: float | None = None) -> EnrolmentSensitivity:
    """Places needed, slots per 1,000 and surplus for a range of enrolment shares (a sensitivity table).

    Parameters
    ----------
    children, slots, population : float
        Children under 3, existing slots and total population of one year, in
        one unit.
    enrolment_pct : sequence of float
        Shares of the children who would use a slot, percent (0–100); each an
        assumption unless published.
    target_per_1000 : float, optional
        A slots-per-1,000-population target; its ``target_share_pct`` is the
        share of the children it would place.

    Returns
    -------
    EnrolmentSensitivity

    Raises
    ------
    ecd.errors.ParameterError
        A non-positive count or a share outside 0–100.

    Examples
    --------
    >>> r = enrolment_sensitivity(2600.0, 650.0, 140000.0, [10, 25], target_per_1000=4.5)
    >>> r.tidy().round(2).values.tolist()
    [[10.0, 260.0, 1.86, 650.0, 390.0, 40.0], [25.0, 650.0, 4.64, 650.0, 0.0, 100.0]]
    >>> round(r.target_share_pct, 1)
    24.2
    """
    vals = {}
    for name, v in (("children", children), ("slots", slots), ("population", population)):
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and np.isfinite(v) and v > 0
        if not ok:
            raise ParameterError(name, f"{v!r}: expected a finite number > 0")
        vals[name] = float(v)
    try:
        rates = [float(r) for r in enrolment_pct]
    except (TypeError, ValueError):
        raise ParameterError("enrolment_pct", f"{enrolment_pct!r} is not a sequence of percentages") from None
    if not rates or any(not 0 <= r <= 100 for r in rates):
        raise ParameterError("enrolment_pct", f"{enrolment_pct!r}: expected one or more percentages between 0 and 100")
    if target_per_1000 is not None and not (isinstance(target_per_1000, (int, float)) and target_per_1000 > 0):
        raise ParameterError("target_per_1000", f"{target_per_1000!r}: expected a number > 0")
    r = np.array(rates)
    need = r / 100 * vals["children"]
    table = pd.DataFrame({"enrolment_pct": r, "places_needed": need,
                          "per_1000_population": need / vals["population"] * 1000, "slots": vals["slots"],
                          "surplus": vals["slots"] - need, "occupancy_pct": need / vals["slots"] * 100})
    share = np.nan if target_per_1000 is None else target_per_1000 * vals["population"] / 1000 / vals["children"] * 100
    return EnrolmentSensitivity(table=table, target_share_pct=float(share))
