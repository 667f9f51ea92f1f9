"""What a build shows while it runs (progress, ETA) and, with ``--profile``, where its time went.

On a terminal the build keeps one status line at the bottom — a bar, the chapters running
and an estimate of the time left — and prints its ordinary messages above it. In a cron log
(not a terminal) there is no bar: each finished notebook is one plain line with the ETA.
The estimate uses each notebook's time in the previous build (``build/status.json``), and
the mean of those finished so far for notebooks never timed.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path


def fmt_seconds(s: float) -> str:
    """``75`` → ``'1:15'``; ``3725`` → ``'1:02:05'``.

    Examples
    --------
    >>> fmt_seconds(75), fmt_seconds(3725), fmt_seconds(4.2)
    ('1:15', '1:02:05', '0:04')
    """
    s = int(round(max(s, 0)))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def previous_seconds(status_json: Path) -> dict:
    """Each notebook's seconds in the last build that executed it (for the ETA)."""
    try:
        chapters = json.loads(status_json.read_text(encoding="utf-8")).get("chapters", [])
    except (OSError, ValueError):
        return {}
    return {c["id"]: float(c["seconds"]) for c in chapters if c.get("seconds") and c.get("state") in ("ok", "failed")}


class Progress:
    """Progress of the notebooks of one build: ``start(id)``, ``done(id, ok)``, ``log(msg)``, ``close()``."""

    def __init__(self, ids: list[str], jobs: int, log, estimates: dict | None = None, tty: bool | None = None,
                 stream=None):
        self.ids, self.jobs, self._log = list(ids), max(1, jobs), log
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.estimates = {i: estimates[i] for i in ids if estimates and i in estimates}
        self.running: dict = {}
        self.finished: dict = {}
        self.t0 = time.monotonic()
        self._drawn = False

    # the estimate ------------------------------------------------------------
    def _guess(self, tid: str) -> float:
        if tid in self.estimates:
            return self.estimates[tid]
        known = list(self.finished.values()) or list(self.estimates.values())
        return sum(known) / len(known) if known else 10.0

    def eta(self) -> float:
        """Seconds left: what the unfinished notebooks are expected to take, shared among the workers."""
        now = time.monotonic()
        left = 0.0
        for tid in self.ids:
            if tid in self.finished:
                continue
            g = self._guess(tid)
            left += max(g - (now - self.running[tid]), 0.5) if tid in self.running else g
        return left / self.jobs

    # events ------------------------------------------------------------------
    def start(self, tid: str) -> None:
        self.running[tid] = time.monotonic()
        self._draw()

    def done(self, tid: str, seconds: float, line: str) -> None:
        self.running.pop(tid, None)
        self.finished[tid] = seconds
        n, total = len(self.finished), len(self.ids)
        tail = f" · ETA {fmt_seconds(self.eta())}" if n < total else ""
        self.log(f"[{n}/{total}] {line}{tail}")

    def log(self, msg: str) -> None:
        self._clear()
        self._log(msg)
        self._draw()

    def close(self) -> None:
        self._clear()

    # the status line (terminal only) -----------------------------------------
    def line(self, width: int = 100) -> str:
        n, total = len(self.finished), len(self.ids)
        frac = n / total if total else 1.0
        bar_w = 24
        bar = "█" * int(frac * bar_w) + "░" * (bar_w - int(frac * bar_w))
        running = ", ".join(sorted(self.running, key=self.running.get)) or "—"
        text = f"{bar} {n}/{total} {frac:4.0%} · ETA {fmt_seconds(self.eta())} · running: {running}"
        return text if len(text) <= width else text[: width - 1] + "…"

    def _draw(self) -> None:
        if not self.tty:
            return
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self.stream.write("\r\x1b[2K" + self.line(width))
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False


# ----------------------------------------------------------------------------- --profile
def notebook_times(nb_path: Path) -> dict:
    """From an executed notebook's papermill metadata: seconds before the first cell ran (kernel start and
    setup) and seconds of cell execution."""
    import datetime as dt

    try:
        nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    meta = (nb.get("metadata") or {}).get("papermill") or {}
    cells = [(c.get("metadata") or {}).get("papermill") or {} for c in nb.get("cells", [])]
    execution = sum(float(c.get("duration") or 0) for c in cells)
    starts = [c["start_time"] for c in cells if c.get("start_time")]
    setup = None
    if meta.get("start_time") and starts:
        try:
            setup = (dt.datetime.fromisoformat(min(starts)) - dt.datetime.fromisoformat(meta["start_time"])).total_seconds()
        except ValueError:
            setup = None
    return {"execution": execution, "setup": setup}


def profile_report(phases: dict, chapters: list[dict], wall: float) -> str:
    """The ``--profile`` table: wall time per phase, and inside execution the task-seconds of kernel
    starts, cell execution and the rest (worker start, papermill, writing notebooks)."""
    ran = [c for c in chapters if c.get("state") in ("ok", "failed", "timeout")]
    kernels = sum(int(c.get("kernels") or 0) for c in ran)
    k_sec = sum(float(c.get("kernel_seconds") or 0) for c in ran)
    e_sec = sum(float(c.get("exec_seconds") or 0) for c in ran)
    t_sec = sum(float(c.get("seconds") or 0) for c in ran)
    lines = [f"where the time went ({wall:.1f} s wall):"]
    names = {"plan": "plan (manifest, cache keys)", "data": "data (warehouse)", "execute": "execute notebooks",
             "render": "render chapters", "assemble": "assemble (records, diff, index)", "pdf": "PDF",
             "docx": "Word manuscript", "publish": "publish"}
    for k, label in names.items():
        if k in phases:
            lines.append(f"  {label:<34}{phases[k]:8.2f} s")
        if k == "execute" and ran:
            lines.append(f"      {len(ran)} notebook(s), {kernels} kernel start(s): task-seconds summed over workers —")
            lines.append(f"      {'kernel start':<30}{k_sec:8.2f} s")
            lines.append(f"      {'cell execution':<30}{e_sec:8.2f} s")
            lines.append(f"      {'worker, papermill, writing':<30}{max(t_sec - k_sec - e_sec, 0):8.2f} s")
    cached = sum(c.get("state") == "cached" for c in chapters)
    if cached:
        lines.append(f"  ({cached} notebook(s) from the cache)")
    return "\n".join(lines)
