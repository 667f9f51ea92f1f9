"""Benchmark the book pipeline against the plain tools (papermill CLI + nbconvert CLI, one by one).

1. cold full edition with `ecd build -j 2` vs every notebook task run serially with the
   `papermill` CLI and rendered with the `jupyter nbconvert` CLI (goal: ≤ 0.2 of the serial time),
   with `--profile` printed (where the time went: kernel starts, execution, render);
2. a no-op rebuild (goal: ≤ 0.5 s);
3. one prose edit: `ecd build` re-renders that chapter only (goal: ≤ 5 s without the PDF);
4. one changed input: which chapters re-run (only its dependents).

Runs on a temporary copy of the project (chapters/, notebooks/, data/raw/). Each side is one run
(the whole book takes minutes); wall and CPU (the commands and all their children) are printed
separately, and the ratio as serial / ecd. Not part of the default ``make bench``: run it with
``python benchmarks/run_all.py --only book``.
Usage: python benchmarks/book.py [--jobs 2]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import _bench as B

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def copy_home(dst: Path) -> Path:
    for part in ("chapters", "notebooks", "data/raw"):
        shutil.copytree(REPO / part, dst / part)
    return dst


def run(cmd: list[str], env: dict, show: bool = False, may_fail: bool = False) -> tuple[float, float]:
    wall, cpu, r = B.run_timed(cmd, env=env, capture_output=True, text=True)
    if r.returncode not in (0, 10) and not may_fail:
        print(r.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"command failed ({r.returncode}): {' '.join(cmd)}")
    if show:
        print(r.stdout.rstrip())
    return wall, cpu


def preview_latency(home: Path, prose: Path) -> float:
    """Seconds from a prose edit to the preview serving the page with it (the reload event included)."""
    import queue
    import threading
    import time
    import urllib.request

    from ecd.book._preview import serve

    page = prose.stem + ".html"
    ready, stop, events, started = threading.Event(), threading.Event(), queue.Queue(), {}
    t = threading.Thread(target=serve, daemon=True, kwargs={
        "port": 0, "stop": stop, "log": lambda _: None, "ready": lambda url, p: (started.update(url=url), ready.set())})
    t.start()
    ready.wait(1800)
    url = started["url"]
    urllib.request.urlopen(url + page, timeout=600).read()  # the page as it is

    def listen():
        with urllib.request.urlopen(f"{url}__events?page={page}", timeout=600) as r:
            for raw in r:
                if raw.strip() == b"data: reload":
                    events.put(time.monotonic())
                    return

    threading.Thread(target=listen, daemon=True).start()
    time.sleep(1.0)
    t0 = time.monotonic()
    prose.write_text(prose.read_text(encoding="utf-8") + "\n预览计时所加的一句。\n", encoding="utf-8")
    events.get(timeout=600)
    text = urllib.request.urlopen(url + page, timeout=600).read().decode("utf-8")
    shown = time.monotonic() - t0
    stop.set()
    t.join(timeout=30)
    if "预览计时所加的一句" not in text:
        raise SystemExit("the preview did not show the edit")
    return shown


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    args = B.common_args(ap, repeat=1).parse_args(argv)
    report = B.Report("book", "the whole book: ecd build vs papermill + nbconvert CLIs one by one", args)
    with tempfile.TemporaryDirectory(prefix="ecd-bench-") as tmp:
        home = copy_home(Path(tmp) / "home")
        env = {**os.environ, "ECD_HOME": str(home), "MPLBACKEND": "Agg"}
        sys.path.insert(0, str(REPO / "src"))
        os.environ["ECD_HOME"] = str(home)
        from ecd import data
        from ecd.book._manifest import load_manifest

        data.build()  # both sides start from a built warehouse
        m = load_manifest()
        size = f"{len(m.groups)} chapters, {len(m.chapters)} notebook tasks"

        # serial baseline: papermill CLI per task, nbconvert CLI per executed notebook
        out = Path(tmp) / "serial"
        out.mkdir()
        walls, cpus = 0.0, 0.0
        for c in m.chapters:
            nb_out = out / f"{c.id}.ipynb"
            pfile = out / f"{c.id}.params.json"
            pfile.write_text(json.dumps(c.params, ensure_ascii=False))
            # a notebook that fails stops at the same cell on both sides: it counts on both, as far as it runs
            for cmd in ([str(BIN / "papermill"), str(home / c.notebook), str(nb_out), "-f", str(pfile),
                         "--cwd", str(home), "-k", "python3", "--no-progress-bar"],
                        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb_out)]):
                w, c_ = run(cmd, env, may_fail=True)
                walls, cpus = walls + w, cpus + c_
        serial = B.Timing((walls,), (cpus,))
        build = [str(BIN / "ecd"), "build", "-j", str(args.jobs), "--no-pdf"]
        cold = B.Timing(*map(lambda v: (v,), run(build + ["--profile"], env, show=True)))
        report.timed(f"cold build, -j {args.jobs}", size, cold, serial, "papermill + nbconvert CLIs",
                     note="goal: ecd ≤ 0.20 of the serial time, i.e. ratio ≥ 5×")
        noops = [run(build, env) for _ in range(3)]
        noop = B.Timing(tuple(w for w, _ in noops), tuple(c for _, c in noops))
        report.timed("no-op rebuild", size, noop, note="ecd alone; goal ≤ 0.5 s")

        prose = home / "chapters" / "nutrition.md"
        prose.write_text(prose.read_text(encoding="utf-8") + "\n本句为基准测试所加。\n", encoding="utf-8")
        edit = B.Timing(*map(lambda v: (v,), run(build, env)))
        status = json.loads((home / "build" / "status.json").read_text(encoding="utf-8"))
        ran = [c["id"] for c in status["chapters"] if c["state"] != "cached"]
        report.timed("one prose edit (nutrition.md)", size, edit, note="ecd alone; goal ≤ 5 s without the PDF")
        report.check("one prose edit", "the cache", not ran, "a prose edit executes no notebook", f"executed {ran}")
        report.check("one prose edit", "the render cache", status.get("rendered") == ["nutrition"],
                     "a prose edit renders only its page", f"rendered {status.get('rendered')}")
        shown = preview_latency(home, prose)
        report.timed("preview: prose edit shown", "one chapter page", B.Timing((shown,), (shown,)),
                     note="edit → reload event → page with the new sentence served; goal ≤ 2 s (CPU not measured)")

        target = home / "data" / "raw" / "mchss"
        csv = next(target.glob("*.csv"))
        csv.write_text(csv.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # content change, same values
        meta = csv.with_suffix(".meta.yaml")
        import hashlib
        import re

        digest = hashlib.sha256(csv.read_bytes()).hexdigest()
        meta.write_text(re.sub(r"sha256: \w+", f"sha256: {digest}", meta.read_text(encoding="utf-8")), encoding="utf-8")
        one = B.Timing(*map(lambda v: (v,), run([str(BIN / "ecd"), "build", "-j", str(args.jobs), "--no-pdf"], env)))
        status = json.loads((home / "build" / "status.json").read_text(encoding="utf-8"))
        rerun = [c["id"] for c in status["chapters"] if c["state"] == "ok"]
        users = [c.id for c in m.chapters if any(u in ("data/raw", "data/raw/mchss") for u in c.uses)]
        report.timed("one changed input (data/raw/mchss)", size, one, note=f"ecd alone; re-ran {rerun}")
        report.check("one changed input", "the manifest", set(rerun) <= set(users),
                     "only chapters that declare the input re-run", f"re-ran {rerun}; declared users {users}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
