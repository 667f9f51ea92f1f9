"""Overlapping text in a drawn figure: the check every book figure passes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextOverlap:
    """Two pieces of text whose drawn boxes intersect.

    ``first`` and ``second`` describe each piece (its role and text);
    ``width`` and ``height`` are the intersection in pixels at the figure's dpi.
    """

    first: str
    second: str
    width: float
    height: float

    def __str__(self) -> str:
        return f"{self.first} ↔ {self.second} ({self.width:.0f}×{self.height:.0f} px)"


def _texts(fig, renderer):
    """(description, bbox, group) of every visible, non-empty text; a legend counts as one box."""
    out = []

    def add(t, role, group):
        if t is None or not t.get_visible() or not str(t.get_text()).strip():
            return
        bb = t.get_window_extent(renderer)
        if bb.width <= 0 or bb.height <= 0:
            return
        out.append((f"{role} “{t.get_text()}”", bb, group))

    def add_legend(leg, where):
        if leg is not None and leg.get_visible() and any(t.get_text().strip() for t in leg.get_texts()):
            labels = "、".join(t.get_text() for t in leg.get_texts()[:3])
            out.append((f"{where}图例（{labels}…）", leg.get_window_extent(renderer), id(leg)))

    for t in fig.texts:
        add(t, "图中文字", None)
    if getattr(fig, "_suptitle", None) is not None:
        add(fig._suptitle, "总标题", None)
    for leg in fig.legends:
        add_legend(leg, "")
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        where = f"子图{i + 1}"
        for t in (ax.title, ax._left_title, ax._right_title):
            add(t, f"{where}标题", None)
        add(ax.xaxis.label, f"{where}横轴名", None)
        add(ax.yaxis.label, f"{where}纵轴名", None)
        for axis, name in ((ax.xaxis, "横轴刻度"), (ax.yaxis, "纵轴刻度")):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                for lab in (tick.label1, tick.label2):
                    if lab.get_visible() and _inside_view(axis, tick):
                        add(lab, f"{where}{name}", None)
        for t in ax.texts:
            add(t, f"{where}标注", None)
        add_legend(ax.get_legend(), where)
    return out


def _inside_view(axis, tick) -> bool:
    # ticks outside the view limits are not drawn, although their labels keep a position
    lo, hi = sorted(axis.get_view_interval())
    loc = tick.get_loc()
    return loc is not None and lo - 1e-9 * max(1.0, abs(hi - lo)) <= loc <= hi + 1e-9 * max(1.0, abs(hi - lo))


def text_overlaps(fig, *, tolerance: float = 1.0) -> list[TextOverlap]:
    """Every pair of texts in ``fig`` whose boxes overlap after drawing.

    Texts checked: the figure's own texts and suptitle, each axes' titles,
    axis labels, tick labels (within the view), annotations and texts, and
    legends (each legend as one box). Two boxes overlap when they intersect
    by more than ``tolerance`` pixels in both directions (touching is fine).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    tolerance : float, default 1.0
        Pixels of intersection ignored (glyph boxes include some padding).

    Returns
    -------
    list of TextOverlap
        Empty when nothing overlaps.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import ecd.viz
    >>> fig, ax = plt.subplots()
    >>> _ = ax.annotate("2025年目标", (0.5, 0.5))
    >>> _ = ax.annotate("2030年目标", (0.5, 0.5))
    >>> len(ecd.viz.text_overlaps(fig))
    1
    >>> plt.close(fig)
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = _texts(fig, renderer)
    found = []
    for i in range(len(boxes)):
        d1, b1, g1 = boxes[i]
        for j in range(i + 1, len(boxes)):
            d2, b2, g2 = boxes[j]
            if g1 is not None and g1 == g2:
                continue
            w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
            h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
            if w > tolerance and h > tolerance:
                found.append(TextOverlap(d1, d2, float(w), float(h)))
    return found
