"""A small BibTeX reader and GB/T 7714-2015 formatter for the book's references."""
from __future__ import annotations

import re
from pathlib import Path

from ecd.errors import ConfigError

_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", re.S)
_TYPE_MARK = {"article": "J", "book": "M", "report": "R", "techreport": "R", "online": "EB/OL",
              "misc": "Z", "inproceedings": "C", "incollection": "M", "dataset": "DS", "standard": "S"}


def _fields(body: str, where: str) -> dict:
    out, i, n = {}, 0, len(body)
    while i < n:
        m = re.compile(r"\s*,?\s*([A-Za-z_]+)\s*=\s*").match(body, i)
        if not m:
            break
        name, i = m.group(1).lower(), m.end()
        if i < n and body[i] == "{":
            depth, j = 0, i
            while j < n:
                depth += {"{": 1, "}": -1}.get(body[j], 0)
                if depth == 0:
                    break
                j += 1
            if depth:
                raise ConfigError(f"{where}: unbalanced braces in field {name!r}")
            out[name], i = body[i + 1:j], j + 1
        elif i < n and body[i] == '"':
            j = body.index('"', i + 1)
            out[name], i = body[i + 1:j], j + 1
        else:
            m2 = re.compile(r"[^,}\s]+").match(body, i)
            out[name], i = (m2.group(0), m2.end()) if m2 else ("", i)
    return {k: re.sub(r"\s+", " ", v.replace("{", "").replace("}", "")).strip() for k, v in out.items()}


def read_bib(path: Path) -> dict:
    """Entries of a .bib file: key -> {"type": ..., fields...}."""
    text = Path(path).read_text(encoding="utf-8")
    entries = {}
    starts = list(_ENTRY.finditer(text))
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(text)
        body = text[m.end():end].rstrip()
        body = body[:-1] if body.endswith("}") else body  # the entry's closing brace only
        key = m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        if key in entries:
            raise ConfigError(f"{Path(path).name} line {line}: duplicate key {key!r}")
        entries[key] = {"type": m.group(1).lower(), **_fields(body, f"{Path(path).name} line {line}")}
    return entries


def _authors(s: str) -> str:
    names = [a.strip() for a in s.split(" and ") if a.strip()]
    if len(names) > 3:
        return ", ".join(names[:3]) + (", 等" if re.search(r"[\u4e00-\u9fff]", names[0]) else ", et al")
    return ", ".join(names)


def _journal_tail(journal, year, volume=None, issue=None, pages=None) -> str:
    """``刊名, 年, 卷(期): 页码.`` of GB/T 7714 (parts that are missing are left out)."""
    tail = f"{journal or ''}, {year or ''}"
    if volume:
        tail += f", {volume}"
    if issue:
        tail += f"({issue})"
    if pages:
        tail += f": {str(pages).replace('--', '-')}"
    return tail.strip(", ") + "."


def format_gbt7714(e: dict) -> str:
    """One reference in GB/T 7714-2015 style (sequential numbering is the caller's)."""
    mark = _TYPE_MARK.get(e["type"], "Z")
    parts = []
    if e.get("author"):
        parts.append(_authors(e["author"]) + ".")
    parts.append(f"{e.get('title', '')}[{mark}].")
    if e["type"] == "article":
        parts.append(_journal_tail(e.get("journal"), e.get("year"), e.get("volume"),
                                   e.get("number") if e.get("volume") else None, e.get("pages")))
    else:
        pub = ": ".join(x for x in (e.get("address"), e.get("publisher") or e.get("institution") or e.get("organization")) if x)
        if pub:
            parts.append(f"{pub}, {e.get('year', '')}.")
        elif e.get("year"):
            parts.append(f"{e['year']}.")
    if e.get("urldate") and e.get("url"):
        parts.append(f"[{e['urldate']}].")
    if e.get("url"):
        parts.append(e["url"] + ".")
    return " ".join(p for p in parts if p.strip(". "))


# GB/T 7714-2015 document-type marks of the publication contract's types (ecd.data sidecars)
_PUB_MARK = {"report": "R", "statistical_communique": "R", "yearbook": "M", "book": "M", "chapter": "M",
             "journal": "J", "newspaper": "N", "dataset": "DS", "standard": "S", "policy": "Z", "webpage": "Z"}


def _names(author, zh: bool) -> str:
    names = [a.strip() for a in (author.split(";") if isinstance(author, str) else author or []) if a.strip()]
    if len(names) > 3:
        return ", ".join(names[:3]) + (", 等" if zh else ", et al")
    return ", ".join(names)


def _title(p: dict) -> str:
    title = str(p.get("title", ""))
    return f"[{title}]" if str(p.get("title_supplied", "")).lower() == "true" else title


def format_publication(p: dict) -> str:
    """One original publication (a sidecar's fields) in GB/T 7714-2015 form, Chinese or English by ``lang``.

    Examples
    --------
    >>> from ecd.book._bib import format_publication
    >>> format_publication({"type": "statistical_communique", "author": "国家卫生健康委员会",
    ...                     "title": "2022年我国卫生健康事业发展统计公报", "year": "2023", "lang": "zh"})
    '国家卫生健康委员会. 2022年我国卫生健康事业发展统计公报[R]. 2023.'
    >>> format_publication({"type": "journal", "author": "He C; Liu L; Chu Y; Perin J", "title": "Child mortality",
    ...                     "journal": "The Lancet Global Health", "year": "2017", "volume": "5", "issue": "2",
    ...                     "pages": "e186-e197", "lang": "en"})
    'He C, Liu L, Chu Y, et al. Child mortality[J]. The Lancet Global Health, 2017, 5(2): e186-e197.'
    """
    zh = p.get("lang", "zh") != "en"
    mark = _PUB_MARK.get(str(p.get("type", "")), "Z")
    parts = []
    author = _names(p.get("author"), zh)
    if author:
        parts.append(author + ".")
    head = _title(p) + (f": {p['number']}" if p.get("number") else "") + f"[{mark}]"
    if p.get("edition"):
        head += f". {p['edition']}"
    parts.append(head + ".")
    year = str(p.get("year", ""))
    if mark == "J":
        parts.append(_journal_tail(p.get("journal"), year, p.get("volume"), p.get("issue"), p.get("pages")))
    elif mark == "N":
        parts.append((p.get("date") or year) + ".")
    else:
        pub = ": ".join(x for x in (p.get("place"), p.get("publisher")) if x)
        if pub and year:
            parts.append(f"{pub}, {year}.")
        elif year:
            parts.append(f"{p['date']}." if mark == "Z" and p.get("date") else f"{year}.")
    return " ".join(x for x in parts if x.strip(". "))


def short_publication(p: dict) -> str:
    """Author and title, for a hover: ``国家卫生健康委员会《2022年…公报》`` / ``World Bank. World Development Indicators``.

    Examples
    --------
    >>> from ecd.book._bib import short_publication
    >>> short_publication({"author": "国家统计局", "title": "中国统计年鉴2016", "lang": "zh"})
    '国家统计局《中国统计年鉴2016》'
    >>> short_publication({"author": "国家统计局", "title": "2022年《中国儿童发展纲要（2021—2030年）》统计监测报告"})
    '国家统计局《2022年〈中国儿童发展纲要（2021—2030年）〉统计监测报告》'
    """
    zh = p.get("lang", "zh") != "en"
    author = _names(p.get("author"), zh)
    if str(p.get("title_supplied", "")).lower() == "true":
        return f"{author}{_title(p)}" if zh else f"{author}. {_title(p)}".strip(". ")
    if zh:  # a title inside 《》 marks the titles it quotes with 〈〉
        return f"{author}《{str(p.get('title', '')).replace('《', '〈').replace('》', '〉')}》"
    return f"{author}. {p.get('title', '')}".strip(". ")
