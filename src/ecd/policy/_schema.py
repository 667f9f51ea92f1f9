"""What a policy inventory file must look like, and the checks that say where it does not.

Two files live in ``data/raw/policies/``:

``policy_documents.csv`` (sidecar ``format: policy_documents``)
    one row per document: ``publication, date, date_kind, level, geo, issuer,
    title, short_title, doc_number, type, measures`` (``short_title``: a label
    of at most 14 characters for figures); ``publication`` is a key of the
    sidecar's ``publications`` (the document as issued).
``policy_document_targets.csv`` (sidecar ``format: policy_target_links``)
    one row per document × numeric target: ``publication, target, year``;
    ``target`` is a catalog code of domain ``policy_target`` whose value, unit
    and year are rows of the warehouse (``data/raw/policy_targets``).

The checks here need neither the warehouse nor pandas: they run inside the
warehouse build (as readers that contribute no indicator rows) and in
:func:`ecd.policy.inventory`. Every failure names the file, line and column,
shows what was found and what was expected.
"""
from __future__ import annotations

import datetime as _dt
import re

DOCUMENT_COLUMNS = ("publication", "date", "date_kind", "level", "geo", "issuer", "title", "short_title", "doc_number",
                    "type", "measures")
SHORT_TITLE_MAX = 14
LINK_COLUMNS = ("publication", "target", "year")

#: Main type of a document (one per document) and its Chinese label.
TYPES_ZH = {"childcare": "托育服务", "subsidy": "育儿补贴", "fertility": "生育支持", "mch": "妇幼健康",
            "early_education": "学前/早期教育", "family": "家庭支持"}
#: Level of the issuing body and its Chinese label.
LEVELS_ZH = {"national": "国家", "provincial": "省级"}
#: What the ``date`` of a row is.
DATE_KINDS_ZH = {"issued": "印发", "published": "公布", "adopted": "通过", "reported": "见报"}

#: 文号: issuing-body abbreviation, year in 〔〕, sequence number, 号 — e.g. 国办发〔2019〕15号, 国卫办人口函〔2021〕629号.
DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{2,12}〔(19[4-9]\d|20\d\d)〕\d{1,4}号$")
KEY = re.compile(r"^[a-z0-9_]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(text: str) -> _dt.date | None:
    if not _DATE.match(text):
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


def check_documents(records: list[dict], label: str, publications: dict, provinces: set[str]) -> list[str]:
    """Every problem of the document rows, one line each.

    Parameters
    ----------
    records : list of dict
        The rows as strings, each with ``_line`` (line in the file, header = 1).
    label : str
        The file as the user sees it (e.g. ``data/raw/policies/policy_documents.csv``).
    publications : dict
        The sidecar's ``publications`` mapping.
    provinces : set of str
        Province codes a provincial row may carry (``CN-BJ`` …).

    Examples
    --------
    >>> rows = [{"_line": 2, "publication": "p1", "date": "2019-13-01", "date_kind": "issued", "level": "national",
    ...          "geo": "CN", "issuer": "国务院", "title": "某文件", "short_title": "某文件", "doc_number": "国发2019第1号", "type": "childcare",
    ...          "measures": "某措施"}]
    >>> pubs = {"p1": {"title": "某文件", "date": "2019-13-01", "number": "国发2019第1号"}}
    >>> for line in check_documents(rows, "docs.csv", pubs, set()):
    ...     print(line)
    docs.csv line 2, column "date": '2019-13-01' is not a date (expected YYYY-MM-DD, e.g. 2019-05-09)
    docs.csv line 2, column "doc_number": '国发2019第1号' is not a document number (expected e.g. 国办发〔2019〕15号 with the year in 〔〕, or empty when the document has none)
    """
    out: list[str] = []
    seen: dict[str, int] = {}
    for r in records:
        where = f"{label} line {r['_line']}"
        key = r["publication"].strip()
        if not KEY.match(key):
            out.append(f'{where}, column "publication": {key!r} is not a publication key (expected lower-case '
                       f"letters, digits and _)")
        elif key in seen:
            out.append(f'{where}, column "publication": {key!r} already used on line {seen[key]} (expected one row '
                       f"per document)")
        else:
            seen[key] = r["_line"]
        pub = publications.get(key)
        if KEY.match(key) and pub is None:
            out.append(f'{where}, column "publication": {key!r} is not in the sidecar\'s publications (expected a '
                       f"key of `publications` in the .meta.yaml describing the document as issued)")
        for col in ("issuer", "title", "short_title", "measures"):
            if not r[col].strip():
                out.append(f'{where}, column "{col}": empty (expected text)')
        if len(r["short_title"].strip()) > SHORT_TITLE_MAX:
            out.append(f'{where}, column "short_title": {r["short_title"]!r} has {len(r["short_title"].strip())} '
                       f"characters (expected at most {SHORT_TITLE_MAX}, short enough for a figure label)")
        d = _date(r["date"].strip())
        if d is None:
            out.append(f'{where}, column "date": {r["date"]!r} is not a date (expected YYYY-MM-DD, e.g. 2019-05-09)')
        elif not (_dt.date(1949, 10, 1) <= d <= _dt.date.today()):
            out.append(f'{where}, column "date": {r["date"]!r} is outside 1949-10-01 … today')
        for col, allowed in (("date_kind", DATE_KINDS_ZH), ("level", LEVELS_ZH), ("type", TYPES_ZH)):
            if r[col].strip() not in allowed:
                out.append(f'{where}, column "{col}": {r[col]!r} is not allowed (expected one of {", ".join(allowed)})')
        geo, level = r["geo"].strip(), r["level"].strip()
        if level == "national" and geo != "CN":
            out.append(f'{where}, column "geo": {geo!r} for a national document (expected CN)')
        if level == "provincial" and geo not in provinces:
            out.append(f'{where}, column "geo": {geo!r} is not a province code (expected e.g. CN-GD)')
        number = r["doc_number"].strip()
        if number and not DOC_NUMBER.match(number):
            out.append(f'{where}, column "doc_number": {number!r} is not a document number (expected e.g. '
                       f"国办发〔2019〕15号 with the year in 〔〕, or empty when the document has none)")
        if pub is not None:
            for col, field, value in (("title", "title", r["title"].strip()), ("date", "date", r["date"].strip()),
                                      ("doc_number", "number", number)):
                want = str(pub.get(field) or "")
                if value != want:
                    out.append(f'{where}, column "{col}": {value!r} differs from publication {key!r} field '
                               f"{field} {want!r} (expected the row to match the document as issued)")
    return out


def check_links(records: list[dict], label: str, publications: dict, targets: dict) -> list[str]:
    """Every problem of the document → target rows, one line each.

    ``targets`` maps each catalog code of domain ``policy_target`` to its entry.

    Examples
    --------
    >>> rows = [{"_line": 2, "publication": "p1", "target": "imr", "year": "2025"}]
    >>> check_links(rows, "links.csv", {"p1": {}}, {"t_imr": {}})[0]
    'links.csv line 2, column "target": \\'imr\\' is not a policy-target code of the catalog (expected a code of domain policy_target, e.g. t_imr)'
    """
    out: list[str] = []
    seen: dict[tuple, int] = {}
    example = next(iter(sorted(targets)), "hcaip2025_target_max_imr")
    for r in records:
        where = f"{label} line {r['_line']}"
        key, code, year = r["publication"].strip(), r["target"].strip(), r["year"].strip()
        if key not in publications:
            out.append(f'{where}, column "publication": {key!r} is not in the sidecar\'s publications (expected a '
                       f"key of `publications`)")
        if code not in targets:
            out.append(f'{where}, column "target": {code!r} is not a policy-target code of the catalog (expected a '
                       f"code of domain policy_target, e.g. {example})")
        if not re.fullmatch(r"(19|20)\d\d", year):
            out.append(f'{where}, column "year": {year!r} is not a target year (expected e.g. 2025)')
        k = (key, code, year)
        if k in seen:
            out.append(f"{where}: the link {key} → {code} ({year}) is already on line {seen[k]}")
        seen.setdefault(k, r["_line"])
    return out
