"""Place names → geo codes: Chinese names with or without 省/市/自治区, English names; close matches.

Yearbook tables, ``ecd.data.load(geo=…)`` and the export all accept a place as its
catalog code (``CN-BJ``), its Chinese name in any of the spellings a yearbook
prints (``北京``, ``北京市``, ``北　京``), or its English name. A name that is none of
these gets the closest catalog names as suggestions.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache

from ecd.catalog._load import geo_doc, known_geos

_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区|省|市)$")
# region names as yearbooks print them, besides the catalog's own names
_ALIASES = {"全国": "CN", "中国": "CN", "东部地区": "CN-EAST", "中部地区": "CN-CENTRAL", "西部地区": "CN-WEST"}


def squeeze(name) -> str:
    """The name without spaces (yearbooks pad two-character names: ``北　京``), full-width forms made ASCII."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))


@lru_cache(maxsize=None)
def names_zh() -> dict[str, str]:
    """Chinese region name → geo code (provinces, aggregates; ``全国`` and ``中国`` = ``CN``)."""
    doc = geo_doc()
    out = {e["name_zh"]: g for g, e in doc["provinces"].items()}
    out.update({e["name_zh"]: g for g, e in doc["aggregates"].items()})
    out.update(_ALIASES)
    return out


@lru_cache(maxsize=None)
def _all_names() -> tuple[dict[str, str], dict[str, str]]:
    """(Chinese name → code, lower-case English name → code) for every place; Chinese regions win over
    countries (中国 is the national aggregate ``CN``)."""
    doc = geo_doc()
    zh = {e["name_zh"]: g for g, e in doc["countries"].items()}
    zh.update(names_zh())
    en = {}
    for part in ("countries", "provinces", "aggregates"):
        en.update({str(e["name_en"]).lower(): g for g, e in doc[part].items()})
    return zh, en


def _display(code: str) -> str:
    doc = geo_doc()
    for part in ("aggregates", "provinces", "countries"):
        if code in doc[part]:
            return doc[part][code]["name_zh"]
    return code


def lookup(name, geo_map=None) -> str | None:
    """The geo code of ``name`` (a code, a Chinese or English name), or ``None``.

    Parameters
    ----------
    name : str
        ``CN-BJ``, ``北京``, ``北京市``, ``北 京``, ``Beijing`` …
    geo_map : dict, optional
        Explicit ``{name: code}`` tried first (a yearbook mapping's ``geo_map``).

    Examples
    --------
    >>> from ecd.catalog._names import lookup
    >>> lookup("北京市"), lookup("新疆维吾尔自治区"), lookup("beijing"), lookup("CN-GD"), lookup("火星")
    ('CN-BJ', 'CN-XJ', 'CN-BJ', 'CN-GD', None)
    """
    raw = str(name).strip()
    if isinstance(geo_map, dict):
        for key in (raw, squeeze(raw)):
            if key in geo_map:
                return geo_map[key]
    if raw in known_geos():
        return raw
    zh, en = _all_names()
    key = squeeze(raw)
    return zh.get(key) or zh.get(_SUFFIX.sub("", key)) or en.get(raw.lower()) or en.get(key.lower())


def suggestions(name, n: int = 3) -> list[str]:
    """Close catalog places for a name no lookup knows, as ``'新疆 (CN-XJ)'`` strings (best first).

    Examples
    --------
    >>> from ecd.catalog._names import suggestions
    >>> suggestions("新彊维吾尔自治区")[0], suggestions("Guangdon")[0], suggestions("CN-BJJ")[0]
    ('新疆 (CN-XJ)', 'Guangdong (CN-GD)', "'CN-BJ' (北京)")
    """
    raw = str(name).strip()
    zh, en = _all_names()
    key = _SUFFIX.sub("", squeeze(raw))
    scored: dict[str, tuple[float, str]] = {}

    def offer(score: float, code: str, shown: str) -> None:
        if score >= 0.5 and score > scored.get(code, (0.0, ""))[0]:
            scored[code] = (score, shown)

    def similar(a: str, b: str) -> float:  # a part of the name ('内蒙', 'Xizang') counts as close
        return max(difflib.SequenceMatcher(None, a, b).ratio(), 0.8 if len(a) >= 2 and (a in b or b in a) else 0.0)

    if re.search(r"[\u4e00-\u9fff]", key):
        for zname, code in zh.items():
            offer(similar(key, zname), code, f"{zname} ({code})")
    elif raw:
        for ename, code in en.items():
            offer(similar(raw.lower(), ename), code, f"{geo_doc_name_en(code)} ({code})")
        for code in known_geos():
            offer(difflib.SequenceMatcher(None, raw.upper(), code).ratio(), code, f"{code!r} ({_display(code)})")
    best = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[0]))[:n]
    return [shown for _, (_, shown) in best]


def geo_doc_name_en(code: str) -> str:
    doc = geo_doc()
    for part in ("aggregates", "provinces", "countries"):
        if code in doc[part]:
            return str(doc[part][code]["name_en"])
    return code


def did_you_mean(name) -> str:
    """``"did you mean 新疆 (CN-XJ)?"`` or a pointer to the list of places."""
    close = suggestions(name)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    return "see ecd.catalog.geos() for every place (codes, Chinese and English names)."
