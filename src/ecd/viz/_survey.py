"""Survey points over time: a line only between rounds of the same survey design."""
from __future__ import annotations

import pandas as pd

from ecd.errors import ParameterError


def survey_lines(ax, df: pd.DataFrame, *, design: str = "design", x: str = "year", y: str = "value",
                 label: str | None = None, color=None, marker: str = "o", markersize: float = 4.0,
                 linestyle: str = ":", linewidth: float = 1.1):
    """Draw one indicator's survey points, joined only within a survey design (never across designs).

    Points of different surveys (a surveillance system and a one-off national
    survey, say) are not comparable rounds of one series, so no line joins
    them: each design's rounds are joined in year order by a thin line
    (``linestyle``), and every point keeps its marker. A design with a single
    round is a lone marker.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    df : pandas.DataFrame
        One indicator's points with columns ``x``, ``y`` and ``design`` (e.g. from
        :func:`ecd.compare.survey_design`).
    label : str, optional
        Legend label (given to the markers, once).
    color, marker, markersize, linestyle, linewidth
        Style; the lines share the markers' colour.

    Returns
    -------
    list of matplotlib.lines.Line2D
        The markers first, then one line per design with two or more rounds.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import ecd.viz
    >>> d = pd.DataFrame({"year": [1990, 1992, 1995, 2002], "value": [32.3, 38.0, 31.2, 21.8],
    ...                   "design": ["monitoring", "national survey", "monitoring", "national survey"]})
    >>> fig, ax = plt.subplots()
    >>> artists = ecd.viz.survey_lines(ax, d, label="生长迟缓率")
    >>> [a.get_xdata().tolist() for a in artists[1:]]  # 1990–1995 joined, 1992–2002 joined, never 1990–1992
    [[1990, 1995], [1992, 2002]]
    >>> plt.close(fig)
    """
    for col in (x, y, design):
        if col not in df.columns:
            raise ParameterError(col, f"column {col!r} not in the frame (columns: {list(df.columns)})")
    if df[design].isna().any():
        row = df.index[df[design].isna()][0]
        raise ParameterError(design, f"row {row!r} has no survey design; every point needs one")
    d = df.sort_values(x)
    (points,) = ax.plot(d[x].to_numpy(), d[y].to_numpy(dtype=float), linestyle="none", marker=marker,
                        markersize=markersize, color=color, label=label)
    artists = [points]
    for _, g in d.groupby(design, sort=False):
        if len(g) >= 2:
            (line,) = ax.plot(g[x].to_numpy(), g[y].to_numpy(dtype=float), linestyle=linestyle,
                              linewidth=linewidth, color=points.get_color())
            artists.append(line)
    return artists
