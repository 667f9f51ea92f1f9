"""Shared harness of the benchmarks: like-for-like timing, R peers, agreement checks, results.

Every benchmark script uses this module and nothing else for timing and checking, so that every
printed ratio means the same thing:

- **Timing.** :func:`best_of` (Python) and :meth:`RPeer.run` (R) time the same task ``repeat``
  times and keep the best wall-clock and the best CPU time (user + system of the process, all
  its threads). A ratio is printed as wall/wall and CPU/CPU, never across the two.
- **Same data.** :func:`share` writes a frame once to a CSV file in a temporary folder; R reads
  that file and ecd reads it back with :func:`read_shared` (round-trip float precision), so both
  sides compute on the same numbers. Reading is outside both timings.
- **Agreement.** :func:`compare` measures, column by column, the largest absolute and relative
  difference where both sides have a value and the rows where only one of them is missing;
  :meth:`Report.agreement` prints it and a disagreement beyond the stated tolerance loudly, and
  :meth:`Report.finish` then returns exit status 1.
- **Results.** With ``--json PATH`` a script writes its timings, agreement checks, peer versions
  and missing peers as JSON; ``benchmarks/run_all.py`` (``make bench``) collects them into
  ``benchmarks/RESULTS.md``.

Ratios are only printed for sizes both sides actually ran. A size ecd runs alone (the full
size, when R's part is kept small with ``--r-*`` options) is reported as ecd's own time, never
scaled into an R figure.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

TIMING_TAG = "ECD_BENCH_TIMING"
LOUD = "!" * 78


# ----------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class Timing:
    """Best wall-clock and best CPU seconds of ``runs`` runs of one task (each list in run order)."""

    walls: tuple[float, ...]
    cpus: tuple[float, ...]

    def __post_init__(self):
        if not self.walls or len(self.walls) != len(self.cpus):
            raise ValueError(f"a timing needs one CPU time per wall time and at least one run; got {self.walls!r}, {self.cpus!r}")

    @property
    def wall(self) -> float:
        return min(self.walls)

    @property
    def cpu(self) -> float:
        return min(self.cpus)

    @property
    def runs(self) -> int:
        return len(self.walls)

    def text(self) -> str:
        return f"{self.wall:.3f} s wall, {self.cpu:.3f} s CPU (best of {self.runs})"


def best_of(fn: Callable[[], object], repeat: int) -> tuple[Timing, object]:
    """Run ``fn`` ``repeat`` times; return its :class:`Timing` and the last run's result.

    A garbage collection runs before every run, outside the timing (the R side does the same).
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return Timing(tuple(walls), tuple(cpus)), out


def run_timed(cmd: Sequence[str], **kwargs) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a command; return its wall seconds, its CPU seconds (user + system) and the result.

    CPU comes from ``getrusage(RUSAGE_CHILDREN)`` before and after, so it covers the command
    and everything it waited for.
    """
    import resource  # noqa: PLC0415 (POSIX only; the benchmarks run on Linux)

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(list(cmd), **kwargs)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def ratio(peer: float, ours: float) -> float:
    """``peer / ours``; NaN when either is not a positive number."""
    return peer / ours if ours > 0 and peer > 0 else math.nan


def fmt_ratio(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    if x < 1:
        return f"{x:.2g}×"
    return f"{x:,.0f}×" if x >= 100 else f"{x:,.1f}×"


# ----------------------------------------------------------------------------- shared data
def share(df: pd.DataFrame, folder: str | Path, name: str) -> Path:
    """Write ``df`` once as CSV (``NA`` for missing, full float precision) for both sides to read."""
    path = Path(folder) / f"{name}.csv"
    df.to_csv(path, index=False, na_rep="NA")
    return path


def read_shared(path: str | Path, **kwargs) -> pd.DataFrame:
    """Read a file written by :func:`share` or by R's ``ecd_write`` exactly as written.

    Only the text ``NA`` is missing; ``Inf``/``-Inf`` are infinities; floats round-trip.
    """
    kwargs.setdefault("keep_default_na", False)
    kwargs.setdefault("na_values", ["NA"])
    if int(pd.__version__.split(".")[0]) < 3:  # pandas 3 parses floats exactly by default
        kwargs.setdefault("float_precision", "round_trip")
    return pd.read_csv(path, **kwargs)


# ----------------------------------------------------------------------------- agreement
@dataclass(frozen=True)
class ColumnAgreement:
    """How one column of ecd's output compares with the peer's on the same rows."""

    column: str
    n: int  # rows where both have a value
    max_abs: float
    max_rel: float
    only_ours_missing: int
    only_theirs_missing: int
    n_beyond: int  # rows with both values whose difference exceeds atol + rtol·|theirs|
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return self.n_beyond == 0 and self.only_ours_missing == 0 and self.only_theirs_missing == 0

    def text(self) -> str:
        na = ("same missing-value pattern" if not (self.only_ours_missing or self.only_theirs_missing)
              else f"missing only in ecd: {self.only_ours_missing}, only in peer: {self.only_theirs_missing}")
        beyond = "" if not self.n_beyond else f"; {self.n_beyond} rows beyond tolerance"
        return (f"{self.column:<14} n={self.n:<8,} max abs {self.max_abs:.2e}  max rel {self.max_rel:.2e}  "
                f"(tol abs {self.atol:g} + rel {self.rtol:g}); {na}{beyond}")


def _numeric(values: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return None


def compare_column(ours: pd.Series, theirs: pd.Series, atol: float = 0.0, rtol: float = 0.0,
                   name: str | None = None) -> ColumnAgreement:
    """Compare two aligned columns. Text columns must be equal; numbers within ``atol + rtol·|theirs|``.

    Infinities must match exactly (same sign). Missing values are compared as a pattern.
    """
    if len(ours) != len(theirs):
        raise ValueError(f"column {name or ours.name}: {len(ours)} rows from ecd but {len(theirs)} from the peer")
    a, b = _numeric(ours), _numeric(theirs)
    if a is None or b is None:
        a_na, b_na = ours.isna().to_numpy(), theirs.isna().to_numpy()
        both = ~a_na & ~b_na
        diff = ours.astype(str).to_numpy()[both] != theirs.astype(str).to_numpy()[both]
        n_beyond = int(diff.sum())
        return ColumnAgreement(name or str(ours.name), int(both.sum()), float(n_beyond > 0), float(n_beyond > 0),
                               int((a_na & ~b_na).sum()), int((b_na & ~a_na).sum()), n_beyond, 0.0, 0.0)
    a_na, b_na = np.isnan(a), np.isnan(b)
    both = ~a_na & ~b_na
    x, y = a[both], b[both]
    inf = np.isinf(x) | np.isinf(y)
    inf_bad = inf & (x != y)
    fin = ~inf
    d = np.abs(x[fin] - y[fin])
    scale = np.abs(y[fin])
    rel = np.divide(d, scale, out=np.where(d == 0, 0.0, np.inf), where=scale > 0)
    beyond = d > atol + rtol * scale
    return ColumnAgreement(
        column=name or str(ours.name), n=int(both.sum()),
        max_abs=float(d.max()) if d.size else 0.0, max_rel=float(rel.max()) if rel.size else 0.0,
        only_ours_missing=int((a_na & ~b_na).sum()), only_theirs_missing=int((b_na & ~a_na).sum()),
        n_beyond=int(beyond.sum() + inf_bad.sum()), atol=float(atol), rtol=float(rtol))


def compare(ours: pd.DataFrame, theirs: pd.DataFrame,
            tolerances: Mapping[str, tuple[float, float]]) -> list[ColumnAgreement]:
    """Compare the columns named in ``tolerances`` (``{column: (atol, rtol)}``) of two aligned frames.

    The frames must have the same rows in the same order (align them on a key first); a column
    missing from either side is an error, not a silent pass.
    """
    if len(ours) != len(theirs):
        raise ValueError(f"ecd has {len(ours)} rows, the peer {len(theirs)}: align the frames on their key first")
    missing = [c for c in tolerances if c not in ours.columns or c not in theirs.columns]
    if missing:
        raise KeyError(f"columns {missing} missing from ecd ({[c for c in missing if c not in ours.columns]}) "
                       f"or the peer ({[c for c in missing if c not in theirs.columns]})")
    return [compare_column(ours[c].reset_index(drop=True), theirs[c].reset_index(drop=True), *tol, name=c)
            for c, tol in tolerances.items()]


# ----------------------------------------------------------------------------- R peers
R_PRELUDE = r"""
options(warn = 1)
ecd_repeat <- as.integer(Sys.getenv("ECD_BENCH_REPEAT", "1"))
ecd_args <- commandArgs(TRUE)
# time f() ecd_repeat times; print one line per run; return the last run's value
ecd_bench <- function(label, f) {
  out <- NULL
  for (i in seq_len(ecd_repeat)) {
    out <- NULL
    invisible(gc())
    t0 <- proc.time()
    out <- f()
    t <- proc.time() - t0
    cpu <- sum(c(t[["user.self"]], t[["sys.self"]], t[["user.child"]], t[["sys.child"]]), na.rm = TRUE)
    cat(sprintf("ECD_BENCH_TIMING\t%s\t%d\t%.6f\t%.6f\n", label, i, t[["elapsed"]], cpu))
  }
  out
}
# write a data frame with every double at full precision (write.csv keeps only 15 digits)
ecd_write <- function(df, path) {
  df <- as.data.frame(df)
  for (j in seq_along(df)) {
    x <- df[[j]]
    if (is.factor(x)) x <- as.character(x)
    if (is.double(x)) x <- ifelse(is.na(x), NA_character_, sprintf("%.17g", x))
    df[[j]] <- x
  }
  write.csv(df, path, row.names = FALSE, na = "NA")
}
"""


@dataclass
class RPeer:
    """``Rscript`` with the packages a benchmark needs; ``why_not`` is '' when usable.

    ``r_libs`` (``--r-libs``, default the environment's ``R_LIBS``) is put first on R's library
    path, e.g. a private library with a newer ``survey``.
    """

    packages: Sequence[str]
    r_libs: str | None = None
    rscript: str | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    r_version: str | None = None
    why_not: str = ""

    def __post_init__(self):
        self.rscript = self.rscript or shutil.which("Rscript")
        if self.rscript is None:
            self.why_not = "Rscript not found on PATH"
            self.versions = {p: None for p in self.packages}
            return
        code = ("cat(R.version$major, '.', R.version$minor, '\\n', sep='');"
                f"for (p in c({', '.join(repr(p) for p in self.packages)})) "
                "cat(p, if (requireNamespace(p, quietly = TRUE)) as.character(packageVersion(p)) else 'NA', '\\n')")
        try:
            done = subprocess.run([self.rscript, "-e", code], capture_output=True, text=True, env=self.env(),
                                  timeout=300)
        except (OSError, subprocess.TimeoutExpired) as err:
            self.why_not = f"Rscript could not run ({err})"
            self.versions = {p: None for p in self.packages}
            return
        lines = done.stdout.split("\n")
        self.r_version = lines[0].strip() or None
        for line in lines[1:]:
            parts = line.split()
            if len(parts) == 2:
                self.versions[parts[0]] = None if parts[1] == "NA" else parts[1]
        missing = [p for p in self.packages if not self.versions.get(p)]
        if done.returncode != 0 or self.r_version is None:
            self.why_not = f"Rscript failed: {done.stderr.strip()[-300:]}"
        elif missing:
            self.why_not = "R package(s) not installed: " + ", ".join(missing)

    @property
    def ok(self) -> bool:
        return not self.why_not

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.r_libs:
            env["R_LIBS"] = self.r_libs
        return env

    def version(self, package: str) -> tuple[int, ...]:
        """The installed version as a tuple of ints (``()`` when not installed)."""
        return version_tuple(self.versions.get(package) or "")

    def run(self, script: str, args: Iterable[str | Path], repeat: int, timeout: float | None = None,
            folder: str | Path | None = None) -> dict[str, Timing]:
        """Run ``script`` (after :data:`R_PRELUDE`) with ``args``; return ``{label: Timing}``.

        The script times its task with ``ecd_bench("label", function() ...)`` (``ecd_repeat``
        runs) and writes results with ``ecd_write``. A failing script raises ``RuntimeError``
        with R's message.
        """
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            path = Path(tmp) / "bench.R"
            path.write_text(R_PRELUDE + script)
            env = self.env()
            env["ECD_BENCH_REPEAT"] = str(int(repeat))
            try:
                done = subprocess.run([self.rscript, str(path), *map(str, args)], capture_output=True, text=True,
                                      env=env, timeout=timeout)
            except subprocess.TimeoutExpired as err:
                raise RuntimeError(f"R did not finish within {timeout:.0f} s") from err
        if done.returncode != 0:
            raise RuntimeError(f"R failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")
        return parse_r_timings(done.stdout)


def parse_r_timings(stdout: str) -> dict[str, Timing]:
    """``{label: Timing}`` from the ``ECD_BENCH_TIMING`` lines R printed."""
    runs: dict[str, tuple[list[float], list[float]]] = {}
    for line in stdout.splitlines():
        if line.startswith(TIMING_TAG + "\t"):
            _, label, _, wall, cpu = line.split("\t")
            w, c = runs.setdefault(label, ([], []))
            w.append(float(wall))
            c.append(float(cpu))
    return {label: Timing(tuple(w), tuple(c)) for label, (w, c) in runs.items()}


def version_tuple(text: str) -> tuple[int, ...]:
    """``'0.11.1'`` → ``(0, 11, 1)``; ``'4.1-1'`` → ``(4, 1, 1)``; ``''`` → ``()``."""
    return tuple(int(p) for p in re.findall(r"\d+", text))


# ----------------------------------------------------------------------------- machine facts
def machine() -> dict[str, object]:
    """Facts that make timings comparable: CPU, cores, memory, OS, load, Python stack."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    facts = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu, "cores": os.cpu_count(), "cores_usable": usable, "memory_gib": mem,
             "os": platform.platform(), "python": platform.python_version(),
             "load_average": load_average(), "niceness": os.nice(0) if hasattr(os, "nice") else None}
    for mod in ("numpy", "pandas", "scipy"):
        try:
            facts[mod] = __import__(mod).__version__
        except ImportError:
            facts[mod] = None
    facts["ecd_commit"] = git_commit()
    return facts


def load_average() -> tuple[float, float, float] | None:
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return None


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "status", "--porcelain", "--",
                            ":/src", ":/benchmarks", ":(exclude,top)benchmarks/RESULTS.*"], capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + ("+changes" if dirty else "")


# ----------------------------------------------------------------------------- report
def common_args(parser: argparse.ArgumentParser, repeat: int = 3) -> argparse.ArgumentParser:
    """Options every benchmark has: ``--repeat``, ``--no-r``, ``--r-libs``, ``--json``."""
    parser.add_argument("--repeat", type=int, default=repeat, help="runs per task on BOTH sides; the best is kept")
    parser.add_argument("--no-r", action="store_true", help="do not run the R peers (ecd is still timed)")
    parser.add_argument("--r-libs", default=os.environ.get("R_LIBS") or None,
                        help="R library folder put first on R's path (default: $R_LIBS)")
    parser.add_argument("--r-timeout", type=float, default=3600, help="seconds before an R run is abandoned")
    parser.add_argument("--json", type=Path, help="write the results as JSON here (run_all.py collects them)")
    return parser


class Report:
    """Prints a benchmark's findings as they come and records them for RESULTS.md."""

    def __init__(self, name: str, title: str, args: argparse.Namespace | None = None):
        self.name, self.title = name, title
        self.json_path = getattr(args, "json", None)
        self.facts = machine()
        self.timings: list[dict] = []
        self.checks: list[dict] = []
        self.peers: dict[str, str | None] = {}
        self.missing: list[dict] = []
        self.notes: list[str] = []
        self.failures: list[str] = []
        load = self.facts["load_average"]
        print(f"== {name}: {title}")
        print(f"machine: {self.facts['cpu']}, {self.facts['cores_usable']} usable cores, "
              f"load average {'/'.join(f'{x:.2f}' for x in load) if load else 'unknown'} (1/5/15 min) at start")

    # peers ----------------------------------------------------------------
    def py_peer(self, label: str, module: str, distribution: str | None = None):
        """Import a Python peer; record its version, or report it missing. Returns the module or None."""
        import importlib  # noqa: PLC0415
        from importlib import metadata  # noqa: PLC0415

        try:
            mod = importlib.import_module(module)
        except ImportError as err:
            self.missing_peer(label, f"not installed ({err}); make bench installs it in .venv-bench")
            return None
        try:
            self.peers[label] = metadata.version(distribution or module)
        except metadata.PackageNotFoundError:
            self.peers[label] = getattr(mod, "__version__", "unknown")
        return mod

    def r_peer(self, packages: Sequence[str], args: argparse.Namespace, label: str | None = None) -> RPeer | None:
        """Probe R and ``packages``; print their versions, or which are missing. None when unusable."""
        if getattr(args, "no_r", False):
            self.missing_peer(label or "R " + ", ".join(packages), "skipped (--no-r)")
            return None
        peer = RPeer(packages, r_libs=getattr(args, "r_libs", None))
        if peer.r_version:
            self.peers["R"] = peer.r_version
        for p, v in peer.versions.items():
            self.peers[p] = v
        if peer.r_libs:
            self.notes.append(f"R_LIBS={peer.r_libs}")
        found = ", ".join(f"{p} {v}" for p, v in peer.versions.items() if v)
        if peer.ok:
            print(f"peer: R {peer.r_version}" + (f"; {found}" if found else "")
                  + (f" (R_LIBS={peer.r_libs})" if peer.r_libs else ""))
            return peer
        self.missing_peer(label or "R " + ", ".join(packages), peer.why_not)
        return None

    def run_r(self, peer: RPeer, script: str, script_args: Iterable, args: argparse.Namespace,
              what: str) -> dict[str, Timing] | None:
        """Run an R benchmark script ``args.repeat`` times; None (and a loud failure) if R fails."""
        print(f"running {what}, {args.repeat} run{'s' if args.repeat != 1 else ''} ...", flush=True)
        try:
            return peer.run(script, script_args, args.repeat, timeout=getattr(args, "r_timeout", None))
        except RuntimeError as err:
            self.fail(f"{what} did not run: {err}")
            return None

    def missing_peer(self, peer: str, why: str) -> None:
        print(f"peer not available: {peer} — {why}; ecd is timed alone")
        self.missing.append({"peer": peer, "why": why})

    def note(self, text: str) -> None:
        print(f"note: {text}")
        self.notes.append(text)

    # results --------------------------------------------------------------
    def timed(self, task: str, size: str, ecd: Timing, peer: Timing | None = None, peer_name: str | None = None,
              note: str = "") -> None:
        """Record and print one task's timings; the ratio only when both sides ran this size."""
        row = {"task": task, "size": size, "ecd_wall": ecd.wall, "ecd_cpu": ecd.cpu, "ecd_runs": ecd.runs,
               "peer": peer_name if peer else None, "note": note}
        print(f"  {task} [{size}]")
        print(f"    ecd                 {ecd.text()}")
        if peer is not None:
            rw, rc = ratio(peer.wall, ecd.wall), ratio(peer.cpu, ecd.cpu)
            row.update(peer_wall=peer.wall, peer_cpu=peer.cpu, peer_runs=peer.runs, ratio_wall=rw, ratio_cpu=rc)
            print(f"    {peer_name:<19} {peer.text()}")
            print(f"    ratio {peer_name} / ecd: wall/wall {fmt_ratio(rw)}, CPU/CPU {fmt_ratio(rc)}")
        if note:
            print(f"    ({note})")
        self.timings.append(row)

    def agreement(self, task: str, peer_name: str, columns: list[ColumnAgreement], what: str = "",
                  tolerance: str = "", strict: bool = True, shown: list[ColumnAgreement] | None = None) -> bool:
        """Print how ecd's numbers compare with the peer's; loudly, and a failure, when they disagree.

        ``strict=False`` is for a peer known to deviate from the reference: its differences are
        reported but are not a failure. ``shown`` limits the printed columns (all are recorded).
        """
        ok = all(c.ok for c in columns) and bool(columns)
        status = "AGREE" if ok else ("DISAGREE" if strict else "DIFFERS (reported, not checked)")
        print(f"  agreement with {peer_name}, {task}{' — ' + what if what else ''}: {status}"
              + (f" (tolerance: {tolerance})" if tolerance else ""))
        for c in (columns if shown is None else shown):
            print(("    " if c.ok else "  ✗ ") + c.text())
        if shown is not None and len(shown) < len(columns):
            bad = sum(not c.ok for c in columns)
            print(f"    ... {len(columns) - len(shown)} more columns not shown; {bad} of {len(columns)} outside tolerance")
        worst_rel = max((c.max_rel for c in columns if math.isfinite(c.max_rel)), default=0.0)
        worst_abs = max((c.max_abs for c in columns), default=0.0)
        self.checks.append({"task": task, "peer": peer_name, "ok": ok, "strict": strict, "what": what,
                            "tolerance": tolerance, "max_abs": worst_abs, "max_rel": worst_rel,
                            "n": sum(c.n for c in columns), "columns": [asdict(c) | {"ok": c.ok} for c in columns]})
        if not ok and strict:
            self.fail(f"{task}: ecd and {peer_name} disagree beyond the stated tolerance in "
                      + ", ".join(c.column for c in columns if not c.ok) if columns else f"{task}: nothing compared")
        return ok

    def check(self, task: str, peer_name: str, ok: bool, what: str, detail: str = "") -> bool:
        """A non-columnar agreement check (e.g. the number of breakpoints selected)."""
        print(f"  agreement with {peer_name}, {task} — {what}: {'AGREE' if ok else 'DISAGREE'}"
              + (f" ({detail})" if detail else ""))
        self.checks.append({"task": task, "peer": peer_name, "ok": bool(ok), "strict": True, "what": what,
                            "tolerance": detail,
                            "max_abs": None, "max_rel": None, "n": None, "columns": []})
        if not ok:
            self.fail(f"{task}: {what} — {detail}")
        return ok

    def fail(self, text: str) -> None:
        self.failures.append(text)
        for stream in (sys.stdout, sys.stderr):
            print(f"{LOUD}\nDISAGREEMENT: {text}\n{LOUD}", file=stream, flush=True)

    def finish(self) -> int:
        """Write the JSON record (``--json``); return 1 if any check disagreed, else 0."""
        self.facts["load_average_end"] = load_average()
        if self.json_path:
            record = {"name": self.name, "title": self.title, "machine": self.facts, "peers": self.peers,
                      "missing": self.missing, "notes": self.notes, "timings": self.timings,
                      "checks": self.checks, "failures": self.failures}
            Path(self.json_path).write_text(json.dumps(record, indent=1, default=_json_default))
        if self.failures:
            print(f"{self.name}: {len(self.failures)} disagreement(s) — exit status 1", file=sys.stderr)
            return 1
        strict = [c for c in self.checks if c.get("strict", True)]
        reported = len(self.checks) - len(strict)
        n = len(strict)
        print((f"{self.name}: done; {n} agreement check{'s' if n != 1 else ''}, all agree" if n
               else f"{self.name}: done; no R or reference peer ran, nothing checked")
              + (f"; {reported} comparison(s) with a peer known to deviate reported only" if reported else ""))
        return 0


def _json_default(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
