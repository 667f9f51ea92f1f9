"""A trend that slowed, sped up or turned: read from a joinpoint fit's slope changes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import ParameterError
from ecd.trends._rules import MIN_TREND_POINTS

from ._results import Fact, Finding, FindingsResult
from ._words import geo_label

_COLUMNS = ["indicator", "geo", "joinpoint", "period_before", "period_after", "apc_before", "apc_after",
            "change", "ci_low", "ci_high", "p_value", "shift", "significant", "n"]
#: Chinese wording of each kind of shift
SHIFT_ZH = {"decline slowed": "下降放缓", "decline sped up": "下降加快", "rise slowed": "上升放缓",
            "rise sped up": "上升加快", "turned up": "由降转升", "turned down": "由升转降"}


def _shift(before: float, after: float) -> str:
    if before < 0 and after < 0:
        return "decline slowed" if after > before else "decline sped up"
    if before > 0 and after > 0:
        return "rise sped up" if after > before else "rise slowed"
    return "turned up" if after > before else "turned down"


def trend_shifts(fits: dict, *, geo: str = "CN", level: float = 0.95, min_points: int = MIN_TREND_POINTS,
                 latest_only: bool = False) -> FindingsResult:
    """Where a trend slowed, sped up or turned, from fitted joinpoint models.

    At each joinpoint the annual percent change before and after is compared; the
    shift is a finding when the change in slope is significant (its ``level``
    interval, t with the model's degrees of freedom, excludes zero) and the model
    rests on at least ``min_points`` observations with ``min_points − 2``
    residual degrees of freedom (fit with ``max_joinpoints=joinpoints_allowed(n)``).

    Parameters
    ----------
    fits : dict
        ``{indicator code: fitted ecd.trends.Joinpoint}``.
    geo : str
        The geography the series describe (for the wording and the fact ids).
    level : float
        Confidence level of the slope-change interval.
    min_points : int
        Fewest observations of a model whose shifts are stated.
    latest_only : bool
        Only the last joinpoint of each series (the most recent change).

    Returns
    -------
    FindingsResult
        ``tidy()``: one row per joinpoint with ``period_before, period_after,
        apc_before, apc_after, change`` (slope after − before, log scale),
        ``ci_low, ci_high, p_value, shift`` (decline slowed / decline sped up /
        rise slowed / rise sped up / turned up / turned down; ``SHIFT_ZH``),
        ``significant`` and ``n``; ``findings``: one ``trend_shift`` finding per
        significant shift.

    Examples
    --------
    A SYNTHETIC series whose decline slows from −9% to −3% a year in 2005:

    >>> import ecd
    >>> from ecd.findings import trend_shifts
    >>> df = ecd.trends.synthetic_series(range(1991, 2021), apcs=(-9.0, -3.0), joinpoints=(2005,),
    ...                                  log_sd=0.02, random_state=2)
    >>> res = trend_shifts({"imr": ecd.trends.joinpoint(df, max_joinpoints=1)})
    >>> res.tidy()[["joinpoint", "shift", "significant"]].to_dict("records")
    [{'joinpoint': 2005, 'shift': 'decline slowed', 'significant': True}]
    >>> print(res.findings[0].text_zh)
    全国婴儿死亡率的下降在2005年后放缓：年均变化由1991—2005年的-8.9%变为2005—2020年的-3.1%。
    """
    from ecd.catalog._load import catalog_doc

    if not isinstance(fits, dict):
        raise ParameterError("fits", f"expected {{indicator: fitted Joinpoint}}, found {type(fits).__name__}")
    geo_zh = geo_label(geo)
    rows, findings = [], []
    for code, fit in fits.items():
        if not hasattr(fit, "slope_changes"):
            raise ParameterError("fits", f"{code!r}: expected a fitted ecd.trends.Joinpoint, found {type(fit).__name__}")
        seg = fit.segments_.tidy()
        ch = fit.slope_changes(level=level).tidy()
        if latest_only:
            ch = ch.tail(1)
        entry = catalog_doc()["indicators"].get(code)
        name = entry["name_zh"] if entry else code
        for _, r in ch.iterrows():
            j = int(np.flatnonzero(np.isclose(seg["end"].to_numpy(), r["joinpoint"]))[0])
            before, after = seg.iloc[j], seg.iloc[j + 1]
            enough = fit.n_ >= min_points and r["df"] >= min_points - 2  # the rule of ecd.trends._rules
            significant = bool(enough and (r["ci_low"] > 0 or r["ci_high"] < 0))
            row = {"indicator": code, "geo": geo, "joinpoint": int(r["joinpoint"]),
                   "period_before": f"{int(before['start'])}—{int(before['end'])}",
                   "period_after": f"{int(after['start'])}—{int(after['end'])}",
                   "apc_before": float(r["apc_before"]), "apc_after": float(r["apc_after"]),
                   "change": float(r["change"]), "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
                   "p_value": float(r["p_value"]), "shift": _shift(r["apc_before"], r["apc_after"]),
                   "significant": significant, "n": int(fit.n_)}
            rows.append(row)
            if significant:
                findings.append(_finding(row, name, geo_zh))
    return FindingsResult(pd.DataFrame(rows, columns=_COLUMNS), tuple(findings))


def _finding(row: dict, name: str, geo_zh: str) -> Finding:
    shift = row["shift"]
    word = SHIFT_ZH[shift]
    subject, verb = (word[:2], word[2:]) if shift.startswith(("decline", "rise")) else ("", word)
    head = (f"{geo_zh}{name}的{subject}在{row['joinpoint']}年后{verb}" if subject
            else f"{geo_zh}{name}在{row['joinpoint']}年后{verb}")
    text = (f"{head}：年均变化由{row['period_before']}年的{row['apc_before']:.1f}%变为"
            f"{row['period_after']}年的{row['apc_after']:.1f}%。")
    q = f"{row['indicator']}|{row['geo']}"
    facts = {
        "joinpoint": Fact(row["joinpoint"], str(row["joinpoint"])),
        "apc_before": Fact(row["apc_before"], f"{row['apc_before']:.1f}", f"{q}|{row['period_before']}|apc"),
        "apc_after": Fact(row["apc_after"], f"{row['apc_after']:.1f}", f"{q}|{row['period_after']}|apc"),
        "period_before": Fact(row["period_before"], row["period_before"]),
        "period_after": Fact(row["period_after"], row["period_after"]),
        "shift": Fact(shift, word),
    }
    return Finding(key=f"trend_shift.{row['indicator']}.{row['geo']}.{row['joinpoint']}", kind="trend_shift",
                   indicator=row["indicator"], geo=row["geo"], text_zh=text, facts=facts)
