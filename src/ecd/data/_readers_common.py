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
from pathlib import Path

import pandas as pd

from ecd.data._readers import LINE, OPTIONAL_COLUMNS, TIDY_COLUMNS, WHERE, RawTable, decode, empty_raw

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
    cols = [*TIDY_COLUMNS, *[c for c in OPTIONAL_COLUMNS if any(c in r for r in records)]]
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


def number_failure(label: str, line: int, column: str, cell: str) -> str | None:
    try:
        float(cell.strip())
    except ValueError:
        return (f'{label} line {line}, column "{column}": {cell!r} is not a number (expected a numeric value '
                f'such as 12.5, or an empty cell / ".." for no data)')
    return None
