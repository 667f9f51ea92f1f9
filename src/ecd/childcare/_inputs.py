"""Adapters from the warehouse's long table to the childcare inputs."""
from __future__ import annotations

import pandas as pd

from ecd.errors import DataError


def population_from_birth_rate(births: pd.DataFrame, crude_birth_rate: pd.DataFrame) -> pd.DataFrame:
    """Total population implied by births and the crude birth rate of the same geo and year.

    ``population = births / (crude birth rate / 1,000)``. Only geo × year pairs
    with both inputs are returned (an inner join: nothing is interpolated).
    The result is a derived estimate; label it as such where it is shown.

    Parameters
    ----------
    births : DataFrame
        Columns ``geo, year, births``.
    crude_birth_rate : DataFrame
        Columns ``geo, year, crude_birth_rate`` (per 1,000 population).

    Returns
    -------
    DataFrame
        Columns ``geo, year, population`` in the unit of ``births``.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"geo": ["X", "X"], "year": [2022, 2023], "births": [10.0, 9.0]})
    >>> r = pd.DataFrame({"geo": ["X"], "year": [2023], "crude_birth_rate": [6.0]})
    >>> population_from_birth_rate(b, r).to_dict("records")
    [{'geo': 'X', 'year': 2023, 'population': 1500.0}]
    """
    for name, df, col in (("births", births, "births"), ("crude_birth_rate", crude_birth_rate, "crude_birth_rate")):
        missing = [c for c in ("geo", "year", col) if c not in df.columns]
        if missing:
            raise DataError(f"{name}: column(s) {missing} not found (have {list(df.columns)})")
    cbr = crude_birth_rate[["geo", "year", "crude_birth_rate"]]
    bad = cbr[~(pd.to_numeric(cbr["crude_birth_rate"], errors="coerce") > 0)]
    if len(bad):
        raise DataError(f"crude_birth_rate row {bad.index[0]!r}: {bad['crude_birth_rate'].iloc[0]!r} is not a positive "
                        "rate per 1,000 population; drop the row or fix the value")
    out = births[["geo", "year", "births"]].merge(cbr, on=["geo", "year"], how="inner", validate="one_to_one")
    out["population"] = out["births"] / (out["crude_birth_rate"] / 1000.0)
    return out[["geo", "year", "population"]].reset_index(drop=True)

