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
"""
from __future__ import annotations

MIN_TREND_POINTS = 8

#: Chinese wording of the target statuses of :func:`ecd.trends.target_attainment`.
STATUS_ZH = {"achieved": "已达到", "on track": "按当前趋势可按期达到", "off track": "按当前趋势难以按期达到",
             "uncertain": "能否按期达到尚不确定", "too few points": "数据点不足，不作趋势判断"}
