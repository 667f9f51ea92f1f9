"""A zh/en glossary of the catalogued indicators, for the book's methods chapter and for readers."""
from __future__ import annotations

import pandas as pd

GLOSSARY_COLUMNS = ["code", "name_zh", "name_en", "unit_zh", "unit", "domain", "domain_zh", "kind", "kind_zh",
                    "definition"]


def glossary(*, targets: bool = False) -> pd.DataFrame:
    """Every catalogued indicator with its Chinese and English names, unit, domain, data kind and definition.

    Parameters
    ----------
    targets : bool, default False
        Include the policy-target codes (``domain == "policy_target"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``code, name_zh, name_en, unit_zh, unit, domain, domain_zh, kind,
        kind_zh`` (:data:`KIND_ZH`) and ``definition`` (English, as the catalog has it;
        empty where it has none), sorted by the catalog's order of domains, then code.

    Examples
    --------
    >>> import ecd.catalog
    >>> g = ecd.catalog.glossary()
    >>> g.set_index("code").loc["imr", ["name_zh", "unit_zh", "kind_zh"]].tolist()
    ['婴儿死亡率', '‰', '监测系统']
    """
    from ecd.catalog import KIND_ZH, domains, indicators

    ind = indicators()
    if not targets:
        ind = ind[ind["domain"] != "policy_target"]
    dom = domains().reset_index(drop=True)
    order = {d: i for i, d in enumerate(dom["domain"])}
    out = ind.assign(domain_zh=ind["domain"].map(dom.set_index("domain")["name_zh"]),
                     kind_zh=ind["kind"].map(KIND_ZH),
                     definition=ind["definition"].fillna("").astype(str),
                     _order=ind["domain"].map(order))
    out = out.sort_values(["_order", "code"], kind="stable")
    return out[GLOSSARY_COLUMNS].reset_index(drop=True)
