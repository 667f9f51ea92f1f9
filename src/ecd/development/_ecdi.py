"""ECDI2030 (SDG indicator 4.2.1): on track for age among children 24–59 months.

What is confirmed (UN SDG metadata 4.2.1, March 2021; Petrowski et al. 2023):
20 caregiver-reported items; items 1–18 yes/no with yes = achieved; domains
health 1–4, learning 5–15, psychosocial 16–20 (BMJ Paediatrics Open 2024;8:e002985);
on track if the number achieved reaches the threshold of the age band in
completed months (24–29: 7, 30–35: 9, 36–41: 11, 42–47: 13, 48–59: 15).

What is **not** confirmed here (no primary text was available; check the UNICEF
ECDI2030 technical manual (2023) and the MICS7 tabulation plan): which answers to
the frequency items 19 and 20 count as achieved, and how missing or "don't know"
answers are treated. Both are explicit options of :func:`ecdi2030`, and the
result reports how many children each choice affects.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecd.errors import MissingDataError, ParameterError, SchemaError

from ._score import _plain

#: (first month, last month, milestones needed) per age band in completed months.
ECDI2030_BANDS = ((24, 29, 7), (30, 35, 9), (36, 41, 11), (42, 47, 13), (48, 59, 15))
#: Item numbers (1-based) of each domain.
ECDI2030_DOMAINS = {"health": range(1, 5), "learning": range(5, 16), "psychosocial": range(16, 21)}
MISSING_RULES = ("raise", "not_achieved", "complete_case")
_MAX_LISTED = 20


@dataclass(frozen=True)
class Ecdi2030Result:
    """Per-child ECDI2030 scores and the choices behind them.

    Attributes
    ----------
    scores : pandas.DataFrame
        On the input's index: ``age_months`` (completed), ``age_band``, ``threshold``,
        ``in_age_range`` (24–59 completed months), ``n_answered``, ``n_missing``,
        ``n_achieved``, ``health``, ``learning``, ``psychosocial`` (achieved per
        domain), ``uncertain`` (on-track status would change if missing answers
        were achieved) and ``on_track`` (nullable boolean; missing outside 24–59
        months and for children dropped by ``missing="complete_case"``).
    missing : str
        The missing-answer rule used.
    frequency_rule : str
        How items 19–20 were coded (a description).
    """

    scores: pd.DataFrame
    missing: str
    frequency_rule: str

    def tidy(self) -> pd.DataFrame:
        """Unweighted counts per age band and in total (children 24–59 months only).

        Columns ``age_band, threshold, n_children, n_with_missing, n_excluded,
        n_uncertain, n_on_track, on_track_pct``: ``n_excluded`` children are not
        in the denominator (complete-case rule), ``n_uncertain`` are those whose
        status depends on the missing-answer rule. For design-based prevalence use
        :func:`on_track_prevalence`.
        """
        s = self.scores[self.scores["in_age_range"]]
        rows = []
        bands = [(f"{lo}-{hi}", t, s["age_band"] == f"{lo}-{hi}") for lo, hi, t in ECDI2030_BANDS]
        bands.append(("24-59", np.nan, pd.Series(True, index=s.index)))
        for label, threshold, sel in bands:
            g = s[sel.to_numpy()]
            on = g["on_track"]
            n_den = int(on.notna().sum())
            n_on = int(on.fillna(False).astype(bool).sum())
            rows.append({
                "age_band": label, "threshold": threshold, "n_children": len(g),
                "n_with_missing": int((g["n_missing"] > 0).sum()),
                "n_excluded": int(on.isna().sum()),
                "n_uncertain": int(g["uncertain"].sum()),
                "n_on_track": n_on,
                "on_track_pct": 100.0 * n_on / n_den if n_den else np.nan,
            })
        return pd.DataFrame(rows)


def ecdi2030(
    df: pd.DataFrame,
    *,
    age_months: str,
    items: Sequence[str],
    frequency_achieved: Collection | None = None,
    frequency_codes: Collection | None = None,
    dont_know: Collection = (),
    missing: str = "raise",
) -> Ecdi2030Result:
    """Score the ECDI2030: milestones achieved, per domain, and on track for age.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per child.
    age_months : str
        Age column in months (completed months are taken by flooring).
    items : sequence of 20 str
        The item columns in questionnaire order (item 1 first). Items 1–18 must be
        coded 1 (yes, achieved), 0 (no) or missing.
    frequency_achieved : collection, optional
        How to code the frequency items 19 and 20. ``None`` (default): they are
        already coded 1 (achieved) / 0 / missing, i.e. the coding decision was made
        upstream. Otherwise the raw answer codes that count as achieved (e.g.
        ``{"never", "few_times_year"}``); every other non-missing answer is not
        achieved. **The official coding is not confirmed** (see the module notes).
    frequency_codes : collection, optional
        All valid raw codes of items 19–20 (with ``frequency_achieved``); other
        values are refused instead of silently counting as not achieved.
    dont_know : collection, default ()
        Codes (e.g. ``8``, ``"DK"``) treated as missing answers on every item.
    missing : {"raise", "not_achieved", "complete_case"}
        Missing answers among children 24–59 months: ``"raise"`` refuses them
        (reporting how many children are affected), ``"not_achieved"`` counts them
        as not achieved, ``"complete_case"`` leaves such children out of the
        indicator (``on_track`` missing).

    Returns
    -------
    Ecdi2030Result

    Notes
    -----
    Confirmed (UN SDG metadata 4.2.1, March 2021; Petrowski et al. 2023, J Health
    Popul Nutr 42:140; domains per BMJ Paediatrics Open 2024;8:e002985): 20 items,
    items 1–18 yes = achieved; health 1–4, learning 5–15, psychosocial 16–20; on
    track if achieved >= 7 (24–29 months), 9 (30–35), 11 (36–41), 13 (42–47),
    15 (48–59); children outside 24–59 months are not in the denominator.

    **Not confirmed** (no primary text was available here; check the UNICEF
    ECDI2030 technical manual (2023) and the MICS7 tabulation plan before relying
    on a choice): which answers to the frequency items 19–20 count as achieved
    (candidates: "monthly or less often" or "a few times a year or never"), and
    whether missing / "don't know" answers count as not achieved or drop the child.
    Hence ``frequency_achieved`` and ``missing`` have no silent default coding, and
    ``Ecdi2030Result.tidy()`` reports how many children each choice affects.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecd.development import ecdi2030
    >>> items = [f"i{k}" for k in range(1, 21)]
    >>> kids = pd.DataFrame([[30] + [1] * 9 + [0] * 11, [50] + [1] * 14 + [0] * 6],
    ...                     columns=["age_m"] + items)
    >>> res = ecdi2030(kids, age_months="age_m", items=items)
    >>> res.scores[["age_band", "threshold", "n_achieved", "on_track"]]
      age_band  threshold  n_achieved  on_track
    0    30-35          9           9      True
    1    48-59         15          14     False
    """
    items = list(items)
    if len(items) != 20:
        raise ParameterError("items", f"got {len(items)} columns; the ECDI2030 has 20 items, give them in questionnaire order.")
    absent = [c for c in [age_months, *items] if c not in df.columns]
    if absent:
        raise ParameterError("items" if age_months not in absent else "age_months",
                             f"columns {absent} are not in the data.")
    if missing not in MISSING_RULES:
        raise ParameterError("missing", f"{missing!r} is not one of {MISSING_RULES}.")
    age = pd.to_numeric(df[age_months], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    completed = np.floor(age)
    in_range = (completed >= 24) & (completed <= 59)

    x = np.empty((len(df), 20))
    failures: list[str] = []
    for k, col in enumerate(items):
        raw = df[col]
        is_dk = raw.isin(list(dont_know)).to_numpy() if len(dont_know) else np.zeros(len(df), bool)
        present = raw.notna().to_numpy() & ~is_dk
        if k >= 18 and frequency_achieved is not None:
            if frequency_codes is not None:
                bad = present & ~raw.isin(list(frequency_codes)).to_numpy()
                failures += _listed(df, col, raw, bad, f"not one of the frequency codes {sorted(map(str, frequency_codes))}")
            x[:, k] = np.where(present, raw.isin(list(frequency_achieved)).to_numpy().astype(float), np.nan)
        else:
            values = pd.to_numeric(raw.where(present), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = present & ~np.isin(values, (0.0, 1.0))
            failures += _listed(df, col, raw, bad, "not 1 (achieved), 0 or missing")
            x[:, k] = np.where(present, values, np.nan)
    if failures:
        shown = failures[:_MAX_LISTED] + ([f"... and {len(failures) - _MAX_LISTED} more"] if len(failures) > _MAX_LISTED else [])
        raise SchemaError(
            "ECDI2030 answers must be coded 1 (achieved) / 0 / missing; recode them, list 'don't know' "
            "codes in dont_know=, or give frequency_achieved= for items 19-20:", shown)

    answered = ~np.isnan(x)
    n_answered = answered.sum(axis=1)
    n_missing = 20 - n_answered
    n_achieved = np.nansum(x, axis=1).astype(int)
    threshold = np.full(len(df), np.nan)
    band = np.full(len(df), None, dtype=object)
    for lo, hi, t in ECDI2030_BANDS:
        sel = (completed >= lo) & (completed <= hi)
        threshold[sel] = t
        band[sel] = f"{lo}-{hi}"
    with_missing = in_range & (n_missing > 0)
    if missing == "raise" and with_missing.any():
        uncertain = with_missing & (n_achieved < threshold) & (n_achieved + n_missing >= threshold)
        rows = [repr(i) for i in df.index[with_missing][:10]]
        raise MissingDataError(
            f"{int(with_missing.sum())} of {int(in_range.sum())} children aged 24-59 months have missing ECDI2030 "
            f"answers (rows {', '.join(rows)}{' ...' if with_missing.sum() > 10 else ''}); for "
            f"{int(uncertain.sum())} of them on-track status depends on the rule. Choose missing='not_achieved' "
            "(count as not achieved) or missing='complete_case' (leave them out of the indicator); the official "
            "rule is not confirmed.")
    on_track = pd.array(np.where(in_range, n_achieved >= threshold, False), dtype="boolean")
    on_track[~in_range] = pd.NA
    if missing == "complete_case":
        on_track[with_missing] = pd.NA
    scores = pd.DataFrame({
        "age_months": completed,
        "age_band": pd.array(band, dtype="string"),
        "threshold": pd.array(np.where(np.isnan(threshold), 0, threshold).astype(int), dtype="Int64"),
        "in_age_range": in_range,
        "n_answered": n_answered,
        "n_missing": n_missing,
        "n_achieved": n_achieved,
    }, index=df.index)
    scores.loc[~in_range, "threshold"] = pd.NA
    for name, numbers in ECDI2030_DOMAINS.items():
        scores[name] = np.nansum(x[:, [i - 1 for i in numbers]], axis=1).astype(int)
    scores["uncertain"] = in_range & (n_achieved < threshold) & (n_achieved + n_missing >= threshold)
    scores["on_track"] = on_track
    rule = ("items 19-20 already coded 1/0 by the user" if frequency_achieved is None
            else f"items 19-20 achieved if the answer is one of {sorted(map(str, frequency_achieved))}")
    return Ecdi2030Result(scores=scores, missing=missing, frequency_rule=rule)


def _listed(df, col, raw, bad, expected) -> list[str]:
    return [f"row {df.index[i]!r}, column {col!r}: {_plain(raw.iloc[i])!r} is {expected}" for i in np.flatnonzero(bad)]


@dataclass(frozen=True)
class OnTrackPrevalence:
    """Design-based ECDI2030 on-track prevalence (percent) with the small-cell rule applied.

    Attributes
    ----------
    survey : ecd.survey.ProportionResult
        The underlying proportion estimate (proportions, not percent).
    suppress_below, caution_below : int
        The small-cell thresholds of :func:`ecd.tables.small_cell_status`.
    """

    survey: object
    suppress_below: int
    caution_below: int

    def tidy(self) -> pd.DataFrame:
        """One row per domain: the ``by`` columns, ``estimate, se, ci_low, ci_high`` (percent),
        ``ci_method, df, n`` and ``small_cell`` ("suppressed", "caution" or "ok"; a
        suppressed cell's numbers are missing)."""
        from ecd.tables import small_cell_status

        t = self.survey.tidy()
        keep = [c for c in t.columns if c not in ("variable", "domain", "deff", "deff_replace")]
        t = t[keep].reset_index(drop=True)
        for c in ("estimate", "se", "ci_low", "ci_high"):
            t[c] = 100.0 * t[c].astype(float)
        t["small_cell"] = small_cell_status(t, "n", suppress_below=self.suppress_below,
                                            caution_below=self.caution_below).astype(str)
        t.loc[t["small_cell"] == "suppressed", ["estimate", "se", "ci_low", "ci_high"]] = np.nan
        return t


def on_track_prevalence(design, on_track: str = "on_track", *, by=None, ci: str = "logit",
                        conf_level: float = 0.95, suppress_below: int = 25,
                        caution_below: int = 50) -> OnTrackPrevalence:
    """ECDI2030 indicator: percent of children 24–59 months on track, with design-based CIs.

    Parameters
    ----------
    design : ecd.survey.Design
        A design over all sampled children whose data hold the ``on_track`` column of
        :func:`ecdi2030` (missing outside 24–59 months or when excluded). Children
        with a missing ``on_track`` are left out as a domain (R ``na.rm=TRUE``), so
        the design's strata and PSUs are kept.
    on_track : str
        The on-track column.
    by : str or list of str, optional
        Disaggregation, e.g. ``"area"`` (urban/rural) or ``["area", "sex"]``.
    ci : str
        Interval method of :meth:`ecd.survey.Design.proportion` (default logit, with
        the domain's design degrees of freedom, as R ``svyciprop``).
    conf_level : float
        Confidence level.
    suppress_below, caution_below : int
        The small-cell rule (:func:`ecd.tables.small_cell_status`) on the unweighted
        number of children in a cell: fewer than ``suppress_below`` (default 25) are
        suppressed, fewer than ``caution_below`` (default 50) flagged ``"caution"``.

    Returns
    -------
    OnTrackPrevalence

    Examples
    --------
    >>> from ecd.development import ecdi2030, on_track_prevalence, synthetic_survey
    >>> from ecd.survey import Design
    >>> data = synthetic_survey(600, random_state=1)
    >>> res = ecdi2030(data, age_months="age_months", items=[f"ecdi{k:02d}" for k in range(1, 21)],
    ...                frequency_achieved={4, 5}, frequency_codes={1, 2, 3, 4, 5},
    ...                dont_know={8}, missing="not_achieved")
    >>> design = Design(data.assign(on_track=res.scores["on_track"]), strata="stratum",
    ...                 psu="psu", weights="weight", nest=True)
    >>> on_track_prevalence(design, by="area").tidy()[["area", "small_cell"]].values.tolist()
    [['rural', 'ok'], ['urban', 'ok']]
    """
    from ecd.tables import small_cell_status

    small_cell_status(pd.DataFrame({"n": []}), suppress_below=suppress_below, caution_below=caution_below)
    res = design.proportion(on_track, by=by, ci=ci, na="drop", conf_level=conf_level)
    return OnTrackPrevalence(survey=res, suppress_below=suppress_below, caution_below=caution_below)
