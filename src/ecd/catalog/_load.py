"""Reading the packaged catalog YAML files (cached; callers get copies)."""
from __future__ import annotations

import copy
import difflib
from functools import lru_cache
from pathlib import Path

import yaml

from ecd.errors import ParameterError

_HERE = Path(__file__).resolve().parent
DIRECTIONS = ("favourable", "adverse", "neutral")
COMPARISONS = ("max", "min", "min_reduction", "baseline")


# libyaml's loader is ~10x faster than the pure-Python one when it is available
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text):
    """``yaml.safe_load`` with the C loader when available."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)


@lru_cache(maxsize=None)
def _yaml(name: str) -> dict:
    with open(_HERE / name, encoding="utf-8") as fh:
        return load_yaml(fh)


def catalog_doc() -> dict:
    """The parsed ``indicators.yaml`` (shared, do not mutate)."""
    return _yaml("indicators.yaml")


def geo_doc() -> dict:
    """The parsed ``geo.yaml`` (shared, do not mutate)."""
    return _yaml("geo.yaml")


def suggest(word: str, choices, n: int = 3, where: str = "ecd.catalog.indicators()") -> str:
    """A "did you mean …?" sentence for an unknown code, or a pointer to the list of choices."""
    close = difflib.get_close_matches(str(word), sorted(choices), n=n, cutoff=0.5)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"see {where} for the list of codes."


def unknown_code_error(name: str, code, choices, what: str, where: str = "ecd.catalog.indicators()") -> ParameterError:
    return ParameterError(name, f"unknown {what} {code!r}; {suggest(code, choices, where=where)}")


def indicator_entry(code: str) -> dict:
    entries = catalog_doc()["indicators"]
    if not isinstance(code, str) or code not in entries:
        raise unknown_code_error("code", code, entries, "indicator code")
    return copy.deepcopy(entries[code])


@lru_cache(maxsize=None)
def geo_table() -> tuple[tuple[str, str, str, str, str, str], ...]:
    """Every known geo code as (geo, level, name_zh, name_en, region, gb2260)."""
    doc = geo_doc()
    rows = [(g, e["level"], e["name_zh"], e["name_en"], "", "") for g, e in doc["aggregates"].items()]
    rows += [(g, "province", e["name_zh"], e["name_en"], e["region"], e["gb2260"]) for g, e in doc["provinces"].items()]
    rows += [(g, "country", e["name_zh"], e["name_en"], "", "") for g, e in doc["countries"].items()]
    return tuple(rows)


@lru_cache(maxsize=None)
def known_geos() -> frozenset[str]:
    return frozenset(r[0] for r in geo_table())
