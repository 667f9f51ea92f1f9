"""``summarize``: every requested measure for every stratum of a HEAT Plus table."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from ecd.errors import DataError, ParameterError, SchemaError

from . import _measures as M
from ._rng import NormalStream, truncated_draws
from ._simulated import simulated
from ._template import KEYS, prepare

METHODS = ("heat", "healthequal", "corrected")
TIDY_COLUMNS = KEYS[:3] + ["indicator_abbr", "dimension", "measure", "estimate", "se",
                           "ci_low", "ci_high", "note"]
R_DEFAULT_SEED = 123456


@dataclass(frozen=True)
class InequalityResult:
    """Summary measures of inequality, one row per stratum × measure.

    Attributes
    ----------
    method : str
        Engine reproduced: ``"heat"``, ``"healthequal"`` or ``"corrected"``.
    conf_level : float
        Confidence level of the analytic intervals.
    sims : int
        Number of simulated datasets behind the simulation intervals.
    """

    table: pd.DataFrame = field(repr=False)
    method: str
    conf_level: float
    sims: int

    def tidy(self) -> pd.DataFrame:
        """Return the long table: ``setting, date, source, indicator_abbr, dimension,
        measure, estimate, se, ci_low, ci_high, note`` (a copy)."""
        return self.table.copy()

    def get(self, measure: str) -> pd.DataFrame:
        """Rows of one measure (a convenience view of :meth:`tidy`)."""
        t = self.table
        return t.loc[t["measure"] == measure].reset_index(drop=True)


def _check_params(measures, method, conf_level, sims):
    if method not in METHODS:
        raise ParameterError("method", f"{method!r} is not one of {METHODS}")
    if not (isinstance(conf_level, (int, float)) and 0 < conf_level < 1):
        raise ParameterError("conf_level", f"{conf_level!r}; expected a number strictly between 0 and 1, e.g. 0.95")
    if not (isinstance(sims, (int, np.integer)) and sims >= 2):
        raise ParameterError("sims", f"{sims!r}; expected an integer >= 2 (HEAT uses 100)")
    if measures is None:
        return list(M.MEASURES)
    if isinstance(measures, str):
        measures = [measures]
    out = []
    for m in measures:
        code = str(m).upper()
        if code not in M.MEASURES:
            raise ParameterError("measures", f"{m!r} is not a HEAT summary measure; expected some of {', '.join(M.MEASURES)}")
        if code not in out:
            out.append(code)
    return out


def _draws_lookup(draws, sims: int):
    """Normalise ``draws`` to a function key -> (sims, n) array or None."""
    if draws is None:
        return None
    if isinstance(draws, pd.DataFrame):
        need = {"sim", "row", "draw"}
        if not need <= set(draws.columns):
            raise ParameterError("draws", f"columns {list(draws.columns)}; expected sim, row, draw (as in the reference *_sim_draws_*.csv)")
        keys = [k for k in KEYS if k in draws.columns]
        table: dict = {}
        groups = draws.groupby(keys, sort=False) if keys else [((), draws)]
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            wide = g.pivot(index="sim", columns="row", values="draw").sort_index().sort_index(axis=1)
            table[tuple(key)] = (keys, wide.to_numpy(dtype=float))

        def lookup(stratum_key):
            hits = []
            for k, (cols, arr) in table.items():
                want = tuple(stratum_key[KEYS.index(c)] for c in cols)
                if tuple(str(v) for v in want) == tuple(str(v) for v in k):
                    hits.append(arr)
            return hits[0] if hits else None

        return lookup
    if isinstance(draws, Mapping):
        def lookup(stratum_key):
            arr = draws.get(tuple(stratum_key))
            return None if arr is None else np.asarray(arr, dtype=float)

        return lookup
    raise ParameterError("draws", f"a {type(draws).__name__}; expected a DataFrame with sim, row, draw or a mapping from stratum key to a (sims, n) array")


def _stream_for(random_state):
    """A factory returning one normal stream per stratum."""
    if random_state is None:
        return lambda: NormalStream(R_DEFAULT_SEED)
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return lambda: NormalStream(int(random_state))
    if isinstance(random_state, np.random.Generator):
        return lambda: NormalStream(random_state)
    raise ParameterError("random_state", f"{random_state!r}; expected None (R's seed 123456, as HEAT), an int (an R seed) or a numpy Generator")


def _applicability(s: M.Stratum, m: str, method: str, all_zero: bool) -> str:
    """HEAT's validation rules (MEASURES.md §6): '' if the measure applies, else why not."""
    if s.n == 0:
        return "no subgroup has an estimate"
    if all_zero:
        return "every subgroup estimate is 0"
    if s.n < 2:
        return "fewer than two subgroups have estimates" + (
            " (binary dimension with a missing estimate)" if s.n_total == 2 else "")
    share = s.n / s.n_total
    if m in ("D", "R"):
        return ""
    if m in ("PAR", "PAF"):
        if method == "healthequal" and s.n <= 2:
            return "healthequal computes PAR/PAF only with more than two subgroups (HEAT also does binary dimensions)"
        if share < 0.85:
            return f"only {s.n} of {s.n_total} subgroups have estimates (HEAT needs at least 85 %)"
        if s.ordered and not s.ends_present:
            return "the most advantaged subgroup has no estimate"
        return ""
    if m in M.ORDERED_ONLY:
        if not s.ordered:
            return f"{m} applies to ordered dimensions only"
        if s.n_total <= 2:
            return f"{m} needs more than two subgroups"
        if s.n < s.n_total:
            return f"{m} needs an estimate for every subgroup"
        if not s.has_pop:
            if method == "healthequal" and m in ("ACI", "RCI"):
                return ""
            return f"{m} needs the population (count) of every subgroup"
        return ""
    # non-ordered dimension measures
    if s.ordered:
        return f"{m} applies to non-ordered dimensions only"
    if s.n_total <= 2:
        return f"{m} needs more than two subgroups"
    if share < 0.85:
        return f"only {s.n} of {s.n_total} subgroups have estimates (HEAT needs at least 85 %)"
    if m in M.NEED_POP and not s.has_pop:
        return f"{m} needs the population of every subgroup with an estimate"
    if m in ("MDRU", "MDRW") and s.ref_index is None:
        return f"{m} needs exactly one reference subgroup with an estimate"
    if m in ("MDMU", "IDISU") and not s.has_pop:
        if method == "heat" and m == "MDMU":
            return "HEAT's MDMU needs populations (it uses the population-weighted mean)"
        if not np.isfinite(s.setting_average):
            return f"{m} needs populations or a setting_average"
    if m in ("COV", "IDISW", "MLD") and s.wmean == 0:
        return f"{m} is undefined when the mean is 0"
    return ""


def _build_strata(data: pd.DataFrame):
    cols = {c: data[c].to_numpy() for c in ["estimate", "se", "population", "subgroup_order",
                                             "reference_subgroup", "setting_average",
                                             "favourable_indicator", "ordered_dimension",
                                             "indicator_scale"]}
    for key, idx in data.groupby(KEYS, sort=False).indices.items():
        idx = np.asarray(idx)
        ordered = bool(cols["ordered_dimension"][idx[0]] == 1)
        est = cols["estimate"][idx]
        order_all = cols["subgroup_order"][idx]
        keep = np.isfinite(est)
        sel = idx[keep]
        if ordered:
            sel = sel[np.argsort(cols["subgroup_order"][sel], kind="stable")]
            ends_present = bool(keep[np.argmin(order_all)] and keep[np.argmax(order_all)])
        else:
            ends_present = True
        sa = cols["setting_average"][idx]
        sa = sa[np.isfinite(sa)]
        yield key, M.Stratum(
            y=cols["estimate"][sel],
            se=cols["se"][sel],
            pop=cols["population"][sel],
            order=cols["subgroup_order"][sel],
            ref=cols["reference_subgroup"][sel] == 1,
            favourable=bool(cols["favourable_indicator"][idx[0]] == 1),
            ordered=ordered,
            scale=float(cols["indicator_scale"][idx[0]]),
            setting_average=float(sa[0]) if sa.size else np.nan,
            n_total=idx.size,
            ends_present=ends_present,
        ), bool(np.any(cols["reference_subgroup"][idx[~keep]] == 1))


def summarize(
    df: pd.DataFrame,
    measures: Sequence[str] | None = None,
    method: str = "heat",
    conf_level: float = 0.95,
    draws=None,
    random_state=None,
    *,
    sims: int = 100,
    sii_model: str = "logit",
    bounds: tuple[float, float] | None = None,
    rci_normalisation: str | None = None,
) -> InequalityResult:
    """Compute WHO HEAT summary measures of inequality with confidence intervals.

    Parameters
    ----------
    df : pandas.DataFrame
        Subgroup estimates in HEAT Plus template columns: ``setting, date, source,
        indicator_abbr, dimension, subgroup, estimate, favourable_indicator,
        indicator_scale, ordered_dimension`` (required; ``year`` is accepted for
        ``date``) and ``indicator_name, se, ci_lb, ci_ub, population,
        setting_average, subgroup_order, reference_subgroup`` (optional). A missing
        ``se`` is derived from ``ci_lb``/``ci_ub`` as (ub − lb)/(2 × 1.959964). A
        stratum is setting × date × source × indicator × dimension.
    measures : list of str, optional
        Measure codes (``D, R, PAR, PAF, ACI, RCI, SII, RII, BGV, BGSD, COV, MDBU,
        MDBW, MDMU, MDMW, MDRU, MDRW, IDISU, IDISW, TI, MLD``); all 21 by default.
    method : {"heat", "healthequal", "corrected"}
        ``"heat"`` reproduces WHO HEAT 6's engine and ``"healthequal"`` the R
        package healthequal 1.0.1, quirks included (MEASURES.md §5).
        ``"corrected"`` reports PAF's SE in percent and TI/MLD's SE ×1000 (so their
        intervals are no longer ~100×/1000× too narrow), SII's SE on the indicator
        scale, fits SII/RII by grouped logistic regression with weights N (not N²),
        compares MDRU/MDRW draws with the reference draw, recomputes the mean inside
        every simulated dataset and honours ``conf_level`` for simulation intervals.
    conf_level : float
        Confidence level of analytic intervals (HEAT and healthequal ignore it for
        the ten simulation measures, which always use the 2.5 and 97.5 percentiles).
    draws : pandas.DataFrame or mapping, optional
        Pre-drawn simulated subgroup estimates: a frame with ``sim, row, draw``
        (``row`` = 1-based position of the subgroup among the stratum's rows with an
        estimate, in input order) plus any stratum key columns to say which stratum
        they belong to, or a mapping ``{(setting, date, source, indicator_abbr,
        dimension): array (sims, n)}``. Strata without draws are simulated.
    random_state : None, int or numpy.random.Generator
        ``None`` reproduces R's ``set.seed(123456)`` stream per stratum (as HEAT and
        healthequal do, so their intervals are matched exactly); an int is another R
        seed; a ``Generator`` draws with numpy instead.
    sims : int
        Number of simulated datasets (HEAT: 100).
    sii_model : {"logit", "linear"}
        ``"linear"`` is healthequal's ``linear=TRUE`` (a weighted linear probability
        model).
    bounds : (lmin, lmax), optional
        healthequal's ``lmin, lmax``: rescale a bounded indicator to 0–1 before ACI
        and RCI (ACI is then on the 0–1 scale).
    rci_normalisation : {None, "wagstaff", "erreygers"}
        healthequal's RCI ``method=``: RCI/(1 − μ*) or 4·μ*·RCI on the rescaled
        indicator; needs ``bounds``.

    Returns
    -------
    InequalityResult
        ``.tidy()`` has one row per stratum × measure; a measure that does not apply
        has NaN values and the reason in ``note``.

    Raises
    ------
    ecd.errors.SchemaError
        Missing columns, duplicated subgroups, more than one reference subgroup,
        negative estimates, percentages outside 0–100, population shares where SII
        or RII need counts.
    ecd.errors.DataError
        A frame with the template columns but no rows (an empty result is never
        returned silently).
    ecd.errors.ParameterError
        An unknown measure, method or a bad option.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.inequality as ineq
    >>> df = pd.DataFrame({
    ...     "setting": "China", "date": 2020, "source": "SYNTHETIC",
    ...     "indicator_abbr": "stunting", "dimension": "Place of residence",
    ...     "subgroup": ["Urban", "Rural"], "estimate": [4.8, 10.3], "se": [0.6, 0.9],
    ...     "population": [5200, 4100], "favourable_indicator": 0,
    ...     "indicator_scale": 100, "ordered_dimension": 0, "reference_subgroup": [1, 0]})
    >>> t = ineq.summarize(df, measures=["D", "R"]).tidy()
    >>> t[["measure", "estimate"]].round(3).to_string(index=False)
    'measure  estimate\\n      D     5.500\\n      R     2.146'
    """
    wanted = _check_params(measures, method, conf_level, sims)
    if sii_model not in ("logit", "linear"):
        raise ParameterError("sii_model", f"{sii_model!r}; expected 'logit' or 'linear'")
    if bounds is not None:
        if len(bounds) != 2 or not float(bounds[1]) > float(bounds[0]):
            raise ParameterError("bounds", f"{bounds!r}; expected (lmin, lmax) with lmin < lmax, e.g. (0, 100)")
        bounds = (float(bounds[0]), float(bounds[1]))
    if rci_normalisation not in (None, "wagstaff", "erreygers"):
        raise ParameterError("rci_normalisation", f"{rci_normalisation!r}; expected None, 'wagstaff' or 'erreygers'")
    if rci_normalisation is not None and bounds is None:
        raise ParameterError("rci_normalisation", "needs bounds=(lmin, lmax) of the indicator, e.g. (0, 100)")
    need_counts = any(m in ("SII", "RII") for m in wanted)
    data = prepare(df, need_counts=need_counts)
    if data.empty:
        raise DataError("summarize: the input has no rows, so there is nothing to summarise (it has the template "
                        "columns but no subgroup estimates); check the filter or query that built it — e.g. an "
                        "indicator code or year that matches nothing")
    z = float(norm.ppf(1.0 - (1.0 - conf_level) / 2.0))
    lookup = _draws_lookup(draws, sims)
    make_stream = _stream_for(random_state)
    sim_wanted = [m for m in wanted if m in M.SIMULATED]

    rows = []
    for key, s, ref_missing in _build_strata(data):
        all_zero = s.n > 0 and bool(np.all(s.y == 0))
        notes = {m: _applicability(s, m, method, all_zero) for m in wanted}
        if ref_missing:
            for m in wanted:
                if m in ("D", "R", "MDRU", "MDRW") or (m in ("PAR", "PAF") and method != "healthequal"):
                    notes[m] = notes[m] or "the flagged reference subgroup has no estimate"
        res: dict[str, tuple] = {}
        ok = {m for m in wanted if not notes[m]}
        if ok & {"D", "R"}:
            pr = M.pair(s, use_ref_when_ordered=method == "heat")
            if isinstance(pr, str):
                for m in ("D", "R"):
                    if m in ok:
                        res[m] = M._res(note=pr)
            else:
                if "D" in ok:
                    res["D"] = M.difference(s, *pr, z)
                if "R" in ok:
                    res["R"] = M.ratio(s, *pr, z, report_log_se=method == "healthequal")
        if ok & {"PAR", "PAF"}:
            res["PAR"], res["PAF"] = M.par_paf(s, z, use_ref_flag=method != "healthequal",
                                               paf_se_percent=method == "corrected")
        if ok & {"ACI", "RCI"}:
            res["ACI"], res["RCI"] = M.aci_rci(s, z, bounds, rci_normalisation)
            if not s.has_pop:
                for m in ("ACI", "RCI"):
                    e, se_, lo, hi, nt = res[m]
                    res[m] = (e, se_, lo, hi, "no populations: subgroups weighted equally (healthequal)")
        if ok & {"SII", "RII"}:
            scale = M.infer_scale(s.y) if method == "healthequal" else s.scale
            res["SII"], res["RII"] = M.sii_rii(
                s, z, scale=scale, weight_power=1 if method == "corrected" else 2,
                model=sii_model, sii_se_scaled=method == "corrected",
                rii_cap=700.0 if method == "heat" else None)
        if "BGV" in ok:
            res["BGV"] = M.bgv(s, z)
        if ok & {"TI", "MLD"}:
            res["TI"], res["MLD"] = M.theil_mld(s, z, 1000.0 if method == "corrected" else 1.0)
        sim_ok = [m for m in sim_wanted if m in ok]
        if sim_ok:
            arr, why = None, ""
            if lookup is not None:
                arr = lookup(key)
                if arr is not None and arr.shape[1] != s.n:
                    raise ParameterError("draws", f"{arr.shape[1]} subgroups in the draws for stratum {key}, but {s.n} subgroups have estimates")
            if arr is None:
                if not s.has_se:
                    why = "no subgroup SE: simulation CI not computed"
                elif np.any((s.se == 0) & ((s.y < 0) | ((s.scale == 100) & (s.y > 100)))):
                    why = "a subgroup with SE 0 lies outside the allowed range: simulation impossible"
                else:
                    arr = truncated_draws(make_stream(), s.y, s.se, sims,
                                          100.0 if s.scale == 100 else None)
                    if arr is None:
                        why = "simulation rejected too many draws outside the allowed range"
            res.update(simulated(s, arr, method, conf_level, sim_ok, why))
        for m in wanted:
            r = res.get(m) if not notes[m] else M._res(note=notes[m])
            if r is None:
                r = M._res(note="not computed")
            rows.append((*key, m, *r))
    table = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    for c in ["estimate", "se", "ci_low", "ci_high"]:
        table[c] = table[c].astype("float64")
    table["note"] = table["note"].astype(object)
    return InequalityResult(table=table, method=method, conf_level=float(conf_level), sims=int(sims))
