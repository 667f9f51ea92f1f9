from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ecd.viz._theme import AREA_COLORS, AREA_LABELS_ZH, REGION_LABELS_ZH


def urban_rural_panels(df: pd.DataFrame, *, geos: list[str], ylabel: str, title: str | None = None,
                       geo_labels: dict | None = None, sharey: bool = True):
    """One panel per geography with urban and rural lines over years.

    ``df`` is a tidy frame with ``geo, area, year, value`` (one indicator).
    Missing years are left as gaps (never interpolated): each series is drawn
    as markers joined only between consecutive observed years.
    """
    labels = {**REGION_LABELS_ZH, **(geo_labels or {})}
    fig, axes = plt.subplots(1, len(geos), figsize=(3.2 * len(geos) + 0.6, 3.6), sharey=sharey, squeeze=False)
    for ax, geo in zip(axes[0], geos):
        sub = df[df["geo"] == geo]
        for area in ("urban", "rural"):
            s = sub[sub["area"] == area].sort_values("year")
            if s.empty:
                continue
            full = s.set_index("year")["value"].reindex(range(int(s["year"].min()), int(s["year"].max()) + 1))
            ax.plot(full.index, full.to_numpy(), color=AREA_COLORS[area], marker="o", markersize=2.5,
                    linewidth=1.4, label=AREA_LABELS_ZH[area])
        ax.set_title(labels.get(geo, geo))
        ax.set_xlabel("年份")
    axes[0][0].set_ylabel(ylabel)
    axes[0][0].legend(loc="upper right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def official_vs_modelled(official: pd.DataFrame, modelled: pd.DataFrame, *, indicators: list[str], titles: dict,
                         ylabel: str = "", targets: dict | None = None, ncols: int = 2):
    """Small multiples: a modelled series as a line, official figures as points, targets as dashed lines.

    ``official`` and ``modelled`` are tidy frames (``indicator, year, value``);
    ``modelled`` uses the same indicator codes as ``official`` (rename before).
    ``targets`` maps an indicator to ``[(year, value, label), ...]``.
    """
    import math

    nrows = math.ceil(len(indicators) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.2 * nrows), squeeze=False)
    for ax, code in zip(axes.flat, indicators):
        mod = modelled[modelled["indicator"] == code].sort_values("year")
        off = official[official["indicator"] == code].sort_values("year")
        if not mod.empty:
            ax.plot(mod["year"], mod["value"], color="#7f8c8d", linewidth=1.6, label="联合国机构模型估计")
        if not off.empty:
            ax.plot(off["year"], off["value"], linestyle="none", marker="o", markersize=3.5, color="#c0392b",
                    label="国家卫生健康委官方数据")
        for year, value, label in (targets or {}).get(code, []):
            ax.axhline(value, color="#27ae60", linestyle="--", linewidth=0.9)
            ax.annotate(label, (ax.get_xlim()[0], value), xytext=(2, 2), textcoords="offset points", fontsize=7,
                        color="#27ae60")
        ax.set_title(titles.get(code, code))
        ax.set_ylabel(ylabel)
    for ax in list(axes.flat)[len(indicators):]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper right", fontsize=7.5)
    fig.tight_layout()
    return fig
