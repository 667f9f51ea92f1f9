"""Readers for the exports of international databases: World Bank WDI, UNICEF SDMX-CSV, WHO GHO.

Each is selected by the ``format`` of the file's ``.meta.yaml`` and reads its
options from the sidecar's ``mapping:`` section (all optional)::

    mapping:
      indicator_map: {SH.DYN.MORT: u5mr_igme}   # source indicator code → ecd catalog code
      geo_map: {CHN: CHN}                       # source area code → ecd geo code (default: kept as is)
      geos: [CHN, JPN, WLD]                     # keep only these source area codes (default: all)
      units: {u5mr_igme: per 1000 live births}  # default: the unit in the catalog
      keep: {AGE: Y0T4}                         # SDMX: dimension values that count as "total"
      totals: [AGEGROUP_YEARSUNDER5]            # GHO: Dim1–3 values that count as "total"

The warehouse holds totals by area (total, urban, rural); rows of the export
that are disaggregated otherwise (by sex, age, wealth quintile …) are left
out, and the docstring of each reader says how they are recognised. An
indicator code without an ``indicator_map`` entry is kept as is, so the
warehouse's catalog check names it; a cell that is not a number is reported
with its line and the column header the user sees.
"""
from __future__ import annotations

import re
from pathlib import Path

from ecd.data._readers import LINE, RawTable, empty_raw, register_reader, repeated_header_failure, width_failure
from ecd.data._readers_common import (
    YEAR_HEADER,
    code_map,
    is_missing,
    number_failure,
    options,
    raw_table,
    rows_of_csv,
    unit_for,
)

_YEAR = re.compile(r"^\d{4}$")


def _header_first_rows(path, meta, label, what, required):
    """The CSV's rows when its first line is a header; else a message saying why not."""
    rows, problem = rows_of_csv(path, meta, label)
    if problem:
        return None, problem
    if not rows:
        return None, f"{label}: the file is empty (expected {what} header with {', '.join(required)})"
    return rows, None


def _aligned(rows, header, head_line, label, failures):
    """The (line, cells) rows with as many fields as the header; a failure for each other row."""
    for line, cells in rows:
        if cells == header:
            failures.append(repeated_header_failure(label, line, head_line))
            continue
        bad = width_failure(label, line, cells, len(header))
        if bad:
            failures.append(bad)
            continue
        yield line, cells


def _geo_filter(meta: dict, label: str, failures: list[str]) -> set[str] | None:
    geos = options(meta).get("geos")
    if geos is None:
        return None
    if not isinstance(geos, list) or not all(isinstance(g, str) for g in geos):
        failures.append(f"{label} (.meta.yaml), field mapping.geos: found {geos!r}; expected a list of source "
                        f"area codes such as [CHN, JPN]")
        return None
    return set(geos)


def _record(indicator, geo, area, year, value, meta, label, line, **extra) -> dict:
    return {"indicator": indicator, "geo": geo, "area": area, "year": year, "value": value,
            "unit": unit_for(indicator, meta), "source": str(meta.get("citation") or ""), LINE: line, **extra}


def _index(header: list[str], names: tuple[str, ...]) -> int | None:
    for n in names:
        if n in header:
            return header.index(n)
    return None


@register_reader("wdi_csv")
def read_wdi_csv(path: Path, meta: dict, label: str) -> RawTable:
    """A World Bank WDI CSV export: metadata lines, then one row per country × indicator, years as columns.

    Both layouts the World Bank offers are read: the bulk download
    (``"Data Source"`` and ``"Last Updated Date"`` lines, then ``Country Name,
    Country Code, Indicator Name, Indicator Code, 1960, …``) and the DataBank
    export (``Country Name, Country Code, Series Name, Series Code, 2000 [YR2000],
    …`` with ``..`` for no data and footer lines). Empty and ``..`` cells are no
    observation; every other cell must be a number. All rows are ``area: total``.
    """
    rows, problem = rows_of_csv(path, meta, label)
    if problem:
        return RawTable(empty_raw(), [problem])
    failures: list[str] = []
    head = next((i for i, (_, cells) in enumerate(rows) if "Country Code" in cells), None)
    if head is None:
        seen = rows[0][1][:4] if rows else []
        return RawTable(empty_raw(), [f"{label}: no header line with \"Country Code\" (found {seen} first); "
                                      f"expected a WDI export whose header is Country Name, Country Code, "
                                      f"Indicator Name, Indicator Code, 1960, …"])
    head_line, header = rows[head]
    geo_i = header.index("Country Code")
    ind_i = _index(header, ("Indicator Code", "Series Code"))
    if ind_i is None:
        return RawTable(empty_raw(), [f"{label} line {head_line} (header): no \"Indicator Code\" or \"Series Code\" "
                                      f"column; found {header}"])
    years = {i: int(YEAR_HEADER.match(h).group(1)) for i, h in enumerate(header) if YEAR_HEADER.match(h)}
    if not years:
        return RawTable(empty_raw(), [f"{label} line {head_line} (header): no year columns (expected headers "
                                      f"such as 1990 or \"1990 [YR1990]\"); found {header}"])
    imap = code_map(meta, "indicator_map", label, failures)
    gmap = code_map(meta, "geo_map", label, failures)
    keep = _geo_filter(meta, label, failures)
    records = []
    footer = [(line, cells) for line, cells in rows[head + 1:]
              if cells[0].startswith(("Data from database", "Last Updated")) and len(cells) < len(header)]
    body = [r for r in rows[head + 1:] if r not in footer]  # DataBank footer lines carry no data
    for line, cells in _aligned(body, header, head_line, label, failures):
        if not cells[geo_i]:
            failures.append(f'{label} line {line}, column "Country Code": empty (expected a country code such as CHN)')
            continue
        geo = cells[geo_i]
        if keep is not None and geo not in keep:
            continue
        for i, year in years.items():
            cell = cells[i]
            if is_missing(cell, ("", "..")):
                continue
            bad = number_failure(label, line, header[i], cell)
            if bad:
                failures.append(bad)
                continue
            code = cells[ind_i]
            records.append(_record(imap.get(code, code), gmap.get(geo, geo), "total", str(year), cell, meta, label, line))
    return raw_table(records, failures, label, " (every year cell is empty or '..', or mapping.geos keeps no row)")


_SDMX_REQUIRED = ("REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE")
_SDMX_TOTAL_BY_DEFAULT = ("SEX", "WEALTH_QUINTILE")
_RESIDENCE = {"_T": "total", "U": "urban", "R": "rural"}


def _sdmx_code(cell: str) -> str:
    # UNICEF's "labels: both" exports write "CHN: China"; the code is before the colon
    return cell.split(":", 1)[0].strip()


@register_reader("sdmx_csv")
def read_sdmx_csv(path: Path, meta: dict, label: str) -> RawTable:
    """A UNICEF (SDMX-CSV) data-warehouse export: one observation per line.

    Columns ``REF_AREA, INDICATOR, TIME_PERIOD, OBS_VALUE`` are required
    (headers and codes may carry labels, ``REF_AREA:Geographic area`` and
    ``CHN: China``). ``RESIDENCE`` gives the area (``_T`` total, ``U`` urban,
    ``R`` rural; absent = total). Only rows whose ``SEX`` and
    ``WEALTH_QUINTILE`` are ``_T`` (when present), and whose columns named in
    ``mapping.keep`` have the given value, are kept. ``LOWER_BOUND`` and
    ``UPPER_BOUND`` become ``ci_low`` and ``ci_high``.
    """
    rows, problem = _header_first_rows(path, meta, label, "an SDMX-CSV", _SDMX_REQUIRED)
    if problem:
        return RawTable(empty_raw(), [problem])
    failures: list[str] = []
    head_line, raw_header = rows[0]
    header = [_sdmx_code(h) for h in raw_header]
    missing = [c for c in _SDMX_REQUIRED if c not in header]
    if missing:
        return RawTable(empty_raw(), [f"{label} line {head_line} (header): missing column(s) {missing}; found "
                                      f"{raw_header}; expected an SDMX-CSV export with {', '.join(_SDMX_REQUIRED)}"])
    col = {h: i for i, h in enumerate(header)}
    keep = {c: "_T" for c in _SDMX_TOTAL_BY_DEFAULT if c in col}
    extra = options(meta).get("keep") or {}
    if not isinstance(extra, dict):
        failures.append(f"{label} (.meta.yaml), field mapping.keep: found {extra!r}; expected a mapping column → value")
        extra = {}
    for c, v in extra.items():
        if c not in col:
            failures.append(f"{label} (.meta.yaml), field mapping.keep: column {c!r} is not in the file "
                            f"(its columns are {header})")
        else:
            keep[c] = str(v)
    imap = code_map(meta, "indicator_map", label, failures)
    gmap = code_map(meta, "geo_map", label, failures)
    geos = _geo_filter(meta, label, failures)
    records = []
    for line, cells in _aligned(rows[1:], raw_header, head_line, label, failures):
        if any(_sdmx_code(cells[col[c]]) != v for c, v in keep.items()):
            continue
        geo = _sdmx_code(cells[col["REF_AREA"]])
        if geos is not None and geo not in geos:
            continue
        area = "total"
        if "RESIDENCE" in col:
            res = _sdmx_code(cells[col["RESIDENCE"]])
            if res not in _RESIDENCE:
                continue  # other residence breakdowns (e.g. camps) have no area code
            area = _RESIDENCE[res]
        value = cells[col["OBS_VALUE"]]
        if is_missing(value, ("", "NaN")):
            continue
        bad = number_failure(label, line, raw_header[col["OBS_VALUE"]], value)
        if bad:
            failures.append(bad)
            continue
        year = cells[col["TIME_PERIOD"]]
        if not _YEAR.match(year):
            failures.append(f'{label} line {line}, column "{raw_header[col["TIME_PERIOD"]]}": {year!r} is not a '
                            f"year (expected YYYY; the warehouse keeps annual observations)")
            continue
        bounds = {}
        for src, dst in (("LOWER_BOUND", "ci_low"), ("UPPER_BOUND", "ci_high")):
            if src in col and not is_missing(cells[col[src]], ("", "NaN")):
                bounds[dst] = cells[col[src]]
        code = _sdmx_code(cells[col["INDICATOR"]])
        records.append(_record(imap.get(code, code), gmap.get(geo, geo), area, year, value, meta, label, line, **bounds))
    return raw_table(records, failures, label, " (no row is a total over SEX/WEALTH_QUINTILE and mapping.keep)")


_GHO_REQUIRED = ("IndicatorCode", "SpatialDim", "TimeDim", "NumericValue")
_GHO_TOTALS = {"", "SEX_BTSX", "BTSX", "RESIDENCEAREATYPE_TOTL", "TOTL"}
_GHO_AREAS = {"RESIDENCEAREATYPE_URB": "urban", "URB": "urban", "RESIDENCEAREATYPE_RUR": "rural", "RUR": "rural"}


@register_reader("who_gho")
def read_who_gho(path: Path, meta: dict, label: str) -> RawTable:
    """A WHO Global Health Observatory export (the OData API's fields as CSV columns).

    Columns ``IndicatorCode, SpatialDim, TimeDim, NumericValue`` are required;
    ``Low``/``High`` become ``ci_low``/``ci_high``. ``Dim1``–``Dim3`` select the
    rows: both sexes / total (``SEX_BTSX``, ``RESIDENCEAREATYPE_TOTL``, empty, or
    a value listed in ``mapping.totals``) is kept, ``RESIDENCEAREATYPE_URB``/``RUR``
    become urban/rural, anything else (one sex, an age group …) is left out.
    """
    rows, problem = _header_first_rows(path, meta, label, "a GHO", _GHO_REQUIRED)
    if problem:
        return RawTable(empty_raw(), [problem])
    failures: list[str] = []
    head_line, header = rows[0]
    missing = [c for c in _GHO_REQUIRED if c not in header]
    if missing:
        return RawTable(empty_raw(), [f"{label} line {head_line} (header): missing column(s) {missing}; found "
                                      f"{header}; expected a WHO GHO export with {', '.join(_GHO_REQUIRED)}"])
    col = {h: i for i, h in enumerate(header)}
    extra = options(meta).get("totals") or []
    totals = _GHO_TOTALS | {str(v) for v in extra} if isinstance(extra, list) else _GHO_TOTALS
    imap = code_map(meta, "indicator_map", label, failures)
    gmap = code_map(meta, "geo_map", label, failures)
    geos = _geo_filter(meta, label, failures)
    dims = [d for d in ("Dim1", "Dim2", "Dim3") if d in col]
    records = []
    for line, cells in _aligned(rows[1:], header, head_line, label, failures):
        area, kept = "total", True
        for d in dims:
            v = cells[col[d]]
            if v in _GHO_AREAS:
                area = _GHO_AREAS[v]
            elif v not in totals:
                kept = False
        if not kept:
            continue
        geo = cells[col["SpatialDim"]]
        if geos is not None and geo not in geos:
            continue
        value = cells[col["NumericValue"]]
        if is_missing(value, ("",)):
            continue
        bad = number_failure(label, line, "NumericValue", value)
        if bad:
            failures.append(bad)
            continue
        year = cells[col["TimeDim"]]
        if not _YEAR.match(year):
            failures.append(f'{label} line {line}, column "TimeDim": {year!r} is not a year (expected YYYY)')
            continue
        bounds = {dst: cells[col[src]] for src, dst in (("Low", "ci_low"), ("High", "ci_high"))
                  if src in col and cells[col[src]] != ""}
        code = cells[col["IndicatorCode"]]
        records.append(_record(imap.get(code, code), gmap.get(geo, geo), area, year, value, meta, label, line, **bounds))
    return raw_table(records, failures, label, " (no row is both-sexes/total or urban/rural in Dim1–Dim3)")
