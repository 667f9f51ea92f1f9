"""Run one notebook with papermill (called as a subprocess by the executor).

Usage: python -m ecd.book._worker TASK.json
The task file gives the notebook, output path, parameters and working folder.
Exit 0 on success; on failure the traceback summary is written to
``<output>.error.txt`` and the exit code is 1. When the output cannot be written
at all (disk full, read-only file system) the exit code is :data:`EXIT_STORAGE`
and stderr's last line is ``ECD-STORAGE-ERROR <errno> <path>`` followed by the
message, so that the build stops with a named error instead of a chapter failure.
The worker ends with the build that started it (:func:`ecd.book._procs.die_with_parent`).
"""
from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

EXIT_STORAGE = 74  # EX_IOERR
STORAGE_MARK = "ECD-STORAGE-ERROR"


def _storage_exit(e: OSError) -> int:
    print(f"{STORAGE_MARK} {e.errno} {e.filename or ''}\t{e.strerror or e}", file=sys.stderr, flush=True)
    return EXIT_STORAGE


def main(argv: list[str]) -> int:
    from ecd._io import is_storage_error
    from ecd.book._procs import die_with_parent

    die_with_parent()
    try:
        return _run(argv)
    except OSError as e:
        if is_storage_error(e):
            return _storage_exit(e)
        raise


def _run(argv: list[str]) -> int:
    from ecd._io import is_storage_error

    task = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out = Path(task["output"])
    import papermill as pm

    try:
        pm.execute_notebook(
            task["notebook"],
            str(out),
            parameters=task["params"],
            kernel_name=task.get("kernel", "python3"),
            cwd=task["cwd"],
            progress_bar=False,
            log_output=False,
            report_mode=False,
            request_save_on_cell_execute=False,
        )
    except OSError as e:
        if is_storage_error(e):
            return _storage_exit(e)
        return _failed(out, e)
    except Exception as e:  # papermill saves the failed notebook; record the error for the status page
        return _failed(out, e)
    return 0


def _failed(out: Path, e: Exception) -> int:
    """Record a notebook failure for the status page (exit 1); called while ``e`` is being handled."""
    msg = getattr(e, "evalue", None) or str(e)
    ename = getattr(e, "ename", None) or type(e).__name__
    out.with_suffix(".error.txt").write_text(f"{ename}: {msg}\n\n{traceback.format_exc()}", encoding="utf-8")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
