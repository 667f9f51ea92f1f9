"""Run the benchmarks and write ``benchmarks/RESULTS.md`` (``make bench``).

Usage::

    python benchmarks/run_all.py [--only growth survey ...] [--quick] [--no-r] [--r-libs DIR]
                                 [--results PATH] [--no-readme]

Each benchmark runs as its own process with ``--json``; its output streams to the terminal.
RESULTS.md then lists the machine (CPU, cores, memory, load average at start and end), the tool
and peer versions, which peers were missing, every like-for-like ratio (wall/wall and CPU/CPU,
best of N on both sides, same data), every agreement check, and ecd's own times at the full
sizes. The records are kept in ``RESULTS.json``: ``--only X`` reruns X and keeps the others'
latest records (each benchmark's start time, commit and load are listed). When every default
benchmark has a full-size record with R, the performance block of README.md (between
``<!-- bench:start -->`` and ``<!-- bench:end -->``) is rewritten from the same numbers, so the
README quotes RESULTS.md and nothing else.

``--render-only`` rewrites RESULTS.md and the README block from RESULTS.json without running
anything (after a change of their layout). ``--quick`` runs tiny sizes (a smoke test of the whole
chain, minutes even under load); its RESULTS.md says so and the README is left alone. Exit status: 0 when every benchmark ran and
every agreement check passed, 1 otherwise (RESULTS.md is written either way).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import _bench as B

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# the benchmarks against R peers first; then the Python/SQL peers
DEFAULT = ["growth", "development", "inequality", "survey", "regression", "trends", "childcare", "compare", "data"]
OPTIONAL = ["book"]  # the whole book twice (papermill/nbconvert CLIs vs ecd build): --only book
QUICK = {
    "growth": ["--rows", "20000", "--r-rows", "5000", "--prev-rows", "5000", "--r-prev-rows", "1000",
               "--py-rows", "2000", "--repeat", "2"],
    "development": ["--n", "5000", "--r-n", "2000", "--repeat", "2"],
    "inequality": ["--strata", "60", "--r-strata", "6", "--repeat", "2"],
    "survey": ["--rows", "100000", "--r-rows", "100000", "--repeat", "2"],
    "regression": ["--rows", "100000", "--decomp-rows", "20000", "--draws", "50", "--repeat", "2"],
    "trends": ["--series", "10", "--r-series", "10", "--permutations", "499", "--repeat", "2"],
    "childcare": ["--geos", "300", "--repeat", "2"],
    "compare": ["--rows", "100000", "--repeat", "2"],
    "data": ["--repeat", "2"],
    "book": [],
}
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def run(names: list[str], quick: bool, passthrough: list[str], folder: Path) -> list[dict]:
    records = []
    for name in names:
        out = folder / f"{name}.json"
        cmd = [sys.executable, str(HERE / f"{name}.py"), "--json", str(out), *passthrough,
               *(QUICK[name] if quick else [])]
        print(f"\n$ {' '.join(Path(c).name if c.endswith('.py') else c for c in cmd[1:])}", flush=True)
        done = subprocess.run(cmd, cwd=REPO)
        if out.exists():
            rec = json.loads(out.read_text())
        else:
            rec = {"name": name, "title": "", "machine": {}, "peers": {}, "missing": [], "notes": [], "timings": [],
                   "checks": [], "failures": []}
        rec["exit_status"] = done.returncode
        if done.returncode != 0 and not rec["failures"]:
            rec["failures"].append(f"{name}.py exited with status {done.returncode}")
        records.append(rec)
    return records


def _s(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}" if x < 1000 else f"{x:,.0f}"


def _e(x) -> str:
    return "—" if x is None else "0" if x == 0 else f"{x:.1e}"


def _runs(t: dict) -> str:
    return f"{t['ecd_runs']}/{t['peer_runs']}" if t.get("peer_runs") else str(t["ecd_runs"])


def _one_line(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "/")


LOOSE_RTOL = 1e-3


def _rtol(check: dict) -> float:
    return max((col.get("rtol", 0.0) for col in check.get("columns", [])), default=0.0)


def _agreement_for(rec: dict, task: str, peer: str) -> str:
    checks = [c for c in rec["checks"] if c["task"].split(",")[0] == task.split(",")[0] and c["peer"] == peer]
    if not checks:
        return "not compared"
    if all(c["ok"] for c in checks):
        # a check with a loose tolerance (e.g. bootstrap SEs within Monte Carlo error) is shown apart,
        # so that its difference is not read as the difference of the exact checks
        loose = [c for c in checks if c["max_rel"] is not None and _rtol(c) > LOOSE_RTOL]
        rel = max((c["max_rel"] for c in checks if c["max_rel"] is not None and c not in loose), default=None)
        parts = ([f"max rel {_e(rel)}"] if rel is not None else []) + [
            f"{_e(c['max_rel'])} within rel {_rtol(c):.2g}" for c in loose]
        return "agree" + (f" ({'; '.join(parts)})" if parts else "")
    if all(c["ok"] or not c.get("strict", True) for c in checks):
        return "differs (known; not checked)"
    return "**DISAGREE**"


def _load(x) -> str:
    return "/".join(f"{v:.2f}" for v in x) if x else "unknown"


def render(records: list[dict], quick: bool, invocations: list[list[str]], when: str | None = None) -> str:
    """RESULTS.md from the benchmarks' records (each carries its own machine facts and load)."""
    when = when or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    peers: dict[str, str | None] = {}
    for r in records:
        peers.update(r["peers"])
    missing = [(r["name"], m["peer"], m["why"]) for r in records for m in r["missing"]]
    first = next((r["machine"] for r in records if r["machine"]), {})
    calls = "; ".join(f"`benchmarks/run_all.py{(' ' + ' '.join(a)) if a else ''}`" for a in invocations)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` ({calls}) on {when}; do not edit by hand — rerun it.",
        "",
    ]
    if quick:
        lines += ["**QUICK RUN (`--quick`): tiny sizes to test the chain. These are not the benchmark's results.**", ""]
    lines += [
        "How to read it: every ratio compares ecd with a peer on the same data (one CSV file both read; reading "
        "is not timed), each side timed best of N runs with the same N; wall/wall and CPU/CPU are given "
        "separately (CPU = user + system time of the process, all threads). A size ecd ran alone is listed "
        "under *ecd alone* and never turned into a ratio. Each comparison also checks ecd's numbers against "
        "the peer's in the same run.",
        "",
        "## Machine and tools",
        "",
        f"- CPU: {first.get('cpu')}; {first.get('cores_usable')} usable cores; memory {first.get('memory_gib')} GiB; "
        f"{first.get('os')}",
        f"- Python {first.get('python')}, numpy {first.get('numpy')}, pandas {first.get('pandas')}, "
        f"scipy {first.get('scipy')}",
        "- Peers: " + (", ".join(f"{k} {v}" for k, v in sorted(peers.items(), key=lambda kv: (kv[0] != 'R', kv[0]))
                                 if v) or "none ran"),
    ]
    runs = ["", "The machine is shared: wall times include waiting for other jobs (and the niceness the "
            "benchmarks ran at), CPU times much less so. Load average (1/5/15 min) when each benchmark started "
            "and ended:", "",
            "| benchmark | started | ecd commit | niceness | load at start | load at end | exit |",
            "|---|---|---|---:|---|---|---:|"]
    for r in records:
        m = r["machine"]
        runs.append(f"| {r['name']} | {m.get('when', '—')} | {m.get('ecd_commit')} | {m.get('niceness')} | "
                    f"{_load(m.get('load_average'))} | {_load(m.get('load_average_end'))} | {r['exit_status']} |")
    notes = sorted({n for r in records for n in r["notes"] if n.startswith("R_LIBS=")})
    if notes:
        lines.append(f"- R library path: {', '.join(notes)}")
    lines.append("- Missing peers: " + ("none" if not missing else "; ".join(
        f"{p} ({name}: {why})" for name, p, why in missing)))
    lines += runs
    lines += ["", "## Like-for-like ratios", "",
              "| benchmark | task | size | runs | ecd wall s | ecd CPU s | peer | peer wall s | peer CPU s | "
              "wall/wall | CPU/CPU | agreement |",
              "|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|"]
    for r in records:
        for t in r["timings"]:
            if t.get("peer"):
                lines.append(
                    f"| {r['name']} | {t['task']} | {t['size']} | {_runs(t)} | {_s(t['ecd_wall'])} | {_s(t['ecd_cpu'])} | "
                    f"{t['peer']} | {_s(t['peer_wall'])} | {_s(t['peer_cpu'])} | {B.fmt_ratio(t['ratio_wall'])} | "
                    f"{B.fmt_ratio(t['ratio_cpu'])} | {_agreement_for(r, t['task'], t['peer'])} |")
    lines += ["", "*runs*: best of that many runs on each side (ecd/peer).", "", "## Agreement checks", "",
              "| benchmark | task | peer | compared | tolerance | max abs diff | max rel diff | result |",
              "|---|---|---|---|---|---:|---:|---|"]
    for r in records:
        for c in r["checks"]:
            result = "agree" if c["ok"] else ("differs (reported, not checked)" if not c.get("strict", True)
                                              else "**DISAGREE**")
            lines.append(f"| {r['name']} | {c['task']} | {c['peer']} | {c['what']} | {c['tolerance']} | "
                         f"{_e(c['max_abs'])} | {_e(c['max_rel'])} | {result} |")
    lines += ["", "## ecd alone (full sizes)", "", "| benchmark | task | size | runs | wall s | CPU s | note |",
              "|---|---|---|---:|---:|---:|---|"]
    for r in records:
        for t in r["timings"]:
            if not t.get("peer"):
                lines.append(f"| {r['name']} | {t['task']} | {t['size']} | {t['ecd_runs']} | {_s(t['ecd_wall'])} | "
                             f"{_s(t['ecd_cpu'])} | {t['note']} |")
    lines += ["", "## Notes", ""]
    for r in records:
        for n in r["notes"]:
            if not n.startswith("R_LIBS="):
                lines.append(f"- {r['name']}: {n}")
    failures = [(r["name"], f) for r in records for f in r["failures"]]
    lines += ["", "## Failures", ""] + ([f"- **{name}: {_one_line(f)}**" for name, f in failures] if failures
                                        else ["none"])
    return "\n".join(lines) + "\n"


def readme_block(records: list[dict]) -> str:
    """The README's performance block: the R-peer ratios and their agreement, quoted from RESULTS.md."""
    rows = ["| task | size (both sides) | R package | wall/wall | CPU/CPU | numbers |", "|---|---|---|---:|---:|---|"]
    for r in records:
        for t in r["timings"]:
            if t.get("peer", "") and t["peer"].startswith("R "):
                rows.append(f"| {t['task']} | {t['size']} | {t['peer'][2:]} | {B.fmt_ratio(t['ratio_wall'])} | "
                            f"{B.fmt_ratio(t['ratio_cpu'])} | {_agreement_for(r, t['task'], t['peer'])} |")
    loads = [r["machine"]["load_average"][0] for r in records if r["machine"].get("load_average")]
    days = sorted({r["machine"].get("when", "")[:10] for r in records if r["machine"].get("when")})
    cores = next((r["machine"].get("cores_usable") for r in records if r["machine"]), "?")
    return "\n".join([
        README_START,
        "How ecd's speed compares with the R packages it is checked against (R's time divided by ecd's: "
        "above 1× ecd is faster, below 1× slower), and whether the numbers agree, "
        f"measured by `make bench` on {', '.join(days)} "
        f"({cores} cores shared with other jobs; load average {min(loads):.1f}–{max(loads):.1f} when the "
        "benchmarks started) and copied from [`benchmarks/RESULTS.md`](benchmarks/RESULTS.md), which also has "
        "the absolute times, the Python/SQL peers, ecd's times at full size and every agreement check. Both "
        "sides ran on the same data, best of the same number of runs; CPU/CPU is the steadier figure on a "
        "busy machine. Each run also compared ecd's numbers with R's (column *numbers*).",
        "",
        *rows,
        README_END,
    ])


def update_readme(block: str) -> bool:
    path = REPO / "README.md"
    text = path.read_text()
    if README_START not in text or README_END not in text:
        print(f"README.md has no {README_START} … {README_END} block: not updated", file=sys.stderr)
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    path.write_text(head + block + tail)
    return True


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=DEFAULT + OPTIONAL, help="run only these benchmarks")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test, not results")
    ap.add_argument("--no-r", action="store_true", help="do not run the R peers")
    ap.add_argument("--r-libs", help="R library folder put first on R's path (e.g. one with survey >= 4.2)")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    ap.add_argument("--render-only", action="store_true",
                    help="run nothing: rewrite RESULTS.md and the README block from the records in RESULTS.json")
    args = ap.parse_args(argv)
    store = args.results.with_suffix(".json")
    if args.render_only:
        old = json.loads(store.read_text())
        written = old.get("written") or max(r["machine"].get("when", "") for r in old["records"])
        return publish(old["records"], old["quick"], old["invocations"], args, written)
    names = args.only or DEFAULT
    passthrough = (["--no-r"] if args.no_r else []) + (["--r-libs", args.r_libs] if args.r_libs else [])
    print(f"load average at start: {B.load_average()}; running {', '.join(names)}"
          + (" (QUICK sizes)" if args.quick else ""), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        records = run(names, args.quick, passthrough, Path(tmp))
    invocations = [argv]
    if args.only and not args.quick and store.exists():
        # rerunning some benchmarks: keep the other benchmarks' latest full-size records
        old = json.loads(store.read_text())
        if not old.get("quick"):
            kept = [r for r in old["records"] if r["name"] not in names]
            order = DEFAULT + OPTIONAL
            records = sorted(kept + records, key=lambda r: order.index(r["name"]))
            invocations = old["invocations"] + invocations
    written = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    store.write_text(json.dumps({"quick": args.quick, "invocations": invocations, "written": written,
                                 "records": records}, indent=1))
    print(f"\nwrote {store}")
    return publish(records, args.quick, invocations, args, written)


def publish(records: list[dict], quick: bool, invocations: list[list[str]], args, written: str | None) -> int:
    """Write RESULTS.md (and README's block after a complete full run); the exit status."""
    args.results.write_text(render(records, quick, invocations, written))
    print(f"wrote {args.results}")
    complete = set(DEFAULT) <= {r["name"] for r in records}
    skipped_r = any(m["why"].startswith("skipped (--no-r)") for r in records for m in r["missing"])
    if complete and not quick and not skipped_r and not args.no_readme:
        if update_readme(readme_block(records)):
            print("updated the performance block of README.md")
    bad = [r["name"] for r in records if r["failures"] or r["exit_status"] != 0]
    if bad:
        print(f"{B.LOUD}\nbenchmarks with failures or disagreements: {', '.join(bad)}\n{B.LOUD}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
