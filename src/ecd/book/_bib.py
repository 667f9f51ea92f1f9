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


def format_gbt7714(e: dict) -> str:
    """One reference in GB/T 7714-2015 style (sequential numbering is the caller's)."""
    mark = _TYPE_MARK.get(e["type"], "Z")
    parts = []
    if e.get("author"):
        parts.append(_authors(e["author"]) + ".")
    parts.append(f"{e.get('title', '')}[{mark}].")
    if e["type"] == "article":
        tail = f" {e.get('journal', '')}, {e.get('year', '')}"
        if e.get("volume"):
            tail += f", {e['volume']}"
            if e.get("number"):
                tail += f"({e['number']})"
        if e.get("pages"):
            tail += f": {e['pages'].replace('--', '-')}"
        parts.append(tail.strip() + ".")
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
