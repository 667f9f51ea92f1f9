"""Overlaps between sources: the catalog's ``prefer`` decides which row :func:`ecd.data.load` returns.

Two sources may give the same key (indicator, geo, area, year): a new vintage
of a modelled series, an official figure quoted by two publications. Each
indicator may list ``prefer: [source_id, ...]`` in the catalog (packaged
``indicators.yaml``, or a user catalog's top-level ``prefer:`` section, which
wins). For every key the row of the best-ranked source is returned; sources the
list does not name rank after it, in source-id order. An overlap whose values
differ is a *conflict*; a conflict none of whose sources the list names is
*unresolved* and fails ``ecd data check`` and the build, naming the rows and
the fix. Values are never averaged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["indicator", "geo", "area", "year"]
CONFLICT_COLUMNS = ["indicator", "geo", "area", "year", "source_id", "value", "publication", "rank", "chosen",
                    "resolved"]


def _empty() -> pd.DataFrame:
    types = {"year": "int64", "value": "float64", "rank": "int64", "chosen": "bool", "resolved": "bool"}
    return pd.DataFrame({c: pd.Series([], dtype=types.get(c, object)) for c in CONFLICT_COLUMNS})


def prefer_lists() -> dict[str, list[str]]:
    """indicator → preferred source ids (packaged catalog, overridden by the user catalog's ``prefer:``)."""
    from ecd.catalog._load import catalog_doc

    doc = catalog_doc()
    out = {c: list(e.get("prefer") or []) for c, e in doc["indicators"].items() if e.get("prefer")}
    out.update({c: list(v) for c, v in (doc.get("prefer") or {}).items()})
    return out


def ranks(frame: pd.DataFrame, prefer: dict[str, list[str]] | None = None) -> np.ndarray:
    """Rank of every row's source for its indicator (0 = most preferred; unlisted sources after listed ones)."""
    prefer = prefer_lists() if prefer is None else prefer
    pos = {(c, s): i for c, lst in prefer.items() for i, s in enumerate(lst)}
    ind = frame["indicator"].astype(str).to_numpy()
    src = frame["source_id"].astype(str).to_numpy()
    return np.array([pos.get((i, s), 10_000) for i, s in zip(ind, src)], dtype=np.int64)


def resolve(frame: pd.DataFrame, prefer: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per key: the best-ranked source's (ties by source id); order of ``frame`` kept."""
    if frame.empty:
        return frame
    dup = frame.duplicated(KEY, keep=False)
    if not dup.any():
        return frame
    r = ranks(frame, prefer)
    order = np.lexsort((frame["source_id"].astype(str).to_numpy(), r))  # by rank, then source id
    best = frame.iloc[order].drop_duplicates(KEY, keep="first")
    return frame.loc[frame.index.isin(best.index)]


def conflicts(frame: pd.DataFrame, prefer: dict[str, list[str]] | None = None, tol: float = 1e-9) -> pd.DataFrame:
    """Every row of a key that two or more sources give with different values.

    Columns ``indicator, geo, area, year, source_id, value, publication, rank,
    chosen, resolved``: ``chosen`` marks the row :func:`ecd.data.load` returns,
    ``resolved`` whether the catalog's ``prefer`` names one of the key's sources.
    """
    prefer = prefer_lists() if prefer is None else prefer
    multi = frame[frame.duplicated(KEY, keep=False)]
    if multi.empty:
        return _empty()
    spread = multi.groupby(KEY, sort=False)["value"].transform(lambda v: v.max() - v.min())
    nsrc = multi.groupby(KEY, sort=False)["source_id"].transform("nunique")
    diff = multi[(spread > tol) & (nsrc > 1)].copy()
    if diff.empty:
        return _empty()
    diff["rank"] = ranks(diff, prefer)
    chosen = resolve(diff, prefer)
    diff["chosen"] = diff.index.isin(chosen.index)
    diff["resolved"] = diff.groupby(KEY, sort=False)["rank"].transform("min") < 10_000
    if "publication" not in diff:
        diff["publication"] = ""
    out = diff[CONFLICT_COLUMNS].sort_values(KEY + ["rank", "source_id"], kind="stable")
    return out.reset_index(drop=True)
