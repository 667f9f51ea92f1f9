"""From the warehouse's tidy table to the HEAT Plus template."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ecd.errors import ParameterError, SchemaError

_WAREHOUSE_REQUIRED = ["indicator", "geo", "area", "year", "value"]
RESIDENCE = "Place of residence"


def _scale_from_unit(unit: str) -> float:
    u = str(unit).strip().lower()
    if u.startswith("percent") or u.startswith("%"):
        return 100.0
    for token, value in (("per 100000", 1e5), ("per 100 000", 1e5), ("per 10000", 1e4),
                         ("per 1000", 1e3), ("per 100", 100.0)):
        if u.startswith(token):
            return value
    return 1.0


def _directions(indicators, favourable) -> dict[str, int]:
    if isinstance(favourable, (bool, int, np.integer)) and not isinstance(favourable, Mapping):
        return {i: int(bool(favourable)) for i in indicators}
    given = dict(favourable or {})
    out = {}
    missing = [i for i in indicators if i not in given]
    catalog = None
    if missing:
        try:
            from ecd.catalog import indicators as _catalog

            catalog = _catalog().set_index("code")["direction"]
        except Exception:  # the catalog is optional here: explicit directions suffice
            catalog = pd.Series(dtype=object)
    for i in indicators:
        if i in given:
            out[i] = int(bool(given[i]))
            continue
        d = catalog.get(i) if catalog is not None else None
        if d == "favourable":
            out[i] = 1
        elif d == "adverse":
            out[i] = 0
        else:
            raise ParameterError(
                "favourable",
                f"indicator {i!r} has direction {d!r} in the catalog (expected 'favourable' or "
                f"'adverse'); pass favourable={{{i!r}: True/False}}",
            )
    return out


def from_warehouse(
    tidy: pd.DataFrame,
    by: str = "area",
    *,
    favourable: bool | Mapping[str, bool] | None = None,
    indicator_scale: float | Mapping[str, float] | None = None,
    reference: str | None = "urban",
    setting: str = "CN",
) -> pd.DataFrame:
    """Convert a warehouse table (``ecd.data.load``) to the HEAT Plus template.

    Parameters
    ----------
    tidy : pandas.DataFrame
        Columns ``indicator, geo, area, year, value`` and optionally ``unit,
        source_id, se, ci_low, ci_high, population``.
    by : {"area", "geo"}
        ``"area"``: urban/rural become the binary dimension "Place of residence"
        within each geo (the setting), with ``reference`` as reference subgroup and
        the ``total`` row (if any) as setting average. ``"geo"``: the geos (provinces
        or regions) become the subgroups of a non-ordered dimension "Region" within
        each area; ``setting`` names the setting.
    favourable : bool or mapping, optional
        Direction per indicator (True = higher is better). Default: the catalog's
        ``direction`` column (``ecd.catalog.indicators()``).
    indicator_scale : float or mapping, optional
        Default: from ``unit`` (percent → 100, per 1000 → 1000, per 100000 → 1e5,
        else 1).
    reference : str or None
        Reference subgroup for ``by="area"``.
    setting : str
        Setting label for ``by="geo"``.

    Returns
    -------
    pandas.DataFrame
        In HEAT Plus template columns, ready for :func:`summarize`. Standard errors
        are taken from ``se`` or derived from ``ci_low``/``ci_high``; where neither
        exists they stay missing (no SE is ever invented).

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.inequality as ineq
    >>> wh = pd.DataFrame({"indicator": "nmr", "geo": "CN-WEST", "area": ["urban", "rural"],
    ...                    "year": 2015, "value": [4.1, 7.9], "unit": "per 1000 live births",
    ...                    "source_id": "mchss"})
    >>> t = ineq.from_warehouse(wh, favourable=False)
    >>> t["subgroup"].tolist(), t["reference_subgroup"].tolist(), float(t["indicator_scale"].iloc[0])
    (['urban', 'rural'], [1, 0], 1000.0)
    """
    if by not in ("area", "geo"):
        raise ParameterError("by", f"{by!r}; expected 'area' (urban/rural) or 'geo' (regions/provinces)")
    missing = [c for c in _WAREHOUSE_REQUIRED if c not in tidy.columns]
    if missing:
        raise SchemaError(f"warehouse table lacks column(s) {missing}; expected {_WAREHOUSE_REQUIRED} as returned by ecd.data.load()")
    w = tidy.copy()
    for c in ("unit", "source_id"):
        if c not in w.columns:
            w[c] = "" if c == "unit" else "unknown"
    for c in ("se", "ci_low", "ci_high", "population"):
        if c not in w.columns:
            w[c] = np.nan
        w[c] = pd.to_numeric(w[c], errors="coerce").astype("float64")
    derive = w["se"].isna() & w["ci_low"].notna() & w["ci_high"].notna()
    w.loc[derive, "se"] = (w.loc[derive, "ci_high"] - w.loc[derive, "ci_low"]) / (2 * 1.959964)
    w["area"] = w["area"].astype(str).str.lower()
    fav = _directions(sorted(w["indicator"].unique()), favourable)
    if isinstance(indicator_scale, Mapping):
        scale = {i: float(indicator_scale.get(i, np.nan)) for i in w["indicator"].unique()}
    elif indicator_scale is not None:
        scale = {i: float(indicator_scale) for i in w["indicator"].unique()}
    else:
        scale = {}
    def _scale(row_ind, unit):
        s = scale.get(row_ind)
        return s if s is not None and np.isfinite(s) else _scale_from_unit(unit)

    if by == "area":
        total = w.loc[w["area"] == "total", ["indicator", "geo", "year", "source_id", "value"]]
        total = total.rename(columns={"value": "setting_average"})
        sub = w.loc[w["area"].isin(["urban", "rural"])].copy()
        sub = sub.merge(total, on=["indicator", "geo", "year", "source_id"], how="left")
        out = pd.DataFrame({
            "setting": sub["geo"], "date": sub["year"], "source": sub["source_id"],
            "indicator_abbr": sub["indicator"], "indicator_name": sub["indicator"],
            "dimension": RESIDENCE, "subgroup": sub["area"],
            "subgroup_order": 0,
            "reference_subgroup": (sub["area"] == reference).astype(int) if reference else 0,
            "setting_average": sub["setting_average"],
        })
    else:
        sub = w.loc[~w["geo"].isin(["CN"])].copy()
        out = pd.DataFrame({
            "setting": setting + np.where(sub["area"] == "total", "", " (" + sub["area"] + ")"),
            "date": sub["year"], "source": sub["source_id"],
            "indicator_abbr": sub["indicator"], "indicator_name": sub["indicator"],
            "dimension": "Region", "subgroup": sub["geo"], "subgroup_order": 0,
            "reference_subgroup": 0, "setting_average": np.nan,
        })
    out["estimate"] = pd.to_numeric(sub["value"], errors="coerce").to_numpy()
    out["se"] = sub["se"].to_numpy()
    out["population"] = sub["population"].to_numpy()
    out["favourable_indicator"] = sub["indicator"].map(fav).to_numpy()
    out["indicator_scale"] = [_scale(i, u) for i, u in zip(sub["indicator"], sub["unit"])]
    out["ordered_dimension"] = 0
    return out.reset_index(drop=True)
