"""What population-level development measures cover, and which dimensions the book has data on.

The facts live in ``instruments.yaml`` beside this module, each with the
publication it is from (keys of the book's ``references.bib``).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
from ecd._yaml import load_yaml
from ecd.errors import ParameterError

_FILE = Path(__file__).resolve().parent / "instruments.yaml"


@lru_cache(maxsize=1)
def _doc() -> dict:
    return load_yaml(_FILE.read_text(encoding="utf-8"), "src/ecd/development/instruments.yaml")


def instruments() -> pd.DataFrame:
    """ECDI2030, GSED and Bayley-III: issuer, year, ages, items, respondent, domains, score, references.

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``instrument, name_zh, issuer_zh, year, age_low_months,
        age_high_months, n_items`` (missing where the book states none), ``respondent_zh,
        domains_zh`` (joined with 、), ``score_zh, cite`` (bibliography keys, joined with ;).

    Examples
    --------
    >>> from ecd.development import instruments
    >>> instruments().set_index("instrument").loc["ecdi2030", ["age_low_months", "age_high_months", "n_items"]].tolist()
    [24, 59, 20]
    """
    rows = []
    for code, d in _doc().items():
        if code == "dimensions":
            continue
        rows.append({"instrument": code, "name_zh": d["name_zh"], "issuer_zh": d["issuer_zh"], "year": d["year"],
                     "age_low_months": d["age_months"][0], "age_high_months": d["age_months"][1],
                     "n_items": d.get("n_items"), "respondent_zh": d["respondent_zh"],
                     "domains_zh": "、".join(d["domains_zh"]), "score_zh": d["score_zh"], "cite": ";".join(d["cite"])})
    out = pd.DataFrame(rows)
    out["n_items"] = out["n_items"].astype("Int64")
    return out


def dimension_coverage(items: pd.DataFrame, *, domain: str = "domain") -> pd.DataFrame:
    """Which dimensions of development the book has data on: this chapter's items or another chapter.

    Parameters
    ----------
    items : pandas.DataFrame
        The item table of a child-level file (:attr:`ecd.data.Microdata.items`), with a
        domain-code column.
    domain : str
        The domain-code column of ``items``.

    Returns
    -------
    pandas.DataFrame
        ``dimension_zh, n_items`` (items of that dimension in ``items``; missing for a
        dimension covered by another chapter), ``chapter`` (id of that chapter, or empty),
        ``chapter_zh``, ``covered`` (bool) and ``note_zh``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.development import dimension_coverage
    >>> t = dimension_coverage(pd.DataFrame({"domain": ["cg", "cg", "fm"]}))
    >>> t.set_index("dimension_zh").loc[["认知", "语言"], ["n_items", "covered"]].values.tolist()
    [[2, True], [0, False]]
    """
    if domain not in items.columns:
        raise ParameterError("domain", f"column {domain!r} is not in the item table (columns: {list(items.columns)}).")
    counts = items[domain].value_counts()
    rows = []
    for d in _doc()["dimensions"]:
        codes = d.get("items")
        n = int(sum(counts.get(c, 0) for c in codes)) if codes else None
        chapter = d.get("chapter", "")
        rows.append({"dimension_zh": d["name_zh"], "n_items": n, "chapter": chapter,
                     "chapter_zh": d.get("chapter_zh", ""), "covered": bool(chapter) or bool(n),
                     "note_zh": d["note_zh"]})
    out = pd.DataFrame(rows)
    out["n_items"] = out["n_items"].astype("Int64")
    return out
