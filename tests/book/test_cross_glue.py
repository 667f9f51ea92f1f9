"""A number computed once and cited everywhere: ``{{chapter-id:name}}`` in prose, on a miniature project."""
from __future__ import annotations

import json

import pytest

from ecd.book import _render
from ecd.book._build import build
from ecd.errors import BuildError, ConfigError

from minihome import default_manifest

CITES = "## 引用\n\n本章合计 {{total}}。\n\n乙章合计为 {{beta:total}}，见乙章。\n"


def _cite(mini, prose: str = CITES) -> None:
    (mini.root / "chapters" / "cites.md").write_text(prose, encoding="utf-8")
    m = default_manifest()
    m["chapters"][0]["prose"] = "chapters/cites.md"
    mini.write_manifest(m)


@pytest.mark.slow
def test_cited_number_is_the_other_chapters_and_follows_it(mini):
    _cite(mini)
    res = build(jobs=2, pdf=False, only=["alpha"])
    states = {c["id"]: c["state"] for c in res.chapters}
    # alpha cites beta, so beta runs even though only alpha was asked for; the places chapter does not
    assert states["alpha"] == "ok" and states["beta"] == "ok" and states["places--p1"] == "skipped"
    html = mini.chapter_html("alpha")
    span = html.split('data-chapter="beta"', 1)[1].split("</span>", 1)[0]
    assert ">30.0" in span and "第2章 第二章标题" in span  # 10 + 20, with where it comes from on hover
    assert ">6.5<" in html  # its own number

    mini.set_data("b", [10.0, 21.0])  # beta changes: alpha is re-rendered (not re-executed) with the new number
    res = build(jobs=2, pdf=False, only=["alpha"])
    states = {c["id"]: c["state"] for c in res.chapters}
    assert states["alpha"] == "cached" and states["beta"] == "ok"
    assert ">31.0" in mini.chapter_html("alpha").split('data-chapter="beta"', 1)[1].split("</span>", 1)[0]


def test_unknown_chapter_is_a_config_error_naming_file_and_line(mini):
    _cite(mini, CITES.replace("{{beta:total}}", "{{gamma:total}}"))
    with pytest.raises(ConfigError, match=r"chapters/cites.md:5: \{\{gamma:total\}\} names no chapter"):
        build(jobs=1, pdf=False)
    _cite(mini, CITES.replace("{{beta:total}}", "{{alpha:total}}"))
    with pytest.raises(ConfigError, match=r"chapters/cites.md:5: .* cites the chapter itself"):
        build(jobs=1, pdf=False)


@pytest.mark.slow
def test_unknown_name_fails_the_render_naming_file_and_line(mini):
    _cite(mini, CITES.replace("{{beta:total}}", "{{beta:nope}}"))
    res = build(jobs=2, pdf=False, only=["alpha"])
    assert res.exit_code == 20  # alpha is required
    err = next(c for c in res.chapters if c["id"] == "alpha")["error"]
    assert "chapters/cites.md:5" in err and "glued no number 'nope'" in err and "total" in err


def test_every_glued_finding_must_be_stated():
    glue = {"gap_west": {"name": "gap_west", "text": "西部…", "finding": "gap_divergence.nmr.CN-WEST"},
            "n": {"name": "n", "text": "3"}}
    with pytest.raises(BuildError, match=r"x.md: the notebook found 'gap_divergence.nmr.CN-WEST' but the prose does not"):
        _render.check_placeholders("共 {{n}} 项。", glue, {}, "x.md")
    _render.check_placeholders("共 {{n}} 项。{{gap_west}}", glue, {}, "x.md")
    with pytest.raises(BuildError, match=r"x.md:2: \{\{m\}\} — the notebook glued no number"):
        _render.check_placeholders("共 {{n}} 项。{{gap_west}}\n又 {{m}}", glue, {}, "x.md")


def test_glue_records_the_quantity(capsys):
    from ecd.book import glue
    from ecd.errors import ParameterError

    glue("u5mr_last", 5.6, fmt="{:.1f}", quantity="u5mr|CN|total|2024|value")
    with pytest.raises(ParameterError, match="quantity"):
        glue("x", 1.0, quantity="has space")
    assert "u5mr_last = 5.6" in capsys.readouterr().out


def test_references_are_found_with_their_lines():
    refs = _render.references("a {{x}}\nb {{trends-targets:mmr_year}} {{ overview:n }}\n")
    assert refs == [(2, "trends-targets", "mmr_year"), (2, "overview", "n")]
    assert json.dumps(refs)


def test_glue_table_takes_rows_as_origin(monkeypatch):
    """Each number glued from a table cites the publications of the rows passed as origin (not only a str)."""
    import pandas as pd

    import ecd.data
    from ecd.book import _display, glue_table

    seen = []
    monkeypatch.setattr(_display, "_publish", lambda data, metadata=None: seen.append(data[_display.MIME_GLUE]))
    rows = ecd.data.load("imr", geo="CN", area="total", years=(2022, 2023))
    t = pd.DataFrame({"indicator": ["imr", "nmr"], "v": [1.0, 2.0]})
    glue_table(t, "x_{indicator}", value="v", fmt="{:.1f}", origin=rows)
    assert [p["name"] for p in seen] == ["x_imr", "x_nmr"]
    for p in seen:
        assert [q["key"] for q in p["sources"]["pubs"]] == sorted(set(rows["publication"]))
    seen.clear()
    glue_table(t, "y_{indicator}", value="v", origin="本章{indicator}参数")
    assert [p["origin"] for p in seen] == ["本章imr参数", "本章nmr参数"]
