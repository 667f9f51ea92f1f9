"""Faults follow the exit-code contract (0/2/10/20) and heal (issue 16).

Read-only and full disks are real small tmpfs mounts where this process may
mount them (root on Linux, as the CI machine runs); the same code paths are also
driven by an injected ENOSPC/EROFS so that they are tested everywhere.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecd.book._build import build
from ecd.book._procs import of_run
from ecd.cli import main
from ecd.errors import BuildDirError, RunError

from minihome import default_manifest

pytestmark = pytest.mark.slow


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def tmpfs(where: Path, size_kb: int):
    """Mount a tmpfs of ``size_kb`` at ``where`` (moving what is there onto it); skip where mounting is refused."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux (the injected-error tests cover the same paths)")
    keep = where.with_name(where.name + ".keep")
    if where.exists():
        where.rename(keep)
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        where.rmdir()
        if keep.exists():
            keep.rename(where)
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        if keep.exists():
            shutil.copytree(keep, where, symlinks=True, dirs_exist_ok=True)
            shutil.rmtree(keep)
        yield where
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(where)], capture_output=True)
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _release_of(root: Path) -> str:
    return os.readlink(root / "build" / "current")


# --------------------------------------------------------------------------- read-only build/

def test_read_only_build_dir_exits_2_and_names_it(built, capsys):
    root = built.root
    before = _release_of(root)
    with tmpfs(root / "build", 8192) as b:
        snap = _tree(b / "releases")
        assert subprocess.run(["mount", "-o", "remount,ro", str(b)]).returncode == 0
        assert main(["build", "--no-pdf"]) == 2
        err = capsys.readouterr().err
        assert "build/ cannot be used: the file system is read-only" in err and str(b) in err
        assert "remount it read-write" in err and "Traceback" not in err
        assert _release_of(root) == before and _tree(b / "releases") == snap


def test_unwritable_build_dir_exits_2_injected(built, capsys, monkeypatch):
    import tempfile

    before = _release_of(built.root)

    def refuse(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(built.root / "build" / ".probe-x"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(BuildDirError, match="read-only"):
        build(pdf=False)
    assert main(["build", "--no-pdf"]) == 2
    assert "build/ cannot be used: the file system is read-only" in capsys.readouterr().err
    assert _release_of(built.root) == before


# --------------------------------------------------------------------------- disk full

def test_disk_full_mid_run_exits_20_publishes_nothing_and_heals(built, capsys):
    root = built.root
    before = _release_of(root)
    built.set_data("a", [7.0, 8.0])  # alpha (required) and places run again
    with tmpfs(root / "build", 4096) as b:
        used = sum(p.stat().st_size for p in b.rglob("*") if p.is_file())
        free = shutil.disk_usage(b).free
        (b / "filler").write_bytes(b"\0" * max(0, free - 160_000))  # room for the probe, not for a run
        snap = _tree(b / "releases")
        assert main(["build", "-j", "2", "--no-pdf"]) == 20
        err = capsys.readouterr().err
        assert "failed: the disk is full (No space left on device)" in err and "Nothing was published" in err
        assert "free space" in err and "Traceback" not in err and "IndexError" not in err
        assert _release_of(root) == before and _tree(b / "releases") == snap
        assert not list(b.glob("releases/*/.*.partial")) and len(list((b / "runs").iterdir())) <= 2
        assert used > 0
        (b / "filler").unlink()  # space again: the next build completes
        assert main(["build", "-j", "2", "--no-pdf"]) == 0
        assert ">15.0<" in built.chapter_html("alpha")


def test_disk_full_while_publishing_leaves_no_half_release_injected(built, monkeypatch):
    import ecd.book._publish as publish

    root = built.root
    built.set_data("b", [1.0, 2.0])
    before = _release_of(root)
    releases = _tree(root / "build" / "releases")
    real = shutil.copytree

    def half_copy(src, dst, *a, **k):
        Path(dst).mkdir(parents=True)
        (Path(dst) / "index.html").write_text("half", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(dst) / "beta.html"))

    monkeypatch.setattr(publish.shutil, "copytree", half_copy)
    with pytest.raises(RunError, match=r"disk is full .*beta\.html.*Nothing was published"):
        build(jobs=2, pdf=False)
    assert _release_of(root) == before and _tree(root / "build" / "releases") == releases
    monkeypatch.setattr(publish.shutil, "copytree", real)
    assert build(jobs=2, pdf=False).exit_code == 0
    assert ">3.0<" in built.chapter_html("beta")


def test_worker_that_cannot_write_stops_the_run_with_a_named_error(built, monkeypatch):
    from ecd.book import _execute

    built.set_data("b", [4.0])

    def full(task):
        return {"id": task["id"], "ok": False, "seconds": 0.1, "timed_out": False, "io_errno": errno.ENOSPC,
                "io_path": task["output"], "error": "No space left on device"}

    def full_lane(take, emit):  # the same, reported by a warm-kernel lane
        while (task := take()) is not None:
            emit({"event": "start", "id": task["id"]})
            emit({**full(task), "kernels": 0, "kernel_seconds": 0.0})

    monkeypatch.setattr(_execute, "run_task", full)
    monkeypatch.setattr(_execute, "run_lane", full_lane)
    before = _release_of(built.root)
    with pytest.raises(RunError, match=r"disk is full .*beta\.ipynb"):
        build(jobs=1, pdf=False)
    assert _release_of(built.root) == before
    m = default_manifest()
    m["chapters"][1]["own_kernel"] = True  # beta in a one-notebook worker of its own
    built.write_manifest(m)
    with pytest.raises(RunError, match=r"disk is full .*beta\.ipynb"):
        build(jobs=1, pdf=False)
    assert _release_of(built.root) == before


def test_empty_error_file_of_a_worker_is_not_an_index_error(tmp_path):
    from ecd.book._execute import _first_line

    (tmp_path / "x.error.txt").write_text("", encoding="utf-8")
    assert _first_line(tmp_path / "x.error.txt") is None and _first_line(tmp_path / "missing.txt") is None


# --------------------------------------------------------------------------- corrupted cache entries

def test_corrupted_executed_notebook_is_discarded_logged_and_recomputed(built):
    root = built.root
    before = _release_of(root)
    page = built.chapter_html("alpha")
    for nb in (root / "build" / "cache" / "exec").glob("*/notebook.ipynb"):
        nb.write_bytes(nb.read_bytes()[:100])  # truncated, as by a full disk
    logs: list[str] = []
    res = build(jobs=2, pdf=False, log=logs.append)
    assert res.exit_code == 0
    assert any("cache: discarded the executed notebook of alpha" in m and "recomputing" in m for m in logs), logs
    assert {c["state"] for c in res.chapters} == {"ok"}
    assert _release_of(root) == before and built.chapter_html("alpha") == page  # same content: nothing new
    assert build(jobs=2, pdf=False).exit_code == 0  # and the cache is whole again


def test_corrupted_render_record_is_discarded_logged_and_recomputed(built):
    root = built.root
    for rec in (root / "build" / "cache" / "render").glob("*.json"):
        rec.write_text('{"body": "<p>stale', encoding="utf-8")
    logs: list[str] = []
    res = build(jobs=2, pdf=None, log=logs.append)  # another site key (pdf), the same render keys
    assert res.exit_code == 0, res.messages
    assert any("cache: discarded the rendered chapter alpha" in m for m in logs), logs
    assert ">6.5<" in built.chapter_html("alpha") and "stale" not in built.chapter_html("alpha")


def test_status_names_a_damaged_cache_entry(built, capsys):
    nb = next((built.root / "build" / "cache" / "exec").glob("*/notebook.ipynb"))
    nb.write_bytes(b"{}")
    assert main(["status", "--why"]) == 0
    assert "cache entry damaged" in capsys.readouterr().out


# --------------------------------------------------------------------------- processes of a killed build

def _start_build(root: Path) -> subprocess.Popen:
    env = {**os.environ, "ECD_HOME": str(root)}
    return subprocess.Popen([sys.executable, "-m", "ecd.cli", "build", "-j", "2", "--no-pdf"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _run_id(root: Path) -> str | None:
    """The run holding the build lock now (``None`` before a build took it)."""
    try:
        owner = json.loads((root / "build" / ".lock").read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return None
    return None if owner.get("released") else owner.get("run_id")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _gone(run_id: str, within: float = 10.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = of_run(run_id)
        if not left:
            return []
        time.sleep(0.1)
    return of_run(run_id)


def test_sigkill_of_the_build_takes_workers_and_kernels_with_it(built):
    root = built.root
    built.set_data("a", [1.0, 1.0])
    m = default_manifest()
    m["chapters"][0]["params"]["mode"] = "sleep"  # hanging notebooks: their timeout dies with the build
    m["chapters"][0]["own_kernel"] = True  # alpha in a one-notebook worker, the others in warm-kernel lanes
    m["chapters"][2]["params"] = {"mode": "sleep"}  # … in a warm-kernel lane too
    built.write_manifest(m)
    proc = _start_build(root)
    deadline = time.monotonic() + 120
    run, kinds = None, []
    def both(kinds):  # a worker and a lane, a kernel for each (the lane that ran beta may keep its own)
        return kinds.count("ecd.book._worker") == 1 and kinds.count("ecd.book._pool") >= 1 and \
            kinds.count("ipykernel") == 1 + kinds.count("ecd.book._pool")

    while time.monotonic() < deadline and not both(kinds):
        run = run or _run_id(root)
        kinds = [k for p in (of_run(run) if run else []) for k in ("ecd.book._worker", "ecd.book._pool", "ipykernel")
                 if k in _cmdline(p)]
        time.sleep(0.2)
    time.sleep(2)  # both kernels inside their sleeping cell
    try:
        # alpha's one-notebook worker sleeps, and so does a foreach section in its warm-kernel lane
        assert both(kinds), kinds
        proc.kill()  # SIGKILL: no handler of the build runs
        proc.wait()
        assert _gone(run) == []
    finally:  # never leave this test's processes behind, even when it fails
        proc.kill()
        for pid in of_run(run) if run else []:
            os.kill(pid, signal.SIGKILL)


def test_next_build_stops_processes_left_by_a_dead_run(built):
    root = built.root
    dead = "20000101T000000Z-dead00"
    env = {**os.environ, "ECD_BUILD_RUN": dead}
    left = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], env=env, start_new_session=True)
    try:
        (root / "build" / ".lock").write_text(json.dumps({"run_id": dead, "pid": 999999, "host": "x",
                                                          "started": "2000-01-01T00:00:00+00:00"}), encoding="utf-8")
        logs: list[str] = []
        assert build(jobs=2, pdf=False, log=logs.append).exit_code == 0
        assert any(f"stopped 1 process(es) left running by the dead run {dead}" in m for m in logs), logs
        assert left.wait(timeout=10) == -signal.SIGKILL
    finally:
        if left.poll() is None:
            left.kill()


def test_quick_warehouse_check_of_the_book_sends_any_doubt_to_heal(tmp_path, monkeypatch):
    import hashlib

    from ecd.book._build import _warehouse_whole

    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    folder = tmp_path / "data" / "processed"
    folder.mkdir(parents=True)
    assert not _warehouse_whole()  # no manifest
    (folder / "warehouse.parquet").write_bytes(b"PAR1 rows PAR1")
    (folder / "warehouse.duckdb").write_bytes(b"duck")
    recorded = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in ("warehouse.parquet", "warehouse.duckdb")}
    (folder / "manifest.json").write_text(json.dumps({"content_sha256": recorded}), encoding="utf-8")
    assert _warehouse_whole()
    (folder / "warehouse.duckdb").write_bytes(b"duc")  # truncated
    assert not _warehouse_whole()
    (folder / "warehouse.duckdb").write_bytes(b"duck")
    (folder / "publications.parquet").write_bytes(b"PAR1")  # a file the manifest does not vouch for
    assert not _warehouse_whole()
    (folder / "publications.parquet").unlink()
    (folder / "manifest.json").write_text("{", encoding="utf-8")
    assert not _warehouse_whole()
