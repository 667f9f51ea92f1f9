"""Chinese wording shared by the findings helpers and ``ecd.book``: numbers with units, direction words."""
from __future__ import annotations

import math

from ecd.errors import ParameterError

#: words for a level that moved from one value to another (a rate, a share)
LEVEL_VERBS = {"down": "降至", "up": "升至", "same": "仍为"}
LEVEL_NOUNS = {"down": "下降", "up": "上升", "same": "持平"}
#: words for a gap (difference or ratio) that moved
GAP_VERBS = {"narrowed": "缩小至", "widened": "扩大至", "same": "保持在", "reversed": "反转为"}
GAP_NOUNS = {"narrowed": "缩小", "widened": "扩大", "same": "不变", "reversed": "反转"}


def direction(first: float, last: float, tol: float = 0.0) -> str:
    """``"down"``, ``"up"`` or ``"same"`` (within ``tol``) for a level that went from ``first`` to ``last``.

    Examples
    --------
    >>> from ecd.findings import direction
    >>> direction(61.0, 5.6), direction(2.0, 2.3), direction(4.5, 4.5)
    ('down', 'up', 'same')
    """
    _finite(first, "first")
    _finite(last, "last")
    if abs(last - first) <= tol:
        return "same"
    return "down" if last < first else "up"


def gap_direction(first: float, last: float, null: float = 0.0, tol: float = 0.0) -> str:
    """How a gap moved relative to no gap (``null``: 0 for a difference, 1 for a ratio).

    ``"narrowed"`` when it came closer to ``null`` on the same side, ``"widened"``
    when it moved away, ``"reversed"`` when it crossed to the other side and
    ``"same"`` within ``tol``. Ratios are compared on the log scale.

    Examples
    --------
    >>> from ecd.findings import gap_direction
    >>> gap_direction(17.82, 5.45), gap_direction(1.96, 2.33, null=1.0), gap_direction(2.0, -1.0)
    ('narrowed', 'widened', 'reversed')
    """
    _finite(first, "first")
    _finite(last, "last")
    if null == 1.0:
        if first <= 0 or last <= 0:
            raise ParameterError("first", f"a ratio must be positive, found {first!r} and {last!r}")
        a, b, null = math.log(first), math.log(last), 0.0
        tol = math.log1p(tol) if tol else 0.0
    else:
        a, b = first - null, last - null
    if abs(abs(b) - abs(a)) <= tol and (a >= 0) == (b >= 0):
        return "same"
    if a != 0 and b != 0 and (a > 0) != (b > 0):
        return "reversed"
    return "narrowed" if abs(b) < abs(a) else "widened"


def _finite(v, name):
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        raise ParameterError(name, f"expected a finite number, found {v!r}")


def unit_of(code: str | None) -> str:
    """The Chinese unit written after a number of indicator ``code`` ('' when unknown)."""
    if not code:
        return ""
    from ecd.catalog._load import catalog_doc

    e = catalog_doc()["indicators"].get(code)
    if not e:
        return ""
    u = e.get("unit_zh") or ""
    return u[1:] if u.startswith("1/") else u


def level_text(value: float, code: str | None = None, digits: int = 1) -> str:
    """A level with its unit: ``"5.6‰"``, ``"14.3/10万"``, ``"4.8%"``.

    Examples
    --------
    >>> from ecd.findings import level_text
    >>> level_text(5.63, "u5mr"), level_text(14.3, "mmr"), level_text(4.8, "stunting_u5_survey")
    ('5.6‰', '14.3/10万', '4.8%')
    """
    return f"{value:.{digits}f}{unit_of(code)}"


def difference_text(value: float, code: str | None = None, digits: int = 1) -> str:
    """A difference of two levels: ``"5.5个千分点"``, ``"3.2个百分点"``, ``"3.4/10万"``.

    Examples
    --------
    >>> from ecd.findings import difference_text
    >>> difference_text(5.45, "nmr"), difference_text(3.2, "stunting_u5_survey"), difference_text(3.4, "mmr")
    ('5.5个千分点', '3.2个百分点', '3.4/10万')
    """
    u = unit_of(code)
    word = {"‰": "个千分点", "%": "个百分点"}.get(u, u)
    return f"{value:.{digits}f}{word}"


def ratio_text(value: float, digits: int = 2) -> str:
    """A ratio: ``"2.33倍"``."""
    return f"{value:.{digits}f}倍"


def year_text(year: float) -> str:
    """A year as written in prose: ``"2024年"``."""
    return f"{int(round(year))}年"


def attainment_year(year: float) -> float:
    """The first whole year at which a trend that crosses a target at ``year`` has met it (ceil; NaN stays NaN).

    A trend crossing at 2028.7 meets the target from 2029 on; the book states 2029
    everywhere (tables, prose and the overview), never 2028.7 in one place and 2029 in another.

    Examples
    --------
    >>> from ecd.findings import attainment_year
    >>> attainment_year(2028.7), attainment_year(2021.0)
    (2029.0, 2021.0)
    """
    if year is None or not math.isfinite(year):
        return float("nan")
    return float(math.ceil(year - 1e-9))


def geo_label(geo: str) -> str:
    """A geography as the subject of a Chinese sentence: ``"全国"`` for CN, else its catalog name (``"西部"``)."""
    if geo == "CN":
        return "全国"
    from ecd.catalog._load import geo_table

    return {r[0]: r[2] for r in geo_table()}.get(geo, geo)
