"""Build lock, run folders, atomic promotion and status files.

- A build holds an exclusive ``fcntl`` lock on ``build/.lock`` for its whole
  life. The kernel drops the lock when the process dies (even by SIGKILL), so a
  lock left by a killed build is never an obstacle: the next build sees the
  stale owner record, says so, and carries on.
- Every run writes to ``build/runs/<run_id>/``. A release is a copy in
  ``build/releases/<edition>/<run_id>/`` (never modified afterwards) and
  ``build/current`` is a symlink switched with ``os.replace`` (atomic).
"""
from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import secrets
import shutil
import socket
import time
from pathlib import Path

from ecd import paths
from ecd.errors import LockError


def new_run_id() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class BuildLock:
    """Exclusive build lock; ``wait=True`` blocks until the running build ends."""

    def __init__(self, run_id: str, wait: bool = False, log=None):
        self.run_id, self.wait, self.log = run_id, wait, log or (lambda *_: None)
        self.path = paths.build_dir() / ".lock"
        self.fd = None

    def _owner(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = self._owner()
            who = f"run {owner.get('run_id', '?')} (pid {owner.get('pid', '?')} on {owner.get('host', '?')}, since {owner.get('started', '?')})"
            if not self.wait:
                os.close(self.fd)
                raise LockError(f"another build is running: {who}. Wait for it, or use --wait to queue behind it.") from None
            self.log(f"waiting for the running build: {who}")
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        owner = self._owner()
        if owner.get("pid") and owner.get("pid") != os.getpid() and not owner.get("released"):
            state = "no longer running" if not _pid_alive(int(owner["pid"])) else "gone"
            self.log(f"cleared a stale lock left by run {owner.get('run_id')} (pid {owner['pid']}, {state})")
            if owner.get("run_id"):
                # the lock was free, so its holder died without releasing it: stop what it left running
                from ecd.book._procs import reap

                reap(str(owner["run_id"]), self.log)
        try:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, json.dumps({"run_id": self.run_id, "pid": os.getpid(), "host": socket.gethostname(),
                                           "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}).encode(), 0)
        except OSError:
            os.close(self.fd)  # releases the lock
            raise
        return self

    def __exit__(self, *exc):
        owner = self._owner()
        owner["released"] = True
        try:
            os.pwrite(self.fd, json.dumps(owner).encode().ljust(os.fstat(self.fd).st_size), 0)
        except OSError:
            pass  # a full disk: the record stays "held", and the next build finds nothing of this run to stop
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        return False


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def current_release() -> Path | None:
    cur = paths.current_dir()
    if cur.is_symlink() or cur.exists():
        target = cur.resolve()
        if target.exists():
            return target
    return None


def promote(site: Path, edition: str, run_id: str) -> Path:
    """Copy the run's site into a new release and switch ``build/current`` to it atomically."""
    rel_parent = paths.releases_dir() / edition
    rel_parent.mkdir(parents=True, exist_ok=True)
    final = rel_parent / run_id
    tmp = rel_parent / f".{run_id}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        shutil.copytree(site, tmp)
    except BaseException:  # a full disk half-way: nothing of this release stays behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.replace(tmp, final)
    cur = paths.current_dir()
    link_tmp = cur.with_name(f".current.{os.getpid()}.{time.monotonic_ns()}")
    try:
        os.symlink(os.path.relpath(final, cur.parent), link_tmp)
        if cur.exists() and not cur.is_symlink():
            # an old-style folder: move it aside first (it is a previous render, kept)
            os.replace(cur, cur.with_name(f"current.old-{run_id}"))
        os.replace(link_tmp, cur)
    except BaseException:  # not switched: the release was never published, so it does not stay
        link_tmp.unlink(missing_ok=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
    return final


def previous_release(exclude: Path | None = None) -> Path | None:
    """The newest release other than ``exclude`` (for the edition diff)."""
    root = paths.releases_dir()
    if not root.exists():
        return None
    rels = sorted((p for p in root.glob("*/*") if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    rels = [p for p in rels if exclude is None or p.resolve() != exclude.resolve()]
    return rels[-1] if rels else None
