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
