"""One province's available data, with the expected cells that are missing made explicit."""
from __future__ import annotations

import pandas as pd

from ecd.errors import ParameterError

_COLUMNS = ["indicator", "year", "value", "unit", "source_id", "status"]


def profile(data: pd.DataFrame, geo: str, expected: dict | None = None, *, area: str = "total") -> pd.DataFrame:
    """Every value the warehouse holds for ``geo``, plus a row per expected but missing cell.

    Parameters
    ----------
    data : DataFrame
        Warehouse rows (columns ``indicator, geo, area, year, value, unit, source_id``).
    geo : str
        The geography, e.g. ``"CN-BJ"``.
    expected : dict, optional
        ``{indicator: [years]}`` that a reader expects to see; absent cells
        come back with ``status="missing"`` and NaN ``value`` (shown as 无数据),
        never filled in.
    area : str, default "total"
        Area kept (other areas are dropped).

    Returns
    -------
    DataFrame
        Columns ``indicator, year, value, unit, source_id, status``
        (``status`` is ``"reported"`` or ``"missing"``), sorted by indicator and year.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"indicator": ["b"], "geo": ["A"], "area": ["total"], "year": [2022], "value": [1.0],
    ...                   "unit": ["u"], "source_id": ["s"]})
    >>> profile(d, "A", {"b": [2021, 2022]})[["year", "status"]].to_dict("records")
    [{'year': 2021, 'status': 'missing'}, {'year': 2022, 'status': 'reported'}]
    """
    if not isinstance(geo, str) or not geo:
        raise ParameterError("geo", f"{geo!r}: expected a geography code such as 'CN-BJ'")
    d = data[(data["geo"] == geo) & (data["area"] == area)]
    got = d[["indicator", "year", "value", "unit", "source_id"]].assign(status="reported")
    rows = []
    have = set(zip(got["indicator"], got["year"]))
    for ind, years in (expected or {}).items():
        for y in years:
            if (ind, int(y)) not in have:
                rows.append({"indicator": ind, "year": int(y), "value": float("nan"), "unit": "",
                             "source_id": "", "status": "missing"})
    out = pd.concat([got, pd.DataFrame(rows, columns=_COLUMNS)], ignore_index=True) if rows else got
    out = out.astype({"year": "int64"})
    return out[_COLUMNS].sort_values(["indicator", "year", "source_id"]).reset_index(drop=True)
