"""The indicator and geography catalog of ``ecd`` (packaged YAML, no I/O beyond the package).

``indicators.yaml`` describes every indicator code that occurs in ``data/raw``:
Chinese and English names, unit, Nurturing Care domain, direction, definition,
the sources that carry it, how it differs from look-alike indicators (NHC
official ``imr`` vs UN IGME ``imr_igme``) and the policy targets that refer to
it. ``geo.yaml`` lists the 31 provinces (ISO 3166-2:CN, GB/T 2260, names,
east/central/west), the aggregates (``CN``, ``CN-EAST`` …, ``WLD``) and the
countries (ISO3) used in the data.

Examples
--------
>>> import ecd.catalog
>>> ecd.catalog.indicator("imr")["name_zh"]
'婴儿死亡率'
>>> ecd.catalog.geo_name("CN-GD"), ecd.catalog.geo_name("JPN", lang="en")
('广东', 'Japan')
>>> len(ecd.catalog.provinces())
31
"""
from __future__ import annotations

import pandas as pd

from ecd.catalog._load import (
    KINDS,
    catalog_doc,
    geo_doc,
    geo_table,
    indicator_entry,
    unknown_code_error,
)
from ecd.catalog._glossary import glossary
from ecd.catalog._load import known_geos as _known_geos
from ecd.errors import ParameterError

__all__ = ["indicators", "indicator", "provinces", "geos", "geo_name", "geo_code", "domains", "policies", "known_geos",
           "kind", "unit", "unit_zh", "KINDS", "KIND_ZH", "glossary"]

_INDICATOR_COLUMNS = [
    "code", "name_zh", "name_en", "unit", "domain", "direction", "definition", "unit_zh", "kind",
    "sources", "policy", "target_of", "comparison", "n_targets",
]

# KINDS (from _load): how data are produced; data of different kinds are not judged against each
# other (see the header of indicators.yaml). KIND_ZH gives the Chinese name shown to readers.
KIND_ZH = {"survey": "抽样调查", "surveillance": "监测系统", "routine": "常规报告", "modelled": "模型估计",
           "census": "人口统计", "administrative": "行政记录", "accounts": "国民经济核算", "target": "规划目标"}


def indicators() -> pd.DataFrame:
    """All catalogued indicator codes, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``code, name_zh, name_en, unit, domain, direction, definition,
        unit_zh, kind`` (see :func:`kind`), ``sources`` (comma-separated source ids), ``policy, target_of, comparison``
        (set for policy-target codes only) and ``n_targets`` (number of targets
        that refer to the indicator).

    Examples
    --------
    >>> import ecd.catalog
    >>> cat = ecd.catalog.indicators()
    >>> cat.set_index("code").loc["u5mr", ["domain", "direction"]].tolist()
    ['good_health', 'adverse']
    """
    rows = []
    for code, e in catalog_doc()["indicators"].items():
        rows.append({
            "code": code,
            **{k: e[k] for k in ("name_zh", "name_en", "unit", "domain", "direction", "definition")},
            "unit_zh": e.get("unit_zh"), "kind": e.get("kind"),
            "sources": ", ".join(e["sources"]),
            "policy": e.get("policy"),
            "target_of": e.get("target_of"),
            "comparison": e.get("comparison"),
            "n_targets": len(e.get("targets", [])),
        })
    return pd.DataFrame(rows, columns=_INDICATOR_COLUMNS)


def indicator(code: str) -> dict:
    """The full catalog entry of one indicator (a fresh copy).

    Parameters
    ----------
    code : str
        Indicator code, e.g. ``"imr"``.

    Returns
    -------
    dict
        Keys ``name_zh, name_en, unit, domain, direction, definition, sources``
        and, where they apply, ``related, differs_from, targets`` (indicators) or
        ``policy, target_of, comparison`` (policy targets).

    Raises
    ------
    ecd.errors.ParameterError
        If the code is not catalogued (the message suggests close matches).

    Examples
    --------
    >>> import ecd.catalog
    >>> [t["code"] for t in ecd.catalog.indicator("nmr")["targets"]]
    ['hcaip2025_target_max_nmr', 'ncpd2030_target_max_nmr']
    """
    entry = indicator_entry(code)
    entry["code"] = code
    return entry


def kind(code: str) -> str | None:
    """How an indicator's data are produced: one of :data:`KINDS`.

    Data of different kinds (a survey and routine reporting, say) measure the
    same concept differently; :func:`ecd.compare.target_check` judges a target
    only against data of the kind the target was set on.

    Parameters
    ----------
    code : str
        Indicator code.

    Returns
    -------
    str or None
        The kind; ``None`` for a user-catalog code that does not declare one.

    Examples
    --------
    >>> import ecd.catalog
    >>> ecd.catalog.kind("stunting_u5_survey"), ecd.catalog.kind("stunting_u5_routine"), ecd.catalog.kind("imr_igme")
    ('survey', 'routine', 'modelled')
    >>> ecd.catalog.KIND_ZH[ecd.catalog.kind("imr")]
    '监测系统'
    """
    return indicator_entry(code).get("kind")


def unit(code: str) -> str:
    """The indicator's canonical unit: the catalog ``unit``, which every warehouse row of the code carries.

    A raw file may spell it otherwise only as ``src/ecd/catalog/units.yaml`` lists
    (``‰`` or ``per 1000`` for ``per 1000 live births``); such rows are stored
    with the canonical unit and a note. Any other unit is refused by
    ``ecd data check`` (values are never rescaled).

    Parameters
    ----------
    code : str
        Indicator code.

    Returns
    -------
    str

    Examples
    --------
    >>> import ecd.catalog
    >>> ecd.catalog.unit("imr"), ecd.catalog.unit("births")
    ('per 1000 live births', '10k persons (万人)')
    """
    return str(indicator_entry(code)["unit"])


def unit_zh(code: str, after_number: bool = False) -> str:
    """The indicator's unit in Chinese, for table headers and axis labels or after a number.

    Parameters
    ----------
    code : str
        Indicator code.
    after_number : bool
        ``True`` for the form written right after a number: "1/10万" becomes
        "/10万" ("16.9/10万"); other units are unchanged.

    Returns
    -------
    str
        E.g. ``"‰"``, ``"%"``, ``"1/10万"``, ``"万人"``; the English unit when a
        user-catalog code declares no ``unit_zh``.

    Examples
    --------
    >>> import ecd.catalog
    >>> ecd.catalog.unit_zh("imr"), ecd.catalog.unit_zh("mmr"), ecd.catalog.unit_zh("mmr", after_number=True)
    ('‰', '1/10万', '/10万')
    """
    e = indicator_entry(code)
    u = e.get("unit_zh") or e["unit"]
    return u[1:] if after_number and u.startswith("1/") else u


def provinces() -> pd.DataFrame:
    """The 31 provincial-level divisions of mainland China.

    Returns
    -------
    pandas.DataFrame
        Columns ``geo`` (ISO 3166-2:CN, e.g. ``CN-BJ``), ``gb2260`` (string,
        e.g. ``"110000"``), ``name_zh``, ``name_en``, ``region``
        (``east``/``central``/``west``).

    Examples
    --------
    >>> import ecd.catalog
    >>> p = ecd.catalog.provinces()
    >>> p.groupby("region").size().to_dict()
    {'central': 8, 'east': 11, 'west': 12}
    """
    rows = [
        {"geo": g, "gb2260": e["gb2260"], "name_zh": e["name_zh"], "name_en": e["name_en"], "region": e["region"]}
        for g, e in geo_doc()["provinces"].items()
    ]
    return pd.DataFrame(rows, columns=["geo", "gb2260", "name_zh", "name_en", "region"])


def geos() -> pd.DataFrame:
    """Every geographic code known to ``ecd`` with its level.

    Returns
    -------
    pandas.DataFrame
        Columns ``geo, level`` (``country``/``region``/``world``/``province``),
        ``name_zh, name_en, region, gb2260`` (the last two empty except for provinces).

    Examples
    --------
    >>> import ecd.catalog
    >>> ecd.catalog.geos().set_index("geo").loc["CN-WEST", "level"]
    'region'
    """
    return pd.DataFrame(list(geo_table()), columns=["geo", "level", "name_zh", "name_en", "region", "gb2260"])


def geo_name(code: str, lang: str = "zh") -> str:
    """The display name of a geographic code.

    Parameters
    ----------
    code : str
        ``CN``, ``CN-XX`` province, ``CN-EAST``/``CN-CENTRAL``/``CN-WEST``,
        an ISO3 country code in the catalog, or ``WLD``.
    lang : {"zh", "en"}
        Language of the name.

    Examples
    --------
    >>> import ecd.catalog
    >>> ecd.catalog.geo_name("CN-XZ", lang="en")
    'Tibet (Xizang)'
    """
    if lang not in ("zh", "en"):
        raise ParameterError("lang", f"got {lang!r}; expected 'zh' or 'en'")
    names = {r[0]: (r[2], r[3]) for r in geo_table()}
    if code not in names:
        raise unknown_code_error("code", code, names, "geo code", where="ecd.catalog.geos()")
    return names[code][0 if lang == "zh" else 1]


def geo_code(name: str) -> str:
    """The geo code of a place given by its code, Chinese name (with or without 省/市/自治区) or English name.

    Parameters
    ----------
    name : str
        ``CN-BJ``, ``北京``, ``北京市``, ``北　京``, ``Beijing``, ``全国`` (= ``CN``), ``日本`` …

    Returns
    -------
    str

    Raises
    ------
    ecd.errors.ParameterError
        A name the catalog does not know, with the closest places.

    Examples
    --------
    >>> import ecd.catalog
    >>> ecd.catalog.geo_code("北京"), ecd.catalog.geo_code("广西壮族自治区"), ecd.catalog.geo_code("Japan")
    ('CN-BJ', 'CN-GX', 'JPN')
    >>> ecd.catalog.geo_code("新彊维吾尔自治区")
    Traceback (most recent call last):
    ...
    ecd.errors.ParameterError: parameter 'name': unknown place '新彊维吾尔自治区'; did you mean 新疆 (CN-XJ)?
    """
    from ecd.catalog import _names

    if not isinstance(name, str) or not name.strip():
        raise ParameterError("name", f"got {name!r}; expected a geo code or a place name such as 'CN-BJ' or '北京'")
    code = _names.lookup(name)
    if code is None:
        raise ParameterError("name", f"unknown place {name!r}; {_names.did_you_mean(name)}")
    return code


def domains() -> pd.DataFrame:
    """The domains used in the catalog (Nurturing Care components plus services, demography, economy, policy_target).

    Examples
    --------
    >>> import ecd.catalog
    >>> "responsive_caregiving" in set(ecd.catalog.domains()["domain"])
    True
    """
    d = catalog_doc()["domains"]
    return pd.DataFrame([{"domain": k, **v} for k, v in d.items()], columns=["domain", "name_zh", "name_en"])


def policies() -> pd.DataFrame:
    """The policies whose targets appear in the data (code prefix, zh/en names).

    Examples
    --------
    >>> import ecd.catalog
    >>> ecd.catalog.policies().set_index("policy").loc["ncpd2030", "name_zh"]
    '中国儿童发展纲要（2021—2030年）'
    """
    d = catalog_doc()["policies"]
    return pd.DataFrame([{"policy": k, **v} for k, v in d.items()], columns=["policy", "name_zh", "name_en"])


def known_geos() -> frozenset[str]:
    """Every geographic code the warehouse accepts (aggregates, provinces, countries).

    Examples
    --------
    >>> import ecd.catalog
    >>> {"CN", "CN-BJ", "CN-WEST", "JPN", "WLD"} <= ecd.catalog.known_geos()
    True
    """
    return _known_geos()
