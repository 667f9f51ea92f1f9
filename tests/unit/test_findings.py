"""ecd.findings: what the data say — on SYNTHETIC series with known answers, and on the real warehouse."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecd
from ecd.errors import DataError, ParameterError
from ecd.findings import attainment_year, gap_direction, gap_directions, target_progress, trend_shifts


def _pair(years, u0, a, r0, b, code="nmr", geo="CN-WEST"):
    """SYNTHETIC urban/rural rates: urban u0·e^(a·t), rural r0·e^(b·t)."""
    t = np.asarray(years, float) - years[0]
    rows = [(code, geo, "urban", y, u0 * math.exp(a * ti)) for y, ti in zip(years, t)]
    rows += [(code, geo, "rural", y, r0 * math.exp(b * ti)) for y, ti in zip(years, t)]
    return pd.DataFrame(rows, columns=["indicator", "geo", "area", "year", "value"])


# ----------------------------------------------------------------------------- gaps
@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 16), u0=st.floats(2, 20), ratio=st.floats(1.2, 4), a=st.floats(-0.15, -0.01),
       b=st.floats(-0.15, -0.01))
def test_gap_directions_know_the_answer(n, u0, ratio, a, b):
    years = list(range(1996, 1996 + n))
    res = gap_directions(_pair(years, u0, a, u0 * ratio, b))
    row = res.tidy().iloc[0]
    t = n - 1
    d0, d1 = u0 * ratio - u0, u0 * ratio * math.exp(b * t) - u0 * math.exp(a * t)
    r0, r1 = ratio, ratio * math.exp((b - a) * t)
    assert row["d_start"] == pytest.approx(d0) and row["d_end"] == pytest.approx(d1)
    assert row["r_start"] == pytest.approx(r0) and row["r_end"] == pytest.approx(r1)
    # the relative gap widens exactly when the rural rate falls more slowly (b > a), unless rural
    # falls below urban (the ratio crosses 1: reversed)
    if abs(b - a) * t > 1e-9:
        assert row["r_direction"] == ("widened" if b > a else "reversed" if r1 < 1 else "narrowed")
    assert row["divergent"] == ({row["d_direction"], row["r_direction"]} == {"narrowed", "widened"})
    assert len(res.findings) == int(row["divergent"])
    if row["divergent"]:
        text = res.findings[0].text_zh
        assert "绝对差距缩小，相对差距扩大" in text or "绝对差距扩大，相对差距缩小" in text
        assert f"{r1:.2f}倍" in text and "西部新生儿死亡率" in text
    # a trend verdict only from the minimum number of years on
    if n < ecd.trends.MIN_TREND_POINTS:
        assert row["d_trend"] == "too few points" and row["r_trend"] == "too few points"
    elif n > 2:
        assert row["d_trend"] in {"narrowing", "widening", "no clear change"}


def test_gap_direction_words():
    assert gap_direction(17.82, 5.45) == "narrowed" and gap_direction(5.0, 7.0) == "widened"
    assert gap_direction(1.96, 2.33, null=1.0) == "widened" and gap_direction(0.8, 1.2, null=1.0) == "reversed"
    assert gap_direction(3.0, 3.0) == "same"
    with pytest.raises(ParameterError):
        gap_direction(1.0, float("nan"))
    with pytest.raises(ParameterError):
        gap_direction(-1.0, 2.0, null=1.0)


def test_gap_directions_bad_input():
    df = _pair([2000, 2001], 5, -0.1, 10, -0.05)
    with pytest.raises(ParameterError, match="column"):
        gap_directions(df.drop(columns="area"))
    with pytest.raises(ParameterError, match="groups"):
        gap_directions(df, groups=("urban", "urban"))
    with pytest.raises(DataError, match="more than one value"):
        gap_directions(pd.concat([df, df.assign(value=df["value"] + 1)]))
    with pytest.raises(ParameterError, match="lacks urban or rural"):
        gap_directions(df, start=1999)


def test_west_neonatal_relative_gap_widened_while_the_difference_fell():
    """The issue's finding, on the real warehouse (MCHSS regional series, He et al. 2017)."""
    df = ecd.data.load("nmr", geo=["CN-EAST", "CN-CENTRAL", "CN-WEST"], area=["urban", "rural"], years=(1996, 2015))
    res = gap_directions(df)
    west = res.tidy().set_index("geo").loc["CN-WEST"]
    assert round(west["r_start"], 2) == 1.96 and round(west["r_end"], 2) == 2.33
    assert west["d_direction"] == "narrowed" and west["r_direction"] == "widened" and west["divergent"]
    assert [f.geo for f in res] == ["CN-WEST"]  # the East and Centre narrowed on both measures
    f = res.get("gap_divergence.nmr.CN-WEST")
    assert "由1.96倍扩大至2.33倍" in f.text_zh and "绝对差距缩小，相对差距扩大" in f.text_zh
    # the year-to-year trend of the ratio does not confirm it: that is said too
    assert west["r_trend"] == "no clear change" and "按逐年线性趋势，城乡比无明显变化" in f.text_zh
    assert f.facts["r_end"].quantity == "nmr|CN-WEST|rural/urban|2015|ratio"


# ----------------------------------------------------------------------------- trend shifts
@settings(max_examples=25, deadline=None)
@given(apc1=st.sampled_from([-12.0, -8.0, -3.0, 4.0]), apc2=st.sampled_from([-10.0, -5.0, -1.0, 3.0, 8.0]),
       seed=st.integers(0, 500))
def test_trend_shifts_know_the_answer(apc1, apc2, seed):
    df = ecd.trends.synthetic_series(range(1991, 2021), apcs=(apc1, apc2), joinpoints=(2005,), log_sd=0.005,
                                     random_state=seed)
    res = trend_shifts({"imr": ecd.trends.joinpoint(df, max_joinpoints=1)})
    t = res.tidy()
    if abs(apc1 - apc2) < 3:
        return  # a small change may not be selected; nothing to check
    row = t.iloc[0]
    assert row["joinpoint"] == 2005 and row["significant"]
    expected = ("decline slowed" if apc2 > apc1 else "decline sped up") if apc1 < 0 and apc2 < 0 else \
        ("rise sped up" if apc2 > apc1 else "rise slowed") if apc1 > 0 and apc2 > 0 else \
        ("turned up" if apc2 > apc1 else "turned down")
    assert row["shift"] == expected
    assert row["apc_before"] == pytest.approx(apc1, abs=0.6) and row["apc_after"] == pytest.approx(apc2, abs=0.6)
    assert len(res) == 1 and ecd.findings.SHIFT_ZH[expected] in res.findings[0].text_zh.replace("的", "").replace(
        "在2005年后", "")


def test_trend_shifts_need_enough_points_and_a_real_change():
    straight = ecd.trends.synthetic_series(range(1991, 2021), apcs=(-6.0,), joinpoints=(), log_sd=0.01,
                                           random_state=3)
    assert len(trend_shifts({"imr": ecd.trends.joinpoint(straight, max_joinpoints=0)})) == 0
    short = ecd.trends.synthetic_series(range(2010, 2017), apcs=(-9.0, -2.0), joinpoints=(2013,), log_sd=0.001,
                                        random_state=1)
    res = trend_shifts({"imr": ecd.trends.joinpoint(short, max_joinpoints=1)})
    assert len(res.tidy()) <= 1 and len(res) == 0  # 7 points: below MIN_TREND_POINTS, never stated
    with pytest.raises(ParameterError, match="fits"):
        trend_shifts([1, 2])
    with pytest.raises(ParameterError, match="Joinpoint"):
        trend_shifts({"imr": straight})


def test_infant_mortality_decline_slowed_on_the_real_warehouse():
    imr = ecd.data.load("imr", geo="CN", area="total")
    res = trend_shifts({"imr": ecd.trends.joinpoint(imr, max_joinpoints=3, select="bic")}, latest_only=True)
    f = res.findings[0]
    assert f.facts["shift"].value == "decline slowed" and "下降在" in f.text_zh and "放缓" in f.text_zh
    assert f.facts["apc_after"].value > f.facts["apc_before"].value


# ----------------------------------------------------------------------------- targets
@settings(max_examples=40, deadline=None)
@given(start=st.floats(12, 40), apc=st.floats(-12, -1), n=st.integers(3, 15))
def test_target_progress_knows_the_answer(start, apc, n):
    years = np.arange(2024 - n + 1, 2025)
    df = pd.DataFrame({"indicator": "mmr", "geo": "CN", "area": "total", "year": years,
                       "value": start * (1 + apc / 100) ** (years - years[0])})
    res = target_progress(df, policies=["healthychina2030"], max_joinpoints=0)
    row = res.tidy().iloc[0]
    last = df["value"].iloc[-1]
    assert row["target"] == 12.0 and row["kind"] == "surveillance"
    if last <= 12.0:
        assert row["status"] == "achieved" and len(res) == 0
    elif n < ecd.trends.MIN_TREND_POINTS:
        assert row["status"] == "too few points" and np.isnan(row["year_attained"])
        assert "不足以外推" in res.findings[0].text_zh
    else:
        # exact log-linear data: the trend crosses 12 at a known year; the book states the whole year after
        cross = years[0] + math.log(12.0 / start) / math.log(1 + apc / 100)
        assert row["year_attained"] == attainment_year(cross)
        assert row["status"] == ("on track" if cross <= 2030 + 1e-6 else "off track")
        assert res.findings[0].kind == "target_pending" and f"{int(row['year_attained'])}年达到" in \
            res.findings[0].text_zh or "难以达到" in res.findings[0].text_zh


def test_target_progress_judges_only_targets_of_the_data_kind():
    df = pd.DataFrame({"indicator": "anemia_u5_routine", "geo": "CN", "area": "total", "year": [2016, 2017, 2018],
                       "value": [6.0, 5.8, 5.44]})
    t = target_progress(df).tidy()
    # the National Nutrition Plan's targets were set on surveys: left out for routine data
    assert set(t["policy"]) == {"ncpd2020"} and (t["kind"] == "routine").all()
    with pytest.raises(ParameterError, match="one series"):
        target_progress(pd.concat([df, df.assign(area="urban")]))
    with pytest.raises(ParameterError, match="not in the catalog"):
        target_progress(df.assign(indicator="nope"))


def test_maternal_mortality_target_is_pending_on_the_real_warehouse():
    nat = ecd.data.load(["nmr", "imr", "u5mr", "mmr"], geo="CN", area="total")
    res = target_progress(nat, since=2010)
    pending = {f.indicator for f in res}
    assert pending == {"mmr"}
    f = res.findings[0]
    assert "尚未达到《“健康中国2030”规划纲要》提出的2030年不高于12/10万的目标" in f.text_zh
    s = res.summary(2030, order=["nmr", "imr", "u5mr", "mmr"])
    assert s.facts["pending"].value == "孕产妇死亡率" and s.facts["n_achieved"].value == 3
    assert s.text_zh.startswith("4项指标中，新生儿死亡率、婴儿死亡率、5岁以下儿童死亡率3项已达到2030年目标")
    with pytest.raises(ParameterError, match="target_year"):
        res.summary(2099)


def test_attainment_year_is_the_whole_year_after_the_crossing():
    assert attainment_year(2028.7) == 2029 and attainment_year(2028.0) == 2028
    assert math.isnan(attainment_year(float("nan")))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["q1", "q2", "q3"]), st.floats(-100, 100), st.booleans()),
                min_size=1, max_size=12))
def test_quantity_conflicts_are_found_exactly(stated):
    """Two glued numbers with one quantity id conflict iff their values differ."""
    nums = {f"ch{i}:n{i}": {"value": v, "text": f"{v:.1f}", "quantity": q if tagged else None}
            for i, (q, v, tagged) in enumerate(stated)}
    found = {c["quantity"] for c in ecd.book.quantity_conflicts(nums)}
    expected = {q for q in {"q1", "q2", "q3"}
                if len({v for qq, v, tagged in stated if qq == q and tagged}) > 1}
    assert found == expected


def test_target_table_shows_both_kinds_and_the_year():
    nat = ecd.data.load(["nmr", "mmr"], geo="CN", area="total")
    t = ecd.book.target_table(target_progress(nat, since=2010).tidy())
    assert list(t.columns[:6]) == ["指标（单位）", "最新值", "目标", "数据口径", "目标口径", "判断"]
    assert (t["数据口径"] == t["目标口径"]).all() and "拟合年数" in t.columns
    mmr = t[t["目标"].str.endswith("2030年不高于12/10万")].iloc[0]
    assert mmr["指标（单位）"] == "孕产妇死亡率（1/10万）" and mmr["达标年份"].endswith("（外推）")
