"""Reading the warehouse: ``load`` with filters, sources, origins (cached per project home)."""
from __future__ import annotations

import numbers
from collections.abc import Iterable

import pandas as pd

from ecd import paths
from ecd.catalog._load import catalog_doc, known_geos, suggest
from ecd.data._schema import AREAS
from ecd.data._sidecar import SIDECAR_SUFFIX
from ecd.data._warehouse import WAREHOUSE_COLUMNS, raw_files, read_fresh
from ecd.errors import ParameterError

# home → (stat fingerprint, frame); the stat fingerprint avoids hashing raw files on every call
_CACHE: dict[str, tuple[tuple, pd.DataFrame]] = {}


def _stat_fingerprint() -> tuple:
    from ecd.catalog import _load as cat

    items = []
    for f in raw_files():
        for p in (f, f.with_name(f.stem + SIDECAR_SUFFIX)):
            try:
                st = p.stat()
                items.append((str(p), st.st_size, st.st_mtime_ns))
            except OSError:
                items.append((str(p), -1, -1))
    processed = [paths.processed_dir() / n for n in ("warehouse.parquet", "warehouse.duckdb", "manifest.json",
                                                     "publications.parquet", "retrievals.parquet")]
    for p in (*cat.catalog_files(), *processed):  # any change is verified against the manifest again
        try:
            st = p.stat()
            items.append((str(p), st.st_size, st.st_mtime_ns))
        except OSError:
            items.append((str(p), -1, -1))
    return tuple(items)


def warehouse() -> pd.DataFrame:
    """The whole warehouse table (shared cached frame: callers must copy before mutating)."""
    key = str(paths.home())
    fp = _stat_fingerprint()
    hit = _CACHE.get(key)
    if hit and hit[0] == fp:
        return hit[1]
    frame = read_fresh()
    fp = _stat_fingerprint()
    _CACHE[key] = (fp, frame)
    return frame


def _is(value, kind) -> bool:
    if kind is int:  # numpy integers too (e.g. df["year"].unique()), never bools
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    return isinstance(value, kind)


def _as_list(name: str, value, kind=str) -> list | None:
    if value is None:
        return None
    if _is(value, kind):
        return [kind(value)]
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict)):
        out = list(value)
        if not out:
            raise ParameterError(name, "is empty; expected at least one value or None for all")
        if all(_is(v, kind) for v in out):
            return [kind(v) for v in out]
    raise ParameterError(name, f"got {value!r}; expected a {kind.__name__} or a list of {kind.__name__}")


def _years_mask(years, col: pd.Series) -> pd.Series:
    if isinstance(years, bool):
        raise ParameterError("years", f"got {years!r}; expected (start, end), a list of years or one year")
    if _is(years, int):
        return col == int(years)
    if isinstance(years, tuple):
        if len(years) != 2 or not all(y is None or _is(y, int) for y in years):
            raise ParameterError("years", f"got {years!r}; expected a (start, end) tuple of ints (None = open end)")
        start, end = (None if y is None else int(y) for y in years)
        if start is not None and end is not None and start > end:
            raise ParameterError("years", f"start {start} is after end {end}; expected start ≤ end")
        mask = pd.Series(True, index=col.index)
        if start is not None:
            mask &= col >= start
        if end is not None:
            mask &= col <= end
        return mask
    lst = _as_list("years", years, int)
    return col.isin(lst)


RESOLVE = ("prefer", "all")


def _geo_code(g: str) -> str:
    """A geo code, or the code of a place name (北京, 北京市, Beijing → CN-BJ); unknown names get suggestions."""
    if g in known_geos():
        return g
    from ecd.catalog import _names

    code = _names.lookup(g)
    if code is None:
        raise ParameterError("geo", f"unknown geo code {g!r} (nor a place name the catalog knows); "
                                   f"{_names.did_you_mean(g)}")
    return code


def load(indicator, geo=None, area=None, years=None, source=None, resolve: str = "prefer") -> pd.DataFrame:
    """Rows of the warehouse for one or more indicators, with their origins.

    Builds the warehouse on first use, and rebuilds it when the raw files, their
    sidecars or the catalog changed since it was built. Values are never
    interpolated: a year that is not in the data is simply absent.

    Parameters
    ----------
    indicator : str or list of str
        Indicator code(s) of the catalog (``ecd.data.catalog()``).
    geo : str or list of str, optional
        ``CN``, ``CN-XX`` provinces, ``CN-EAST``/``CN-CENTRAL``/``CN-WEST``,
        ISO3 country codes, ``WLD`` — or place names: ``北京``, ``北京市``,
        ``全国``, ``Beijing`` (see :func:`ecd.catalog.geo_code`). Default: all.
    area : {"total", "urban", "rural"} or list, optional
        Default: all.
    years : (start, end) tuple, list of int or int, optional
        A tuple is an inclusive range (``None`` for an open end); a list picks
        years. Default: all.
    source : str or list of str, optional
        Only rows of these sources (folders of ``data/raw``). Default: all.
    resolve : {"prefer", "all"}
        ``"prefer"`` (default): one row per (indicator, geo, area, year), from
        the source the catalog's ``prefer`` ranks first (unlisted sources after
        listed ones, by source id); ``source_id`` says which. ``"all"``: every
        source's row (see :func:`ecd.data.conflicts` for the ones that differ).

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, geo, area, year, value, unit, source_id, citation,
        se, ci_low, ci_high, publication, trust, note`` sorted by indicator, geo,
        area, year, source_id; with ``resolve="prefer"`` each key once.

    Raises
    ------
    ecd.errors.ParameterError
        Unknown indicator, geo or area (with close matches), or a malformed filter.
    ecd.errors.DataError
        If the raw data fail validation while the warehouse is (re)built.

    Examples
    --------
    >>> import ecd.data
    >>> df = ecd.data.load("u5mr", geo="CN-EAST", area="rural", years=(2014, 2015))
    >>> df[["year", "value", "source_id"]].values.tolist()
    [[2014, 6.84, 'mchss'], [2015, 5.61, 'mchss']]
    >>> ecd.data.load("nmr", geo="东部地区", area="rural", years=2015)["geo"].tolist()
    ['CN-EAST']
    """
    codes = _as_list("indicator", indicator)
    entries = catalog_doc()["indicators"]
    for c in codes:
        if c not in entries:
            raise ParameterError("indicator", f"unknown indicator code {c!r}; {suggest(c, entries)}")
    geos = _as_list("geo", geo)
    if geos:
        geos = [_geo_code(g) for g in geos]
    areas = _as_list("area", area)
    if areas:
        for a in areas:
            if a not in AREAS:
                raise ParameterError("area", f"got {a!r}; expected one of {', '.join(AREAS)}")
    if resolve not in RESOLVE:
        raise ParameterError("resolve", f"got {resolve!r}; expected one of {', '.join(RESOLVE)}")
    df = warehouse()
    srcs = _as_list("source", source)
    if srcs:
        known = set(df["source_id"].astype(str))
        for s_ in srcs:
            if s_ not in known:
                raise ParameterError("source", f"unknown source id {s_!r}; {suggest(s_, known, where='ecd.data.sources()')}")
    mask = df["indicator"].isin(codes)
    if srcs:
        mask &= df["source_id"].isin(srcs)
    if geos:
        mask &= df["geo"].isin(geos)
    if areas:
        mask &= df["area"].isin(areas)
    if years is not None:
        mask &= _years_mask(years, df["year"])
    out = df.loc[mask, WAREHOUSE_COLUMNS]
    if resolve == "prefer":
        from ecd.data._prefer import resolve as _resolve

        out = _resolve(out)
    return out.reset_index(drop=True)


def conflicts(indicator=None, resolved: bool | None = None) -> pd.DataFrame:
    """Rows of keys that two or more sources give with different values (never averaged).

    Parameters
    ----------
    indicator : str or list of str, optional
        Only these indicators. Default: all.
    resolved : bool, optional
        ``True``: only keys the catalog's ``prefer`` decides; ``False``: only
        undecided ones (``ecd data check`` fails on these). Default: both.

    Returns
    -------
    pandas.DataFrame
        ``indicator, geo, area, year, source_id, value, publication, rank,
        chosen, resolved`` — ``chosen`` is the row :func:`load` returns.

    Examples
    --------
    >>> import ecd.data
    >>> c = ecd.data.conflicts("childcare_slots_u3_per_1000_pop")
    >>> c[["year", "source_id", "value", "chosen"]].values.tolist()
    [[2022, 'childcare_supply', 2.57, True], [2022, 'childcare_conference', 2.5, False]]
    """
    from ecd.data._prefer import conflicts as _conflicts

    df = warehouse()
    codes = _as_list("indicator", indicator)
    if codes:
        df = df[df["indicator"].isin(codes)]
    out = _conflicts(df)
    if resolved is not None:
        out = out[out["resolved"] == resolved].reset_index(drop=True)
    return out


def sources() -> pd.DataFrame:
    """One row per raw file's provenance (from the sidecars, via the warehouse build)."""
    import duckdb

    warehouse()  # builds or refreshes if needed
    con = duckdb.connect(str(paths.warehouse_duckdb()), read_only=True)
    try:
        return con.execute("SELECT * FROM sources ORDER BY source_id, file").df()
    finally:
        con.close()


def origins(df: pd.DataFrame) -> pd.DataFrame:
    """The distinct origins of the rows of ``df`` (for a figure's or table's source line).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows from :func:`load` (needs ``source_id`` and ``citation``; ``indicator`` if present).

    Returns
    -------
    pandas.DataFrame
        Columns ``source_id, title, producer, citation, n_rows, indicators``, one
        row per distinct (source_id, citation), sorted.

    Examples
    --------
    >>> import ecd.data
    >>> o = ecd.data.origins(ecd.data.load("nmr", geo="CN-WEST", years=(2015, 2015)))
    >>> o[["source_id", "n_rows"]].to_dict("records")
    [{'source_id': 'mchss', 'n_rows': 2}]
    """
    missing = [c for c in ("source_id", "citation") if c not in df]
    if missing:
        raise ParameterError("df", f"missing column(s) {missing}; expected rows from ecd.data.load() "
                                   f"(columns source_id and citation)")
    src = sources().drop_duplicates("source_id").set_index("source_id")
    work = df.assign(indicator=df["indicator"] if "indicator" in df else "")
    grouped = (work.groupby(["source_id", "citation"], sort=True, dropna=False)
               .agg(n_rows=("citation", "size"), indicators=("indicator", lambda s: ", ".join(sorted(set(map(str, s)))))))
    out = grouped.reset_index()
    out["title"] = out["source_id"].map(src["title"])
    out["producer"] = out["source_id"].map(src["producer"])
    return out[["source_id", "title", "producer", "citation", "n_rows", "indicators"]]


def _processed_table(name: str) -> pd.DataFrame:
    warehouse()  # builds or refreshes if needed
    return pd.read_parquet(paths.processed_dir() / f"{name}.parquet")


def publications(keys=None) -> pd.DataFrame:
    """The original publications the warehouse rows are from (one row per key, GB/T 7714 fields).

    Parameters
    ----------
    keys : str, list of str or DataFrame, optional
        Publication keys, or rows from :func:`load` (their ``publication`` column).
        Default: every publication defined in a sidecar.

    Returns
    -------
    pandas.DataFrame
        Columns ``publication, type, author, title, title_supplied, year, date,
        publisher, place, journal, volume, issue, pages, doi, number, edition,
        booktitle, editor, table, page, url, lang, note, defined_in`` (text; list
        fields joined by "; ").

    Examples
    --------
    >>> import ecd.data
    >>> rows = ecd.data.load("imr", geo="CN", area="total", years=(2023, 2023))
    >>> ecd.data.publications(rows)[["publication", "author", "title", "year"]].values.tolist()
    [['nhc_bulletin_2023', '国家卫生健康委员会', '2023年我国卫生健康事业发展统计公报', '2024']]
    """
    table = _processed_table("publications")
    if keys is None:
        return table
    if isinstance(keys, pd.DataFrame):
        if "publication" not in keys:
            raise ParameterError("keys", "a DataFrame without a publication column; expected rows from ecd.data.load()")
        wanted = [k for k in dict.fromkeys(keys["publication"].dropna().astype(str)) if k]
    else:
        wanted = _as_list("keys", keys)
    unknown = sorted(set(wanted) - set(table["publication"]))
    if unknown:
        raise ParameterError("keys", f"unknown publication key(s) {unknown}; {suggest(unknown[0], list(table['publication']))}")
    return table[table["publication"].isin(wanted)].reset_index(drop=True)


def retrievals() -> pd.DataFrame:
    """Where the copies of the publications were read (stored page, repository@commit, date, kind, trust).

    Examples
    --------
    >>> import ecd.data
    >>> list(ecd.data.retrievals().columns)
    ['publication', 'url', 'kind', 'accessed', 'trust', 'note', 'rows', 'file']
    """
    return _processed_table("retrievals")


def target_rows(targets) -> pd.DataFrame:
    """The warehouse rows behind catalog target entries (``ecd.catalog.indicator(c)["targets"]``).

    A target entry names its target code, geo and year; its row carries the
    publication of the policy that set it, so ``source=target_rows(...)`` cites
    the policy documents.

    Parameters
    ----------
    targets : list of dict or DataFrame
        Target entries with ``code``, ``geo`` and ``year``, or the rows of
        :func:`ecd.compare.target_check` (``target_code, target_geo, target_year``).

    Returns
    -------
    pandas.DataFrame
        One row per entry found (as :func:`load` returns them).

    Examples
    --------
    >>> import ecd
    >>> t = [e for e in ecd.catalog.indicator("u5mr")["targets"] if e["year"] == 2025]
    >>> sorted(ecd.data.target_rows(t)["indicator"])
    ['hcaip2025_target_max_u5mr']
    >>> checked = ecd.compare.target_check(ecd.data.load("u5mr", geo="CN", area="total")).tidy()
    >>> rows = ecd.data.target_rows(checked[checked["target_year"] == 2025])
    >>> sorted(set(rows["indicator"])) == sorted(set(checked.loc[checked["target_year"] == 2025, "target_code"]))
    True
    """
    if isinstance(targets, pd.Series):
        targets = targets.to_frame().T
    if isinstance(targets, pd.DataFrame):
        if "target_code" in targets:  # target_check / target_progress rows: `geo` and `year` are the DATA's
            geo = targets["target_geo"] if "target_geo" in targets else targets.get("geo", "CN")
            targets = pd.DataFrame({"code": targets["target_code"], "geo": geo, "year": targets["target_year"]})
        targets = targets[[c for c in ("code", "geo", "year") if c in targets]].to_dict("records")
    entries = [t for t in (targets or []) if isinstance(t, dict)]
    if not entries:
        return warehouse().iloc[:0][WAREHOUSE_COLUMNS].reset_index(drop=True)
    rows = load(sorted({t["code"] for t in entries}), resolve="all")
    keys = {(t["code"], t.get("geo", "CN"), int(t["year"])) for t in entries}
    mask = [(i, g, int(y)) in keys for i, g, y in zip(rows["indicator"], rows["geo"], rows["year"])]
    return rows[mask].reset_index(drop=True)
