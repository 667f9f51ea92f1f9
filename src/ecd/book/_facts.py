"""From a tidy result to named glued facts, with the direction words chosen from the data.

A chapter notebook states its analysis; these helpers do the bookkeeping that
used to take dozens of ``glue`` lines: the first and last value of a series and
whether it fell or rose (降至/升至), a row per name from a table, and every
finding of :mod:`ecd.findings` with the facts behind it. Each glued number
carries a quantity id, so the book can check that two chapters never state
different values for one quantity.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from ecd.book._display import glue
from ecd.errors import ParameterError


def quantity(indicator: str, geo: str | None = None, area: str | None = None, year=None,
             measure: str = "value") -> str:
    """The id of a quantity: what a number IS, independent of the chapter that states it.

    Examples
    --------
    >>> from ecd.book import quantity
    >>> quantity("u5mr", "CN", "total", 2024)
    'u5mr|CN|total|2024|value'
    >>> quantity("nmr", "CN-WEST", year=2015, measure="ratio")
    'nmr|CN-WEST|2015|ratio'
    """
    parts = [indicator, geo, area, None if year is None else str(int(year)), measure]
    return "|".join(str(p) for p in parts if p is not None)


def _row_quantity(row: Mapping, year, measure: str = "value") -> str | None:
    if "indicator" not in row:
        return None
    return quantity(row["indicator"], row.get("geo"), row.get("area"), year, measure)


def glue_change(name: str, df: pd.DataFrame, *, fmt: str = "{:.1f}", origin: str | None = None,
                unit: str | None = None, start=None, end=None, year: str = "year", value: str = "value") -> dict:
    """Glue how one series moved from its first to its last year, with the words chosen from the data.

    Glues ``{name}_first_year``, ``{name}_first``, ``{name}_last_year``,
    ``{name}_last``, ``{name}_verb`` (降至 / 升至 / 仍为), ``{name}_change_word``
    (下降 / 上升 / 持平) and ``{name}_change_pct`` (the relative change in %, without
    sign: the word carries the direction). Values compare as formatted, so a
    series shown as 4.5 and 4.5 "remained" (仍为) rather than "fell".

    Parameters
    ----------
    name : str
        Prefix of the glued names.
    df : pandas.DataFrame
        One series (one row per year); with ``indicator``/``geo``/``area``
        columns the values get quantity ids.
    fmt : str
        Format of the values.
    origin, unit : str, optional
        As in :func:`glue`.
    start, end : int, optional
        Compare these years instead of the first and last.

    Returns
    -------
    dict
        The glued texts by name.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.book import glue_change
    >>> s = pd.DataFrame({"year": [1991, 2024], "value": [61.0, 5.6]})
    >>> texts = glue_change("u5mr", s)
    u5mr_first_year = 1991
    u5mr_first = 61.0
    u5mr_last_year = 2024
    u5mr_last = 5.6
    u5mr_verb = 降至
    u5mr_change_word = 下降
    u5mr_change_pct = 91
    """
    for col in (year, value):
        if col not in df.columns:
            raise ParameterError("df", f"glue_change({name!r}): column {col!r} not in the frame ({list(df.columns)})")
    s = df.dropna(subset=[value]).sort_values(year)
    if s[year].duplicated().any():
        raise ParameterError("df", f"glue_change({name!r}): more than one row for year "
                                   f"{int(s.loc[s[year].duplicated(), year].iloc[0])}; pass one series")
    if len(s) < 2:
        raise ParameterError("df", f"glue_change({name!r}): needs two years with a value, found {len(s)}")
    first = s[s[year] == start].iloc[0] if start is not None else s.iloc[0]
    last = s[s[year] == end].iloc[0] if end is not None else s.iloc[-1]
    a, b = float(first[value]), float(last[value])
    words = change_words(a, b, fmt)
    out = {
        f"{name}_first_year": glue(f"{name}_first_year", int(first[year]), fmt="{}"),
        f"{name}_first": glue(f"{name}_first", a, fmt=fmt, origin=origin, unit=unit,
                              quantity=_row_quantity(first, first[year])),
        f"{name}_last_year": glue(f"{name}_last_year", int(last[year]), fmt="{}"),
        f"{name}_last": glue(f"{name}_last", b, fmt=fmt, origin=origin, unit=unit,
                             quantity=_row_quantity(last, last[year])),
        f"{name}_verb": glue(f"{name}_verb", words["verb"]),
        f"{name}_change_word": glue(f"{name}_change_word", words["noun"]),
    }
    if a != 0:
        out[f"{name}_change_pct"] = glue(f"{name}_change_pct", abs(100 * (b / a - 1)), fmt="{:.0f}", origin=origin)
    return out


def fmt_values(values, fmt: str = "{:.1f}"):
    """Numbers as the book prints them: formatted text, missing values kept missing (shown as "—").

    Tables must round the way glued prose does. ``DataFrame.round`` rounds a
    binary tie like 5.45 (stored as 5.4500000000000002) to 5.4 while ``"{:.1f}"``
    gives 5.5, so a table and its sentence would disagree; format table columns
    with this instead.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.book import fmt_values
    >>> fmt_values(pd.Series([9.56 - 4.11, None, 2.0])).fillna("—").tolist()
    ['5.5', '—', '2.0']
    """
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    return s.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v))


def change_words(first: float, last: float, fmt: str = "{:.1f}", gap: str | None = None) -> dict:
    """The words for a move from ``first`` to ``last``, judged on the values as formatted.

    ``{"verb": 降至|升至|仍为, "noun": 下降|上升|持平, "direction": ...}`` for a level;
    with ``gap="difference"`` or ``gap="ratio"`` (a gap between groups, 0 or 1 meaning
    none) ``{"verb": 缩小至|扩大至|保持在|反转为, "noun": 缩小|扩大|不变|反转, ...}``.

    Examples
    --------
    >>> from ecd.book import change_words
    >>> change_words(61.0, 5.6)["verb"], change_words(4.5, 4.54)["verb"]
    ('降至', '仍为')
    >>> change_words(1.96, 2.33, "{:.2f}", gap="ratio")["noun"], change_words(17.8, 5.5, gap="difference")["verb"]
    ('扩大', '缩小至')
    """
    from ecd.findings._words import GAP_NOUNS, GAP_VERBS, LEVEL_NOUNS, LEVEL_VERBS, direction, gap_direction

    a, b = float(fmt.format(first).replace(",", "")), float(fmt.format(last).replace(",", ""))
    if gap is None:
        d = direction(a, b)
        return {"verb": LEVEL_VERBS[d], "noun": LEVEL_NOUNS[d], "direction": d}
    if gap not in ("difference", "ratio"):
        raise ParameterError("gap", f"expected None, 'difference' or 'ratio', found {gap!r}")
    d = gap_direction(a, b, null=1.0 if gap == "ratio" else 0.0)
    return {"verb": GAP_VERBS[d], "noun": GAP_NOUNS[d], "direction": d}


def glue_table(df: pd.DataFrame, name: str, *, value: str = "value", fmt: str | None = None,
               origin=None, unit: str | None = None, quantity: str | None = None) -> dict:
    """Glue one number per row of a tidy table, the name (and quantity id) formatted from the row.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy result (e.g. ``result.tidy()`` filtered to the rows the prose states).
    name : str
        ``str.format`` pattern over the row's columns, e.g. ``"ineq_d_{indicator_abbr}"``.
    value : str
        The column glued.
    fmt, unit : str, optional
        As in :func:`glue`.
    origin : str, rows or list, optional
        As in :func:`glue` (rows drawn, source-line tokens, :func:`cite` marks,
        or a list of them; every glued number of the table shows them). A str is
        also a pattern over the row (``"{...}"`` fields are filled from it).
    quantity : str, optional
        Pattern of the quantity id over the row, e.g. ``"{indicator_abbr}|CN|{date}|D"``.

    Returns
    -------
    dict
        The glued texts by name.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.book import glue_table
    >>> t = pd.DataFrame({"indicator": ["nmr", "u5mr"], "estimate": [1.4, 3.2]})
    >>> glue_table(t, "d_{indicator}", value="estimate", fmt="{:.1f}", quantity="{indicator}|CN|D")
    d_nmr = 1.4
    d_u5mr = 3.2
    {'d_nmr': '1.4', 'd_u5mr': '3.2'}
    """
    out = {}
    for row in df.to_dict("records"):
        try:
            n = name.format(**row)
            q = quantity.format(**row) if quantity else None
            o = origin.format(**row) if isinstance(origin, str) else origin
        except KeyError as e:
            raise ParameterError("name", f"glue_table: the pattern names column {e.args[0]!r}, which the table lacks "
                                         f"(columns: {list(df.columns)})") from None
        v = row[value]
        if isinstance(v, float) and not math.isfinite(v):
            raise ParameterError(value, f"glue_table: row {n!r} has no value; filter the rows the prose states")
        out[n] = glue(n, v, fmt=fmt, origin=o, unit=unit, quantity=q)
    return out


def glue_findings(findings: Iterable, name: str, *, none: str | None = None, origin: str | None = None,
                  facts: bool = True, required: bool = True) -> str:
    """Glue the sentences of a set of findings as one text ``{{name}}``, which the prose must state.

    The glued text is marked as findings: the book refuses a chapter whose prose
    does not show ``{{name}}``, so a widening gap or a pending target the data
    show cannot go unsaid. Which findings there are depends on the data (a new
    edition may add one), so they are glued under one fixed name, joined in order.

    Parameters
    ----------
    findings : iterable of ecd.findings.Finding
        E.g. a :class:`ecd.findings.FindingsResult` or a list of findings.
    name : str
        The glue name the prose uses.
    none : str, optional
        The sentence shown when there is no finding; without it an empty set of
        findings is an error (the chapter meant to state one).
    origin : str, optional
        Source shown on hover.
    facts : bool
        Also glue each finding's facts as ``{finding name}__{fact}`` with their
        quantity ids (so the book can check them against other chapters).
    required : bool
        ``False`` for a text glued for other chapters to cite
        (``{{chapter-id:name}}``) that this chapter's prose need not repeat.

    Returns
    -------
    str
        The glued text.

    Examples
    --------
    >>> from ecd.book import glue_findings
    >>> from ecd.findings import Finding
    >>> f = Finding("k", "trend_shift", "imr", "CN", "全国婴儿死亡率的下降在2018年后放缓。")
    >>> glue_findings([f], "shifts")
    shifts = 全国婴儿死亡率的下降在2018年后放缓。
    '全国婴儿死亡率的下降在2018年后放缓。'
    >>> glue_findings([], "shifts", none="各项指标的变化速度没有显著改变。")
    shifts = 各项指标的变化速度没有显著改变。
    '各项指标的变化速度没有显著改变。'
    """
    items = list(findings)
    for f in items:
        if not hasattr(f, "text_zh") or not hasattr(f, "facts"):
            raise ParameterError("findings", f"expected ecd.findings.Finding objects, found {type(f).__name__}")
    if not items and none is None:
        raise ParameterError("findings", f"glue_findings({name!r}): no findings; pass none='…' to say so in words")
    text = "".join(f.text_zh for f in items) if items else none
    keys = ",".join(f.key for f in items) or "none"
    out = glue(name, text, origin=origin, finding=keys if required else None)
    if facts:
        for f in items:
            for k, fact in f.facts.items():
                # facts back the sentence for the book's quantity check; the sentence carries the origin
                glue(f"{f.name}__{k}", fact.value, text=fact.text, quantity=fact.quantity)
    return out


def pair_text(a: float, b: float, labels: tuple[str, str], unit: str = "", fmt: str = "{:.1f}") -> str:
    """Two estimates of one quantity side by side, said as a difference only when they differ as shown.

    Examples
    --------
    >>> from ecd.book import pair_text
    >>> pair_text(16.9, 23.0, ("官方数据", "MMEIG估计"), "/10万")
    '官方数据为16.9/10万，MMEIG估计为23.0/10万'
    >>> pair_text(4.5, 4.54, ("官方数据", "UN IGME估计"), "‰")
    '官方数据与UN IGME估计一致，均为4.5‰'
    """
    ta, tb = fmt.format(a), fmt.format(b)
    if ta == tb:
        return f"{labels[0]}与{labels[1]}一致，均为{ta}{unit}"
    return f"{labels[0]}为{ta}{unit}，{labels[1]}为{tb}{unit}"


def quantity_conflicts(numbers: Mapping) -> list[dict]:
    """Quantities stated with two different values anywhere in a built book.

    ``numbers`` is the book's ``numbers.json`` (``{"chapter:name": {"value", "text",
    "quantity", ...}}``). Glued numbers that carry the same quantity id must agree:
    numeric values within 1e-9 (relative), so 1.9 and 1.94 printed from the same
    1.9412 agree while 2027 and 2029 do not; non-numeric values (words such as
    已达到) by their text.

    Returns
    -------
    list of dict
        One ``{"quantity", "stated"}`` per conflict, ``stated`` listing
        ``(chapter:name, text)``; empty when the book is consistent.

    Examples
    --------
    >>> from ecd.book import quantity_conflicts
    >>> nums = {"overview:mmr_year": {"value": 2027, "text": "2027", "quantity": "mmr|target_year"},
    ...         "trends-targets:mmr_year": {"value": 2028.7, "text": "2028.7", "quantity": "mmr|target_year"},
    ...         "a:r": {"value": 1.9412, "text": "1.9", "quantity": "u5mr|ratio"},
    ...         "b:r": {"value": 1.9412, "text": "1.94", "quantity": "u5mr|ratio"}}
    >>> [c["quantity"] for c in quantity_conflicts(nums)]
    ['mmr|target_year']
    """
    groups: dict = {}
    for key, v in numbers.items():
        q = (v or {}).get("quantity")
        if q:
            groups.setdefault(q, []).append((key, v))
    out = []
    for q, items in sorted(groups.items()):
        vals = [v.get("value") for _, v in items]
        numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in vals)
        if numeric:
            lo, hi = min(vals), max(vals)
            same = hi - lo <= 1e-9 * max(1.0, abs(hi), abs(lo))
        else:
            same = len({str(v.get("text")) for _, v in items}) == 1
        if not same:
            out.append({"quantity": q, "stated": [(k, v.get("text")) for k, v in items]})
    return out


_CMP_ZH = {"max": "不高于", "min": "不低于", "min_reduction": "较基线减少至少"}


def target_table(checked: pd.DataFrame, *, fmt: str = "{:.1f}", level: float = 0.95) -> pd.DataFrame:
    """The book's table of targets: each target with the latest value, both kinds of data and the verdict.

    Every chapter that judges targets shows them the same way, so a reader (and the
    book's test) can see that no verdict crosses kinds of data.

    Parameters
    ----------
    checked : pandas.DataFrame
        ``ecd.compare.target_check(...).tidy()`` or ``ecd.findings.target_progress(...).tidy()``
        (the latter adds the year a target was or is projected to be met).
    fmt : str
        Format of the values.
    level : float
        Confidence level named in the interval column (progress tables).

    Returns
    -------
    pandas.DataFrame
        Columns 指标（单位）, 最新值, 目标, 数据口径, 目标口径, 判断, and for progress
        tables 达标年份, 置信区间, 拟合年数.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.compare
    >>> from ecd.book import target_table
    >>> df = pd.DataFrame({"indicator": ["anemia_u5_routine"], "geo": ["CN"], "year": [2018], "value": [5.44]})
    >>> target_table(ecd.compare.target_check(df).tidy())[["目标", "判断"]].to_dict("records")[-1]
    {'目标': '《国民营养计划（2017—2030年）》2030年不高于10%', '判断': '口径不同，不作判断'}
    """
    from ecd.catalog import KIND_ZH, policies
    from ecd.catalog._load import catalog_doc
    from ecd.findings._words import unit_of

    entries = catalog_doc()["indicators"]
    policy_zh = policies().set_index("policy")["name_zh"].to_dict()
    progress = "year_attained" in checked.columns
    value, year = ("last_value", "last_year") if progress else ("value", "year")

    def unit(code):
        return (entries.get(code) or {}).get("unit_zh") or ""

    if progress:
        from ecd.trends import STATUS_ZH
    else:
        from ecd.compare import STATUS_ZH
    c = checked
    out = pd.DataFrame({
        "指标（单位）": [f"{(entries.get(i) or {}).get('name_zh', i)}（{unit(i)}）" for i in c["indicator"]],
        "最新值": [f"{fmt.format(v)}（{int(y)}年）" for v, y in zip(c[value], c[year])],
        "目标": [f"《{policy_zh.get(p, p)}》{int(ty)}年{_CMP_ZH[cmp]}{t:g}{unit_of(i) if cmp != 'min_reduction' else '%'}"
               for p, ty, cmp, t, i in zip(c["policy"], c["target_year"], c["comparison"], c["target"], c["indicator"])],
        "数据口径": c["kind"].map(KIND_ZH), "目标口径": c["target_kind"].map(KIND_ZH),
        "判断": c["status"].map(STATUS_ZH)})
    if progress:
        met = c["year_met_observed"]
        out["达标年份"] = [f"{int(m)}（观测）" if s == "achieved" and m == m else ("—" if y != y else f"{int(y)}（外推）")
                       for s, m, y in zip(c["status"], met, c["year_attained"])]
        out[f"{int(round(level * 100))}%置信区间"] = ["—" if lo != lo else f"{int(lo)}—{int(hi)}"
                                               for lo, hi in zip(c["year_attained_low"], c["year_attained_high"])]
        out["拟合年数"] = c["n"].to_numpy()
    return out.reset_index(drop=True)
