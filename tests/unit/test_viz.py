"""Chinese text in figures renders with real glyphs (a missing glyph is a failure)."""
from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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
