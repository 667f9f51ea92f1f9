"""Run one notebook with papermill (called as a subprocess by the executor).

Usage: python -m ecd.book._worker TASK.json
The task file gives the notebook, output path, parameters and working folder.
Exit 0 on success; on failure the traceback summary is written to
``<output>.error.txt`` and the exit code is 1.
"""
from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
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
    except Exception as e:  # papermill saves the failed notebook; record the error for the status page
        name = type(e).__name__
        msg = getattr(e, "evalue", None) or str(e)
        ename = getattr(e, "ename", None) or name
        out.with_suffix(".error.txt").write_text(f"{ename}: {msg}\n\n{traceback.format_exc()}", encoding="utf-8")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
