"""Packaging invariants: the conda environment and pyproject list the same dependencies."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python", "pip")):
            conda[_name(dep)] = dep.replace(" ", "")
        if isinstance(dep, dict):  # packages conda-forge lacks come from pip, with the same pin
            for req in dep.get("pip", []):
                if not req.startswith("-"):
                    conda[_name(req)] = req.replace(" ", "")
    pyproject = {_name(d): d.replace(" ", "") for d in project["dependencies"]}
    assert conda == pyproject
    assert any(isinstance(d, str) and d.startswith("python=3.11") for d in env["dependencies"])


def test_extras_and_console_script():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {"test", "pdf", "dask"} <= set(project["optional-dependencies"])
    assert project["scripts"]["ecd"] == "ecd.cli:main"


def test_readme_opens_with_the_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make book", "make test"]
