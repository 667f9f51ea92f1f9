"""总报告 as the editors will read it: a 前言, 8–12 主要发现 each linking to the chapter it comes from,
at least five 政策建议 in the words a blue book on under-investment, 托育 and the family's role uses,
and every number cited from the chapter that computes it (or the book's own metadata)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROSE = (ROOT / "chapters" / "overview.md").read_text(encoding="utf-8")
MANIFEST = yaml.safe_load((ROOT / "chapters" / "book.yml").read_text(encoding="utf-8"))
CHAPTERS = {c["id"] for c in MANIFEST["chapters"]}


def _section(title: str) -> str:
    m = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", PROSE, flags=re.M | re.S)
    assert m, f"总报告 has no section '## {title}'"
    return m.group(1)


def _items(text: str) -> list[str]:
    return re.findall(r"^\d+\. (.+)$", text, flags=re.M)


def test_sections_in_order():
    heads = re.findall(r"^## (.+)$", PROSE, flags=re.M)
    assert heads[:3] == ["前言", "主要发现", "政策建议"]


def test_preface_states_cutoff_editors_and_board_from_the_book_metadata():
    pre = _section("前言")
    for name in ("data_cutoff", "editors_text", "board_text", "n_chapters", "chapter_list"):
        assert "{{" + name + "}}" in pre, name
    assert "城乡" in pre and "投入" in pre and "托育" in pre and "家庭" in pre  # the book's three problems and the family


def test_eight_to_twelve_findings_each_linking_to_its_chapter():
    items = _items(_section("主要发现"))
    assert 8 <= len(items) <= 12, len(items)
    for item in items:
        links = re.findall(r"\]\(([a-z-]+)\.html\)", item)
        assert links and set(links) <= CHAPTERS - {"overview"}, item[:60]
        assert "{{" in item, f"a finding without glued evidence: {item[:60]}"
    covered = {link for item in items for link in re.findall(r"\]\(([a-z-]+)\.html\)", item)}
    for theme in ("trends-targets", "urban-rural-mortality", "nutrition", "services", "childcare", "policy",
                  "development", "international"):
        assert theme in covered, f"no finding links to {theme}"


def test_at_least_five_recommendations_in_the_blue_book_s_words():
    recs = _section("政策建议")
    items = _items(recs)
    assert len(items) >= 5
    assert all(i.startswith("**建议") for i in items)
    for word in ("建议", "投入", "财政", "普惠", "养育照护"):
        assert word in recs, word
    assert sum("{{" in i for i in items) >= 5  # grounded in glued findings


def test_every_cited_number_comes_from_a_chapter_of_the_book():
    for chapter, name in re.findall(r"\{\{([a-z-]+):([A-Za-z0-9_]+)\}\}", PROSE):
        assert chapter in CHAPTERS - {"overview"}, (chapter, name)


def test_no_typed_numbers():
    text = PROSE
    for pattern in (r"\{\{[^}]*\}\}", r"@(?:fig|tbl)-[\w-]+|\[\[[^\]]*\]\]", r"\d+(?:—\d+)?岁", r"[A-Z]+\d+",
                    r"(?m)^\d+\. ", r"《[^》]*》", r"\]\([a-z-]+\.html\)", r"(?m)^#+ .*$", r"/10万"):
        text = re.sub(pattern, " ", text)
    assert not re.findall(r".{0,15}\d.{0,15}", text)
