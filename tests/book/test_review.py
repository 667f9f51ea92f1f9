"""Chapter sign-off: approve, status after numbers change, comments as margin notes only in a review build."""
from __future__ import annotations

import pytest

from ecd.book import _review
from ecd.book._build import build
from ecd.catalog._load import load_yaml
from ecd.cli import main

pytestmark = pytest.mark.slow


def test_approval_then_changed_numbers_are_named_and_exit_10(built, capsys):
    mini = built
    assert main(["review", "status"]) == 10  # nothing reviewed yet
    out = capsys.readouterr().out
    assert "never    alpha" in out and "0 approved" in out

    for ch in ("alpha", "beta", "places"):
        assert main(["review", "approve", ch, "--by", "张三", "--note", "数字已核对"]) == 0
    rec = load_yaml((mini.root / "reviews" / "alpha.yml").read_text(encoding="utf-8"))
    assert rec["approved"]["by"] == "张三" and rec["approved"]["note"] == "数字已核对"
    assert len(rec["approved"]["hash"]) == 64 and rec["snapshot"]["numbers"]["alpha:total"]["text"] == "6.5"
    assert set(rec["snapshot"]["prose"]) == {"chapters/alpha.md"}
    assert set(rec["snapshot"]["figures"]) == {"alpha:fig-values"}
    capsys.readouterr()
    assert main(["review", "status"]) == 0
    assert "3 approved, 0 changed" in capsys.readouterr().out

    # the data behind alpha and the province-like sections change; beta's do not
    mini.set_data("a", [1.0, 2.0, 4.5])
    assert build(jobs=2, pdf=False).exit_code == 0
    assert main(["review", "status"]) == 10
    out = capsys.readouterr().out
    assert "approved beta" in out
    assert "CHANGED  alpha" in out and "number alpha:total: 6.5 → 7.5" in out
    assert "table cell alpha:tbl-values row 3 column value: 3.5 → 4.5" in out
    assert "figure changed alpha:fig-values" in out
    assert "CHANGED  places" in out and "number places--p1:total: 6.5 → 7.5" in out
    assert "1 approved, 2 changed since approval, 0 never reviewed" in out
    # nothing else is reported: exactly the changed numbers
    alpha = next(r for r in _review.status() if r.chapter == "alpha")
    assert [x["key"] for x in alpha.diff["numbers"]] == ["alpha:total"] and alpha.prose_changed == []

    # the build's status page lists the same changes
    page = (mini.root / "build" / "status.html").read_text(encoding="utf-8")
    assert "审阅后有变化" in page and "alpha:total" in page and "7.5" in page

    # a prose edit is a change too; approving again clears it and keeps the history
    prose = mini.root / "chapters" / "alpha.md"
    prose.write_text(prose.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    assert main(["review", "status"]) == 10
    out = capsys.readouterr().out
    assert "prose chapters/alpha.md changed" in out
    assert "CHANGED  beta" in out  # the test book's chapters share one prose file
    assert build(jobs=2, pdf=False).exit_code == 0
    for ch in ("alpha", "beta", "places"):
        assert main(["review", "approve", ch, "--by", "李四"]) == 0
    assert main(["review", "status"]) == 0
    rec = load_yaml((mini.root / "reviews" / "alpha.yml").read_text(encoding="utf-8"))
    assert rec["approved"]["by"] == "李四" and rec["history"][0]["by"] == "张三"


def test_comments_are_margin_notes_in_the_review_build_only(built, capsys):
    mini = built
    assert main(["review", "comment", "alpha", "--on", "fig-values", "--by", "王五", "图例请改为中文全称"]) == 0
    assert main(["review", "comment", "alpha", "--on", "total", "--by", "王五", "请核对合计口径"]) == 0
    assert main(["review", "comment", "places", "--on", "places--p2:tbl-values", "乙地表格请加单位"]) == 0
    # an unknown or ambiguous target is refused, naming what exists
    assert main(["review", "comment", "alpha", "--on", "fig-nope", "x"]) == 2
    assert "fig-values" in capsys.readouterr().err
    assert main(["review", "comment", "places", "--on", "tbl-values", "x"]) == 2
    assert "places--p1:tbl-values" in capsys.readouterr().err
    assert main(["review", "approve", "alpha", "--by", "王五"]) == 0  # approving keeps the comments

    assert main(["build", "--review", "-j", "2"]) == 0
    review = (mini.root / "build" / "review" / "alpha.html").read_text(encoding="utf-8")
    assert review.count('class="review-note"') == 2
    assert review.index("图例请改为中文全称") < review.index('id="fig-values"')  # next to its figure
    assert review.index('data-name="total"') < review.index("请核对合计口径")
    assert "banner-review review-ok" in review and "王五" in review
    places = (mini.root / "build" / "review" / "places.html").read_text(encoding="utf-8")
    assert places.index('id="sec--p2"') < places.index("乙地表格请加单位")
    assert "本章尚未审阅" in places
    assert "审阅状态" in (mini.root / "build" / "review" / "review.html").read_text(encoding="utf-8")
    # never in the published book
    for page in (mini.root / "build" / "current").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "review-note" not in text and "图例请改为中文全称" not in text and "banner-review" not in text


def test_bad_review_file_and_unknown_chapter_are_clear_errors(built, capsys):
    mini = built
    assert main(["review", "approve", "nope", "--by", "张三"]) == 2
    assert "no chapter 'nope'" in capsys.readouterr().err
    (mini.root / "reviews").mkdir()
    (mini.root / "reviews" / "alpha.yml").write_text("approved: [1, 2\n", encoding="utf-8")
    assert main(["review", "status"]) == 2
    assert "reviews/alpha.yml is not valid YAML" in capsys.readouterr().err


def test_review_without_a_built_edition_says_build_first(mini, capsys):
    assert main(["review", "status"]) == 2
    assert "run `ecd build` first" in capsys.readouterr().err
