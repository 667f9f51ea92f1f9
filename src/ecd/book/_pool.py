"""A warm kernel for a build's notebooks (called as a subprocess by the executor).

Usage: ``python -m ecd.book._pool`` with one task (JSON, as for :mod:`ecd.book._worker`) per
line on stdin. One kernel runs them one after another, each into its own output notebook (so
every chapter and section stays separate and cacheable); between two notebooks the kernel's
namespace is cleared (``%reset -f``), open figures are closed, matplotlib's settings, the
warnings filters and the working folder restored, while the imported modules (``ecd``, pandas,
matplotlib, the loaded warehouse) stay warm. The saved
notebooks are numbered from 1, as a fresh kernel would number them.

Events, one JSON line each on stdout::

    {"event": "kernel", "pid": 1234, "seconds": 1.8}       # a kernel was started
    {"event": "start", "id": "province--cn-bj"}
    {"event": "done", "id": "province--cn-bj", "ok": true, "seconds": 2.1, "error": null}

A failed section records its error in ``<output>.error.txt`` (first line: the error) like the
one-notebook worker; a kernel that died is replaced before the next section. The executor
enforces each section's timeout by stopping this process and its kernel.
"""
from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from ecd._io import is_storage_error

# taken once when a kernel starts: what a fresh kernel has, restored between two notebooks
_SNAPSHOT = ("import sys as _s, os as _o, warnings as _w\n"
             "_s._ecd_lane = (list(_w.filters), _o.getcwd())\n"
             "del _s, _o, _w\n")
_RESET = ("get_ipython().run_line_magic('reset', '-f')\n"
          "import sys as _s\n"
          "if 'matplotlib.pyplot' in _s.modules:\n"
          "    _s.modules['matplotlib.pyplot'].close('all')\n"
          "if 'matplotlib' in _s.modules:\n"
          "    _s.modules['matplotlib'].rc_file_defaults()\n"
          "if hasattr(_s, '_ecd_lane'):\n"
          "    import os as _o, warnings as _w\n"
          "    _w.filters[:] = _s._ecd_lane[0]\n"
          "    getattr(_w, '_filters_mutated', lambda: None)()\n"
          "    _o.chdir(_s._ecd_lane[1])\n"
          "    del _o, _w\n"
          "del _s\n")


def _emit(stream, **event) -> None:
    stream.write(json.dumps(event, ensure_ascii=False) + "\n")
    stream.flush()


def renumber(path: Path) -> None:
    """Number the executed code cells 1, 2, … as a fresh kernel does (a warm kernel keeps counting)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    n = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or cell.get("execution_count") is None:
            continue
        n += 1
        cell["execution_count"] = n
        for o in cell.get("outputs", []):
            if o.get("output_type") == "execute_result":
                o["execution_count"] = n
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _record_failure(out: Path, e: Exception) -> str:
    msg = getattr(e, "evalue", None) or str(e)
    ename = getattr(e, "ename", None) or type(e).__name__
    out.with_suffix(".error.txt").write_text(f"{ename}: {msg}\n\n{traceback.format_exc()}", encoding="utf-8")
    return f"{ename}: {msg}".splitlines()[0]


class WarmKernel:
    """One kernel, started on first use and replaced when it dies."""

    def __init__(self, events):
        self.events, self.km = events, None

    def ensure(self, kernel_name: str, cwd: str):
        from jupyter_client.manager import AsyncKernelManager
        from nbclient.util import run_sync

        if self.km is not None and run_sync(self.km.is_alive)():
            return self.km
        self.shutdown()
        t0 = time.monotonic()
        self.km = AsyncKernelManager(kernel_name=kernel_name)
        run_sync(self.km.start_kernel)(cwd=cwd)
        kc = self.km.client()  # started means ready to run code: that is what a kernel start costs
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=120)
            run_sync(kc.execute_interactive)(_SNAPSHOT, store_history=False, silent=True, timeout=60)
        finally:
            kc.stop_channels()
        _emit(self.events, event="kernel", pid=getattr(self.km.provisioner, "pid", None),
              seconds=round(time.monotonic() - t0, 3))
        return self.km

    def reset(self) -> None:
        from nbclient.util import run_sync

        if self.km is None or not run_sync(self.km.is_alive)():
            return
        kc = self.km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=60)
            run_sync(kc.execute_interactive)(_RESET, store_history=False, silent=True, timeout=60)
        finally:
            kc.stop_channels()

    def shutdown(self) -> None:
        from nbclient.util import run_sync

        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 — a kernel that is already gone needs no shutdown
                pass
            self.km = None


def run(task: dict, kernel: WarmKernel) -> tuple[bool, str | None]:
    import papermill as pm

    out = Path(task["output"])
    out.parent.mkdir(parents=True, exist_ok=True)
    km = kernel.ensure(task.get("kernel", "python3"), task["cwd"])
    try:
        pm.execute_notebook(task["notebook"], str(out), parameters=task["params"],
                            kernel_name=task.get("kernel", "python3"), cwd=task["cwd"], progress_bar=False,
                            log_output=False, report_mode=False, request_save_on_cell_execute=False, km=km)
    except OSError as e:
        if is_storage_error(e):
            raise  # the output cannot be written at all: main() stops the lane with a named error
        return False, _record_failure(out, e)
    except Exception as e:  # papermill saved the failed notebook; record the error for the status page
        return False, _record_failure(out, e)
    finally:
        kernel.reset()
    renumber(out)
    return True, None


def main() -> int:
    from ecd.book._procs import die_with_parent

    die_with_parent()  # this process and its kernel end with the build that started them
    events = sys.stdout
    sys.stdout = sys.stderr  # anything else printed must not mix with the events
    kernel = WarmKernel(events)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            task = json.loads(line)
            _emit(events, event="start", id=task["id"])
            t0 = time.monotonic()
            try:
                ok, error = run(task, kernel)
            except OSError as e:
                if not is_storage_error(e):
                    raise
                _emit(events, event="done", id=task["id"], ok=False, error=e.strerror or str(e),
                      seconds=round(time.monotonic() - t0, 2), io_errno=e.errno, io_path=e.filename)
                return 74
            _emit(events, event="done", id=task["id"], ok=ok, error=error, seconds=round(time.monotonic() - t0, 2))
    finally:
        kernel.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
