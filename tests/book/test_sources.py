"""Citations as a book prints them: the publications of the rows drawn, each once, GB/T 7714, never a URL."""
from __future__ import annotations

import pytest

from ecd.errors import ParameterError


@pytest.fixture
def rows(fixture_home):
    import ecd.data

    return ecd.data.load(["imr", "u5mr"], geo="CN")


def test_rows_become_their_publications_once_sorted_by_year(rows):
    from ecd.book._sources import gather

    s = gather(rows)
    assert s.keys() == sorted(set(rows["publication"]), key=lambda k: (s.pubs[s.keys().index(k)]["year"], k))
    assert len(s.keys()) == rows["publication"].nunique() and s.rows == len(rows)
    assert s.plain().count("《") == len(s.keys()) and "http" not in s.plain()


def test_a_source_line_keeps_its_publications_through_string_joins(rows):
    import ecd.data
    from ecd.book._sources import gather

    a, b = rows[rows["indicator"] == "imr"], rows[rows["indicator"] == "u5mr"]
    joined = ecd.data.source_line(a) + "；目标：见正文；" + ecd.data.source_line(b)
    s = gather(joined)
    assert set(s.keys()) == set(rows["publication"]) and s.text == ("目标：见正文",)
    assert gather([a, b]).keys() == gather(rows).keys()


def test_leading_source_words_are_not_doubled_and_urls_are_refused():
    from ecd.book._sources import gather

    assert gather("数据来源：本章参数").text == ("本章参数",)
    with pytest.raises(ParameterError, match="never print URLs"):
        gather("澎湃新闻 http://nqhzrxhii9.gl-nl.com")
    with pytest.raises(ParameterError, match="publication"):
        import pandas as pd

        gather(pd.DataFrame({"value": [1.0]}))


def test_gbt7714_forms():
    from ecd.book._bib import format_publication, short_publication

    zh = {"type": "report", "author": "国家统计局", "title": "2018年《中国儿童发展纲要(2011—2020年)》统计监测报告",
          "year": "2019", "lang": "zh"}
    assert format_publication(zh) == "国家统计局. 2018年《中国儿童发展纲要(2011—2020年)》统计监测报告[R]. 2019."
    yb = {"type": "yearbook", "author": "国家统计局", "title": "中国统计年鉴2016", "year": "2016",
          "publisher": "中国统计出版社", "lang": "zh"}
    assert format_publication(yb) == "国家统计局. 中国统计年鉴2016[M]. 中国统计出版社, 2016."
    news = {"type": "newspaper", "author": "中国妇女报", "title": "孕产妇死亡率保持逐年下降", "year": "2012",
            "date": "2012-09-18", "lang": "zh"}
    assert format_publication(news) == "中国妇女报. 孕产妇死亡率保持逐年下降[N]. 2012-09-18."
    pol = {"type": "policy", "author": "国务院", "title": "“十三五”卫生与健康规划", "year": "2016", "date": "2016-12-27",
           "number": "国发〔2016〕77号", "lang": "zh"}
    assert format_publication(pol) == "国务院. “十三五”卫生与健康规划: 国发〔2016〕77号[Z]. 2016-12-27."
    supplied = {"type": "webpage", "title": "2024年分省出生人口（网页汇编）", "title_supplied": "True", "lang": "zh"}
    assert format_publication(supplied) == "[2024年分省出生人口（网页汇编）][Z]."
    assert short_publication(supplied) == "[2024年分省出生人口（网页汇编）]"
    ds = {"type": "dataset", "author": "World Bank", "title": "World Development Indicators", "year": "2025",
          "edition": "snapshot of 2025-10-12", "lang": "en"}
    assert format_publication(ds) == "World Bank. World Development Indicators[DS]. snapshot of 2025-10-12. 2025."


def test_a_caption_lists_each_publication_once_linked_to_the_chapter_references(rows):
    from ecd.book import _render
    from ecd.book._sources import gather

    cites = {"entries": {}, "order": [], "pubs": {}}
    s = gather(rows).to_json()
    it = {"kind": "table", "number": "表 1-1", "caption": "c", "html": "<table></table>", "sources": s}
    one = _render.item_html(it, "tbl-a", cites)
    again = _render.item_html({**it, "sources": gather(rows[rows["indicator"] == "imr"]).to_json()}, "tbl-b", cites)
    assert one.count('class="cite-src"') == len(s["pubs"]) and "数据来源：数据来源" not in one
    assert len(cites["order"]) == len(s["pubs"])  # the second table cites no new publication
    refs = _render.reference_list(cites)
    for i, p in enumerate(s["pubs"], start=1):
        assert f'href="#ref-pub-{p["key"]}"' in one and f'<li id="ref-pub-{p["key"]}">[{i}] ' in refs
    assert "[1]" in again and "http" not in one + again + refs.split("<li", 1)[0]


def test_a_glued_number_hovers_with_publications_never_its_name(rows):
    from ecd.book import _render
    from ecd.book._sources import gather

    cites = {"entries": {}, "order": [], "pubs": {}}
    g = {"name": "u5mr_last", "text": "5.6", "origin": "", "sources": gather(rows.tail(1)).to_json()}
    html = _render.substitute("末年为{{u5mr_last}}。", {"u5mr_last": g}, {}, "test", cites)
    title = html.split('title="', 1)[1].split('"', 1)[0]
    assert title.startswith("来源：") and "u5mr_last" not in title and "《" in title
    assert cites["order"] == [("pub", rows.tail(1)["publication"].iloc[0])]


def test_legacy_text_sources_are_not_doubled():
    from ecd.book import _render

    it = {"kind": "table", "number": "表 1-1", "caption": "c", "html": "", "source": "数据来源：测试数据"}
    assert "数据来源：数据来源" not in _render.item_html(it, "tbl-a")


def test_text_columns_read_from_the_left_and_wide_tables_print_smaller():
    """A table's text columns (names, documents, verdicts, addresses) get class "text"; numbers stay right-aligned;
    a table wider than the printed text block is marked for smaller type."""
    import re

    import pandas as pd

    from ecd.book._render import _set_table, table_layout

    df = pd.DataFrame({"指标": ["婴儿死亡率", "孕产妇死亡率"], "最新值": ["4.0‰（2024年）", "—"], "年份": [2024, 2023],
                       "判断": ["已达到", "未达到"], "获取副本": ["http://example.org/a/very/long/address.html", "—"]})
    cells = {"columns": list(df.columns), "data": df.astype(object).values.tolist()}
    assert table_layout(cells) == ({0, 3, 4}, "")
    html = _set_table(df.to_html(index=False, classes="ecd-table", border=0), cells)
    for tr in re.findall(r"<tr\b[^>]*>.*?</tr>", html, flags=re.S):
        marked = ["text" in c for c in re.findall(r"<t[dh][^>]*>", tr)]
        assert marked == [True, False, False, True, True], tr
    wide = {"columns": [f"第{k}列" for k in range(12)], "data": [["1,234,567.8"] * 12]}
    assert table_layout(wide)[1] == "wider"
    assert 'class="dataframe ecd-table wider"' in _set_table(
        pd.DataFrame([["1,234,567.8"] * 12], columns=wide["columns"]).to_html(index=False, classes="ecd-table"), wide)
