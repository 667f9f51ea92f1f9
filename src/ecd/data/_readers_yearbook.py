"""Wide yearbook tables (years or regions as columns, Chinese headers) made tidy by a declared mapping.

The mapping lives in the sidecar under ``mapping:`` (``ecd data add FILE
--mapping MAPPING.yaml`` copies it there). Keys:

``indicator`` (required)
    The ecd catalog code of the table's values, e.g. ``births``.
``unit`` (required)
    The unit of the values as printed in the table, e.g. ``"万人"`` or ``percent``.
``area``
    ``total`` (default), ``urban`` or ``rural`` for every value — or
``area_column`` + ``area_map``
    A column whose cells name the area, and ``{cell: total|urban|rural}``.
``year_columns``
    Years are columns: a regular expression whose group 1 is the year,
    matched against every header (``"^(\\d{4})年?$"`` reads ``2020年``).
    Each row is one region, named in ``geo_column`` (or the whole table is
    ``geo``).
``geo_columns``
    Regions are columns: ``names_zh`` (every header that is a Chinese region
    name of the catalog) or a regular expression; each row is one year, in
    ``year_column`` (its cells matched with ``year_pattern``, default
    ``"^(\\d{4})年?$"``). Exactly one of ``year_columns`` / ``geo_columns``.
``geo_column`` / ``geo``
    With ``year_columns``: the column holding region names, or one geo code
    for the whole table (e.g. ``CN``).
``geo_map``
    How region names become geo codes: ``names_zh`` (default; catalog
    Chinese names, tolerant of 省/市/自治区 suffixes and spaces inside names,
    ``全国`` = ``CN``), ``codes`` (cells are already geo codes), or an explicit
    ``{name: code}`` mapping (tried first, then ``names_zh``).
``header_row``
    1-based line (CSV) or row (XLSX) of the header; default 1. Lines above
    it (titles, notes) are ignored.
``skip_rows``
    Row labels to leave out (e.g. ``[合计, 注]``), matched on the geo or year cell.
``missing``
    Cells that mean "no data" (default ``"", "-", "—", "…", "..."``).
``sheet``
    XLSX only: the sheet name (default: the first sheet).

Every problem names the file, the line and the column header as the user sees
them, and a mapping problem names the mapping key.
"""
from __future__ import annotations

import re
from pathlib import Path

from ecd.data._readers import LINE, WHERE, RawTable, empty_raw, register_reader, repeated_header_failure, width_failure
from ecd.data._readers_common import DEFAULT_MISSING, is_missing, number_failure, raw_table, rows_of_csv
AREAS = ("total", "urban", "rural")  # as ecd.data._schema.AREAS (imported there from here would be circular)

MAPPING_KEYS = ("indicator", "unit", "area", "area_column", "area_map", "year_columns", "geo_columns", "geo_column",
                "geo", "geo_map", "year_column", "year_pattern", "header_row", "skip_rows", "missing", "sheet")
_DEFAULT_YEAR = r"^(\d{4})年?$"
_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区|省|市)$")


class MappingProblem(Exception):
    """One invalid mapping key (turned into a failure line by the reader)."""


def _where(label: str, key: str) -> str:
    return f"{label} (.meta.yaml), mapping key {key!r}"


def check_mapping(m, label: str) -> dict:
    """Validate a yearbook mapping; return it with defaults, or raise :class:`MappingProblem`."""
    if not isinstance(m, dict) or not m:
        raise MappingProblem(f"{label} (.meta.yaml): format yearbook_wide needs a `mapping:` section "
                             f"(found {m!r}); see `ecd data add --help` and ecd.data._readers_yearbook")
    unknown = [k for k in m if k not in MAPPING_KEYS]
    if unknown:
        raise MappingProblem(f"{_where(label, unknown[0])}: unknown key; expected only {', '.join(MAPPING_KEYS)}")
    for key in ("indicator", "unit"):
        if not isinstance(m.get(key), str) or not m[key].strip():
            raise MappingProblem(f"{_where(label, key)}: found {m.get(key)!r}; expected a non-empty string "
                                 f"(e.g. indicator: births, unit: 万人)")
    out = {"area": "total", "geo_map": "names_zh", "header_row": 1, "skip_rows": [], "missing": list(DEFAULT_MISSING),
           "year_pattern": _DEFAULT_YEAR, **m}
    if ("year_columns" in m) == ("geo_columns" in m):
        raise MappingProblem(f"{_where(label, 'year_columns')}: give exactly one of year_columns (years are columns) "
                             f"or geo_columns (regions are columns); found "
                             f"{'both' if 'year_columns' in m else 'neither'}")
    for key in ("year_columns", "year_pattern") + (("geo_columns",) if m.get("geo_columns") not in (None, "names_zh") else ()):
        if key in out:
            try:
                rx = re.compile(str(out[key]))
            except re.error as e:
                raise MappingProblem(f"{_where(label, key)}: {out[key]!r} is not a regular expression ({e})") from None
            if key != "geo_columns" and rx.groups < 1:
                raise MappingProblem(f"{_where(label, key)}: {out[key]!r} has no group; expected one capturing "
                                     f"the four-digit year, e.g. \"^(\\\\d{{4}})年?$\"")
    if "year_columns" in m and ("geo_column" in m) == ("geo" in m):
        raise MappingProblem(f"{_where(label, 'geo_column')}: with year_columns give exactly one of geo_column "
                             f"(the column of region names) or geo (one code for the whole table)")
    if "geo_columns" in m and not isinstance(m.get("year_column"), str):
        raise MappingProblem(f"{_where(label, 'year_column')}: with geo_columns, name the column that holds the "
                             f"years (found {m.get('year_column')!r})")
    if "area_column" in m:
        amap = m.get("area_map")
        if not isinstance(amap, dict) or not all(v in AREAS for v in amap.values()):
            raise MappingProblem(f"{_where(label, 'area_map')}: found {amap!r}; expected {{cell: total|urban|rural}}")
    elif out["area"] not in AREAS:
        raise MappingProblem(f"{_where(label, 'area')}: {out['area']!r}; expected one of {', '.join(AREAS)}")
    gm = out["geo_map"]
    if not (gm in ("names_zh", "codes") or (isinstance(gm, dict) and all(isinstance(v, str) for v in gm.values()))):
        raise MappingProblem(f"{_where(label, 'geo_map')}: {gm!r}; expected names_zh, codes or {{name: geo code}}")
    if not isinstance(out["header_row"], int) or isinstance(out["header_row"], bool) or out["header_row"] < 1:
        raise MappingProblem(f"{_where(label, 'header_row')}: {out['header_row']!r}; expected a line number ≥ 1")
    for key in ("skip_rows", "missing"):
        if not isinstance(out[key], list):
            raise MappingProblem(f"{_where(label, key)}: {out[key]!r}; expected a list of cell texts")
    return out


def _squeeze(name: str) -> str:
    return re.sub(r"\s+", "", str(name).replace("\u3000", ""))


def names_zh() -> dict[str, str]:
    """Chinese region name → geo code (provinces, aggregates; ``全国`` and ``中国`` = ``CN``)."""
    from ecd.catalog._load import geo_doc

    doc = geo_doc()
    out = {e["name_zh"]: g for g, e in doc["provinces"].items()}
    out.update({e["name_zh"]: g for g, e in doc["aggregates"].items()})
    out.update({"全国": "CN", "中国": "CN", "东部地区": "CN-EAST", "中部地区": "CN-CENTRAL", "西部地区": "CN-WEST"})
    return out


def geo_of(name: str, geo_map) -> str | None:
    """The geo code of a region cell/header, or ``None`` when the mapping does not know it."""
    raw = str(name).strip()
    if geo_map == "codes":
        return raw or None
    if isinstance(geo_map, dict):
        if raw in geo_map:
            return geo_map[raw]
        if _squeeze(raw) in geo_map:
            return geo_map[_squeeze(raw)]
    table = names_zh()
    key = _squeeze(raw)
    return table.get(key) or table.get(_SUFFIX.sub("", key))


def _rows_of_xlsx(path: Path, sheet, label: str) -> tuple[list | None, str | None]:
    import importlib.util
    import zipfile

    import pandas as pd

    if importlib.util.find_spec("openpyxl") is None:
        return None, (f"{label}: reading .xlsx needs the openpyxl package, which is not installed "
                      f"(install it, or save the sheet as CSV and declare its encoding)")
    try:
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, header=None, dtype=str)
    except zipfile.BadZipFile:
        return None, f"{label}: not an .xlsx workbook (expected an Excel 2007+ file; re-save it from the spreadsheet)"
    except (ValueError, KeyError) as e:
        return None, f"{label}: cannot read sheet {sheet!r} ({e}); expected the sheet named in mapping key 'sheet'"
    rows = []
    for i, rec in enumerate(frame.itertuples(index=False), start=1):
        cells = ["" if (v is None or (isinstance(v, float) and v != v)) else str(v).strip() for v in rec]
        if any(cells):
            rows.append((i, cells))
    return rows, None


@register_reader("yearbook_wide")
def read_yearbook_wide(path: Path, meta: dict, label: str) -> RawTable:
    """A wide yearbook table (CSV in the sidecar's ``encoding``, or XLSX) → tidy rows by its mapping."""
    try:
        m = check_mapping(meta.get("mapping"), label)
    except MappingProblem as e:
        return RawTable(empty_raw(), [str(e)])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows, problem = _rows_of_xlsx(path, m.get("sheet"), label)
    else:
        rows, problem = rows_of_csv(path, meta, label)
    if problem:
        return RawTable(empty_raw(), [problem])
    head = next((k for k, (line, _) in enumerate(rows) if line >= m["header_row"]), None)
    if head is None:
        return RawTable(empty_raw(), [f"{_where(label, 'header_row')}: line {m['header_row']} is past the end of "
                                      f"the file (expected the line of the column headers)"])
    head_line, header = rows[head]
    failures: list[str] = []
    col = {h: i for i, h in enumerate(header)}

    def need(key: str) -> int | None:
        name = m[key]
        if name not in col:
            failures.append(f"{_where(label, key)}: column {name!r} is not in the header on line {head_line} "
                            f"(found {header})")
            return None
        return col[name]

    area_i = need("area_column") if "area_column" in m else None
    geo_i = need("geo_column") if "geo_column" in m else None
    year_i = need("year_column") if "year_column" in m else None
    if failures:  # a named column is absent: nothing can be read row by row
        return RawTable(empty_raw(), failures)
    missing = tuple(str(x) for x in m["missing"])
    skip = {_squeeze(s) for s in m["skip_rows"]}
    # (line, column of the value, geo, area, year, where the year was read)
    cells_out: list[tuple[int, str, str, str, str, str, str]] = []

    def area_of(line, cells) -> str | None:
        if area_i is None:
            return m["area"]
        a = m["area_map"].get(cells[area_i])
        if a is None:
            failures.append(f'{label} line {line}, column "{m["area_column"]}": {cells[area_i]!r} is not in mapping '
                            f"key 'area_map' (expected one of {sorted(m['area_map'])})")
        return a

    def _body(body, label_i):
        """The data rows: skip_rows left out, then every other row must have the header's width."""
        for line, cells in body:
            if label_i is not None and label_i < len(cells) and _squeeze(cells[label_i]) in skip:
                continue
            if cells == header:
                failures.append(repeated_header_failure(label, line, head_line))
                continue
            bad = width_failure(label, line, cells, len(header),
                                note_hint="list its first cell in mapping key 'skip_rows' to leave it out")
            if bad:
                failures.append(bad)
                continue
            yield line, cells

    if "year_columns" in m:
        rx = re.compile(str(m["year_columns"]))
        years = {i: rx.match(h).group(1) for i, h in enumerate(header) if rx.match(h)}
        if not years:
            failures.append(f"{_where(label, 'year_columns')}: no header on line {head_line} matches "
                            f"{m['year_columns']!r} (found {header})")
        for line, cells in _body(rows[head + 1:], geo_i):
            if geo_i is not None:
                geo = geo_of(cells[geo_i], m["geo_map"])
                if geo is None:
                    failures.append(f'{label} line {line}, column "{m["geo_column"]}": {cells[geo_i]!r} is not a '
                                    f"region name the mapping knows (mapping key 'geo_map': add "
                                    f"`{cells[geo_i]}: <geo code>`, or list it in 'skip_rows')")
                    continue
            else:
                geo = str(m["geo"])
            area = area_of(line, cells)
            if area is None:
                continue
            for i, year in years.items():
                cells_out.append((line, header[i], geo, area, year, cells[i], f'column "{header[i]}" (header)'))
    else:
        spec = m["geo_columns"]
        if spec == "names_zh":
            geos = {i: geo_of(h, m["geo_map"]) for i, h in enumerate(header)}
            geos = {i: g for i, g in geos.items() if g is not None}
        else:
            rx = re.compile(str(spec))
            geos = {}
            for i, h in enumerate(header):
                if rx.match(h):
                    g = geo_of(h, m["geo_map"])
                    if g is None:
                        failures.append(f'{label} line {head_line}, column "{h}": matches geo_columns but is not a '
                                        f"region name the mapping knows (mapping key 'geo_map': add `{h}: <geo code>`)")
                    else:
                        geos[i] = g
        if not geos and not failures:
            failures.append(f"{_where(label, 'geo_columns')}: no header on line {head_line} is a region "
                            f"(found {header})")
        yrx = re.compile(str(m["year_pattern"]))
        for line, cells in _body(rows[head + 1:], year_i):
            ym = yrx.match(cells[year_i])
            if not ym:
                failures.append(f'{label} line {line}, column "{m["year_column"]}": {cells[year_i]!r} does not '
                                f"match mapping key 'year_pattern' {m['year_pattern']!r} (expected a year such as "
                                f"2020 or 2020年; list other row labels in 'skip_rows')")
                continue
            area = area_of(line, cells)
            if area is None:
                continue
            for i, geo in geos.items():
                cells_out.append((line, header[i], geo, area, ym.group(1), cells[i], f'column "{m["year_column"]}"'))

    records = []
    for line, column, geo, area, year, value, year_where in cells_out:
        if is_missing(value, missing):
            continue
        bad = number_failure(label, line, column, value)
        if bad:
            failures.append(bad + " (declare other no-data markers in mapping key 'missing')")
            continue
        records.append({"indicator": m["indicator"], "geo": geo, "area": area, "year": year, "value": value,
                        "unit": m["unit"], "source": str(meta.get("citation") or ""), LINE: line,
                        # where each cell was read, for messages (the tidy names mean nothing to the file's reader)
                        WHERE + "value": f'column "{column}"', WHERE + "year": year_where,
                        WHERE + "indicator": "mapping key 'indicator' (.meta.yaml)",
                        WHERE + "unit": "mapping key 'unit' (.meta.yaml)"})
    return raw_table(records, failures, label, " (every value cell is a no-data marker)")
