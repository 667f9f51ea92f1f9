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

    for key, g in data.groupby(KEYS, sort=False, dropna=False):
        where = _stratum_label(key)
        for col in _PER_STRATUM_CONSTANT:
            vals = g[col].dropna().unique()
            if len(vals) != 1:
                failures.append(
                    f'{where}, column "{col}": found {list(vals)} (expected one value per stratum)'
                )
        fav = g["favourable_indicator"].dropna().unique()
        if len(fav) == 1 and fav[0] not in (0.0, 1.0):
            failures.append(f'{where}, column "favourable_indicator": {fav[0]} (expected 0 or 1)')
        ordd = g["ordered_dimension"].dropna().unique()
        if len(ordd) == 1 and ordd[0] not in (0.0, 1.0):
            failures.append(f'{where}, column "ordered_dimension": {ordd[0]} (expected 0 or 1)')
        scale = g["indicator_scale"].dropna().unique()
        if len(scale) == 1 and not scale[0] > 0:
            failures.append(f'{where}, column "indicator_scale": {scale[0]} (expected a positive number such as 1, 100 or 1000)')
        dup = g["subgroup"][g["subgroup"].duplicated()].unique()
        if len(dup):
            failures.append(
                f'{where}, column "subgroup": duplicated subgroup(s) {list(dup)} '
                "(expected each subgroup once per stratum; aggregate or split the stratum)"
            )
        refs = g["reference_subgroup"]
        if not refs.isin([0.0, 1.0]).all():
            failures.append(f'{where}, column "reference_subgroup": {sorted(refs.unique())} (expected 0 or 1)')
        elif refs.sum() > 1:
            failures.append(
                f'{where}, column "reference_subgroup": {int(refs.sum())} subgroups flagged '
                f"({list(g.loc[refs == 1, 'subgroup'])}); expected at most one reference subgroup"
            )
        est = g["estimate"]
        neg = g.loc[est < 0, "subgroup"]
        if len(neg):
            failures.append(
                f'{where}, column "estimate": negative value(s) for {list(neg)} '
                f"({list(est[est < 0])}); expected estimates >= 0"
            )
        if len(scale) == 1 and scale[0] == 100:
            over = g.loc[est > 100, "subgroup"]
            if len(over):
                failures.append(
                    f'{where}, column "estimate": {list(est[est > 100])} for {list(over)} is not a '
                    "percentage (indicator_scale is 100, expected 0–100); fix the value or the scale"
                )
        se = g["se"]
        if (se < 0).any():
            failures.append(f'{where}, column "se": negative standard error(s) {list(se[se < 0])} (expected >= 0)')
        pop = g["population"]
        if (pop < 0).any():
            failures.append(f'{where}, column "population": negative value(s) {list(pop[pop < 0])} (expected counts >= 0)')
        if len(ordd) == 1 and ordd[0] == 1.0:
            order = g["subgroup_order"]
            if order.isna().any() or order.duplicated().any():
                failures.append(
                    f'{where}, column "subgroup_order": {list(order)} (an ordered dimension needs '
                    "a distinct order 1..n per subgroup, 1 = most disadvantaged)"
                )
            if need_counts and g["population"].notna().all() and len(g) > 2 and (pop <= 1).all():
                failures.append(
                    f'{where}, column "population": {list(pop)} look like population shares; SII and '
                    "RII need absolute counts (numbers of people), pass counts or drop SII/RII from measures"
                )
    if failures:
        raise SchemaError(f"input is not a valid HEAT Plus template ({len(failures)} problem(s))", failures)
    return data
