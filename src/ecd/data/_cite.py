"""Source lines for figures, tables and glued numbers, built from the rows actually shown."""
from __future__ import annotations

import pandas as pd

from ecd.errors import ParameterError


def source_line(df: pd.DataFrame) -> str:
    """A source line for the rows of ``df``: each original publication once, marked for the book.

    The line holds one token per publication (sorted by year, with the number
    of rows drawn from it); the book's
    renderer prints each in GB/T 7714 form linked to the chapter's 参考文献, so
    lines may be joined (``source_line(a) + "；" + source_line(b)``) or passed
    as ``source=`` / ``origin=``. Passing the rows themselves does the same.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows from :func:`ecd.data.load` (needs the ``publication`` column).

    Returns
    -------
    str

    Raises
    ------
    ecd.errors.ParameterError
        Rows without a ``publication`` column or a row without a publication.

    Examples
    --------
    >>> import ecd.data
    >>> ecd.data.source_line(ecd.data.load("imr", geo="CN", area="total", years=(2022, 2023)))
    '⟦pub:nhc_bulletin_2022:1⟧；⟦pub:nhc_bulletin_2023:1⟧'
    """
    from ecd.book._sources import gather, pub_token

    if not isinstance(df, pd.DataFrame):
        raise ParameterError("df", f"expected rows from ecd.data.load() (a DataFrame), found {type(df).__name__}")
    return "；".join(pub_token(p["key"], p.get("rows", 0)) for p in gather(df, "df").pubs)
