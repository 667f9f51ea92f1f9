"""The bibliography reader and GB/T 7714 formatting."""
from __future__ import annotations

import pytest

from ecd.book._bib import format_gbt7714, read_bib
from ecd.errors import ConfigError


def test_article_in_gbt7714(tmp_path):
    p = tmp_path / "r.bib"
    p.write_text("""@article{k1,
  author = {Kim, H and Fay, M and Feuer, E and Midthune, D},
  title = {Permutation tests for joinpoint regression},
  journal = {Statistics in Medicine}, year = {2000}, volume = {19}, number = {3}, pages = {335--351}
}
@misc{k2, author = {国务院}, title = {中国儿童发展纲要（2021—2030年）}, year = 2021}
""", encoding="utf-8")
    bib = read_bib(p)
    assert format_gbt7714(bib["k1"]) == (
        "Kim, H, Fay, M, Feuer, E, et al. Permutation tests for joinpoint regression[J]. "
        "Statistics in Medicine, 2000, 19(3): 335-351.")
    assert format_gbt7714(bib["k2"]) == "国务院. 中国儿童发展纲要（2021—2030年）[Z]. 2021."


def test_duplicate_key_names_the_line(tmp_path):
    p = tmp_path / "r.bib"
    p.write_text("@misc{a, title={x}}\n@misc{a, title={y}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2: duplicate key 'a'"):
        read_bib(p)


def test_shipped_bibliography_parses():
    from pathlib import Path

    bib = read_bib(Path(__file__).resolve().parents[2] / "chapters" / "references.bib")
    assert {"he2017", "who2006", "kim2000", "clegg2009"} <= set(bib)
    assert all(format_gbt7714(e) for e in bib.values())
