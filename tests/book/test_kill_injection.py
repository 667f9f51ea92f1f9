"""Fault injection: ``ecd build`` is SIGKILLed at 20 seeded random moments (issue 16, "done when").

A small project home (two chapters, a warehouse data step over the fixture raw
data) is built once; then 20 times an input changes (prose only, a chapter's
data, a raw file of the warehouse, or nothing), a build starts and is killed
after a random delay — while it plans, builds the warehouse, executes,
renders or publishes. After each kill:

- no process of the dead run remains (workers and kernels die with the build);
- ``build/current`` is a complete release, and no release ever changes once made;
- the warehouse verifies against its manifest (never half written, never missing).

A last build without a kill must publish the latest inputs (everything heals).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecd.book._procs import of_run

from minihome import PARAMS, PROSE, MiniHome, default_manifest, make_notebook

pytestmark = pytest.mark.slow

SEED = 16
KILLS = 20
FIXTURE_RAW = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "home" / "data" / "raw"
PAGES = ("index.html", "alpha.html", "beta.html", "numbers.json", "chapters.json")


def _home(root: Path) -> MiniHome:
    (root / "chapters").mkdir(parents=True)
    make_notebook(root / "notebooks" / "ch.ipynb", PARAMS)
    (root / "chapters" / "alpha.md").write_text(PROSE, encoding="utf-8")
    shutil.copytree(FIXTURE_RAW, root / "data" / "raw")
    h = MiniHome(root)
    for which, values in (("a", [1.0, 2.0, 3.5]), ("b", [10.0, 20.0])):
        _inputs(root, which, values)
    m = default_manifest()
    m["data"] = [{"id": "warehouse", "action": "warehouse"}]
    m["chapters"] = m["chapters"][:2]
    m["chapters"][0].update(uses=["warehouse", "inputs/a"], params={"label": "110000", "data_file": "inputs/a/values.csv"})
    m["chapters"][1].update(uses=["inputs/b"], params={"data_file": "inputs/b/values.csv"})
    h.write_manifest(m)
    return h


def _inputs(root: Path, which: str, values: list[float]) -> None:
    p = root / "inputs" / which / "values.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("year,value\n" + "".join(f"{2020 + i},{v}\n" for i, v in enumerate(values)), encoding="utf-8")


def _raw_extra(root: Path, value: float) -> None:
    """A second raw source for the warehouse (its sidecar with the right sha256)."""
    import yaml

    f = root / "data" / "raw" / "extra" / "extra.csv"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("indicator,geo,area,year,value,unit,source\n"
                 f"imr,CN,total,1995,{value},per 1000 live births,SYNTHETIC fault-injection row\n", encoding="utf-8")
    meta = {"source_id": "extra", "title": "SYNTHETIC fault-injection row", "producer": "ecd test suite",
            "citation": "SYNTHETIC", "url": "tests/book/test_kill_injection.py", "date_accessed": "2026-12-04",
            "licence": "MIT (test fixture)", "trust": "low", "definition_notes": ["SYNTHETIC"], "gaps": [],
            "format": "tidy_csv", "encoding": "utf-8", "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
            "publications": {"ecd_test_fixture": {"type": "dataset", "author": "ecd test suite",
                                                  "title": "SYNTHETIC test fixture", "year": 2026, "lang": "en"}},
            "publication": "ecd_test_fixture"}
    f.with_name("extra.meta.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _owner(root: Path) -> dict:
    try:
        return json.loads((root / "build" / ".lock").read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _check_releases(root: Path, seen: dict[str, str], where: str) -> None:
    """current is a complete release; no release changed since first seen; new ones are complete."""
    cur = root / "build" / "current"
    assert cur.is_symlink(), where
    target = cur.resolve()
    assert target.is_dir() and not target.name.startswith("."), (where, target)
    for rel in sorted((root / "build" / "releases").glob("*/*")):
        if rel.name.startswith("."):
            continue  # a half-copied release of a killed build: never published
        digest = _digest(rel)
        if rel.name in seen:
            assert seen[rel.name] == digest, f"{where}: release {rel.name} changed after it was made"
        else:
            missing = [p for p in PAGES if not (rel / p).is_file()]
            assert not missing, f"{where}: release {rel.name} is incomplete: {missing}"
            seen[rel.name] = digest
    assert target.name in seen, where


def _check_warehouse(root: Path, where: str) -> None:
    from ecd.data import _warehouse

    processed = root / "data" / "processed"
    assert (processed / "manifest.json").is_file(), f"{where}: data/processed is missing or has no manifest"
    old = os.environ.get("ECD_HOME")
    os.environ["ECD_HOME"] = str(root)
    try:
        manifest = _warehouse.read_manifest()
        assert manifest and manifest.get("version") == _warehouse.MANIFEST_VERSION, where
        assert _warehouse.damaged(manifest) == [], where
    finally:
        if old is None:
            os.environ.pop("ECD_HOME", None)
        else:
            os.environ["ECD_HOME"] = old


def _wait_for_kernel(root: Path, proc: subprocess.Popen, within: float = 60.0) -> None:
    """Until a kernel of this build runs (or the build ended)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        owner = _owner(root)
        if owner.get("pid") == proc.pid:
            for pid in of_run(owner["run_id"]):
                try:
                    if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        return
                except OSError:
                    continue
        time.sleep(0.1)


def _build_cmd(root: Path) -> subprocess.Popen:
    env = {**os.environ, "ECD_HOME": str(root)}
    return subprocess.Popen([sys.executable, "-m", "ecd.cli", "build", "-j", "2", "--no-pdf"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_builds_killed_at_random_moments_leave_a_whole_book_and_no_processes(tmp_path):
    rng = random.Random(SEED)
    root = tmp_path / "home"
    _home(root)
    first = _build_cmd(root)
    assert first.wait(timeout=300) == 0, first.stderr.read().decode()
    seen: dict[str, str] = {}
    _check_releases(root, seen, "first build")
    _check_warehouse(root, "first build")
    b_values, extra, prose_n = [10.0, 20.0], 1.0, 0
    phases = []
    for i in range(KILLS):
        change = rng.choices(["prose", "data", "raw", "none"], weights=[45, 25, 15, 15])[0]
        if change == "prose":
            prose_n += 1
            with open(root / "chapters" / "alpha.md", "a", encoding="utf-8") as fh:
                fh.write(f"\n补充说明第{prose_n}句。\n")
        elif change == "data":
            b_values = [*b_values[:1], round(rng.uniform(1, 50), 1)]
            _inputs(root, "b", b_values)
        elif change == "raw":
            extra = round(rng.uniform(30, 60), 1)
            _raw_extra(root, extra)
        # half the builds that execute notebooks are killed while a kernel runs; the rest at a random moment
        in_kernel = change in ("data", "raw") and rng.random() < 0.5
        # a build without execution is over in a few seconds: kill it within that time
        delay = rng.uniform(0.0, 1.5) if in_kernel else rng.uniform(0.05, {"prose": 3.5, "none": 1.5}.get(change, 5.0))
        proc = _build_cmd(root)
        if in_kernel:
            _wait_for_kernel(root, proc)
        time.sleep(delay)
        owner = _owner(root)
        run = owner.get("run_id") if owner.get("pid") == proc.pid else None
        finished = proc.poll() is not None
        alive = len(of_run(run)) if run else 0
        proc.kill()  # SIGKILL of `ecd build` alone: its workers and kernels must follow by themselves
        proc.wait()
        where = (f"kill {i + 1} ({change}, {'after a kernel started + ' if in_kernel else ''}{delay:.2f} s, "
                 f"{'build had ended' if finished else f'{alive} worker/kernel process(es)'})")
        phases.append((where, alive))
        try:
            if run:
                left = []
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and (left := of_run(run)):
                    time.sleep(0.1)
                assert left == [], f"{where}: processes of the dead run {run} still running: {left}"
            _check_releases(root, seen, where)
            _check_warehouse(root, where)
        finally:
            for pid in of_run(run) if run else []:  # never leave processes behind, even on failure
                os.kill(pid, 9)
    last = _build_cmd(root)
    assert last.wait(timeout=300) == 0, last.stderr.read().decode()
    _check_releases(root, seen, "last build")
    _check_warehouse(root, "last build")
    page = (root / "build" / "current" / "beta.html").read_text(encoding="utf-8")
    assert f">{sum(b_values):.1f}<" in page, (b_values, phases)
    alpha = (root / "build" / "current" / "alpha.html").read_text(encoding="utf-8")
    assert prose_n == 0 or f"补充说明第{prose_n}句" in alpha
    assert not list((root / "build" / "releases").glob("*/.*.partial"))
    assert sum(1 for _, alive in phases if alive) >= 3, phases  # the kills did hit running notebooks
