"""The whole book as one PDF, printed by Debian's headless Chromium.

nbconvert's LaTeX path drops Chinese text silently, so the PDF is printed from
the same HTML the board reads. When Chromium is missing the PDF is skipped with
a message (``make book`` installs it as root on Debian).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ecd.book import _build


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def write_pdf(site: Path, m, toc, bodies: dict, log) -> str | None:
    """Write ``site/book.pdf``; return a message when it was skipped or failed, else None."""
    exe = chromium()
    if exe is None:
        msg = "PDF skipped: Chromium is not installed (Debian: apt-get install chromium; `make book` does this as root)"
        log(msg)
        return msg
    body = "".join(f'<div class="chapter-print">{bodies[t["id"]]}</div>' for t in toc if t["id"] in bodies)
    cover = f'<h1 class="chapter-title">{m.book["title"]}</h1>'
    _build.write_page(site, "print.html", m, [], None, m.book["title"], cover + body, "", False)
    out = site / "book.pdf"
    with tempfile.TemporaryDirectory(prefix="ecd-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={out}",
               (site / "print.html").resolve().as_uri()]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=180)
        except subprocess.TimeoutExpired:
            return "PDF failed: Chromium did not finish within 180 s"
    if r.returncode != 0 or not out.exists():
        msg = f"PDF failed: Chromium exited {r.returncode}"
        log(msg)
        return msg
    return None
