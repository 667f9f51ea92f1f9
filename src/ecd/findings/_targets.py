"""Progress towards every catalogued target of a series: met, on track, pending, too short to tell."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import ParameterError
from ecd.trends._rules import MIN_TREND_POINTS, STATUS_ZH

from ._results import Fact, Finding, FindingsResult
from ._words import attainment_year, level_text, unit_of

_COLUMNS = ["indicator", "geo", "area", "kind", "target_kind", "target_code", "policy", "target_year", "comparison", "target",
            "last_year", "last_value", "status", "year_met_observed", "year_attained", "year_attained_low",
            "year_attained_high", "projected", "projected_low", "projected_high", "apc_last", "n", "years_used"]
CMP_ZH = {"max": "不高于", "min": "不低于"}


class TargetProgress(FindingsResult):
    """Target progress (``tidy()``), its findings and the projected paths (``projections``)."""

    def __init__(self, table, findings, projections, since):
        super().__init__(table, tuple(f for f in findings if f.kind == "target_pending"))
        object.__setattr__(self, "_achieved", tuple(f for f in findings if f.kind == "target_achieved"))
        object.__setattr__(self, "projections", projections)
        object.__setattr__(self, "since", since)

    def achieved(self) -> tuple:
        """The ``target_achieved`` findings (one per target met)."""
        return self._achieved

    def summary(self, target_year: int, order=None) -> Finding:
        """One sentence on all indicators for the targets of ``target_year``: which are met, which pending.

        Its facts: ``n`` (indicators with such a target), ``n_achieved``, ``achieved``
        and ``pending`` (names joined by 、, or 无), listed in ``order`` (indicator
        codes) when given.
        """
        from ecd.catalog._load import catalog_doc

        t = self.table[self.table["target_year"] == target_year]
        if order is not None:
            rank = {c: i for i, c in enumerate(order)}
            t = t.sort_values("indicator", key=lambda s: s.map(lambda c: rank.get(c, len(rank))), kind="stable")
        if t.empty:
            raise ParameterError("target_year", f"no target for {target_year}; target years: "
                                                f"{sorted(self.table['target_year'].unique().tolist())}")
        names = catalog_doc()["indicators"]
        # an indicator meets the year's targets when it meets every one of them (several plans may set one)
        met = t.groupby("indicator", sort=False)["status"].agg(lambda s: bool((s == "achieved").all()))
        achieved = [names[c]["name_zh"] for c in met.index if met[c]]
        pending = [names[c]["name_zh"] for c in met.index if not met[c]]
        n = len(met)
        if not pending:
            text = f"{n}项指标均已达到{target_year}年目标。"
        elif not achieved:
            text = f"{n}项指标均尚未达到{target_year}年目标。"
        else:
            text = (f"{n}项指标中，{'、'.join(achieved)}{len(achieved)}项已达到{target_year}年目标，"
                    f"{'、'.join(pending)}尚未达到。")
        facts = {"n": Fact(n, str(n)), "n_achieved": Fact(len(achieved), str(len(achieved))),
                 "achieved": Fact("、".join(achieved) or "无", "、".join(achieved) or "无"),
                 "pending": Fact("、".join(pending) or "无", "、".join(pending) or "无")}
        return Finding(key=f"targets_summary.{target_year}", kind="targets_summary", indicator="",
                       geo=str(t["geo"].iloc[0]), text_zh=text, facts=facts)


def target_progress(df: pd.DataFrame, *, since: float | None = None, policies=None, max_joinpoints: int = 1,
                    select: str = "bic", level: float = 0.95, min_points: int = MIN_TREND_POINTS) -> TargetProgress:
    """Every catalogued target of each series, judged on data of its kind, with the projected attainment.

    For each indicator in ``df`` (one series: one geo and area), the catalog's
    targets set on the indicator's kind of data (:func:`ecd.catalog.kind`) with an
    upper or lower bound are passed to :func:`ecd.trends.target_attainment`
    (trend from ``since``, at most ``max_joinpoints``). Targets of another kind are
    left out: they cannot be judged on these data.

    Parameters
    ----------
    df : pandas.DataFrame
        Warehouse rows (``indicator, geo, area, year, value``).
    since : float, optional
        First year of the trend used for the projection.
    policies : list of str, optional
        Only targets of these policies (catalog policy codes).
    max_joinpoints, select, level, min_points
        As in :func:`ecd.trends.target_attainment`.

    Returns
    -------
    TargetProgress
        ``tidy()``: one row per series × target (see the columns there);
        ``year_attained*`` are whole years (:func:`attainment_year`: a trend
        crossing at 2028.7 meets the target from 2029) and are given for targets
        not yet met. ``findings``: one ``target_pending`` finding per target not
        yet met (stated with the projection and its interval, or that the series
        is too short to project); ``achieved()`` the ``target_achieved`` ones;
        ``summary(year)``: one sentence on all indicators. ``projections``:
        ``{(indicator, target_code, target_year): yearly path}``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ecd.findings import target_progress
    >>> years = np.arange(2010, 2025)
    >>> df = pd.DataFrame({"indicator": "mmr", "geo": "CN", "area": "total", "year": years,
    ...                    "value": 30.0 * 0.95 ** (years - 2010) * np.exp(0.01 * np.sin(years))})
    >>> res = target_progress(df, since=2010, policies=["healthychina2030"], max_joinpoints=0)
    >>> res.tidy()[["target", "status", "year_attained"]].to_dict("records")
    [{'target': 12.0, 'status': 'on track', 'year_attained': 2028.0}]
    >>> print(res.findings[0].text_zh)
    孕产妇死亡率2024年为14.7/10万，尚未达到《“健康中国2030”规划纲要》提出的2030年不高于12/10万的目标；按2010年以来的趋势外推，预计2028年达到（95%置信区间2028—2029年），按当前趋势可按期达到。
    """
    from ecd.catalog._load import catalog_doc
    from ecd.trends import target_attainment

    need = ["indicator", "geo", "area", "year", "value"]
    if not isinstance(df, pd.DataFrame) or [c for c in need if c not in df.columns]:
        raise ParameterError("df", f"expected a DataFrame with columns {need}")
    entries = catalog_doc()["indicators"]
    pol = catalog_doc()["policies"]
    rows, findings, projections = [], [], {}
    for code, g in df.groupby("indicator", sort=False):
        if g[["geo", "area"]].drop_duplicates().shape[0] != 1:
            raise ParameterError("df", f"{code}: expected one series (one geo and area), found "
                                       f"{g[['geo', 'area']].drop_duplicates().to_dict('records')}")
        if code not in entries:
            raise ParameterError("df", f"{code!r} is not in the catalog; target_progress reads the catalog's targets")
        kind = entries[code].get("kind")
        geo, area = g["geo"].iloc[0], g["area"].iloc[0]
        for t in entries[code].get("targets") or []:
            if t.get("kind") != kind or t["comparison"] not in CMP_ZH or (policies and t["policy"] not in policies):
                continue
            res = target_attainment(g, target=t["value"], direction="below" if t["comparison"] == "max" else "above",
                                    by_year=t["year"], since=since, max_joinpoints=max_joinpoints, select=select,
                                    level=level, min_points=min_points)
            r = res.tidy().iloc[0]
            pending = r["status"] != "achieved"
            row = {"indicator": code, "geo": geo, "area": area, "kind": kind, "target_kind": t.get("kind"),
                   "target_code": t["code"],
                   "policy": t["policy"], "target_year": int(t["year"]), "comparison": t["comparison"],
                   "target": float(t["value"]), "last_year": int(r["last_year"]), "last_value": float(r["last_value"]),
                   "status": r["status"], "year_met_observed": r["year_met_observed"],
                   **{c: attainment_year(r[c]) if pending else np.nan
                      for c in ("year_attained", "year_attained_low", "year_attained_high")},
                   **{c: float(r[c]) for c in ("projected", "projected_low", "projected_high", "apc_last")},
                   "n": int(r["n"]), "years_used": r["years_used"]}
            rows.append(row)
            projections[(code, t["code"], int(t["year"]))] = res.projection
            findings.append(_finding(row, entries[code]["name_zh"], pol[t["policy"]]["name_zh"], since))
    return TargetProgress(pd.DataFrame(rows, columns=_COLUMNS), findings, projections, since)


def _finding(row: dict, name: str, policy_zh: str, since) -> Finding:
    code, status = row["indicator"], row["status"]
    target = f"{row['target']:g}{unit_of(code)}"
    goal = f"《{policy_zh}》提出的{row['target_year']}年{CMP_ZH[row['comparison']]}{target}的目标"
    head = f"{name}{row['last_year']}年为{level_text(row['last_value'], code)}"
    q = f"{code}|{row['geo']}|{row['area']}"
    facts = {"last_year": Fact(row["last_year"], str(row["last_year"])),
             "last_value": Fact(row["last_value"], f"{row['last_value']:.1f}", f"{q}|{row['last_year']}|value"),
             "target": Fact(row["target"], f"{row['target']:g}"),
             "status": Fact(status, STATUS_ZH[status], f"{q}|{row['target_code']}|{row['target_year']}|status")}
    if status == "achieved":
        first = int(row["year_met_observed"])
        text = f"{head}，已达到{goal}（首次达标的观测年份为{first}年）。"
        facts["year_met"] = Fact(first, str(first), f"{q}|{row['target_code']}|{row['target_year']}|year_met")
        kind = "target_achieved"
    else:
        text = f"{head}，尚未达到{goal}；"
        trend = f"按{int(since)}年以来的趋势外推" if since is not None else "按趋势外推"
        y, lo, hi = row["year_attained"], row["year_attained_low"], row["year_attained_high"]
        qy = f"{q}|{row['target_code']}|{row['target_year']}"
        if status == "too few points":
            text += f"{row['n']}个数据点不足以外推，不作趋势判断。"
        elif np.isfinite(y):
            ci = f"（95%置信区间{int(lo)}—{int(hi)}年）" if np.isfinite(lo) and np.isfinite(hi) else ""
            text += f"{trend}，预计{int(y)}年达到{ci}，{STATUS_ZH[status]}。"
            facts.update({"year": Fact(y, str(int(y)), f"{qy}|year_attained"),
                          "year_low": Fact(lo, str(int(lo)) if np.isfinite(lo) else "—", f"{qy}|year_attained_low"),
                          "year_high": Fact(hi, str(int(hi)) if np.isfinite(hi) else "—", f"{qy}|year_attained_high")})
        else:
            text += f"{trend}，在可预见的年份内难以达到，{STATUS_ZH[status]}。"
        kind = "target_pending"
    return Finding(key=f"{kind}.{code}.{row['target_code']}.{row['target_year']}", kind=kind, indicator=code,
                   geo=row["geo"], text_zh=text, facts=facts)
