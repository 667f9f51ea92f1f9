"""pandera schemas of a tidy raw table, and turning their failures into one line per cell.

Two schemas run lazily on every file: one of column checks (allowed codes,
numbers, non-empty text) and one of row checks that need several columns
(percentages within 0–100 by the indicator's unit, non-negative rates, year range by the file's
``year_kind``, confidence bounds, unique key). Both always run, so every failure
of a file is reported at once. Between them, every row's unit is checked against
its indicator's canonical (catalog) unit: a listed spelling of it
(``src/ecd/catalog/units.yaml``) is stored as the canonical unit with a note, any
other unit is a failure naming the unit found and the unit expected.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ecd.catalog._load import suggest
from ecd.catalog._units import conform, is_percent, spellings_of
from ecd.data._readers import LINE, OPTIONAL_COLUMNS, TEXT_COLUMNS, WHERE

AREAS = ("total", "urban", "rural")
KEY = ("indicator", "geo", "area", "year")
MIN_YEAR = 1900
MAX_TARGET_YEAR = 2035


@dataclass(frozen=True)
class Context:
    """What a file is validated against."""

    indicators: frozenset[str]
    signed_indicators: frozenset[str]  # may be negative (differences)
    over_100_indicators: frozenset[str]  # percentages that may exceed 100 (gross ratios)
    geos: frozenset[str]
    max_year: int  # for observations: the current year
    max_target_year: int = MAX_TARGET_YEAR
    units: Mapping[str, str] | None = None  # indicator → canonical unit; None: the catalog's

    def unit_of(self, code: str) -> str | None:
        """The canonical unit of an indicator (``None`` for a code the catalog does not know)."""
        if self.units is not None:
            return self.units.get(code)
        from ecd.catalog._load import catalog_doc

        entry = catalog_doc()["indicators"].get(code)
        return str(entry["unit"]) if entry else None

    @classmethod
    def current(cls) -> "Context":
        from ecd.catalog._load import catalog_doc, known_geos

        entries = catalog_doc()["indicators"]
        return cls(
            indicators=frozenset(entries),
            signed_indicators=frozenset(c for c, e in entries.items() if e.get("allow_negative")),
            over_100_indicators=frozenset(c for c, e in entries.items() if e.get("allow_over_100")),
            geos=known_geos(),
            max_year=_dt.date.today().year,
            units={c: str(e["unit"]) for c, e in entries.items()},
        )


def _numeric(raw: pd.Series) -> pd.Series:
    return pd.to_numeric(raw.astype("string").str.strip(), errors="coerce").astype("float64")


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """String cells → typed columns (unparseable numbers become NaN and are reported by the schema)."""
    out = pd.DataFrame(index=frame.index)
    for col in ("indicator", "geo", "area", "unit"):
        out[col] = frame[col].astype(object).map(lambda s: s.strip() if isinstance(s, str) else s)
    # citations are kept verbatim (only checked for being non-blank)
    out["source"] = frame["source"].astype(object).map(lambda s: s if isinstance(s, str) and s.strip() else "")
    out["year"] = _numeric(frame["year"])
    out["value"] = _numeric(frame["value"])
    for col in OPTIONAL_COLUMNS:
        out[col] = _numeric(frame[col]) if col in frame else np.nan
    for col in TEXT_COLUMNS:
        out[col] = (frame[col].astype(object).map(lambda s: s.strip() if isinstance(s, str) else "")
                    if col in frame else "")
    return out


def column_schema(ctx: Context) -> pa.DataFrameSchema:
    text = pa.Check(lambda s: s.map(lambda v: isinstance(v, str) and v != ""), name="nonempty")
    return pa.DataFrameSchema(
        {
            "indicator": pa.Column(object, [text, pa.Check.isin(sorted(ctx.indicators), name="known_indicator")]),
            "geo": pa.Column(object, [text, pa.Check.isin(sorted(ctx.geos), name="known_geo")]),
            "area": pa.Column(object, pa.Check.isin(list(AREAS), name="known_area")),
            "year": pa.Column(float, pa.Check(lambda s: np.isfinite(s) & (s == np.round(s)), name="integer_year")),
            "value": pa.Column(float, pa.Check(lambda s: np.isfinite(s), name="number")),
            "unit": pa.Column(object, text),
            "source": pa.Column(object, text),
        },
        strict=False,
    )


def row_schema(ctx: Context, year_kind: str) -> pa.DataFrameSchema:
    max_year = ctx.max_target_year if year_kind == "target" else ctx.max_year

    def pct(d):
        # percentage-like by the indicator's canonical unit (validate sets _percent), whatever the row's spelling
        is_pct = d["_percent"] if "_percent" in d else d["unit"].astype(str).map(is_percent)
        upper = np.where(d["indicator"].isin(list(ctx.over_100_indicators)), np.inf, 100.0)
        # below 0 is reported once, by the non-negative check
        return ~is_pct | d["value"].isna() | (d["value"] <= upper)

    def nonneg(d):
        return d["indicator"].isin(list(ctx.signed_indicators)) | d["value"].isna() | (d["value"] >= 0)

    def year_range(d):
        return d["year"].isna() | d["year"].between(MIN_YEAR, max_year)

    def ci_order(d):
        lo = d["ci_low"].fillna(-np.inf)
        hi = d["ci_high"].fillna(np.inf)
        return d["value"].isna() | ((lo <= d["value"]) & (d["value"] <= hi))

    def se_ok(d):
        return d["se"].isna() | (d["se"] >= 0)

    def unique_key(d):
        return ~d.duplicated(list(KEY), keep=False) | d["year"].isna()

    return pa.DataFrameSchema(
        checks=[
            pa.Check(pct, name="percent_range"),
            pa.Check(nonneg, name="nonnegative"),
            pa.Check(year_range, name="year_range"),
            pa.Check(ci_order, name="ci_order"),
            pa.Check(se_ok, name="se_nonnegative"),
            pa.Check(unique_key, name="unique_key"),
        ]
    )


def _failure_cases(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as e:
        return e.failure_cases
    return pd.DataFrame(columns=["column", "check", "index"])


def _check_name(check) -> str:
    return str(check).split("(")[0]


def validate(raw: pd.DataFrame, label: str, ctx: Context, year_kind: str = "observation") -> tuple[pd.DataFrame, list[str]]:
    """Validate one raw table lazily; return the typed frame and one failure line per failing cell."""
    frame = typed(raw)
    if frame.empty:
        return frame, []
    failures: list[tuple[int, int, str]] = []  # (line, order, text) so messages come out in file order
    lines = raw[LINE]

    def add(idx, column, text):
        where = raw.at[idx, WHERE + column] if WHERE + column in raw else f'column "{column}"'
        failures.append((int(lines[idx]), list(raw.columns).index(column) if column in raw else 99,
                         f'{label} line {int(lines[idx])}, {where}: {text}'))

    def shown(idx, column):
        return repr(str(raw.at[idx, column]).strip()) if column in raw else "''"

    # one message per problem: the same finding on several rows (a new indicator code on every row of a
    # table) is said once, at its first line, with the other lines
    grouped: dict[tuple[str, str], list[int]] = {}

    def once(idx, column, text):
        where = raw.at[idx, WHERE + column] if WHERE + column in raw else f'column "{column}"'
        grouped.setdefault((column, where, text), []).append(idx)

    fc = _failure_cases(column_schema(ctx), frame)
    for rec in fc.to_dict("records"):
        idx, col, check = rec.get("index"), rec.get("column"), _check_name(rec.get("check"))
        if idx is None or pd.isna(idx):
            continue
        idx = int(idx)
        if check == "isin":
            check = {"indicator": "known_indicator", "geo": "known_geo", "area": "known_area"}.get(col, check)
        if check == "known_indicator":
            hint = suggest(str(raw.at[idx, col]).strip(), ctx.indicators)
            once(idx, col, f"{shown(idx, col)} is not in the indicator catalog (expected a code of "
                           f"src/ecd/catalog/indicators.yaml or of a user catalog $ECD_HOME/catalog/*.yaml: {hint} "
                           f"Otherwise add it to a user catalog; `ecd data add` prints the entry to paste)")
        elif check == "known_geo":
            from ecd.catalog import _names

            cell = str(raw.at[idx, col]).strip()
            code = _names.lookup(cell) if cell else None
            hint = (f"{cell!r} is the place {code}: write the code" if code
                    else _names.did_you_mean(cell) if cell else "")
            once(idx, col, f"{shown(idx, col)} is not a known geo code (expected CN, a CN-XX province such as "
                           f"'CN-BJ', CN-EAST/CN-CENTRAL/CN-WEST, WLD or an ISO3 country in src/ecd/catalog/geo.yaml"
                           + (f"; {hint})" if hint else ")"))
        elif check == "known_area":
            once(idx, col, f"{shown(idx, col)} is not an area code (expected one of total, urban, rural)")
        elif check in ("integer_year", "not_nullable") and col == "year":
            once(idx, col, f"{shown(idx, col)} is not a year (expected a whole number such as 2020)")
        elif check in ("number", "not_nullable") and col == "value":
            once(idx, col, f"{shown(idx, col)} is not a number (expected a numeric value such as 12.5; "
                           f"no text, units, thousands separators or missing values)")
        elif check == "nonempty":
            once(idx, col, f"{shown(idx, col)} is empty (expected a non-empty {col})")
        else:
            once(idx, col, f"{shown(idx, col)} fails check {check}")
    for (col, _where, text), idxs in grouped.items():
        idxs = sorted(idxs, key=lambda i: int(lines[i]))
        others = sorted({int(lines[i]) for i in idxs[1:]} - {int(lines[idxs[0]])})
        more = ""
        if others:
            shown_lines = ", ".join(map(str, others[:8])) + (" …" if len(others) > 8 else "")
            more = f" — the same on line(s) {shown_lines} ({len(others) + 1} lines in all)"
        add(idxs[0], col, text + more)

    if "trust" in raw:
        from ecd.data._sidecar import TRUST_LEVELS

        bad = frame.index[(frame["trust"] != "") & ~frame["trust"].isin(TRUST_LEVELS)]
        for idx in bad:
            add(idx, "trust", f"{shown(idx, 'trust')} is not a trust level (expected one of "
                              f"{', '.join(TRUST_LEVELS)}, or empty for the sidecar's trust)")

    _check_units(frame, ctx, add, shown)

    fc = _failure_cases(row_schema(ctx, year_kind), frame)
    seen: set[tuple[str, int]] = set()
    for rec in fc.to_dict("records"):
        idx, check = rec.get("index"), _check_name(rec.get("check"))
        if idx is None or pd.isna(idx) or (check, int(idx)) in seen:
            continue
        idx = int(idx)
        seen.add((check, idx))
        unit = frame.at[idx, "unit"]
        if check == "percent_range":
            if not frame.at[idx, "_unit_ok"]:
                continue  # the unit is wrong: that failure says it all
            add(idx, "value", f"{shown(idx, 'value')} is not a percentage (expected 0–100 because the unit is {unit!r}; "
                              f"a gross ratio that may exceed 100 needs `allow_over_100: true` in the catalog)")
        elif check == "nonnegative":
            add(idx, "value", f"{shown(idx, 'value')} is negative (expected a rate, ratio or count ≥ 0 for "
                              f"indicator {frame.at[idx, 'indicator']!r}; only differences may be negative)")
        elif check == "year_range":
            year = frame.at[idx, "year"]
            if year_kind == "target":
                why = f"target years {MIN_YEAR}–{ctx.max_target_year}"
            elif year > ctx.max_year:
                why = (f"a year not in the future (≤ {ctx.max_year}); if this is a policy target, put it in a "
                       f"file whose .meta.yaml says `year_kind: target`")
            else:
                why = f"a year from {MIN_YEAR} on"
            add(idx, "year", f"{shown(idx, 'year')} is out of range (expected {why})")
        elif check == "ci_order":
            add(idx, "value", f"{shown(idx, 'value')} lies outside its interval [{frame.at[idx, 'ci_low']}, "
                              f"{frame.at[idx, 'ci_high']}] (expected ci_low ≤ value ≤ ci_high)")
        elif check == "se_nonnegative":
            add(idx, "se", f"{shown(idx, 'se')} is negative (expected a standard error ≥ 0)")
        elif check == "unique_key":
            key = tuple(frame.loc[idx, list(KEY)])
            same = frame.index[(frame[list(KEY)] == pd.Series(key, index=list(KEY))).all(axis=1)]
            others = [int(lines[i]) for i in same if i != idx]
            add(idx, "year", f"duplicate key (indicator, geo, area, year) = ({key[0]}, {key[1]}, {key[2]}, "
                             f"{int(key[3])}), also on line(s) {', '.join(map(str, others))} (expected each key "
                             f"once per source: keep one row)")
    failures.sort()
    return frame.drop(columns=["_percent", "_unit_ok"]), [t for _, _, t in failures]


def _check_units(frame: pd.DataFrame, ctx: Context, add, shown) -> None:
    """Rows in a listed spelling of their canonical unit get it (and a note); others are failures.

    Sets ``_percent`` (the canonical unit is a percentage) and ``_unit_ok`` on ``frame`` in place.
    """
    percent, ok = [], []
    for idx, code, unit in zip(frame.index, frame["indicator"], frame["unit"]):
        canonical = ctx.unit_of(code) if isinstance(code, str) else None
        if canonical is None or not isinstance(unit, str) or not unit:
            # an unknown indicator or an empty unit is reported by the column schema
            percent.append(is_percent(unit) if isinstance(unit, str) else False)
            ok.append(True)
            continue
        percent.append(is_percent(canonical))
        good, note = conform(unit, canonical)
        ok.append(good)
        if not good:
            alias = spellings_of(canonical, limit=4)
            also = f", or a spelling of it listed in src/ecd/catalog/units.yaml: {', '.join(alias)}" if alias else ""
            add(idx, "unit", f"{shown(idx, 'unit')} is not the unit of indicator {code!r} (expected {canonical!r}, "
                             f"its catalog unit{also}; ecd never rescales values: a value in another unit is "
                             f"another quantity — correct the unit, or use the indicator code of that quantity)")
        elif note:
            frame.at[idx, "unit"] = canonical
            old = frame.at[idx, "note"]
            frame.at[idx, "note"] = f"{old}; {note}" if old else note
    frame["_percent"] = pd.Series(percent, index=frame.index, dtype=bool)
    frame["_unit_ok"] = pd.Series(ok, index=frame.index, dtype=bool)
