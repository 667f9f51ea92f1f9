"""Short source lines for figures and tables, built from the rows actually shown."""
from __future__ import annotations

import pandas as pd


def source_line(df: pd.DataFrame, max_citations: int = 1) -> str:
    """A one-line source for the rows of ``df``: each source's producer and title.

    A source whose rows carry at most ``max_citations`` distinct citations lists
    them; otherwise the line counts them and points to the data appendix, where
    every citation is listed.

    Examples
    --------
    >>> import ecd.data
    >>> ecd.data.source_line(ecd.data.load("nmr", geo="CN-WEST", years=(2015, 2015)))[:40]
    'China Maternal and Child Health Surveill'
    """
    from ecd.data._load import origins

    o = origins(df)
    parts = []
    for sid, grp in o.groupby("source_id", sort=True):
        head = f"{grp['producer'].iloc[0]}: {grp['title'].iloc[0]}"
        cites = sorted(set(grp["citation"]))
        if len(cites) <= max_citations:
            head += " — " + "; ".join(cites)
        else:
            head += f"（{len(cites)} 个发布页面，逐条出处见数据附录）"
        parts.append(head)
    return "；".join(parts)
