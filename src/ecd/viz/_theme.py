from __future__ import annotations

import functools
import warnings

import matplotlib

from ecd.errors import EcdWarning

# Fonts tried in order; the Noto CJK fonts come from Debian's fonts-noto-cjk
# (installed by `make book` / `make test`), the others are common elsewhere.
_CJK_CANDIDATES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)

AREA_COLORS = {"urban": "#2471a3", "rural": "#c0392b", "total": "#444444"}
# urban/rural/total also differ in line style and marker (legible in greyscale print)
AREA_STYLES = {"urban": {"color": "#2471a3", "linestyle": "-", "marker": "o"},
               "rural": {"color": "#c0392b", "linestyle": "--", "marker": "s"},
               "total": {"color": "#444444", "linestyle": "-.", "marker": "^"}}
AREA_LABELS_ZH = {"urban": "城市", "rural": "农村", "total": "合计"}
REGION_LABELS_ZH = {"CN-EAST": "东部", "CN-CENTRAL": "中部", "CN-WEST": "西部", "CN": "全国"}
# 13 colours, pairwise CIE76 ΔE ≥ 22 (tests/unit/test_viz.py); the first seven are the colours the
# book has always used, so existing figures keep theirs. In greyscale print several share a lightness,
# so series are also told apart by line style and marker: use `styles(n)`, not colours alone.
PALETTE = ["#2471a3", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#17a589", "#5d6d7e",
           "#1b2631", "#e67e9f", "#7b3f00", "#85c1e9", "#9acd32", "#4a235a"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 2))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p", "d"]


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_CANDIDATES:
        if name in available:
            return name
    return None


def styles(n: int, *, skip=()) -> list[dict]:
    """``n`` distinct line styles for series sharing one axes: colour, line style and marker.

    Colour alone is not enough in greyscale print, so consecutive series
    also differ in line style (7 kinds) and marker (13 kinds); the first
    ``len(PALETTE)`` entries have distinct colours and no two entries of
    the first 91 repeat the same (line style, marker) pair.

    Parameters
    ----------
    n : int
        Number of series (≥ 0).
    skip : sequence of str, optional
        Colours kept for something else (e.g. China's red in a comparison);
        the palette is used without them.

    Returns
    -------
    list of dict
        Keyword arguments for ``Axes.plot`` (``color, linestyle, marker``).

    Examples
    --------
    >>> import ecd.viz
    >>> s = ecd.viz.styles(14)
    >>> len({d["color"] for d in s[:13]}), s[0]["linestyle"], s[1]["marker"]
    (13, '-', 's')
    >>> "#c0392b" in {d["color"] for d in ecd.viz.styles(14, skip=["#c0392b"])}
    False
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        from ecd.errors import ParameterError

        raise ParameterError("n", f"{n!r}: expected a whole number of series ≥ 0")
    colours = [c for c in PALETTE if c not in set(skip)]
    return [{"color": colours[i % len(colours)], "linestyle": LINESTYLES[i % len(LINESTYLES)],
             "marker": MARKERS[i % len(MARKERS)]} for i in range(n)]


def use_theme() -> str | None:
    """Apply the house style; return the CJK font used (None, with a warning, if none is installed)."""
    font = cjk_font()
    rc = {
        "figure.figsize": (7.2, 4.2),
        "figure.dpi": 110,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.titlesize": 12,
        "axes.labelsize": 10,
        "legend.frameon": False,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),  # colour only: dashes mean targets in some figures
        "axes.unicode_minus": False,
        "svg.hashsalt": "ecd",
    }
    if font is not None:
        rc["font.family"] = "sans-serif"
        rc["font.sans-serif"] = [font, "DejaVu Sans"]
    else:
        warnings.warn(
            "no CJK font found: Chinese text in figures will show as boxes. "
            "Install one (Debian: apt-get install fonts-noto-cjk; `make book` does this as root).",
            EcdWarning,
            stacklevel=2,
        )
    matplotlib.rcParams.update(rc)
    return font


def source_line(fig, text: str, *, prefix: str = "数据来源：") -> None:
    """Write a source line under the axes of ``fig`` (every book figure carries one)."""
    fig.text(0.01, -0.02, f"{prefix}{text}", ha="left", va="top", fontsize=7.5, color="#555555", wrap=True)
