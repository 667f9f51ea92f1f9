"""Publications (what rows are *from*) and retrievals (where the copy came from), from the sidecars.

A sidecar may carry three blocks besides its file-level provenance::

    publications:              # key -> GB/T 7714 fields of an original publication
      nhc_bulletin_2022: {type: report, author: 国家卫生健康委员会, title: …, year: 2023, lang: zh}
    retrievals:                # where the copy that was read came from (never printed in chapters)
      - {publication: nhc_bulletin_2022, url: …, kind: repository, accessed: 2026-12-04}
    row_publications:          # exact ``source`` cell text -> key, for files without a publication column
      "NHC 2022年…": nhc_bulletin_2022
    publication: nhc_bulletin_2022   # optional: the key of every row not resolved otherwise

``row_publications`` may instead be a list of rules, for files whose ``source``
text does not tell the publications apart (one text for three provinces'
communiqués) or where texts are many (a survey compilation)::

    row_publications:
      - {source: "…quoted…", geo: CN-GD, publication: gd_communique_2023}
      - {source_regex: "JME/2024/Raw", publication: jme_input_2024}

A rule matches a row when every condition given (``source`` exact text,
``source_regex`` searched in the text, ``indicator``, ``geo``, ``area``, ``year``)
holds; a row must match exactly one rule.

A row's publication is its ``publication`` cell, else its ``row_publications`` match,
else the sidecar's ``publication``. A key is global: it may be defined in several
sidecars only with identical fields. Every check returns failure lines that name
the sidecar (or data file and line) and the key.
"""
from __future__ import annotations

import datetime as _dt
import re

import pandas as pd

PUBLICATION_TYPES = ("report", "journal", "book", "chapter", "statistical_communique", "yearbook", "dataset",
                     "standard", "policy", "webpage", "newspaper")
PUBLICATION_FIELDS = ("type", "author", "title", "title_supplied", "year", "date", "publisher", "place", "journal",
                      "volume", "issue", "pages", "doi", "number", "edition", "booktitle", "editor", "table", "page",
                      "url", "lang", "note")
RULE_CONDITIONS = ("source", "source_regex", "indicator", "geo", "area", "year")
REQUIRED_PUBLICATION_FIELDS = ("type", "author", "title", "year")
RETRIEVAL_KINDS = ("official", "repost", "mirror", "repository", "abstract")
RETRIEVAL_FIELDS = ("publication", "url", "kind", "accessed", "trust", "note", "rows")
LANGS = ("zh", "en")
# Chinese labels for the data appendix
TRUST_ZH = {"high": "高", "medium-high": "中高", "medium": "中", "medium-low": "中低", "low": "低"}
RETRIEVAL_KIND_ZH = {"official": "官方原文", "repost": "转载", "mirror": "镜像或转载站", "repository": "代码库",
                     "abstract": "摘要或索引"}
_KEY = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_CJK = re.compile(r"[\u3400-\u9fff]")

# columns of the warehouse's publications and retrievals tables
PUBLICATION_COLUMNS = ["publication", "type", "author", "title", "title_supplied", "year", "date", "publisher", "place", "journal",
                       "volume", "issue", "pages", "doi", "number", "edition", "booktitle", "editor", "table", "page",
                       "url", "lang", "note", "defined_in"]
RETRIEVAL_COLUMNS = ["publication", "url", "kind", "accessed", "trust", "note", "rows", "file"]


def _norm(value):
    """A field value in a comparable, printable form (dates and numbers as text, lists kept)."""
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if value is None:
        return ""
    return str(value).strip()


def normalize_publication(fields: dict) -> dict:
    """Fields of one publication, normalized (text values, ``lang`` inferred from the title when absent).

    Examples
    --------
    >>> from ecd.data._publications import normalize_publication
    >>> normalize_publication({"type": "report", "author": "国家卫生健康委员会", "title": "2022年我国卫生健康事业发展统计公报",
    ...                        "year": 2023})["lang"]
    'zh'
    """
    out = {k: _norm(v) for k, v in fields.items() if v not in (None, "", [])}
    if "lang" not in out and out.get("title"):
        out["lang"] = "zh" if _CJK.search(str(out["title"])) else "en"
    return out


def check_block(meta: dict, meta_label: str) -> list[str]:
    """Check the ``publications``, ``retrievals``, ``row_publications`` and ``publication`` fields of one sidecar."""
    failures: list[str] = []
    pubs = meta.get("publications")
    if pubs is not None and not isinstance(pubs, dict):
        failures.append(f"{meta_label}, field publications: expected a mapping of key -> fields, "
                        f"found {type(pubs).__name__}")
        pubs = {}
    pubs = pubs or {}
    max_year = _dt.date.today().year + 1
    for key, fields in pubs.items():
        where = f"{meta_label}, publications.{key}"
        if not isinstance(key, str) or not _KEY.match(key):
            failures.append(f"{meta_label}, publications: key {key!r} is not a publication key (expected lower-case "
                            f"letters, digits and _, e.g. nhc_bulletin_2022)")
            continue
        if not isinstance(fields, dict):
            failures.append(f"{where}: expected a mapping of fields (type, author, title, year …), "
                            f"found {type(fields).__name__}")
            continue
        # a supplied (bracketed) title describes an original we could not name: author and year may be unknown
        required = ("type", "title") if fields.get("title_supplied") is True else REQUIRED_PUBLICATION_FIELDS
        missing = [f for f in required if fields.get(f) in (None, "", [])]
        if fields.get("title_supplied") is True and not fields.get("note"):
            missing.append("note")
        if missing:
            failures.append(f"{where}: missing field(s) {', '.join(missing)} (expected at least "
                            f"{', '.join(REQUIRED_PUBLICATION_FIELDS)}; never guess a title — leave the rows to a "
                            f"publication you can name)")
        unknown = sorted(set(map(str, fields)) - set(PUBLICATION_FIELDS))
        if unknown:
            failures.append(f"{where}: unknown field(s) {', '.join(unknown)} (expected only "
                            f"{', '.join(PUBLICATION_FIELDS)})")
        kind = fields.get("type")
        if kind not in (None, "") and kind not in PUBLICATION_TYPES:
            failures.append(f"{where}, field type: {kind!r} is not a publication type (expected one of "
                            f"{', '.join(PUBLICATION_TYPES)})")
        year = fields.get("year")
        if year not in (None, ""):
            try:
                ok = not isinstance(year, bool) and 1800 <= int(str(year)) <= max_year
            except ValueError:
                ok = False
            if not ok:
                failures.append(f"{where}, field year: {year!r} is not a publication year (expected a whole "
                                f"number 1800–{max_year}, the year the publication appeared)")
        lang = fields.get("lang")
        if lang not in (None, "") and lang not in LANGS:
            failures.append(f"{where}, field lang: {lang!r} (expected one of {', '.join(LANGS)})")
        author = fields.get("author")
        if isinstance(author, list) and not all(isinstance(a, str) and a.strip() for a in author):
            failures.append(f"{where}, field author: {author!r} (expected a name or a list of non-empty names)")
    rets = meta.get("retrievals")
    if rets is not None and not isinstance(rets, list):
        failures.append(f"{meta_label}, field retrievals: expected a list of mappings (publication, url, kind, "
                        f"accessed), found {type(rets).__name__}")
        rets = []
    for i, r in enumerate(rets or []):
        where = f"{meta_label}, retrievals[{i}]"
        if not isinstance(r, dict):
            failures.append(f"{where}: expected a mapping (publication, url, kind, accessed), found {type(r).__name__}")
            continue
        missing = [f for f in ("publication", "url", "kind", "accessed") if r.get(f) in (None, "")]
        if missing:
            failures.append(f"{where}: missing field(s) {', '.join(missing)} (expected publication, url, kind, accessed)")
        unknown = sorted(set(map(str, r)) - set(RETRIEVAL_FIELDS))
        if unknown:
            failures.append(f"{where}: unknown field(s) {', '.join(unknown)} (expected only {', '.join(RETRIEVAL_FIELDS)})")
        if r.get("trust") not in (None, ""):
            from ecd.data._sidecar import TRUST_LEVELS

            if r["trust"] not in TRUST_LEVELS:
                failures.append(f"{where}, field trust: {r['trust']!r} (expected one of {', '.join(TRUST_LEVELS)})")
        if r.get("kind") not in (None, "") and r["kind"] not in RETRIEVAL_KINDS:
            failures.append(f"{where}, field kind: {r['kind']!r} (expected one of {', '.join(RETRIEVAL_KINDS)})")
    rp = meta.get("row_publications")
    if rp is not None and not isinstance(rp, (dict, list)):
        failures.append(f"{meta_label}, field row_publications: expected a mapping of exact `source` cell text -> "
                        f"publication key (or a list of rules), found {type(rp).__name__}")
    for where, rule in _rules(rp, meta_label):
        if not isinstance(rule, dict):
            failures.append(f"{where}: expected a mapping with `publication` and conditions "
                            f"({', '.join(RULE_CONDITIONS)}), found {type(rule).__name__}")
            continue
        key = rule.get("publication")
        if not isinstance(key, str) or not _KEY.match(key):
            failures.append(f"{where}: {key!r} is not a publication key (expected one key, lower-case letters, "
                            f"digits and _)")
        unknown = sorted(set(map(str, rule)) - set(RULE_CONDITIONS) - {"publication"})
        if unknown:
            failures.append(f"{where}: unknown condition(s) {', '.join(unknown)} (expected {', '.join(RULE_CONDITIONS)})")
        if not any(c in rule for c in RULE_CONDITIONS):
            failures.append(f"{where}: no condition (expected at least one of {', '.join(RULE_CONDITIONS)})")
        if "source_regex" in rule:
            try:
                re.compile(str(rule["source_regex"]))
            except re.error as e:
                failures.append(f"{where}, source_regex: {rule['source_regex']!r} is not a regular expression ({e})")
    ts = [k for k, f in pubs.items() if isinstance(f, dict) and f.get("title_supplied") not in (None, True, False)]
    for key in ts:
        failures.append(f"{meta_label}, publications.{key}, field title_supplied: expected true or false")
    default = meta.get("publication")
    if default is not None and (not isinstance(default, str) or not _KEY.match(default)):
        failures.append(f"{meta_label}, field publication: {default!r} is not a publication key (expected one key "
                        f"such as wdi_2025)")
    return failures


def declares_publications(meta: dict) -> bool:
    return any(meta.get(k) not in (None, "", {}, []) for k in ("publications", "row_publications", "publication"))


def merge_registry(defs: list[tuple[str, dict]]) -> tuple[dict, dict, list[str]]:
    """Merge ``(meta_label, publications)`` of every sidecar into one registry.

    Returns ``(registry, defined_in, failures)``: registry key -> normalized fields;
    defined_in key -> list of sidecars; a failure for each key defined with different fields.
    """
    registry: dict[str, dict] = {}
    defined_in: dict[str, list[str]] = {}
    failures: list[str] = []
    for meta_label, pubs in defs:
        for key, fields in (pubs or {}).items():
            if not isinstance(fields, dict) or not isinstance(key, str):
                continue
            norm = normalize_publication(fields)
            if key in registry and registry[key] != norm:
                first = defined_in[key][0]
                diff = sorted(k for k in set(registry[key]) | set(norm) if registry[key].get(k) != norm.get(k))
                failures.append(f"{meta_label}, publications.{key}: defined with different fields in {first} "
                                f"(differ: {', '.join(diff)}; expected identical fields for the same key in every "
                                f"sidecar — use a new key for a different publication)")
                continue
            registry.setdefault(key, norm)
            defined_in.setdefault(key, []).append(meta_label)
    seen: dict[tuple, str] = {}
    for key in registry:
        ident = _identity(registry[key])
        if ident in seen:
            other = seen[ident]
            failures.append(f"{defined_in[key][0]}, publications.{key}: the same publication (author and title) as "
                            f"{other!r} in {defined_in[other][0]} (expected one key per publication, or the book lists "
                            f"it twice: use {other!r} with identical fields)")
        else:
            seen[ident] = key
    return registry, defined_in, failures


def _identity(fields: dict) -> tuple:
    """Author and title with width, dashes, spaces and book-title marks normalised (same publication, two keys)."""
    import unicodedata

    def flat(v) -> str:
        text = unicodedata.normalize("NFKC", "|".join(v) if isinstance(v, list) else str(v or ""))
        text = re.sub(r"[\u2010-\u2015\u2212\-~～]", "-", text)
        return re.sub(r"[\s《》〈〉“”\"'‘’]", "", text).lower()

    return flat(fields.get("author")), flat(fields.get("title")), flat(fields.get("table")), flat(fields.get("edition"))


def _rules(rp, meta_label: str) -> list[tuple[str, object]]:
    """``row_publications`` as (where, rule) pairs; the mapping form becomes ``{source, publication}`` rules."""
    if isinstance(rp, dict):
        return [(f"{meta_label}, row_publications[{str(t)[:60]!r}]", {"source": str(t), "publication": k})
                for t, k in rp.items()]
    if isinstance(rp, list):
        return [(f"{meta_label}, row_publications[{i}]", r) for i, r in enumerate(rp)]
    return []


def _rule_mask(rule: dict, frame: pd.DataFrame) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    src = frame["source"].astype(str)
    if "source" in rule:
        mask &= src == str(rule["source"])
    if "source_regex" in rule:
        mask &= src.str.contains(str(rule["source_regex"]), regex=True)
    for col in ("indicator", "geo", "area"):
        if col in rule:
            wanted = rule[col] if isinstance(rule[col], list) else [rule[col]]
            mask &= frame[col].isin([str(w) for w in wanted])
    if "year" in rule:
        wanted = rule["year"] if isinstance(rule["year"], list) else [rule["year"]]
        mask &= frame["year"].isin([float(w) for w in wanted])
    return mask


def resolve_rows(frame: pd.DataFrame, meta: dict, label: str, meta_label: str, registry: dict,
                 required: bool) -> tuple[pd.Series, list[str]]:
    """The publication key of every row of one file's typed ``frame`` (with ``_line``), and failures.

    ``required`` makes a row without a publication a failure (a file that declares
    publications, or every file once the whole raw folder is mapped).
    """
    failures: list[str] = []
    n = len(frame)
    col = frame["publication"] if "publication" in frame else pd.Series([""] * n, index=frame.index, dtype=object)
    rules = [(w, r) for w, r in _rules(meta.get("row_publications"), meta_label)
             if isinstance(r, dict) and isinstance(r.get("publication"), str)]
    matched = [[] for _ in range(n)]  # per row position: (where, key) of every matching rule
    pos = {idx: i for i, idx in enumerate(frame.index)}
    for where, rule in rules:
        try:
            hits = frame.index[_rule_mask(rule, frame)]
        except re.error:
            continue  # reported by check_block
        if not len(hits):
            failures.append(f"{where}: matches no row of {label} (expected the exact text of a `source` cell, or "
                            f"conditions some row meets)")
        for idx in hits:
            matched[pos[idx]].append((where, rule["publication"]))
    default = meta.get("publication") if isinstance(meta.get("publication"), str) else ""
    keys = []
    lines = frame["_line"] if "_line" in frame else pd.Series(range(2, n + 2), index=frame.index)
    for i, (cell, src, line) in enumerate(zip(col, frame["source"], lines)):
        cell = cell.strip() if isinstance(cell, str) else ""
        hits = matched[i]
        found = sorted({k for _, k in hits})
        if len(found) > 1:
            failures.append(f'{label} line {int(line)}, column "source": the row resolves to two publications '
                            f"({', '.join(found)}) through {'; '.join(w for w, _ in hits)} (expected exactly one "
                            f"matching rule)")
        mapped = found[0] if found else ""
        if cell and mapped and cell != mapped:
            failures.append(f'{label} line {int(line)}, column "publication": {cell!r} but row_publications in '
                            f"{meta_label} maps the row to {mapped!r} — the row resolves to two publications "
                            f"(expected one: drop the mapping or correct the cell)")
            keys.append(cell)
            continue
        key = cell or mapped or default
        if not key:
            if required:
                failures.append(f'{label} line {int(line)}, column "source": {str(src)[:80]!r} resolves to no '
                                f"publication (expected a `publication` column, an entry for this exact text under "
                                f"row_publications in {meta_label}, or a file-wide `publication:` key there)")
            keys.append("")
            continue
        if key not in registry:
            column = "publication" if cell else "source"
            how = "its publication cell" if cell else ("row_publications" if mapped else "the sidecar's publication")
            failures.append(f'{label} line {int(line)}, column "{column}": publication key {key!r} (from {how}) is '
                            f"not defined in the publications of any sidecar (expected a key defined under "
                            f"`publications:` in {meta_label} or another sidecar{_close(key, registry)})")
        keys.append(key)
    for key in sorted({r["publication"] for _, r in rules} - set(registry)):
        if key not in keys:
            failures.append(f"{meta_label}, row_publications: key {key!r} is not defined in the publications of any "
                            f"sidecar")
    if default and default not in registry and default not in keys:
        failures.append(f"{meta_label}, field publication: key {default!r} is not defined in the publications of any sidecar")
    return pd.Series(keys, index=frame.index, dtype=object), failures


def _close(key: str, registry: dict) -> str:
    import difflib

    near = difflib.get_close_matches(key, list(registry), n=3)
    return f"; did you mean {', '.join(near)}?" if near else ""


def publications_frame(registry: dict, defined_in: dict) -> pd.DataFrame:
    rows = []
    for key in sorted(registry):
        f = registry[key]
        row = {c: "" for c in PUBLICATION_COLUMNS}
        for c in PUBLICATION_COLUMNS:
            v = f.get(c, "")
            row[c] = "; ".join(v) if isinstance(v, list) else v
        row["publication"] = key
        row["defined_in"] = "; ".join(defined_in.get(key, []))
        rows.append(row)
    return pd.DataFrame(rows, columns=PUBLICATION_COLUMNS).astype("string")


def retrievals_frame(items: list[tuple[str, dict]]) -> pd.DataFrame:
    rows = []
    for file, r in items:
        if isinstance(r, dict):
            rows.append({**{c: _text(r.get(c)) for c in RETRIEVAL_COLUMNS}, "file": file})
    return pd.DataFrame(rows, columns=RETRIEVAL_COLUMNS).astype("string")


def _text(v) -> str:
    v = _norm(v)
    return "; ".join(map(str, v)) if isinstance(v, list) else v
