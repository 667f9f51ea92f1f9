"""Manifest validation: every malformed manifest is refused before execution, naming the key path."""
from __future__ import annotations

import copy

import pytest

from ecd.book._manifest import load_manifest
from ecd.cli import main
from ecd.errors import ConfigError

from minihome import default_manifest, make_notebook


def test_valid_manifest_expands_foreach_and_keeps_strings(mini):
    m = load_manifest()
    ids = [c.id for c in m.chapters]
    assert ids == ["alpha", "beta", "places--p1", "places--p2"]
    alpha = m.chapter("alpha")
    assert alpha.params["label"] == "110000" and isinstance(alpha.params["label"], str)
    assert alpha.params["scale"] == 1.0 and alpha.params["mode"] == "ok"
    assert m.chapter("places--p2").params["item"] == "P2"
    assert m.chapter("places--p2").section_title == "乙地"


@pytest.mark.parametrize(
    "mutate, expect",
    [
        (lambda m: m.update(extra=1), "unknown top-level key"),
        (lambda m: m["chapters"][0].update(colour="red"), "chapters[0].colour: unknown key"),
        (lambda m: m["chapters"][0]["params"].update(scale="big"), "chapters[0] (alpha).params.scale"),
        (lambda m: m["chapters"][0]["params"].update(label=110000), "expected a string"),
        (lambda m: m["chapters"][0]["params"].update(nope=1), "params.nope: unknown parameter"),
        (lambda m: m["chapters"][0].update(notebook="notebooks/missing.ipynb"), "does not exist"),
        (lambda m: m["chapters"][1].update(id="alpha"), "duplicate id 'alpha'"),
        (lambda m: (m["chapters"][0].update(after=["beta"]), m["chapters"][1].update(after=["alpha"])), "cycle"),
        (lambda m: m["chapters"][0].update(required="yes"), "required"),
        (lambda m: m["chapters"][0]["parameters"].update(ghost={"type": "int"}), "parameters cell has no 'ghost'"),
        (lambda m: m["chapters"][0]["parameters"]["scale"].update(type="decimal"), "not a parameter type"),
        (lambda m: m["chapters"][0]["parameters"]["mode"].update(values=[]), "enum needs"),
        (lambda m: m["book"].pop("edition"), "book.edition"),
        (lambda m: m["book"].update(editors=["张三", ""]), "book.editors: expected a name or a list of names"),
        (lambda m: m["book"].update(editorial_board=["张三"]), "book.editorial_board: expected a mapping of role"),
        (lambda m: m["book"].update(editorial_board={"委员": [1]}), "book.editorial_board.委员: expected a name"),
        (lambda m: m["book"].update(data_cutoff=2026), "book.data_cutoff: expected text"),
        (lambda m: m["chapters"][2].update(foreach={"matrix": "nowhere", "as": "item"}), "no matrix 'nowhere'"),
        (lambda m: m["chapters"][0].update(uses=["data/raw/none"]), "neither a data step nor an existing path"),
    ],
)
def test_malformed_manifest_names_key_path(mini, mutate, expect):
    m = copy.deepcopy(default_manifest())
    mutate(m)
    mini.write_manifest(m)
    with pytest.raises(ConfigError, match=expect.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)")):
        load_manifest()
    assert main(["build", "--no-pdf"]) == 2
    assert not (mini.root / "build" / "current").exists()


def test_notebook_without_parameters_cell_is_refused(mini):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, mini.root / "notebooks" / "plain.ipynb")
    m = default_manifest()
    m["chapters"][0]["notebook"] = "notebooks/plain.ipynb"
    m["chapters"][0].pop("parameters")
    m["chapters"][0].pop("params")
    mini.write_manifest(m)
    with pytest.raises(ConfigError, match="no cell tagged 'parameters'"):
        load_manifest()


@pytest.mark.parametrize(
    "override, expect",
    [
        ("alpha.scale=abc", "not a valid float"),
        ("alpha.mode=fly", "one of"),
        ("alpha.ghost=1", "has no parameter 'ghost'"),
        ("gamma.scale=1", "no chapter of that id"),
    ],
)
def test_cli_param_overrides_are_typed(mini, override, expect, capsys):
    assert main(["build", "--no-pdf", "--param", override]) == 2
    assert expect in capsys.readouterr().err


def test_cli_string_param_stays_string(mini):
    m = load_manifest(overrides={"alpha.label": "110000", "alpha.scale": "2"})
    assert m.chapter("alpha").params["label"] == "110000"
    assert m.chapter("alpha").params["scale"] == 2.0


def test_spare_notebook_helper_is_valid(tmp_path):
    make_notebook(tmp_path / "n.ipynb", "a = 1")
    assert (tmp_path / "n.ipynb").exists()
