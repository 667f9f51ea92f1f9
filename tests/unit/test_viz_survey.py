"""ecd.viz.survey_lines and ecd.compare.survey_design: survey points joined only within one design."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import ecd  # noqa: E402
from ecd.errors import DataError, ParameterError  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1980, 2025), st.sampled_from("ABC")), min_size=1, max_size=15,
                unique_by=lambda t: t[0]))
def test_no_line_joins_two_designs(points):
    df = pd.DataFrame({"year": [p[0] for p in points], "value": np.arange(len(points), dtype=float),
                       "design": [p[1] for p in points]})
    fig, ax = plt.subplots()
    artists = ecd.viz.survey_lines(ax, df, label="x")
    design_of = dict(zip(df["year"], df["design"]))
    for line in artists[1:]:
        xs = list(line.get_xdata())
        assert len({design_of[x] for x in xs}) == 1 and xs == sorted(xs)  # one design per line, in year order
    assert sum(len(line.get_xdata()) for line in artists[1:]) == sum(
        n for n in df.groupby("design").size() if n >= 2)  # every round of a repeated design is on its line
    assert len(artists[0].get_xdata()) == len(df) and artists[0].get_linestyle() == "None"
    plt.close(fig)


def test_survey_lines_needs_the_design():
    fig, ax = plt.subplots()
    with pytest.raises(ParameterError, match="design"):
        ecd.viz.survey_lines(ax, pd.DataFrame({"year": [2000], "value": [1.0]}))
    with pytest.raises(ParameterError, match="no survey design"):
        ecd.viz.survey_lines(ax, pd.DataFrame({"year": [2000], "value": [1.0], "design": [None]}))
    plt.close(fig)


def test_survey_design_of_the_real_jme_points():
    df = ecd.data.load("stunting_u5_survey", geo="CHN")
    design = ecd.compare.survey_design(df)
    by = df.assign(design=design).groupby("design")["year"].apply(sorted)
    # the surveillance rounds form one series; the 1992 national nutrition survey stands alone
    assert [1990, 1995, 1998, 2000, 2005, 2008, 2010] == by[[d for d in by.index if d.startswith("Surveillance")][0]]
    assert by[[d for d in by.index if d.startswith("NNS")][0]] == [1992]
    with pytest.raises(DataError, match="row 0 names no survey design"):
        ecd.compare.survey_design(pd.DataFrame({"citation": ["NHC bulletin 2020"]}))
