"""The processes of a build: tie them to the build's life, find and stop those of a dead run.

A build starts one worker process per notebook (``python -m ecd.book._worker``)
and each worker starts a Jupyter kernel; both run in their own session so that a
timeout can stop a whole notebook. Three things keep them from outliving the
build that started them:

- every worker asks the kernel to send it a signal when its parent dies
  (Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere a watchdog thread polls the
  parent pid), and stops its kernel before it exits;
- a kernel stops by itself when its worker is gone (ipykernel's parent poller);
- every process of a run carries ``ECD_BUILD_RUN=<run id>`` in its environment,
  so the next build, finding the dead run named in the stale lock, stops any
  that are left (:func:`reap`).

The process table is read from ``/proc``; where there is none (not Linux) the
functions find nothing and the first two safeguards remain.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

RUN_VAR = "ECD_BUILD_RUN"
PARENT_VAR = "ECD_PARENT_PID"
_PROC = Path("/proc")


def _ppid(pid: int) -> int | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces and parentheses: fields follow the last ')'
    return int(stat.rsplit(")", 1)[1].split()[1])


def _pids() -> list[int]:
    try:
        return [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]
    except OSError:
        return []


def children(pid: int) -> list[int]:
    """The direct children of ``pid``."""
    return [p for p in _pids() if _ppid(p) == pid]


def of_run(run_id: str) -> list[int]:
    """Live processes whose environment says they belong to build run ``run_id`` (this process excluded)."""
    tag = f"{RUN_VAR}={run_id}".encode()
    me = os.getpid()
    out = []
    for pid in _pids():
        if pid == me:
            continue
        try:
            env = (_PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if tag in env.split(b"\0") and not _zombie(pid):
            out.append(pid)
    return sorted(out)


def _zombie(pid: int) -> bool:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def kill_group_of(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group ``pid`` leads (a worker's or a kernel's session), or ``pid`` alone."""
    for target in (lambda: os.killpg(pid, sig), lambda: os.kill(pid, sig)):
        try:
            target()
            return
        except (ProcessLookupError, PermissionError):
            continue


def reap(run_id: str, log=None, grace: float = 5.0) -> list[int]:
    """Stop every process left by the dead run ``run_id``; return their pids (``[]``: none were left)."""
    pids = of_run(run_id)
    for pid in pids:
        kill_group_of(pid)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and of_run(run_id):
        time.sleep(0.1)
    if pids and log is not None:
        left = of_run(run_id)
        log(f"stopped {len(pids)} process(es) left running by the dead run {run_id} (pids "
            f"{', '.join(map(str, pids))})" + (f"; still there: {left}" if left else ""))
    return pids


def die_with_parent() -> None:
    """In a worker: end when the process that started it ends (even by SIGKILL), stopping the kernel too.

    The parent's pid comes from ``ECD_PARENT_PID``; without it nothing is set up.
    """
    parent = int(os.environ.get(PARENT_VAR) or 0)
    if not parent:
        return
    signal.signal(signal.SIGTERM, _stop_and_exit)
    if not _pdeathsig(signal.SIGTERM):
        threading.Thread(target=_watch, args=(parent,), name="ecd-parent-watchdog", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        _stop_and_exit()


def _pdeathsig(sig: int) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return libc.prctl(pr_set_pdeathsig, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    _stop_and_exit()


def _stop_and_exit(*_args) -> None:
    """Stop this worker's kernels (each leads its own session) and leave at once."""
    for child in children(os.getpid()):
        kill_group_of(child)
    os._exit(143)
