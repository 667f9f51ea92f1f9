"""Warehouse readers for the policy inventory: they validate, and contribute no indicator rows.

Registered as ``format: policy_documents`` and ``format: policy_target_links``
so that ``ecd data check`` / ``ecd data build`` report a broken inventory with
every other raw-data failure, before anything is written.
"""
from __future__ import annotations

from pathlib import Path

from ecd.data._readers import RawTable, decode, empty_raw, read_csv_cells, register_reader
from ecd.policy._schema import DOCUMENT_COLUMNS, LINK_COLUMNS, check_documents, check_links


def provinces() -> set[str]:
    from ecd.catalog._load import geo_doc

    return set(geo_doc()["provinces"])


def policy_target_codes() -> dict[str, dict]:
    from ecd.catalog._load import catalog_doc

    return {c: e for c, e in catalog_doc()["indicators"].items() if e.get("domain") == "policy_target"}


def read_records(path: Path, meta: dict, label: str, columns) -> tuple[list[dict], list[str]]:
    """The rows of ``path`` as dicts of strings with ``_line``, and the file-level failures."""
    text, problem = decode(path.read_bytes(), meta.get("encoding", "utf-8"), label)
    if problem:
        return [], [problem]
    table = read_csv_cells(text, label, columns)
    if table.failures:
        return [], list(table.failures)
    return table.frame.to_dict("records"), []


def _publications(meta: dict, label: str) -> tuple[dict, list[str]]:
    pubs = meta.get("publications")
    if not isinstance(pubs, dict) or not pubs:
        side = label.rsplit(".", 1)[0] + ".meta.yaml"
        return {}, [f"{side}: no `publications` mapping (expected one entry per document: type, author, title, "
                    f"year, date, number, url, lang)"]
    return pubs, []


def _validate(path: Path, meta: dict, label: str, columns, check) -> RawTable:
    records, failures = read_records(path, meta, label, columns)
    pubs, more = _publications(meta, label)
    failures += more
    if records:
        failures += check(records, label, pubs)
    return RawTable(empty_raw(), failures, contributes_rows=False)


@register_reader("policy_documents")
def read_policy_documents(path: Path, meta: dict, label: str) -> RawTable:
    """Check ``policy_documents.csv`` against its sidecar and the catalog's provinces."""
    return _validate(path, meta, label, DOCUMENT_COLUMNS,
                     lambda records, lab, pubs: check_documents(records, lab, pubs, provinces()))


@register_reader("policy_target_links")
def read_policy_target_links(path: Path, meta: dict, label: str) -> RawTable:
    """Check ``policy_document_targets.csv`` against its sidecar and the catalog's policy-target codes."""
    return _validate(path, meta, label, LINK_COLUMNS,
                     lambda records, lab, pubs: check_links(records, lab, pubs, policy_target_codes()))
