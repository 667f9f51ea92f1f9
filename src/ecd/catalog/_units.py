"""Canonical units: how a raw row's unit is checked against its indicator's catalog unit.

The rules and the table of spellings live in ``units.yaml`` beside this module.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_FILE = Path(__file__).resolve().parent / "units.yaml"
_BOUNDARY = " ,;:(/"


@lru_cache(maxsize=None)
def _table() -> dict:
    from ecd._yaml import load_yaml

    return load_yaml(_FILE.read_text(encoding="utf-8"), "src/ecd/catalog/units.yaml")["measures"]


def normalize(unit) -> str:
    """A unit's text with case, spacing and full-width forms folded (``"Per  1000"`` → ``"per 1000"``)."""
    text = unicodedata.normalize("NFKC", str(unit)).lower()
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=None)
def _spellings() -> tuple[tuple[str, str], ...]:
    """(normalized spelling, measure), longest first so that 'per 10000' is tried before 'per 1000'."""
    out = [(normalize(s), m) for m, e in _table().items() for s in e["spellings"]]
    return tuple(sorted(out, key=lambda x: -len(x[0])))


@dataclass(frozen=True)
class Parsed:
    """A unit read as a measure (a key of ``units.yaml``) and a qualifier (``""`` when none)."""

    measure: str
    qualifier: str


@lru_cache(maxsize=4096)
def parse(unit) -> Parsed | None:
    """Read a unit as ``<spelling of a measure> [qualifier]``; ``None`` when no measure is recognised.

    Examples
    --------
    >>> from ecd.catalog._units import parse
    >>> parse("per 1000 live births")
    Parsed(measure='per_1000', qualifier='live births')
    >>> parse("10k persons (万人), year-end")
    Parsed(measure='persons_10k', qualifier='year-end')
    >>> parse("‰"), parse("slots per 1000 population")
    (Parsed(measure='per_1000', qualifier=''), None)
    """
    text = normalize(unit)
    for spelling, measure in _spellings():
        if text == spelling or (text.startswith(spelling) and text[len(spelling)] in _BOUNDARY):
            rest = text[len(spelling):]
            for other, m in _spellings():  # "(万人)" after "10k persons" repeats the measure
                if m == measure:
                    rest = rest.replace(f"({other})", " ")
            return Parsed(measure, re.sub(r"\s+", " ", rest).strip(" ,;:"))
    return None


def is_percent(unit) -> bool:
    """Whether values in ``unit`` are percentages (bounded by 0–100 unless the catalog allows more).

    Examples
    --------
    >>> from ecd.catalog._units import is_percent
    >>> is_percent("percent of children under 5"), is_percent("%"), is_percent("per 1000 live births")
    (True, True, False)
    """
    p = parse(unit)
    return bool(p and _table()[p.measure].get("percent"))


def zh_symbol(unit) -> str | None:
    """The Chinese symbol of the unit's measure (``"‰"`` for ``"per 1000 live births"``), if recognised."""
    p = parse(unit)
    return _table()[p.measure]["zh"] if p else None


def symbols() -> dict[str, str]:
    """Every measure's Chinese symbol: ``{measure: symbol}``."""
    return {m: e["zh"] for m, e in _table().items()}


def spellings_of(unit, limit: int = 6) -> list[str]:
    """Some spellings a raw file may use for ``unit`` (for messages)."""
    p = parse(unit)
    if p is None:
        return []
    e = _table()[p.measure]
    return list(dict.fromkeys([e["zh"], *e["spellings"]]))[:limit]


@lru_cache(maxsize=4096)
def conform(found, canonical) -> tuple[bool, str]:
    """Whether a row's unit ``found`` is the canonical unit (possibly spelled otherwise), and the note to record.

    Returns ``(True, "")`` when the texts are the same unit text, ``(True, note)`` for a listed spelling of the
    same measure and qualifier (``note`` says how it was read), ``(False, "")`` otherwise.

    Examples
    --------
    >>> from ecd.catalog._units import conform
    >>> conform("per 1000 live births", "per 1000 live births")
    (True, '')
    >>> conform("‰", "per 1000 live births")
    (True, "unit '‰' read as 'per 1000 live births'")
    >>> conform("%", "per 1000 live births"), conform("percent of children 0-71 months", "percent of children under 5")
    ((False, ''), (False, ''))
    """
    if normalize(found) == normalize(canonical):
        return True, ""
    f, c = parse(found), parse(canonical)
    if f is None or c is None or f.measure != c.measure or f.qualifier not in ("", c.qualifier):
        return False, ""
    return True, f"unit {str(found).strip()!r} read as {str(canonical)!r}"
