"""The policy inventory as validated frames: documents, the targets they set, and how far each stands."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ecd.errors import ParameterError, ProvenanceError, SchemaError
from ecd.policy._schema import DATE_KINDS_ZH, DOCUMENT_COLUMNS, LEVELS_ZH, LINK_COLUMNS, TYPES_ZH, check_documents, \
    check_links

DOCUMENTS_FILE = "policy_documents.csv"
LINKS_FILE = "policy_document_targets.csv"
_CONVENTION = "(line 1 is the header)"


def _folder(path) -> Path:
    if path is None:
        from ecd import paths

        return paths.raw_dir() / "policies"
    p = Path(path)
    if not p.is_dir():
        raise ParameterError("path", f"{str(p)!r} is not a folder (expected the folder holding {DOCUMENTS_FILE} and "
                                     f"{LINKS_FILE}, by default data/raw/policies)")
    return p


def _label(p: Path) -> str:
    from ecd import paths

    try:
        return p.relative_to(paths.home()).as_posix()
    except ValueError:
        return p.as_posix()


def _read(folder: Path, name: str, columns) -> tuple[list[dict], dict, str, list[str]]:
    from ecd.catalog._load import load_yaml
    from ecd.data._sidecar import SIDECAR_SUFFIX
    from ecd.policy._readers import read_records

    f = folder / name
    label = _label(f)
    side = f.with_name(f.stem + SIDECAR_SUFFIX)
    if not f.exists():
        raise ProvenanceError(f"{label}: not found (expected the policy inventory file {name} in {_label(folder)}/)")
    if not side.exists():
        raise ProvenanceError(f"{label}: no sidecar {_label(side)} (expected one with `publications` describing each "
                              f"document as issued)")
    meta = load_yaml(side.read_text(encoding="utf-8"), _label(side)) or {}
    records, failures = read_records(f, meta, label, columns)
    pubs = meta.get("publications")
    if not isinstance(pubs, dict) or not pubs:
        failures.append(f"{_label(side)}: no `publications` mapping (expected one entry per document)")
        pubs = {}
    return records, pubs, label, failures


def citation(pub: dict) -> str:
    """One policy document as issued, in GB/T 7714-2015 style (no address).

    The book cites a document as its issuing body issued it: body, title, 文号
    and date. An official address, where the sidecar gives one, is not printed
    (chapters never print addresses); it is listed with the copies read in the
    data appendix's 数据获取记录. The formatter is the book's own
    (:func:`ecd.book._bib.format_publication`), so a document reads the same in
    the policy chapter's list and in any chapter's 参考文献.

    Parameters
    ----------
    pub : dict
        A ``publications`` entry of a sidecar: ``author`` (issuing body, or a
        list), ``title``, ``number`` (文号, optional), ``date`` or ``year``.

    Returns
    -------
    str
        ``发文机关. 题名: 文号[Z]. 日期.``

    Examples
    --------
    >>> import ecd.policy
    >>> ecd.policy.citation({"author": "国务院办公厅", "title": "国务院办公厅关于促进3岁以下婴幼儿照护服务发展的指导意见",
    ...                      "number": "国办发〔2019〕15号", "date": "2019-05-09"})
    '国务院办公厅. 国务院办公厅关于促进3岁以下婴幼儿照护服务发展的指导意见: 国办发〔2019〕15号[Z]. 2019-05-09.'
    """
    from ecd.book._bib import format_publication

    year = pub.get("year") or str(pub.get("date") or "")[:4]
    return format_publication({**pub, "type": "policy", "year": year})


def _documents(folder: Path) -> tuple[pd.DataFrame, dict]:
    from ecd.policy._readers import provinces

    records, pubs, label, failures = _read(folder, DOCUMENTS_FILE, DOCUMENT_COLUMNS)
    failures += check_documents(records, label, pubs, provinces())
    if failures:
        raise SchemaError(f"{len(failures)} problem(s) in the policy inventory {_CONVENTION}:", failures)
    df = pd.DataFrame.from_records([{c: r[c].strip() for c in DOCUMENT_COLUMNS} for r in records],
                                   columns=list(DOCUMENT_COLUMNS))
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d")
    df.insert(2, "year", df["date"].dt.year.astype("int64"))
    df["type_zh"] = df["type"].map(TYPES_ZH)
    df["level_zh"] = df["level"].map(LEVELS_ZH)
    df["date_kind_zh"] = df["date_kind"].map(DATE_KINDS_ZH)
    df["citation"] = [citation(pubs[k]) for k in df["publication"]]
    df["url"] = [pubs[k].get("url") or "" for k in df["publication"]]
    return df.sort_values(["date", "publication"], kind="stable").reset_index(drop=True), pubs


def inventory(level=None, types=None, years=None, *, path=None) -> pd.DataFrame:
    """The policy documents, validated, one row per document (oldest first).

    Parameters
    ----------
    level : {"national", "provincial"} or list, optional
        Keep only these levels.
    types : str or list, optional
        Keep only these main types (keys of :data:`TYPES_ZH`: ``childcare``,
        ``subsidy``, ``fertility``, ``mch``, ``early_education``, ``family``).
    years : (int, int), optional
        Keep documents dated within these years (inclusive).
    path : str or Path, optional
        Folder holding ``policy_documents.csv`` and its sidecar (default
        ``data/raw/policies`` under the project home).

    Returns
    -------
    pandas.DataFrame
        ``publication, date, year, date_kind, level, geo, issuer, title,
        short_title, doc_number, type, measures, type_zh, level_zh, date_kind_zh, citation,
        url``; ``date`` is a datetime, ``doc_number`` is ``""`` when the
        document has none, ``citation`` the document in GB/T 7714 style,
        ``url`` its official address where one was found.

    Raises
    ------
    ecd.errors.SchemaError
        A row breaks the inventory schema; ``failures`` has one line per cell,
        naming the file, line and column (dates that do not parse, a level,
        type or date kind outside its list, a malformed 文号, a row whose
        publication key is missing from the sidecar or disagrees with it).
    ecd.errors.ProvenanceError
        The file or its sidecar is missing.
    ecd.errors.ParameterError
        A filter names an unknown level or type, or ``path`` is not a folder.

    Examples
    --------
    >>> import ecd.policy
    >>> docs = ecd.policy.inventory(level="national", years=(2019, 2025))
    >>> docs.loc[docs["doc_number"] == "国办发〔2019〕15号", ["date_kind", "issuer", "type_zh"]].to_dict("records")
    [{'date_kind': 'published', 'issuer': '国务院办公厅', 'type_zh': '托育服务'}]
    """
    df, _ = _documents(_folder(path))
    for name, wanted, column, allowed in (("level", level, "level", LEVELS_ZH), ("types", types, "type", TYPES_ZH)):
        if wanted is None:
            continue
        want = [wanted] if isinstance(wanted, str) else list(wanted)
        bad = [x for x in want if x not in allowed]
        if bad:
            raise ParameterError(name, f"{bad} not known (expected any of {list(allowed)})")
        df = df[df[column].isin(want)]
    if years is not None:
        try:
            lo, hi = (int(years[0]), int(years[1]))
        except (TypeError, ValueError, IndexError):
            raise ParameterError("years", f"expected (first, last) years, found {years!r}") from None
        df = df[df["year"].between(lo, hi)]
    return df.reset_index(drop=True)


def targets(*, path=None) -> pd.DataFrame:
    """The numeric targets each document sets, joined to the warehouse's target rows and the catalog.

    Values, units and years come from the target rows of the warehouse
    (``data/raw/policy_targets``); the link file only says which document
    sets which target code for which year.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding the inventory (default ``data/raw/policies``).

    Returns
    -------
    pandas.DataFrame
        One row per document × target: ``publication, title, short_title,
        doc_number, date, target, policy, name_zh, indicator, comparison, year, value,
        unit, unit_zh, set_on``; ``indicator`` is the catalog code the target
        is judged on, or ``""`` when the catalog has no series for it.

    Raises
    ------
    ecd.errors.SchemaError
        A link names an unknown document or target code, or a (target, year)
        that has no row in the warehouse.

    Examples
    --------
    >>> import ecd.policy
    >>> t = ecd.policy.targets()
    >>> t.loc[t["target"] == "fyp14_target_childcare_slots_u3_per_1000_pop", ["indicator", "year", "value"]].to_dict("records")
    [{'indicator': 'childcare_slots_u3_per_1000_pop', 'year': 2025, 'value': 4.5}]
    """
    import ecd.data
    from ecd.catalog import unit_zh
    from ecd.policy._readers import policy_target_codes

    folder = _folder(path)
    docs, _ = _documents(folder)
    records, pubs, label, failures = _read(folder, LINKS_FILE, LINK_COLUMNS)
    codes = policy_target_codes()
    failures += check_links(records, label, pubs, codes)
    known = set(docs["publication"])
    for r in records:
        if r["publication"].strip() in pubs and r["publication"].strip() not in known:
            failures.append(f'{label} line {r["_line"]}, column "publication": {r["publication"]!r} is not a row of '
                            f"{DOCUMENTS_FILE} (expected every linked document in the inventory)")
    if not failures:
        rows = ecd.data.load(sorted({r["target"].strip() for r in records}))
        have = {(c, int(y)): (v, u) for c, y, v, u in rows[["indicator", "year", "value", "unit"]].itertuples(index=False)}
        for r in records:
            if (r["target"].strip(), int(r["year"])) not in have:
                failures.append(f'{label} line {r["_line"]}, column "year": target {r["target"]!r} has no warehouse '
                                f"row for {r['year']} (expected a row in data/raw/policy_targets; add the target row "
                                f"with its publication first)")
    if failures:
        raise SchemaError(f"{len(failures)} problem(s) in the policy target links {_CONVENTION}:", failures)
    docs = docs.set_index("publication")
    out = []
    for r in records:
        code, yr = r["target"].strip(), int(r["year"])
        e = codes[code]
        v, u = have[(code, yr)]
        d = docs.loc[r["publication"].strip()]
        out.append({"publication": r["publication"].strip(), "title": d["title"], "short_title": d["short_title"],
                    "doc_number": d["doc_number"],
                    "date": d["date"], "target": code, "policy": e.get("policy"), "name_zh": e.get("name_zh"),
                    "indicator": e.get("target_of") or "", "comparison": e.get("comparison"), "year": yr,
                    "value": float(v), "unit": u, "unit_zh": unit_zh(code), "set_on": e.get("set_on")})
    cols = ["publication", "title", "short_title", "doc_number", "date", "target", "policy", "name_zh", "indicator", "comparison",
            "year", "value", "unit", "unit_zh", "set_on"]
    return pd.DataFrame(out, columns=cols).sort_values(["date", "target"], kind="stable").reset_index(drop=True)


def series(indicator: str, *, geo: str = "CN", area: str = "total") -> pd.DataFrame:
    """One value per year of an indicator for one geography and area, ready to set against a policy.

    Where several sources give the same year, the row of the first source in
    the catalog's ``prefer`` list (else its ``sources`` list) is kept, so a
    new source that overlaps an old one does not break a chart or a target
    check; the rows dropped are the ones :func:`ecd.data.load` would list as
    alternatives.

    Parameters
    ----------
    indicator : str
        Catalog code.
    geo, area : str
        Default the national total.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`ecd.data.load` with a value, one per year, sorted by year.

    Examples
    --------
    >>> import ecd.policy
    >>> s = ecd.policy.series("imr")
    >>> bool(s["year"].is_unique and (s["geo"] == "CN").all())
    True
    """
    import ecd.data
    from ecd.catalog import indicator as _indicator

    d = ecd.data.load(indicator, geo=geo, area=area)
    d = d[d["value"].notna()]
    entry = _indicator(indicator)
    order = list(dict.fromkeys(list(entry.get("prefer") or []) + list(entry.get("sources") or [])))
    rank = {sid: i for i, sid in enumerate(order)}
    d = d.assign(_rank=d["source_id"].map(lambda sid: rank.get(sid, len(rank))))
    d = d.sort_values(["year", "_rank"], kind="stable").drop_duplicates("year", keep="first")
    return d.drop(columns="_rank").reset_index(drop=True)


def progress(*, geo: str = "CN", area: str = "total", path=None) -> pd.DataFrame:
    """How far each linked target stands: the latest warehouse value of its indicator against it.

    Parameters
    ----------
    geo, area : str
        The series a national target is judged on (default the national total).
    path : str or Path, optional
        Folder holding the inventory (default ``data/raw/policies``).

    Returns
    -------
    pandas.DataFrame
        :func:`targets` plus ``latest_year, latest_value, gap, status,
        status_zh`` (status as :func:`ecd.compare.target_check`: ``met``,
        ``not met``, ``different kind``, or ``no data`` when the indicator has
        no national value in the warehouse, or ``no indicator`` when the
        catalog has no series the target could be judged on).

    Examples
    --------
    >>> import ecd.policy
    >>> p = ecd.policy.progress()
    >>> row = p.set_index("target").loc["hcaip2025_target_max_imr"]
    >>> row["status"], row["status_zh"], int(row["latest_year"]) >= 2024
    ('met', '已达到', True)
    """
    import ecd.compare
    from ecd.catalog import kind

    t = targets(path=path)
    judged = t[t["indicator"] != ""]
    checks = pd.DataFrame(columns=["target_code", "target_year", "year", "value", "gap", "status"])
    if len(judged):
        data = pd.concat([series(c, geo=geo, area=area) for c in sorted(set(judged["indicator"]))], ignore_index=True)
        spec = {}
        for _, r in judged.iterrows():
            spec.setdefault(r["indicator"], []).append({"code": r["target"], "policy": r["policy"], "geo": "CN",
                                                        "year": int(r["year"]), "comparison": r["comparison"],
                                                        "value": r["value"], "kind": r["set_on"]})
        if len(data):
            checks = ecd.compare.target_check(data, spec, kinds={c: kind(c) for c in spec}).tidy()
    merged = t.merge(checks[["target_code", "target_year", "year", "value", "gap", "status"]].rename(
        columns={"target_code": "target", "target_year": "year", "year": "latest_year", "value": "latest_value"}),
        on=["target", "year"], how="left")
    merged["status"] = merged["status"].where(merged["status"].notna(),
                                              merged["indicator"].map(lambda c: "no data" if c else "no indicator"))
    merged["latest_year"] = merged["latest_year"].astype("Int64")
    merged["status_zh"] = merged["status"].map({**ecd.compare.STATUS_ZH, "no indicator": "无对应数据序列"})
    return merged
