"""House style for figures: a CJK font, quiet axes, a 13-colour palette with line styles and markers
for greyscale print, gap-aware year lines, small multiples, province rankings and a province map,
and the overlapping-text check every book figure passes.

Examples
--------
>>> import ecd.viz
>>> font = ecd.viz.use_theme()
>>> ecd.viz.AREA_COLORS["rural"]
'#c0392b'
>>> len(ecd.viz.PALETTE) >= 12
True
"""
from __future__ import annotations

from ecd.viz._theme import (
    AREA_COLORS,
    AREA_LABELS_ZH,
    AREA_STYLES,
    LINESTYLES,
    MARKERS,
    PALETTE,
    REGION_LABELS_ZH,
    cjk_font,
    source_line,
    styles,
    use_theme,
)

STATUS_ZH = {"achieved": "已实现", "on track": "按当前趋势可按期实现", "off track": "按当前趋势难以按期实现",
             "uncertain": "能否按期实现尚不确定"}
from ecd.viz._map import BOUNDARY_CREDIT, province_choropleth  # noqa: E402
from ecd.viz._overlap import TextOverlap, text_overlaps  # noqa: E402
from ecd.viz._survey import survey_lines  # noqa: E402
from ecd.viz._plots import (  # noqa: E402
    area_small_multiples,
    log_axis,
    official_vs_modelled,
    province_ranking,
    urban_rural_panels,
    year_lines,
)

__all__ = [
    "AREA_COLORS",
    "AREA_LABELS_ZH",
    "AREA_STYLES",
    "BOUNDARY_CREDIT",
    "LINESTYLES",
    "MARKERS",
    "PALETTE",
    "REGION_LABELS_ZH",
    "STATUS_ZH",
    "TextOverlap",
    "area_small_multiples",
    "cjk_font",
    "log_axis",
    "official_vs_modelled",
    "province_choropleth",
    "province_ranking",
    "source_line",
    "styles",
    "survey_lines",
    "text_overlaps",
    "urban_rural_panels",
    "use_theme",
    "year_lines",
]
