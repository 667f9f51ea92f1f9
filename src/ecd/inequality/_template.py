"""HEAT Plus template: column names, defaults and validation."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import SchemaError

KEYS = ["setting", "date", "source", "indicator_abbr", "dimension"]
REQUIRED = KEYS + [
    "subgroup",
    "estimate",
    "favourable_indicator",
    "indicator_scale",
    "ordered_dimension",
]
OPTIONAL_NUMERIC = [
    "se",
    "ci_lb",
    "ci_ub",
    "population",
    "setting_average",
    "subgroup_order",
    "reference_subgroup",
]
_PER_STRATUM_CONSTANT = ["favourable_indicator", "indicator_scale", "ordered_dimension"]


def _stratum_label(key: tuple) -> str:
    return "stratum " + ", ".join(f"{k}={v!r}" for k, v in zip(KEYS, key))


def prepare(df: pd.DataFrame, *, need_counts: bool) -> pd.DataFrame:
    """Check a HEAT Plus template frame and return a normalised copy.

    Every failure in the frame is collected and raised together as one
    :class:`~ecd.errors.SchemaError` whose lines name the stratum, the column,
    what was found and what was expected.
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(
            f"expected a pandas DataFrame in HEAT Plus template format, got {type(df).__name__}"
        )
    data = df.copy()
    if "date" not in data.columns and "year" in data.columns:
        data = data.rename(columns={"year": "date"})
    missing = [c for c in REQUIRED if c not in data.columns]
    if missing:
        raise SchemaError(
            "input is missing required HEAT Plus template column(s): "
            + ", ".join(missing)
            + f" (found: {', '.join(map(str, df.columns))}); add them, or use "
            "ecd.inequality.from_warehouse() to convert a warehouse table",
            [f'column "{c}" is required' for c in missing],
        )
    for col in OPTIONAL_NUMERIC:
        if col not in data.columns:
            data[col] = np.nan
    if "indicator_name" not in data.columns:
        data["indicator_name"] = data["indicator_abbr"]
    for col in ["estimate", "favourable_indicator", "indicator_scale", "ordered_dimension"] + OPTIONAL_NUMERIC:
        data[col] = pd.to_numeric(data[col], errors="coerce").astype("float64")
    data["reference_subgroup"] = data["reference_subgroup"].fillna(0.0)
    # HEAT Plus derives a missing SE from a symmetric 95 % interval.
    derive = data["se"].isna() & data["ci_lb"].notna() & data["ci_ub"].notna()
    data.loc[derive, "se"] = (data.loc[derive, "ci_ub"] - data.loc[derive, "ci_lb"]) / (2 * 1.959964)
    data["_row"] = np.arange(len(data))

    failures: list[str] = []
    for col in KEYS + ["subgroup"]:
        bad = data[col].isna()
        for r in np.flatnonzero(bad.to_numpy()):
            failures.append(f'row {r}, column "{col}": missing (expected a value)')
    if failures:
        raise SchemaError("input has missing stratum keys", failures)

    sid = data.groupby(KEYS, sort=False, dropna=False).ngroup().to_numpy()
    data["_stratum"] = sid
    grouped = data.groupby("_stratum", sort=True)
    first_rows = grouped["_row"].first().to_numpy()

    def flag(mask_by_stratum, make):
        for k in np.flatnonzero(np.asarray(mask_by_stratum)):
            label = _stratum_label(tuple(data.iloc[first_rows[k]][KEYS]))
            failures.append(f"{label}, {make(data.loc[data['_stratum'] == k])}")

    for col in _PER_STRATUM_CONSTANT:
        flag(grouped[col].nunique() != 1,
             lambda g, col=col: f'column "{col}": found {list(g[col].unique())} (expected one value per stratum)')
    flag(~data.groupby("_stratum")["favourable_indicator"].agg(lambda v: v.isin([0.0, 1.0]).all()),
         lambda g: f'column "favourable_indicator": {list(g["favourable_indicator"].unique())} (expected 0 or 1)')
    ok_ord = data["ordered_dimension"].isin([0.0, 1.0])
    flag(~ok_ord.groupby(sid).all(),
         lambda g: f'column "ordered_dimension": {list(g["ordered_dimension"].unique())} (expected 0 or 1)')
    flag(~(data["indicator_scale"] > 0).groupby(sid).all(),
         lambda g: f'column "indicator_scale": {list(g["indicator_scale"].unique())} (expected a positive number such as 1, 100 or 1000)')
    dup = data.duplicated(["_stratum", "subgroup"], keep=False)
    flag(dup.groupby(sid).any(),
         lambda g: f'column "subgroup": duplicated subgroup(s) {list(g.loc[g["subgroup"].duplicated(), "subgroup"].unique())} '
                   "(expected each subgroup once per stratum; aggregate or split the stratum)")
    refs = data["reference_subgroup"]
    bad_ref = ~refs.isin([0.0, 1.0])
    flag(bad_ref.groupby(sid).any(),
         lambda g: f'column "reference_subgroup": {sorted(g["reference_subgroup"].unique())} (expected 0 or 1)')
    flag((refs.where(~bad_ref, 0.0).groupby(sid).sum() > 1),
         lambda g: f'column "reference_subgroup": {int(g["reference_subgroup"].sum())} subgroups flagged '
                   f"({list(g.loc[g['reference_subgroup'] == 1, 'subgroup'])}); expected at most one reference subgroup")
    est = data["estimate"]
    flag((est < 0).groupby(sid).any(),
         lambda g: f'column "estimate": negative value(s) {list(g.loc[g["estimate"] < 0, "estimate"])} for '
                   f'{list(g.loc[g["estimate"] < 0, "subgroup"])}; expected estimates >= 0')
    flag(((data["indicator_scale"] == 100) & (est > 100)).groupby(sid).any(),
         lambda g: f'column "estimate": {list(g.loc[g["estimate"] > 100, "estimate"])} for '
                   f'{list(g.loc[g["estimate"] > 100, "subgroup"])} is not a percentage (indicator_scale is 100, '
                   "expected 0–100); fix the value or the scale")
    flag((data["se"] < 0).groupby(sid).any(),
         lambda g: f'column "se": negative standard error(s) {list(g.loc[g["se"] < 0, "se"])} (expected >= 0)')
    flag((data["population"] < 0).groupby(sid).any(),
         lambda g: f'column "population": negative value(s) {list(g.loc[g["population"] < 0, "population"])} (expected counts >= 0)')
    is_ord = data["ordered_dimension"] == 1.0
    order = data["subgroup_order"]
    bad_order = is_ord & (order.isna() | data.duplicated(["_stratum", "subgroup_order"], keep=False))
    flag(bad_order.groupby(sid).any(),
         lambda g: f'column "subgroup_order": {list(g["subgroup_order"])} (an ordered dimension needs '
                   "a distinct order 1..n per subgroup, 1 = most disadvantaged)")
    if need_counts:
        pop = data["population"]
        shares = pd.DataFrame({"o": is_ord, "all": pop.notna(), "le1": pop <= 1}).groupby(sid).all()
        sizes = data.groupby(sid).size()
        flag(shares["o"] & shares["all"] & shares["le1"] & (sizes > 2),
             lambda g: f'column "population": {list(g["population"])} look like population shares; SII and '
                       "RII need absolute counts (numbers of people), pass counts or drop SII/RII from measures")
    if failures:
        raise SchemaError(f"input is not a valid HEAT Plus template ({len(failures)} problem(s))", failures)
    return data
