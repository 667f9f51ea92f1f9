from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ecd.viz._theme import AREA_LABELS_ZH, REGION_LABELS_ZH


def urban_rural_panels(df: pd.DataFrame, *, geos: list[str], ylabel: str, title: str | None = None,
                       geo_labels: dict | None = None, sharey: bool = True):
    """One panel per geography with urban and rural lines over years.

    ``df`` is a tidy frame with ``geo, area, year, value`` (one indicator).
    Missing years are left as gaps (never interpolated). A thin wrapper of
    :func:`area_small_multiples` with ``panel="geo"`` in one row.
    """
    labels = {**REGION_LABELS_ZH, **(geo_labels or {})}
    return area_small_multiples(df, panel="geo", panels=geos, titles=labels, ylabel=ylabel, title=title,
                                areas=("urban", "rural"), ncols=len(geos), sharey=sharey)


def area_small_multiples(df: pd.DataFrame, *, panel: str = "indicator", panels: list | None = None,
                         titles: dict | None = None, areas=("urban", "rural", "total"), ylabel: str | dict = "",
                         title: str | None = None, ncols: int = 3, sharey: bool = False, panel_size=(3.4, 2.8)):
    """Small multiples by area: one panel per ``panel`` value, one line per area (城市/农村/合计).

    Lines break across missing years (:func:`year_lines`); every area keeps
    its colour, line style and marker in every panel (``AREA_STYLES``) and
    one legend below the panels names them.

    Parameters
    ----------
    df : DataFrame
        Tidy rows with ``year, value, area`` and the ``panel`` column.
    panel : str, default "indicator"
        Column whose values get a panel each (e.g. ``"geo"``).
    panels : list, optional
        Panels in order (default: order of appearance).
    titles : dict, optional
        Panel title of each panel value.
    areas : sequence, default ("urban", "rural", "total")
        Areas drawn, in legend order (absent ones are skipped).
    ylabel : str or dict
        The y-axis label, or one per panel value.
    ncols : int, default 3

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import ecd.viz
    >>> d = pd.DataFrame({"indicator": "nmr", "area": ["urban", "rural"] * 2, "year": [2000, 2000, 2001, 2001],
    ...                   "value": [10.0, 20.0, 9.0, 18.0]})
    >>> fig = ecd.viz.area_small_multiples(d, titles={"nmr": "新生儿死亡率"}, ylabel="‰")
    >>> [t.get_text() for t in fig.legends[0].get_texts()]
    ['城市', '农村']
    >>> plt.close(fig)
    """
    import math

    from ecd.errors import ParameterError
    from ecd.viz._theme import AREA_STYLES

    for col in (panel, "area", "year", "value"):
        if col not in df.columns:
            raise ParameterError(col, f"column {col!r} not in the frame (columns: {list(df.columns)})")
    panels = list(panels) if panels is not None else list(dict.fromkeys(df[panel]))
    if not panels:
        raise ParameterError("panels", "nothing to draw: the frame has no rows")
    ncols = max(1, min(ncols, len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols + 0.4, panel_size[1] * nrows + 0.5),
                             sharey=sharey, squeeze=False)
    drawn = {}
    for ax, key in zip(axes.flat, panels):
        sub = df[(df[panel] == key) & df["area"].isin(areas)]
        lines = year_lines(ax, sub, by="area", order=[a for a in areas], labels=AREA_LABELS_ZH,
                           styles={a: AREA_STYLES.get(a, {}) for a in areas}, markersize=2.8)
        for line in lines:
            drawn.setdefault(line.get_label(), line)
        ax.set_title((titles or {}).get(key, str(key)), fontsize=10)
        ax.set_xlabel("年份", fontsize=9)
        ax.tick_params(labelsize=8)
        yl = ylabel.get(key, "") if isinstance(ylabel, dict) else ylabel
        if yl and (isinstance(ylabel, dict) or not sharey or ax in axes[:, 0]):
            ax.set_ylabel(yl, fontsize=9)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    order = [AREA_LABELS_ZH.get(a, a) for a in areas if AREA_LABELS_ZH.get(a, a) in drawn]
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07 if nrows == 1 else 0.04, 1, 1))
    fig.legend([drawn[k] for k in order], order, loc="lower center", ncol=len(order), frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return fig


def province_ranking(values: pd.Series, *, ax=None, national: float | None = None, highlight: list | None = None,
                     xlabel: str = "", fmt: str = "{:g}", coverage: bool = False, names: dict | None = None):
    """Provinces ranked by one indicator, highest at the top, with the national value as a reference line.

    Dots (a Cleveland dot plot) by default; bars only when ``coverage=True``,
    for rates of coverage, whose bars read as a share of everyone. Each
    value is written beside its dot; provinces without data are left out
    and named in the x-axis label.

    Parameters
    ----------
    values : Series
        Values indexed by province code (``CN-BJ`` …); NaN = no data.
    ax : Axes, optional
        Drawn here, else a new figure sized to the number of provinces.
    national : float, optional
        The national value, drawn as a dashed line named in the legend.
    highlight : list, optional
        Province codes drawn in the accent colour.
    names : dict, optional
        Label of each code (default: the catalog's Chinese names).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import ecd.viz
    >>> v = pd.Series({"CN-BJ": 5.7, "CN-GD": 8.3, "CN-XZ": 14.2})
    >>> fig = ecd.viz.province_ranking(v, national=6.8, xlabel="‰")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]   # bottom to top
    ['北京', '广东', '西藏']
    >>> plt.close(fig)
    """
    import numpy as np

    from ecd.errors import ParameterError
    from ecd.viz._theme import PALETTE

    if not isinstance(values, pd.Series):
        raise ParameterError("values", f"expected a pandas Series indexed by province code, got {type(values).__name__}")
    if names is None:
        import ecd.catalog

        names = {g: ecd.catalog.geo_name(g) for g in values.index}
    missing = [names.get(g, g) for g in values.index[values.isna()]]
    v = values.dropna().astype(float).sort_values(ascending=True)
    if v.empty:
        raise ParameterError("values", "no province has a value; nothing to rank")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 0.21 * len(v) + 1.3))
    else:
        fig = ax.figure
    pos = np.arange(len(v))
    hi = set(highlight or [])
    colors = [PALETTE[1] if g in hi else PALETTE[0] for g in v.index]
    if coverage:
        ax.barh(pos, v.to_numpy(), color=colors, height=0.65)
    else:
        left = min(0.0, float(v.min())) if v.min() >= 0 and v.min() < 0.25 * v.max() else float(v.min())
        ax.hlines(pos, left, v.to_numpy(), color="#cccccc", linewidth=0.8)
        ax.scatter(v.to_numpy(), pos, color=colors, s=18, zorder=3)
    span = float(v.max() - min(0.0, float(v.min())))
    for p, val in zip(pos, v.to_numpy()):
        ax.annotate(fmt.format(val), (val, p), xytext=(4, 0), textcoords="offset points", va="center", fontsize=7)
    ax.set_yticks(pos, [names.get(g, g) for g in v.index], fontsize=8)
    ax.set_ylim(-0.7, len(v) - 0.3)
    ax.set_xlim(right=float(v.max()) + 0.12 * span)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="x", labelsize=8)
    handles = []
    if national is not None and np.isfinite(national):
        handles.append(ax.axvline(national, color="#444444", linestyle="--", linewidth=1,
                                  label=f"全国：{fmt.format(national)}"))
    if hi:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color=PALETTE[1], marker="o", linestyle="none", label="本省"))
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=True, framealpha=0.9, edgecolor="none")
    label = xlabel
    if missing:
        label += ("；" if label else "") + "无数据：" + "、".join(missing)
    ax.set_xlabel(label, fontsize=9)
    return fig


def official_vs_modelled(official: pd.DataFrame, modelled: pd.DataFrame, *, indicators: list[str], titles: dict,
                         ylabel: str = "", targets: dict | None = None, ncols: int = 2):
    """Small multiples: a modelled series as a line, official figures as points, targets as dashed lines.

    ``official`` and ``modelled`` are tidy frames (``indicator, year, value``);
    ``modelled`` uses the same indicator codes as ``official`` (rename before).
    ``targets`` maps an indicator to ``[(year, value, label), ...]``.
    """
    import math

    nrows = math.ceil(len(indicators) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.2 * nrows), squeeze=False)
    for ax, code in zip(axes.flat, indicators):
        mod = modelled[modelled["indicator"] == code].sort_values("year")
        off = official[official["indicator"] == code].sort_values("year")
        if not mod.empty:
            ax.plot(mod["year"], mod["value"], color="#7f8c8d", linewidth=1.6, label="联合国机构模型估计")
        if not off.empty:
            ax.plot(off["year"], off["value"], linestyle="none", marker="o", markersize=3.5, color="#c0392b",
                    label="国家卫生健康委官方数据")
        # targets are named in the panel's legend, not written on the plot: two targets of close value
        # (a 2025 and a 2030 target) would otherwise print their labels over each other
        for k, (year, value, label) in enumerate((targets or {}).get(code, [])):
            ax.axhline(value, color="#27ae60", linestyle=("--", ":", "-.")[k % 3], linewidth=1.0, label=label)
        ax.set_title(titles.get(code, code))
        ax.set_ylabel(ylabel)
        target_lines = [h for h in ax.get_lines() if h.get_label() not in ("联合国机构模型估计", "国家卫生健康委官方数据")]
        if target_lines:
            ax.legend(handles=target_lines, loc="upper right", fontsize=7.5)
    for ax in list(axes.flat)[len(indicators):]:
        ax.set_visible(False)
    series = {}
    for ax in axes.flat:
        for h in ax.get_lines():
            if h.get_label() in ("联合国机构模型估计", "国家卫生健康委官方数据"):
                series.setdefault(h.get_label(), h)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.legend(list(series.values()), list(series), loc="lower center", ncol=len(series), fontsize=8.5, frameon=False)
    return fig


def _integer_years(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))


def year_lines(ax, df: pd.DataFrame, *, by: str | None = None, x: str = "year", y: str = "value",
               labels: dict | None = None, order: list | None = None, styles: dict | None = None,
               markersize: float = 3.5, linewidth: float = 1.4):
    """Series over integer years on ``ax``, a line broken wherever a year has no data.

    Points in consecutive years are joined; a missing year leaves a gap, so
    no straight line is drawn across years without data (a lone observation
    shows as its marker). The x axis gets integer year ticks. Every series
    gets a legend label when ``by`` is given.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    df : DataFrame
        Tidy rows with columns ``x`` (integer years) and ``y``, and ``by`` if given.
    by : str, optional
        Column that splits the rows into series (one line each).
    labels : dict, optional
        Legend label of each series value (default: the value itself).
    order : list, optional
        Series in drawing (and legend) order; default: first appearance.
    styles : dict, optional
        ``{series: {plot kwargs}}``; series without one get ``ecd.viz.styles`` in order.

    Returns
    -------
    list of matplotlib.lines.Line2D
        One line per series drawn.

    Raises
    ------
    ecd.errors.ParameterError
        A named column is missing, or ``x`` holds non-integer years, or a
        series has two values for one year.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import ecd.viz
    >>> fig, ax = plt.subplots()
    >>> d = pd.DataFrame({"year": [1990, 2006, 2007], "value": [36.0, 84.5, 86.0]})
    >>> (line,) = ecd.viz.year_lines(ax, d)
    >>> line.get_ydata().tolist()[:3]   # 1991–2005 are gaps, not a straight line
    [36.0, nan, nan]
    >>> plt.close(fig)
    """
    import numpy as np

    from ecd.errors import ParameterError
    from ecd.viz._theme import styles as _styles

    for col in [c for c in (x, y, by) if c is not None]:
        if col not in df.columns:
            raise ParameterError(col, f"column {col!r} not in the frame (columns: {list(df.columns)})")
    years = pd.to_numeric(df[x], errors="coerce")
    if years.isna().any() or not np.allclose(years, years.round()):
        bad = df.loc[years.isna() | (years != years.round()), x].iloc[0]
        raise ParameterError(x, f"{bad!r} is not a whole year; year_lines draws integer years")
    groups = [(None, df)] if by is None else list(df.groupby(by, sort=False))
    if order is not None and by is not None:
        have = dict(groups)
        groups = [(k, have[k]) for k in order if k in have]
    auto = _styles(len(groups))
    lines = []
    for i, (key, sub) in enumerate(groups):
        s = sub.assign(**{x: sub[x].astype(int)})
        if s[x].duplicated().any():
            dup = int(s.loc[s[x].duplicated(), x].iloc[0])
            raise ParameterError(y, f"series {key!r} has more than one value for {dup}; filter to one per year first")
        s = s.set_index(x)[y].sort_index()
        full = s.reindex(range(int(s.index.min()), int(s.index.max()) + 1))
        kw = {"markersize": markersize, "linewidth": linewidth, **auto[i], **((styles or {}).get(key, {}))}
        if key is not None:
            kw.setdefault("label", (labels or {}).get(key, str(key)))
        (line,) = ax.plot(full.index.to_numpy(), full.to_numpy(dtype=float), **kw)
        lines.append(line)
    _integer_years(ax)
    return lines


def log_axis(ax, *, axis: str = "y", subs=(1.0, 2.0, 5.0)) -> None:
    """A log scale whose labels stay apart: ticks at 1-2-5 of each decade, unlabelled minor ticks.

    Matplotlib's default log axis labels minor ticks (6, 7, 8, 9) when a
    decade is short, and those labels overprint; this keeps them as ticks.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import ecd.viz
    >>> fig, ax = plt.subplots(figsize=(4, 2))
    >>> _ = ax.plot([1991, 2024], [33.1, 2.5])
    >>> ecd.viz.log_axis(ax)
    >>> ecd.viz.text_overlaps(fig)
    []
    >>> plt.close(fig)
    """
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_locator(LogLocator(base=10, subs=subs))
    target.set_major_formatter(FormatStrFormatter("%g"))
    target.set_minor_formatter(NullFormatter())
