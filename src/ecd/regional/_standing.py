"""Where one province stands on each indicator: its own value, its rank among provinces, above or below the nation."""
from __future__ import annotations

import pandas as pd

from ecd.data._publications import TRUST_ZH as _ROW_TRUST_ZH
from ecd.errors import ParameterError

_COLUMNS = ["indicator", "year", "value", "rank", "n", "reference", "reference_kind", "relation", "source_id", "trust"]
RELATION_ZH = {"above": "高于", "below": "低于", "equal": "与之持平"}
# the rows' trust levels as a reader sees them (ecd.data.TRUST_ZH), and "—" for a value without one
TRUST_ZH = {**_ROW_TRUST_ZH, "": "—"}
REFERENCE_ZH = {"national": "全国", "median": "各省中位数"}


def _one_per_geo(rows: pd.DataFrame) -> pd.DataFrame:
    # one value per province and year; where two sources give one, the first source id in order is kept
    # (the warehouse's own source preference applies first when load() already resolved it)
    return rows.sort_values(["geo", "source_id"]).drop_duplicates(["geo"], keep="first")


MIN_RANKED = 5  # fewer provinces with data than this: no rank is stated
_TOTAL_UNITS = {"万人", "万人（年末）", "人", "个", "万张", "张", "万元", "亿元"}


def is_total(code: str) -> bool:
    """True for a count or total (births, population, beds): a province is compared with other provinces,
    not with the national total.

    Examples
    --------
    >>> is_total("births"), is_total("crude_birth_rate")
    (True, False)
    """
    import ecd.catalog

    return ecd.catalog.unit_zh(code) in _TOTAL_UNITS


def standing(data: pd.DataFrame, geo: str, indicators: list[str], *, years: dict | None = None,
             national: str = "CN", provinces: list[str] | None = None, decimals: int = 2,
             min_n: int = 20) -> pd.DataFrame:
    """Describe one province by its own values: rank among provinces and position against the nation.

    For each indicator the year is ``years[indicator]`` or else the latest
    year in which ``geo`` and at least ``min_n`` provinces have a value (the
    latest year of ``geo`` when no year has that many). The rank counts from the highest
    value (1 = highest) among the provinces with a value that year (ties
    share the better rank). The reference is the national value of the same
    indicator and year when ``data`` has one and the indicator is a rate or
    share (``reference_kind="national"``); for totals (births, population:
    :func:`is_total`) and where no national value exists, the median of those provinces (``"median"``). ``relation``
    compares the value with the reference after rounding both to
    ``decimals`` places. Nothing here uses a cluster or type label: a
    province is described by its own numbers.

    Parameters
    ----------
    data : DataFrame
        Tidy rows ``indicator, geo, year, value, source_id`` (one area).
    geo : str
        The province, e.g. ``"CN-GD"``.
    indicators : list of str
        Indicator codes, in the order wanted (e.g. 0–3 indicators first).
    years : dict, optional
        ``{indicator: year}`` to fix the year of some indicators.
    national : str, default "CN"
        Geography code of the national value.
    provinces : list of str, optional
        The provinces ranked (default: the catalog's 31).

    Returns
    -------
    DataFrame
        One row per indicator with a value: ``indicator, year, value, rank,
        n, reference, reference_kind, relation, source_id, trust`` (the row's
        trust level where ``data`` has a ``trust`` column, else ""); indicators
        without a value for ``geo`` are left out (see :func:`profile` for the
        missing cells).

    Raises
    ------
    ecd.errors.ParameterError
        ``geo`` is not among the provinces, or a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"indicator": "gdp_per_capita", "geo": ["CN-GD", "CN-GS", "CN-BJ", "CN"],
    ...                   "year": 2023, "value": [106985.0, 47867.0, 200278.0, 89358.0], "source_id": "s"})
    >>> s = standing(d, "CN-GD", ["gdp_per_capita"], provinces=["CN-GD", "CN-GS", "CN-BJ"])
    >>> r = s.iloc[0]
    >>> int(r["rank"]), int(r["n"]), r["relation"], r["reference_kind"]
    (2, 3, 'above', 'national')
    """
    need = {"indicator", "geo", "year", "value", "source_id"}
    if not need <= set(data.columns):
        raise ParameterError("data", f"missing column(s) {sorted(need - set(data.columns))}; expected {sorted(need)}")
    if provinces is None:
        import ecd.catalog

        provinces = ecd.catalog.provinces()["geo"].tolist()
    if geo not in provinces:
        raise ParameterError("geo", f"{geo!r} is not one of the provinces ranked (e.g. 'CN-GD')")
    rows = []
    for code in indicators:
        d = data[(data["indicator"] == code) & data["value"].notna()]
        own = d[d["geo"] == geo]
        if own.empty:
            continue
        if code in (years or {}):
            year = int(years[code])
        else:
            counts = d[d["geo"].isin(provinces)].groupby("year")["geo"].nunique()
            wide = [y for y in own["year"].unique() if counts.get(y, 0) >= min_n]
            year = int(max(wide) if wide else own["year"].max())
        same = _one_per_geo(d[(d["year"] == year) & d["geo"].isin(provinces)])
        if geo not in set(same["geo"]):
            continue
        ranks = same.set_index("geo")["value"].rank(ascending=False, method="min")
        value = float(same.set_index("geo").loc[geo, "value"])
        nat = _one_per_geo(d[(d["year"] == year) & (d["geo"] == national)])
        if len(nat) and not is_total(code):
            ref, ref_kind = float(nat["value"].iloc[0]), "national"
        else:
            ref, ref_kind = float(same["value"].median()), "median"
        a, b = round(value, decimals), round(ref, decimals)
        relation = "equal" if a == b else ("above" if a > b else "below")
        mine = same.set_index("geo").loc[geo]
        trust = mine.get("trust", "") if "trust" in same.columns else ""
        rows.append({"indicator": code, "year": year, "value": value, "rank": int(ranks[geo]), "n": len(same),
                     "reference": ref, "reference_kind": ref_kind, "relation": relation,
                     "source_id": mine["source_id"], "trust": trust if isinstance(trust, str) else ""})
    return pd.DataFrame(rows, columns=_COLUMNS)


def standing_sentences(st: pd.DataFrame, *, names: dict | None = None, fmt: dict | None = None) -> list[str]:
    """One Chinese sentence per row of :func:`standing`, units from the catalog.

    Examples
    --------
    >>> import pandas as pd
    >>> st = pd.DataFrame([{"indicator": "crude_birth_rate", "year": 2021, "value": 8.3, "rank": 12, "n": 31,
    ...                     "reference": 7.52, "reference_kind": "national", "relation": "above", "source_id": "s"}])
    >>> standing_sentences(st)[0]
    '人口出生率（2021年）8.30‰，31个省份中由高到低居第12位，高于全国（7.52‰）'
    >>> standing_sentences(st.assign(n=1, rank=1))[0]
    '人口出生率（2021年）8.30‰，该年仅 1 个省份有数据，不排位，高于全国（7.52‰）'
    """
    import ecd.catalog

    out = []
    for r in st.itertuples():
        name = (names or {}).get(r.indicator) or ecd.catalog.indicator(r.indicator)["name_zh"]
        unit = ecd.catalog.unit_zh(r.indicator, after_number=True)
        big = max(abs(r.value), abs(r.reference)) >= 1000
        f = (fmt or {}).get(r.indicator, "{:,.0f}" if big else ("{:,.1f}" if is_total(r.indicator) else "{:.2f}"))
        ref = f"{REFERENCE_ZH[r.reference_kind]}（{f.format(r.reference)}{unit}）"
        rel = f"与{ref}持平" if r.relation == "equal" else f"{RELATION_ZH[r.relation]}{ref}"
        if r.n >= MIN_RANKED:
            where = f"{r.n}个省份中由高到低居第{r.rank}位"
        else:  # a rank among a handful of provinces says nothing about the province
            where = f"该年仅 {r.n} 个省份有数据，不排位"
        out.append(f"{name}（{r.year}年）{f.format(r.value)}{unit}，{where}，{rel}")
    return out
