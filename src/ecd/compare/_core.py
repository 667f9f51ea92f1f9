"""Latest values per group, policy-target checks and the data coverage matrix."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ecd.errors import DataError, MissingDataError, ParameterError

from ._results import CoverageResult, LatestResult, TargetCheck

_COMPARISONS = {"max", "min", "min_reduction"}


def _require(df: pd.DataFrame, cols, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ParameterError("df", f"{what} expects a pandas DataFrame, found {type(df).__name__}.")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError("df", f"{what}: column(s) {missing} not found; the frame has {list(df.columns)}. "
                                   "Pass the column names as arguments or rename the columns.")


def _drop_missing(df: pd.DataFrame, cols, missing: str, what: str) -> pd.DataFrame:
    if missing not in ("raise", "drop"):
        raise ParameterError("missing", f"expected 'raise' or 'drop', found {missing!r}.")
    bad = df[list(cols)].isna().any(axis=1)
    if bad.any():
        if missing == "raise":
            rows = list(df.index[bad][:5])
            raise MissingDataError(f"{what}: {int(bad.sum())} row(s) have a missing value in {list(cols)} "
                                   f"(first index labels {rows}); drop them first or pass missing='drop'.")
        df = df[~bad]
    return df


def latest(df: pd.DataFrame, by=("indicator", "geo"), *, year: str = "year", value: str = "value",
           until: int | None = None, missing: str = "raise") -> LatestResult:
    """The most recent observation of each group, with how many years the group has.

    Parameters
    ----------
    df : pandas.DataFrame
        Long data, e.g. from :func:`ecd.data.load`.
    by : sequence of str
        Columns that define a group (default indicator × geo). Add ``"area"``
        when the frame mixes total/urban/rural rows.
    year, value : str
        Column names.
    until : int, optional
        Ignore observations after this year (e.g. to compare as of a target year).
    missing : {"raise", "drop"}
        What to do with rows whose year or value is missing.

    Returns
    -------
    LatestResult
        ``.tidy()``: the ``by`` columns, ``year, value``, ``source_id`` and
        ``publication`` (when the input has them), ``n_years`` and ``first_year``; ``.wide()`` a display
        table "value（year）".

    Raises
    ------
    ecd.errors.DataError
        Two rows of one group and year carry different values (add the column
        that tells them apart, e.g. ``area`` or ``source_id``, to ``by``).

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.compare
    >>> df = pd.DataFrame({"indicator": ["s"] * 3, "geo": ["CHN", "CHN", "JPN"],
    ...                    "year": [2010, 2013, 2010], "value": [9.9, 8.1, 7.1]})
    >>> ecd.compare.latest(df).tidy()[["geo", "year", "value", "n_years"]].to_dict("records")
    [{'geo': 'CHN', 'year': 2013, 'value': 8.1, 'n_years': 2}, {'geo': 'JPN', 'year': 2010, 'value': 7.1, 'n_years': 1}]
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ParameterError("by", "expected at least one grouping column, found none.")
    _require(df, by + [year, value], "latest")
    d = _drop_missing(df, [year, value], missing, "latest")
    if until is not None:
        d = d[d[year] <= until]
    # origins travel with the rows: the source and the original publication of each latest value
    keep = by + [year, value] + [c for c in ("source_id", "publication") if c in d.columns and c not in by]
    d = d[keep]
    key = by + [year]
    dup = d.duplicated(key, keep=False)
    if dup.any():
        clash = d[dup].groupby(key, sort=True, dropna=False)[value].nunique()
        clash = clash[clash > 1]
        if len(clash):
            first = clash.index[0]
            raise DataError(f"latest: group {dict(zip(key, first if isinstance(first, tuple) else (first,)))} has "
                            f"{int(d[dup].set_index(key).loc[first].shape[0])} rows with different values; expected one "
                            "value per group and year. Add the column that tells them apart (e.g. 'area' or "
                            "'source_id') to by=, or filter the frame first.")
        d = d.drop_duplicates(key, keep="first")
    if d.empty:
        cols = by + [year, value] + [c for c in ("source_id", "publication") if c in keep] + ["n_years", "first_year"]
        return LatestResult(pd.DataFrame(columns=cols), tuple(by))
    g = d.groupby(by, sort=True, dropna=False)
    stats = g[year].agg(n_years="nunique", first_year="min")
    idx = g[year].idxmax()
    top = d.loc[idx.to_numpy()].set_index(by)
    out = top.join(stats).reset_index()
    out[year] = out[year].astype("int64")
    out["first_year"] = out["first_year"].astype("int64")
    out["n_years"] = out["n_years"].astype("int64")
    return LatestResult(out.reset_index(drop=True), tuple(by))


#: Chinese wording of every target status, for tables and prose.
STATUS_ZH = {"met": "已达到", "not met": "未达到", "not assessable": "无法直接比较",
             "different kind": "口径不同，不作判断", "no data": "无数据"}


def _status(comparison: str, value: float, target: float) -> str:
    if value is None or not np.isfinite(value):
        return "no data"
    if comparison == "max":
        return "met" if value <= target else "not met"
    if comparison == "min":
        return "met" if value >= target else "not met"
    return "not assessable"


def _data_kind(code, kinds):
    if kinds is not None and code in kinds:
        return kinds[code]
    from ecd.catalog._load import catalog_doc

    entry = catalog_doc()["indicators"].get(code)
    return entry.get("kind") if entry else None


def _catalog_targets(code, data_kind, related: bool) -> list[tuple[dict, str | None]]:
    """The catalog's targets of ``code``, plus those set on ``data_kind`` of the indicators it ``differs_from``
    that are of another kind (the same concept measured another way — not merely related or look-alike
    indicators: NMR must not borrow IMR's targets, nor underweight those of stunting)."""
    from ecd.catalog._load import catalog_doc

    entries = catalog_doc()["indicators"]
    entry = entries.get(code)
    if entry is None:
        return []
    out = [(t, None) for t in entry.get("targets") or []]
    if related and data_kind is not None:
        own = {(t["code"], t.get("year")) for t, _ in out}
        # the same concept measured another way is a look-alike of ANOTHER kind (routine vs survey);
        # a look-alike of the same kind is another concept (underweight vs stunting): nothing to borrow
        others = [d["code"] for d in entry.get("differs_from") or []
                  if d["code"] in entries and entries[d["code"]].get("kind") != data_kind]
        for other in others:
            for t in entries.get(other, {}).get("targets") or []:
                if t.get("kind") == data_kind and (t["code"], t.get("year")) not in own:
                    out.append((t, other))
    return out


def target_check(df: pd.DataFrame, targets: dict | None = None, *, by=("indicator", "geo"),
                 year: str = "year", value: str = "value", kinds: dict | None = None, related: bool = True,
                 missing: str = "raise") -> TargetCheck:
    """Set the latest value of each series against the policy targets that refer to it.

    A target is judged only against data of the kind it was set on (its
    ``kind``: survey, surveillance, routine, modelled …; see
    :func:`ecd.catalog.kind`). A routine-reporting value set against a
    survey-based target gets the status ``"different kind"`` (口径不同，不作判断),
    never "met" or "not met".

    Parameters
    ----------
    df : pandas.DataFrame
        Long data with an ``indicator`` column (one series per ``by`` group).
    targets : dict, optional
        ``{indicator: [target, ...]}`` where a target is a mapping with ``code,
        policy, geo, year, comparison`` (``"max"``, ``"min"`` or
        ``"min_reduction"``), ``value`` and optionally ``kind``. Default: the
        catalog's ``targets`` of each indicator (:func:`ecd.catalog.indicator`)
        and, with ``related=True``, the targets set on its own kind of the
        indicators of another kind it ``differs_from`` (the same concept measured another way:
        the National Nutrition Plan's breastfeeding target, listed under the
        routine series, is then judged on the survey series). A supplied target
        without ``kind`` is judged against any data.
    by, year, value, missing
        As in :func:`latest`.
    kinds : dict, optional
        ``{indicator: kind}`` for codes the catalog does not know (or to
        override it).
    related : bool
        Borrow same-kind targets of the indicators this one ``differs_from``
        (catalog targets only).

    Returns
    -------
    TargetCheck
        ``.tidy()`` one row per series × target; an indicator without targets
        contributes no rows. A "max" target is met when the latest value is at
        or below it, a "min" target when at or above; a "min_reduction" target
        (a cut in the number of children against a baseline) cannot be judged
        from a prevalence and is "not assessable"; a target of another kind is
        "different kind". Columns ``kind`` and ``target_kind`` say which kinds
        met, ``borrowed_from`` the indicator a borrowed target was listed under.

    Raises
    ------
    ecd.errors.ParameterError
        A target declares a kind but the kind of the data is unknown (pass
        ``kinds=``).

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.compare
    >>> df = pd.DataFrame({"indicator": ["s", "s"], "geo": ["CN", "CN"], "year": [2013, 2017], "value": [8.1, 4.8]})
    >>> t = {"s": [{"code": "t1", "policy": "p", "geo": "CN", "year": 2030, "comparison": "max", "value": 5.0}]}
    >>> ecd.compare.target_check(df, t).tidy()[["year", "value", "target", "status"]].to_dict("records")
    [{'year': 2017, 'value': 4.8, 'target': 5.0, 'status': 'met'}]

    The same value against a survey-based target, when the data are routine reports:

    >>> t["s"][0]["kind"] = "survey"
    >>> ecd.compare.target_check(df, t, kinds={"s": "routine"}).tidy()["status"].map(ecd.compare.STATUS_ZH).tolist()
    ['口径不同，不作判断']
    """
    by = [by] if isinstance(by, str) else list(by)
    if "indicator" not in by:
        raise ParameterError("by", f"target_check needs 'indicator' among the grouping columns, found {by}.")
    if targets is not None and not isinstance(targets, dict):
        raise ParameterError("targets", f"expected a dict {{indicator: [target, ...]}}, found {type(targets).__name__}.")
    if kinds is not None and not isinstance(kinds, dict):
        raise ParameterError("kinds", f"expected a dict {{indicator: kind}}, found {type(kinds).__name__}.")
    last = latest(df, by, year=year, value=value, missing=missing).tidy()
    rows = []
    for _, r in last.iterrows():
        code = r["indicator"]
        data_kind = _data_kind(code, kinds)
        if targets is None:
            tlist = _catalog_targets(code, data_kind, related)
        else:
            tlist = [(t, None) for t in targets.get(code, [])]
        for t, borrowed in tlist:
            need = {"code", "comparison", "value"}
            if not need <= set(t):
                raise ParameterError("targets", f"target of {code!r} lacks {sorted(need - set(t))}; found keys {sorted(t)}.")
            if t["comparison"] not in _COMPARISONS:
                raise ParameterError("targets", f"target {t['code']!r}: comparison {t['comparison']!r} is not one of "
                                                f"{sorted(_COMPARISONS)}.")
            target_kind = t.get("kind")
            if target_kind is not None and data_kind is None:
                raise ParameterError("kinds", f"target {t['code']!r} was set on {target_kind} data but the kind of "
                                              f"{code!r} is unknown; pass kinds={{{code!r}: ...}} (one of survey, "
                                              "surveillance, routine, modelled, census, administrative, accounts).")
            v = float(r[value])
            tv = float(t["value"])
            comparable = target_kind is None or target_kind == data_kind
            assessable = comparable and t["comparison"] in ("max", "min")
            status = _status(t["comparison"], v, tv) if comparable else "different kind"
            rows.append({**{c: r[c] for c in by}, "target_code": t["code"], "policy": t.get("policy"),
                         "target_geo": t.get("geo"), "target_year": t.get("year"), "comparison": t["comparison"],
                         "target": tv, "year": int(r[year]), "value": v,
                         "gap": v - tv if assessable else np.nan, "status": status,
                         "kind": data_kind, "target_kind": target_kind, "borrowed_from": borrowed})
    cols = by + ["target_code", "policy", "target_geo", "target_year", "comparison", "target", "year", "value",
                 "gap", "status", "kind", "target_kind", "borrowed_from"]
    return TargetCheck(pd.DataFrame(rows, columns=cols))


_DESIGN = re.compile(r"survey=(?P<type>[^;]*?)\s+\d{4}(?:-\d{4})?\s*;.*?provider=(?P<provider>[^;]*)")


def survey_design(df: pd.DataFrame, column: str = "citation") -> pd.Series:
    """Which survey design each survey point comes from (JME rows: survey type and provider).

    Rounds of one design (e.g. the surveillance rounds by one team) form a
    series; points of different designs are not joined into one trend line
    (:func:`ecd.viz.survey_lines`). The design is read from the row's source
    text (``survey=<type> <years>; … provider=<provider>``), as the JME input
    data give it.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows from :func:`ecd.data.load`.
    column : str
        The column holding the row's source text.

    Returns
    -------
    pandas.Series
        ``"<survey type>｜<provider>"`` per row, aligned with ``df``.

    Raises
    ------
    ecd.errors.DataError
        A row whose source text names no survey design (the first such row is named).

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.compare
    >>> df = pd.DataFrame({"year": [1990, 1992], "citation": [
    ...     "JME; survey=Surveillance 1990; estimate_type=External Reanalysis; provider=Chen Chunming.",
    ...     "JME; survey=NNS 1992; estimate_type=External Reanalysis; provider=Guansheng Ma."]})
    >>> ecd.compare.survey_design(df).tolist()
    ['Surveillance｜Chen Chunming', 'NNS｜Guansheng Ma']
    """
    _require(df, [column], "survey_design")
    out = []
    for idx, text in df[column].items():
        m = _DESIGN.search(str(text))
        if not m:
            raise DataError(f"survey_design: row {idx!r} names no survey design in {column!r} "
                            f"(expected 'survey=<type> <year>; … provider=<name>'): {str(text)[:120]!r}")
        out.append(f"{m.group('type').strip()}｜{m.group('provider').strip().rstrip('.')}")
    return pd.Series(out, index=df.index, name="design", dtype=object)


def coverage(df: pd.DataFrame, levels: dict | None = None, *, indicator: str = "indicator", geo: str = "geo",
             year: str = "year", value: str = "value") -> CoverageResult:
    """Which indicator has data for which geography and which years.

    Rows with a missing value do not count as data.

    Parameters
    ----------
    df : pandas.DataFrame
        Long data, e.g. the whole warehouse (:func:`ecd.data.load` of every catalogued code).
    levels : dict, optional
        ``{geo: level}`` (e.g. ``"country"``, ``"province"``); default the
        catalog's levels (:func:`ecd.catalog.geos`). Geographies not in the
        mapping get level ``"other"``.
    indicator, geo, year, value : str
        Column names.

    Returns
    -------
    CoverageResult
        ``.tidy()`` one row per indicator × geo (years with data, first and last
        year, observations, sources); ``.matrix(geo)`` an indicator × year 0/1
        matrix with every year of the range; ``.by_level()`` the number of
        geographies with data per level; ``.missing_years(...)``.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.compare
    >>> df = pd.DataFrame({"indicator": ["a", "a", "b"], "geo": ["CN", "CN", "CN-BJ"],
    ...                    "year": [2020, 2022, 2021], "value": [1.0, 2.0, 3.0]})
    >>> cov = ecd.compare.coverage(df, levels={"CN": "country", "CN-BJ": "province"})
    >>> cov.matrix("CN").to_dict("index")
    {'a': {2020: 1, 2021: 0, 2022: 1}}
    >>> cov.missing_years("a", "CN", 2019, 2022)
    [2019, 2021]
    """
    _require(df, [indicator, geo, year, value], "coverage")
    d = df[df[value].notna() & df[year].notna()]
    if levels is None:
        from ecd.catalog import geos as _geos

        g = _geos()
        levels = dict(zip(g["geo"], g["level"]))
    elif not isinstance(levels, dict):
        raise ParameterError("levels", f"expected a dict {{geo: level}}, found {type(levels).__name__}.")
    has_src = "source_id" in d.columns
    # One pass over the rows for the per-series summary; the (indicator, geo, year) cells are kept
    # as a plain column selection and only de-duplicated when a matrix is asked for.
    cells = d[[indicator, geo, year]].rename(columns={indicator: "indicator", geo: "geo", year: "year"})
    cols = ["indicator", "geo", "level", "n_years", "first_year", "last_year", "n_obs", "n_sources"]
    if cells.empty:
        return CoverageResult(pd.DataFrame(columns=cols), cells.reset_index(drop=True))
    cells = cells.astype({"year": "int64"})
    aggs = {"n_years": (year, "nunique"), "first_year": (year, "min"), "last_year": (year, "max"),
            "n_obs": (year, "size")}
    if has_src:
        aggs["n_sources"] = ("source_id", "nunique")
    table = d.groupby([indicator, geo], sort=True).agg(**aggs).reset_index()
    table = table.rename(columns={indicator: "indicator", geo: "geo"})
    if not has_src:
        table["n_sources"] = 1
    table.insert(2, "level", [levels.get(g, "other") for g in table["geo"]])
    for c in ("n_years", "first_year", "last_year", "n_obs", "n_sources"):
        table[c] = table[c].astype("int64")
    return CoverageResult(table[cols], cells.reset_index(drop=True))
