"""Prevalence tables as R ``anthro::anthro_prevalence`` (ALGORITHM.md §4)."""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
from scipy import sparse, special, stats

from ecd.errors import DataError, DesignError, EcdWarning, SchemaError
from ecd.survey import Design

from . import _inputs
from ._zscores import Measurements, compute, read_measurements

__all__ = ["prevalence", "PREVALENCE_COLUMNS", "TIDY_COLUMNS"]

#: (prefix of the prevalence columns, prefix of the count columns, z-score)
INDICES = (("HA", "HAZ", "zlen"), ("WA", "WAZ", "zwei"), ("BMI", "BMIZ", "zbmi"), ("WH", "WHZ", "zwfl"))
#: suffix, direction (-1: z < cut, +1: z > cut), cut-off
CUTOFFS = (("_3", -1, -3.0), ("_2", -1, -2.0), ("_1", -1, -1.0), ("1", 1, 1.0), ("2", 1, 2.0), ("3", 1, 3.0))
COMBINED = ("HA_2_WH_2", "HA_2_WH2")
#: z assigned to children with oedema in the weight-based prevalences (anthro's ``z*_aux``)
OEDEMA_Z = -3.1
MAX_DAYS = 1826
AGE_BREAKS = (6.0, 12.0, 24.0, 36.0, 48.0)  # plus 0 and 60, right-open
AGE_LABELS = ("00-05 mo", "06-11 mo", "12-23 mo", "24-35 mo", "36-47 mo", "48-59 mo")
SEX_LABELS = ("Female", "Male")
WEALTH_LABELS = ("Q1: Poorest", "Q2", "Q3", "Q4", "Q5: Richest")
GROUP_TITLES = {
    "typeres": "Area",
    "gregion": "Geographical region",
    "wealthq": "Wealth quintile",
    "mothered": "Maternal education",
    "othergr": "Other grouping",
}
STATS = ("r", "se", "ll", "ul")


def _column_names() -> list[str]:
    names = ["Group"]
    for prefix, count, _ in INDICES:
        names += [f"{count}_pop", f"{count}_unwpop"]
        for suffix, _, _ in CUTOFFS:
            names += [f"{prefix}{suffix}_{s}" for s in STATS]
        names += [f"{prefix}_{s}" for s in STATS] + [f"{prefix}_stdev"]
    names += [f"{COMBINED[0]}_pop", f"{COMBINED[0]}_unwpop"]
    for combined in COMBINED:
        names += [f"{combined}_{s}" for s in STATS]
    return names


PREVALENCE_COLUMNS = _column_names()
TIDY_COLUMNS = [
    "group", "grouping", "level", "indicator", "index", "statistic",
    "estimate", "se", "ci_low", "ci_high", "stdev", "pop", "n",
]  # fmt: skip


def _take(x: Measurements, rows: np.ndarray) -> Measurements:
    return dataclasses.replace(x, **{f.name: getattr(x, f.name)[rows] for f in dataclasses.fields(x)})


def _outcomes(x: Measurements) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    """The n x 30 matrix of 0/1 indicators and z-scores, and (name, index, statistic) per column."""
    res = compute(x)
    z = {}
    for prefix, _, name in INDICES:
        value = res[name].copy()
        value[(res["f" + name[1:]] == 1) & ~res["f" + name[1:] + "_na"]] = np.nan  # flagged -> missing
        z[prefix] = value
    aux = {"HA": z["HA"]}
    for prefix in ("WA", "BMI", "WH"):
        aux[prefix] = np.where(x.oedema, OEDEMA_Z, z[prefix])
    columns, meta = [], []
    with np.errstate(invalid="ignore"):
        for prefix, count, _ in INDICES:
            for suffix, direction, cut in CUTOFFS:
                hit = aux[prefix] < cut if direction < 0 else aux[prefix] > cut
                columns.append(np.where(np.isnan(aux[prefix]), np.nan, hit))
                meta.append((prefix + suffix, count, "prevalence"))
        stunted = np.where(np.isnan(z["HA"]), np.nan, z["HA"] < -2)
        for combined, hit in zip(COMBINED, (aux["WH"] < -2, aux["WH"] > 2)):
            columns.append(np.where(np.isnan(aux["WH"]), np.nan, hit) * stunted)
            meta.append((combined, COMBINED[0], "prevalence"))
    for prefix, count, _ in INDICES:
        columns.append(z[prefix])
        meta.append((prefix, count, "mean"))
    out = np.empty((columns[0].size, len(columns)))
    for j, column in enumerate(columns):
        out[:, j] = column
    return out, meta


def _codes_in_order(series: pd.Series, sort: bool) -> tuple[np.ndarray, list[str]]:
    codes, uniques = pd.factorize(series, sort=sort, use_na_sentinel=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _wealth_codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    values = _inputs.numeric(series, "wealthq", len(series))
    bad = ~np.isnan(values) & ~np.isin(values, [1, 2, 3, 4, 5])
    if bad.any():
        raise SchemaError(
            f"column {series.name!r} (wealthq): {_inputs.describe_rows(series.index, bad)} are not "
            "wealth quintiles; expected 1 (poorest) to 5 (richest) or missing.",
            [f"recode {series.name!r} to 1-5"],
        )
    codes = np.where(np.isnan(values), -1, np.nan_to_num(values) - 1).astype(np.int64)
    return codes, list(WEALTH_LABELS)


def _groupings(x: Measurements, extra: dict[str, pd.Series], sort: bool) -> list[tuple[str, list[str], np.ndarray]]:
    """(title, level labels, level code per row) for every block of rows, in anthro's order."""
    n = x.sex.size
    age = np.where(
        (x.age_months >= 0) & (x.age_months < 60), np.searchsorted(AGE_BREAKS, x.age_months, side="right"), -1
    ).astype(np.int64)
    sex = np.select([x.sex == 2, x.sex == 1], [0, 1], -1).astype(np.int64)
    both = np.where((age >= 0) & (sex >= 0), sex * len(AGE_LABELS) + age, -1)
    out = [
        ("All", ["All"], np.zeros(n, dtype=np.int64)),
        ("Age group", list(AGE_LABELS), age),
        ("Sex", list(SEX_LABELS), sex),
        ("Age + sex", [f"{a}.{s}" for s in SEX_LABELS for a in AGE_LABELS], both),
    ]
    for key, title in GROUP_TITLES.items():
        series = extra.get(key)
        if series is None or series.isna().all():
            continue
        codes, labels = _wealth_codes(series) if key == "wealthq" else _codes_in_order(series, sort)
        out.append((title, labels, codes))
    return out


def _design(
    df: pd.DataFrame, rows: np.ndarray, sw: str | None, cluster: str | None, strata: str | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray]:
    """Weights and design codes on ``rows``; drops rows with missing cluster/strata (§4.3)."""
    n = len(df)
    keep = np.zeros(n, dtype=bool)
    keep[rows] = True
    for name, parameter in ((cluster, "cluster"), (strata, "strata")):
        series = _inputs.column(df, name, parameter)
        if series is None:
            continue
        missing = series.isna().to_numpy() & keep
        if missing.any():
            warnings.warn(
                f"{missing.sum()} rows with a missing {parameter} ({name!r}) were dropped: "
                f"{_inputs.describe_rows(df.index, missing)}.",
                EcdWarning,
                stacklevel=3,
            )
            keep &= ~missing
    rows = np.flatnonzero(keep)
    weights = _inputs.numeric(_inputs.column(df, sw, "sw"), "sw", n)[rows] if sw else np.ones(rows.size)
    negative = weights < 0
    if negative.any():
        raise DesignError(
            f"column {sw!r} (sw): {_inputs.describe_rows(df.index[rows], negative)} have negative "
            "sampling weights; weights must be >= 0. Fix the weights (or drop those rows)."
        )
    missing = np.isnan(weights)
    if missing.any():
        warnings.warn(
            f"{missing.sum()} rows with a missing sampling weight ({sw!r}) get weight 0: "
            f"{_inputs.describe_rows(df.index[rows], missing)}.",
            EcdWarning,
            stacklevel=3,
        )
        weights = np.where(missing, 0.0, weights)
    codes = []
    for name in (strata, cluster):
        if name is None:
            codes.append(None)
            continue
        c, uniques = pd.factorize(df[name].iloc[rows])
        codes.append(None if (name == cluster and len(uniques) < 2) else c.astype(np.int64))
    return weights, codes[0], codes[1], rows


def _t_quantile(df: int) -> float:
    return float(stats.t.ppf(0.975, df)) if df > 0 else np.nan


def _logit_ci(p: np.ndarray, se: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """svyciprop(method = "logit"): a t-interval on the log-odds, mapped back."""
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = special.logit(p)
        half = t * se / (p * (1.0 - p))
        low, high = special.expit(centre - half), special.expit(centre + half)
    low = np.select([p == 0, p == 1], [0.0, 1.0], low)
    high = np.select([p == 0, p == 1], [0.0, 1.0], high)
    return low, high


def prevalence(
    df: pd.DataFrame,
    sex: str = "sex",
    age: str | None = "age",
    weight: str | None = "weight",
    lenhei: str | None = "lenhei",
    measure: str | None = None,
    oedema: str | None = None,
    age_in_months: bool = False,
    sw: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    typeres: str | None = None,
    gregion: str | None = None,
    wealthq: str | None = None,
    mothered: str | None = None,
    othergr: str | None = None,
    *,
    tidy: bool = False,
    anthro_ci_quirk: bool = False,
) -> pd.DataFrame:
    """Prevalence of stunting, wasting, underweight, overweight (and more) as R ``anthro_prevalence``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per child.
    sex, age, age_in_months, weight, lenhei, measure, oedema : str or bool
        As in :func:`zscores` (column names; ``age_in_months`` a flag).
    sw : str or None
        Column of sampling weights (>= 0; missing weights become 0 with a warning).
    cluster, strata : str or None
        Columns of primary sampling units and strata. Clusters are nested in
        strata (ids may restart within a stratum). Rows with a missing value
        are dropped with a warning. A stratum with a single PSU is handled as
        R ``survey``'s ``lonely.psu = "adjust"``.
    typeres, gregion, wealthq, mothered, othergr : str or None
        Grouping columns: area (urban/rural), region, wealth quintile (1–5),
        mother's education, any other grouping. A grouping is shown only if
        the column is not entirely missing.
    tidy : bool
        Return the long form (one row per group x indicator, columns
        ``group, grouping, level, indicator, index, statistic, estimate, se,
        ci_low, ci_high, stdev, pop, n``) instead of anthro's wide table.
    anthro_ci_quirk : bool
        Reproduce anthro's bug that gives a group with a prevalence of exactly
        1 % the confidence interval [1, 1] when weights or a design are used
        (anthro compares the proportion to 1 after multiplying it by 100).
        Off by default: the interval is computed like any other.

    Returns
    -------
    pandas.DataFrame
        anthro's table: one row per group ("All", "Age group: 00-05 mo", ...,
        "Sex: Female", "Age + sex: 00-05 mo.Female", "Area: Rural", ...) and
        135 columns ``Group, HAZ_pop, HAZ_unwpop, HA_3_r, HA_3_se, HA_3_ll,
        HA_3_ul, ...``. Prevalences, their SEs and CIs are percentages; ``_r``
        of ``HA``/``WA``/``BMI``/``WH`` is the mean z-score with its SE, CI and
        ``_stdev``. ``_pop`` is the weighted and ``_unwpop`` the unweighted
        number of children with a valid value.

    Notes
    -----
    Ages over 1826 days are excluded (with a warning saying how many). Flagged
    z-scores are set missing; children with oedema count below -3 SD for
    weight-for-age, BMI and weight-for-length/height (and in their
    denominators) but are left out of the means. Standard errors are
    Taylor-linearized for the design (strata, clusters, weights) by
    :class:`ecd.survey.Design` (one design per call, every indicator in one
    ``mean(..., na="drop_each")`` per grouping); CIs of
    prevalences are logit intervals and of means t intervals, both with the
    design's degrees of freedom (PSUs minus strata). Without cluster and
    strata every child is a PSU, which reproduces anthro's closed forms.

    Examples
    --------
    >>> import ecd.growth
    >>> kids = ecd.growth.synthetic_survey(600, random_state=1)
    >>> table = ecd.growth.prevalence(kids, sw="sw", cluster="cluster", strata="strata",
    ...                               measure="measure", typeres="area")
    >>> table.shape
    (23, 135)
    >>> table.loc[table["Group"] == "All", "HAZ_unwpop"].item()
    600.0
    """
    x = read_measurements(
        df, sex=sex, age=age, age_in_months=age_in_months, weight=weight, lenhei=lenhei,
        measure=measure, oedema=oedema,
    )  # fmt: skip
    too_old = x.age_days > MAX_DAYS
    if too_old.any():
        warnings.warn(
            f"{too_old.sum()} of {len(df)} rows have an age over {MAX_DAYS} days (60 months) and "
            "were excluded; the WHO 2006 standards end at 60 months.",
            EcdWarning,
            stacklevel=2,
        )
    weights, strata_codes, cluster_codes, rows = _design(df, np.flatnonzero(~too_old), sw, cluster, strata)
    if rows.size == 0:
        raise DataError(
            f"no child is left to estimate prevalences from: of {len(df)} rows, {int(too_old.sum())} are "
            f"older than {MAX_DAYS} days and the rest have a missing cluster or stratum. Expected "
            "children aged 0-59 months with their design columns filled in."
        )
    x = _take(x, rows)
    survey_path = cluster is not None or strata is not None
    simple_path = not survey_path and bool(np.all(weights == 1))

    y, meta = _outcomes(x)
    is_prev = np.array([m[2] == "prevalence" for m in meta])
    extra = {
        key: _inputs.column(df, name, key).iloc[rows]
        for key, name in (("typeres", typeres), ("gregion", gregion), ("wealthq", wealthq),
                          ("mothered", mothered), ("othergr", othergr))
        if name is not None
    }  # fmt: skip
    groupings = _groupings(x, extra, sort=survey_path)
    design, names = _survey_design(y, weights, strata_codes, cluster_codes, groupings)
    t_prev = _t_quantile(design.df)
    # anthro's closed-form means (simple and weighted paths) use all N rows: df = N - 1
    t_mean = t_prev if survey_path else _t_quantile(rows.size - 1)
    sums = _RowSums(y, weights, spread=np.flatnonzero(~is_prev))
    blocks = []
    for g, (title, labels, codes) in enumerate(groupings):
        dm = sums.by(codes, len(labels))
        mean, se = _design_means(design, names, None if title == "All" else f"g{g}", len(labels))
        low, high = _logit_ci(mean, se, t_prev)
        low = np.where(is_prev, low, mean - t_mean * se)
        high = np.where(is_prev, high, mean + t_mean * se)
        if anthro_ci_quirk and not simple_path:
            one = is_prev & (mean * 100 == 1)
            low, high = np.where(one, 0.01, low), np.where(one, 0.01, high)
        scale = np.where(is_prev, 100.0, 1.0)
        group = labels if title == "All" else [f"{title}: {label}" for label in labels]
        blocks.append((title, labels, group, mean * scale, se * scale, low * scale, high * scale, dm))
    if tidy:
        return _tidy(blocks, meta, is_prev)
    return _wide(blocks, meta)


def _survey_design(
    y: np.ndarray,
    weights: np.ndarray,
    strata: np.ndarray | None,
    cluster: np.ndarray | None,
    groupings: list[tuple[str, list[str], np.ndarray]],
) -> tuple[Design, list[str]]:
    """One ``ecd.survey`` design holding the outcomes and the grouping codes.

    anthro's design: clusters nested in strata, every child a PSU without
    ``cluster``, ``survey.lonely.psu = "adjust"``. A grouping code of -1 (a
    child outside every level, e.g. of unknown sex) becomes a level of its own
    that is never shown: the child stays in the design, as in R's ``subset``.
    """
    names = [f"y{j}" for j in range(y.shape[1])]
    columns: dict[str, np.ndarray] = {"w": weights}
    columns.update(zip(names, y.T))
    for g, (_, labels, codes) in enumerate(groupings):
        columns[f"g{g}"] = np.where(codes < 0, len(labels), codes)
    if strata is not None:
        columns["strata"] = strata
    if cluster is not None:
        columns["cluster"] = cluster
    frame = pd.DataFrame(columns, copy=False)
    design = Design(
        frame,
        strata="strata" if strata is not None else None,
        psu="cluster" if cluster is not None else None,
        weights="w",
        nest=True,
        lonely_psu="adjust",
    )
    return design, names


def _design_means(design: Design, names: list[str], by: str | None, n_levels: int) -> tuple[np.ndarray, np.ndarray]:
    """Means and SEs (levels x variables) of every outcome, each with its own missing values."""
    # a level (or a level x variable) without valid values has no mean: NaN, quietly
    with np.errstate(invalid="ignore", divide="ignore"):
        result = design.mean(names, by=by, na="drop_each", vcov=False)
    m = len(names)
    d = len(result.domain_labels)
    mean = np.full((n_levels, m), np.nan)
    se = np.full((n_levels, m), np.nan)
    level = np.zeros(1, dtype=np.int64) if by is None else result.domains[by].to_numpy(dtype=np.int64)
    shown = level < n_levels
    mean[level[shown]] = result.estimate.reshape(m, d).T[shown]
    se[level[shown]] = result.se.reshape(m, d).T[shown]
    se[np.isnan(mean)] = np.nan
    return mean, se


@dataclasses.dataclass(frozen=True)
class _LevelSums:
    """Arrays (levels x variables) that are sums over the valid rows of a level."""

    weight: np.ndarray  # sum of weights (anthro's ``_pop``)
    count: np.ndarray  # number of rows (``_unwpop``)
    stdev: np.ndarray  # sqrt of the weighted variance times n/(n-1) (R ``svyvar``); NaN for prevalences


class _RowSums:
    """Per-row ``w``, ``1``, ``w·y`` and ``w·y²`` of the valid values, aggregated per grouping.

    Counts, weighted counts and standard deviations are plain sums over a
    level's rows, so each grouping costs one sparse product over the rows.
    Indicators derived from one z-score share their missing values, and so
    their weight and count sums: one column per missing-value pattern.
    """

    def __init__(self, y: np.ndarray, weights: np.ndarray, spread: np.ndarray):
        ok = ~np.isnan(y)
        first: dict[bytes, int] = {}
        self.pattern = np.array([first.setdefault(np.packbits(ok[:, j]).tobytes(), len(first))
                                 for j in range(y.shape[1])])
        rep = np.array([int(np.argmax(self.pattern == k)) for k in range(len(first))])  # first column of each
        y_s = np.where(ok[:, spread], y[:, spread], 0.0)
        w, ok_p = weights[:, None], ok[:, rep]
        self.spread, self.k = spread, rep.size
        self.sums = np.hstack([ok_p * w, ok_p.astype(float), y_s * w, y_s * y_s * w])

    def by(self, level: np.ndarray, n_levels: int) -> _LevelSums:
        inside = np.flatnonzero(level >= 0)
        to_levels = sparse.csr_array(
            (np.ones(inside.size), (level[inside], inside)), shape=(n_levels, level.size)
        )
        totals = to_levels @ self.sums
        k, s = self.k, self.spread.size
        weight, count = totals[:, :k][:, self.pattern], totals[:, k:2 * k][:, self.pattern]
        wy, wy2 = totals[:, 2 * k:2 * k + s], totals[:, 2 * k + s:]
        stdev = np.full(weight.shape, np.nan)
        w_s, n_s = weight[:, self.spread], count[:, self.spread]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = wy / w_s
            ss = np.maximum(wy2 - mean * wy, 0.0)
            stdev[:, self.spread] = np.sqrt(ss / w_s * n_s / (n_s - 1))
        return _LevelSums(weight=weight, count=count, stdev=stdev)

def _wide(blocks: list, meta: list) -> pd.DataFrame:
    position = {name: j for j, (name, _, _) in enumerate(meta)}
    means = {name: j for j, (name, _, kind) in enumerate(meta) if kind == "mean"}
    # every block's rows stacked first, so the table is built once
    group = [label for block in blocks for label in block[2]]
    r, se, ll, ul = (np.vstack([block[k] for block in blocks]) for k in range(3, 7))
    weight, count, stdev = (np.vstack([getattr(block[7], f) for block in blocks]) for f in ("weight", "count", "stdev"))
    data: dict[str, object] = {"Group": group}
    for prefix, total, _ in INDICES:
        first = position[prefix + CUTOFFS[0][0]]
        data[f"{total}_pop"] = weight[:, first]
        data[f"{total}_unwpop"] = count[:, first]
        for suffix, _, _ in CUTOFFS:
            j = position[prefix + suffix]
            for s, arr in zip(STATS, (r, se, ll, ul)):
                data[f"{prefix}{suffix}_{s}"] = arr[:, j]
        j = means[prefix]
        for s, arr in zip(STATS, (r, se, ll, ul)):
            data[f"{prefix}_{s}"] = arr[:, j]
        data[f"{prefix}_stdev"] = stdev[:, j]
    first = position[COMBINED[0]]
    data[f"{COMBINED[0]}_pop"] = weight[:, first]
    data[f"{COMBINED[0]}_unwpop"] = count[:, first]
    for combined in COMBINED:
        j = position[combined]
        for s, arr in zip(STATS, (r, se, ll, ul)):
            data[f"{combined}_{s}"] = arr[:, j]
    return pd.DataFrame(data)[PREVALENCE_COLUMNS]


def _tidy(blocks: list, meta: list, is_prev: np.ndarray) -> pd.DataFrame:
    frames = []
    v = len(meta)
    for title, labels, group, r, se, ll, ul, dm in blocks:
        g = len(labels)
        frames.append(
            pd.DataFrame(
                {
                    "group": np.repeat(group, v),
                    "grouping": title,
                    "level": np.repeat(labels, v),
                    "indicator": [m[0] for m in meta] * g,
                    "index": [m[1] for m in meta] * g,
                    "statistic": [m[2] for m in meta] * g,
                    "estimate": r.ravel(),
                    "se": se.ravel(),
                    "ci_low": ll.ravel(),
                    "ci_high": ul.ravel(),
                    "stdev": np.where(is_prev[None, :], np.nan, dm.stdev).ravel(),
                    "pop": dm.weight.ravel(),
                    "n": dm.count.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[TIDY_COLUMNS]
