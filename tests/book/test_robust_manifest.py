"""Parameters, timeouts and paths that slipped past the manifest checks are refused (issue 16, "smaller").

Each case is the tester's reproduction on a built miniature home: ``ecd build``
exits 2, the message names the key (or flag) and what was found, and
``build/current`` and the releases are byte-identical afterwards.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from ecd.book._build import build
from ecd.book._manifest import load_manifest
from ecd.cli import main
from ecd.errors import ConfigError, ParameterError

from minihome import default_manifest


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(home, capsys, argv, *fragments) -> str:
    """``ecd <argv>`` exits 2 naming every fragment; build/current and the releases are unchanged."""
    build_dir = home.root / "build"
    before = (_tree(build_dir / "current"), _tree(build_dir / "releases"))
    assert before[0] and before[1]
    assert main(argv) == 2
    err = capsys.readouterr().err
    for frag in fragments:
        assert frag in err, f"{frag!r} not in:\n{err}"
    assert (_tree(build_dir / "current"), _tree(build_dir / "releases")) == before
    return err


def with_manifest(home, mutate) -> None:
    m = copy.deepcopy(default_manifest())
    mutate(m)
    home.write_manifest(m)


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf"])
def test_param_nan_does_not_pass_float_bounds(built, capsys, value):
    # the tester's reproduction: min 0 / max 10 and --param x=nan → the notebook ran with scale = nan
    with_manifest(built, lambda m: m["chapters"][0]["parameters"]["scale"].update(min=0, max=10))
    refused(built, capsys, ["build", "--no-pdf", "--param", f"alpha.scale={value}"],
            "chapters/book.yml: alpha.scale:", "expected a finite number (not nan or inf)")


def test_nan_in_book_yml_params_is_refused(built, capsys):
    with_manifest(built, lambda m: m["chapters"][0]["params"].update(scale=float("nan")))
    refused(built, capsys, ["build", "--no-pdf"], "chapters[0] (alpha).params.scale", "not nan or inf")


def test_min_greater_than_max_is_reported_as_such(built, capsys):
    with_manifest(built, lambda m: m["chapters"][0]["parameters"]["scale"].update(min=10, max=0))
    err = refused(built, capsys, ["build", "--no-pdf"], "chapters[0] (alpha).parameters.scale: min 10 is greater than max 0",
                  "swap them")
    assert "outside the allowed range" not in err


@pytest.mark.parametrize("bound, shown", [("ten", "'ten' is not a finite number"), (float("nan"), "nan is not a finite")])
def test_a_bound_must_be_a_number(built, capsys, bound, shown):
    with_manifest(built, lambda m: m["chapters"][0]["parameters"]["scale"].update(max=bound))
    refused(built, capsys, ["build", "--no-pdf"], "chapters[0] (alpha).parameters.scale.max: " + shown)


def test_bounds_still_apply_to_finite_values(built, capsys):
    with_manifest(built, lambda m: m["chapters"][0]["parameters"]["scale"].update(min=0, max=10))
    refused(built, capsys, ["build", "--no-pdf", "--param", "alpha.scale=11"], "11.0 is outside the allowed range [0, 10]")
    assert load_manifest(overrides={"alpha.scale": "2.5"}).chapter("alpha").params["scale"] == 2.5


# --------------------------------------------------------------------------- timeouts
@pytest.mark.parametrize("value", [-5, 0])
def test_chapter_timeout_must_be_positive(built, capsys, value):
    with_manifest(built, lambda m: m["chapters"][0].update(timeout=value))
    refused(built, capsys, ["build", "--no-pdf"], f"chapters[0] (alpha).timeout: {value} is not a positive number of seconds")


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_cli_timeout_must_be_positive(built, capsys, value):
    refused(built, capsys, ["build", "--no-pdf", "--timeout", value], "argument --timeout:", repr(value))


@pytest.mark.parametrize("value", [0, -5, 1.5, True])
def test_api_timeout_must_be_positive(built, value):
    before = _tree(built.root / "build" / "current")
    with pytest.raises(ParameterError, match=r"parameter 'timeout': .* is not a positive whole number of seconds"):
        build(pdf=False, timeout=value)
    assert _tree(built.root / "build" / "current") == before


# --------------------------------------------------------------------------- paths out of the project
@pytest.mark.parametrize("where, mutate", [
    ("chapters (alpha).uses: '../outside'", lambda m: m["chapters"][0].update(uses=["../outside"])),
    ("chapters (alpha).uses: '/etc'", lambda m: m["chapters"][0].update(uses=["/etc"])),
    ("chapters[0] (alpha).notebook: '../outside/ch.ipynb'",
     lambda m: m["chapters"][0].update(notebook="../outside/ch.ipynb")),
    ("chapters[0] (alpha).prose: '../outside/alpha.md'", lambda m: m["chapters"][0].update(prose="../outside/alpha.md")),
])
def test_uses_and_paths_outside_the_project_are_refused(built, capsys, where, mutate):
    outside = built.root.parent / "outside"
    outside.mkdir()
    (outside / "ch.ipynb").write_bytes((built.root / "notebooks" / "ch.ipynb").read_bytes())
    (outside / "alpha.md").write_text("外部\n", encoding="utf-8")
    with_manifest(built, mutate)
    refused(built, capsys, ["build", "--no-pdf"], "chapters/book.yml: " + where, "is outside the project")


def test_uses_through_a_symlink_out_of_the_project_is_refused(built, capsys):
    outside = built.root.parent / "elsewhere"
    outside.mkdir()
    (outside / "values.csv").write_text("year,value\n2020,1\n", encoding="utf-8")
    os.symlink(outside, built.root / "data" / "raw" / "linked")
    with_manifest(built, lambda m: m["chapters"][0].update(uses=["data/raw/linked"]))
    refused(built, capsys, ["build", "--no-pdf"], "chapters (alpha).uses: 'data/raw/linked' is a symbolic link out "
            f"of the project (data/raw/linked -> {outside}")


def test_symlinks_inside_the_project_are_fine(built):
    os.symlink("a", built.root / "data" / "raw" / "a-again")
    m = copy.deepcopy(default_manifest())
    m["chapters"][0]["uses"] = ["data/raw/a-again"]
    built.write_manifest(m)
    assert load_manifest().chapter("alpha").uses == ("data/raw/a-again",)


def test_config_error_is_what_the_api_raises(built):
    with_manifest(built, lambda m: m["chapters"][0].update(uses=["../x"]))
    (built.root.parent / "x").mkdir()
    with pytest.raises(ConfigError, match="is outside the project"):
        load_manifest()


@pytest.mark.parametrize("edition", ["../../../escaped", "2026/../../x", ".hidden", "a\\b"])
def test_an_edition_cannot_name_a_release_folder_outside_the_project(built, capsys, edition):
    with_manifest(built, lambda m: m["book"].update(edition=edition))
    refused(built, capsys, ["build", "--no-pdf"], f"chapters/book.yml: book.edition: {edition!r} would name a folder "
            "outside build/releases/")
    assert not (built.root.parent / "escaped").exists()
