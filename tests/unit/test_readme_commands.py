"""The README's shell commands run as written, in a temporary copy of the project (issue 17's "done when").

Every command of every ```bash block is either run here — with the README's own words, in a shell whose
PATH has the project's .venv, HOME and ECD_HOME pointing at temporary folders — or listed in ``ELSEWHERE``
with the test that covers it (so a command added to the README is run, or consciously placed).
The files a command names are prepared as the README describes them: the yearbook table the researcher
downloaded (SYNTHETIC values), its mapping, the publications YAML shown in the README, and the user-catalog
entry that `ecd data add` prints for a new indicator.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

# commands not run here, and where they are tested instead
ELSEWHERE = {
    "make book": "the whole book (minutes): the lead's full run and tests/book/test_real_book.py",
    "make test": "the test suite itself",
    "make lab": "tests/unit/test_make_lab.py (starts JupyterLab on 127.0.0.1 as root and stops it)",
    "ecd preview": "a server that runs until stopped: tests/book/test_preview.py",
    "ecd review approve nutrition": "approves a chapter of a fully built book: tests/book/test_review.py",
    "ecd review comment nutrition": "tests/book/test_review.py",
    "ecd review status": "tests/book/test_review.py",
    "ecd build --review": "builds the whole book: tests/book/test_review.py on the miniature project",
}


def _commands() -> list[tuple[int, str]]:
    """(block number, command) for every command line of every bash block, continuations joined."""
    out = []
    text = README.read_text(encoding="utf-8")
    for n, block in enumerate(re.findall(r"```bash\n(.*?)```", text, flags=re.S), start=1):
        for cmd in re.sub(r"\\\n\s*", "", block).splitlines():
            if cmd.strip() and not cmd.lstrip().startswith("#"):
                out.append((n, cmd.strip()))
    return out


def _elsewhere(cmd: str) -> str | None:
    return next((why for prefix, why in ELSEWHERE.items() if cmd.startswith(prefix)), None)


def _yaml_block(after: str) -> str:
    text = README.read_text(encoding="utf-8")
    return re.search(r"```yaml\n(.*?)```", text[text.index(after):], flags=re.S).group(1)


def test_every_readme_command_is_run_here_or_covered_elsewhere():
    cmds = [c for _, c in _commands()]
    assert len(cmds) >= 15
    placed = {prefix for prefix in ELSEWHERE if any(c.startswith(prefix) for c in cmds)}
    assert placed == set(ELSEWHERE), f"ELSEWHERE names commands the README no longer has: {set(ELSEWHERE) - placed}"


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path):
    home, user, work = tmp_path / "book", tmp_path / "user", tmp_path / "work"
    for part in ("chapters", "notebooks", "data/raw"):
        shutil.copytree(REPO / part, home / part)
    (user / "Downloads").mkdir(parents=True)
    work.mkdir()
    # the researcher's download: a Guangdong-style yearbook table, GBK, provinces in rows (SYNTHETIC values)
    (user / "Downloads" / "出生人口.csv").write_bytes(
        "表4-3 各地区户籍出生人口（万人）（SYNTHETIC）,,\n地区,2022年,2023年\n广东省,105.2,101.7\n"
        "广西壮族自治区,50.3,46.1\n".encode("gbk"))
    (work / "births.mapping.yaml").write_text(yaml.safe_dump(
        {"indicator": "births_registered", "unit": "万人", "area": "total", "header_row": 2, "geo_column": "地区",
         "geo_map": "names_zh", "year_columns": r"^(\d{4})年?$"}, allow_unicode=True), encoding="utf-8")
    (work / "gd_yearbook_2024.pubs.yaml").write_text(_yaml_block("### Adding a source"), encoding="utf-8")
    # a new indicator: the user-catalog entry `ecd data add` prints (README: "ready-to-paste entry")
    (home / "catalog").mkdir()
    (home / "catalog" / "gd_yearbook_2024.yaml").write_text(yaml.safe_dump({"indicators": {"births_registered": {
        "name_zh": "户籍出生人口", "name_en": "Births, registered population", "unit": "万人", "domain": "demography",
        "direction": "neutral", "definition": "SYNTHETIC test indicator", "sources": ["gd_yearbook_2024"]}}},
        allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "HOME": str(user), "ECD_HOME": str(home),
           "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)

    ran = []
    for block, cmd in _commands():
        if _elsewhere(cmd):
            continue
        # `source .venv/bin/activate` is relative to the clone; the rest run where the researcher keeps files
        cwd = REPO if cmd.startswith("source ") else work
        p = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, f"README block {block}: {cmd}\nexit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}"
        ran.append(cmd)
    assert any(c.startswith("ecd export") for c in ran) and any(c.startswith("ecd build --only") for c in ran)
    assert (work / "mortality.xlsx").exists()
    assert (home / "data/raw/gd_yearbook_2024").is_dir() and not (home / "data/raw/census").exists()
    page = (home / "build" / "current" / "births-by-province.html").read_text(encoding="utf-8")
    assert ">广东</span>" in page and ">101.7</span>" in page  # the latest year's place and value, glued


def test_readme_links_only_files_of_the_repository():
    text = README.read_text(encoding="utf-8")
    assert "[docs/ARCHITECTURE.md](docs/ARCHITECTURE.md)" in text and "../shared" not in text
    for target in re.findall(r"\]\(([^)#\s]+)\)", text):
        if not re.match(r"[a-z]+://", target):
            assert (REPO / target).exists(), f"README links {target}, which the repository does not have"
