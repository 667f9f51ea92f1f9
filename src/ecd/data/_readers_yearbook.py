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
    Row labels to leave out (e.g. ``[合计]``), matched as whole cells on the geo or year cell.
``skip_rows_matching``
    Regular expressions for rows to leave out, matched at the start (so a plain
    text is a prefix) of the row's label cell or its first non-empty cell: notes
    and footers such as ``注：本表数据…`` or ``资料来源：…`` go with
    ``skip_rows_matching: ["^注", "^资料来源"]``.
``missing``
    Cells that mean "no data" (default ``"", "-", "—", "…", "..."``).
``thousands``
    The thousands separator of the table's numbers (``","``): ``1,083.1`` is read
    as 1083.1 — only where it groups digits by three.
``sheet``
    XLSX only: the sheet name (default: the first sheet).

Full-width digits and punctuation (``１０．６``, ``２０２０年``) are read as ASCII; the
row's ``note`` records each such value as it was printed. Every problem names
the file, the line and the column header as the user sees them; a mapping
problem names the mapping key (a misspelled key gets a "did you mean", and the
table is still read with the key it most likely meant, so that every other
problem is reported in the same run).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

from ecd.catalog import _names
from ecd.data._readers import LINE, WHERE, RawTable, empty_raw, register_reader, repeated_header_failure, width_failure
from ecd.data._readers_common import DEFAULT_MISSING, clean_number, is_missing, number_failure, raw_table, rows_of_csv
AREAS = ("total", "urban", "rural")  # as ecd.data._schema.AREAS (imported there from here would be circular)

MAPPING_KEYS = ("indicator", "unit", "area", "area_column", "area_map", "year_columns", "geo_columns", "geo_column",
                "geo", "geo_map", "year_column", "year_pattern", "header_row", "skip_rows", "skip_rows_matching",
                "missing", "thousands", "sheet")
_DEFAULT_YEAR = r"^(\d{4})年?$"
_SUFFIX = _names._SUFFIX
# the first words of notes and footers under a yearbook table
_NOTE = re.compile(r"^(注|附注|备注|说明|资料来源|数据来源|来源)")
_AT_LINE = re.compile(r" line (\d+)\b")


class MappingProblem(Exception):
    """One invalid mapping key (turned into a failure line by the reader)."""


def _where(label: str, key: str) -> str:
    return f"{label} (.meta.yaml), mapping key {key!r}"


def check_mapping(m, label: str) -> dict:
    """Validate a yearbook mapping; return it with defaults, or raise :class:`MappingProblem` (the first problem)."""
    checked, problems = mapping_problems(m, label)
    if problems:
        raise MappingProblem(problems[0])
    return checked


def mapping_problems(m, label: str) -> tuple[dict | None, list[str]]:
    r"""Every problem of a yearbook mapping, one message each, and the mapping to read the table with.

    The mapping is ``None`` when the table cannot be read; a misspelled key with one
    likely meaning (``geo_colum``) is a problem, but the table is read with the key
    it most likely meant so that the table's own problems are reported as well.

    Examples
    --------
    >>> from ecd.data._readers_yearbook import mapping_problems
    >>> m, problems = mapping_problems({"indicator": "births", "unit": "万人", "geo_colum": "地区",
    ...                                 "year_columns": "^(\\d{4})年?$"}, "t.csv")
    >>> problems  # doctest: +ELLIPSIS
    ["t.csv (.meta.yaml), mapping key 'geo_colum': unknown key; did you mean 'geo_column'? ..."]
    >>> m["geo_column"]
    '地区'
    """
    if not isinstance(m, dict) or not m:
        return None, [f"{label} (.meta.yaml): format yearbook_wide needs a `mapping:` section (found {m!r}); "
                      f"see `ecd data add --help` and ecd.data._readers_yearbook"]
    problems: list[str] = []
    readable = True
    m = dict(m)
    for key in [k for k in m if k not in MAPPING_KEYS]:
        close = difflib.get_close_matches(str(key), [k for k in MAPPING_KEYS if k not in m], n=1, cutoff=0.6)
        if close:
            problems.append(f"{_where(label, key)}: unknown key; did you mean {close[0]!r}? (the table was read as if "
                            f"it were, to report any other problem now)")
            m[close[0]] = m.pop(key)
        else:
            problems.append(f"{_where(label, key)}: unknown key; expected only {', '.join(MAPPING_KEYS)}")
            m.pop(key)

    def bad(text: str) -> None:
        nonlocal readable
        readable = False
        problems.append(text)

    for key in ("indicator", "unit"):
        if not isinstance(m.get(key), str) or not m[key].strip():
            bad(f"{_where(label, key)}: found {m.get(key)!r}; expected a non-empty string (e.g. indicator: births, "
                f"unit: 万人)")
    out = {"area": "total", "geo_map": "names_zh", "header_row": 1, "skip_rows": [], "skip_rows_matching": [],
           "missing": list(DEFAULT_MISSING), "year_pattern": _DEFAULT_YEAR, "thousands": None, **m}
    if ("year_columns" in m) == ("geo_columns" in m):
        bad(f"{_where(label, 'year_columns')}: give exactly one of year_columns (years are columns) or geo_columns "
            f"(regions are columns); found {'both' if 'year_columns' in m else 'neither'}")
    for key in ("year_columns", "year_pattern") + (("geo_columns",) if m.get("geo_columns") not in (None, "names_zh") else ()):
        if key in out:
            try:
                rx = re.compile(str(out[key]))
            except re.error as e:
                bad(f"{_where(label, key)}: {out[key]!r} is not a regular expression ({e})")
                continue
            if key != "geo_columns" and rx.groups < 1:
                bad(f"{_where(label, key)}: {out[key]!r} has no group; expected one capturing the four-digit year, "
                    f"e.g. \"^(\\\\d{{4}})年?$\"")
    one_mode = ("year_columns" in m) != ("geo_columns" in m)  # else the checks below would only repeat that
    if one_mode and "year_columns" in m and ("geo_column" in m) == ("geo" in m):
        bad(f"{_where(label, 'geo_column')}: with year_columns give exactly one of geo_column (the column of region "
            f"names) or geo (one code for the whole table)")
    if one_mode and "geo_columns" in m and not isinstance(m.get("year_column"), str):
        bad(f"{_where(label, 'year_column')}: with geo_columns, name the column that holds the years (found "
            f"{m.get('year_column')!r})")
    if "area_column" in m:
        amap = m.get("area_map")
        if not isinstance(amap, dict) or not all(v in AREAS for v in amap.values()):
            bad(f"{_where(label, 'area_map')}: found {amap!r}; expected {{cell: total|urban|rural}}")
    elif out["area"] not in AREAS:
        bad(f"{_where(label, 'area')}: {out['area']!r}; expected one of {', '.join(AREAS)}")
    gm = out["geo_map"]
    if not (gm in ("names_zh", "codes") or (isinstance(gm, dict) and all(isinstance(v, str) for v in gm.values()))):
        bad(f"{_where(label, 'geo_map')}: {gm!r}; expected names_zh, codes or {{name: geo code}}")
    if not isinstance(out["header_row"], int) or isinstance(out["header_row"], bool) or out["header_row"] < 1:
        bad(f"{_where(label, 'header_row')}: {out['header_row']!r}; expected a line number ≥ 1")
    for key in ("skip_rows", "missing", "skip_rows_matching"):
        if not isinstance(out[key], list):
            bad(f"{_where(label, key)}: {out[key]!r}; expected a list of "
                + ("regular expressions (or plain beginnings), e.g. [\"^注\", \"^资料来源\"]" if key == "skip_rows_matching"
                   else "cell texts"))
    if isinstance(out["skip_rows_matching"], list):
        for rx in out["skip_rows_matching"]:
            try:
                re.compile(str(rx))
            except re.error as e:
                bad(f"{_where(label, 'skip_rows_matching')}: {rx!r} is not a regular expression ({e}); a plain "
                    f"beginning such as 注 works as it is")
    sep = out["thousands"]
    if sep is not None and not (isinstance(sep, str) and len(sep) == 1 and not sep.isdigit() and sep != "."):
        bad(f"{_where(label, 'thousands')}: {sep!r}; expected the one character that separates thousands, "
            f"e.g. \",\" (the decimal point is always \".\")")
    return (out if readable else None), problems


def _squeeze(name: str) -> str:
    return _names.squeeze(name)


def _ascii(cell: str) -> str:
    """A header or label cell with full-width digits and letters as ASCII (``２０２０年`` → ``2020年``)."""
    return unicodedata.normalize("NFKC", str(cell)).strip()


def names_zh() -> dict[str, str]:
    """Chinese region name → geo code (provinces, aggregates; ``全国`` and ``中国`` = ``CN``)."""
    return dict(_names.names_zh())


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
    table = _names.names_zh()
    key = _squeeze(raw)
    return table.get(key) or table.get(_SUFFIX.sub("", key))


def _unknown_region(label: str, line: int, column: str, cell: str, m: dict) -> str:
    """Why a label cell is not a region, and the fix: a note line, or the closest catalog names."""
    where = f'{label} line {line}, column "{column}": {cell!r}'
    if _NOTE.match(cell.strip()):
        word = _NOTE.match(cell.strip()).group(1)
        prefix = [s for s in m["skip_rows"] if cell.strip().startswith(str(s)) and str(s).strip()]
        also = (f" (skip_rows {prefix[0]!r} matches whole cells only)" if prefix else "")
        return (f"{where} looks like a note or footer, not a region: leave such rows out with mapping key "
                f"skip_rows_matching: [\"^{word}\"]{also}")
    close = _names.suggestions(cell) if m["geo_map"] != "codes" else []
    guess = f"did you mean {' or '.join(close)}? " if close else ""
    code = close[0].rsplit("(", 1)[1].rstrip(")") if close else "<geo code>"
    return (f"{where} is not a region name the mapping knows; {guess}(mapping key 'geo_map': add "
            f"`{cell}: {code}`, or list it in 'skip_rows')")


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
    m, failures = mapping_problems(meta.get("mapping"), label)
    if m is None:
        return RawTable(empty_raw(), failures)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows, problem = _rows_of_xlsx(path, m.get("sheet"), label)
    else:
        rows, problem = rows_of_csv(path, meta, label)
    if problem:
        return RawTable(empty_raw(), failures + [problem])
    head = next((k for k, (line, _) in enumerate(rows) if line >= m["header_row"]), None)
    if head is None:
        return RawTable(empty_raw(), failures + [f"{_where(label, 'header_row')}: line {m['header_row']} is past the "
                                                 f"end of the file (expected the line of the column headers)"])
    head_line, header = rows[head]
    col = {h: i for i, h in enumerate(header)}
    absent = []

    def need(key: str) -> int | None:
        name = m[key]
        if name not in col:
            close = difflib.get_close_matches(str(name), header, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            absent.append(f"{_where(label, key)}: column {name!r} is not in the header on line {head_line}; {hint}"
                          f"(found {header}; mapping key 'header_row' says which line holds the headers)")
            return None
        return col[name]

    area_i = need("area_column") if "area_column" in m else None
    geo_i = need("geo_column") if "geo_column" in m else None
    year_i = need("year_column") if "year_column" in m else None
    if absent:  # a named column is absent: nothing can be read row by row
        return RawTable(empty_raw(), failures + absent)
    missing = tuple(str(x) for x in m["missing"])
    skip = {_squeeze(s) for s in m["skip_rows"]}
    skip_rx = [re.compile(str(s)) for s in m["skip_rows_matching"]]
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

    def skipped(cells, label_i) -> bool:
        cell = cells[label_i] if label_i is not None and label_i < len(cells) else ""
        if cell and _squeeze(cell) in skip:
            return True
        first = next((c for c in cells if c.strip()), "")
        return any(rx.match(c.strip()) for rx in skip_rx for c in {cell, first} if c.strip())

    def _body(body, label_i):
        """The data rows: skip_rows(_matching) left out, then every other row must have the header's width."""
        for line, cells in body:
            if skipped(cells, label_i):
                continue
            if cells == header:
                failures.append(repeated_header_failure(label, line, head_line))
                continue
            first = next((c for c in cells if c.strip()), "")
            note = _NOTE.match(first.strip())
            bad = width_failure(label, line, cells, len(header),
                                note_hint=(f"leave such rows out with mapping key skip_rows_matching: [\"^{note.group(1)}\"]"
                                           if note else "leave it out with mapping key 'skip_rows' (its first cell) or "
                                                        "'skip_rows_matching' (a regular expression)"))
            if bad:
                failures.append(bad)
                continue
            yield line, cells

    if "year_columns" in m:
        rx = re.compile(str(m["year_columns"]))
        years = {i: _ascii(rx.match(_ascii(h)).group(1)) for i, h in enumerate(header) if rx.match(_ascii(h))}
        if not years:
            failures.append(f"{_where(label, 'year_columns')}: no header on line {head_line} matches "
                            f"{m['year_columns']!r} (found {header})")
        for line, cells in _body(rows[head + 1:], geo_i):
            if geo_i is not None:
                geo = geo_of(cells[geo_i], m["geo_map"])
                if geo is None:
                    failures.append(_unknown_region(label, line, m["geo_column"], cells[geo_i], m))
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
                        failures.append(_unknown_region(label, head_line, h, h, m).replace(
                            f'column "{h}": {h!r} is not', f'column "{h}": matches geo_columns but is not'))
                    else:
                        geos[i] = g
        if not geos and not failures:
            failures.append(f"{_where(label, 'geo_columns')}: no header on line {head_line} is a region "
                            f"(found {header})")
        yrx = re.compile(str(m["year_pattern"]))
        for line, cells in _body(rows[head + 1:], year_i):
            ym = yrx.match(_ascii(cells[year_i]))
            if not ym:
                note = _NOTE.match(cells[year_i].strip())
                fix = (f"a note or footer: leave such rows out with mapping key skip_rows_matching: [\"^{note.group(1)}\"]"
                       if note else "list other row labels in 'skip_rows'")
                failures.append(f'{label} line {line}, column "{m["year_column"]}": {cells[year_i]!r} does not '
                                f"match mapping key 'year_pattern' {m['year_pattern']!r} (expected a year such as "
                                f"2020 or 2020年; {fix})")
                continue
            area = area_of(line, cells)
            if area is None:
                continue
            for i, geo in geos.items():
                cells_out.append((line, header[i], geo, area, _ascii(ym.group(1)), cells[i],
                                  f'column "{m["year_column"]}"'))

    records = []
    for line, column, geo, area, year, value, year_where in cells_out:
        if is_missing(value, missing) or is_missing(_ascii(value), missing):
            continue
        number, note = clean_number(value, m["thousands"])
        bad = number_failure(label, line, column, number, mapping=True)
        if bad:
            failures.append(bad)
            continue
        rec = {"indicator": m["indicator"], "geo": geo, "area": area, "year": year, "value": number,
               "unit": m["unit"], "source": str(meta.get("citation") or ""), LINE: line,
               # where each cell was read, for messages (the tidy names mean nothing to the file's reader)
               WHERE + "value": f'column "{column}"', WHERE + "year": year_where,
               WHERE + "indicator": "mapping key 'indicator' (.meta.yaml)",
               WHERE + "unit": "mapping key 'unit' (.meta.yaml)"}
        if note:
            rec["note"] = f'column "{column}": {note}'
        records.append(rec)
    if any("note" in r for r in records):
        for r in records:
            r.setdefault("note", "")
    # mapping problems first, then the table's problems in the order of its lines
    n_map = len(mapping_problems(meta.get("mapping"), label)[1])
    rows_first = sorted(failures[n_map:], key=lambda f: int(hit.group(1)) if (hit := _AT_LINE.search(f)) else 0)
    return raw_table(records, failures[:n_map] + rows_first, label, " (every value cell is a no-data marker)")
