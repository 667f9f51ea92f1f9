"""House style for figures: a CJK font, quiet axes, fixed colours for urban/rural.

Examples
--------
>>> import ecd.viz
>>> font = ecd.viz.use_theme()
>>> ecd.viz.AREA_COLORS["rural"]
'#c0392b'
"""
from __future__ import annotations

from ecd.viz._theme import (
    AREA_COLORS,
    AREA_LABELS_ZH,
    REGION_LABELS_ZH,
    PALETTE,
    cjk_font,
    source_line,
    use_theme,
)

STATUS_ZH = {"achieved": "已实现", "on track": "按当前趋势可按期实现", "off track": "按当前趋势难以按期实现",
             "uncertain": "能否按期实现尚不确定"}
from ecd.viz._plots import official_vs_modelled, urban_rural_panels

__all__ = [
    "AREA_COLORS",
    "AREA_LABELS_ZH",
    "REGION_LABELS_ZH",
    "PALETTE",
    "cjk_font",
    "source_line",
    "use_theme",
    "urban_rural_panels",
    "official_vs_modelled",
    "STATUS_ZH",
]
