"""Chinese text in figures renders with real glyphs (a missing glyph is a failure)."""
from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import ecd.catalog  # noqa: E402
import ecd.viz  # noqa: E402


def test_cjk_figure_has_no_missing_glyphs():
    font = ecd.viz.cjk_font()
    if font is None:
        pytest.fail("no CJK font installed: `make test` installs fonts-noto-cjk (Debian, as root)")
    ecd.viz.use_theme()
    fig, ax = plt.subplots()
    ax.set_title("城乡差距：新生儿与5岁以下儿童死亡率（‰）")
    ax.set_xlabel("年份")
    ax.plot([1996, 2015], [36.5, 9.6], label="西部农村")
    ax.legend()
    ecd.viz.source_line(fig, "中国妇幼卫生监测系统")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph 22478 missing from font(s) ..." is a UserWarning
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def test_urban_rural_panels_leave_missing_years_as_gaps():
    import numpy as np
    import pandas as pd

    ecd.viz.use_theme()
    df = pd.DataFrame({"geo": "CN-EAST", "area": "urban", "year": [2000, 2001, 2005], "value": [3.0, 2.0, 1.0]})
    fig = ecd.viz.urban_rural_panels(df, geos=["CN-EAST"], ylabel="‰")
    y = fig.axes[0].lines[0].get_ydata()
    assert len(y) == 6 and np.isnan(y[2:5]).all()  # 2002–2004 are gaps, not interpolated
    plt.close(fig)


def _lab(hex_colour):
    import numpy as np

    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_palette_has_twelve_distinguishable_colours_and_greyscale_styles():
    import itertools

    import numpy as np

    assert len(ecd.viz.PALETTE) >= 12
    labs = [_lab(c) for c in ecd.viz.PALETTE]
    closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(labs, 2))
    assert closest >= 20, closest  # CIE76 ΔE: clearly different colours side by side
    s = ecd.viz.styles(len(ecd.viz.PALETTE))
    assert len({(d["linestyle"] if isinstance(d["linestyle"], str) else str(d["linestyle"]), d["marker"]) for d in s}) == len(s)
    assert len({d["color"] for d in s}) == len(s)


def test_text_overlaps_finds_overprinted_labels_and_passes_clean_figures():
    ecd.viz.use_theme()
    fig, ax = plt.subplots()
    ax.plot([2015, 2030], [10, 5])
    ax.annotate("2025年目标：≤7.5‰", (2025, 7.5))
    ax.annotate("2030年目标：≤5.0‰", (2025.2, 7.45))
    found = ecd.viz.text_overlaps(fig)
    assert len(found) == 1 and "2025年目标" in found[0].first + found[0].second
    plt.close(fig)
    fig, ax = plt.subplots()
    ax.plot([2015, 2030], [10, 5], label="城市")
    ax.set_title("标题")
    ax.legend(loc="upper right")
    assert ecd.viz.text_overlaps(fig) == []
    # crowded tick labels collide as well
    fig2, ax2 = plt.subplots(figsize=(2, 2))
    ax2.set_xticks(range(30), [f"第{i}个省份" for i in range(30)])
    assert ecd.viz.text_overlaps(fig2)
    plt.close(fig)
    plt.close(fig2)


def test_book_figure_records_and_warns_about_overlapping_text(monkeypatch):
    import ecd.book._display as display
    from ecd.errors import EcdWarning

    published = []
    monkeypatch.setattr(display, "_publish", lambda data, metadata=None: published.append(metadata))
    ecd.viz.use_theme()
    fig, ax = plt.subplots()
    ax.annotate("重叠的文字", (0.5, 0.5))
    ax.annotate("重叠的文字", (0.5, 0.5))
    with pytest.warns(EcdWarning, match="overlapping text"):
        ecd.book.figure(fig, label="fig-x", caption="测试", source="测试")
    assert published[0]["ecd"]["overlaps"]
    fig, ax = plt.subplots()
    ax.set_title("不重叠")
    ecd.book.figure(fig, label="fig-y", caption="测试", source="测试")
    assert published[1]["ecd"]["overlaps"] == []


def test_year_lines_break_across_missing_years_with_integer_ticks():
    import numpy as np
    import pandas as pd

    ecd.viz.use_theme()
    fig, ax = plt.subplots()
    d = pd.DataFrame({"area": ["rural", "rural", "rural", "urban"], "year": [1990, 2006, 2007, 2006],
                      "value": [36.4, 84.6, 86.0, 94.1]})
    lines = ecd.viz.year_lines(ax, d, by="area", labels=ecd.viz.AREA_LABELS_ZH)
    rural = lines[0].get_ydata()
    assert len(rural) == 18 and np.isnan(rural[1:16]).all() and rural[16] == 84.6
    assert [line.get_label() for line in lines] == ["农村", "城市"]
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks())
    with pytest.raises(ecd.errors.ParameterError, match="whole year"):
        ecd.viz.year_lines(ax, d.assign(year=d["year"] + 0.5))
    with pytest.raises(ecd.errors.ParameterError, match="more than one value"):
        ecd.viz.year_lines(ax, pd.concat([d, d]), by="area")
    plt.close(fig)


def test_small_multiples_and_ranking_have_legends_and_no_overlap():
    import pandas as pd

    ecd.viz.use_theme()
    rows = [{"indicator": ind, "area": a, "year": y, "value": v + (5 if a == "rural" else 0)}
            for ind in ("nmr", "u5mr", "imr", "mmr") for a in ("urban", "rural", "total")
            for y, v in ((2000, 20.0), (2001, 18.0), (2005, 12.0))]
    fig = ecd.viz.area_small_multiples(pd.DataFrame(rows), titles={"nmr": "新生儿死亡率"}, ylabel="‰", ncols=2)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["城市", "农村", "合计"]
    assert ecd.viz.text_overlaps(fig) == []
    plt.close(fig)

    provs = ecd.catalog.provinces()["geo"].tolist()
    v = pd.Series([5.0 + i * 0.3 for i in range(len(provs))], index=provs)
    v.iloc[3] = float("nan")
    fig = ecd.viz.province_ranking(v, national=9.0, highlight=["CN-GD"], xlabel="粗出生率（‰）", fmt="{:.1f}")
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == len(provs) - 1
    assert "无数据" in ax.get_xlabel() and "全国：9.0" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ecd.viz.text_overlaps(fig) == []
    plt.close(fig)


def test_province_map_renders_with_chinese_labels_offline():
    import warnings

    import pandas as pd


    ecd.viz.use_theme()
    provs = ecd.catalog.provinces()["geo"].tolist()
    v = pd.Series(range(len(provs)), index=provs, dtype=float)
    v["CN-XZ"] = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph is a UserWarning
        fig = ecd.viz.province_choropleth(v, legend_title="测试指标（‰）", fmt="{:.0f}")
        fig.savefig(io.BytesIO(), format="png")
    main, inset = fig.axes
    texts = [t.get_text() for t in main.texts] + [t.get_text() for t in inset.texts]
    assert "示意图" in texts and "南海诸岛" in texts
    legend = [t.get_text() for t in main.get_legend().get_texts()]
    assert legend[-1] == "无数据" and main.get_legend().get_title().get_text() == "测试指标（‰）"
    assert len(ecd.viz._map.boundaries()["provinces"]) == 34  # 31 provinces, Taiwan, Hong Kong, Macao
    assert ecd.viz.text_overlaps(fig) == []
    with pytest.raises(ecd.errors.ParameterError, match="not province codes"):
        ecd.viz.province_choropleth(pd.Series({"北京": 1.0}))
    plt.close(fig)


def test_official_vs_modelled_names_close_targets_in_a_legend_without_overprinting():
    import numpy as np
    import pandas as pd

    ecd.viz.use_theme()
    years = np.arange(1990, 2024)
    mod = pd.DataFrame({"indicator": "nmr", "year": years, "value": 30 * np.exp(-0.06 * (years - 1990))})
    off = mod[mod["year"] % 3 == 0]
    fig = ecd.viz.official_vs_modelled(off, mod, indicators=["nmr"], titles={"nmr": "新生儿死亡率（‰）"}, ncols=1,
                                       targets={"nmr": [(2025, 5.0, "2025年目标 5"), (2030, 5.0, "2030年目标 5")]})
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["2025年目标 5", "2030年目标 5"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["联合国机构模型估计", "国家卫生健康委官方数据"]
    assert ecd.viz.text_overlaps(fig) == []
    plt.close(fig)
