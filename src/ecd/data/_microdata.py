"""Child-level microdata files (milestone answers per child) kept under ``data/raw`` with their provenance.

Such a file contributes no indicator rows to the warehouse; ``ecd data build``
checks it (ids unique, ages numbers, every item cell 0, 1 or empty) and
:func:`microdata` reads it for the chapters. Its sidecar says how::

    format: item_microdata
    mapping:
      delimiter: "\\t"                  # or ","
      id_column: subjid
      age_column: agedays
      age_unit: days                    # days | months | years
      item_pattern: "^by3(cg|fm)d\\d{3}$"
      domains: {cg: 认知, fm: 精细动作}  # domain code -> label; item names follow the GSED lexicon
                                        # (instrument 3 letters, domain 2, mode 1, number 3: by3cgd025)
    items:                              # optional: item -> English label (as published) and Chinese rendering
      by3cgd025: {label: Searches for fallen object, label_zh: 寻找掉落的物体}
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ecd import paths
from ecd.data._readers import RawTable, decode, empty_raw, register_reader
from ecd.errors import DataError, ParameterError, SchemaError

_AGE_UNITS = ("days", "months", "years")
_MAX_LISTED = 20


@dataclass(frozen=True, eq=False)
class Microdata:
    """A child-level file and what its sidecar says about it.

    Attributes
    ----------
    frame : pandas.DataFrame
        The file as read (item columns as floats 0/1/NaN).
    items : pandas.DataFrame
        One row per item column: ``item, domain, domain_zh, label, label_zh``.
    id_column, age_column, age_unit : str
        From the sidecar's ``mapping``.
    meta : dict
        The whole sidecar (citation, publications, licence, notes …).
    """

    frame: pd.DataFrame
    items: pd.DataFrame
    id_column: str
    age_column: str
    age_unit: str
    meta: dict = field(repr=False)

    @property
    def citation(self) -> str:
        """The sidecar's citation line (for figure and table sources)."""
        return str(self.meta.get("citation", ""))

    def age(self, unit: str = "months") -> pd.Series:
        """Ages converted to ``unit`` (days, months or years; a month is 365.25/12 days)."""
        if unit not in _AGE_UNITS:
            raise ParameterError("unit", f"{unit!r}: use one of {', '.join(_AGE_UNITS)}.")
        days = self.frame[self.age_column].astype(float) * {"days": 1.0, "months": 365.25 / 12, "years": 365.25}[
            self.age_unit]
        return days / {"days": 1.0, "months": 365.25 / 12, "years": 365.25}[unit]


def _settings(meta: dict, label: str) -> tuple[dict, list[str]]:
    m = meta.get("mapping") if isinstance(meta.get("mapping"), dict) else {}
    failures = [f"{label}: the sidecar's mapping has no {k!r} (expected delimiter, id_column, age_column, age_unit, "
                f"item_pattern)" for k in ("id_column", "age_column", "item_pattern") if not m.get(k)]
    unit = m.get("age_unit", "days")
    if unit not in _AGE_UNITS:
        failures.append(f"{label}: mapping.age_unit {unit!r} is not one of {', '.join(_AGE_UNITS)}")
    try:
        re.compile(str(m.get("item_pattern", "")))
    except re.error as exc:
        failures.append(f"{label}: mapping.item_pattern is not a regular expression ({exc})")
    return {"delimiter": m.get("delimiter", ","), "unit": unit, **m}, failures


def _width_failures(text: str, delimiter: str, label: str) -> list[str]:
    """One failure per row whose number of fields is not the header's (lines as an editor shows them)."""
    import csv

    from ecd.data._readers import width_failure

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    out, last = [], reader.line_num
    for rec in reader:
        start, last = last + 1, reader.line_num
        if header is not None and rec and any(c.strip() for c in rec):
            bad = width_failure(label, start, rec, len(header))
            if bad:
                out.append(bad)
    return out


def _parse(path: Path, meta: dict, label: str) -> tuple[pd.DataFrame | None, dict, list[str]]:
    """Read and check a microdata file: the frame (items as floats) and every failure, each naming line and column."""
    opts, failures = _settings(meta, label)
    if failures:
        return None, opts, failures
    text, problem = decode(path.read_bytes(), meta.get("encoding", "utf-8"), label)
    if problem:
        return None, opts, [problem]
    widths = _width_failures(text, opts["delimiter"], label)
    if widths:  # pandas would pad a short row with empty answers and refuse a long one without saying which
        return None, opts, widths[:_MAX_LISTED] + ([f"{label}: ... and {len(widths) - _MAX_LISTED} more"]
                                                   if len(widths) > _MAX_LISTED else [])
    try:
        raw = pd.read_csv(io.StringIO(text), sep=opts["delimiter"], dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        return None, opts, [f"{label}: not a {opts['delimiter']!r}-separated table ({exc})"]
    id_col, age_col = opts["id_column"], opts["age_column"]
    missing = [c for c in (id_col, age_col) if c not in raw.columns]
    items = [c for c in raw.columns if re.search(opts["item_pattern"], c)]
    if missing:
        failures.append(f"{label}: columns {missing} named in the sidecar's mapping are not in the header")
    if not items:
        failures.append(f"{label}: no column matches item_pattern {opts['item_pattern']!r}")
    if failures:
        return None, opts, failures
    cells = []
    dup = raw[id_col][raw[id_col].duplicated()].unique()
    failures += [f"{label}: id {v!r} in column {id_col!r} occurs more than once (expected one row per child)"
                 for v in dup[:_MAX_LISTED]]
    age = pd.to_numeric(raw[age_col].replace("", np.nan), errors="coerce")
    for i in np.flatnonzero((age.isna() & (raw[age_col] != "")).to_numpy() | (age < 0).to_numpy()):
        cells.append(f"{label} line {i + 2}, column {age_col!r}: {raw[age_col].iloc[i]!r} is not an age "
                     f"(expected a non-negative number of {opts['unit']}, or empty)")
    values = raw[items]
    bad = ~values.isin(["0", "1", ""])
    for i, j in np.argwhere(bad.to_numpy()):
        cells.append(f"{label} line {i + 2}, column {items[j]!r}: {values.iat[i, j]!r} is not a milestone score "
                     "(expected 0, 1 or empty)")
    if cells:
        failures += cells[:_MAX_LISTED] + ([f"{label}: ... and {len(cells) - _MAX_LISTED} more"]
                                           if len(cells) > _MAX_LISTED else [])
    if failures:
        return None, opts, failures
    frame = raw.copy()
    frame[age_col] = age
    frame[items] = values.replace("", np.nan).astype(float)
    return frame, {**opts, "items": items}, []


@register_reader("item_microdata")
def read_item_microdata(path: Path, meta: dict, label: str) -> RawTable:
    """Child-level milestone answers: checked, no indicator rows (read them with :func:`microdata`)."""
    _, _, failures = _parse(path, meta, label)
    return RawTable(empty_raw(), failures, contributes_rows=False)


def microdata(source_id: str, file: str | None = None) -> Microdata:
    """Read a child-level file from ``data/raw/<source_id>/`` with its sidecar.

    Parameters
    ----------
    source_id : str
        The source folder, e.g. ``"gcdg_chn"``.
    file : str, optional
        The file name when the folder holds several ``item_microdata`` files.

    Returns
    -------
    Microdata

    Raises
    ------
    DataError
        No such folder or file, or a file that fails its checks (every failure listed).

    Examples
    --------
    >>> import ecd.data
    >>> kids = ecd.data.microdata("gcdg_chn")
    >>> len(kids.frame), kids.age_unit, kids.items["domain_zh"].unique().tolist()
    (990, 'days', ['认知', '精细动作'])
    """
    from ecd.data._sidecar import SIDECAR_SUFFIX, read_sidecar, sha256_file

    folder = paths.raw_dir() / source_id
    if not folder.is_dir():
        raise DataError(f"data/raw/{source_id}: no such source folder (expected a child-level file and its "
                        f".meta.yaml there).")
    candidates = []
    for side in sorted(folder.glob("*" + SIDECAR_SUFFIX)):
        stem = side.name[: -len(SIDECAR_SUFFIX)]
        files = [p for p in folder.iterdir() if p.stem == stem and not p.name.endswith(SIDECAR_SUFFIX)]
        if files:
            candidates.append(files[0])
    if file is not None:
        candidates = [p for p in candidates if p.name == file]
    label_of = {p: f"data/raw/{source_id}/{p.name}" for p in candidates}
    metas = {p: read_sidecar(p, label_of[p], sha256_file(p)) for p in candidates}
    chosen = [p for p in candidates if metas[p][0].get("format") == "item_microdata"]
    if len(chosen) != 1:
        raise DataError(f"data/raw/{source_id}: expected one item_microdata file"
                        f"{' named ' + repr(file) if file else ''}, found {len(chosen)} "
                        f"({[p.name for p in chosen]}); pass file= to choose.")
    path = chosen[0]
    meta, problems = metas[path]
    frame, opts, failures = _parse(path, meta, label_of[path])
    if problems or failures:
        raise SchemaError(f"{label_of[path]}: the file or its sidecar fails its checks.", problems + failures)
    domains = opts.get("domains") or {}
    described = meta.get("items") if isinstance(meta.get("items"), dict) else {}
    rows = []
    for item in opts["items"]:
        code = item[3:5]
        info = described.get(item) or {}
        rows.append({"item": item, "domain": code, "domain_zh": domains.get(code, code),
                     "label": info.get("label", ""), "label_zh": info.get("label_zh", "")})
    return Microdata(frame=frame, items=pd.DataFrame(rows), id_column=opts["id_column"],
                     age_column=opts["age_column"], age_unit=opts["unit"], meta=meta)
