"""Execute notebook tasks: one kernel per task in its own process group.

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
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Iterable


def run_task(task: dict) -> dict:
    """Execute ``task['notebook']`` into ``task['output']``; return a result dict.

    The result has ``id``, ``ok``, ``seconds``, ``error`` (one line) and
    ``timed_out``. A timeout kills the worker and its kernel (whole process group).
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
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, err = proc.communicate()
    seconds = time.monotonic() - t0
    spec.unlink(missing_ok=True)
    error = None
    if timed_out:
        error = f"timed out after {task.get('timeout')} s (the notebook and its kernel were stopped)"
    elif proc.returncode != 0:
        err_file = out.with_suffix(".error.txt")
        if err_file.exists():
            error = err_file.read_text(encoding="utf-8").splitlines()[0]
        else:
            tail = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["worker failed"]
            error = tail[0]
    return {"id": task["id"], "ok": proc.returncode == 0 and not timed_out, "seconds": round(seconds, 2),
            "error": error, "timed_out": timed_out}


def run_local(tasks: Iterable[dict], jobs: int, on_done: Callable[[dict], None], ready: Callable[[], list[dict]] | None = None) -> None:
    """Run tasks with ``jobs`` workers; ``ready`` yields newly runnable tasks (DAG order)."""
    pending = list(tasks)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run_task, t): t for t in pending}
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for f in done:
                futures.pop(f)
                on_done(f.result())
            if ready:
                for t in ready():
                    futures[pool.submit(run_task, t)] = t


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
