"""Execute notebook tasks: one kernel per task in its own process group, or warm kernels for a foreach group.

``run_task`` is a plain function of a JSON-able task, so the same code runs in
the local pool (threads that each wait on one worker process) and on a Dask
cluster (``client.submit(run_task, task)``).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from ecd.book._procs import PARENT_VAR, children, kill_group_of
from ecd.book._worker import EXIT_STORAGE, STORAGE_MARK


def run_task(task: dict) -> dict:
    """Execute ``task['notebook']`` into ``task['output']``; return a result dict.

    The result has ``id``, ``ok``, ``seconds``, ``error`` (one line) and
    ``timed_out``. A timeout kills the worker and its kernel (whole process group).
    When the worker could not write at all (disk full, read-only) the result also
    has ``io_errno`` and ``io_path``: the build stops with a named error.
    """
    out = Path(task["output"])
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = out.with_suffix(".task.json")
    spec.write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, **task.get("env", {})}
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env["MPLBACKEND"] = "Agg"
    env["PYTHONHASHSEED"] = "0"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env[PARENT_VAR] = str(os.getpid())  # the worker ends when this process ends (see ecd.book._procs)
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecd.book._worker", str(spec)],
        env=env,
        cwd=task["cwd"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    timed_out = False
    try:
        _, err = proc.communicate(timeout=task.get("timeout"))
    except subprocess.TimeoutExpired:
        timed_out = True
        for kernel in children(proc.pid):  # each kernel leads its own session
            kill_group_of(kernel, signal.SIGKILL)
        kill_group_of(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    seconds = time.monotonic() - t0
    try:
        spec.unlink(missing_ok=True)
    except OSError:
        pass
    stderr = (err or b"").decode("utf-8", "replace").strip().splitlines()
    error, storage = None, None
    if timed_out:
        error = f"timed out after {task.get('timeout')} s (the notebook and its kernel were stopped)"
    elif proc.returncode == EXIT_STORAGE and stderr and stderr[-1].startswith(STORAGE_MARK):
        head, _, message = stderr[-1].partition("\t")
        _, code, path = (head.split(" ", 2) + ["", ""])[:3]
        storage = {"io_errno": int(code), "io_path": path or None}
        error = message or "the output could not be written"
    elif proc.returncode != 0:
        error = _first_line(out.with_suffix(".error.txt")) or (stderr[-1] if stderr else None) or \
            f"the worker stopped with exit code {proc.returncode} and no message"
    return {"id": task["id"], "ok": proc.returncode == 0 and not timed_out, "seconds": round(seconds, 2),
            "error": error, "timed_out": timed_out, **(storage or {})}


def _first_line(path: Path) -> str | None:
    """The first line of a worker's error file; ``None`` when it is missing, empty or unreadable."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return lines[0] if lines and lines[0].strip() else None


def _kill(pgid: int | None) -> None:
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _tail(path: Path) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return None
    return lines[-1] if lines else None


def run_lane(take: Callable[[], dict | None], emit: Callable[[dict], None]) -> None:
    """Run tasks from ``take()`` (until it returns None) in one warm kernel (:mod:`ecd.book._pool`).

    ``emit`` receives ``{"event": "start", "id": …}`` when a task begins and its result dict (as
    :func:`run_task` returns, plus ``kernels``: 1 when a kernel was started for it) when it ends.
    A task over its timeout stops the worker and its kernel; a worker that dies fails its task;
    either way the next task gets a fresh worker.
    """
    proc, stderr_path, kernel_pgid = None, None, None
    try:
        while True:
            task = take()
            if task is None:
                break
            if proc is None or proc.poll() is not None:
                env = {**os.environ, **task.get("env", {})}
                for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                    env.setdefault(k, "1")
                env.update(MPLBACKEND="Agg", PYTHONHASHSEED="0", PYDEVD_DISABLE_FILE_VALIDATION="1")
                env[PARENT_VAR] = str(os.getpid())  # the lane's worker ends when this process ends
                stderr_path = Path(task["output"]).with_name(f".lane-{os.getpid()}-{time.monotonic_ns()}.stderr")
                stderr_path.parent.mkdir(parents=True, exist_ok=True)
                with open(stderr_path, "wb") as err:
                    # unbuffered: an event line left in a read buffer would be invisible to select()
                    proc = subprocess.Popen([sys.executable, "-m", "ecd.book._pool"], env=env, cwd=task["cwd"],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                            start_new_session=True, bufsize=0)
                kernel_pgid = None
            emit({"event": "start", "id": task["id"]})
            t0 = time.monotonic()
            kernels, kernel_seconds, timed_out, result = 0, 0.0, False, None
            spec = Path(task["output"]).with_suffix(".task.json")  # as run_task: what runs, beside its output
            spec.write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
            try:
                proc.stdin.write((json.dumps(task, ensure_ascii=False) + "\n").encode("utf-8"))
                proc.stdin.flush()
            except OSError:
                pass  # the worker is gone: reading below sees its end
            timeout = task.get("timeout")
            while result is None:
                left = None if timeout is None else timeout - (time.monotonic() - t0)
                if left is not None and left <= 0 or not _readable(proc.stdout, left):
                    timed_out = True
                    break
                line = proc.stdout.readline()
                if not line:
                    break  # the worker died
                ev = json.loads(line)
                if ev.get("event") == "kernel":
                    kernels += 1
                    kernel_seconds += float(ev.get("seconds") or 0)
                    kernel_pgid = ev.get("pid")
                elif ev.get("event") == "done" and ev.get("id") == task["id"]:
                    result = {"id": task["id"], "ok": bool(ev["ok"]), "seconds": ev["seconds"], "error": ev.get("error"),
                              "timed_out": False, "kernels": kernels, "kernel_seconds": kernel_seconds,
                              **{k: ev[k] for k in ("io_errno", "io_path") if ev.get(k) is not None}}
            if result is None:
                _kill(kernel_pgid)
                _kill(proc.pid)
                proc.wait()
                error = (f"timed out after {timeout} s (the notebook and its kernel were stopped)" if timed_out else
                         _tail(Path(task["output"]).with_suffix(".error.txt")) or _tail(stderr_path)
                         or f"the worker stopped with exit code {proc.returncode}")
                result = {"id": task["id"], "ok": False, "seconds": round(time.monotonic() - t0, 2), "error": error,
                          "timed_out": timed_out, "kernels": kernels, "kernel_seconds": kernel_seconds}
                proc = None
            spec.unlink(missing_ok=True)
            emit(result)
    finally:
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                _kill(kernel_pgid)
                _kill(proc.pid)
                proc.wait()
        if stderr_path is not None:
            stderr_path.unlink(missing_ok=True)


def _readable(stream, timeout: float | None) -> bool:
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        return bool(sel.select(timeout))


def run_local(tasks: Iterable[dict], jobs: int, on_done: Callable[[dict], None], ready: Callable[[], list[dict]] | None = None,
              on_start: Callable[[str], None] | None = None) -> None:
    """Run tasks with ``jobs`` warm-kernel lanes; ``ready`` yields newly runnable tasks (DAG order).

    Every task runs in one of up to ``jobs`` lanes (:func:`run_lane`) that take tasks one by one
    from a shared queue, each into its own output notebook: a cold book of 44 notebooks starts
    two kernels, not 44, and ``ecd``, pandas, matplotlib and the loaded warehouse are imported
    once per lane (the kernel's names are cleared between notebooks, figures closed, matplotlib's
    settings restored). A task with ``"fresh": True`` (a chapter's ``own_kernel: true``) or another
    kernel than ``python3`` runs in its own worker and kernel (:func:`run_task`); at most ``jobs``
    notebooks run at once either way. ``on_start(task id)`` is called when a task begins (for the
    progress display).
    """
    import queue
    import threading

    events: queue.Queue = queue.Queue()
    work: queue.Queue = queue.Queue()  # tasks for the lanes; None ends a lane
    outstanding = 0
    halt = threading.Event()  # set when the loop below ends early: queued tasks are not started
    jobs = max(1, jobs)
    lanes = [0]
    running = threading.BoundedSemaphore(jobs)  # at most ``jobs`` notebooks at once, in lanes or on their own

    def single(t):
        with running:
            if halt.is_set():
                return
            events.put({"event": "start", "id": t["id"]})
            try:
                events.put(run_task(t))
            except Exception as e:  # noqa: BLE001 — the build must hear of every task, whatever happened
                events.put({"id": t["id"], "ok": False, "seconds": 0.0, "error": f"{type(e).__name__}: {e}",
                            "timed_out": False})

    def lane():
        current = {}

        def take():
            t = work.get()
            if t is None or halt.is_set():
                return None
            running.acquire()
            if halt.is_set():
                running.release()
                return None
            current["held"] = True
            return t

        def emit(ev):
            if ev.get("event") == "start":
                current["id"] = ev["id"]
                events.put(ev)
                return
            current.pop("id", None)
            if current.pop("held", False):
                running.release()
            events.put(ev)

        try:
            run_lane(take, emit)
        except Exception as e:  # noqa: BLE001
            if "id" in current:
                events.put({"id": current["id"], "ok": False, "seconds": 0.0, "error": f"{type(e).__name__}: {e}",
                            "timed_out": False})
            if current.pop("held", False):
                running.release()
            while (t := work.get()) is not None:  # what this lane would have run fails with the same cause
                events.put({"id": t["id"], "ok": False, "seconds": 0.0, "error": f"{type(e).__name__}: {e}",
                            "timed_out": False})

    with ThreadPoolExecutor(max_workers=jobs * 2) as pool:
        def submit(new: list[dict]) -> None:
            nonlocal outstanding
            for t in new:
                outstanding += 1
                if t.get("fresh") or t.get("kernel", "python3") != "python3":
                    pool.submit(single, t)
                    continue
                work.put(t)
                if lanes[0] < jobs:  # a lane starts when there is work for it, at most ``jobs`` of them
                    lanes[0] += 1
                    pool.submit(lane)

        try:
            submit(list(tasks))
            while outstanding:
                ev = events.get()
                if ev.get("event") == "start":
                    if on_start:
                        on_start(ev["id"])
                    continue
                outstanding -= 1
                on_done(ev)
                if ready:
                    submit(ready())
        except BaseException:
            halt.set()  # the running notebooks end; nothing new starts
            raise
        finally:
            for _ in range(lanes[0]):
                work.put(None)  # each lane ends (and stops its kernel) once its current notebook is done


def run_dask(tasks: Iterable[dict], jobs: int, on_done: Callable[[dict], None], ready: Callable[[], list[dict]] | None = None,
             scheduler: str | None = None) -> None:
    """Run the same tasks on a Dask cluster (a LocalCluster when no scheduler address is given)."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        futs = as_completed([client.submit(run_task, t, key=f"ecd-{t['id']}-{t['key'][:12]}", pure=False) for t in tasks])
        for f in futs:
            on_done(f.result())
            if ready:
                for t in ready():
                    futs.add(client.submit(run_task, t, key=f"ecd-{t['id']}-{t['key'][:12]}", pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
