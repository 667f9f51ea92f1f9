"""Benchmark the book pipeline against the plain tools (papermill CLI + nbconvert CLI, one by one).

1. cold full edition with `ecd build -j 2` vs every notebook task run serially with the
   `papermill` CLI and rendered with the `jupyter nbconvert` CLI (goal: ≤ 0.4 of the serial time);
2. a no-op rebuild (goal: < 2 s);
3. one changed input: which chapters re-run (only its dependents).

Runs on a temporary copy of the project (chapters/, notebooks/, data/raw/); prints seconds and ratios.
Usage: python benchmarks/book.py [--jobs 2] [--limit N]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def copy_home(dst: Path) -> Path:
    for part in ("chapters", "notebooks", "data/raw"):
        shutil.copytree(REPO / part, dst / part)
    return dst


def run(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode not in (0, 10):
        print(r.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"command failed ({r.returncode}): {' '.join(cmd)}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecd-bench-") as tmp:
        home = copy_home(Path(tmp) / "home")
        env = {**os.environ, "ECD_HOME": str(home), "MPLBACKEND": "Agg"}
        sys.path.insert(0, str(REPO / "src"))
        os.environ["ECD_HOME"] = str(home)
        from ecd.book._manifest import load_manifest
        from ecd import data

        data.build()  # both sides start from a built warehouse
        m = load_manifest()
        print(f"book: {len(m.groups)} chapters, {len(m.chapters)} notebook tasks")

        # serial baseline: papermill CLI per task, nbconvert CLI per executed notebook
        out = Path(tmp) / "serial"
        out.mkdir()
        t_serial = 0.0
        for c in m.chapters:
            nb_out = out / f"{c.id}.ipynb"
            pfile = out / f"{c.id}.params.json"
            pfile.write_text(json.dumps(c.params, ensure_ascii=False))
            t_serial += run([str(BIN / "papermill"), str(home / c.notebook), str(nb_out), "-f", str(pfile),
                             "--cwd", str(home), "-k", "python3", "--no-progress-bar"], env)
            t_serial += run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb_out)], env)
        print(f"serial papermill CLI + nbconvert CLI: {t_serial:8.1f} s")

        t_cold = run([str(BIN / "ecd"), "build", "-j", str(args.jobs), "--no-pdf"], env)
        print(f"ecd build -j {args.jobs} (cold, incl. assembly): {t_cold:8.1f} s   ratio {t_cold / t_serial:.2f} (goal ≤ 0.40)")

        t_noop = run([str(BIN / "ecd"), "build", "-j", str(args.jobs), "--no-pdf"], env)
        print(f"no-op rebuild:                        {t_noop:8.2f} s   (goal < 2 s)")

        target = home / "data" / "raw" / "mchss"
        csv = next(target.glob("*.csv"))
        csv.write_text(csv.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # content change, same values
        meta = csv.with_suffix(".meta.yaml")
        import hashlib
        import re

        digest = hashlib.sha256(csv.read_bytes()).hexdigest()
        meta.write_text(re.sub(r"sha256: \w+", f"sha256: {digest}", meta.read_text(encoding="utf-8")), encoding="utf-8")
        t_one = run([str(BIN / "ecd"), "build", "-j", str(args.jobs), "--no-pdf"], env)
        status = json.loads((home / "build" / "status.json").read_text(encoding="utf-8"))
        rerun = [c["id"] for c in status["chapters"] if c["state"] == "ok"]
        users = [c.id for c in m.chapters if any(u in ("data/raw", "data/raw/mchss") for u in c.uses)]
        print(f"one changed input (data/raw/mchss):  {t_one:8.1f} s   re-ran {rerun}; declared users {users}")


if __name__ == "__main__":
    main()
