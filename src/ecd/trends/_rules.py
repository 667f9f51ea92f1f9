"""Rules every trend judgement in ``ecd`` follows (one place, cited by the docstrings that use them).

``MIN_TREND_POINTS``: a trend whose interval comes from the scatter of the
observations around the fitted line (a t interval with n − p degrees of
freedom) is given an interval and a verdict (narrowing/widening, on/off track)
only when it rests on at least this many observations. With a straight line
(p = 2), 8 points leave 6 degrees of freedom: t(0.975, 6) = 2.45, within a
quarter of the normal 1.96. Below that the interval is dominated by the
t tail and by one or two unusual years, and the residual assumptions cannot
be checked, so the book reports the change (the slope or the first-to-last
difference) without an interval and without a verdict.

A model with more parameters needs more points by the same measure: n − p ≥
``MIN_TREND_POINTS − 2`` residual degrees of freedom, so a joinpoint model
(p = 2k + 2) may have at most ``joinpoints_allowed(n)`` joinpoints when it is to
carry intervals and verdicts.
"""
from __future__ import annotations

MIN_TREND_POINTS = 8


def joinpoints_allowed(n: int, min_points: int = MIN_TREND_POINTS) -> int:
    """The most joinpoints a model of ``n`` observations may have and keep ``min_points − 2`` residual df.

    Examples
    --------
    >>> from ecd.trends import joinpoints_allowed
    >>> joinpoints_allowed(7), joinpoints_allowed(10), joinpoints_allowed(20)
    (0, 1, 6)
    """
    return max(0, (int(n) - int(min_points)) // 2)

#: Chinese wording of the target statuses of :func:`ecd.trends.target_attainment`.
STATUS_ZH = {"achieved": "已达到", "on track": "按当前趋势可按期达到", "off track": "按当前趋势难以按期达到",
             "uncertain": "能否按期达到尚不确定", "too few points": "数据点不足，不作趋势判断"}
