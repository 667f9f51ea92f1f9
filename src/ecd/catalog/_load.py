"""Reading the packaged catalog YAML files (cached; callers get copies).

Researchers add indicators without touching the package: every
``$ECD_HOME/catalog/*.yaml`` with an ``indicators:`` mapping (same fields as
``indicators.yaml``: ``name_zh, name_en, unit, domain, direction, definition``
and optionally ``sources``, ``kind`` and ``unit_zh``) is merged into the packaged catalog. A user file
may add codes but not redefine a packaged one.
"""
from __future__ import annotations

import copy
import difflib
from functools import lru_cache
from pathlib import Path

import yaml

from ecd.errors import ConfigError, ParameterError

_HERE = Path(__file__).resolve().parent
DIRECTIONS = ("favourable", "adverse", "neutral")
COMPARISONS = ("max", "min", "min_reduction", "baseline")
KINDS = ("survey", "surveillance", "routine", "modelled", "census", "administrative", "accounts", "target")


def load_yaml(text, label: str = "<yaml>"):
    """The project's one YAML loader (:func:`ecd._yaml.load_yaml`: safe, refuses duplicate keys)."""
    from ecd._yaml import load_yaml as _load

    return _load(text, label)


@lru_cache(maxsize=None)
def _yaml(name: str) -> dict:
    with open(_HERE / name, encoding="utf-8") as fh:
        return load_yaml(fh, f"src/ecd/catalog/{name}")


USER_FIELDS = ("name_zh", "name_en", "unit", "domain", "direction", "definition")


def user_catalog_files() -> list[Path]:
    """The researcher's catalog files: ``$ECD_HOME/catalog/*.yaml`` (sorted; none when the folder is absent)."""
    from ecd import paths

    folder = paths.home() / "catalog"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def catalog_files() -> list[Path]:
    """Every file the catalog is read from: the packaged YAML files, then the user catalog."""
    return [_HERE / "indicators.yaml", _HERE / "geo.yaml", *user_catalog_files()]


def catalog_doc() -> dict:
    """The parsed ``indicators.yaml`` merged with the user catalog (shared, do not mutate)."""
    files = user_catalog_files()
    if not files:
        return _yaml("indicators.yaml")
    key = []
    for p in files:
        st = p.stat()
        key.append((str(p), st.st_mtime_ns, st.st_size))
    return _merged(tuple(key))


def _check_user_entry(label: str, code, entry, base: dict) -> dict:
    import re

    where = f"{label}: indicators.{code}"
    if not isinstance(code, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", code):
        raise ConfigError(f"{where}: {code!r} is not a valid indicator code (expected lower-case letters, digits "
                          f"and _, starting with a letter, e.g. births_registered)")
    if code in base["indicators"]:
        raise ConfigError(f"{where}: {code!r} is already a packaged indicator (src/ecd/catalog/indicators.yaml); "
                          f"choose another code — a user catalog may add codes, not redefine them")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with {', '.join(USER_FIELDS)}; found {entry!r}")
    missing = [f for f in USER_FIELDS if not isinstance(entry.get(f), str) or not entry[f].strip()]
    if missing:
        raise ConfigError(f"{where}: missing or empty field(s) {', '.join(missing)} (expected text for each of "
                          f"{', '.join(USER_FIELDS)})")
    if entry["direction"] not in DIRECTIONS:
        raise ConfigError(f"{where}.direction: {entry['direction']!r}; expected one of {', '.join(DIRECTIONS)}")
    if entry["domain"] not in base["domains"]:
        raise ConfigError(f"{where}.domain: {entry['domain']!r}; expected one of {', '.join(base['domains'])}")
    if "kind" in entry and entry["kind"] not in KINDS:
        raise ConfigError(f"{where}.kind: {entry['kind']!r}; expected one of {', '.join(KINDS)}")
    if "unit_zh" in entry and (not isinstance(entry["unit_zh"], str) or not entry["unit_zh"].strip()):
        raise ConfigError(f"{where}.unit_zh: {entry['unit_zh']!r}; expected the unit in Chinese, e.g. '‰' or '万人'")
    sources = entry.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(x, str) for x in sources):
        raise ConfigError(f"{where}.sources: {sources!r}; expected a list of source ids")
    return {"targets": [], **entry, "sources": list(sources)}


@lru_cache(maxsize=8)
def _merged(key: tuple) -> dict:
    base = _yaml("indicators.yaml")
    doc = {**base, "indicators": dict(base["indicators"])}
    for name, _, _ in key:
        path = Path(name)
        label = f"catalog/{path.name}"
        try:
            user = load_yaml(path.read_text(encoding="utf-8"), label)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise ConfigError(f"{label}: not readable YAML ({type(e).__name__}: {e}); expected a UTF-8 YAML "
                              f"mapping with an `indicators:` section") from None
        if (not isinstance(user, dict) or set(user) - {"indicators", "prefer"} or not set(user)
                or not isinstance(user.get("indicators", {}), dict) or not isinstance(user.get("prefer", {}), dict)):
            raise ConfigError(f"{label}: expected a mapping with `indicators:` (code → fields) and/or `prefer:` "
                              f"(code → source ids, most preferred first); found "
                              f"{sorted(user) if isinstance(user, dict) else type(user).__name__}")
        for code, lst in (user.get("prefer") or {}).items():
            if not isinstance(lst, list) or not lst or not all(isinstance(x, str) and x for x in lst):
                raise ConfigError(f"{label}: prefer.{code}: {lst!r}; expected a non-empty list of source ids "
                                  f"(folders of data/raw), most preferred first")
            doc.setdefault("prefer", {})[code] = list(lst)
        for code, entry in (user.get("indicators") or {}).items():
            if code in doc["indicators"]:
                if code in base["indicators"]:
                    _check_user_entry(label, code, entry, base)  # raises: packaged code
                raise ConfigError(f"{label}: indicators.{code}: defined in another user catalog file too "
                                  f"(expected each code once)")
            doc["indicators"][code] = _check_user_entry(label, code, entry, base)
    for code in doc.get("prefer", {}):
        if code not in doc["indicators"]:
            raise ConfigError(f"catalog: prefer.{code}: {code!r} is not an indicator code; "
                              f"{suggest(code, doc['indicators'])}")
    return doc


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
