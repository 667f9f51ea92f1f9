"""The ten measures whose intervals come from simulated datasets (MEASURES.md §3.6)."""
from __future__ import annotations

import numpy as np

from ._measures import NA, Stratum, _res


def _best(y: np.ndarray, favourable: bool) -> np.ndarray:
    return y.max(axis=-1) if favourable else y.min(axis=-1)


def point_estimates(s: Stratum, method: str) -> dict[str, float]:
    """Point estimates; NaN where the stratum lacks what a measure needs."""
    y = s.y
    out: dict[str, float] = {}
    wm = s.wmean
    p = s.share if s.has_pop else None
    best = float(_best(y, s.favourable))
    out["MDBU"] = float(np.mean(np.abs(y - best)))
    if s.ref_index is not None:
        out["MDRU"] = float(np.mean(np.abs(y - y[s.ref_index])))
    # mean used by MDMU / IDISU: populations first, else the setting average; healthequal 1.0.1
    # takes the setting average whenever it is given (MEASURES.md §3.6)
    if method == "healthequal" and np.isfinite(s.setting_average):
        mu_u = float(s.setting_average)
    else:
        mu_u = wm if s.has_pop else float(s.setting_average)
    if method == "heat":
        out["MDMU"] = float(np.mean(np.abs(y - wm))) if s.has_pop else NA
    else:
        out["MDMU"] = float(np.mean(np.abs(y - mu_u)))
    out["IDISU"] = 100.0 * float(np.mean(np.abs(y - mu_u))) / mu_u
    if p is not None:
        bgsd = float(np.sqrt(p @ (y - wm) ** 2))
        out["BGSD"] = bgsd
        out["COV"] = 100.0 * bgsd / wm
        out["MDMW"] = float(p @ np.abs(y - wm))
        out["IDISW"] = 100.0 * out["MDMW"] / wm
        out["MDBW"] = float(p @ np.abs(y - best))
        if s.ref_index is not None:
            out["MDRW"] = float(p @ np.abs(y - y[s.ref_index]))
    return out


def simulated_measures(s: Stratum, draws: np.ndarray, method: str) -> dict[str, np.ndarray]:
    """Each measure recomputed on every simulated dataset, as the chosen engine does."""
    y = draws  # (sims, n)
    out: dict[str, np.ndarray] = {}
    fixed_w = s.wmean
    mu_u_fixed = fixed_w if s.has_pop else float(s.setting_average)
    best = _best(y, s.favourable)[:, None]
    out["MDBU"] = np.mean(np.abs(y - best), axis=1)
    ri = s.ref_index
    if ri is not None:
        # HEAT 6 compares with the best-performing draw here (a copy-paste slip)
        target = best if method == "heat" else y[:, [ri]]
        out["MDRU"] = np.mean(np.abs(y - target), axis=1)
    if s.has_pop:
        p = s.share
        mu_w = y @ p  # recomputed mean, (sims,)
        mu_u = mu_w
    else:
        p = None
        mu_w = None
        mu_u = np.full(y.shape[0], mu_u_fixed)
    if method == "heat":
        if p is not None:
            out["MDMU"] = np.mean(np.abs(y - mu_w[:, None]), axis=1)
        out["IDISU"] = 100.0 * np.mean(np.abs(y - mu_u_fixed), axis=1) / mu_u_fixed
    else:
        out["MDMU"] = np.mean(np.abs(y - mu_u[:, None]), axis=1)
        out["IDISU"] = 100.0 * out["MDMU"] / mu_u
    if p is not None:
        if method == "heat":
            bgsd = np.sqrt(((y - fixed_w) ** 2) @ p)
            out["BGSD"] = bgsd
            out["COV"] = 100.0 * bgsd / fixed_w
        else:
            bgsd = np.sqrt(((y - mu_w[:, None]) ** 2) @ p)
            out["BGSD"] = bgsd
            out["COV"] = 100.0 * bgsd / mu_w
        out["MDMW"] = np.abs(y - mu_w[:, None]) @ p
        if method == "healthequal":
            # healthequal 1.0.1 keeps the original mean (its recomputed one is unused)
            out["IDISW"] = 100.0 * (np.abs(y - fixed_w) @ p) / fixed_w
        else:
            out["IDISW"] = 100.0 * out["MDMW"] / mu_w
        out["MDBW"] = np.abs(y - best) @ p
        if ri is not None:
            target = best if method == "heat" else y[:, [ri]]
            out["MDRW"] = np.abs(y - target) @ p
    return out


def simulated(s: Stratum, draws: np.ndarray | None, method: str, conf_level: float,
              wanted: list[str], no_ci_note: str):
    est = point_estimates(s, method)
    sims = simulated_measures(s, draws, method) if draws is not None else {}
    cl = conf_level if method == "corrected" else 0.95
    with_sims = [m for m in wanted if m in sims]
    bounds = {}
    if with_sims:
        a = (1.0 - cl) / 2.0
        q = np.quantile(np.vstack([sims[m] for m in with_sims]), [a, 1.0 - a], axis=1)
        bounds = {m: (float(q[0, i]), float(q[1, i])) for i, m in enumerate(with_sims)}
    res = {}
    for m in wanted:
        e = est.get(m, NA)
        if not np.isfinite(e):
            res[m] = _res(note="not computable: populations or a usable mean are missing")
            continue
        if m not in sims:
            res[m] = _res(e, note=no_ci_note)
            continue
        lo, hi = bounds[m]
        res[m] = _res(e, NA, lo, hi, "")
    return res
