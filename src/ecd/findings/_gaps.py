"""Absolute and relative gaps between two groups: how each moved, and when they moved apart."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import DataError, ParameterError
from ecd.trends._rules import MIN_TREND_POINTS

from ._results import Fact, Finding, FindingsResult
from ._words import GAP_NOUNS, GAP_VERBS, difference_text, gap_direction, geo_label, ratio_text

_COLUMNS = ["indicator", "geo", "start", "end", "n_years", "d_start", "d_end", "r_start", "r_end",
            "d_direction", "r_direction", "divergent", "d_slope", "d_slope_low", "d_slope_high", "d_trend",
            "r_slope_pct", "r_slope_low", "r_slope_high", "r_trend"]


def _names(code, geo):
    from ecd.catalog._load import catalog_doc

    e = catalog_doc()["indicators"].get(code)
    return (e["name_zh"] if e else code), geo_label(geo)


def gap_directions(df: pd.DataFrame, *, groups=("urban", "rural"), start: int | None = None, end: int | None = None,
                   level: float = 0.95, min_points: int = MIN_TREND_POINTS) -> FindingsResult:
    """How the absolute gap (difference) and the relative gap (ratio) between two groups moved.

    For each indicator × geo, the difference ``D = b − a`` and the ratio ``R = b / a``
    of the second group over the first (default rural over urban) are compared
    between the first and the last year both groups have (or ``start``/``end``):
    each narrowed, widened, reversed or stayed the same. When they moved in
    opposite directions — the difference shrank while the ratio grew, as when
    both rates fall but the lower one falls faster — that is a finding, stated in
    Chinese. The linear trend over all years (:func:`ecd.inequality.gap_trend`, the
    same call chapter "城乡差距总览" tabulates) is added: its verdict, or that the
    series is too short for one (fewer than ``min_points`` years), so an endpoint
    comparison that a single year drives is not mistaken for a trend.

    Parameters
    ----------
    df : pandas.DataFrame
        Warehouse rows (``indicator, geo, area, year, value``), e.g.
        ``ecd.data.load("nmr", geo="CN-WEST", area=["urban", "rural"])``.
    groups : (str, str)
        The reference group and the compared group (values of ``area``).
    start, end : int, optional
        Years compared; default the first and last year with both groups.
    level : float
        Confidence level of the trend intervals.
    min_points : int
        Fewest years for a trend verdict (``ecd.trends.MIN_TREND_POINTS``).

    Returns
    -------
    FindingsResult
        ``tidy()``: one row per series with ``start, end, n_years, d_start, d_end,
        r_start, r_end, d_direction, r_direction`` (narrowed / widened / reversed /
        same), ``divergent`` and the trend columns ``d_slope, d_slope_low,
        d_slope_high, d_trend, r_slope_pct, r_slope_low, r_slope_high, r_trend``.
        ``findings``: one ``gap_divergence`` finding per divergent series.

    Raises
    ------
    ecd.errors.ParameterError
        A column is missing, or ``groups`` is not two areas.
    ecd.errors.DataError
        Two rows give one group of one series two values in one year.

    Examples
    --------
    SYNTHETIC rates: both fall, rural falls more slowly in relative terms.

    >>> import pandas as pd
    >>> from ecd.findings import gap_directions
    >>> rows = [("nmr", "CN-WEST", a, y, v) for y, u, r in [(1996, 18.6, 36.5), (2005, 11.1, 27.5), (2015, 4.1, 9.6)]
    ...         for a, v in (("urban", u), ("rural", r))]
    >>> res = gap_directions(pd.DataFrame(rows, columns=["indicator", "geo", "area", "year", "value"]))
    >>> res.tidy()[["d_direction", "r_direction", "divergent", "d_trend"]].to_dict("records")
    [{'d_direction': 'narrowed', 'r_direction': 'widened', 'divergent': True, 'd_trend': 'too few points'}]
    >>> print(res.findings[0].text_zh)
    西部新生儿死亡率的城乡差由1996年的17.9个千分点缩小至2015年的5.5个千分点，城乡比却由1.96倍扩大至2.34倍：绝对差距缩小，相对差距扩大（3个年份不足以判断逐年趋势）。
    """
    need = ["indicator", "geo", "area", "year", "value"]
    if not isinstance(df, pd.DataFrame):
        raise ParameterError("df", f"expected a pandas DataFrame, found {type(df).__name__}")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ParameterError("df", f"column(s) {missing} not found; the frame has {list(df.columns)}")
    if len(groups) != 2 or groups[0] == groups[1]:
        raise ParameterError("groups", f"expected two different areas (reference, compared), found {groups!r}")
    a, b = groups
    d = df[df["area"].isin(groups) & df["value"].notna()]
    rows, findings = [], []
    for (code, geo), g in d.groupby(["indicator", "geo"], sort=True):
        dup = g.duplicated(["area", "year"], keep=False)
        if dup.any():
            r = g[dup].iloc[0]
            raise DataError(f"gap_directions: {code} {geo} {r['area']} {int(r['year'])} has more than one value; "
                            "filter to one source first")
        p = g.pivot(index="year", columns="area", values="value").reindex(columns=[a, b]).dropna()
        p = p[(p[a] > 0) & (p[b] > 0)]
        if len(p) < 2:
            continue
        y0 = int(start) if start is not None else int(p.index.min())
        y1 = int(end) if end is not None else int(p.index.max())
        if y0 not in p.index or y1 not in p.index:
            raise ParameterError("start" if y0 not in p.index else "end",
                                 f"{code} {geo}: year {y0 if y0 not in p.index else y1} lacks {a} or {b} "
                                 f"(years with both: {[int(v) for v in p.index]})")
        span = p.loc[y0:y1]
        d0, d1 = p.loc[y0, b] - p.loc[y0, a], p.loc[y1, b] - p.loc[y1, a]
        r0, r1 = p.loc[y0, b] / p.loc[y0, a], p.loc[y1, b] / p.loc[y1, a]
        dd, rd = gap_direction(float(d0), float(d1)), gap_direction(float(r0), float(r1), null=1.0)
        trend = _trend(g[g["year"].between(y0, y1)], level, min_points)
        row = {"indicator": code, "geo": geo, "start": y0, "end": y1, "n_years": len(span),
               "d_start": float(d0), "d_end": float(d1), "r_start": float(r0), "r_end": float(r1),
               "d_direction": dd, "r_direction": rd,
               "divergent": {dd, rd} == {"narrowed", "widened"}, **trend}
        rows.append(row)
        if row["divergent"]:
            findings.append(_divergence(row))
    return FindingsResult(pd.DataFrame(rows, columns=_COLUMNS), tuple(findings))


def _trend(g: pd.DataFrame, level: float, min_points: int) -> dict:
    from ecd.inequality import from_warehouse, gap_trend

    t = gap_trend(from_warehouse(g, by="area"), conf_level=level, min_points=min_points).tidy()
    t = t[t["quantity"] == "slope"].set_index("measure")
    out = {}
    for m, prefix, slope in (("D", "d", "d_slope"), ("R", "r", "r_slope_pct")):
        if m in t.index:
            r = t.loc[m]
            out.update({slope: float(r["estimate"]), f"{prefix}_slope_low": float(r["ci_low"]),
                        f"{prefix}_slope_high": float(r["ci_high"]), f"{prefix}_trend": r["verdict"]})
        else:
            out.update({slope: np.nan, f"{prefix}_slope_low": np.nan, f"{prefix}_slope_high": np.nan,
                        f"{prefix}_trend": "undetermined"})
    return out


def _divergence(row: dict) -> Finding:
    from ecd.inequality import VERDICT_ZH

    code, geo = row["indicator"], row["geo"]
    name, geo_zh = _names(code, geo)
    d0, d1 = difference_text(row["d_start"], code), difference_text(row["d_end"], code)
    r0, r1 = ratio_text(row["r_start"]), ratio_text(row["r_end"])
    text = (f"{geo_zh}{name}的城乡差由{row['start']}年的{d0}{GAP_VERBS[row['d_direction']]}{row['end']}年的{d1}，"
            f"城乡比却由{r0}{GAP_VERBS[row['r_direction']]}{r1}：绝对差距{GAP_NOUNS[row['d_direction']]}，"
            f"相对差距{GAP_NOUNS[row['r_direction']]}")
    moved = {"narrowed": "narrowing", "widened": "widening"}[row["r_direction"]]
    if row["r_trend"] == "too few points":
        text += f"（{row['n_years']}个年份不足以判断逐年趋势）"
    elif row["r_trend"] != moved:
        text += (f"；但按逐年线性趋势，城乡比{VERDICT_ZH[row['r_trend']]}（年均变化{row['r_slope_pct']:.1f}%，"
                 f"95%置信区间{row['r_slope_low']:.1f}%至{row['r_slope_high']:.1f}%），"
                 f"首末年的比较受{row['end']}年单年数值影响")
    text += "。"
    q = f"{code}|{geo}"
    facts = {
        "start": Fact(row["start"], str(row["start"])), "end": Fact(row["end"], str(row["end"])),
        "d_start": Fact(row["d_start"], f"{row['d_start']:.1f}", f"{q}|rural-urban|{row['start']}|difference"),
        "d_end": Fact(row["d_end"], f"{row['d_end']:.1f}", f"{q}|rural-urban|{row['end']}|difference"),
        "r_start": Fact(row["r_start"], f"{row['r_start']:.2f}", f"{q}|rural/urban|{row['start']}|ratio"),
        "r_end": Fact(row["r_end"], f"{row['r_end']:.2f}", f"{q}|rural/urban|{row['end']}|ratio"),
        "d_word": Fact(row["d_direction"], GAP_NOUNS[row["d_direction"]]),
        "r_word": Fact(row["r_direction"], GAP_NOUNS[row["r_direction"]]),
        "r_trend": Fact(row["r_trend"], VERDICT_ZH[row["r_trend"]]),
    }
    return Finding(key=f"gap_divergence.{code}.{geo}", kind="gap_divergence", indicator=code, geo=geo,
                   text_zh=text, facts=facts)
