"""Readers that turn one raw file into a frame of raw strings, one row per data line.

A reader is chosen by the ``format`` field of the file's ``.meta.yaml``. It
returns the cells as *strings* (plus ``_line``, the 1-based line number in the
file, header = line 1) so that validation can quote exactly what the user will
see when they open the file. Readers never change a value; they only make its
spelling plain — full-width digits and punctuation, a declared thousands
separator — and record the cell as printed in the row's ``note``.

Formats: ``tidy_csv`` and ``geo_codes`` (here), ``wdi_csv``, ``sdmx_csv`` and
``who_gho`` (:mod:`ecd.data._readers_intl`), ``yearbook_wide``
(:mod:`ecd.data._readers_yearbook`). New formats plug in with
:func:`register_reader`; each must produce the tidy columns of
:data:`TIDY_COLUMNS` (optional :data:`OPTIONAL_COLUMNS` may be absent).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

TIDY_COLUMNS = ("indicator", "geo", "area", "year", "value", "unit", "source")
OPTIONAL_COLUMNS = ("se", "ci_low", "ci_high")
# optional text columns of the publication contract: the row's publication key, its trust, a note
TEXT_COLUMNS = ("publication", "trust", "note")
LINE = "_line"
# optional hidden columns "_where_<column>": where a reader of a non-tidy layout read that cell
# (e.g. 'column "1899年"' of a yearbook table), so that messages name what the user sees
WHERE = "_where_"


@dataclass
class RawTable:
    """What a reader produced: string cells with their line numbers, and file-level failures."""

    frame: pd.DataFrame
    failures: list[str] = field(default_factory=list)
    contributes_rows: bool = True


Reader = Callable[[Path, dict, str], RawTable]
_READERS: dict[str, Reader] = {}


def register_reader(name: str) -> Callable[[Reader], Reader]:
    """Register a reader for the raw files whose sidecar says ``format: <name>``.

    Parameters
    ----------
    name : str
        The ``format`` value in ``.meta.yaml`` that selects this reader.

    Returns
    -------
    callable
        A decorator for ``func(path, meta, label) -> RawTable``. The reader must
        return the cells of :data:`TIDY_COLUMNS` as strings plus ``_line`` (the
        1-based line of each row in the file, header = 1) and any file-level
        failures as ``"<label>[ line N]: found …; expected …"`` strings; the
        warehouse validates the cells with the same schemas as every other format.

    Examples
    --------
    >>> from ecd.data import register_reader
    >>> from ecd.data._readers import TIDY_COLUMNS, read_csv_cells, reader_names
    >>> @register_reader("semicolon_csv")
    ... def read_semicolon_csv(path, meta, label):
    ...     text = path.read_text(encoding=meta.get("encoding", "utf-8"))
    ...     return read_csv_cells(text.replace(";", ","), label, TIDY_COLUMNS)
    >>> "semicolon_csv" in reader_names()
    True
    """

    def deco(func: Reader) -> Reader:
        _READERS[name] = func
        return func

    return deco


def reader_names() -> tuple[str, ...]:
    return tuple(sorted(_READERS))


def get_reader(name: str) -> Reader | None:
    return _READERS.get(name)


def empty_raw(columns=TIDY_COLUMNS) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in (*columns, LINE)})


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, encoding: str, label: str) -> tuple[str | None, str | None]:
    """Decode the file's bytes with the declared encoding, explaining a mismatch."""
    enc = (encoding or "utf-8").lower().replace("_", "-")
    if enc in ("utf-8", "utf8"):
        enc = "utf-8-sig"  # a BOM is harmless: accept it
    try:
        return data.decode(enc), None
    except LookupError:
        return None, (f'{label}: encoding {encoding!r} declared in the .meta.yaml is not a known codec '
                      f'(expected e.g. "utf-8" or "gbk")')
    except UnicodeDecodeError as e:
        line = _line_of_offset(data, e.start)
        found = f"byte 0x{data[e.start]:02x} at line {line} is not valid {encoding}"
        if enc == "utf-8-sig":
            try:
                data.decode("gb18030")
            except UnicodeDecodeError:
                hint = "re-save the file as UTF-8"
            else:
                return None, (f"{label} line {line}: {found}; the file looks GBK/GB18030-encoded "
                              f"(expected UTF-8). Convert it with `iconv -f GBK -t UTF-8 old.csv > new.csv` "
                              f"(then update sha256 in the .meta.yaml), or declare `encoding: gbk` in its .meta.yaml")
        else:
            hint = "declare the right `encoding:` in the .meta.yaml or convert the file to UTF-8"
        return None, f"{label}: {found} (expected {encoding}); {hint}"


def width_failure(label: str, line: int, cells: list[str], width: int, note_hint: str = "") -> str | None:
    """The failure of a row whose number of fields is not the header's ``width`` (``None`` when it is).

    Too many fields shift values into the wrong columns; too few leave the last
    columns silently empty. Both are refused, with the line as a text editor shows it.

    Examples
    --------
    >>> from ecd.data._readers import width_failure
    >>> width_failure("t.csv", 3, ["上海", "1", "234", "16.0"], 3)  # doctest: +ELLIPSIS
    't.csv line 3: 4 fields but the header has 3 — values would shift into the wrong columns ...'
    >>> width_failure("t.csv", 9, ["注：2020年为普查数"], 3)  # doctest: +ELLIPSIS
    "t.csv line 9: 1 field ('注：2020年为普查数') but the header has 3 — a note or footnote line inside the table? ..."
    """
    n = len(cells)
    if n == width:
        return None
    if n > width:
        return (f"{label} line {line}: {n} fields but the header has {width} — values would shift into the wrong "
                f"columns (a comma inside a value must be quoted, e.g. \"1,234\", or the number written as 1234)")
    if n == 1 or sum(1 for c in cells if c.strip()) == 1 and not cells[-1].strip():
        first = next(c for c in cells if c.strip()) if any(c.strip() for c in cells) else cells[0]
        return (f"{label} line {line}: {n} field{'s' if n > 1 else ''} ({first.strip()!r}) but the header has "
                f"{width} — a note or footnote line inside the table? (expected one field per column; "
                f"{note_hint or 'notes belong in the sidecar (definition_notes), not among the data rows'})")
    return (f"{label} line {line}: {n} fields but the header has {width} — the last {width - n} column(s) would be "
            f"read as empty (expected one field per column; write a missing value as an empty field, e.g. `a,,c`)")


def repeated_header_failure(label: str, line: int, header_line: int) -> str:
    return (f"{label} line {line}: repeats the header of line {header_line} (a second header row, e.g. from joining "
            f"two files; expected data rows only below the header)")


def read_csv_cells(text: str, label: str, required, optional=()) -> RawTable:
    """Parse CSV text into string cells with line numbers; report structural problems."""
    failures: list[str] = []
    if not text.strip():
        failures.append(f"{label}: the file is empty (expected a header line "
                        f"`{','.join(required)}` and at least one data row)")
        return RawTable(empty_raw(required), failures)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    dup = sorted({c for c in header if header.count(c) > 1})
    if missing:
        failures.append(f"{label} line 1 (header): missing column(s) {', '.join(repr(c) for c in missing)}; "
                        f"found {header}; expected {list(required)}")
    if unknown:
        failures.append(f"{label} line 1 (header): unexpected column(s) {', '.join(repr(c) for c in unknown)}; "
                        f"expected only {list(required) + list(optional)} (rename or remove them)")
    if dup:
        failures.append(f"{label} line 1 (header): column(s) {dup} appear more than once")
    rows, lines = [], []
    last = reader.line_num
    for rec in reader:
        start = last + 1
        last = reader.line_num
        if not rec or all(not c.strip() for c in rec):
            continue  # blank lines carry no data
        if [c.strip() for c in rec] == header:
            failures.append(repeated_header_failure(label, start, 1))
            continue
        bad = width_failure(label, start, rec, len(header))
        if bad:
            failures.append(bad)
            continue
        rows.append(rec)
        lines.append(start)
    if not rows and not failures:
        failures.append(f"{label}: the file has a header but no data rows (expected at least one)")
    keep = [c for c in header if c in required or c in optional]
    if missing or dup:
        return RawTable(empty_raw(required), failures)
    frame = pd.DataFrame(rows, columns=header, dtype=object)[keep] if rows else empty_raw(keep)
    frame[LINE] = pd.Series(lines, dtype="int64") if rows else frame[LINE]
    return RawTable(frame.reset_index(drop=True), failures)


@register_reader("tidy_csv")
def read_tidy_csv(path: Path, meta: dict, label: str) -> RawTable:
    """The data-seed layout: ``indicator, geo, area, year, value, unit, source`` (+ ``se, ci_low, ci_high``,
    ``publication, trust, note``)."""
    from ecd.data._readers_common import normalise_numbers, options

    text, problem = decode(path.read_bytes(), meta.get("encoding", "utf-8"), label)
    if problem:
        return RawTable(empty_raw(), [problem])
    # full-width digits (and a thousands separator declared as `mapping: {thousands: ","}`) are read as
    # plain numbers; the row's note records the cell as printed
    return normalise_numbers(read_csv_cells(text, label, TIDY_COLUMNS, OPTIONAL_COLUMNS + TEXT_COLUMNS),
                             options(meta).get("thousands"))


GEO_CODE_COLUMNS = ("geo", "gb2260", "name_zh", "name_en", "region_3")


@register_reader("geo_codes")
def read_geo_codes(path: Path, meta: dict, label: str) -> RawTable:
    """Reference table of province codes: checked against the packaged catalog, no indicator rows."""
    from ecd.catalog._load import geo_doc

    text, problem = decode(path.read_bytes(), meta.get("encoding", "utf-8"), label)
    if problem:
        return RawTable(empty_raw(), [problem], contributes_rows=False)
    table = read_csv_cells(text, label, GEO_CODE_COLUMNS)
    failures = list(table.failures)
    provinces = geo_doc()["provinces"]
    if not failures:
        for r in table.frame.to_dict("records"):
            entry = provinces.get(r["geo"])
            if entry is None:
                failures.append(f'{label} line {r[LINE]}, column "geo": {r["geo"]!r} is not a province in '
                                f"src/ecd/catalog/geo.yaml (expected an ISO 3166-2:CN code such as 'CN-BJ')")
                continue
            expect = {"gb2260": entry["gb2260"], "name_zh": entry["name_zh"], "name_en": entry["name_en"],
                      "region_3": entry["region"].capitalize()}
            for col, want in expect.items():
                if r[col] != want:
                    failures.append(f'{label} line {r[LINE]}, column "{col}": {r[col]!r} disagrees with the '
                                    f"catalog (expected {want!r}; fix one of the two)")
        seen = set(table.frame["geo"])
        for g in sorted(set(provinces) - seen):
            failures.append(f"{label}: province {g} of the catalog is missing (expected all 31 provinces)")
    return RawTable(empty_raw(), failures, contributes_rows=False)


# the other formats register themselves on import (kept in their own modules)
from ecd.data import _microdata, _readers_intl, _readers_yearbook  # noqa: E402,F401
from ecd.policy import _readers as _readers_policy  # noqa: E402,F401  (policy inventory: validated, no rows)
