"""calibrate: pairwise Rasch difficulties recovered from SYNTHETIC answers within their standard errors,
invariances of the pairwise likelihood, anchoring, the key it builds, and refused input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ecd.development import calibrate, dscore, synthetic_key, synthetic_responses
from ecd.errors import ModelError, ParameterError, SchemaError

ANCHORS = {"zz1lgd020": 29.7, "zz1sed040": 59.78}  # the SYNTHETIC key's own values: the truth is recoverable


@pytest.fixture(scope="module")
def key():
    return synthetic_key()


def true_tau(key, items):
    return key.tau[[key.items.index(i) for i in items]]


def test_recovers_synthetic_difficulties_within_their_standard_errors(key):
    """Coverage over 40 SYNTHETIC samples: 95% intervals hold the true difficulty about 95% of the time."""
    z_tau, z_logit = [], []
    for rep in range(40):
        kids = synthetic_responses(800, random_state=7000 + rep)
        fit = calibrate(kids, "age", anchors=ANCHORS)
        truth = true_tau(key, fit.items)
        free = fit.se > 0
        z_tau.append((fit.tau - truth)[free] / fit.se[free])
        centred = (truth - truth.mean()) / key.slope
        z_logit.append((fit.logit - centred) / np.sqrt(np.diag(fit.logit_cov)))
    for z in (np.concatenate(z_tau), np.concatenate(z_logit)):
        assert 0.93 <= np.mean(np.abs(z) < 1.959964) <= 0.97
        assert abs(z.mean()) < 0.25  # z within one sample share the scale error: the mean varies more
        assert 0.9 < z.std() < 1.1


def test_one_large_sample_recovers_every_difficulty(key):
    kids = synthetic_responses(6000, random_state=11)
    fit = calibrate(kids, "age", anchors=ANCHORS)
    assert fit.items == key.items and not fit.dropped
    truth = true_tau(key, fit.items)
    free = fit.se > 0
    assert np.max(np.abs(fit.tau - truth)[free] / fit.se[free]) < 4.0
    assert np.mean(np.abs(fit.tau - truth)) < 0.5  # D units
    assert fit.slope == pytest.approx(key.slope, rel=0.03)
    t = fit.tidy()
    assert list(t.columns) == ["item", "estimate", "se", "ci_low", "ci_high", "logit", "logit_se", "anchor",
                               "n", "n_pass", "p", "infit", "outfit"]
    assert t["anchor"].sum() == 2
    assert t["infit"].between(0.7, 1.3).all()
    assert_allclose(t["estimate"], fit.intercept + fit.slope * t["logit"], atol=1e-9)


def test_key_from_calibration_scores_children(key):
    kids, d_true = synthetic_responses(3000, random_state=3, return_truth=True)
    fit = calibrate(kids, "age", anchors=ANCHORS)
    calibrated = fit.key("zz_calibrated")
    scores = dscore(kids, calibrated)
    assert scores["d"].notna().all()
    assert np.corrcoef(scores["d"], d_true)[0, 1] > 0.98
    # the same children scored with the true key: the calibrated key agrees closely
    with_truth = dscore(kids.assign(mu=calibrated.prior_mean(scores["a"].to_numpy())), key, prior_mean="mu")
    assert np.mean(np.abs(scores["d"] - with_truth["d"])) < 1.0
    assert_allclose(fit.person["d"], scores["d"], atol=0.02)


def synthetic_small(seed, n=60, items=6, missing=0.2):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1.5, n)
    b = np.sort(rng.normal(0, 1.2, items))
    x = (rng.random((n, items)) < 1 / (1 + np.exp(-(theta[:, None] - b[None, :])))).astype(float)
    x[rng.random(x.shape) < missing] = np.nan
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(items)])


def fit_or_skip(frame, **kw):
    try:
        fit = calibrate(frame, **kw)
    except ModelError:
        assume(False)
    assume(not fit.dropped)
    return fit


def seeded(test):
    """A property over 25 SYNTHETIC data sets (seeds drawn by hypothesis)."""
    return settings(max_examples=25)(given(seed=st.integers(0, 10_000))(test))


def small_case(seed):
    frame = synthetic_small(seed)
    return frame, fit_or_skip(frame)


@seeded
def test_invariant_to_order_of_children_and_items(seed):
    frame, fit = small_case(seed)
    rng = np.random.default_rng(seed)
    shuffled = frame.iloc[rng.permutation(len(frame)), rng.permutation(frame.shape[1])]
    again = calibrate(shuffled)
    order = [again.items.index(i) for i in fit.items]
    assert_allclose(again.logit[order], fit.logit, atol=1e-8)
    assert_allclose(again.logit_cov[np.ix_(order, order)], fit.logit_cov, atol=1e-8)


@seeded
def test_doubling_the_children_keeps_estimates_and_shrinks_se_by_root_two(seed):
    frame, fit = small_case(seed)
    double = calibrate(pd.concat([frame, frame], ignore_index=True))
    assert_allclose(double.logit, fit.logit, atol=1e-8)
    assert_allclose(np.sqrt(np.diag(double.logit_cov)) * np.sqrt(2), np.sqrt(np.diag(fit.logit_cov)), rtol=1e-6)


@seeded
def test_reversing_every_answer_mirrors_the_scale(seed):
    frame, fit = small_case(seed)
    mirrored = calibrate(1.0 - frame)
    assert_allclose(mirrored.logit, -fit.logit, atol=1e-8)
    assert_allclose(mirrored.logit_cov, fit.logit_cov, atol=1e-8)


@seeded
def test_children_with_one_answer_carry_no_pairwise_information(seed):
    frame, fit = small_case(seed)
    rng = np.random.default_rng(seed)
    lone = pd.DataFrame(np.nan, index=range(15), columns=frame.columns)
    for r in range(15):
        lone.iloc[r, rng.integers(frame.shape[1])] = float(rng.integers(2))
    more = calibrate(pd.concat([frame, lone], ignore_index=True))
    assert_allclose(more.logit, fit.logit, atol=1e-8)
    assert_allclose(more.logit_cov, fit.logit_cov, atol=1e-8)
    assert more.n.sum() == fit.n.sum() + 15


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), shift=st.floats(-50, 50), scale=st.floats(0.2, 20))
def test_anchor_values_act_as_a_linear_change_of_units(seed, shift, scale):
    frame = synthetic_small(seed, n=120)
    fit = fit_or_skip(frame)
    lo, hi = fit.items[0], fit.items[-1]
    assume(fit.logit[-1] - fit.logit[0] > 0.5)
    base = calibrate(frame, anchors={lo: 20.0, hi: 40.0})
    moved = calibrate(frame, anchors={lo: shift + scale * 20.0, hi: shift + scale * 40.0})
    assert_allclose(moved.tau, shift + scale * base.tau, atol=1e-7 * max(1.0, abs(shift) + scale * 40))
    assert_allclose(moved.se, scale * base.se, rtol=1e-7, atol=1e-12)
    assert_allclose(base.tau, base.intercept + base.slope * fit.logit, atol=1e-8)
    assert base.se[0] == base.se[-1] == 0.0


def test_extreme_and_rare_items_are_left_out_with_reasons():
    frame = synthetic_small(1, n=200)
    frame["all_pass"] = np.where(frame["i0"].notna(), 1.0, np.nan)
    frame["all_fail"] = 0.0
    frame["rare"] = np.nan
    frame.loc[:3, "rare"] = [0.0, 1.0, 1.0, 0.0]
    base = calibrate(frame[[f"i{j}" for j in range(6)]])
    fit = calibrate(frame, min_n=5)
    assert fit.dropped == {"all_pass": "passed by every child who answered it",
                           "all_fail": "failed by every child who answered it",
                           "rare": "answered by fewer than min_n children"}
    assert fit.dropped_table()["item"].tolist() == ["all_pass", "all_fail", "rare"]
    assert_allclose(fit.logit, base.logit, atol=1e-8)


def test_items_never_compared_both_ways_are_refused():
    # every child passing "a" also passes "b": "b" is never failed against a pass of "a" ... and the
    # block {c, d} is answered by other children only
    frame = pd.DataFrame({"a": [1, 0, 1, 0, np.nan, np.nan, np.nan, np.nan],
                          "b": [0, 1, 1, 0, np.nan, np.nan, np.nan, np.nan],
                          "c": [np.nan] * 4 + [1, 0, 1, 0],
                          "d": [np.nan] * 4 + [0, 1, 0, 1]})
    with pytest.raises(ModelError, match="fall into 2 groups"):
        calibrate(frame)


@pytest.mark.parametrize("anchors, message", [
    ({"zz1lgd020": 29.7}, "exactly two"),
    ({"zz1lgd020": 29.7, "nope": 40}, "'nope' is not among"),
    ({"zz1lgd020": 30, "zz1sed040": 30}, "must differ"),
    ({"zz1lgd020": 30, "zz1sed040": "40"}, "expected a number"),
])
def test_bad_anchors_are_refused(anchors, message):
    kids = synthetic_responses(300, random_state=4)
    with pytest.raises(ParameterError, match=message):
        calibrate(kids, "age", anchors=anchors)


def test_anchor_order_against_the_data_is_refused():
    kids = synthetic_responses(300, random_state=4)
    with pytest.raises(ModelError, match="easier than"):
        calibrate(kids, "age", anchors={"zz1lgd020": 40, "zz1sed040": 20})


def test_bad_scores_and_ages_are_refused():
    kids = synthetic_responses(50, random_state=4)
    bad = kids.copy()
    bad.loc[3, "zz1lgd020"] = 2.0
    with pytest.raises(SchemaError, match=r"row 3, item 'zz1lgd020': 2.0"):
        calibrate(bad, "age")
    with pytest.raises(ParameterError, match="age"):
        calibrate(kids, kids["age"].to_numpy()[:10])
    with pytest.raises(ParameterError, match="age_unit"):
        calibrate(kids, "age", age_unit="weeks")
    with pytest.raises(ParameterError, match="min_n"):
        calibrate(kids, "age", min_n=0)


def test_without_ages_there_is_no_prior_rule():
    kids = synthetic_responses(1500, random_state=8)
    fit = calibrate(kids.drop(columns="age"))
    assert fit.prior_pieces == () and np.isnan(fit.age_range[0])
    assert fit.intercept == 0.0 and fit.slope == 1.0
    assert_allclose(fit.tau, fit.logit)
    with pytest.raises(ParameterError, match="prior"):
        dscore(kids, fit.key())


def test_link_to_key_recovers_the_key_scale(key):
    from ecd.development import Key, link_to_key

    fit = calibrate(synthetic_responses(4000, random_state=12), "age")  # centred logits, no anchors
    link = link_to_key(fit, key)
    assert len(link.table) == len(key.items)
    assert abs(link.table["difference"]).max() < 4 * key.slope * link.table["logit_se"].max()
    assert link.free_slope == pytest.approx(key.slope, rel=0.05)
    assert link.rmsd < 1.0
    # the link only shifts the calibration: differences of linked values are key.slope x logit differences
    assert_allclose(np.diff(link.table["linked"]), key.slope * np.diff(link.table["logit"]), atol=1e-9)
    other = Key(items=("zz1moc001", "nope"), tau=np.array([10.0, 20.0]))
    with pytest.raises(ModelError, match="share 1 item"):
        link_to_key(fit, other)


def test_dimension_coverage_of_the_chapter_items():
    from ecd.development import dimension_coverage, instruments

    items = pd.DataFrame({"domain": ["cg"] * 3 + ["fm"] * 2})
    t = dimension_coverage(items).set_index("dimension_zh")
    assert t.loc["认知", "n_items"] == 3 and t.loc["精细动作", "n_items"] == 2
    assert not t.loc["语言", "covered"] and t.loc["体格（生长与营养）", "chapter"] == "nutrition"
    inst = instruments().set_index("instrument")
    assert inst.loc["gsed", ["age_low_months", "age_high_months"]].tolist() == [0, 36]
    assert all(inst["cite"].str.len() > 0)
    from pathlib import Path

    from ecd.book._bib import read_bib

    bib = read_bib(Path(__file__).resolve().parents[2] / "chapters" / "references.bib")
    assert {k for keys in inst["cite"] for k in keys.split(";")} <= set(bib)


def test_pairwise_estimates_match_r_sirt():
    """R sirt::rasch.pairwise.itemcluster (the D-score keys' estimator) on a SYNTHETIC input; see
    tests/reference/development/make_calibration.R. sirt stops at a largest change of 1e-7."""
    from pathlib import Path

    ref_dir = Path(__file__).resolve().parents[1] / "reference" / "development"
    kids = pd.read_csv(ref_dir / "synthetic_calibration_input.csv")
    expected = pd.read_csv(ref_dir / "synthetic_calibration_sirt.csv").set_index("item")
    fit = calibrate(kids, "age")
    assert set(fit.dropped) == set(kids.columns[1:]) - set(expected.index) == {"zz1moc001"}
    got = pd.Series(fit.logit, index=fit.items).loc[expected.index]
    assert_allclose(got, expected["b_pairwise"], rtol=0, atol=2e-4)
