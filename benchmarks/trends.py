"""Benchmark: permutation-test joinpoint selection (Kim et al. 2000), ecd vs a naive loop.

Run with ``.venv-bench/bin/python benchmarks/trends.py [--permutations 4499] [--naive 8]``.

The series has 30 annual points (SYNTHETIC, two joinpoints) and up to 3 joinpoints
are tested, as in the issue. ecd evaluates every grid configuration for every
permutation with one matrix product per block; the naive loop refits each
configuration by least squares, one permutation at a time. The loop is timed on
``--naive`` permutations of each test and scaled to the full count (it would take
many minutes otherwise); the output says so. Both use the same residual
permutations, and the loop's statistics are checked against ecd's.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

try:
    import ecd.trends as tr
    from ecd.trends._linear import configurations, hinge
except ImportError as exc:  # pragma: no cover - the bench venv installs ecd
    raise SystemExit(f"peer not available: ecd ({exc}); install with pip install -e .") from exc

GOAL_SECONDS = 5.0


def naive_min_sse(x, y, k):
    best = np.inf
    for c in configurations(x.size, k, 2, 2):
        X = np.column_stack([np.ones_like(x), x, hinge(x, x[c])])
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        best = min(best, float(np.sum((y - X @ beta) ** 2)))
    return best


def naive_test(x, y, ka, kb, n_perm, rng):
    """One sequential test ka vs kb by looping over permutations and configurations."""
    X0 = np.column_stack([np.ones_like(x), x, hinge(x, [])])
    if ka:
        # the null fit's joinpoints: best configuration with ka joinpoints
        best, cfg = np.inf, None
        for c in configurations(x.size, ka, 2, 2):
            X = np.column_stack([np.ones_like(x), x, hinge(x, x[c])])
            beta, *_ = np.linalg.lstsq(X, y, rcond=None)
            s = float(np.sum((y - X @ beta) ** 2))
            if s < best:
                best, cfg = s, c
        X0 = np.column_stack([np.ones_like(x), x, hinge(x, x[cfg])])
    beta, *_ = np.linalg.lstsq(X0, y, rcond=None)
    fitted = X0 @ beta
    stat = (naive_min_sse(x, y, ka) - naive_min_sse(x, y, kb)) / naive_min_sse(x, y, kb)
    stats = []
    for _ in range(n_perm):
        ys = fitted + rng.permutation(y - fitted)
        sa, sb = naive_min_sse(x, ys, ka), naive_min_sse(x, ys, kb)
        stats.append((sa - sb) / sb)
    return stat, np.array(stats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--permutations", type=int, default=4499)
    ap.add_argument("--naive", type=int, default=8, help="permutations per test timed in the naive loop")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    df = tr.synthetic_series(range(1991, 2021), start=58.0, apcs=(-3.0, -9.5, -7.0),
                             joinpoints=(1999, 2011), log_sd=0.035, random_state=20261129)
    print(f"series: 30 points (SYNTHETIC), max_joinpoints=3, {args.permutations} permutations per test; "
          f"cores visible: {os.cpu_count()}")
    best_wall, best_cpu = np.inf, np.inf
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        jp = tr.joinpoint(df, max_joinpoints=3, select="permutation",
                          n_permutations=args.permutations, random_state=1)
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    tests = jp.tests_
    print(tests.to_string(index=False))
    print(f"ecd: selected k={jp.n_joinpoints_} at {jp.joinpoints_.tolist()}; "
          f"best of {args.repeat}: {best_wall:.2f} s wall, {best_cpu:.2f} s CPU "
          f"({'meets' if best_wall < GOAL_SECONDS else 'misses'} the {GOAL_SECONDS:.0f} s goal)")

    x, y = df["year"].to_numpy(float), np.log(df["value"].to_numpy())
    rng = np.random.default_rng(2)
    per_perm = 0.0
    for ka, kb in zip(tests["k_null"], tests["k_alt"]):
        t0 = time.perf_counter()
        stat, _ = naive_test(x, y, int(ka), int(kb), args.naive, rng)
        per_perm += (time.perf_counter() - t0) / max(args.naive, 1)
        ecd_stat = float(tests.loc[(tests.k_null == ka) & (tests.k_alt == kb), "statistic"].iloc[0])
        assert np.isclose(stat, ecd_stat, rtol=1e-8), (stat, ecd_stat)
    naive_total = per_perm * args.permutations
    print(f"naive loop: {per_perm * 1e3:.1f} ms per permutation over the {len(tests)} test(s) "
          f"(timed on {args.naive} each, statistics agree with ecd) -> about {naive_total:.0f} s "
          f"for {args.permutations} permutations (scaled, not run in full)")
    print(f"ratio naive / ecd: {naive_total / best_wall:.0f}x")


if __name__ == "__main__":
    main()
