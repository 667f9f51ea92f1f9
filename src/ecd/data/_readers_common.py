"""Pieces shared by the readers of non-tidy layouts (international exports, yearbook tables).

These readers turn a foreign layout into the string cells of
:data:`ecd.data._readers.TIDY_COLUMNS` (plus ``_line``). Codes of the foreign
file are translated with maps declared in the sidecar (or in the mapping of a
yearbook table); a code with no translation is reported, never guessed.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import pandas as pd

from ecd.data._readers import LINE, OPTIONAL_COLUMNS, TEXT_COLUMNS, TIDY_COLUMNS, WHERE, RawTable, decode, empty_raw

# cells that mean "no observation" in the exports (WDI "..", yearbook dashes and ellipses)
DEFAULT_MISSING = ("", "..", "-", "—", "–", "…", "...", "NA", "N/A")


def rows_of_csv(path: Path, meta: dict, label: str) -> tuple[list[tuple[int, list[str]]] | None, str | None]:
    """``[(line, cells), ...]`` of a CSV file in the sidecar's encoding (blank lines dropped)."""
    text, problem = decode(path.read_bytes(), meta.get("encoding", "utf-8"), label)
    if problem:
        return None, problem
    reader = csv.reader(io.StringIO(text, newline=""))
    out = []
    last = 0
    for rec in reader:
        start = last + 1
        last = reader.line_num
        if rec and any(c.strip() for c in rec):
            out.append((start, [c.strip() for c in rec]))
    return out, None


def raw_table(records: list[dict], failures: list[str], label: str, why: str = "") -> RawTable:
    """String records (with ``_line``) → the frame the warehouse validates."""
    cols = [*TIDY_COLUMNS, *[c for c in (*OPTIONAL_COLUMNS, *TEXT_COLUMNS) if any(c in r for r in records)]]
    if not records:
        if not failures:
            failures = failures + [f"{label}: no data rows were found{why} (expected at least one observation)"]
        return RawTable(empty_raw(), failures)
    cols += sorted({k for r in records for k in r if k.startswith(WHERE)})
    frame = pd.DataFrame([{c: r.get(c, "") for c in cols} for r in records], dtype=object)
    frame[LINE] = pd.Series([r[LINE] for r in records], dtype="int64")
    return RawTable(frame, failures)


def options(meta: dict) -> dict:
    """The reader options of a file: the sidecar's ``mapping:`` section (``{}`` when absent)."""
    value = meta.get("mapping")
    return value if isinstance(value, dict) else {}


def code_map(meta: dict, key: str, label: str, failures: list[str]) -> dict:
    """A ``{foreign code: ecd code}`` mapping from the sidecar's ``mapping:`` (empty when absent)."""
    value = options(meta).get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, (str, int)) and isinstance(v, str) for k, v in value.items()):
        failures.append(f"{label} (.meta.yaml), field mapping.{key}: found {value!r}; expected a mapping of "
                        f"source code → ecd code, e.g. {{SH.DYN.MORT: u5mr_igme}}")
        return {}
    return {str(k): v for k, v in value.items()}


def unit_for(indicator: str, meta: dict) -> str:
    """The unit of an indicator: ``mapping.units: {code: unit}`` or ``mapping.unit``, else the catalog's."""
    opts = options(meta)
    units = opts.get("units")
    if isinstance(units, dict) and indicator in units:
        return str(units[indicator])
    if isinstance(opts.get("unit"), str):
        return opts["unit"]
    from ecd.catalog._load import catalog_doc

    entry = catalog_doc()["indicators"].get(indicator)
    return str(entry["unit"]) if entry else ""


YEAR_HEADER = re.compile(r"^(\d{4})(?: \[YR\d{4}\])?$")


def is_missing(cell: str, missing=DEFAULT_MISSING) -> bool:
    return cell.strip() in missing


def number_failure(label: str, line: int, column: str, cell: str, mapping: bool = False) -> str | None:
    """The failure of a cell that is not a number (``None`` when it is), with the fix that fits the cell.

    Examples
    --------
    >>> from ecd.data._readers_common import number_failure
    >>> print(number_failure("t.csv", 4, "2020年", "1,083.1", mapping=True))
    t.csv line 4, column "2020年": '1,083.1' is not a number (it has thousands separators: declare them with mapping key 'thousands' (thousands: ",") to read it as 1083.1)
    >>> number_failure("t.csv", 4, "2020年", "12.5") is None
    True
    """
    try:
        float(cell.strip())
    except ValueError:
        text = cell.strip()
        where = f'{label} line {line}, column "{column}": {text!r} is not a number'
        if re.fullmatch(r"[+-]?\d{1,3}([,，]\d{3})+(\.\d+)?", text):
            return (f"{where} (it has thousands separators: declare them with mapping key 'thousands' "
                    f"(thousands: \",\") to read it as {text.replace(',', '').replace('，', '')})")
        return (f'{where} (expected a numeric value such as 12.5, or an empty cell / ".." for no data'
                + ("; declare other no-data markers in mapping key 'missing')" if mapping else ")"))
    return None


THOUSANDS = (",", " ", "'", "，")


def clean_number(cell: str, thousands: str | None = None) -> tuple[str, str | None]:
    """A number cell as plain ASCII text, and what was changed for the row's note (``None``: nothing).

    Full-width digits and punctuation (``１０．６``, ``－``, ``，``) become ASCII (Unicode NFKC); a declared
    ``thousands`` separator is removed where it groups digits by three (``1,083.1`` → ``1083.1``), nowhere
    else. A cell that is still not a number is returned as it was, for the reader to report.

    Examples
    --------
    >>> from ecd.data._readers_common import clean_number
    >>> clean_number("１０．６")
    ('10.6', "'１０．６' read as 10.6 (full-width characters)")
    >>> clean_number("1,083.1", thousands=",")
    ('1083.1', None)
    >>> clean_number("1,08.1", thousands=",")
    ('1,08.1', None)
    """
    text = cell.strip()
    wide = unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()  # U+2212 is a minus sign too
    plain = wide
    if thousands:
        sep = unicodedata.normalize("NFKC", thousands)
        if re.fullmatch(r"[+-]?\d{1,3}(" + re.escape(sep) + r"\d{3})+(\.\d+)?", wide):
            plain = wide.replace(sep, "")
    try:
        float(plain)
    except ValueError:
        return cell, None
    if wide == text:
        return plain, None
    why = "full-width characters" if unicodedata.normalize("NFKC", text).strip() != text else "typographic minus sign"
    return plain, f"{text!r} read as {plain} ({why})"


def normalise_numbers(table: RawTable, thousands: str | None = None,
                      columns=("year", "value", *OPTIONAL_COLUMNS)) -> RawTable:
    """A tidy reader's number cells with full-width forms (and a declared thousands separator) made plain.

    Each changed cell is recorded in the row's ``note`` (kept in the warehouse), so the value printed in the
    file can always be traced. Cells that are still not numbers are left for the schema to report.

    Examples
    --------
    >>> from ecd.data._readers import read_csv_cells, TIDY_COLUMNS, TEXT_COLUMNS
    >>> from ecd.data._readers_common import normalise_numbers
    >>> t = read_csv_cells("indicator,geo,area,year,value,unit,source\\nimr,CN,total,２０２０,５．４,‰,x\\n", "t.csv",
    ...                    TIDY_COLUMNS, TEXT_COLUMNS)
    >>> t = normalise_numbers(t)
    >>> t.frame.loc[0, ["year", "value", "note"]].tolist()
    ['2020', '5.4', "year '２０２０' read as 2020 (full-width characters); value '５．４' read as 5.4 (full-width characters)"]
    """
    frame = table.frame
    if frame.empty:
        return table
    notes: dict[int, list[str]] = {}
    frame = frame.copy()
    for col in columns:
        if col not in frame:
            continue
        for idx, cell in frame[col].items():
            if not isinstance(cell, str) or not cell.strip():
                continue
            plain, note = clean_number(cell, thousands if col != "year" else None)
            if plain != cell.strip():
                frame.at[idx, col] = plain
            if note:
                notes.setdefault(idx, []).append(f"{col} {note}")
    if notes:
        if "note" not in frame:
            frame.insert(len([c for c in frame.columns if not c.startswith("_")]), "note", "")
        for idx, items in notes.items():
            old = frame.at[idx, "note"] if isinstance(frame.at[idx, "note"], str) else ""
            frame.at[idx, "note"] = "; ".join([old.strip()] + items if old.strip() else items)
    return RawTable(frame, table.failures, table.contributes_rows)
