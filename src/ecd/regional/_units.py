"""Chinese display names for the catalog's (English) units."""
from __future__ import annotations

import re

_UNITS_ZH = {
    "10k persons (万人)": "万人",
    "10k persons (万人), year-end": "万人（年末）",
    "per 1000 population": "‰",
    "per 1000 live births": "‰（每千活产）",
    "per 100000 live births": "1/10万（每十万活产）",
    "percent": "%",
    "percent urban of year-end resident population": "%（城镇人口占年末常住人口）",
    "yuan (current prices) per person": "元/人（当年价）",
    "slots per 1000 population": "个/千人",
}


def unit_zh(unit: str) -> str:
    """The unit as a Chinese reader expects it; unknown units come back unchanged (after any ``(万人)`` gloss).

    Examples
    --------
    >>> unit_zh("per 1000 live births")
    '‰（每千活产）'
    >>> unit_zh("10k persons (万人)")
    '万人'
    >>> unit_zh("furlongs")
    'furlongs'
    """
    if unit in _UNITS_ZH:
        return _UNITS_ZH[unit]
    m = re.search(r"\(([^)]*[\u4e00-\u9fff][^)]*)\)", unit or "")
    return m.group(1) if m else unit
